import { z } from "zod";
import { Dec, MAX_AMOUNT } from "../money.js";

/**
 * Zod schemas for what Render returns, tolerant as the API notes require: numbers may come
 * as numeric strings, dates as date or date-time strings, empty strings or null (all read as
 * absent), and unknown fields are kept (loose objects), never rejected.
 */
const blankToUndefined = (v: unknown) => (v === "" || v === null ? undefined : v);

const DECIMAL_TEXT = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * No quantity, rate or amount a task carries may exceed the largest amount (10^11) in
 * magnitude: beyond it the figure is a typing slip or garbage, and pricing with it would
 * leave exact integer cents. Short texts without an exponent cannot exceed it, so most
 * values never pay for a decimal.
 */
function withinLimit(text: string): boolean {
  return (text.length <= 11 && !/[eE]/.test(text)) || new Dec(text).abs().lessThanOrEqualTo(MAX_AMOUNT);
}

/** A decimal number kept as its text so that no value passes through a float twice. */
export const decimalText = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const text = typeof v === "number" ? String(v) : v.trim();
  if (typeof v === "number" ? !Number.isFinite(v) : !DECIMAL_TEXT.test(text)) {
    ctx.addIssue({ code: "custom", message: `not a number: ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  if (!withinLimit(text)) {
    ctx.addIssue({ code: "custom", message: `${text} is beyond the largest figure fiber-capex accepts (${MAX_AMOUNT.toFixed(0)})` });
    return z.NEVER;
  }
  return text;
});

export const optionalDecimal = z.preprocess(blankToUndefined, decimalText.optional());

export const integer = z.preprocess(
  (v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
  z.number().int(),
);

export const optionalString = z.preprocess(
  (v) => (typeof v === "number" ? String(v) : blankToUndefined(v)),
  z.string().optional(),
);

export const optionalTimestamp = z.preprocess(
  blankToUndefined,
  z
    .string()
    .refine((s) => TIMESTAMP.test(s.trim()) && !Number.isNaN(Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s)), {
      message: "not an ISO 8601 date or date-time",
    })
    .optional(),
);

export const optionalObject = z.preprocess(blankToUndefined, z.record(z.string(), z.unknown()).optional());

export const NO_PHOTOS: readonly string[] = Object.freeze([]);
/**
 * Photo references for the audit trail: Render's photo entries are not documented beyond
 * "array", so a reference is the entry itself when it is text, else its url, file name or id.
 */
function photoRefsOf(v: unknown): readonly string[] {
  if (!Array.isArray(v) || v.length === 0) return NO_PHOTOS;
  const refs: string[] = [];
  for (const p of v) {
    if (typeof p === "string" && p) refs.push(p);
    else if (p && typeof p === "object") {
      const o = p as Record<string, unknown>;
      const ref = o.url ?? o.file_name ?? o.filename ?? o.name ?? o.id;
      if (typeof ref === "string" || typeof ref === "number") refs.push(String(ref));
    }
  }
  return refs.length ? refs : NO_PHOTOS;
}
const photoRefs = z.preprocess(photoRefsOf, z.array(z.string()).readonly().optional());

const unitLineShape = {
  unit_code: optionalString,
  code: optionalString,
  description: optionalString,
  quantity: optionalDecimal,
  uom: optionalString,
  unit: optionalString,
  rate: optionalDecimal,
  amount: optionalDecimal,
};
export const unitLineSchema = z.looseObject(unitLineShape);
export type UnitLine = z.infer<typeof unitLineSchema>;
const unitLineFieldsSchema = z.object(unitLineShape);

const taskShape = {
  project_name: optionalString,
  project_short_name: optionalString,
  project_task_id: integer,
  status: optionalString,
  task_type: z.string().min(1),
  asset_id: optionalString,
  work_package: optionalString,
  subsector: optionalString,
  street_address: optionalString,
  road_name: optionalString,
  road_number: optionalString,
  geometry_type: optionalString,
  geometry: optionalObject,
  notes: optionalString,
  created_date: optionalTimestamp,
  completed_date: optionalTimestamp,
  approved_date: optionalTimestamp,
  approved_by: optionalString,
  quantity: optionalDecimal,
  units: z.preprocess((v) => (v === null || v === undefined || v === "" ? [] : v), z.array(unitLineSchema)),
  photos: photoRefs,
} as const;

/** A task as Render returns it; unknown fields are kept. */
export const taskSchema = z.looseObject(taskShape);
export type Task = z.infer<typeof taskSchema>;

/**
 * The same checks, returning only the fields the engine reads. The close validates with this
 * (the snapshot line itself keeps every field): skipping the copy of unknown fields makes
 * validation several times faster on a million tasks.
 */
export const taskFieldsSchema = z.object({
  project_short_name: taskShape.project_short_name,
  project_task_id: taskShape.project_task_id,
  status: taskShape.status,
  task_type: taskShape.task_type,
  asset_id: taskShape.asset_id,
  work_package: taskShape.work_package,
  subsector: taskShape.subsector,
  street_address: taskShape.street_address,
  road_name: taskShape.road_name,
  geometry: taskShape.geometry,
  approved_date: taskShape.approved_date,
  approved_by: taskShape.approved_by,
  quantity: taskShape.quantity,
  units: z.preprocess((v) => (v === null || v === undefined || v === "" ? [] : v), z.array(unitLineFieldsSchema)),
  photos: taskShape.photos,
});
/** The fields of a task that the engine reads. */
export type TaskFields = z.infer<typeof taskFieldsSchema>;

export const projectSchema = z.looseObject({
  name: z.string(),
  short_name: z.string().min(1),
  description: optionalString,
  type: optionalString,
  timezone: optionalString,
  tenant_name: optionalString,
});
export type Project = z.infer<typeof projectSchema>;

export const taskTypeSchema = z.looseObject({
  name: z.string().min(1),
  description: optionalString,
  geometry_type: optionalString,
  unit: optionalString,
});
export type TaskType = z.infer<typeof taskTypeSchema>;

export const pageSchema = z.object({
  data: z.array(z.unknown()),
  page: integer,
  page_size: integer.optional(),
  page_limit: integer,
  total_results: integer,
});
export type Page = z.infer<typeof pageSchema>;

export const labelSchema = z.looseObject({
  id: integer,
  name: z.string(),
  type: optionalString,
  due_by_date: optionalTimestamp,
  notes: optionalString,
});
export type Label = z.infer<typeof labelSchema>;

/** The answer to "add a label to many tasks": the label, and the tasks Render says it added. */
export const labelTasksAddedSchema = labelSchema.extend({
  project_task_ids_added: z.preprocess((v) => (v === null ? undefined : v), z.array(integer).optional()),
});
export type LabelTasksAdded = z.infer<typeof labelTasksAddedSchema>;

/**
 * The labels a task carries, as ids and names. The collection documents a task's `labels`
 * only as an object (`{}`), so any of these is read: an object keyed by label id
 * (`{"12": "Capitalized 2026-10"}` or `{"12": {"name": ...}}`), an object keyed by label name
 * (`{"Capitalized 2026-10": 12}`, `true` or `{"id": 12}`), an object grouping labels by type
 * (`{"General": [...]}`), or an array of `{id, name}` objects, names or ids. A task carries a
 * label when either its id or its name is among them; type names picked up on the way match no
 * label fiber-capex writes.
 */
export interface TaskLabels {
  ids: ReadonlySet<number>;
  names: ReadonlySet<string>;
}

const LABEL_ID = /^\d+$/;

export function taskLabelsOf(value: unknown): TaskLabels {
  const ids = new Set<number>();
  const names = new Set<string>();
  const addId = (v: unknown) => {
    if (typeof v === "number" && Number.isInteger(v)) ids.add(v);
    else if (typeof v === "string" && LABEL_ID.test(v.trim())) ids.add(Number(v));
  };
  const addName = (v: unknown) => {
    if (typeof v === "string" && v.trim() !== "") names.add(v.trim());
  };
  /** `key` is the object key the value sat under: a label id when all digits, else a name (or a type). */
  const visit = (v: unknown, key: string | undefined, depth: number): void => {
    if (depth > 4 || v === null || v === undefined || v === false) return;
    const keyIsId = key !== undefined && LABEL_ID.test(key);
    if (key !== undefined) (keyIsId ? addId : addName)(key);
    if (typeof v === "string") {
      if (keyIsId || key !== undefined || !LABEL_ID.test(v)) addName(v);
      else addId(v);
    } else if (typeof v === "number") {
      if (!keyIsId) addId(v);
    } else if (Array.isArray(v)) {
      for (const item of v) visit(item, undefined, depth + 1);
    } else if (typeof v === "object") {
      const o = v as Record<string, unknown>;
      if ("id" in o || "name" in o || "label_id" in o || "label_name" in o) {
        addId(o.id ?? o.label_id);
        addName(o.name ?? o.label_name);
      } else {
        for (const [k, item] of Object.entries(o)) visit(item, k, depth + 1);
      }
    }
  };
  visit(value, undefined, 0);
  return { ids, names };
}

/** A task line read for its labels only: the close's own validation never pays for them. */
export const taskLabelsSchema = z.object({
  project_task_id: integer,
  labels: z.unknown().transform(taskLabelsOf),
});

/** A field path as the messages write it: `units[0].quantity`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : `${i === 0 ? "" : "."}${String(k)}`)).join("");
}

/** "units[0].quantity" style path of the first problem, and all problems as text. */
export function describeIssues(error: z.ZodError): { path: string; message: string } {
  const first = error.issues[0];
  const path = first ? fieldPath(first.path) : "";
  const message = error.issues.map((i) => `${fieldPath(i.path) || "(task)"}: ${i.message}`).join("; ");
  return { path, message };
}

/*
 * The close's fast path. zod copies every object it checks (and runs a preprocess, a union
 * and a transform per field): on a million tasks that cost more than JSON.parse. The reader
 * of the same fields below allocates only the result. It gives up (FAIL) on anything that is
 * not in the shape Render usually sends, and then taskFieldsSchema decides and explains; where
 * it gives a result, that result is the one taskFieldsSchema gives (a property test holds it
 * to that).
 */
const FAIL = Symbol("not the usual shape");
type Read<T> = T | undefined | typeof FAIL;

function readString(v: unknown): Read<string> {
  if (typeof v === "string") return v === "" ? undefined : v;
  if (v === undefined || v === null) return undefined;
  return typeof v === "number" ? String(v) : FAIL;
}

function readDecimal(v: unknown): Read<string> {
  let text: string;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return FAIL;
    text = String(v);
  } else if (typeof v === "string") {
    if (v === "") return undefined;
    text = v.trim();
    if (!DECIMAL_TEXT.test(text)) return FAIL;
  } else return v === undefined || v === null ? undefined : FAIL;
  return withinLimit(text) ? text : FAIL;
}

function readTimestamp(v: unknown): Read<string> {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string" || !TIMESTAMP.test(v)) return FAIL;
  return Number.isNaN(Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v)) ? FAIL : v;
}

const isRecord = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

function readUnitLine(v: unknown): UnitLineFields | typeof FAIL {
  if (!isRecord(v)) return FAIL;
  const unit_code = readString(v.unit_code);
  const code = readString(v.code);
  const description = readString(v.description);
  const uom = readString(v.uom);
  const unit = readString(v.unit);
  const quantity = readDecimal(v.quantity);
  const rate = readDecimal(v.rate);
  const amount = readDecimal(v.amount);
  if (unit_code === FAIL || code === FAIL || description === FAIL || uom === FAIL || unit === FAIL || quantity === FAIL || rate === FAIL || amount === FAIL) return FAIL;
  return { unit_code, code, description, quantity, uom, unit, rate, amount };
}
type UnitLineFields = z.infer<typeof unitLineFieldsSchema>;

/**
 * The fields of a task the engine reads, or undefined when taskFieldsSchema must decide (see
 * above). Every result has every field, absent ones undefined (zod leaves absent keys out):
 * objects of one shape keep the classifier's property reads monomorphic, and no reader of a
 * task tells an absent field from an undefined one.
 */
export function quickTaskFields(raw: unknown): TaskFields | undefined {
  if (!isRecord(raw)) return undefined;
  const id = raw.project_task_id;
  let taskId: number;
  if (typeof id === "number") taskId = id;
  else if (typeof id === "string" && /^-?\d+$/.test(id.trim())) taskId = Number(id);
  else return undefined;
  if (!Number.isSafeInteger(taskId)) return undefined;
  const type = raw.task_type;
  if (typeof type !== "string" || type === "") return undefined;
  const project_short_name = readString(raw.project_short_name);
  const status = readString(raw.status);
  const asset_id = readString(raw.asset_id);
  const work_package = readString(raw.work_package);
  const subsector = readString(raw.subsector);
  const street_address = readString(raw.street_address);
  const road_name = readString(raw.road_name);
  const approved_by = readString(raw.approved_by);
  if (project_short_name === FAIL || status === FAIL || asset_id === FAIL || work_package === FAIL || subsector === FAIL || street_address === FAIL || road_name === FAIL || approved_by === FAIL) {
    return undefined;
  }
  let geometry: Record<string, unknown> | undefined;
  const g = raw.geometry;
  if (isRecord(g)) geometry = g;
  else if (g !== undefined && g !== null && g !== "") return undefined;
  const approved_date = readTimestamp(raw.approved_date);
  const quantity = readDecimal(raw.quantity);
  if (approved_date === FAIL || quantity === FAIL) return undefined;
  let units: UnitLineFields[];
  const u = raw.units;
  if (u === undefined || u === null || u === "") units = [];
  else if (Array.isArray(u)) {
    units = [];
    for (const x of u) {
      const line = readUnitLine(x);
      if (line === FAIL) return undefined;
      units.push(line);
    }
  } else return undefined;
  let photos: readonly string[] | undefined;
  // Photos absent stay absent, as with zod (whose preprocess runs only on a key present).
  if ("photos" in raw) {
    photos = photoRefsOf(raw.photos);
    if (photos !== NO_PHOTOS) Object.freeze(photos);
  }
  return {
    project_short_name,
    project_task_id: taskId,
    status,
    task_type: type,
    asset_id,
    work_package,
    subsector,
    street_address,
    road_name,
    geometry,
    approved_date,
    approved_by,
    quantity,
    units,
    photos,
  };
}
