import { monthIndexOf, periodOfMonthIndex } from "../dates.js";
import { formatCents, parseDecimal, toCents } from "../money.js";
import type { AssetStatus, ReopenRecord } from "./model.js";
import type { Backend } from "./schema.js";
import type { RegisterStore } from "./store.js";

/** A closed period as `capex register status` shows it: who closed it, with which rules, and its control totals. */
export interface PeriodSummary {
  period: string;
  kind: "close" | "import";
  /** Closed before the period ended (--allow-open-period): work approved later with a date in it goes to the next close as a late addition. */
  provisional: boolean;
  closedAt: string;
  closedBy: string;
  rulesVersion: string;
  rulesSha256: string;
  /** The snapshot manifest's sha256 (a close) or the take-on file's (an import). */
  inputSha256: string;
  toolVersion: string;
  /** Control totals as posted, in the currency's units ("1234.56"). */
  closingCost: string;
  closingAccumulated: string;
  closingNbv: string;
  additions: string;
  depreciation: string;
  /**
   * The period's cost rollforward, which foots: opening + taken on + additions + cost
   * adjustments − retired = closing cost. Opening is the period before's closing cost; taken
   * on is what a first close or an import brought into the register.
   */
  openingCost: string;
  takenOn: string;
  costAdjustments: string;
  retired: string;
}

export interface RegisterSummary {
  location: string;
  backend: Backend;
  periods: PeriodSummary[];
  latestClosed: string | undefined;
  /** The only period the next close may close (undefined on an empty register: any month). */
  nextPeriod: string | undefined;
  assetsByStatus: Record<AssetStatus, number>;
  /** The register's id, which each close's manifest names (undefined until its first close or import of fiber-capex 0.5.0 or later). */
  id: string | undefined;
  /** Every reopen, oldest first: the close it removed, who reopened it, when and why. */
  reopens: ReopenRecord[];
}

/** Exactly, through decimal.js: a control total is text like "2883327.10". */
const cents = (text: string | undefined) => toCents(parseDecimal(text ?? "0"));

/** A period's cost rollforward from its control totals and the period's before (none: the register's first). */
function costRollforward(t: Record<string, string>, before: Record<string, string> | undefined): Pick<PeriodSummary, "openingCost" | "takenOn" | "costAdjustments" | "retired"> {
  const moved = cents(t.additions) + cents(t.cost_adjustments) - cents(t.disposals);
  // Taken on: an import's, as it recorded it; a first close's, what its closing cost holds
  // beyond its movements. No later period takes anything on: its row foots on its totals.
  const takenOn = t.taken_on !== undefined ? cents(t.taken_on) : before === undefined ? cents(t.closing_cost) - moved : 0;
  return { openingCost: formatCents(cents(before?.closing_cost)), takenOn: formatCents(takenOn), costAdjustments: formatCents(cents(t.cost_adjustments)), retired: formatCents(cents(t.disposals)) };
}

export async function registerSummary(store: RegisterStore): Promise<RegisterSummary> {
  const s = await store.status();
  const periods = s.periods.map((p, i) => ({
    period: p.period,
    kind: p.kind,
    provisional: s.provisional.includes(p.period),
    closedAt: p.closedAt,
    closedBy: p.closedBy,
    rulesVersion: p.rulesVersion,
    rulesSha256: p.rulesSha256,
    inputSha256: p.snapshotSha256,
    toolVersion: p.toolVersion,
    closingCost: p.controlTotals.closing_cost ?? "0.00",
    closingAccumulated: p.controlTotals.closing_accumulated ?? "0.00",
    closingNbv: p.controlTotals.closing_nbv ?? "0.00",
    additions: p.controlTotals.additions ?? "0.00",
    depreciation: p.controlTotals.depreciation ?? "0.00",
    ...costRollforward(p.controlTotals, s.periods[i - 1]?.controlTotals),
  }));
  const latestClosed = periods.at(-1)?.period;
  return {
    location: s.location,
    backend: s.backend,
    periods,
    latestClosed,
    nextPeriod: latestClosed === undefined ? undefined : periodOfMonthIndex(monthIndexOf(latestClosed) + 1),
    assetsByStatus: s.assetsByStatus,
    id: await store.registerId(),
    reopens: await store.reopenLog(),
  };
}
