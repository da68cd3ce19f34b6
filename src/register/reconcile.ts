import { type Classification, heldInCutoff } from "../capitalize/classify.js";
import type { AssetRecord, ExceptionRow, ExpensedItem } from "../capitalize/outcomes.js";
import { monthIndexOf, periodEndDate, periodOfMonthIndex, periodStartDate } from "../dates.js";
import { InputError, RegisterInputError } from "../errors.js";
import { type Cents, Dec, mulDivRoundHalfUp, toCents } from "../money.js";
import type { Rules } from "../rules/model.js";
import { fiscalYearMonths, fiscalYearOf } from "../depreciation/schedule.js";
import type { TaxDisposal } from "../depreciation/tax.js";
import { AssetBook } from "./book.js";
import {
  type AdjustmentKind,
  type AssetEvent,
  type ClassBalance,
  expensedKey,
  type Rebase,
  type RegisteredAsset,
  type RegisterState,
  type RetainedRecord,
  type RetiredPart,
  retiredOf,
} from "./model.js";
import { entersInThisClose, notInRegister, oneRowPerAsset, quantityProblem, type RetirementRequest, retiredFraction } from "./retirements.js";

/** One row of adjustments.csv: a change found since the register's last close. */
export interface AdjustmentRow {
  assetId: string;
  project: string;
  taskId: number | undefined;
  kind: AdjustmentKind;
  effectiveDate: string;
  costChange: Cents;
  accumulatedChange: Cents;
  depreciationCatchUp: Cents;
  faClass: string;
  previousFaClass: string;
  message: string;
}

/** One row of disposals.csv: a retirement posted in the period. */
export interface DisposalRow {
  assetId: string;
  project: string;
  faClass: string;
  date: string;
  portion: string;
  costRetired: Cents;
  accumulatedRetired: Cents;
  proceeds: Cents;
  removalCost: Cents;
  gainLoss: Cents;
  /** What leaves the class's accumulated depreciation: the asset's own (gain/loss) or cost − proceeds + removal (group). */
  accumulatedOnDisposal: Cents;
  reason: string;
  wholly: boolean;
  /** The tax book's figures for the part retired (set by the close; absent from reports of closes before fiber-capex figured them). */
  tax?: TaxDisposal | undefined;
}

/** Where an asset stood: its class, cost and accumulated depreciation. */
export interface AssetStanding {
  faClass: string;
  cost: Cents;
  accumulated: Cents;
}

/** One asset's period: where it stood, what changed, and where it stands at the period end. */
export interface AssetPeriod {
  assetId: string;
  /**
   * Where the asset stood as the register held it after its last close (undefined for an asset
   * new to the register). Its figures, not the registered record: the record may be dropped
   * once reconciled, which on a big register is most of a close's memory.
   */
  before: AssetStanding | undefined;
  /** Undefined when the asset leaves the register (withdrawn or wholly retired). */
  after: RegisteredAsset | undefined;
  /** The asset's attributes now (after changes), or as registered when it left. */
  record: AssetRecord;
  /** A first close's opening balance for an asset in service before the period (no journal). */
  takeOn: boolean;
  /** Placed in service in the period (an addition, not a late one). */
  addition: boolean;
  /** The period's own depreciation (GL), and the catch-up of earlier months posted with it. */
  depreciation: Cents;
  catchUp: Cents;
  /** Accumulated as posted before the period (or taken on), in the class it was in. */
  openingAccumulated: Cents;
  /** Where the asset stood at the period's start (as the register held it, or as a first close took it on), before any retirement in the period. */
  opening: AssetStanding | undefined;
  adjustments: AdjustmentRow[];
  disposal: DisposalRow | undefined;
  events: AssetEvent[];
  /** GL depreciation of the period's whole fiscal year (with `after`), for the tax report's book-to-tax difference. */
  fiscalYearDepreciation: Cents;
}

/**
 * Why an expense posted before is reversed: the task is capitalized now, an exception now, of no
 * financial effect now (its type's treatment), in service after the period now, or no longer
 * approved (or missing from a snapshot covering its project).
 */
export type ReversalWhy = "capitalized" | "exception" | "no_effect" | "later" | "withdrawn";

