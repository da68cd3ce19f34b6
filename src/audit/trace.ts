import type { AssetLocation, CostElement } from "../capitalize/outcomes.js";
import { InputError } from "../errors.js";
import type { JournalEntry, JournalSource } from "../ledger/journal.js";
import type { Cents } from "../money.js";
import type { AssetSource, AssetStatus, EventKind } from "../register/model.js";
import type { DisposalRow } from "../register/reconcile.js";
import type { AssetHistory, GlBookRow, PeriodBalanceRow, PeriodEventRow, RegisterStore } from "../register/store.js";
import { likelyMeant } from "../suggest.js";

/**
 * `capex trace`: from an asset to everything behind it (its Render task, unit lines, rates,
 * rule, events, depreciation and the journal lines it reached), and from a journal line to
 * the assets whose amounts make it up. Journal entries are per project, class and source, so
 * an asset is one part of each line it reaches; the parts of every line are found from the
 * register's own records of the period and shown to sum to the line.
 */

/** One asset's (or, for expense, one task's) share of a journal line. */
export interface LinePart {
  assetId: string | undefined;
  /** Set for expensed tasks, which are not assets. */
  taskId: number | undefined;
  project: string;
  /** What brought the amount: addition, depreciation, expense, late_addition, cost_change, withdrawal, reclassification, catch_up, retirement. */
  kind: string;
  /** Which side of the movement this line carries: cost, construction in progress, accumulated depreciation, ... */
  component: string;
  /** On the line's side (debit on a debit line, credit on a credit line): the parts sum to the line's amount. */
  amount: Cents;
}

export interface TracedLine {
  period: string;
  journalId: string;
  source: JournalSource;
  line: number;
  account: string;
  accountName: string;
  faClass: string;
  debit: Cents;
  credit: Cents;
  memo: string;
  parts: LinePart[];
  /** Σ parts; equals the line's debit or credit when the line `ties`. */
  sum: Cents;
  ties: boolean;
  /** Why a line's parts could not be found (only when it does not tie). */
  note?: string | undefined;
}

export interface JournalTrace {
  journalId: string;
  period: string;
  date: string;
  source: JournalSource;
  project: string;
  currency: string;
  lines: TracedLine[];
  /** Every line's parts sum to the line. */
  ties: boolean;
}

/** Where an asset taken on from another system (`capex register import`) came from. */
export interface TakeOnTrace {
  /** The take-on file as the register recorded it, and its sha256. */
  file: string;
  sha256: string;
  /** The period the import posted it in (the month before `--as-of`). */
  period: string;
  /** The in-service date as the take-on file gave it. */
  inServiceDate: string;
  /** The accumulated depreciation taken on, to the end of `period`. */
  accumulated: Cents;
}

export interface AssetTrace {
  assetId: string;
  source: AssetSource;
  status: AssetStatus;
  project: string;
  /** Undefined for an asset taken on from another system: it has no Render task. */
  taskId: number | undefined;
  taskType: string;
  description: string;
  faClass: string;
  /** Render's approval; undefined for an asset taken on from another system, which has none. */
  approval: { by: string | undefined; atUtc: string | undefined; atLocal: string | undefined; timeZone: string; timeZoneDefaulted: boolean } | undefined;
  /** Where an imported asset came from; undefined for a Render asset. */
  takeOn: TakeOnTrace | undefined;
  inServiceDate: string;
  quantity: string | undefined;
  uom: string | undefined;
  location: AssetLocation;
  photos: readonly string[];
  /** The rule (the task type's key in the rules file) and the rules version of the close that last posted the asset. */
  rule: { ruleId: string; rulesVersion: string; period: string; rateIds: string[] };
  cost: Cents;
  salvage: Cents;
  lifeMonths: number;
  method: string;
  convention: string;
  /** The unit lines (or task quantity) with their rates and rate ids: what the cost is made of. */
  elements: CostElement[];
  events: Array<{ period: string; kind: EventKind; status: AssetStatus; faClass: string; cost: Cents; costChange: Cents; accumulatedChange: Cents; catchUp: Cents; message: string }>;
  depreciation: GlBookRow[];
  /** Every journal line the asset is part of, with its own share of the line. */
  journalLines: Array<Omit<TracedLine, "parts" | "sum" | "ties" | "note"> & { kind: string; component: string; amount: Cents }>;
}

