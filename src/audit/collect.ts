import { monthIndexOf, periodEndDate, periodOfMonthIndex, periodStartDate } from "../dates.js";
import { InputError } from "../errors.js";
import type { Cents } from "../money.js";
import { toolVersion } from "../package-info.js";
import type { PeriodReport, ReopenRecord } from "../register/model.js";
import type { RegisterStore } from "../register/store.js";
import type { AuditAddition, AuditException, AuditReport, AuditScope, CutoffTask, SampledItem } from "./model.js";
import { planSample } from "./sample.js";
import { localTime, PeriodLines } from "./trace.js";

/**
 * Gathers a closed period's audit report from the register alone (DESIGN §9): no snapshot,
 * no rules file, no network. Every figure is what the close posted and proved; the sample is
 * drawn from the period's additions and cost changes and traced to each asset's Render task.
 */
export interface AuditOptions {
  seed?: string | undefined;
  sampleSize?: number | undefined;
  confidence?: number | undefined;
  tolerable?: Cents | undefined;
  expectedMisstatement?: Cents | undefined;
  company?: string | undefined;
  now?: () => Date;
}

/** The seed when none is given: the period and its snapshot, so the same register gives the same sample. */
export function defaultSeed(period: string, snapshotSha256: string): string {
  return `${period}-${snapshotSha256.slice(0, 12)}`;
}

/**
 * The exceptions open at the latest close, and since when: those it reported, and those an
 * earlier close reported in a project no later close looked at (a partial fetch, capex fetch
 * --project), which nothing has shown to be resolved. An exception has been open since the
 * first of the closes that reported it, without a close of its project in between that did
 * not. A period closed before reports kept their projects is taken to have covered them all.
 */
function openExceptions(reports: Array<{ period: string; report: PeriodReport }>): AuditException[] {
  const key = (e: { project: string; taskId: number | undefined; code: string }) => `${e.project}#${e.taskId ?? ""}#${e.code}`;
  const seen = reports.map((r) => new Set(r.report.exceptions.map(key)));
  const covered = reports.map((r) => (r.report.coveredProjects ? new Set(r.report.coveredProjects) : undefined));
  // A row without a project (a task line too broken to name one) is every close's.
  const looksAt = (i: number, project: string) => project === "" || covered[i] === undefined || covered[i]!.has(project);
  const out: AuditException[] = [];
  const listed = new Set<string>();
  for (let i = reports.length - 1; i >= 0; i--) {
    for (const e of reports[i]!.report.exceptions) {
      if (listed.has(key(e))) continue;
      // A later close that looked at the project and did not report it resolved it.
      let resolved = false;
      for (let k = i + 1; k < reports.length && !resolved; k++) resolved = looksAt(k, e.project) && !seen[k]!.has(key(e));
      if (resolved) continue;
      let since = i;
      while (since > 0 && (seen[since - 1]!.has(key(e)) || !looksAt(since - 1, e.project))) since--;
      while (since < i && !seen[since]!.has(key(e))) since++;
      listed.add(key(e));
      out.push({ project: e.project, taskId: e.taskId, taskType: e.taskType, code: e.code, message: e.message, openSince: reports[since]!.period, periodsOpen: reports.length - since });
    }
    if (covered[i] === undefined) break;
  }
  return out;
}

/** The closes of a period a reopen removed: each came before the close that stands (a reopened period is closed again to be audited). */
function reopensOf(log: ReopenRecord[]): AuditScope["reopens"] {
  return log.length ? log.map((x) => ({ reopenedAt: x.reopenedAt, reopenedBy: x.reopenedBy, reason: x.reason, closedAt: x.removed.closedAt, closedBy: x.removed.closedBy })) : undefined;
}

