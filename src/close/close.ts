import { join } from "node:path";
import { type Classification, type CutoffCandidate, classifyRecords, projectZones } from "../capitalize/classify.js";
import type { AssetRecord, ExceptionRow, ExpensedItem } from "../capitalize/outcomes.js";
import { monthIndexOf, parsePeriod, periodEndDate, periodStartDate, shiftDate } from "../dates.js";
import { fiscalYearOf } from "../depreciation/schedule.js";
import { macrsDisposal, macrsYear, type TaxAsset, type TaxConvention, taxConventionsByYear, taxYearOf } from "../depreciation/tax.js";
import type { RecoveryYears } from "../depreciation/types.js";
import { InputError, SnapshotError } from "../errors.js";
import { assertBalanced, buildEntries, type JournalEntry, PostingBook } from "../ledger/journal.js";
import { type Cents, checkTotal, formatCents } from "../money.js";
import { type AssetBalance, type AssetEvent, type AssetRetirement, type AssetSource, type ClassBalance, type EarlierRetirementsTax, emptyRegisterState, ledgerKey, midQuarterBasis, type RegisterState, stateDigest } from "../register/model.js";
import { type AdjustmentRow, type DisposalRow, type ExpensePosting, holdBackClaimedIds, type ReversalWhy, reconcile } from "../register/reconcile.js";
import type { RetirementRequest } from "../register/retirements.js";
import type { Rules } from "../rules/model.js";
import type { Snapshot } from "../snapshot/reader.js";
import { checkIdentities, type Identity } from "./identities.js";
import { periodEndsAt } from "./period.js";

export interface TaxFigures {
  taxYear: number;
  recoveryYears: RecoveryYears;
  convention: TaxConvention;
  amount: Cents;
  accumulated: Cents;
  remainingBasis: Cents;
  /** GL depreciation of the same fiscal year, for the book-to-tax difference. */
  bookAmount: Cents;
}

/** One asset in the register at period end, with its figures for the period. */
export interface RegisterEntry {
  asset: AssetRecord;
  /** From a Render task, or taken on from another system (capex register import). */
  source: AssetSource;
  openingAccumulated: Cents;
  amount: Cents;
  /** The period's changes to the asset's accumulated depreciation besides its own depreciation: catch-ups and reversals (signed). */
  accumulatedAdjustments: Cents;
  /** Accumulated depreciation retired with a part of the asset in the period. */
  accumulatedRetired: Cents;
  /** openingAccumulated + amount + accumulatedAdjustments − accumulatedRetired. */
  accumulated: Cents;
  netBookValue: Cents;
  tax: TaxFigures;
}

export interface RollforwardRow {
  faClass: string;
  openingCost: Cents;
  additions: Cents;
  disposals: Cents;
  closingCost: Cents;
  openingAccumulated: Cents;
  depreciation: Cents;
  closingAccumulated: Cents;
  openingNbv: Cents;
  closingNbv: Cents;
  /** Late additions, cost changes and withdrawals (signed). */
  costAdjustments: Cents;
  /** Cost moved between classes by reclassification (signed; Σ over classes = 0). */
  transfers: Cents;
  /** Depreciation caught up and withdrawals' depreciation reversed (signed). */
  accumulatedAdjustments: Cents;
  accumulatedTransfers: Cents;
  accumulatedOnDisposals: Cents;
}

/**
 * A class's tie to the previous period: it opens at what the register posted for it plus what
 * this close takes on (after a take-on import, the Render work in service before the period).
 * `postedCost` and `postedAccumulated` include what was taken on, which the `takenOn` figures
 * say (absent from periods closed before fiber-capex kept them).
 */
export interface ContinuityRow {
  faClass: string;
  postedCost: Cents;
  openingCost: Cents;
  postedAccumulated: Cents;
  openingAccumulated: Cents;
  takenOnCost?: Cents;
  takenOnAccumulated?: Cents;
}

export interface TaxClassRow {
  faClass: string;
  taxYear: number;
  taxAmount: Cents;
  bookAmount: Cents;
  difference: Cents;
}

/**
 * A tax year's deduction as it stands at a period end: the year's amounts of the assets in
 * service (tax.csv) and the deduction for the year of disposition of what the year retired,
 * this period (disposals.csv) and earlier (as their closes posted it).
 */
export interface TaxYearToDate {
  taxYear: number;
  inService: Cents;
  retirements: Cents;
  /** Of the tax year's earlier months, from the register (undefined on the year's first month or without a register). */
  earlier: EarlierRetirementsTax | undefined;
  /** inService + retirements + earlier.amount. */
  total: Cents;
  /**
   * The deduction of the earlier tax years on this period's cost changes, late additions and
   * withdrawals of assets placed in service in those years (in tax_accumulated, in no year's
   * tax_amount). Not part of `total`.
   */
  earlierYearsOnChanges: Cents;
  /** Of earlierYearsOnChanges, what falls on unchanged assets of a tax year whose mid-quarter test the changes turned. */
  earlierYearsOnConventions: Cents;
}

/** A task's expense reversed in the period (see CloseResult.expenseReversals); `amount` is what the period posts (negative). */
export interface ExpenseReversal {
  project: string;
  taskId: number;
  account: string;
  amount: Cents;
  why: ReversalWhy;
  /** The task as it is now (its asset or exception row), when the snapshot holds it. */
  taskType: string | undefined;
  inServiceDate: string | undefined;
}