export interface ExpensePosting {
  item: ExpensedItem | undefined;
  project: string;
  taskId: number;
  account: string;
  faClass: string;
  /** The change to post in this period (negative reverses an earlier posting). */
  amount: Cents;
  /** A first close's history: recorded as posted, no journal. */
  takeOn: boolean;
  /**
   * Why a task expensed before is not expensed now (no `item`): its expense reversed because it
   * is capitalized now (its cost passed the threshold, or its type's treatment changed), is an
   * exception now, or lost its approval. With the task as it is now, where it is in the snapshot.
   */
  reversal?: { why: ReversalWhy; taskType: string | undefined; inServiceDate: string | undefined } | undefined;
}

export interface Reconciliation {
  assets: AssetPeriod[];
  expense: ExpensePosting[];
  /** Class balances as the register closed the previous period (empty on a first close). */
  opening: Map<string, ClassBalance>;
  /** Group-accounting residual per class after the period. */
  reserve: Map<string, Cents>;
  /** Render assets wholly retired (now or before) whose task is still approved in the snapshot. */
  retiredInSnapshot: number;
}

export interface ReconcileInput {
  state: RegisterState;
  period: string;
  rules: Rules;
  classification: Classification;
  /** Projects the snapshot covers: their registered assets are checked against it. */
  coveredProjects: ReadonlySet<string>;
  retirements: readonly RetirementRequest[];
}

const FINANCIAL: Array<[keyof AssetRecord, string]> = [
  ["faClass", "class"],
  ["lifeMonths", "life (months)"],
  ["method", "method"],
  ["convention", "convention"],
  ["decliningBalanceRate", "declining balance rate"],
  ["salvage", "salvage"],
  ["inServiceDate", "in-service date"],
  ["switchToStraightLine", "switch to straight line"],
  ["rounding", "rounding"],
  ["decliningBalanceYears", "declining balance years"],
];

/** The task as the register last saw it, retirements added back: what the snapshot is compared with. */
function wholeTask(r: AssetRecord): AssetRecord {
  const retired = retiredOf(r);
  if (!retired) return r;
  return { ...r, cost: r.cost + retired.cost, salvage: r.salvage + retired.salvage, quantity: plusQuantity(r.quantity, retired.quantity) };
}

function plusQuantity(a: string | undefined, b: string | undefined, sign = 1): string | undefined {
  if (a === undefined || b === undefined) return a;
  return new Dec(a).plus(new Dec(b).times(sign)).toString();
}

/** `now`'s cost (and the salvage and quantity that go with it) under `before`'s terms: every other field FINANCIAL lists. */
function withTermsOf(now: AssetRecord, before: AssetRecord): AssetRecord {
  const terms: Partial<Record<keyof AssetRecord, unknown>> = {};
  for (const [k] of FINANCIAL) if (k !== "salvage") terms[k] = before[k];
  return { ...now, ...terms } as AssetRecord;
}

function describeChanges(before: AssetRecord, now: AssetRecord): string[] {
  // Salvage follows cost (a percentage of it): a changed cost is the cost_change row's, not a reclassification.
  const fields = before.cost === now.cost ? FINANCIAL : FINANCIAL.filter(([k]) => k !== "salvage");
  const text = (k: keyof AssetRecord, v: unknown) => (k === "salvage" ? money(v as Cents) : String(v));
  return fields.filter(([k]) => before[k] !== now[k]).map(([k, label]) => `${label} ${text(k, before[k])} → ${text(k, now[k])}`);
}

const money = (c: Cents) => (c / 100).toFixed(2);

/**
 * The classification as the register sees asset ids: an asset id is one Render task's asset.
 * A task naming an id the register holds for another task (of another project, covered by
 * the snapshot or not, or of the same one) is a mistake in Render: it becomes a
 * DUPLICATE_ASSET_ID exception naming the registered task, and the registered asset goes on
 * as its own task says. Taking the task as the registered asset would have capitalized its
 * cost nowhere. Among tasks sharing an id in the snapshot, the registered task is therefore
 * not held back with the others: its asset stays in the register.
 */
