import { type Dimension, ERP_PROFILE_NAMES, type ErpMapping, type ErpProfileName, emptyMapping, isErpProfileName } from "../erp/mapping.js";
import type { JournalSource } from "../ledger/journal.js";
import { erpCategoriesSchema, erpDimensionSchema, erpProfileSchemas, type ErpSection, erpTrackingSchema } from "./schema.js";

type Path = Array<string | number>;
type Err = (path: Path, message: string, hint?: string) => void;
type Suggest = (value: string, candidates: Iterable<string>) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Setting names of a profile that are dimension columns (the rest are plain values). */
const DIMENSION_KEYS = new Set(["department", "class", "location", "name", "dimension1", "dimension2"]);

/**
 * Checks of the `erp:` section the schema cannot express: an account mapped must be one of
 * the rules' accounts, a class translated must be one of its classes, and a dimension is a
 * constant or taken from the line, not both. Runs on the raw tree, skipping what is unreadable.
 */
export function checkErpSection(erp: unknown, accounts: Record<string, unknown>, classes: Record<string, unknown>, err: Err, suggest: Suggest): void {
  if (!isObject(erp)) return;
  const dimension = (path: Path, d: unknown) => {
    if (!isObject(d)) return;
    if (d.value !== undefined && d.from !== undefined) err(path, "give value (the same on every line) or from (taken from each line), not both");
    else if (d.value === undefined && d.from === undefined) err(path, "a dimension needs value (the same on every line) or from (project, fa_class, account or source)");
    if (d.value !== undefined && (d.values !== undefined || d.default !== undefined)) err(path, "values and default apply only with from");
    if (d.from === "fa_class" && isObject(d.values)) {
      for (const cls of Object.keys(d.values)) {
        if (!(cls in classes)) err([...path, "values", cls], `unknown class "${cls}"`, suggest(cls, Object.keys(classes)) ?? "the keys are class names from fa_classes, or an expensed task type's fa_class");
      }
    }
  };
  for (const [name, section] of Object.entries(erp)) {
    if (!isErpProfileName(name) || !isObject(section)) continue;
    const at: Path = ["erp", name];
    if (isObject(section.accounts)) {
      for (const code of Object.keys(section.accounts)) {
        if (!(code in accounts)) err([...at, "accounts", code], `account "${code}" is not in accounts`, suggest(code, Object.keys(accounts)) ?? "map only accounts listed under accounts");
      }
    }
    for (const [key, value] of Object.entries(section)) if (DIMENSION_KEYS.has(key)) dimension([...at, key], value);
    for (const list of ["tracking", "segments"] as const) {
      const items = section[list];
      if (Array.isArray(items)) for (const [i, d] of items.entries()) dimension([...at, list, i], d);
    }
  }
}

/** The keys the object at `path` inside `erp:` may hold, to suggest the one a misspelt key meant. */
export function erpSettingsAt(path: Path): string[] | undefined {
  if (path[0] !== "erp") return undefined;
  const keys = (schema: { shape: object }) => Object.keys(schema.shape);
  const profile = path[1];
  if (path.length === 1) return [...ERP_PROFILE_NAMES];
  if (typeof profile !== "string" || !isErpProfileName(profile)) return [];
  if (path.length === 2) return keys(erpProfileSchemas[profile]);
  if (path.length === 3 && path[2] === "categories") return keys(erpCategoriesSchema);
  if (path.length === 3 && typeof path[2] === "string" && DIMENSION_KEYS.has(path[2])) return keys(erpDimensionSchema);
  if (path.length === 4 && path[2] === "tracking") return keys(erpTrackingSchema);
  if (path.length === 4 && path[2] === "segments") return keys(erpDimensionSchema);
  return [];
}

type RawDimension = { value?: string | undefined; from?: Dimension extends { from: infer F } ? F : never; values?: Record<string, string> | undefined; default?: string | undefined };

function compileDimension(d: RawDimension): Dimension {
  if (d.value !== undefined) return { kind: "constant", value: d.value };
  return { kind: "from", from: d.from!, values: new Map(Object.entries(d.values ?? {})), default: d.default };
}

/** The checked section as the exporters use it. */
export function compileErp(section: ErpSection | undefined): Map<ErpProfileName, ErpMapping> {
  const out = new Map<ErpProfileName, ErpMapping>();
  for (const [name, raw] of Object.entries(section ?? {})) {
    if (!raw || !isErpProfileName(name)) continue;
    const m = emptyMapping();
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      if (value === undefined) continue;
      if (key === "accounts") m.accounts = new Map(Object.entries(value as Record<string, string>));
      else if (key === "date_format") m.dateFormat = value as ErpMapping["dateFormat"];
      else if (key === "tracking") m.tracking = (value as Array<RawDimension & { name: string }>).map((t) => ({ name: t.name, dimension: compileDimension(t) }));
      else if (key === "segments") m.segments = (value as RawDimension[]).map(compileDimension);
      else if (key === "categories") m.categories = new Map(Object.entries(value as Record<string, string>).filter(([, v]) => v !== undefined) as Array<[JournalSource, string]>);
      else if (DIMENSION_KEYS.has(key)) m.dimensions.set(key, compileDimension(value as RawDimension));
      else m.settings.set(key, String(value));
    }
    out.set(name, m);
  }
  return out;
}