export interface CloseResult {
  period: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  /** Construction in progress: the account capitalization and expensing credit. */
  cipAccount: string;
  taxYear: number;
  rules: { file: string; version: string; sha256: string };
  snapshot: { dir: string; manifestSha256: string; fetchedAt: string; apiBaseUrl: string };
  /** True when the period had not ended when the snapshot was fetched (closed with allowOpenPeriod). */
  openPeriod: boolean;
  /** The register before the period: its latest closed period and the digest of its state. */
  registerBefore: { lastClosed: string | undefined; digest: string; firstClose: boolean };
  /**
   * What the close took on as opening balances, with no journal (DESIGN §8): on a register that
   * had closed no period (after a take-on import too), the Render work in service before the
   * period. Counted when taken on, so an asset retired in the same close still counts.
   * Undefined when it took on nothing.
   */
  takenOn: { assets: number; cost: Cents; accumulated: Cents } | undefined;
  /** Assets in the register at the period end, by asset id. */
  register: RegisterEntry[];
  /** The register entries placed in service during the period. */
  additions: RegisterEntry[];
  /** Changes since the register's last close (DESIGN §8). */
  adjustments: AdjustmentRow[];
  /** Retirements posted in the period. */
  disposals: DisposalRow[];
  /** Expensed and no-effect tasks in service on or before the period end. */
  expensed: ExpensedItem[];
  /** Expense posted in the period per task ("PROJECT#taskId"): new, late or changed expensed work. */
  expensePosted: Map<string, Cents>;
  /**
   * Tasks expensed before and not now (see ReversalWhy), whose expense the period reverses and
   * which expensed.csv does not list already: it lists them after `expensed`, so that its
   * posted amounts add up to the expense journal.
   */
  expenseReversals: ExpenseReversal[];
  exceptions: ExceptionRow[];
  /** Tasks in service in the last three days of the period or the first three of the next (the auditor's cut-off test). */
  cutoff: CutoffCandidate[];
  /**
   * The projects the snapshot covers (fetched, or holding a task), sorted: the register
   * reconciles only their assets, and capex label unmarks only their tasks.
   */
  coveredProjects: string[];
  journal: JournalEntry[];
  rollforward: RollforwardRow[];
  taxByClass: TaxClassRow[];
  /** The tax book's deduction of the period's tax year as it stands at the period end (reporting only). */
  taxYearToDate: TaxYearToDate;
  identities: Identity[];
  /** What the close commits to the register (see PeriodPosting). */
  posting: {
    events: AssetEvent[];
    balances: AssetBalance[];
    classes: ClassBalance[];
    openingBalances: Array<{ account: string; faClass: string; balance: Cents }>;
    expensed: Array<{ project: string; taskId: number; amount: Cents; account: string; faClass: string; takeOn: boolean }>;
  };
  /** The two ties with the register, per class account (DESIGN §4 continuity). */
  ties: {
    continuity: ContinuityRow[] | undefined;
    /** accountName: the rules' name of the account (absent from the reports of closes before fiber-capex 0.6.0). */
    ledger: Array<{ account: string; accountName?: string; faClass: string; ledger: Cents; register: Cents }>;
  };
  counts: {
    tasksRead: number;
    notApproved: number;
    approvedAfterPeriod: number;
    register: number;
    /** Register entries whose task is in this snapshot (imported assets and other projects' are not). */
    registerFromSnapshot: number;
    retiredInSnapshot: number;
    additions: number;
    adjustments: number;
    disposals: number;
    expensed: number;
    expensedInPeriod: number;
    exceptions: number;
    exceptionsByCode: Record<string, number>;
  };
  controlTotals: {
    additions: Cents;
    depreciation: Cents;
    costAdjustments: Cents;
    accumulatedAdjustments: Cents;
    disposals: Cents;
    gainLoss: Cents;
    expensedInPeriod: Cents;
    taxDepreciation: Cents;
    closingCost: Cents;
    closingAccumulated: Cents;
    closingNbv: Cents;
  };
}

export interface CloseInput {
  snapshot: Snapshot;
  rules: Rules;
  period: string;
  /** The register as it stood after its latest closed period (empty: a first close takes on history). */
  register?: RegisterState;
  /** Checked retirements to post in the period (see checkRetirements). */
  retirements?: readonly RetirementRequest[];
  /** A classification already made of this snapshot with these rules (else it is made here). */
  classification?: Classification;
  /**
   * Close a period that had not ended when the snapshot was fetched (`--allow-open-period`):
   * approvals still to come are missing, so the result is provisional and marked so.
   */
  allowOpenPeriod?: boolean;
  /**
   * Let the close empty `register.assets` once it has reconciled them, so the registered
   * records do not stay in memory beside the snapshot's through depreciation and the journal
   * (on a register of a million assets, most of a gigabyte). Set by the month-end, which
   * loads the state for this close only; a caller that reuses the state leaves it unset.
   */
  releaseRegister?: boolean;
  /**
   * The retirements' tax deduction posted in the tax year's months before this one
   * (RegisterStore.earlierRetirementsTax), for taxYearToDate. Left out, the year to date counts
   * this period's retirements only: right for a close without a register, which has no earlier months.
   */
  earlierRetirementsTax?: EarlierRetirementsTax | undefined;
  onStage?: (stage: string) => void;
}

/**
 * Whether the period was still open when the snapshot was fetched, in the time zone of any of
 * its projects; refused unless the caller allows it.
 */
