import { readInputFile } from "../input-file.js";
import { parse } from "csv-parse/sync";
import { isIsoDate, periodEndDate, periodStartDate } from "../dates.js";
import { RegisterInputError } from "../errors.js";
import { type Cents, Dec, parseDecimal, toCents } from "../money.js";
import type { RegisterState } from "./model.js";
import { likelyMeant } from "../suggest.js";

/**
 * A retirements file (DESIGN §8): `asset_id,date,portion,proceeds,removal_cost,reason`.
 * `portion` is `all`, a quantity in the asset's unit, or a percentage (`25%`).
 */
export interface RetirementRequest {
  line: number;
  assetId: string;
  date: string;
  /** A quantity in the asset's unit; `unit` when the row named it ("40 ft", as disposals.csv writes it), checked against the asset's. */
  portion: { kind: "all" } | { kind: "quantity"; quantity: Dec; unit?: string } | { kind: "percent"; percent: Dec };
  proceeds: Cents;
  removalCost: Cents;
  reason: string;
  /** The file the request came from, for messages. */
  file?: string;
}

export const RETIREMENT_COLUMNS = ["asset_id", "date", "portion", "proceeds", "removal_cost", "reason"] as const;
/** The columns a retirements file must have; the others may be left out (no proceeds, no removal cost, no reason). */
const REQUIRED_RETIREMENT_COLUMNS = ["asset_id", "date", "portion"] as const;

export type Problem = { line: number; message: string };

function money(text: string | undefined, column: string, line: number, problems: Problem[]): Cents {
  if (text === undefined || text.trim() === "") return 0;
  const refused = () => problems.push({ line, message: `${column} "${text}" is not an amount; write it like 1250.00 (no sign, no thousands separator, at most 2 decimals)` });
  let d: Dec;
  try {
    d = parseDecimal(text);
  } catch {
    refused();
    return 0;
  }
  // Rounded, a typed 1.234 would post as 1.23 without a word: an amount is in whole cents.
  if (d.isNegative() || d.decimalPlaces() > 2) {
    refused();
    return 0;
  }
  return toCents(d);
}

/** Reads and checks the file's shape; the checks against the register come in checkRetirements. */
export function parseRetirements(text: string, file: string): RetirementRequest[] {
  const { requests, problems } = readRetirementRows(text, file);
  if (problems.length) throw new RegisterInputError(file, problems, "retirements file");
  return requests;
}

/**
 * The requests the file's rows make, and the problems of its rows' shape: a row whose portion
 * could be read is a request even if another of its fields is wrong, so that it can be checked
 * against the register too and every problem be listed at once. A file that is not a CSV of
 * these columns at all is refused outright.
 */