/** An ISO instant as local time in `timeZone`, with its offset (2026-10-15T11:00:00-04:00); a bare date is already local. */
export function localTime(instant: string | undefined, timeZone: string): { utc: string | undefined; local: string | undefined } {
  if (instant === undefined || instant === "") return { utc: undefined, local: undefined };
  if (/^\d{4}-\d{2}-\d{2}$/.test(instant)) return { utc: undefined, local: instant };
  // Render's timestamps without an offset are UTC (as the in-service date reads them).
  const t = new Date(/(Z|[+-]\d{2}:?\d{2})$/i.test(instant) ? instant : `${instant}Z`);
  if (Number.isNaN(t.getTime())) return { utc: undefined, local: undefined };
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "longOffset" })
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === "GMT" ? "+00:00" : String(parts.timeZoneName).replace("GMT", "");
  return { utc: t.toISOString().replace(".000Z", "Z"), local: `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}` };
}

/** "did you mean X?" when an id is close to a known one. */
function suggestion(id: string, known: string[]): string {
  const near = likelyMeant(id, known);
  return near === undefined ? "" : `; did you mean ${near}?`;
}

const SHOWN_ENTRIES = 8;

/**
 * Entries whose id begins with what was typed (DEP-2026-10 names a month's depreciation
 * entries, one per project), else the id most likely meant. An entry id is a prefix, a period
 * and a project, so a partial one is how an accountant looking for "October's entries" types it.
 */
function journalSuggestion(id: string, known: string[]): string {
  const start = id.toUpperCase();
  const begun = known.filter((k) => k.toUpperCase().startsWith(start));
  if (begun.length === 0) {
    // An entry of a kind (EXP) a period and project did not post is not another kind's (CAP)
    // misspelt: that period and project's own entries, else the near one of the same kind.
    const shaped = /^([A-Z]+)-(\d{4}-\d{2}-.+)$/.exec(start);
    if (!shaped) return suggestion(id, known);
    const [, kind, periodAndProject] = shaped as unknown as [string, string, string];
    const siblings = known.filter((k) => k.toUpperCase().endsWith(`-${periodAndProject}`) && k.indexOf("-") === k.length - periodAndProject.length - 1);
    if (siblings.length) return `; no ${kind} entry was posted for ${periodAndProject}, whose entries are ${siblings.join(", ")}`;
    return suggestion(id, known.filter((k) => k.toUpperCase().startsWith(`${kind}-`)));
  }
  // The whole id in another case, or the one entry it begins: that one.
  const meant = begun.find((k) => k.length === id.length) ?? (begun.length === 1 ? begun[0] : undefined);
  if (meant !== undefined) return `; did you mean ${meant}?`;
  const more = begun.length > SHOWN_ENTRIES ? ` and ${begun.length - SHOWN_ENTRIES} more` : "";
  return `; the entries beginning ${id}: ${begun.slice(0, SHOWN_ENTRIES).join(", ")}${more}`;
}

// --- the parts of a line -------------------------------------------------------------------

type PartRef = Omit<LinePart, "component" | "amount">;
/** A movement's share of one account, signed as debit − credit. */
type Candidate = { component: string; parts: Array<PartRef & { x: Cents }> };

const asset = (assetId: string, project: string, kind: string): PartRef => ({ assetId, taskId: undefined, project, kind });

/** The two sides of a Dr/Cr pair: the debit account carries +v, the credit account −v. */
function pair(debit: string, credit: string, items: Array<PartRef & { v: Cents }>): Candidate[] {
  const nonzero = items.filter((i) => i.v !== 0);
  return [
    { component: debit, parts: nonzero.map(({ v, ...ref }) => ({ ...ref, x: v })) },
    { component: credit, parts: nonzero.map(({ v, ...ref }) => ({ ...ref, x: -v })) },
  ];
}