export function holdBackClaimedIds(c: Classification, state: RegisterState): Classification {
  // A withdrawn asset's id is free again: its task let go of it (as before, a task naming it re-enters under it).
  const registered = (id: string) => {
    const r = state.assets.get(id);
    return r?.source === "render" && r.status !== "withdrawn" ? r.record : undefined;
  };
  const isTaskOf = (a: AssetRecord, r: AssetRecord) => a.project === r.project && a.taskId === r.taskId;
  const claim = (a: AssetRecord, r: AssetRecord): ExceptionRow => ({
    project: a.project,
    taskId: a.taskId,
    taskType: a.taskType,
    code: "DUPLICATE_ASSET_ID",
    message: `asset id ${a.assetId} is the register's asset of task ${r.project}#${r.taskId}; give task ${a.project}#${a.taskId} its own asset_id in Render`,
    severity: "error",
    inServiceDate: a.inServiceDate,
  });
  const kept: AssetRecord[] = [];
  // The snapshot's duplicate rows to replace, by task: a claim, or nothing for the registered task.
  const row = (x: { project: string; taskId: number | undefined; code: string }) => `${x.project}#${x.taskId}#${x.code}`;
  const replaced = new Map<string, ExceptionRow | undefined>();
  const sharedIds = c.sharedIds instanceof Map ? c.sharedIds : undefined; // a classification read back from JSON has none
  for (const [id, sharers] of sharedIds ?? []) {
    const r = registered(id);
    const owner = r && sharers.find((x) => isTaskOf(x.asset, r));
    if (!r || !owner) continue;
    kept.push(owner.asset);
    for (const x of sharers) replaced.set(row(x.exception), x === owner ? undefined : claim(x.asset, r));
  }
  const held = new Map<AssetRecord, ExceptionRow>();
  for (const a of c.assets) {
    const r = registered(a.assetId);
    if (r && !isTaskOf(a, r)) held.set(a, claim(a, r));
  }
  if (held.size === 0 && kept.length === 0) return c;
  const exceptions: ExceptionRow[] = [];
  for (const e of c.exceptions) {
    const now = replaced.has(row(e)) ? replaced.get(row(e)) : e;
    if (now) exceptions.push(now);
  }
  const cutoff = c.cutoff.map((x) => {
    const owner = kept.find((a) => a.project === x.project && a.taskId === x.taskId);
    return owner ? { ...x, outcome: "capitalized", amount: owner.cost } : x;
  });
  return {
    ...c,
    sharedIds: new Map([...(sharedIds ?? [])].filter(([id]) => !kept.some((a) => a.assetId === id))),
    assets: [...c.assets.filter((a) => !held.has(a)), ...kept],
    exceptions: [...exceptions, ...held.values()],
    cutoff: heldInCutoff(cutoff, new Set([...held.keys()].map((a) => `${a.project}#${a.taskId}`))),
  };
}

/**
 * The snapshot's assets in service by the period's end, by id: what the reconciliation
 * compares the register with. A registered Render asset of the same id and project takes its
 * attributes from here (unless part of it was retired), so the month-end needs only a summary
 * of its registered record (see recordSummary).
 */
export function assetsInService(c: Classification, period: string): Map<string, AssetRecord> {
  const end = periodEndDate(period);
  const current = new Map<string, AssetRecord>();
  for (const a of c.assets) if (a.inServiceDate <= end) current.set(a.assetId, a);
  return current;
}

/**
 * The period's movements of every asset, as a pure function of the register's state, the
 * snapshot's classification and the period (DESIGN §8). Under `changes_after_close: catch_up`
 * an asset's accumulated depreciation after the period is what its schedule gives from its
 * in-service date, so the register agrees with a fresh close of the same snapshot; under
 * `prospective` a changed asset spreads what is left over what is left of its life.
 */