function checkPeriodEnded(snapshot: Snapshot, rules: Rules, period: string, allowOpenPeriod: boolean): boolean {
  const fetchedAtText = snapshot.manifest.fetched_at;
  const fetchedAt = typeof fetchedAtText === "string" ? Date.parse(fetchedAtText) : Number.NaN;
  if (Number.isNaN(fetchedAt)) {
    throw new SnapshotError(join(snapshot.dir, "manifest.json"), `fetched_at ${JSON.stringify(fetchedAtText)} is not a time; fetch the snapshot again with capex fetch`);
  }
  const { zones } = projectZones(snapshot.projects, rules);
  const timeZones = zones.size ? [...zones.values()].map((z) => z.timeZone) : [rules.defaultTimeZone];
  const endsAt = periodEndsAt(period, timeZones);
  const open = fetchedAt < endsAt;
  // A provisional close is of the period in progress, never of one that had not begun
  // anywhere on Earth (UTC+14 is the first zone into a month).
  if (open && fetchedAt < Date.parse(`${periodStartDate(period)}T00:00:00+14:00`)) {
    throw new InputError("--period", `${period} had not begun when the snapshot was fetched (${fetchedAtText}); a period can be closed, provisionally, from the month it is in`);
  }
  if (open && !allowOpenPeriod) {
    throw new InputError(
      "--period",
      `${period} had not ended when the snapshot was fetched (${fetchedAtText}; it ends ${new Date(endsAt).toISOString()} in the projects' time zones), ` +
        "so work approved after the fetch would be missing. Fetch again after the period ends, " +
        "or pass --allow-open-period (allowOpenPeriod in the library) to close it provisionally",
    );
  }
  return open;
}

/** Three days either side of the period end, as local in-service dates. */
function cutoffWindow(periodEnd: string): { from: string; to: string } {
  return { from: shiftDate(periodEnd, -2), to: shiftDate(periodEnd, 3) };
}

const byTask = <T extends { project: string; taskId: number | undefined }>(a: T, b: T) =>
  a.project < b.project ? -1 : a.project > b.project ? 1 : (a.taskId ?? -1) - (b.taskId ?? -1);

function emptyRow(faClass: string): RollforwardRow {
  return {
    faClass,
    openingCost: 0,
    additions: 0,
    disposals: 0,
    closingCost: 0,
    openingAccumulated: 0,
    depreciation: 0,
    closingAccumulated: 0,
    openingNbv: 0,
    closingNbv: 0,
    costAdjustments: 0,
    transfers: 0,
    accumulatedAdjustments: 0,
    accumulatedTransfers: 0,
    accumulatedOnDisposals: 0,
  };
}

/** What a close checks before any work; returns whether the period is still open (and may be closed so). */
function checkCloseInput(input: CloseInput): boolean {
  // Plain JavaScript callers get a typed error naming what is missing, not a TypeError inside.
  if (!input?.snapshot?.manifest) throw new InputError("snapshot", "a close needs the snapshot opened by openSnapshot(dir)");
  if (!input.rules?.taskTypes) throw new InputError("rules", "a close needs the rules loaded by loadRules(file) or loadDefaultRules()");
  parsePeriod(input.period, "--period");
  const openPeriod = checkPeriodEnded(input.snapshot, input.rules, input.period, input.allowOpenPeriod ?? false);
  if ((input.retirements?.length ?? 0) > 0 && !input.rules.disposal) {
    throw new InputError("rules", `${input.rules.file} has no disposal section (clearing_account, gain_account, loss_account); add one before retiring assets`);
  }
  return openPeriod;
}

function classifyChecked(input: CloseInput): Promise<Classification> {
  input.onStage?.("classify");
  return classifyRecords(input.snapshot.batches(), input.rules, input.snapshot.projects, { fetchedAt: input.snapshot.manifest.fetched_at, cutoff: cutoffWindow(periodEndDate(input.period)) });
}

/**
 * The snapshot classified as `closePeriod` would (cut-off window of the period's end), after
 * the checks a close makes before any work: for a caller that needs the classification before
 * the register's state (the month-end reads only a summary of each asset the snapshot holds).
 */
export function classifyForClose(input: CloseInput): Promise<Classification> {
  checkCloseInput(input);
  return classifyChecked(input);
}

const NO_RETIREMENTS: readonly AssetRetirement[] = [];

/** An account's name in the rules (its number where the rules name none). */
const accountNameIn = (rules: Rules, account: string) => rules.accounts.get(account) ?? account;

/**
 * The month-end close, in memory and pure: the same snapshot, rules, period and register
 * state give the same result. Reconciles the register with the snapshot, depreciates every
 * registered asset, posts retirements, and builds journals and the rollforward. Throws
 * LedgerImbalanceError or IdentityError, as bugs, before anything could be written.
 */
