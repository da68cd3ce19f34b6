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

const UNIT_STRINGS = ["unit_code", "code", "description", "uom", "unit"] as const;
const UNIT_DECIMALS = ["quantity", "rate", "amount"] as const;

function readUnitLine(v: unknown): UnitLineFields | typeof FAIL {
  if (!isRecord(v)) return FAIL;
  const out: Record<string, string | undefined> = {};
  // A key the line holds stays in the result even when blank, as zod keeps it.
  for (const k of UNIT_STRINGS) {
    const x = readString(v[k]);
    if (x === FAIL) return FAIL;
    if (x !== undefined || k in v) out[k] = x;
  }
  for (const k of UNIT_DECIMALS) {
    const x = readDecimal(v[k]);
    if (x === FAIL) return FAIL;
    if (x !== undefined || k in v) out[k] = x;
  }
  return out as UnitLineFields;
}
type UnitLineFields = z.infer<typeof unitLineFieldsSchema>;

const TASK_STRINGS = ["project_short_name", "status", "asset_id", "work_package", "subsector", "street_address", "road_name", "approved_by"] as const;

/** The fields of a task the engine reads, or undefined when taskFieldsSchema must decide (see above). */
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
  const out: Record<string, unknown> = { project_task_id: taskId, task_type: type };
  for (const k of TASK_STRINGS) {
    const x = readString(raw[k]);
    if (x === FAIL) return undefined;
    if (x !== undefined || k in raw) out[k] = x;
  }
  const geometry = raw.geometry;
  if (geometry === undefined || geometry === null || geometry === "") {
    if ("geometry" in raw) out.geometry = undefined;
  } else if (isRecord(geometry)) out.geometry = geometry;
  else return undefined;
  const approved = readTimestamp(raw.approved_date);
  if (approved === FAIL) return undefined;
  if (approved !== undefined || "approved_date" in raw) out.approved_date = approved;
  const quantity = readDecimal(raw.quantity);
  if (quantity === FAIL) return undefined;
  if (quantity !== undefined || "quantity" in raw) out.quantity = quantity;
  const units = raw.units;
  if (units === undefined || units === null || units === "") out.units = [];
  else if (Array.isArray(units)) {
    const lines: UnitLineFields[] = [];
    for (const u of units) {
      const line = readUnitLine(u);
      if (line === FAIL) return undefined;
      lines.push(line);
    }
    out.units = lines;
  } else return undefined;
  // Photos absent stay absent, as with zod (whose preprocess runs only on a key present).
  if ("photos" in raw) {
    const photos = photoRefsOf(raw.photos);
    out.photos = photos === NO_PHOTOS ? photos : Object.freeze(photos);
  }
  return out as TaskFields;
}
