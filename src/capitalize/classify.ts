import { addYears } from "date-fns/addYears";
import { format } from "date-fns/format";
import { keyProblem } from "../ids.js";
import { isValidTimeZone, localDateOf, localDateOfInstant, MAX_YEAR } from "../dates.js";
import { defaultDecliningBalanceYears } from "../depreciation/types.js";
import { type Cents, Dec, toCents } from "../money.js";
import { NO_PHOTOS, type Project, type TaskFields as Task } from "../render/schemas.js";
import type { Rules } from "../rules/model.js";
import type { SnapshotRecord } from "../snapshot/reader.js";
import type { AssetRecord, CostElement, ExceptionCode, ExceptionRow, ExpensedItem, Outcome } from "./outcomes.js";
import { priceTask } from "./price.js";

export interface ProjectZone {
  shortName: string;
  timeZone: string;
  /** True when Render held no usable time zone and the rules' default was used. */
  defaulted: boolean;
}

function exception(project: string, task: Task | undefined, code: ExceptionCode, message: string, inServiceDate?: string): Outcome {
  return {
    kind: "exception",
    exception: { project, taskId: task?.project_task_id, taskType: task?.task_type, code, message, severity: "error", inServiceDate },
  };
}

function firstPoint(geometry: Record<string, unknown> | undefined): [number, number] | undefined {
  let c: unknown = geometry?.coordinates;
  while (Array.isArray(c) && Array.isArray(c[0])) c = c[0];
  return Array.isArray(c) && typeof c[0] === "number" && typeof c[1] === "number" ? [c[0], c[1]] : undefined;
}

/**
 * One task's fate, in the policy order of DESIGN §5. Pure: no I/O, no state; duplicate
 * asset ids, which need the whole snapshot, are settled by the Classifier.
 */
/** Returns one shared copy of each distinct string (crews, roads, work packages repeat a lot). */
export type Interner = (text: string | undefined) => string | undefined;
const noInterning: Interner = (t) => t;

export function makeInterner(): Interner {
  const seen = new Map<string, string>();
  return (text) => {
    if (text === undefined) return undefined;
    const known = seen.get(text);
    if (known !== undefined) return known;
    seen.set(text, text);
    return text;
  };
}

/**
 * The in-service dates a task may have. Render went live long after 1990, and nothing can be
 * approved a year after it was fetched (a day or two would be clock skew or a late time
 * zone); a date outside is a typing slip in Render (year 1, 9999), which would otherwise be
 * silently capitalized in the wrong decade or never.
 */
export interface PlausibleDates {
  earliest: string;
  latest: string;
}
export const EARLIEST_APPROVAL = "1990-01-01";

/** The plausible dates for a snapshot fetched at `fetchedAt` (without one: up to the last year fiber-capex closes). */
export function plausibleDates(fetchedAt?: string): PlausibleDates {
  const fetched = fetchedAt === undefined ? Number.NaN : Date.parse(fetchedAt);
  const latest = Number.isNaN(fetched) ? `${MAX_YEAR}-12-31` : format(addYears(new Date(fetched), 1), "yyyy-MM-dd");
  return { earliest: EARLIEST_APPROVAL, latest };
}
const ANY_TIME = plausibleDates();

/**
 * An approval instant as Render writes it (UTC, whole seconds or milliseconds, a day that every
 * month has): Date.parse reads it as date-fns' parseISO does, at a fraction of the cost. Any
 * other form, a 29th-31st included (Date.parse rolls 2026-02-30 into March; parseISO refuses
 * it), goes to localDateOf.
 */
const UTC_INSTANT = /^[12]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,3})?Z$/;

// Any character keyProblem looks for; a key without one has no problem, found in one scan.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters keyProblem refuses
const KEY_SUSPECT = /^[=+\-@]|[\u0000-\u001f\u007f\ufffe\uffff\ud800-\udfff]/;
const keyTrouble = (key: string) => (KEY_SUSPECT.test(key) ? keyProblem(key) : undefined);

/** The rates a task's cost used, in an array of its own length (see price.ts on arrays built by push). */
function rateIdsOf(elements: readonly CostElement[]): string[] {
  return elements.filter((e) => e.rateId).map((e) => e.rateId as string);
}

const thresholds = new WeakMap<Rules, number | undefined>();
/** The capitalization threshold in cents, when it is a whole number of cents (compared as integers then). */
function thresholdCents(rules: Rules): number | undefined {
  if (thresholds.has(rules)) return thresholds.get(rules);
  const cents = rules.threshold.times(100);
  const value = cents.isInteger() && cents.abs().lessThan(Number.MAX_SAFE_INTEGER) ? cents.toNumber() : undefined;
  thresholds.set(rules, value);
  return value;
}