export function reconcile(input: ReconcileInput): Reconciliation {
  const { state, period, rules, classification: c, coveredProjects } = input;
  const start = periodStartDate(period);
  const end = periodEndDate(period);
  const month = monthIndexOf(period);
  const fs = rules.fiscalYearStartMonth;
  const [fyFirst, fyLast] = fiscalYearMonths(fiscalYearOf(month, fs), fs);
  // What an asset rebased now had posted when its fiscal year began, by the book it had until
  // now (whose own rebase may know it): the year's book depreciation starts there.
  const yearOpening = (before: AssetBook): Rebase["yearOpening"] =>
    fyFirst < month ? { period: periodOfMonthIndex(fyFirst - 1), accumulated: before.accumulatedThroughMonth(fyFirst - 1) } : undefined;
  const firstClose = state.closes === 0;
  const prospective = rules.changesAfterClose === "prospective";
  const retirements = retirementsByAsset(input.retirements, start, end);
  const refuse = retirements.refuse;
  const current = assetsInService(c, period);

  const reserve = new Map<string, Cents>();
  for (const [k, v] of state.classes) reserve.set(k, v.reserve);
  const out: AssetPeriod[] = [];
  let retiredInSnapshot = 0;

  const ids = new Set<string>([...state.assets.keys(), ...current.keys()]);
  for (const assetId of [...ids].sort()) {
    const before = state.assets.get(assetId);
    const now = current.get(assetId);
    const retirement = retirements.byAsset.get(assetId);
    if (before?.status === "retired") {
      if (now) retiredInSnapshot++;
      if (retirement) refuse(retirement, `asset ${assetId} is already wholly retired`);
      continue;
    }
    const active = before?.status === "active" ? before : undefined;
    const reconciled = active !== undefined && active.source === "render" && coveredProjects.has(active.record.project);
    const standing = active ? { faClass: active.record.faClass, cost: active.record.cost, accumulated: active.accumulated } : undefined;
    const p: AssetPeriod = {
      assetId,
      before: standing,
      after: undefined,
      record: now ?? active?.record ?? (before!.record as AssetRecord),
      takeOn: false,
      addition: false,
      depreciation: 0,
      catchUp: 0,
      openingAccumulated: active?.accumulated ?? 0,
      opening: standing,
      adjustments: [],
      disposal: undefined,
      events: [],
      fiscalYearDepreciation: 0,
    };
    const event = (kind: AssetEvent["kind"], record: AssetRecord, rebase: Rebase | undefined, costChange: Cents, accumulatedChange: Cents, catchUp: Cents, message: string, status: AssetEvent["status"] = "active") =>
      p.events.push({ assetId, source: active?.source ?? "render", kind, record, status, rebase, costChange, accumulatedChange, catchUp, message });
    const adjust = (kind: AdjustmentKind, record: AssetRecord, costChange: Cents, accumulatedChange: Cents, catchUp: Cents, previousFaClass: string, message: string, effectiveDate: string) =>
      p.adjustments.push({
        assetId,
        project: record.project,
        taskId: record.taskId,
        kind,
        effectiveDate,
        costChange,
        accumulatedChange,
        depreciationCatchUp: catchUp,
        faClass: record.faClass,
        previousFaClass: previousFaClass,
        message,
      });

    // Where the asset stands once this period's changes are known, before its depreciation.
    let record: AssetRecord;
    let rebase: Rebase | undefined;
    let posted: Cents; // accumulated through the previous month, after any catch-up
    let book: AssetBook | undefined; // of `record` without a rebase, where one was needed already

    if (!active) {
      if (!now) {
        if (retirement) refuse(retirement, `asset ${assetId} was withdrawn (its Render task lost its approval); it cannot be retired`);
        continue; // withdrawn earlier and still not approved
      }
      // A task approved again after its asset was withdrawn: what was retired of it stays retired.
      record = before?.status === "withdrawn" ? retainedPart(now, before.record, assetId) : now;
      rebase = undefined;
      book = new AssetBook(record, fs, undefined);
      if (record.inServiceDate >= start) {
        p.addition = true;
        posted = 0;
        event("addition", record, undefined, record.cost, 0, 0, `placed in service ${record.inServiceDate}`);
        if (retirement) refuse(retirement, entersInThisClose(assetId, record.inServiceDate));
      } else if (firstClose && !before) {
        p.takeOn = true;
        posted = book.accumulatedThroughMonth(month - 1);
        p.openingAccumulated = posted;
        p.opening = { faClass: record.faClass, cost: record.cost, accumulated: posted };
        event("take_on", record, undefined, record.cost, posted, 0, `in service ${record.inServiceDate}, before the register's first close: taken on at its accumulated depreciation to ${periodEndDate(periodOfPrevious(period))}`);
      } else {
        posted = book.accumulatedThroughMonth(month - 1);
        p.catchUp = posted;
        // "Covered": the in-service month may predate the register, whose first close took it on.
        // A task the register expensed was not late: it is capitalized now (its expense reversed).
        const why = (state.expensed.get(expensedKey(record.project, record.taskId))?.amount ?? 0) !== 0
          ? "expensed before, capitalized now (its cost passed the threshold, or its type's treatment changed; the expense is reversed)"
          : state.firstClosed !== undefined && record.inServiceDate < periodStartDate(state.firstClosed)
            ? `in service ${record.inServiceDate.slice(0, 7)}, before the register's first period (${state.firstClosed}), and approved after it`
            : `approved after the close that covered its in-service month (${record.inServiceDate.slice(0, 7)})`;
        const message = `${why}; ${monthsBetween(record.inServiceDate, period)} month(s) of depreciation to ${periodEndDate(periodOfPrevious(period))} caught up`;
        adjust("late_addition", record, record.cost, posted, posted, record.faClass, message, record.inServiceDate);
        event("late_addition", record, undefined, record.cost, posted, posted, message);
        if (retirement) refuse(retirement, `asset ${assetId} enters the register in this close (approved late, in service ${record.inServiceDate}); retire it in a later period`);
      }
    } else if (reconciled && !now) {
      // In a covered project but no longer an approved, capitalized task in service: reversed.
      const why = withdrawalReason(c, active.record, end);
      adjust("withdrawal", active.record, -active.record.cost, -active.accumulated, -active.accumulated, active.record.faClass, why, start);
      event("withdrawal", active.record, active.rebase, -active.record.cost, -active.accumulated, -active.accumulated, why, "withdrawn");
      if (retirement) refuse(retirement, `asset ${assetId} is withdrawn in this close (${why}); it cannot be retired`);
      p.record = active.record;
      out.push(p);
      continue;
    } else {
      record = active.record;
      rebase = active.rebase;
      posted = active.accumulated;
      const registered = wholeTask(active.record);
      if (reconciled && now) {
        const changes = describeChanges(registered, now);
        const costChange = now.cost - registered.cost;
        if (changes.length || costChange !== 0) {
          record = retainedPart(now, active.record, assetId);
          // Under catch_up the schedule of what is left after a partial retirement is taken from
          // its in-service date again: the rebase the retirement left (in its period) would
          // otherwise keep the old life and cost in the months before it. Any other rebase (a
          // change made under prospective rules) is history the ledger holds, and stays.
          if (prospective) rebase = { period, accumulatedBefore: active.accumulated, yearOpening: yearOpening(new AssetBook(active.record, fs, active.rebase)) };
          else if (leftByRetirement(rebase, active.retirements?.at(-1)?.period)) rebase = undefined;
          const target = new AssetBook(record, fs, rebase).accumulatedThroughMonth(month - 1);
          const catchUp = prospective ? 0 : target - active.accumulated;
          posted = active.accumulated + catchUp;
          p.catchUp = catchUp;
          const effective = prospective ? start : record.inServiceDate;
          // A new cost and new terms (life, method, ...) at once: the cost_change row catches up
          // what the new cost alone would have, under the terms as they were, and the
          // reclassification row the rest, so that each row says what its catch-up is for.
          const costCatchUp = costChange === 0 ? 0 : changes.length === 0 ? catchUp : new AssetBook(withTermsOf(record, active.record), fs, rebase).accumulatedThroughMonth(month - 1) - active.accumulated;
          if (changes.length) {
            // Said of the asset as the register holds it: after a partial retirement, what is
            // left (its share of a new salvage), not the whole task.
            const shown = describeChanges(active.record, record);
            const message = `${(shown.length ? shown : changes).join("; ")} (rule ${record.ruleId})`;
            adjust("reclassification", record, 0, catchUp - costCatchUp, catchUp - costCatchUp, active.record.faClass, message, effective);
            event("reclassification", record, rebase, 0, catchUp - costCatchUp, catchUp - costCatchUp, message);
          }
          if (costChange !== 0) {
            const message = `task now prices to ${money(now.cost)} (was ${money(registered.cost)})${prospective ? "; the new cost is spread over the remaining life" : "; depreciation caught up to the new cost"}`;
            adjust("cost_change", record, costChange, costCatchUp, costCatchUp, active.record.faClass, message, effective);
            event("cost_change", record, rebase, costChange, costCatchUp, costCatchUp, message);
          }
        } else if (retiredOf(active.record) === undefined) {
          // Unchanged in every figure: the outputs show the task as Render holds it now (its
          // address, crew, description), and the register's copy is no longer needed in memory.
          record = now;
        }
      }
    }

    // Retirement: the retired portion takes depreciation through the previous month only.
    if (retirement && (active || p.takeOn) && retirements.acceptable(retirement, record)) {
      const fraction = retiredFraction(retirement, record.quantity);
      const wholly = fraction.gte(1);
      // The retired share of an amount, in cents (rounded half up).
      const share = (amount: Cents) => toCents(new Dec(amount).times(fraction).dividedBy(100));
      const costRetired = wholly ? record.cost : share(record.cost);
      const accumulatedRetired = wholly ? posted : share(posted);
      const nbv = costRetired - accumulatedRetired;
      const group = rules.retirementAccounting === "group";
      const gainLoss = group ? 0 : retirement.proceeds - retirement.removalCost - nbv;
      const accumulatedOnDisposal = group ? costRetired - retirement.proceeds + retirement.removalCost : accumulatedRetired;
      if (group) reserve.set(record.faClass, (reserve.get(record.faClass) ?? 0) - (accumulatedOnDisposal - accumulatedRetired));
      // A quantity with the asset's unit (40 ft): a bare 40 in disposals.csv could be anything.
      const portion =
        retirement.portion.kind === "all"
          ? "all"
          : retirement.portion.kind === "percent"
            ? `${retirement.portion.percent}%`
            : `${retirement.portion.quantity}${record.uom ? ` ${record.uom}` : ""}`;
      p.disposal = {
        assetId,
        project: record.project,
        faClass: record.faClass,
        date: retirement.date,
        portion,
        costRetired,
        accumulatedRetired,
        proceeds: retirement.proceeds,
        removalCost: retirement.removalCost,
        gainLoss,
        accumulatedOnDisposal,
        reason: retirement.reason,
        wholly,
      };
      const message = `retired ${portion} on ${retirement.date}${retirement.reason ? `: ${retirement.reason}` : ""}`;
      if (wholly) {
        event("retirement", record, rebase, -costRetired, -accumulatedRetired, 0, message, "retired");
        p.record = record;
        out.push(p);
        continue;
      }
      // What was posted when the fiscal year began, its retained share: a later change in the
      // year starts the year's book depreciation there (see Rebase.yearOpening).
      const opening = yearOpening(new AssetBook(record, fs, rebase));
      const salvageRetired = share(record.salvage);
      const quantityRetired = record.quantity === undefined ? undefined : retirement.portion.kind === "quantity" ? retirement.portion.quantity : new Dec(record.quantity).times(fraction);
      const earlier = retiredOf(record);
      const retired: RetiredPart = {
        cost: (earlier?.cost ?? 0) + costRetired,
        salvage: (earlier?.salvage ?? 0) + salvageRetired,
        quantity: quantityRetired === undefined ? earlier?.quantity : quantityRetired.plus(earlier?.quantity ?? 0).toString(),
      };
      record = {
        ...record,
        cost: record.cost - costRetired,
        salvage: record.salvage - salvageRetired,
        quantity: quantityRetired === undefined ? record.quantity : new Dec(record.quantity!).minus(quantityRetired).toString(),
        retired,
      } as RetainedRecord;
      posted -= accumulatedRetired;
      rebase = { period, accumulatedBefore: posted, yearOpening: opening && { period: opening.period, accumulated: opening.accumulated - share(opening.accumulated) } };
      event("retirement", record, rebase, -costRetired, -accumulatedRetired, 0, message);
    }

    if (book === undefined || book.record !== record || rebase !== undefined) book = new AssetBook(record, fs, rebase);
    // Rules that now run the schedule otherwise (another fiscal year start under the half-year
    // convention, another rounding): with no change of the asset's own, the schedule gives by
    // last month other than was posted. The difference, either way, is a change of its own
    // (caught up or reversed), so the period's depreciation stays the period's alone.
    const scheduleChange = (due: Cents, caughtUp: Cents) => {
      const message = `the schedule under the rules now in force gives ${money(due)} by ${periodEndDate(periodOfPrevious(period))}, ${caughtUp > 0 ? "more" : "less"} than the ${money(posted)} posted: ${money(Math.abs(caughtUp))} ${caughtUp > 0 ? "caught up" : "reversed"} (rule ${record.ruleId}; fiscal year from month ${fs})`;
      p.catchUp += caughtUp;
      adjust("reclassification", record, 0, caughtUp, caughtUp, record.faClass, message, start);
      event("reclassification", record, rebase, 0, caughtUp, caughtUp, message);
      posted = due;
    };
    if (active && p.adjustments.length === 0 && !p.disposal) {
      const due = book.accumulatedThroughMonth(month - 1);
      if (due !== posted) scheduleChange(due, due - posted);
    }
    // The period's own depreciation. A negative amount can only come from a basis cut below
    // what was posted; it is a catch-up (a reversal), never the period's depreciation, and it
    // belongs to the change that cut the basis.
    const accumulated = book.accumulatedThroughMonth(month);
    let depreciation = accumulated - posted;
    if (depreciation < 0) {
      p.catchUp += depreciation;
      const change = p.adjustments[p.adjustments.length - 1];
      if (change) {
        change.accumulatedChange += depreciation;
        change.depreciationCatchUp += depreciation;
        const e = p.events.findLast((x) => x.kind === change.kind)!;
        e.accumulatedChange += depreciation;
        e.catchUp += depreciation;
      }
      depreciation = 0;
    }
    p.depreciation = depreciation;
    // The fiscal year's book depreciation (tax.csv's book_amount), from the same book now, so
    // no asset's schedule outlives its reconciliation. After a partial retirement that book
    // starts at the retirement; what is left takes its schedule's share of the whole year
    // (the schedule is in proportion to cost), so the months before the retirement count too.
    const retiredAt = p.disposal ? period : active?.retirements?.at(-1)?.period;
    const yearBook = leftByRetirement(rebase, retiredAt) && (active?.source ?? "render") === "render" ? new AssetBook(record, fs, undefined) : book;
    p.fiscalYearDepreciation = yearBook.accumulatedThroughMonth(fyLast) - yearBook.accumulatedThroughMonth(fyFirst - 1);
    p.record = record;
    p.after = { source: active?.source ?? "render", record, status: "active", accumulated, rebase };
    out.push(p);
  }
  let unknown = 0;
  for (const r of input.retirements) if (!ids.has(r.assetId)) refuse(r, notInRegister(r.assetId, ids, ++unknown));
  retirements.throwIfRefused();

  return { assets: out, expense: reconcileExpense(state, c, rules, start, end, firstClose, coveredProjects), opening: new Map(state.classes), reserve, retiredInSnapshot };
}