export async function closePeriod(input: CloseInput): Promise<CloseResult> {
  // Checked before it is read, so a missing input is an InputError, not a TypeError.
  const openPeriod = checkCloseInput(input);
  const { snapshot, rules, period } = input;
  const state = input.register ?? emptyRegisterState();
  const periodStart = periodStartDate(period);
  const periodEnd = periodEndDate(period);
  const month = monthIndexOf(period);
  const fs = rules.fiscalYearStartMonth;
  const c = holdBackClaimedIds(input.classification ?? (await classifyChecked(input)), state);

  input.onStage?.("reconcile");
  const covered = new Set<string>(snapshot.projects.map((p) => p.short_name));
  for (const list of [c.assets, c.expensed, c.exceptions]) for (const x of list) if (x.project) covered.add(x.project);
  const firstClose = state.lastClosed === undefined || (state.closes === 0 && state.classes.size === 0);
  const registerBefore = { lastClosed: state.lastClosed, digest: stateDigest(state), firstClose };
  const rec = reconcile({ state, period, rules, classification: c, coveredProjects: covered, retirements: input.retirements ?? [] });
  // For the mid-quarter test: what earlier closes retired of each asset, and the assets they
  // retired whole (still counted in the test of the year they were placed in service).
  const retiredBefore = new Map<string, readonly AssetRetirement[]>();
  const retiredEarlier: Array<{ cost: Cents; inServiceDate: string }> = [];
  for (const [id, a] of state.assets) {
    if (!a.retirements) continue;
    retiredBefore.set(id, a.retirements);
    if (a.status === "retired") retiredEarlier.push({ cost: midQuarterBasis(a.record, a.retirements, true, fs), inServiceDate: a.record.inServiceDate });
  }
  const earlierBefore = earlierTaxYearsBefore(state, rec.assets, fs);
  if (input.releaseRegister) state.assets.clear();

  input.onStage?.("depreciate");
  const inScope = (date: string | undefined) => date === undefined || date <= periodEnd;
  const taxYear = fiscalYearOf(month, fs);
  const staying = rec.assets.filter((a) => a.after !== undefined);
  // Every asset placed in service, at what it counts for in its year's test (this close's
  // retirement included); a withdrawn one never was (its approval was taken back).
  const conventions = taxConventionsByYear(
    (function* () {
      for (const a of rec.assets) {
        if (a.after === undefined && !a.disposal?.wholly) continue;
        const earlier = retiredBefore.get(a.assetId) ?? NO_RETIREMENTS;
        const retirements = a.disposal ? [...earlier, { period, cost: a.disposal.costRetired }] : earlier;
        yield { cost: midQuarterBasis(a.record, retirements, a.after === undefined, fs), inServiceDate: a.record.inServiceDate };
      }
      yield* retiredEarlier;
    })(),
    fs,
  );
  /** An asset (or `cost` of it) as the tax book takes it: its class's recovery period, its year's convention. */
  const taxAssetOf = (asset: AssetRecord, cost: Cents, yearConventions: ReadonlyMap<number, TaxConvention> = conventions): TaxAsset => {
    const faClass = rules.classes.get(asset.faClass) ?? classGone(rules, asset.assetId, asset.faClass);
    const convention = yearConventions.get(taxYearOf(asset.inServiceDate, fs)) ?? "half_year";
    return { cost, inServiceDate: asset.inServiceDate, recoveryYears: faClass.taxRecoveryYears, convention, bonusPercent: rules.taxBonusPercent, fiscalYearStartMonth: fs };
  };
  const entryOf = (a: (typeof staying)[number]): RegisterEntry => {
    const asset = a.record;
    const after = a.after!;
    const taxAsset = taxAssetOf(asset, asset.cost);
    const tax = macrsYear(taxAsset, taxYear);
    return {
      asset,
      source: after.source,
      openingAccumulated: a.openingAccumulated,
      amount: a.depreciation,
      // What the period's changes caught up or reversed (each an adjustments.csv row).
      accumulatedAdjustments: a.catchUp,
      accumulatedRetired: a.disposal?.accumulatedRetired ?? 0,
      accumulated: after.accumulated,
      netBookValue: asset.cost - after.accumulated,
      // Field by field: a spread here gave each of a big register's entries a shape of its own.
      tax: {
        taxYear: tax.taxYear,
        amount: tax.amount,
        accumulated: tax.accumulated,
        remainingBasis: tax.remainingBasis,
        recoveryYears: taxAsset.recoveryYears,
        convention: taxAsset.convention,
        bookAmount: a.fiscalYearDepreciation,
      },
    };
  };
  // By project and task, as Render lists them (imported assets, which have no task, by id).
  const order = (a: AssetRecord, b: AssetRecord) => byTask(a, b) || (a.assetId < b.assetId ? -1 : a.assetId > b.assetId ? 1 : 0);
  staying.sort((a, b) => order(a.record, b.record));
  const register = staying.map(entryOf);
  const additions = register.filter((_, i) => staying[i]!.addition);
  const expensed = c.expensed.filter((e) => e.inServiceDate <= periodEnd).sort(byTask);
  const expensePosted = new Map<string, Cents>();
  const posted = rec.expense.filter((e) => !e.takeOn);
  for (const e of posted) expensePosted.set(`${e.project}#${e.taskId}`, e.amount);
  // A task still in expensed.csv (of no financial effect now) shows its reversal on its own row.
  const listed = new Set(expensed.map((e) => `${e.project}#${e.taskId}`));
  const expenseReversals = posted
    .filter((e) => e.reversal !== undefined && !listed.has(`${e.project}#${e.taskId}`))
    .map((e) => ({ project: e.project, taskId: e.taskId, account: e.account, amount: e.amount, ...e.reversal! }))
    .sort(byTask);
  const exceptions = c.exceptions.filter((e) => inScope(e.inServiceDate));
  // Each amount is bounded; their sum is bounded here once, so no total below can round.
  checkTotal(
    (function* () {
      for (const e of register) yield e.asset.cost;
      for (const e of expensed) yield e.amount;
    })(),
    snapshot.dir,
    `the costs of the assets and expensed tasks in service by ${periodEnd}`,
  );
  // The tax book is figured on each asset as it stands now, so a change to an asset placed in
  // service in an earlier tax year (its cost, its class, its being there at all) changes those
  // years' deduction, and so may the mid-quarter test of its year, for every asset of that
  // year: tax_accumulated takes it in, no year's tax_amount does. Each changed asset's first
  // adjustments.csv row says how much against the register before this close, and the tax
  // summary sums it, for whoever files or amends those years.
  const earlier = earlierBefore && earlierTaxYearsNow(earlierBefore, rec.assets, taxYear - 1, fs, conventions, taxAssetOf);
  const adjustments = rec.assets.flatMap((a) => {
    const change = earlier?.byAsset.get(a.assetId);
    if (!change) return a.adjustments;
    const told = `${change > 0 ? "adds" : "takes"} ${formatCents(Math.abs(change))} ${change > 0 ? "to" : "off"}`;
    const [first, ...rest] = a.adjustments;
    return [{ ...first!, message: `${first!.message}; tax: this ${told} the deduction of the tax years to FY${taxYear - 1}, which no year's tax_amount shows` }, ...rest];
  });
  // Each disposal with the tax book's figures for what left (the part retired, at its cost).
  const disposals = rec.assets.flatMap((a) => (a.disposal ? [{ ...a.disposal, tax: macrsDisposal(taxAssetOf(a.record, a.disposal.costRetired), a.disposal.date) }] : []));

  input.onStage?.("journal");
  const journal = buildJournal(rules, period, periodEnd, rec.assets, posted);
  assertBalanced(journal);

  // The rollforward, class by class, from each asset's movements.
  const classes = new Map<string, RollforwardRow>();
  const taxClasses = new Map<string, TaxClassRow>();
  for (const name of rules.classes.keys()) {
    classes.set(name, emptyRow(name));
    taxClasses.set(name, { faClass: name, taxYear, taxAmount: 0, bookAmount: 0, difference: 0 });
  }
  const row = (name: string) => {
    let r = classes.get(name);
    if (!r) classes.set(name, (r = emptyRow(name)));
    return r;
  };
  for (const a of rec.assets) {
    if (a.opening) {
      const opening = row(a.opening.faClass);
      opening.openingCost += a.opening.cost;
      opening.openingAccumulated += a.opening.accumulated;
    }
    const cur = row(a.record.faClass);
    if (a.addition) cur.additions += a.record.cost;
    if (a.before && a.before.faClass !== a.record.faClass) {
      const from = row(a.before.faClass);
      from.transfers -= a.before.cost;
      cur.transfers += a.before.cost;
      from.accumulatedTransfers -= a.before.accumulated;
      cur.accumulatedTransfers += a.before.accumulated;
    }
    for (const adj of a.adjustments) {
      const r = adj.kind === "withdrawal" ? row(a.before!.faClass) : cur;
      r.costAdjustments += adj.costChange;
      r.accumulatedAdjustments += adj.accumulatedChange;
    }
    cur.depreciation += a.depreciation;
    if (a.disposal) {
      cur.disposals += a.disposal.costRetired;
      cur.accumulatedOnDisposals += a.disposal.accumulatedOnDisposal;
    }
  }
  for (const e of register) {
    const t = taxClasses.get(e.asset.faClass) ?? { faClass: e.asset.faClass, taxYear, taxAmount: 0, bookAmount: 0, difference: 0 };
    taxClasses.set(e.asset.faClass, t);
    t.taxAmount += e.tax.amount;
    t.bookAmount += e.tax.bookAmount;
  }
  const openingReserve = (k: string) => rec.opening.get(k)?.reserve ?? 0;
  const rollforward = [...classes.values()];
  for (const r of rollforward) {
    r.openingAccumulated += openingReserve(r.faClass);
    r.closingCost = r.openingCost + r.additions + r.costAdjustments + r.transfers - r.disposals;
    r.closingAccumulated = r.openingAccumulated + r.depreciation + r.accumulatedAdjustments + r.accumulatedTransfers - r.accumulatedOnDisposals;
    r.openingNbv = r.openingCost - r.openingAccumulated;
    r.closingNbv = r.closingCost - r.closingAccumulated;
  }
  const total = emptyRow("TOTAL");
  for (const r of rollforward) for (const k of Object.keys(total) as Array<keyof RollforwardRow>) if (k !== "faClass") (total[k] as number) += r[k] as number;
  rollforward.push(total);
  const taxByClass = [...taxClasses.values()].map((t) => ({ ...t, difference: t.taxAmount - t.bookAmount }));

  // What the register will hold after the period, and its ties to what it held before.
  const closingClasses: ClassBalance[] = [];
  for (const name of classes.keys()) {
    let cost = 0;
    let accumulated = 0;
    for (const e of register) {
      if (e.asset.faClass !== name) continue;
      cost += e.asset.cost;
      accumulated += e.accumulated;
    }
    const reserve = rec.reserve.get(name) ?? 0;
    closingClasses.push({ faClass: name, cost, accumulated: accumulated + reserve, reserve });
  }
  // What this close takes on from the snapshot (its first close: Render work in service before
  // the period, on an empty register or beside assets imported from another system).
  const takeOn = new Map<string, { cost: Cents; accumulated: Cents }>();
  const takenOn = { assets: 0, cost: 0, accumulated: 0 };
  for (const a of rec.assets) {
    if (!a.takeOn) continue;
    const t = takeOn.get(a.opening!.faClass) ?? { cost: 0, accumulated: 0 };
    t.cost += a.opening!.cost;
    t.accumulated += a.opening!.accumulated;
    takeOn.set(a.opening!.faClass, t);
    takenOn.assets++;
    takenOn.cost += a.opening!.cost;
    takenOn.accumulated += a.opening!.accumulated;
  }
  // Continuity: each class opens at what the register posted for the previous period, plus
  // what this close takes on (after an import, the Render work before the period).
  const continuity = firstClose
    ? undefined
    : [...classes.values()].map((r) => {
        const p = state.classes.get(r.faClass);
        const t = takeOn.get(r.faClass);
        return {
          faClass: r.faClass,
          postedCost: (p?.cost ?? 0) + (t?.cost ?? 0),
          openingCost: r.openingCost,
          postedAccumulated: (p?.accumulated ?? 0) + (t?.accumulated ?? 0),
          openingAccumulated: r.openingAccumulated,
          takenOnCost: t?.cost ?? 0,
          takenOnAccumulated: t?.accumulated ?? 0,
        };
      });
  const openingBalances: Array<{ account: string; faClass: string; balance: Cents }> = [];
  for (const r of classes.values()) {
    const k = rules.classes.get(r.faClass);
    const t = takeOn.get(r.faClass);
    if (!k || !t) continue;
    if (t.cost) openingBalances.push({ account: k.assetAccount, faClass: r.faClass, balance: t.cost });
    if (t.accumulated) openingBalances.push({ account: k.accumulatedDepreciationAccount, faClass: r.faClass, balance: -t.accumulated });
  }
  const ledgerAfter = new Map(state.ledger);
  const bump = (key: string, amount: Cents) => ledgerAfter.set(key, (ledgerAfter.get(key) ?? 0) + amount);
  for (const o of openingBalances) bump(ledgerKey(o.account, o.faClass), o.balance);
  for (const e of journal) for (const p of e.postings) bump(ledgerKey(p.account, p.faClass), p.debit - p.credit);
  const ledgerTies: CloseResult["ties"]["ledger"] = [];
  for (const cb of closingClasses) {
    const k = rules.classes.get(cb.faClass);
    if (!k) continue;
    const named = (account: string) => ({ account, accountName: accountNameIn(rules, account) });
    ledgerTies.push({ ...named(k.assetAccount), faClass: cb.faClass, ledger: ledgerAfter.get(ledgerKey(k.assetAccount, cb.faClass)) ?? 0, register: cb.cost });
    ledgerTies.push({ ...named(k.accumulatedDepreciationAccount), faClass: cb.faClass, ledger: -(ledgerAfter.get(ledgerKey(k.accumulatedDepreciationAccount, cb.faClass)) ?? 0), register: cb.accumulated });
  }

  const exceptionsByCode: Record<string, number> = {};
  for (const e of exceptions) exceptionsByCode[e.code] = (exceptionsByCode[e.code] ?? 0) + 1;
  const inServiceByEnd = c.assets.filter((a) => a.inServiceDate <= periodEnd).length;
  const approvedAfterPeriod =
    c.assets.length - inServiceByEnd + (c.expensed.length - expensed.length) + c.exceptions.filter((e) => !inScope(e.inServiceDate)).length;
  // Register entries whose task this snapshot holds (an imported asset under its Render asset id counts).
  const snapshotIds = new Set<string>();
  for (const a of c.assets) if (a.inServiceDate <= periodEnd) snapshotIds.add(a.assetId);
  const registerFromSnapshot = staying.filter((a) => snapshotIds.has(a.assetId)).length;
  const expensedInPeriod = posted.reduce((sum, e) => sum + e.amount, 0);
  const taxYearNow = taxYearToDate(taxYear, taxByClass, disposals, input.earlierRetirementsTax, earlier?.total ?? 0, earlier?.onConventions ?? 0);
  const result: CloseResult = {
    period,
    periodStart,
    periodEnd,
    currency: rules.currency,
    cipAccount: rules.cipAccount,
    taxYear,
    rules: { file: rules.file, version: rules.version, sha256: rules.sha256 },
    snapshot: { dir: snapshot.dir, manifestSha256: snapshot.manifestSha256, fetchedAt: snapshot.manifest.fetched_at, apiBaseUrl: snapshot.manifest.api_base_url },
    openPeriod,
    registerBefore,
    takenOn: takenOn.assets ? takenOn : undefined,
    register,
    additions,
    adjustments,
    disposals,
    expensed,
    expensePosted,
    expenseReversals,
    exceptions,
    coveredProjects: [...covered].sort(),
    cutoff: c.cutoff.filter((t) => t.inServiceDate >= cutoffWindow(periodEnd).from && t.inServiceDate <= cutoffWindow(periodEnd).to),
    journal,
    rollforward,
    taxByClass,
    taxYearToDate: taxYearNow,
    identities: [],
    posting: {
      events: rec.assets.flatMap((a) => a.events),
      balances: register.map((e) => ({ assetId: e.asset.assetId, depreciation: e.amount, accumulated: e.accumulated })),
      classes: closingClasses,
      openingBalances,
      expensed: rec.expense.map((e) => ({ project: e.project, taskId: e.taskId, amount: e.amount, account: e.account, faClass: e.faClass, takeOn: e.takeOn })),
    },
    ties: { continuity, ledger: ledgerTies },
    counts: {
      tasksRead: c.tasksRead,
      notApproved: c.notApproved,
      approvedAfterPeriod,
      register: register.length,
      registerFromSnapshot,
      retiredInSnapshot: rec.retiredInSnapshot + disposals.filter((d) => d.wholly && snapshotIds.has(d.assetId)).length,
      additions: additions.length,
      adjustments: adjustments.length,
      disposals: disposals.length,
      expensed: expensed.length,
      expensedInPeriod: posted.length,
      exceptions: exceptions.length,
      exceptionsByCode,
    },
    controlTotals: {
      additions: total.additions,
      depreciation: total.depreciation,
      costAdjustments: total.costAdjustments,
      accumulatedAdjustments: total.accumulatedAdjustments,
      disposals: total.disposals,
      gainLoss: disposals.reduce((sum, d) => sum + d.gainLoss, 0),
      expensedInPeriod,
      taxDepreciation: taxYearNow.inService,
      closingCost: total.closingCost,
      closingAccumulated: total.closingAccumulated,
      closingNbv: total.closingNbv,
    },
  };
  input.onStage?.("check");
  result.identities = checkIdentities(result);
  return result;
}