export function classifyTask(task: Task, zone: ProjectZone, rules: Rules, intern: Interner = noInterning, dates: PlausibleDates = ANY_TIME): Outcome {
  const project = zone.shortName;
  // Keys are written as they are (never neutralised), so one a spreadsheet would run is refused here.
  const projectProblem = keyTrouble(project);
  if (projectProblem) return exception(project, task, "INVALID_TASK", `project_short_name: ${JSON.stringify(project)} ${projectProblem}; correct it in Render and fetch again`);
  const assetProblem = task.asset_id === undefined ? undefined : keyTrouble(task.asset_id);
  if (assetProblem) return exception(project, task, "INVALID_TASK", `asset_id: ${JSON.stringify(task.asset_id)} ${assetProblem}; correct it in Render and fetch again`);
  if (task.approved_date === undefined) {
    return task.status?.toLowerCase() === "approved"
      ? exception(project, task, "MISSING_APPROVAL_DATE", "status is approved but approved_date is empty; Render must record the approval date before the task can be capitalized")
      : { kind: "not_approved" };
  }
  const approved = task.approved_date;
  const inServiceDate = UTC_INSTANT.test(approved) ? localDateOfInstant(Date.parse(approved), zone.timeZone) : localDateOf(approved, zone.timeZone);
  if (inServiceDate === undefined) return exception(project, task, "INVALID_TASK", `approved_date: "${task.approved_date}" is not a date`);
  if (inServiceDate < dates.earliest || inServiceDate > dates.latest) {
    // No in-service date on the row: it stays in every close's exceptions until Render corrects it.
    return exception(
      project,
      task,
      "IMPLAUSIBLE_DATE",
      `approved_date: "${task.approved_date}" is outside the approval dates fiber-capex accepts (${dates.earliest} to ${dates.latest}); correct the approval date in Render`,
    );
  }
  const rule = rules.taskTypes.get(task.task_type);
  if (!rule) {
    // The rules file is not named: an output reads the same whatever path the rules were given by.
    return exception(project, task, "UNMAPPED_TASK_TYPE", `task type "${task.task_type}" is not in the rules file; add it under task_types with a treatment`, inServiceDate);
  }
  if (rule.treatment === "none") {
    const item: ExpensedItem = { project, taskId: task.project_task_id, taskType: rule.name, treatment: "none", amount: 0, reason: "NO_FINANCIAL_EFFECT", account: undefined, inServiceDate, elements: [] };
    return { kind: "expensed", item };
  }
  const pricing = priceTask(task, inServiceDate, rules);
  if (!pricing.ok) return exception(project, task, pricing.code, pricing.message, inServiceDate);
  const expensed = (reason: "EXPENSE_TREATMENT" | "BELOW_THRESHOLD", account: string | undefined): Outcome => ({
    kind: "expensed",
    item: { project, taskId: task.project_task_id, taskType: rule.name, treatment: "expense", amount: pricing.cost, reason, account, inServiceDate, elements: pricing.elements },
  });
  if (rule.treatment === "expense") return expensed("EXPENSE_TREATMENT", rule.expenseAccount);
  const costDec = () => new Dec(pricing.cost).dividedBy(100);
  if (rule.perUnitThreshold !== undefined) {
    const quantity = pricing.quantity === undefined ? undefined : new Dec(pricing.quantity);
    const units = quantity?.greaterThan(0) ? quantity : new Dec(1);
    if (costDec().dividedBy(units).lessThan(rule.perUnitThreshold)) return expensed("BELOW_THRESHOLD", rule.expenseAccount ?? rules.belowThresholdAccount);
  }
  const threshold = thresholdCents(rules);
  if (threshold === undefined ? costDec().lessThan(rules.threshold) : pricing.cost < threshold) return expensed("BELOW_THRESHOLD", rule.expenseAccount ?? rules.belowThresholdAccount);
  const point = firstPoint(task.geometry);
  const asset: AssetRecord = {
    assetId: task.asset_id ?? `${project}-${task.project_task_id}`,
    project,
    taskId: task.project_task_id,
    taskType: rule.name,
    description: rule.description,
    faClass: rule.faClass!,
    quantity: pricing.quantity,
    uom: rule.unit ?? pricing.elements[0]?.uom,
    location: {
      streetAddress: task.street_address,
      roadName: intern(task.road_name),
      workPackage: intern(task.work_package),
      subsector: intern(task.subsector),
      longitude: point?.[0],
      latitude: point?.[1],
    },
    inServiceDate,
    approvedBy: intern(task.approved_by),
    approvedAt: task.approved_date,
    timeZone: zone.timeZone,
    timeZoneDefaulted: zone.defaulted,
    photos: task.photos ?? NO_PHOTOS,
    cost: pricing.cost,
    // No salvage (the default) is 0 cents whatever the cost; decimal.js only for a percentage.
    salvage: rule.salvagePercent.isZero() ? 0 : toCents(costDec().times(rule.salvagePercent).dividedBy(100)),
    elements: pricing.elements,
    ruleId: rule.ruleId,
    rateIds: rateIdsOf(pricing.elements),
    lifeMonths: rule.lifeMonths!,
    method: rule.method,
    convention: rule.convention,
    decliningBalanceRate: rule.decliningBalanceRateText,
  };
  // Set only when not the default (the record's JSON omits them); assigned, not spread into
  // the literal above, which made V8 build every record through its slow path.
  if (!rule.switchToStraightLine) asset.switchToStraightLine = false;
  if (rule.rounding !== "cumulative") asset.rounding = rule.rounding;
  if (rule.decliningBalanceYears !== defaultDecliningBalanceYears(rule.convention)) asset.decliningBalanceYears = rule.decliningBalanceYears;
  return { kind: "asset", asset };
}