/**
 * The asset a changed task makes, less what retirements already took of it: a correction of
 * the task's cost or quantity falls on the part still in service.
 */
/** Whether `rebase` is the one a partial retirement left: it starts in the period of the asset's latest retirement. */
function leftByRetirement(rebase: Rebase | undefined, lastRetiredIn: string | undefined): boolean {
  return rebase !== undefined && rebase.period === lastRetiredIn;
}

function retainedPart(now: AssetRecord, registered: AssetRecord, assetId: string): AssetRecord {
  const retired = retiredOf(registered);
  if (!retired) return now;
  const cost = now.cost - retired.cost;
  const quantity = plusQuantity(now.quantity, retired.quantity, -1);
  if (cost < 0 || (quantity !== undefined && new Dec(quantity).isNegative())) {
    throw new InputError(
      `task ${now.project}#${now.taskId}`,
      `now prices to ${money(now.cost)}${now.quantity === undefined ? "" : ` for ${now.quantity} ${now.uom ?? ""}`.trimEnd()}, less than was already retired of asset ${assetId} (${money(retired.cost)}${retired.quantity === undefined ? "" : `, ${retired.quantity} ${now.uom ?? ""}`.trimEnd()}); correct the task in Render and fetch again`,
    );
  }
  // Salvage is a share of cost. While the whole task's salvage is as registered, what is
  // left keeps its own (exactly the rest of it). When it changed (the rules' salvage_percent,
  // or a new cost), what is left takes its share of the new salvage and the retired part the
  // rest: subtracting the retired part's old salvage would load what is left with the retired
  // part's new one (beyond its cost, after a big retirement), and the whole task must add up
  // to Render's again, or every later close would see the change anew.
  if (now.salvage === registered.salvage + retired.salvage) return { ...now, cost, salvage: now.salvage - retired.salvage, quantity, retired } as RetainedRecord;
  const salvage = now.cost === 0 ? 0 : mulDivRoundHalfUp(now.salvage, cost, now.cost);
  return { ...now, cost, salvage, quantity, retired: { ...retired, salvage: now.salvage - salvage } } as RetainedRecord;
}