/** What the register holds of a period and project, read once per trace. */
class Evidence {
  private readonly cache = new Map<string, Promise<unknown>>();
  constructor(private readonly store: RegisterStore) {}

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) this.cache.set(key, (p = load()));
    return p;
  }
  events(period: string, project: string): Promise<PeriodEventRow[]> {
    return this.once(`e|${period}|${project}`, () => this.store.eventsIn(period, project));
  }
  balances(period: string, project: string): Promise<PeriodBalanceRow[]> {
    return this.once(`b|${period}|${project}`, () => this.store.balancesIn(period, project));
  }
  expensed(period: string, project: string) {
    return this.once(`x|${period}|${project}`, () => this.store.expensedIn(period, project));
  }
  disposals(period: string, project: string): Promise<DisposalRow[]> {
    return this.once(`d|${period}|${project}`, async () => ((await this.store.periodReport(period))?.disposals ?? []).filter((d) => d.project === project));
  }
  before(period: string, ids: string[]) {
    return this.store.assetsBefore(period, ids);
  }
}

/** The memo's words after the period: what close.ts's journal writes for each movement. */
function memoText(line: { memo: string }, period: string): string {
  return line.memo.startsWith(`${period} `) ? line.memo.slice(period.length + 1) : line.memo;
}

const ADJUSTMENT_MEMO: Record<string, EventKind> = { "late additions": "late_addition", "cost changes": "cost_change", withdrawals: "withdrawal" };

