import { createHash } from "node:crypto";
import { monthIndexOf, periodOfMonthIndex } from "../dates.js";
import { fiscalYearMonths, fiscalYearOf } from "../depreciation/schedule.js";
import { taxYearOf } from "../depreciation/tax.js";
import type { CutoffCandidate } from "../capitalize/classify.js";
import type { AssetRecord, ExceptionRow } from "../capitalize/outcomes.js";
import type { CloseResult, RollforwardRow } from "../close/close.js";
import type { Identity } from "../close/identities.js";
import type { JournalEntry } from "../ledger/journal.js";
import type { Cents } from "../money.js";
import type { AdjustmentRow, DisposalRow } from "./reconcile.js";

/**
 * The register's model: what the closes so far have posted, asset by asset. Nothing here
 * touches the database; the store (store.ts) reads and writes these shapes.
 */

export type AssetSource = "render" | "import";
export type AssetStatus = "active" | "withdrawn" | "retired";

export const EVENT_KINDS = ["take_on", "import", "addition", "late_addition", "cost_change", "reclassification", "withdrawal", "retirement"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** The changes since the last close that adjustments.csv lists (DESIGN §8). */
export type AdjustmentKind = "late_addition" | "cost_change" | "reclassification" | "withdrawal";

/**
 * A point from which an asset depreciates what is left over what is left of its life: set
 * by a take-on from another system, a partial retirement, or a change in estimate under
 * `changes_after_close: prospective`. Accumulated depreciation at the end of the month
 * before `period` was `accumulatedBefore`.
 */
export interface Rebase {
  period: string;
  accumulatedBefore: Cents;
  /**
   * The accumulated depreciation posted at the end of `period` (the month before the fiscal
   * year the rebase falls in), where the rebase falls after that year's first month: what the
   * year's book depreciation (tax.csv's book_amount) starts from, which the rebased book alone
   * cannot tell. Absent otherwise, and from rebases made before fiber-capex 0.6.0.
   */
  yearOpening?: { period: string; accumulated: Cents } | undefined;
}

/**
 * What partial retirements took from an asset so far, in the task's own terms. Render keeps
 * pricing the whole task, so the register compares the snapshot with its record plus what was
 * retired, never with what remains. Kept on the record (it travels with each event's record).
 */
export interface RetiredPart {
  cost: Cents;
  salvage: Cents;
  quantity: string | undefined;
}

/** A retirement posted of an asset (a part, or what was left of it): the close's period and the cost retired. */
export interface AssetRetirement {
  period: string;
  cost: Cents;
}

/** A registered asset's record: the task as priced, less what was retired of it. */
export type RetainedRecord = AssetRecord & { retired?: RetiredPart | undefined };

export const retiredOf = (r: AssetRecord): RetiredPart | undefined => (r as RetainedRecord).retired;

/**
 * The part of a registered record a close reads of an asset whose task the snapshot holds
 * now: what the reconciliation compares (class, life, method, dates, cost, quantity, ...) and
 * the state digest hashes. The close takes everything else (address, crew, cost elements)
 * from the snapshot's record, so on a big register the month-end loads this instead of the
 * whole record, a third of its memory. Never of a record with a retired part, which the close
 * keeps as posted. Typed as the record it stands for: reconcile reads only these fields of
 * an asset the snapshot holds. `text` gives one copy of a repeated text (class, project, ...).
 */
export function recordSummary(r: AssetRecord, text: <T extends string | undefined>(s: T) => T = (s) => s): AssetRecord {
  const summary: Partial<AssetRecord> = {
    assetId: r.assetId,
    project: text(r.project),
    taskId: r.taskId,
    faClass: text(r.faClass),
    quantity: r.quantity,
    uom: text(r.uom),
    inServiceDate: r.inServiceDate,
    cost: r.cost,
    salvage: r.salvage,
    lifeMonths: r.lifeMonths,
    method: text(r.method),
    convention: text(r.convention),
    decliningBalanceRate: text(r.decliningBalanceRate),
  };
  if (r.switchToStraightLine !== undefined) summary.switchToStraightLine = r.switchToStraightLine;
  if (r.rounding !== undefined) summary.rounding = r.rounding;
  if (r.decliningBalanceYears !== undefined) summary.decliningBalanceYears = r.decliningBalanceYears;
  return summary as AssetRecord;
}

/** One asset as the register holds it after its latest closed period. */
export interface RegisteredAsset {
  source: AssetSource;
  /** The asset's attributes as last posted (cost, salvage, class, life, location, ...). */
  record: AssetRecord;
  status: AssetStatus;
  /** GL accumulated depreciation posted through the register's latest closed period. */
  accumulated: Cents;
  rebase: Rebase | undefined;
  /** Every retirement posted of it, in order (the last of a wholly retired asset's took what was left); absent when none. */
  retirements?: readonly AssetRetirement[] | undefined;
}

/**
 * What an asset counts for in the mid-quarter test of the tax year it was placed in service
 * (IRC §168(d)(3), Treas. Reg. §1.168(d)-1(b)(3)): its cost as placed in service, less what
 * was disposed of within that same tax year. Property retired in a later year was in service
 * at the year's end and stays in the test, so a retirement never changes the convention of an
 * earlier year's assets. `r`: the record as it stands (what is left of it, unless `wholly`
 * retired); `retirements`: every retirement of it, the latest included.
 */
export function midQuarterBasis(r: AssetRecord, retirements: readonly AssetRetirement[], wholly: boolean, fiscalYearStartMonth: number): Cents {
  if (retirements.length === 0) return wholly ? 0 : r.cost; // nearly every asset of a close
  const placed = taxYearOf(r.inServiceDate, fiscalYearStartMonth);
  let cost = wholly ? 0 : r.cost;
  for (const x of retirements) if (taxYearOf(x.period, fiscalYearStartMonth) !== placed) cost += x.cost;
  return cost;
}

/** A class's closing balances as posted. `reserve` is what group retirements left in the class's accumulated depreciation beyond its assets' own. */
export interface ClassBalance {
  faClass: string;
  cost: Cents;
  accumulated: Cents;
  reserve: Cents;
}

export interface RegisterState {
  /** The latest closed period (by a close or a take-on import), undefined for an empty register. */
  lastClosed: string | undefined;
  /** The register's first period (not part of stateDigest: it follows from the periods). */
  firstClosed?: string | undefined;
  /** How many periods a close (not an import) has posted: the first close takes on history. */
  closes: number;
  assets: Map<string, RegisteredAsset>;
  /** Expense posted per task ("PROJECT#taskId"), so late or changed expensed work is posted once. */
  expensed: Map<string, PostedExpense>;
  /** Closing balances of `lastClosed` by class. */
  classes: Map<string, ClassBalance>;
  /** Per "account|fa_class": take-on balance + Σ (debit − credit) of every journal line posted. */
  ledger: Map<string, Cents>;
}

/** What the register posted for one expensed task, and to which account (a reversal goes back there). */
export interface PostedExpense {
  amount: Cents;
  account: string;
  faClass: string;
}

/**
 * Why `period` is not among the register's closed periods (oldest first), and what can be
 * done: periods close in order from the first, so only the next one can be closed now.
 */
export function notClosedReason(period: string, location: string, closed: readonly string[]): string {
  const first = closed[0];
  const last = closed.at(-1);
  const next = last === undefined ? undefined : periodOfMonthIndex(monthIndexOf(last) + 1);
  const known = first === undefined ? "it has no closed period yet" : `its closed periods are ${closed.join(", ")}`;
  const what =
    first !== undefined && period < first
      ? `${period} is before the register's first closed period (${first}), so it holds nothing of it`
      : next === undefined || period === next
        ? `close ${period} first (capex close --period ${period})`
        : `periods close in order: ${next} is next (capex close --period ${next})`;
  return `${period} is not closed in the register ${location}; ${known}. ${what[0]!.toUpperCase()}${what.slice(1)}`;
}

export function emptyRegisterState(): RegisterState {
  return { lastClosed: undefined, closes: 0, assets: new Map(), expensed: new Map(), classes: new Map(), ledger: new Map() };
}

export const ledgerKey = (account: string, faClass: string) => `${account}|${faClass}`;
export const expensedKey = (project: string, taskId: number) => `${project}#${taskId}`;

/** A change to one asset, posted in a period: never updated afterwards (corrections are new events). */
export interface AssetEvent {
  assetId: string;
  source: AssetSource;
  kind: EventKind;
  record: AssetRecord;
  status: AssetStatus;
  rebase: Rebase | undefined;
  costChange: Cents;
  accumulatedChange: Cents;
  catchUp: Cents;
  message: string;
}

/** The register after one asset's period: its depreciation for the period and accumulated at its end. */
export interface AssetBalance {
  assetId: string;
  depreciation: Cents;
  accumulated: Cents;
}

/**
 * What a close found and proved, kept with the period so the audit report can be written from
 * the register alone: the rollforward, every identity with both sides, the ties, the
 * exceptions open at the close, the cut-off tasks, and the changes and retirements posted.
 */
export interface PeriodReport {
  /** The rules file and (below) the snapshot as the close's outputs name them: a re-run and capex verify name them so, from any folder. */
  rulesFile: string;
  /** Absent from periods closed before fiber-capex kept it (their manifest.json names the snapshot). */
  snapshotPath?: string;
  snapshotFetchedAt: string;
  openPeriod: boolean;
  rollforward: RollforwardRow[];
  identities: Identity[];
  ties: CloseResult["ties"];
  counts: CloseResult["counts"];
  exceptions: ExceptionRow[];
  cutoff: CutoffCandidate[];
  adjustments: AdjustmentRow[];
  disposals: DisposalRow[];
  /** The projects the close's snapshot covered (absent from periods closed before fiber-capex kept it). */
  coveredProjects?: string[];
  /** The folder the close wrote its outputs to, named as the snapshot is (absent from periods closed before fiber-capex kept it): capex audit writes beside them. */
  outputFolder?: string;
  /** The register the period was posted to, as its manifest names it (absent from periods closed before fiber-capex 0.5.0, whose manifests name none). */
  registerId?: string;
}

/**
 * The tax book's deduction for the year of disposition of the retirements posted in the
 * months of a tax year before the one closing, as their closes posted it (their reports).
 * With this close's own and the year's amounts of the assets in service, it gives the tax
 * year's whole deduction: what Form 4562 asks of the year once it ends.
 */
export interface EarlierRetirementsTax {
  /** The months read: the tax year's first (or the register's first close, if later) to the month before the close. */
  from: string;
  to: string;
  amount: Cents;
  retirements: number;
  /**
   * Retirements without this tax year's figures, left out of `amount`: posted by a fiber-capex
   * before 0.4.0 (no tax figures), or figured for another tax year (the rules' fiscal year start changed since).
   */
  withoutFigures: number;
}

/** The months of `period`'s tax year before it (none when it is the year's first). */
export function earlierMonthsOfTaxYear(period: string, fiscalYearStartMonth: number): { from: string; to: string } | undefined {
  const month = monthIndexOf(period);
  const [first] = fiscalYearMonths(fiscalYearOf(month, fiscalYearStartMonth), fiscalYearStartMonth);
  return month > first ? { from: periodOfMonthIndex(first), to: periodOfMonthIndex(month - 1) } : undefined;
}

/** What a close (or a take-on import) commits to the register, in one transaction. */
export interface PeriodPosting {
  period: string;
  kind: "close" | "import";
  closedAt: string;
  closedBy: string;
  snapshotSha256: string;
  rulesSha256: string;
  rulesVersion: string;
  toolVersion: string;
  stateDigestBefore: string;
  controlTotals: Record<string, string>;
  /** sha256 of every output file (empty for an import). */
  outputHashes: Record<string, string>;
  /** Other inputs that decide the close (the retirements file's sha256, ...). */
  inputs: Record<string, string>;
  /** The close's findings for the audit report (undefined for an import). */
  report: PeriodReport | undefined;
  events: AssetEvent[];
  balances: AssetBalance[];
  journal: JournalEntry[];
  classes: ClassBalance[];
  /** Take-on balances per account and class (first close or import only). */
  openingBalances: Array<{ account: string; faClass: string; balance: Cents }>;
  /** Expense posted in the period per task (the change since what was posted before). */
  /** `takeOn`: history a first close records as posted, with no journal line. */
  expensed: Array<{ project: string; taskId: number; amount: Cents; account: string; faClass: string; takeOn?: boolean | undefined }>;
}

/** A reopen, from the register's log: the close it removed, and who removed it, when and why. */
export interface ReopenRecord {
  period: string;
  reopenedAt: string;
  reopenedBy: string;
  /** As given to capex reopen --reason; empty when none was. */
  reason: string;
  /** The period's row as it stood before the reopen. */
  removed: Pick<ClosedPeriod, "kind" | "closedAt" | "closedBy" | "snapshotSha256" | "rulesSha256" | "toolVersion" | "controlTotals" | "outputHashes">;
}

/** The closed periods as `capex register status` shows them. */
export type ClosedPeriod = Pick<
  PeriodPosting,
  "period" | "kind" | "closedAt" | "closedBy" | "snapshotSha256" | "rulesSha256" | "rulesVersion" | "toolVersion" | "stateDigestBefore" | "controlTotals" | "outputHashes" | "inputs"
>;

/**
 * A digest of the register's state, recorded in each close's manifest: two registers with the
 * same digest give the same close. Canonical: assets by id, fields in a fixed order.
 */
// Only assets partly retired carry the field, so the digests of all others are as before.
const retiredText = (r: AssetRecord) => {
  const x = retiredOf(r);
  return x ? `\tretired ${x.cost}:${x.salvage}:${x.quantity ?? ""}` : "";
};

// Only assets retired from (since 0.4.0, when the tax book began to read them) carry the field.
const retirementsText = (a: RegisteredAsset) => (a.retirements?.length ? `\tretirements ${a.retirements.map((x) => `${x.period}:${x.cost}`).join(",")}` : "");

/** The depreciation form's options, only where a rule set them (so earlier digests stay the same). */
function formText(r: AssetRecord): string {
  const parts = [r.switchToStraightLine === undefined ? "" : `switch=${r.switchToStraightLine}`, r.rounding ? `rounding=${r.rounding}` : "", r.decliningBalanceYears ? `years=${r.decliningBalanceYears}` : ""].filter(Boolean);
  return parts.length ? `\t${parts.join(",")}` : "";
}

export function stateDigest(state: RegisterState): string {
  const h = createHash("sha256");
  h.update(`closed ${state.lastClosed ?? "-"} ${state.closes}\n`);
  for (const id of [...state.assets.keys()].sort()) {
    const a = state.assets.get(id)!;
    const r = a.record;
    h.update(
      `${id}\t${a.source}\t${a.status}\t${r.project}\t${r.taskId}\t${r.faClass}\t${r.inServiceDate}\t${r.cost}\t${r.salvage}\t${r.lifeMonths}\t${r.method}\t${r.convention}\t${r.decliningBalanceRate}\t${r.quantity ?? ""}\t${a.accumulated}\t${a.rebase ? `${a.rebase.period}:${a.rebase.accumulatedBefore}${a.rebase.yearOpening ? `:yo${a.rebase.yearOpening.period}:${a.rebase.yearOpening.accumulated}` : ""}` : ""}${retiredText(r)}${formText(r)}${retirementsText(a)}\n`,
    );
  }
  for (const k of [...state.expensed.keys()].sort()) {
    const e = state.expensed.get(k)!;
    h.update(`E\t${k}\t${e.amount}\t${e.account}\t${e.faClass}\n`);
  }
  for (const k of [...state.classes.keys()].sort()) {
    const c = state.classes.get(k)!;
    h.update(`C\t${k}\t${c.cost}\t${c.accumulated}\t${c.reserve}\n`);
  }
  return h.digest("hex");
}