function taxYearToDate(
  taxYear: number,
  taxByClass: readonly TaxClassRow[],
  disposals: readonly DisposalRow[],
  earlier: EarlierRetirementsTax | undefined,
  earlierYearsOnChanges: Cents,
  earlierYearsOnConventions: Cents,
): TaxYearToDate {
  const inService = taxByClass.reduce((sum, t) => sum + t.taxAmount, 0);
  const retirements = disposals.reduce((sum, d) => sum + (d.tax?.amount ?? 0), 0);
  return { taxYear, inService, retirements, earlier, total: inService + retirements + (earlier?.amount ?? 0), earlierYearsOnChanges, earlierYearsOnConventions };
}

type Reconciled = ReturnType<typeof reconcile>["assets"];

/** Refuses an asset in a class the rules no longer define: its balances are in the register, its accounts nowhere. */
function classGone(rules: Rules, assetId: string, faClass: string): never {
  throw new InputError("rules", `asset ${assetId} is in class "${faClass}", which ${rules.file} no longer defines; add the class back (its balances are in the register)`);
}

/** What the tax book of earlier years stood on before this close: the changed assets' records and each year's convention. */
interface EarlierTaxYearsBefore {
  records: Map<string, AssetRecord>;
  conventions: Map<number, TaxConvention>;
}