/** The movements one group of lines (same class and memo, or one Dr/Cr pair) can be made of. */
async function candidatesFor(entry: JournalEntry, lines: TracedLineDraft[], ev: Evidence): Promise<Candidate[]> {
  const { period, project } = entry;
  const first = lines[0]!;
  const faClass = first.faClass;
  switch (entry.source) {
    case "capitalization": {
      const adds = (await ev.events(period, project)).filter((e) => e.kind === "addition" && e.record.faClass === faClass);
      return pair("cost", "construction in progress", adds.map((e) => ({ ...asset(e.assetId, project, "addition"), v: e.record.cost })));
    }
    case "depreciation": {
      const b = (await ev.balances(period, project)).filter((x) => x.faClass === faClass);
      return pair("depreciation expense", "accumulated depreciation", b.map((x) => ({ ...asset(x.assetId, project, "depreciation"), v: x.depreciation })));
    }
    case "expense": {
      const accounts = new Set(lines.map((l) => l.account));
      const rows = (await ev.expensed(period, project)).filter((x) => x.faClass === faClass && accounts.has(x.account));
      return pair("expense", "construction in progress", rows.map((x) => ({ assetId: undefined, taskId: x.taskId, project, kind: "expense", v: x.amount })));
    }
    case "adjustment": {
      const text = memoText(first, period);
      const events = await ev.events(period, project);
      const transfer = /^reclassification (.+) → (.+)$/.exec(text);
      if (transfer) {
        const [, from, to] = transfer as unknown as [string, string, string];
        const moved = events.filter((e) => e.kind === "reclassification" && e.record.faClass === to);
        const before = await ev.before(period, moved.map((e) => e.assetId));
        const items = moved.flatMap((e) => {
          const b = before.get(e.assetId);
          return b && b.record.faClass === from ? [{ ref: asset(e.assetId, project, "reclassification"), cost: b.record.cost, accumulated: b.accumulated }] : [];
        });
        const side = (component: string, sign: number, of: "cost" | "accumulated"): Candidate => ({
          component,
          parts: items.filter((i) => i[of] !== 0).map((i) => ({ ...i.ref, x: sign * i[of] })),
        });
        return faClass === to
          ? [side("cost transferred in", 1, "cost"), side("accumulated depreciation transferred in", -1, "accumulated")]
          : [side("cost transferred out", -1, "cost"), side("accumulated depreciation transferred out", 1, "accumulated")];
      }
      if (text === `depreciation catch-up, ${faClass}`) {
        // An asset's catch-up is what all its changes of the period caught up, in its class after them.
        const byAsset = new Map<string, { v: Cents; faClass: string }>();
        for (const e of events) {
          if (e.kind === "withdrawal") continue;
          const cur = byAsset.get(e.assetId) ?? { v: 0, faClass: e.record.faClass };
          byAsset.set(e.assetId, { v: cur.v + e.catchUp, faClass: e.record.faClass });
        }
        const items = [...byAsset].filter(([, a]) => a.faClass === faClass).map(([id, a]) => ({ ...asset(id, project, "catch_up"), v: a.v }));
        return pair("depreciation expense", "accumulated depreciation", items);
      }
      const label = Object.keys(ADJUSTMENT_MEMO).find((k) => text === `${k}, ${faClass}`);
      if (!label) return [];
      const kind = ADJUSTMENT_MEMO[label]!;
      const changed = events.filter((e) => e.kind === kind && e.record.faClass === faClass);
      const costs = pair("cost", "construction in progress", changed.map((e) => ({ ...asset(e.assetId, project, kind), v: e.costChange })));
      if (kind !== "withdrawal") return costs;
      return [...costs, ...pair("depreciation expense", "accumulated depreciation", changed.map((e) => ({ ...asset(e.assetId, project, kind), v: e.accumulatedChange })))];
    }
    case "disposal": {
      const d = (await ev.disposals(period, project)).filter((x) => x.faClass === faClass);
      const of = (component: string, rows: DisposalRow[], x: (r: DisposalRow) => Cents): Candidate => ({
        component,
        parts: rows.map((r) => ({ ...asset(r.assetId, project, "retirement"), x: x(r) })).filter((p) => p.x !== 0),
      });
      return [
        of("cost retired", d, (r) => -r.costRetired),
        of("accumulated depreciation retired", d, (r) => r.accumulatedOnDisposal),
        // Named by its side: a removal costing more than the proceeds is a credit to clearing.
        of(d.reduce((s, r) => s + r.proceeds - r.removalCost, 0) < 0 ? "removal cost less proceeds" : "proceeds less removal cost", d, (r) => r.proceeds - r.removalCost),
        of("gain", d.filter((r) => r.gainLoss > 0), (r) => -r.gainLoss),
        of("loss", d.filter((r) => r.gainLoss < 0), (r) => -r.gainLoss),
        of("gain or loss", d, (r) => -r.gainLoss),
      ];
    }
  }
}

type TracedLineDraft = Omit<TracedLine, "parts" | "sum" | "ties" | "note">;

/** Which lines go together: buildEntries' Dr/Cr pairs for capitalization, depreciation and expense; class and memo for the rest. */
function groupKey(entry: JournalEntry, line: TracedLineDraft): string {
  if (entry.source === "expense") return String(Math.ceil(line.line / 2));
  if (entry.source === "capitalization" || entry.source === "depreciation") return line.faClass;
  return `${line.faClass}\u0000${line.memo}`;
}

const net = (l: { debit: Cents; credit: Cents }) => l.debit - l.credit;
const total = (c: Candidate) => c.parts.reduce((s, p) => s + p.x, 0);

/**
 * The lines of one entry with their parts: each line takes the movement whose parts sum to it
 * (debit − credit). Where two movements sum alike, one a line alone can take is not offered to
 * the others.
 */