/** Every task of a snapshot, each in exactly one list (or counted as not yet approved). */
export interface Classification {
  assets: AssetRecord[];
  expensed: ExpensedItem[];
  exceptions: ExceptionRow[];
  notApproved: number;
  tasksRead: number;
  /** Tasks whose in-service date falls in the cut-off window asked for (see ClassifyOptions.cutoff). */
  cutoff: CutoffCandidate[];
  /**
   * The assets held back as DUPLICATE_ASSET_ID exceptions, each with its exception row, by
   * the id they share: a close whose register holds the id for one of them keeps that one
   * (see holdBackClaimedIds). A classification made by other means may leave it out: then
   * every task sharing an id is held back, the registered one too, and its asset withdrawn.
   */
  sharedIds?: Map<string, Array<{ asset: AssetRecord; exception: ExceptionRow }>>;
}

/** A task approved around a period end, for the auditor's cut-off test. */
export interface CutoffCandidate {
  project: string;
  taskId: number;
  taskType: string;
  approvedAt: string;
  timeZone: string;
  inServiceDate: string;
  outcome: string;
  amount: Cents;
}

export interface ClassifyOptions {
  /** When the snapshot was fetched (its manifest's fetched_at), which bounds plausible approval dates. */
  fetchedAt?: string | undefined;
  /** Collect the tasks whose in-service date is in [from, to] (local dates, inclusive). */
  cutoff?: { from: string; to: string } | undefined;
}

/** Zones of the snapshot's projects, and a NO_TIME_ZONE warning for each that has none. */
export function projectZones(projects: Project[], rules: Rules): { zones: Map<string, ProjectZone>; warnings: ExceptionRow[] } {
  const zones = new Map<string, ProjectZone>();
  const warnings: ExceptionRow[] = [];
  for (const p of projects) {
    const ok = p.timezone !== undefined && isValidTimeZone(p.timezone);
    zones.set(p.short_name, { shortName: p.short_name, timeZone: ok ? p.timezone! : rules.defaultTimeZone, defaulted: !ok });
    if (!ok) {
      warnings.push({
        project: p.short_name,
        taskId: undefined,
        taskType: undefined,
        code: "NO_TIME_ZONE",
        message: `${p.timezone ? `time zone "${p.timezone}" is not an IANA zone` : "Render holds no time zone for this project"}; in-service dates used the rules' default ${rules.defaultTimeZone}. Set the project's time zone in Render`,
        severity: "warning",
        inServiceDate: undefined,
      });
    }
  }
  return { zones, warnings };
}

/**
 * Classifies a stream of snapshot records. Assets sharing an asset id are all turned into
 * DUPLICATE_ASSET_ID exceptions at the end: which one is right is for Render to say.
 */
export class Classifier {
  private readonly result: Classification = { assets: [], expensed: [], exceptions: [], notApproved: 0, tasksRead: 0, cutoff: [], sharedIds: new Map() };
  private readonly cutoff: ClassifyOptions["cutoff"];
  private readonly byAssetId = new Map<string, number>();
  private readonly duplicateIds = new Set<string>();
  private readonly zones: Map<string, ProjectZone>;
  private readonly intern = makeInterner();
  private readonly dates: PlausibleDates;

  constructor(
    private readonly rules: Rules,
    projects: Project[],
    options: ClassifyOptions = {},
  ) {
    this.dates = plausibleDates(options.fetchedAt);
    this.cutoff = options.cutoff;
    const { zones, warnings } = projectZones(projects, rules);
    this.zones = zones;
    this.result.exceptions.push(...warnings);
  }