export function readRetirementRows(text: string, file: string): { requests: RetirementRequest[]; problems: Problem[] } {
  const problems: Problem[] = [];
  let rows: string[][];
  try {
    rows = parse(text.replace(/^\uFEFF/, ""), { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (e) {
    throw new RegisterInputError(file, [{ line: (e as { lines?: number }).lines ?? 1, message: `not a CSV file: ${(e as Error).message}` }], "retirements file");
  }
  const header = rows[0]?.map((h) => h.toLowerCase());
  const missing = REQUIRED_RETIREMENT_COLUMNS.filter((c) => !header?.includes(c));
  if (!header || missing.length) {
    // Excel saves "CSV" with semicolons where the decimal separator is a comma, "Text" with
    // tabs, and "Unicode Text" as UTF-16 (read as UTF-8, every other byte a NUL).
    const saveAs = "save the file as CSV with commas (in Excel: CSV UTF-8, comma delimited)";
    const semicolons = text.includes("\u0000")
      ? `; the file is UTF-16 (Excel's Unicode Text), not UTF-8: ${saveAs}`
      : header?.length === 1 && header[0]!.includes(";")
        ? `; the columns are separated by semicolons: ${saveAs}`
        : header?.length === 1 && header[0]!.includes("\t")
          ? `; the columns are separated by tabs: ${saveAs}`
          : "";
    throw new RegisterInputError(
      file,
      [
        {
          line: 1,
          message: `the first line must name the columns; ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing (required: ${REQUIRED_RETIREMENT_COLUMNS.join(", ")}; optional: ${RETIREMENT_COLUMNS.filter((c) => !(REQUIRED_RETIREMENT_COLUMNS as readonly string[]).includes(c)).join(", ")})${semicolons}`,
        },
      ],
      "retirements file",
    );
  }
  const unknown = header.filter((h) => !(RETIREMENT_COLUMNS as readonly string[]).includes(h));
  if (unknown.length) problems.push({ line: 1, message: `unknown column${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; the columns are ${RETIREMENT_COLUMNS.join(",")}` });
  const col = (row: string[], name: string) => {
    const i = header.indexOf(name);
    return i < 0 ? undefined : row[i];
  };
  const out: RetirementRequest[] = [];
  const firstRow = new Map<string, { line: number; read: boolean }>();
  rows.slice(1).forEach((row, i) => {
    const line = i + 2;
    // A row of empty cells (Excel saves one for a row it once held) is no row.
    if (row.every((cell) => cell === "")) return;
    // A field too many is a comma the file did not quote (1,234.00 as an amount, a reason with a
    // comma): reading the row by position would post the wrong amounts.
    if (row.length > header.length) {
      problems.push({ line, message: `has ${row.length} fields but the first line names ${header.length} columns; write amounts without a thousands separator and put a reason with a comma in double quotes` });
    }
    const assetId = col(row, "asset_id") ?? "";
    const date = col(row, "date") ?? "";
    const portionText = (col(row, "portion") ?? "").toLowerCase();
    if (!assetId) problems.push({ line, message: "asset_id is empty" });
    // One row per asset. Two rows that both read as requests are told by the close, which
    // checks requests against each other; a row after one that could not be read, here.
    const first = assetId ? firstRow.get(assetId) : undefined;
    if (first && !first.read) problems.push({ line, message: oneRowPerAsset(assetId, first.line) });
    if (!isIsoDate(date)) problems.push({ line, message: `date "${date}" is not a date written YYYY-MM-DD` });
    let portion: RetirementRequest["portion"] | undefined;
    if (portionText === "all") portion = { kind: "all" };
    else if (/^\d+(\.\d+)?%$/.test(portionText)) {
      const percent = new Dec(portionText.slice(0, -1));
      if (percent.lte(0) || percent.gt(100)) problems.push({ line, message: `portion ${portionText} must be more than 0% and at most 100%` });
      else portion = { kind: "percent", percent };
    } else if (/^\d+(\.\d+)?(\s+\S+)?$/.test(portionText)) {
      // "40" or, as disposals.csv writes it, "40 ft".
      const [amount, unit] = portionText.split(/\s+/) as [string, string | undefined];
      const quantity = new Dec(amount);
      if (quantity.lte(0)) problems.push({ line, message: `portion ${portionText} must be more than 0` });
      else portion = unit === undefined ? { kind: "quantity", quantity } : { kind: "quantity", quantity, unit };
    } else problems.push({ line, message: `portion "${portionText}" must be all, a quantity in the asset's unit (120.5, or 120.5 ft) or a percentage (25%)` });
    const proceeds = money(col(row, "proceeds"), "proceeds", line, problems);
    const removalCost = money(col(row, "removal_cost"), "removal_cost", line, problems);
    if (assetId && !first) firstRow.set(assetId, { line, read: portion !== undefined });
    if (portion) out.push({ line, assetId, date, portion, proceeds, removalCost, reason: col(row, "reason") ?? "", file });
  });
  return { requests: out, problems };
}

/** A retirements file's rows, each checked for shape (RegisterInputError listing every bad row); an unreadable file is an InputError. */
export async function readRetirements(file: string): Promise<RetirementRequest[]> {
  return parseRetirements((await readInputFile(file, "retirements file")).toString("utf8"), file);
}

/** The fraction of an asset a request retires, exactly; 1 for all. */
export function retiredFraction(r: RetirementRequest, assetQuantity: string | undefined): Dec {
  switch (r.portion.kind) {
    case "all":
      return new Dec(1);
    case "percent":
      return r.portion.percent.dividedBy(100);
    case "quantity":
      return r.portion.quantity.dividedBy(new Dec(assetQuantity ?? "0"));
  }
}

/**
 * Checks every request against the register before any work: unknown, withdrawn or retired
 * assets, dates outside the period, more than remains, an asset named twice. Throws one
 * error listing every problem with its line.
 */
export function checkRetirements(
  requests: RetirementRequest[],
  state: RegisterState,
  period: string,
  file: string,
  shapeProblems: readonly Problem[] = [],
  entering?: ReadonlyMap<string, { inServiceDate: string }>,
): void {
  const problems = retirementProblems(requests, state, period, entering);
  if (problems.length || shapeProblems.length) {
    // One list in line order: the file's shape and the register's findings together.
    const all = [...shapeProblems, ...problems].map((p, i) => ({ p, i })).sort((a, b) => a.p.line - b.p.line || a.i - b.i).map(({ p }) => p);
    throw new RegisterInputError(file, all, "retirements file");
  }
}

const SUGGESTED_UNKNOWN_IDS = 10;

/**
 * The problem of a retirement naming an id the register does not hold, with the id it most
 * likely meant (as capex register asset says). Only the first few unknown ids of a file
 * (`nth`) get one: each is a pass over every id of the register.
 */
export function notInRegister(assetId: string, ids: Iterable<string>, nth: number, aside = ""): string {
  const meant = nth <= SUGGESTED_UNKNOWN_IDS ? likelyMeant(assetId, ids) : undefined;
  return `asset ${assetId} is not in the register${aside}; ${meant === undefined ? "check the id with capex register asset ID or in the last close's register.csv" : `did you mean "${meant}"?`}`;
}

const RETIRE_LATER = "retire it in a later period";

/** A second row of an asset: said the same whether the first could be read or not (it was not "retired" then). */
export const oneRowPerAsset = (assetId: string, firstLine: number) => `asset ${assetId} has a row on line ${firstLine} already; put one row per asset`;

/**
 * What is wrong with retiring a quantity of an asset as `record` holds it, if anything: it has
 * no quantity, the row names another unit, or more than remains. Checked against the register
 * before any work, and by the close against the asset as it reconciles it.
 */
export function quantityProblem(r: RetirementRequest, record: { quantity?: string | undefined; uom?: string | undefined }): string | undefined {
  if (r.portion.kind !== "quantity") return undefined;
  const q = record.quantity;
  const unit = r.portion.unit;
  if (q === undefined || new Dec(q).lte(0)) return `asset ${r.assetId} has no quantity; retire it by percentage (25%) or all`;
  if (unit !== undefined && unit.toLowerCase() !== (record.uom ?? "").toLowerCase()) {
    const told =
      record.uom === undefined
        ? `names a unit, but asset ${r.assetId} is counted in none; give the quantity as a bare number, or a percentage`
        : `is not in the unit asset ${r.assetId} is counted in (${record.uom}); give the quantity in ${record.uom}, or a percentage`;
    return `portion ${r.portion.quantity} ${unit} ${told}`;
  }
  if (r.portion.quantity.gt(q)) return `portion ${r.portion.quantity} is more than remains of asset ${r.assetId} (${q} ${record.uom ?? ""})`.trimEnd();
  return undefined;
}

/** Why an asset the register does not hold yet, which this close adds, cannot be retired in it. */
export function entersInThisClose(assetId: string, inServiceDate: string): string {
  return `asset ${assetId} enters the register in this close (placed in service ${inServiceDate}); ${RETIRE_LATER}`;
}

/**
 * What the register says against each request (see checkRetirements). `entering`: the
 * snapshot's assets in service that this close may add, by id, so that retiring one of them
 * is refused as such rather than as an unknown id; undefined while the snapshot is not read
 * yet (a file refused for its shape first), when an unknown id's problem says both.
 */
function retirementProblems(requests: RetirementRequest[], state: RegisterState, period: string, entering: ReadonlyMap<string, { inServiceDate: string }> | undefined): Problem[] {
  const problems: Problem[] = [];
  const start = periodStartDate(period);
  const end = periodEndDate(period);
  const seen = new Map<string, number>();
  let unknown = 0;
  for (const r of requests) {
    // A field the file's shape check refused (an empty asset_id, a date not YYYY-MM-DD) has its
    // problem already: only the fields that were read are checked against the register.
    const dated = isIsoDate(r.date);
    const first = r.assetId ? seen.get(r.assetId) : undefined;
    if (first !== undefined) problems.push({ line: r.line, message: oneRowPerAsset(r.assetId, first) });
    if (r.assetId) seen.set(r.assetId, r.line);
    if (dated && (r.date < start || r.date > end)) problems.push({ line: r.line, message: `date ${r.date} is not in the period being closed (${start} to ${end})` });
    if (!r.assetId) continue;
    const a = state.assets.get(r.assetId);
    if (!a) {
      // A first close takes on what the snapshot shows in service: the close checks against that.
      const now = entering?.get(r.assetId);
      const aside = entering ? "" : ` (if this close adds it, ${RETIRE_LATER})`;
      if (state.closes > 0) problems.push({ line: r.line, message: now ? entersInThisClose(r.assetId, now.inServiceDate) : notInRegister(r.assetId, state.assets.keys(), ++unknown, aside) });
      continue;
    }
    if (a.status === "withdrawn") problems.push({ line: r.line, message: `asset ${r.assetId} was withdrawn (its Render task lost its approval); it cannot be retired` });
    if (a.status === "retired") problems.push({ line: r.line, message: `asset ${r.assetId} is already wholly retired` });
    if (a.status !== "active") continue;
    if (dated && r.date < a.record.inServiceDate) problems.push({ line: r.line, message: `date ${r.date} is before the asset's in-service date ${a.record.inServiceDate}` });
    const quantity = quantityProblem(r, a.record);
    if (quantity) problems.push({ line: r.line, message: quantity });
  }
  return problems;
}