type Problem = { line: number; message: string };

/**
 * The period's retirement requests by asset, checked against the assets as this close
 * reconciles them (what only the close knows: an asset withdrawn or changed in this very
 * period, one a first close takes on). Every problem is collected, then thrown together.
 */
function retirementsByAsset(requests: readonly RetirementRequest[], start: string, end: string) {
  const problems: Problem[] = [];
  const byAsset = new Map<string, RetirementRequest>();
  const refuse = (r: RetirementRequest, message: string) => problems.push({ line: r.line, message });
  for (const r of requests) {
    const first = byAsset.get(r.assetId);
    if (first) refuse(r, oneRowPerAsset(r.assetId, first.line));
    else byAsset.set(r.assetId, r);
    if (r.date < start || r.date > end) refuse(r, `date ${r.date} is not in the period being closed (${start} to ${end})`);
  }
  return {
    byAsset,
    refuse,
    /** Whether the request fits the asset as it stands in the period (after any change). */
    acceptable(r: RetirementRequest, record: AssetRecord): boolean {
      const before = problems.length;
      if (r.date < record.inServiceDate) refuse(r, `date ${r.date} is before the asset's in-service date ${record.inServiceDate}`);
      const quantity = quantityProblem(r, record);
      if (quantity) refuse(r, quantity);
      return problems.length === before;
    },
    throwIfRefused(): void {
      if (problems.length === 0) return;
      problems.sort((a, b) => a.line - b.line);
      throw new RegisterInputError(requests[0]?.file ?? "retirements", problems, "retirements file");
    },
  };
}