/**
 * The register's view of the changed assets and of each tax year's convention, before this
 * close; undefined when nothing changed (nearly every close, which then pays nothing for it).
 */
function earlierTaxYearsBefore(state: RegisterState, assets: Reconciled, fs: number): EarlierTaxYearsBefore | undefined {
  const changed = assets.filter((a) => a.adjustments.length > 0);
  if (changed.length === 0) return undefined;
  const records = new Map<string, AssetRecord>();
  for (const a of changed) {
    const before = state.assets.get(a.assetId);
    if (before && before.status !== "withdrawn") records.set(a.assetId, before.record);
  }
  const conventions = taxConventionsByYear(
    (function* () {
      for (const a of state.assets.values()) {
        if (a.status === "withdrawn") continue;
        yield { cost: midQuarterBasis(a.record, a.retirements ?? NO_RETIREMENTS, a.status === "retired", fs), inServiceDate: a.record.inServiceDate };
      }
    })(),
    fs,
  );
  return { records, conventions };
}

/**
 * How much this close's changes move the tax book's accumulated deduction through `lastYear`
 * (the tax years before this one): by changed asset (its cost, class or presence, before and
 * now), plus what a turned mid-quarter test moves of the other assets of its year.
 */
function earlierTaxYearsNow(
  before: EarlierTaxYearsBefore,
  assets: Reconciled,
  lastYear: number,
  fs: number,
  conventions: ReadonlyMap<number, TaxConvention>,
  taxAssetOf: (asset: AssetRecord, cost: Cents, yearConventions?: ReadonlyMap<number, TaxConvention>) => TaxAsset,
): { byAsset: Map<string, Cents>; total: Cents; onConventions: Cents } {
  const through = (record: AssetRecord, cost: Cents, yearConventions: ReadonlyMap<number, TaxConvention>) =>
    cost === 0 || taxYearOf(record.inServiceDate, fs) > lastYear ? 0 : macrsYear(taxAssetOf(record, cost, yearConventions), lastYear).accumulated;
  const turned = new Set<number>();
  for (const [year, convention] of conventions) if (year <= lastYear && convention !== (before.conventions.get(year) ?? "half_year")) turned.add(year);
  for (const [year, convention] of before.conventions) if (year <= lastYear && convention !== (conventions.get(year) ?? "half_year")) turned.add(year);
  const byAsset = new Map<string, Cents>();
  let total = 0;
  let onConventions = 0;
  for (const a of assets) {
    // What this close retires of an asset is the disposal's, not a change of earlier years.
    const costNow = (a.after ? a.record.cost : 0) + (a.disposal?.costRetired ?? 0);
    if (a.adjustments.length > 0) {
      const was = before.records.get(a.assetId);
      const change = through(a.record, costNow, conventions) - (was ? through(was, was.cost, before.conventions) : 0);
      if (change !== 0) byAsset.set(a.assetId, change);
      total += change;
    } else if (turned.size > 0 && turned.has(taxYearOf(a.record.inServiceDate, fs))) {
      const change = through(a.record, costNow, conventions) - through(a.record, costNow, before.conventions);
      total += change;
      onConventions += change;
    }
  }
  return { byAsset, total, onConventions };
}