export async function gatherAuditReport(store: RegisterStore, period: string, options: AuditOptions = {}): Promise<AuditReport> {
  const closed = await store.requireClosed(period, "Only a closed period can be audited.");
  const reports = await store.periodReports(period);
  const report = reports[reports.length - 1]?.period === period ? reports[reports.length - 1]!.report : undefined;
  if (closed.kind !== "close") throw new InputError("--period", `${period} holds assets taken on by capex register import; there is no close to audit. Audit the periods closed after it.`);
  if (!report) {
    throw new InputError("--period", `${period} was closed by fiber-capex ${closed.toolVersion}, which kept no close report in the register; reopen it (capex reopen --period ${period}) and close it again to audit it`);
  }

  const journal = await store.journal(period);
  const accountNames = new Map<string, string>();
  const bySource = new Map<string, { source: string; entries: number; lines: number; debit: Cents; credit: Cents }>();
  for (const e of journal) {
    const s = bySource.get(e.source) ?? { source: e.source, entries: 0, lines: 0, debit: 0, credit: 0 };
    s.entries++;
    for (const p of e.postings) {
      s.lines++;
      s.debit += p.debit;
      s.credit += p.credit;
      accountNames.set(p.account, p.accountName);
    }
    bySource.set(e.source, s);
  }
  const order = ["capitalization", "expense", "depreciation", "adjustment", "disposal"];
  const journalsBySource = [...bySource.values()].sort((a, b) => order.indexOf(a.source) - order.indexOf(b.source));

  // Additions and cost changes: the population the sample is drawn from.
  const events = await store.eventsIn(period);
  const additions: AuditAddition[] = [];
  for (const e of events) {
    if (e.kind !== "addition" && e.kind !== "late_addition" && e.kind !== "cost_change") continue;
    const r = e.record;
    additions.push({ assetId: e.assetId, project: r.project, taskId: r.taskId, taskType: r.taskType, faClass: r.faClass, inServiceDate: r.inServiceDate, cost: e.kind === "cost_change" ? e.costChange : r.cost, kind: e.kind });
  }
  const state = await store.loadState(period);
  // Each item enters at its signed amount: an addition's cost, a cost change's change. A cost
  // decrease has no monetary units and stays out (the report says so and counts it), rather
  // than entering at its absolute value and then being shown as the negative amount it is.
  const plan = planSample({
    population: additions.map((a) => ({ ...a, id: `${a.assetId}|${a.kind}`, amount: a.cost })),
    confidence: options.confidence,
    tolerable: options.tolerable,
    expectedMisstatement: options.expectedMisstatement,
    sampleSize: options.sampleSize,
    seed: options.seed ?? defaultSeed(period, closed.snapshotSha256),
  });
  const items: SampledItem[] = [];
  const periodLines = new PeriodLines(store, period, journal);
  for (const s of plan.selections) {
    const a = state.assets.get(s.item.assetId);
    const history = await store.assetHistory(s.item.assetId);
    const r = events.find((e) => e.assetId === s.item.assetId)?.record ?? a?.record;
    if (!r || !history) continue;
    // The period's lines this asset is part of (its capitalization or change, depreciation,
    // retirement), as capex trace finds them: not every line of its project and class, which
    // holds other assets' movements too.
    const lines = (await periodLines.of(history)).map(({ entry, line }) => {
      const p = entry.postings[line - 1]!;
      return { period, journalId: entry.journalId, line, account: p.account, debit: p.debit, credit: p.credit, memo: p.memo };
    });
    items.push({
      assetId: s.item.assetId,
      selection: s.selection,
      point: s.point,
      kind: s.item.kind,
      project: r.project,
      taskId: r.taskId,
      taskType: r.taskType,
      faClass: r.faClass,
      approvedBy: r.approvedBy,
      approvedAtUtc: localTime(r.approvedAt, r.timeZone).utc,
      approvedAtLocal: localTime(r.approvedAt, r.timeZone).local,
      timeZone: r.timeZone,
      timeZoneDefaulted: r.timeZoneDefaulted,
      inServiceDate: r.inServiceDate,
      cost: r.cost,
      // The amount the item holds in the population (what the sampling walked over), never the
      // asset's whole cost: the sample's total is then part of the population's.
      sampledAmount: s.item.amount,
      ruleId: r.ruleId,
      rulesVersion: closed.rulesVersion,
      lifeMonths: r.lifeMonths,
      method: r.method,
      convention: r.convention,
      elements: r.elements,
      // Through the audited period: the report reads as it did when the period was closed.
      schedule: history.depreciation.filter((d) => d.period <= period),
      journalLines: lines,
      location: { streetAddress: r.location.streetAddress, roadName: r.location.roadName, workPackage: r.location.workPackage, longitude: r.location.longitude, latitude: r.location.latitude },
      photos: r.photos ?? [],
    });
  }
  const { selections: _selections, ...figures } = plan;

  // Depreciation reasonableness: a month of straight line on each class's depreciable basis.
  const expected = new Map<string, number>();
  for (const a of state.assets.values()) {
    if (a.status !== "active") continue;
    const r = a.record;
    expected.set(r.faClass, (expected.get(r.faClass) ?? 0) + (r.cost - r.salvage) / r.lifeMonths);
  }
  const reasonableness = report.rollforward
    .filter((row) => row.faClass !== "TOTAL")
    .map((row) => {
      const e = Math.round(expected.get(row.faClass) ?? 0);
      return { faClass: row.faClass, cost: row.closingCost, expected: e, recorded: row.depreciation, difference: row.depreciation - e };
    });

  const cutoff: CutoffTask[] = report.cutoff.map((t) => ({
    project: t.project,
    taskId: t.taskId,
    taskType: t.taskType,
    approvedAtUtc: localTime(t.approvedAt, t.timeZone).utc ?? t.approvedAt,
    approvedAtLocal: localTime(t.approvedAt, t.timeZone).local ?? t.approvedAt,
    timeZone: t.timeZone,
    inServiceDate: t.inServiceDate,
    periodLanded: t.inServiceDate.slice(0, 7),
    // In service after this period: what the next close will do with it, not what this one did.
    outcome: t.inServiceDate.slice(0, 7) > period ? `next close: ${t.outcome}` : t.outcome,
    amount: t.amount,
  }));

  // Named as the close's rules named them; a close before 0.6.0 kept no names with its ties,
  // and an account its period posted nothing to is then named as the register's latest line
  // to it did (none: an account nothing has posted to yet).
  const unnamed = (t: { account: string; accountName?: string }) => t.accountName === undefined && !accountNames.has(t.account);
  const earlierNames = report.ties.ledger.some(unnamed) ? await store.accountNames(period) : new Map<string, string>();
  const ledgerTie = report.ties.ledger.map((t) => ({ ...t, accountName: t.accountName ?? accountNames.get(t.account) ?? earlierNames.get(t.account) ?? "" }));
  const last12 = reports.filter((r) => monthIndexOf(r.period) > monthIndexOf(period) - 12);
  const additionsByPeriod = last12.map((r) => ({
    period: r.period,
    byClass: Object.fromEntries(r.report.rollforward.filter((row) => row.faClass !== "TOTAL").map((row) => [row.faClass, row.additions])),
  }));
  const now = options.now ?? (() => new Date());
  return {
    period,
    periodStart: periodStartDate(period),
    periodEnd: periodEndDate(period),
    currency: journal[0]?.currency ?? "",
    scope: {
      company: options.company,
      rulesFile: report.rulesFile,
      rulesVersion: closed.rulesVersion,
      rulesSha256: closed.rulesSha256,
      snapshotSha256: closed.snapshotSha256,
      snapshotFetchedAt: report.snapshotFetchedAt,
      provisional: report.openPeriod === true,
      registerDigestBefore: closed.stateDigestBefore,
      registerLocation: store.location,
      toolVersionAtClose: closed.toolVersion,
      toolVersionNow: toolVersion(),
      closedAt: closed.closedAt,
      closedBy: closed.closedBy,
      generatedAt: now().toISOString(),
      outputHashes: closed.outputHashes,
      reopens: reopensOf(await store.reopenLog(period)),
    },
    rollforward: report.rollforward,
    continuity: report.ties.continuity,
    ledgerTie,
    identities: report.identities,
    journalsBySource,
    additions,
    adjustments: report.adjustments,
    disposals: report.disposals,
    exceptions: openExceptions(reports.filter((r) => r.period <= period)),
    cutoff,
    reasonableness,
    sample: { ...figures, items },
    additionsByPeriod: additionsByPeriod.length ? additionsByPeriod : [{ period: periodOfMonthIndex(monthIndexOf(period)), byClass: {} }],
  };
}