function periodOfPrevious(period: string): string {
  const m = monthIndexOf(period) - 1;
  const y = Math.floor(m / 12);
  return `${String(y).padStart(4, "0")}-${String(m - y * 12 + 1).padStart(2, "0")}`;
}

function monthsBetween(date: string, period: string): number {
  return monthIndexOf(period) - monthIndexOf(date);
}

function withdrawalReason(c: Classification, record: AssetRecord, end: string): string {
  const same = (x: { project: string; taskId: number | undefined }) => x.project === record.project && x.taskId === record.taskId;
  const later = c.assets.find(same);
  if (later && later.assetId !== record.assetId) return `task ${record.project}#${record.taskId} now carries asset id ${later.assetId}; reversed under ${record.assetId}`;
  if (later) return `task ${record.project}#${record.taskId} is now in service on ${later.inServiceDate}, after ${end}; reversed until then`;
  const exception = c.exceptions.find(same);
  if (exception) return `task ${record.project}#${record.taskId} is now an exception (${exception.code}); reversed until it is resolved`;
  const expensed = c.expensed.find(same);
  if (expensed) return `task ${record.project}#${record.taskId} is now ${expensed.treatment === "expense" ? "expensed" : "of no financial effect"} (${expensed.reason}); reversed out of the register`;
  return `task ${record.project}#${record.taskId} lost its approval, was rejected or is missing from the snapshot, which covers project ${record.project}; reversed`;
}