async function traceEntry(entry: JournalEntry, ev: Evidence, onlyClasses?: ReadonlySet<string>): Promise<TracedLine[]> {
  const drafts: TracedLineDraft[] = entry.postings.map((p, i) => ({
    period: entry.period,
    journalId: entry.journalId,
    source: entry.source,
    line: i + 1,
    account: p.account,
    accountName: p.accountName,
    faClass: p.faClass,
    debit: p.debit,
    credit: p.credit,
    memo: p.memo,
  }));
  const groups = new Map<string, TracedLineDraft[]>();
  for (const d of drafts) {
    if (onlyClasses && !onlyClasses.has(d.faClass)) continue;
    const k = groupKey(entry, d);
    groups.set(k, [...(groups.get(k) ?? []), d]);
  }
  const traced: TracedLine[] = [];
  for (const lines of groups.values()) {
    const candidates = (await candidatesFor(entry, lines, ev)).filter((c) => c.parts.length > 0);
    const options = lines.map((l) => candidates.filter((c) => total(c) === net(l)));
    for (let changed = true; changed; ) {
      changed = false;
      for (const [i, o] of options.entries()) {
        if (o.length !== 1) continue;
        for (const [j, other] of options.entries()) {
          if (j !== i && other.length > 1 && other.includes(o[0]!)) {
            options[j] = other.filter((c) => c !== o[0]);
            changed = true;
          }
        }
      }
    }
    for (const [i, l] of lines.entries()) {
      const c = options[i]![0];
      const side = l.debit > 0 ? 1 : -1;
      const parts: LinePart[] = (c?.parts ?? []).map(({ x, ...ref }) => ({ ...ref, component: c!.component, amount: side * x }));
      const sum = parts.reduce((s, p) => s + p.amount, 0);
      const ties = c !== undefined && sum === l.debit + l.credit;
      const note = ties ? undefined : "no movement the register recorded for this period, project and class sums to this line";
      traced.push({ ...l, parts, sum, ties, note });
    }
  }
  return traced.sort((a, b) => a.line - b.line);
}

/** Every line of one journal entry with the assets (or tasks) whose amounts make it up. */
export async function traceJournal(store: RegisterStore, journalId: string, period?: string): Promise<JournalTrace> {
  const entry = await store.journalEntry(journalId);
  if (!entry) {
    throw new InputError("--journal", `no journal entry ${journalId} in the register ${store.location}${journalSuggestion(journalId, await store.journalIds())}`);
  }
  if (period !== undefined && entry.period !== period) {
    throw new InputError("--period", `journal entry ${journalId} was posted in ${entry.period}, not ${period}`);
  }
  const lines = await traceEntry(entry, new Evidence(store));
  return { journalId, period: entry.period, date: entry.date, source: entry.source, project: entry.project, currency: entry.currency, lines, ties: lines.every((l) => l.ties) };
}

/**
 * The lines of one period's entries that sampled assets are part of (the audit's sample
 * pages), as traceAsset finds them, without tracing every asset of the big entries: an asset
 * is part of its class's capitalization lines when it was added, and of its class's
 * depreciation lines when it depreciated (each line is the class's sum); the adjustment and
 * retirement entries, which hold the period's few changed assets, are traced, each once.
 */
export class PeriodLines {
  private readonly ev: Evidence;
  private readonly traced = new Map<string, Promise<TracedLine[]>>();
  /** `journal`: the period's entries (store.journal(period)). */
  constructor(
    store: RegisterStore,
    private readonly period: string,
    private readonly journal: readonly JournalEntry[],
  ) {
    this.ev = new Evidence(store);
  }

  async of(history: AssetHistory): Promise<Array<{ entry: JournalEntry; line: number }>> {
    const period = this.period;
    const during = history.events.filter((e) => e.period === period);
    const faClass = (during.at(-1) ?? history.events.filter((e) => e.period < period).at(-1))?.record.faClass;
    const added = during.some((e) => e.kind === "addition");
    const depreciated = history.depreciation.some((d) => d.period === period && d.amount !== 0);
    const out: Array<{ entry: JournalEntry; line: number }> = [];
    for (const entry of this.journal) {
      if (entry.project !== history.project) continue;
      if (entry.source === "capitalization" || entry.source === "depreciation") {
        if (entry.source === "capitalization" ? !added : !depreciated) continue;
        for (const [i, p] of entry.postings.entries()) if (p.faClass === faClass) out.push({ entry, line: i + 1 });
      } else if ((entry.source === "adjustment" || entry.source === "disposal") && during.length > 0) {
        let lines = this.traced.get(entry.journalId);
        if (!lines) this.traced.set(entry.journalId, (lines = traceEntry(entry, this.ev)));
        for (const l of await lines) if (l.parts.some((p) => p.assetId === history.assetId)) out.push({ entry, line: l.line });
      }
    }
    return out;
  }
}

