import { join } from "node:path";
import { type Classification, classifyRecords, projectZones } from "../capitalize/classify.js";
import type { AssetRecord, ExceptionRow, ExpensedItem } from "../capitalize/outcomes.js";
import { monthIndexOf, parsePeriod, periodEndDate, periodStartDate } from "../dates.js";
import { DepreciationSchedule, fiscalYearOf } from "../depreciation/schedule.js";
import { macrsYear, type TaxConvention, taxConventionsByYear, taxYearOf } from "../depreciation/tax.js";
import type { RecoveryYears } from "../depreciation/types.js";
import { type Cents, checkTotal } from "../money.js";
import { InputError, SnapshotError } from "../errors.js";
import { assertBalanced, buildEntries, type JournalEntry } from "../ledger/journal.js";
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
  openingAccumulated: Cents;
  amount: Cents;
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
}

export interface TaxClassRow {
  faClass: string;
  taxYear: number;
  taxAmount: Cents;
  bookAmount: Cents;
  difference: Cents;
}

export interface CloseResult {
  period: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  taxYear: number;
  rules: { file: string; version: string; sha256: string };
  snapshot: { dir: string; manifestSha256: string; fetchedAt: string; apiBaseUrl: string };
  /** True when the period had not ended when the snapshot was fetched (closed with allowOpenPeriod). */
  openPeriod: boolean;
  /** Assets in service on or before the period's last day, by project and task id. */
  register: RegisterEntry[];
  /** The register entries placed in service during the period. */
  additions: RegisterEntry[];
  /** Expensed and no-effect tasks in service on or before the period end. */
  expensed: ExpensedItem[];
  exceptions: ExceptionRow[];
  journal: JournalEntry[];
  rollforward: RollforwardRow[];
  taxByClass: TaxClassRow[];
  identities: Identity[];
  counts: {
    tasksRead: number;
    notApproved: number;
    approvedAfterPeriod: number;
    register: number;
    additions: number;
    expensed: number;
    expensedInPeriod: number;
    exceptions: number;
    exceptionsByCode: Record<string, number>;
  };
  controlTotals: {
    additions: Cents;
    depreciation: Cents;
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
  /** A classification already made of this snapshot with these rules (else it is made here). */
  classification?: Classification;
  /**
   * Close a period that had not ended when the snapshot was fetched (`--allow-open-period`):
   * approvals still to come are missing, so the result is provisional and marked so.
   */
  allowOpenPeriod?: boolean;
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

const byTask = <T extends { project: string; taskId: number | undefined }>(a: T, b: T) =>
  a.project < b.project ? -1 : a.project > b.project ? 1 : (a.taskId ?? -1) - (b.taskId ?? -1);

function fiscalYearMonths(fiscalYear: number, startMonth: number): [number, number] {
  const first = startMonth === 1 ? fiscalYear * 12 : (fiscalYear - 1) * 12 + startMonth - 1;
  return [first, first + 11];
}

/**
 * The month-end close, in memory and pure: the same snapshot, rules and period give the
 * same result. Opening balances come from the same snapshot (what the register held at the
 * end of the previous period), so the rollforward ties without stored state. Throws
 * LedgerImbalanceError or IdentityError, as bugs, before anything could be written.
 */
export async function closePeriod(input: CloseInput): Promise<CloseResult> {
  const { snapshot, rules, period } = input;
  parsePeriod(period, "--period");
  const openPeriod = checkPeriodEnded(snapshot, rules, period, input.allowOpenPeriod ?? false);
  const periodStart = periodStartDate(period);
  const periodEnd = periodEndDate(period);
  const month = monthIndexOf(period);
  const fs = rules.fiscalYearStartMonth;
  input.onStage?.("classify");
  const c = input.classification ?? (await classifyRecords(snapshot.batches(), rules, snapshot.projects, { fetchedAt: snapshot.manifest.fetched_at }));

  input.onStage?.("depreciate");
  const inScope = (date: string | undefined) => date === undefined || date <= periodEnd;
  const assets = c.assets.filter((a) => a.inServiceDate <= periodEnd).sort(byTask);
  const taxYear = fiscalYearOf(month, fs);
  const [fyFirst, fyLast] = fiscalYearMonths(taxYear, fs);
  const conventions = taxConventionsByYear(assets, fs);
  const register: RegisterEntry[] = assets.map((asset) => {
    const schedule = new DepreciationSchedule({ ...asset, fiscalYearStartMonth: fs });
    const openingAccumulated = schedule.accumulatedThroughMonth(month - 1);
    const accumulated = schedule.accumulatedThroughMonth(month);
    const faClass = rules.classes.get(asset.faClass)!;
    const convention = conventions.get(taxYearOf(asset.inServiceDate, fs)) ?? "half_year";
    const tax = macrsYear(
      { cost: asset.cost, inServiceDate: asset.inServiceDate, recoveryYears: faClass.taxRecoveryYears, convention, bonusPercent: rules.taxBonusPercent, fiscalYearStartMonth: fs },
      taxYear,
    );
    const bookAmount = schedule.accumulatedThroughMonth(fyLast) - schedule.accumulatedThroughMonth(fyFirst - 1);
    return {
      asset,
      openingAccumulated,
      amount: accumulated - openingAccumulated,
      accumulated,
      netBookValue: asset.cost - accumulated,
      tax: { ...tax, recoveryYears: faClass.taxRecoveryYears, convention, bookAmount },
    };
  });
  const additions = register.filter((r) => r.asset.inServiceDate >= periodStart);
  const expensed = c.expensed.filter((e) => e.inServiceDate <= periodEnd).sort(byTask);
  const expensedInPeriod = expensed.filter((e) => e.inServiceDate >= periodStart && e.treatment === "expense");
  const exceptions = c.exceptions.filter((e) => inScope(e.inServiceDate));
  // Each amount is bounded; their sum is bounded here once, so no total below can round.
  checkTotal(
    (function* () {
      for (const a of assets) yield a.cost;
      for (const e of expensed) yield e.amount;
    })(),
    snapshot.dir,
    `the costs of the assets and expensed tasks in service by ${periodEnd}`,
  );

  input.onStage?.("journal");
  const accountName = (account: string) => rules.accounts.get(account) ?? account;
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
  const expense: Amounts = new Map();
  for (const r of additions) {
    const k = rules.classes.get(r.asset.faClass)!;
    add(capitalization, r.asset.project, k.name, { debitAccount: k.assetAccount, creditAccount: rules.cipAccount, faClass: k.name, memo: `${period} additions, ${k.name}` }, r.asset.cost);
  }
  for (const r of register) {
    const k = rules.classes.get(r.asset.faClass)!;
    add(depreciation, r.asset.project, k.name, { debitAccount: k.depreciationExpenseAccount, creditAccount: k.accumulatedDepreciationAccount, faClass: k.name, memo: `${period} depreciation, ${k.name}` }, r.amount);
  }
  for (const e of expensedInPeriod) {
    const account = e.account ?? rules.belowThresholdAccount;
    const faClass = rules.taskTypes.get(e.taskType)?.faClass ?? "";
    const why = e.reason === "BELOW_THRESHOLD" ? "below the capitalization threshold" : e.taskType;
    add(expense, e.project, `${account}|${faClass}`, { debitAccount: account, creditAccount: rules.cipAccount, faClass, memo: `${period} expensed, ${why}` }, e.amount);
  }
  const journal = [
    ...buildEntries("capitalization", period, periodEnd, rules.currency, accountName, capitalization),
    ...buildEntries("expense", period, periodEnd, rules.currency, accountName, expense),
    ...buildEntries("depreciation", period, periodEnd, rules.currency, accountName, depreciation),
  ];
  assertBalanced(journal);

  const classes = new Map<string, RollforwardRow>();
  const taxClasses = new Map<string, TaxClassRow>();
  for (const name of rules.classes.keys()) {
    classes.set(name, { faClass: name, openingCost: 0, additions: 0, disposals: 0, closingCost: 0, openingAccumulated: 0, depreciation: 0, closingAccumulated: 0, openingNbv: 0, closingNbv: 0 });
    taxClasses.set(name, { faClass: name, taxYear, taxAmount: 0, bookAmount: 0, difference: 0 });
  }
  for (const r of register) {
    const row = classes.get(r.asset.faClass)!;
    if (r.asset.inServiceDate >= periodStart) row.additions += r.asset.cost;
    else row.openingCost += r.asset.cost;
    row.openingAccumulated += r.openingAccumulated;
    row.depreciation += r.amount;
    row.closingAccumulated += r.accumulated;
    const t = taxClasses.get(r.asset.faClass)!;
    t.taxAmount += r.tax.amount;
    t.bookAmount += r.tax.bookAmount;
  }
  const rollforward = [...classes.values()];
  for (const row of rollforward) {
    row.closingCost = row.openingCost + row.additions - row.disposals;
    row.openingNbv = row.openingCost - row.openingAccumulated;
    row.closingNbv = row.closingCost - row.closingAccumulated;
  }
  const total: RollforwardRow = { faClass: "TOTAL", openingCost: 0, additions: 0, disposals: 0, closingCost: 0, openingAccumulated: 0, depreciation: 0, closingAccumulated: 0, openingNbv: 0, closingNbv: 0 };
  for (const row of rollforward) for (const k of Object.keys(total) as Array<keyof RollforwardRow>) if (k !== "faClass") (total[k] as number) += row[k] as number;
  rollforward.push(total);
  const taxByClass = [...taxClasses.values()].map((t) => ({ ...t, difference: t.taxAmount - t.bookAmount }));

  const exceptionsByCode: Record<string, number> = {};
  for (const e of exceptions) exceptionsByCode[e.code] = (exceptionsByCode[e.code] ?? 0) + 1;
  const approvedAfterPeriod =
    c.assets.length - assets.length + (c.expensed.length - expensed.length) + c.exceptions.filter((e) => !inScope(e.inServiceDate)).length;
  const result: CloseResult = {
    period,
    periodStart,
    periodEnd,
    currency: rules.currency,
    taxYear,
    rules: { file: rules.file, version: rules.version, sha256: rules.sha256 },
    snapshot: { dir: snapshot.dir, manifestSha256: snapshot.manifestSha256, fetchedAt: snapshot.manifest.fetched_at, apiBaseUrl: snapshot.manifest.api_base_url },
    openPeriod,
    register,
    additions,
    expensed,
    exceptions,
    journal,
    rollforward,
    taxByClass,
    identities: [],
    counts: {
      tasksRead: c.tasksRead,
      notApproved: c.notApproved,
      approvedAfterPeriod,
      register: register.length,
      additions: additions.length,
      expensed: expensed.length,
      expensedInPeriod: expensedInPeriod.length,
      exceptions: exceptions.length,
      exceptionsByCode,
    },
    controlTotals: {
      additions: total.additions,
      depreciation: total.depreciation,
      expensedInPeriod: expensedInPeriod.reduce((s, e) => s + e.amount, 0),
      taxDepreciation: taxByClass.reduce((s, t) => s + t.taxAmount, 0),
      closingCost: total.closingCost,
      closingAccumulated: total.closingAccumulated,
      closingNbv: total.closingNbv,
    },
  };
  input.onStage?.("check");
  result.identities = checkIdentities(result);
  return result;
}