/** The expense to post: every expensed task's amount less what the register already posted for it. */
function reconcileExpense(state: RegisterState, c: Classification, rules: Rules, start: string, end: string, firstClose: boolean, covered: ReadonlySet<string>): ExpensePosting[] {
  const out: ExpensePosting[] = [];
  const seen = new Set<string>();
  for (const e of c.expensed) {
    if (e.treatment !== "expense" || e.inServiceDate > end) continue;
    const key = expensedKey(e.project, e.taskId);
    seen.add(key);
    const takeOn = firstClose && !state.expensed.has(key) && e.inServiceDate < start;
    const amount = takeOn ? e.amount : e.amount - (state.expensed.get(key)?.amount ?? 0);
    const account = e.account ?? rules.belowThresholdAccount;
    const faClass = rules.taskTypes.get(e.taskType)?.faClass ?? "";
    if (amount !== 0) out.push({ item: e, project: e.project, taskId: e.taskId, account, faClass, amount, takeOn });
  }
  // What the tasks expensed before and not now are instead, for their reversal's row and memo.
  const now = new Map<string, NonNullable<ExpensePosting["reversal"]>>();
  const unexpensed = [...state.expensed].filter(([key, posted]) => posted.amount !== 0 && !seen.has(key));
  if (unexpensed.length) {
    // Later lists win: an asset over an exception over an expensed row of the same task.
    for (const x of c.expensed) now.set(expensedKey(x.project, x.taskId), { why: x.inServiceDate > end ? "later" : "no_effect", taskType: x.taskType, inServiceDate: x.inServiceDate });
    for (const x of c.exceptions) if (x.taskId !== undefined) now.set(expensedKey(x.project, x.taskId), { why: "exception", taskType: x.taskType, inServiceDate: x.inServiceDate });
    for (const a of c.assets) now.set(expensedKey(a.project, a.taskId), { why: a.inServiceDate > end ? "later" : "capitalized", taskType: a.taskType, inServiceDate: a.inServiceDate });
  }
  for (const [key, posted] of unexpensed) {
    const cut = key.lastIndexOf("#");
    const project = key.slice(0, cut);
    if (!covered.has(project)) continue;
    const reversal = now.get(key) ?? { why: "withdrawn", taskType: undefined, inServiceDate: undefined };
    out.push({ item: undefined, project, taskId: Number(key.slice(cut + 1)), account: posted.account, faClass: posted.faClass, amount: -posted.amount, takeOn: false, reversal });
  }
  return out;
}