/** An asset from its Render task (or the take-on file that brought it) to every journal line it reached. */
export async function traceAsset(store: RegisterStore, assetId: string): Promise<AssetTrace> {
  const history = await store.assetHistory(assetId);
  if (!history) {
    throw new InputError("ASSET_ID", `no asset ${assetId} in the register ${store.location}${suggestion(assetId, await store.assetIds())}`);
  }
  const last = history.events[history.events.length - 1]!;
  const r = last.record;
  const closed = await store.closedPeriod(last.period);
  const at = localTime(r.approvedAt, r.timeZone);
  // An imported asset's first event is its take-on: the file, period and figures it came with.
  const taken = history.source === "import" ? history.events.find((e) => e.kind === "import") : undefined;
  const takeOnPeriod = taken && (await store.closedPeriod(taken.period));
  const takeOn: TakeOnTrace | undefined = taken && {
    file: takeOnPeriod?.inputs.import_file ?? "",
    sha256: takeOnPeriod?.snapshotSha256 ?? "",
    period: taken.period,
    inServiceDate: taken.record.inServiceDate,
    accumulated: taken.accumulatedChange,
  };

  // The periods the asset moved in, and the classes it was in then.
  const classesIn = new Map<string, Set<string>>();
  const touch = (period: string, faClass: string) => classesIn.set(period, (classesIn.get(period) ?? new Set()).add(faClass));
  let faClass = history.events[0]!.record.faClass;
  for (const e of history.events) {
    touch(e.period, faClass);
    faClass = e.record.faClass;
    touch(e.period, faClass);
  }
  for (const d of history.depreciation) {
    if (d.amount === 0) continue;
    const current = [...history.events].reverse().find((e) => e.period <= d.period);
    if (current) touch(d.period, current.record.faClass);
  }
  const ev = new Evidence(store);
  const journalLines: AssetTrace["journalLines"] = [];
  for (const period of [...classesIn.keys()].sort()) {
    for (const entry of await store.journal(period)) {
      if (entry.project !== history.project || entry.source === "expense") continue;
      for (const line of await traceEntry(entry, ev, classesIn.get(period))) {
        const { parts, sum: _sum, ties: _ties, note: _note, ...shown } = line;
        for (const p of parts) if (p.assetId === assetId) journalLines.push({ ...shown, kind: p.kind, component: p.component, amount: p.amount });
      }
    }
  }
  return {
    assetId,
    source: history.source,
    status: last.status,
    project: history.project,
    taskId: history.taskId,
    taskType: r.taskType,
    description: r.description,
    faClass: r.faClass,
    approval: history.source === "import" ? undefined : { by: r.approvedBy, atUtc: at.utc, atLocal: at.local, timeZone: r.timeZone, timeZoneDefaulted: r.timeZoneDefaulted },
    takeOn,
    inServiceDate: r.inServiceDate,
    quantity: r.quantity,
    uom: r.uom,
    location: r.location,
    photos: r.photos ?? [],
    rule: { ruleId: r.ruleId, rulesVersion: closed?.rulesVersion ?? "", period: last.period, rateIds: r.rateIds ?? [] },
    cost: r.cost,
    salvage: r.salvage,
    lifeMonths: r.lifeMonths,
    method: r.method,
    convention: r.convention,
    elements: r.elements ?? [],
    events: history.events.map((e) => ({
      period: e.period,
      kind: e.kind,
      status: e.status,
      faClass: e.record.faClass,
      cost: e.record.cost,
      costChange: e.costChange,
      accumulatedChange: e.accumulatedChange,
      catchUp: e.catchUp,
      message: e.message,
    })),
    depreciation: history.depreciation,
    journalLines,
  };
}