/** The memo of an expense reversed, by why (withdrawn: as it always read). */
const REVERSED = {
  capitalized: "reversed, capitalized now",
  exception: "reversed, an exception now",
  no_effect: "reversed, no financial effect now",
  later: "reversed, in service after the period now",
  withdrawn: "withdrawn",
} as const;

/** The period's journals: capitalization, expense and depreciation as before, then adjustments and retirements. */
function buildJournal(rules: Rules, period: string, date: string, assets: ReturnType<typeof reconcile>["assets"], expense: ExpensePosting[]): JournalEntry[] {
  const accountName = (account: string) => accountNameIn(rules, account);
  type Amounts = Map<string, Map<string, { debitAccount: string; creditAccount: string; faClass: string; amount: Cents; memo: string }>>;
  const add = (m: Amounts, project: string, key: string, seed: { debitAccount: string; creditAccount: string; faClass: string; memo: string }, amount: Cents) => {
    let byKey = m.get(project);
    if (!byKey) m.set(project, (byKey = new Map()));
    const cur = byKey.get(key);
    if (cur) cur.amount += amount;
    else byKey.set(key, { ...seed, amount });
  };
  const capitalization: Amounts = new Map();
  const depreciation: Amounts = new Map();
  const expenses: Amounts = new Map();
  const adjustments = new PostingBook();
  const disposals = new PostingBook();
  // An asset leaving a class the rules no longer define (reclassified or withdrawn from it)
  // cannot be posted out of accounts the rules no longer name: refused, as the tax book refuses.
  const classOf = (a: (typeof assets)[number], name: string) => rules.classes.get(name) ?? classGone(rules, a.assetId, name);
  for (const a of assets) {
    const k = classOf(a, a.record.faClass);
    const project = a.record.project;
    if (a.addition) {
      add(capitalization, project, k.name, { debitAccount: k.assetAccount, creditAccount: rules.cipAccount, faClass: k.name, memo: `${period} additions, ${k.name}` }, a.record.cost);
    }
    if (a.after) {
      add(depreciation, project, k.name, { debitAccount: k.depreciationExpenseAccount, creditAccount: k.accumulatedDepreciationAccount, faClass: k.name, memo: `${period} depreciation, ${k.name}` }, a.depreciation);
    }
    if (a.before && a.before.faClass !== a.record.faClass) {
      // Each side in its own class: the class dimension is what the GL tie and the ledger read.
      const from = classOf(a, a.before.faClass);
      const memo = `${period} reclassification ${from.name} → ${k.name}`;
      adjustments.add(project, k.name, memo, k.assetAccount, a.before.cost);
      adjustments.add(project, from.name, memo, from.assetAccount, -a.before.cost);
      adjustments.add(project, from.name, memo, from.accumulatedDepreciationAccount, a.before.accumulated);
      adjustments.add(project, k.name, memo, k.accumulatedDepreciationAccount, -a.before.accumulated);
    }
    for (const adj of a.adjustments) {
      const target = adj.kind === "withdrawal" ? classOf(a, a.before!.faClass) : k;
      const memo = `${period} ${adj.kind.replace("_", " ")}s, ${target.name}`;
      adjustments.pair(project, target.name, memo, target.assetAccount, rules.cipAccount, adj.costChange);
      adjustments.pair(project, target.name, memo, target.depreciationExpenseAccount, target.accumulatedDepreciationAccount, adj.kind === "withdrawal" ? adj.accumulatedChange : 0);
    }
    adjustments.pair(project, k.name, `${period} depreciation catch-up, ${k.name}`, k.depreciationExpenseAccount, k.accumulatedDepreciationAccount, a.catchUp);
    const d = a.disposal;
    if (d) {
      const accounts = rules.disposal!;
      const memo = `${period} retirements, ${k.name}`;
      disposals.add(project, k.name, memo, k.assetAccount, -d.costRetired);
      disposals.add(project, k.name, memo, accounts.clearingAccount, d.proceeds - d.removalCost);
      if (rules.retirementAccounting === "group") {
        disposals.add(project, k.name, memo, k.accumulatedDepreciationAccount, d.accumulatedOnDisposal);
      } else {
        disposals.add(project, k.name, memo, k.accumulatedDepreciationAccount, d.accumulatedRetired);
        if (d.gainLoss > 0) disposals.add(project, k.name, memo, accounts.gainAccount, -d.gainLoss);
        if (d.gainLoss < 0) disposals.add(project, k.name, memo, accounts.lossAccount, -d.gainLoss);
      }
    }
  }
  for (const e of expense) {
    const why = e.item ? (e.item.reason === "BELOW_THRESHOLD" ? "below the capitalization threshold" : e.item.taskType) : REVERSED[e.reversal?.why ?? "withdrawn"];
    add(expenses, e.project, `${e.account}|${e.faClass}`, { debitAccount: e.account, creditAccount: rules.cipAccount, faClass: e.faClass, memo: `${period} expensed, ${why}` }, e.amount);
  }
  return [
    ...buildEntries("capitalization", period, date, rules.currency, accountName, capitalization),
    ...buildEntries("expense", period, date, rules.currency, accountName, expenses),
    ...buildEntries("depreciation", period, date, rules.currency, accountName, depreciation),
    ...adjustments.entries("adjustment", period, date, rules.currency, accountName),
    ...disposals.entries("disposal", period, date, rules.currency, accountName),
  ];
}