  private zoneOf(shortName: string): ProjectZone {
    let zone = this.zones.get(shortName);
    if (!zone) {
      const { zones, warnings } = projectZones([{ name: shortName, short_name: shortName }], this.rules);
      zone = zones.get(shortName)!;
      this.zones.set(shortName, zone);
      this.result.exceptions.push(...warnings);
    }
    return zone;
  }

  add(record: SnapshotRecord): void {
    const r = this.result;
    r.tasksRead++;
    if (!record.task) {
      const raw = record.raw ?? {};
      const id = Number(raw.project_task_id);
      r.exceptions.push({
        project: String(raw.project_short_name ?? ""),
        taskId: Number.isInteger(id) ? id : undefined,
        taskType: typeof raw.task_type === "string" ? raw.task_type : undefined,
        code: "INVALID_TASK",
        message: `tasks.jsonl line ${record.line}: ${record.issue?.message ?? "invalid"}; correct the field in Render and fetch again`,
        severity: "error",
        inServiceDate: undefined,
      });
      return;
    }
    const task = record.task;
    const zone = this.zoneOf(task.project_short_name ?? "");
    const outcome = classifyTask(task, zone, this.rules, this.intern, this.dates);
    if (this.cutoff && task.approved_date) this.noteCutoff(task, zone, outcome);
    switch (outcome.kind) {
      case "asset": {
        const id = outcome.asset.assetId;
        if (this.byAssetId.has(id)) this.duplicateIds.add(id);
        else this.byAssetId.set(id, r.assets.length);
        r.assets.push(outcome.asset);
        break;
      }
      case "expensed":
        r.expensed.push(outcome.item);
        break;
      case "exception":
        r.exceptions.push(outcome.exception);
        break;
      case "not_approved":
        r.notApproved++;
        break;
    }
  }

  private noteCutoff(task: Task, zone: ProjectZone, outcome: Outcome): void {
    const [date, what, amount] =
      outcome.kind === "asset"
        ? [outcome.asset.inServiceDate, "capitalized", outcome.asset.cost]
        : outcome.kind === "expensed"
          ? [outcome.item.inServiceDate, outcome.item.treatment === "expense" ? "expensed" : "no financial effect", outcome.item.amount]
          : outcome.kind === "exception"
            ? [outcome.exception.inServiceDate, `exception ${outcome.exception.code}`, 0]
            : [undefined, "", 0];
    if (date === undefined || date < this.cutoff!.from || date > this.cutoff!.to) return;
    this.result.cutoff.push({ project: zone.shortName, taskId: task.project_task_id, taskType: task.task_type, approvedAt: task.approved_date!, timeZone: zone.timeZone, inServiceDate: date, outcome: what, amount });
  }

  finish(): Classification {
    const r = this.result;
    if (this.duplicateIds.size > 0) {
      const sharing = new Map<string, AssetRecord[]>();
      for (const a of r.assets) if (this.duplicateIds.has(a.assetId)) sharing.set(a.assetId, [...(sharing.get(a.assetId) ?? []), a]);
      r.assets = r.assets.filter((a) => !this.duplicateIds.has(a.assetId));
      const held = new Set<string>();
      for (const [id, list] of sharing) {
        const tasks = list.map((a) => `${a.project}#${a.taskId}`).join(", ");
        r.sharedIds!.set(
          id,
          list.map((asset) => {
            const exception: ExceptionRow = {
              project: asset.project,
              taskId: asset.taskId,
              taskType: asset.taskType,
              code: "DUPLICATE_ASSET_ID",
              message: `asset id ${id} is used by ${list.length} tasks (${tasks}); give each task its own asset_id in Render`,
              severity: "error",
              inServiceDate: asset.inServiceDate,
            };
            r.exceptions.push(exception);
            held.add(`${asset.project}#${asset.taskId}`);
            return { asset, exception };
          }),
        );
      }
      r.cutoff = heldInCutoff(r.cutoff, held);
    }
    return r;
  }
}

/** The cut-off candidates with the tasks `held` (by "project#task") shown as held back, not capitalized. */
export function heldInCutoff(cutoff: CutoffCandidate[], held: ReadonlySet<string>): CutoffCandidate[] {
  return cutoff.map((x) => (held.has(`${x.project}#${x.taskId}`) ? { ...x, outcome: "exception DUPLICATE_ASSET_ID", amount: 0 } : x));
}

/** Classifies every record of a stream (records one by one, or in batches). */
export async function classifyRecords(
  records: AsyncIterable<SnapshotRecord | SnapshotRecord[]>,
  rules: Rules,
  projects: Project[],
  options: ClassifyOptions = {},
): Promise<Classification> {
  const classifier = new Classifier(rules, projects, options);
  for await (const item of records) {
    if (Array.isArray(item)) for (const record of item) classifier.add(record);
    else classifier.add(item);
  }
  return classifier.finish();
}
