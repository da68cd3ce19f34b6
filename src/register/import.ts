import { NO_PHOTOS } from "../render/schemas.js";
import { createHash } from "node:crypto";
import { parse } from "csv-parse/sync";
import type { AssetRecord } from "../capitalize/outcomes.js";
import { isIsoDate, monthIndexOf, parsePeriod, periodEndDate, periodStartDate, previousPeriod } from "../dates.js";
import { CONVENTIONS, type Convention, METHODS, type Method } from "../depreciation/types.js";
import { CapexError, PeriodOrderError, RegisterInputError } from "../errors.js";
import { keyProblem } from "../ids.js";
import { readInputFile } from "../input-file.js";
import { type Cents, centsWithinLimit, checkTotal, Dec, formatCents, MAX_AMOUNT_TEXT } from "../money.js";
import { toolVersion } from "../package-info.js";
import type { Rules } from "../rules/model.js";
import { didYouMean } from "../suggest.js";
import { AssetBook } from "./book.js";
import { type AssetEvent, type ClassBalance, emptyRegisterState, type PeriodPosting, stateDigest } from "./model.js";
import { closedBy, type RegisterStore } from "./store.js";

/**
 * Taking on existing assets (DESIGN §8): a CSV of the fixed assets another system holds,
 * loaded into an empty register as the period before `--as-of`. Each asset then depreciates
 * what is left of its basis over what is left of its life, from `--as-of` on (book.ts).
 */

export const TAKE_ON_COLUMNS = [
  "asset_id",
  "project",
  "fa_class",
  "in_service_date",
  "cost",
  "salvage",
  "life_months",
  "method",
  "convention",
  "accumulated_depreciation",
  "quantity",
  "uom",
  "description",
  "street_address",
  "road_name",
  "work_package",
  "subsector",
  "longitude",
  "latitude",
] as const;

/** Without these an asset cannot be depreciated or posted; every other column may be empty or absent. */
export const REQUIRED_TAKE_ON_COLUMNS = ["asset_id", "project", "fa_class", "in_service_date", "cost", "life_months", "accumulated_depreciation"] as const;

/** The rule id every imported asset carries: it came from no task type of the rules. */
export const IMPORT_RULE_ID = "import";

export interface TakeOnAsset {
  line: number;
  record: AssetRecord;
  /** Accumulated depreciation at the end of the month before `--as-of`. */
  accumulated: Cents;
}

type Problem = { line: number; message: string };
const WHAT = "take-on file";
const MAX_LIFE_MONTHS = 1200;

/** Decodes the file's bytes as UTF-8 (a byte-order mark is allowed); anything else is refused, not guessed. */
function decode(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new RegisterInputError(file, [{ line: 1, message: "the file is not UTF-8 text (perhaps Latin-1, Windows-1252 or UTF-16); save it as UTF-8 CSV" }], WHAT);
  }
}

/**
 * Reads and checks a take-on file against the rules: every problem of every row, each with
 * its line; one RegisterInputError for all of them, so nothing is loaded from a file with any.
 */
export function parseTakeOn(text: string, file: string, rules: Rules, asOf: string): TakeOnAsset[] {
  parsePeriod(asOf, "--as-of");
  const asOfStart = periodStartDate(asOf);
  const problems: Problem[] = [];
  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (e) {
    throw new RegisterInputError(file, [{ line: (e as { lines?: number }).lines ?? 1, message: `not a CSV file: ${(e as Error).message}` }], WHAT);
  }
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const missing = REQUIRED_TAKE_ON_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new RegisterInputError(
      file,
      [{ line: 1, message: `the first line must name the columns; ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing (required: ${REQUIRED_TAKE_ON_COLUMNS.join(", ")}; optional: ${TAKE_ON_COLUMNS.filter((c) => !(REQUIRED_TAKE_ON_COLUMNS as readonly string[]).includes(c)).join(", ")})` }],
      WHAT,
    );
  }
  for (const h of header) {
    if (!(TAKE_ON_COLUMNS as readonly string[]).includes(h)) {
      problems.push({ line: 1, message: `unknown column "${h}"${suffix(didYouMean(h, TAKE_ON_COLUMNS))}; the columns are ${TAKE_ON_COLUMNS.join(",")}` });
    }
  }
  const twice = header.filter((h, i) => header.indexOf(h) !== i);
  if (twice.length) problems.push({ line: 1, message: `column ${twice[0]} is named twice` });

  const out: TakeOnAsset[] = [];
  const firstLine = new Map<string, number>();
  rows.slice(1).forEach((row, i) => {
    const line = i + 2;
    const before = problems.length;
    const problem = (message: string) => problems.push({ line, message });
    const cell = (name: (typeof TAKE_ON_COLUMNS)[number]): string => {
      const at = header.indexOf(name);
      return at < 0 ? "" : (row[at] ?? "");
    };
    if (row.length > header.length) problem(`has ${row.length} fields but the first line names ${header.length} columns`);
    const key = (name: "asset_id" | "project"): string => {
      const v = cell(name);
      if (v === "") problem(`${name} is empty`);
      else {
        const bad = keyProblem(v);
        if (bad) problem(`${name} "${v}" ${bad}; identifiers are written as they are, so change it`);
      }
      return v;
    };
    const assetId = key("asset_id");
    const project = key("project");
    if (assetId) {
      const first = firstLine.get(assetId);
      if (first !== undefined) problem(`asset_id ${assetId} is already on line ${first}; each asset once`);
      else firstLine.set(assetId, line);
    }
    const faClass = cell("fa_class");
    if (faClass === "") problem("fa_class is empty");
    else if (!rules.classes.has(faClass)) problem(`fa_class "${faClass}" is not a class of ${rules.file}${suffix(didYouMean(faClass, rules.classes.keys()))}; the classes are ${[...rules.classes.keys()].join(", ")}`);
    const inService = cell("in_service_date");
    if (!isIsoDate(inService)) problem(`in_service_date "${inService}" is not a date written YYYY-MM-DD`);
    else if (inService >= asOfStart) problem(`in_service_date ${inService} is not before ${asOfStart}: only assets in service before --as-of ${asOf} can be taken on; later ones come in through capex close`);
    const amount = (name: "cost" | "salvage" | "accumulated_depreciation"): Cents | undefined => {
      const v = cell(name);
      if (v === "") {
        if (name !== "salvage") problem(`${name} is empty`);
        return name === "salvage" ? 0 : undefined;
      }
      const cents = /^\d+(\.\d{1,2})?$/.test(v) ? centsWithinLimit(new Dec(v)) : undefined;
      if (cents === undefined) {
        problem(`${name} "${v}" is not an amount; write it like 1250.00 (no sign, no thousands separator, at most 2 decimals, at most ${MAX_AMOUNT_TEXT})`);
      }
      return cents;
    };
    const cost = amount("cost");
    const salvage = amount("salvage");
    const lifeText = cell("life_months");
    const lifeMonths = /^\d+$/.test(lifeText) && Number(lifeText) >= 1 && Number(lifeText) <= MAX_LIFE_MONTHS ? Number(lifeText) : undefined;
    if (lifeMonths === undefined) problem(`life_months "${lifeText}" must be a whole number of months from 1 to ${MAX_LIFE_MONTHS}`);
    const method = choice("method", cell("method"), METHODS, rules.depreciationDefaults.method, problem) as Method;
    const convention = choice("convention", cell("convention"), CONVENTIONS, rules.depreciationDefaults.convention, problem) as Convention;
    const accumulated = amount("accumulated_depreciation");
    if (cost !== undefined && cost === 0) problem("cost is 0: a fixed asset has a cost");
    if (cost !== undefined && salvage !== undefined && salvage > cost) problem(`salvage ${formatCents(salvage)} is more than the cost ${formatCents(cost)}`);
    if (cost !== undefined && salvage !== undefined && accumulated !== undefined && salvage <= cost && accumulated > cost - salvage) {
      problem(`accumulated_depreciation ${formatCents(accumulated)} is more than cost − salvage (${formatCents(cost - salvage)})`);
    }
    const quantityText = cell("quantity");
    if (quantityText !== "" && !/^\d+(\.\d+)?$/.test(quantityText)) problem(`quantity "${quantityText}" must be a number of units, zero or more (like 120.5)`);
    const coordinate = (name: "longitude" | "latitude", limit: number): number | undefined => {
      const v = cell(name);
      if (v === "") return undefined;
      const n = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
      if (!(Math.abs(n) <= limit)) problem(`${name} "${v}" must be a number of degrees from -${limit} to ${limit}`);
      return n;
    };
    const longitude = coordinate("longitude", 180);
    const latitude = coordinate("latitude", 90);
    if (problems.length > before) return;
    const text = (name: (typeof TAKE_ON_COLUMNS)[number]) => cell(name) || undefined;
    const record: AssetRecord = {
      assetId,
      project,
      taskId: 0,
      taskType: "",
      description: cell("description"),
      faClass,
      quantity: quantityText === "" ? undefined : new Dec(quantityText).toString(),
      uom: text("uom"),
      location: { streetAddress: text("street_address"), roadName: text("road_name"), workPackage: text("work_package"), subsector: text("subsector"), longitude, latitude },
      inServiceDate: inService,
      approvedBy: undefined,
      approvedAt: undefined,
      timeZone: rules.defaultTimeZone,
      timeZoneDefaulted: true,
      photos: NO_PHOTOS,
      cost: cost!,
      salvage: salvage!,
      elements: [],
      ruleId: IMPORT_RULE_ID,
      rateIds: [],
      lifeMonths: lifeMonths!,
      method,
      convention,
      decliningBalanceRate: rules.depreciationDefaults.decliningBalanceRateText,
    };
    // The schedule has rules of its own (sum of the years' digits needs whole years): ask it.
    try {
      new AssetBook(record, rules.fiscalYearStartMonth, { period: asOf, accumulatedBefore: accumulated! }).accumulatedThroughMonth(monthIndexOf(asOf));
    } catch (e) {
      if (!(e instanceof CapexError)) throw e;
      problem(e.message);
      return;
    }
    out.push({ line, record, accumulated: accumulated! });
  });
  if (rows.length <= 1 && problems.length === 0) problems.push({ line: 2, message: "the file names its columns but lists no asset" });
  if (problems.length) throw new RegisterInputError(file, problems, WHAT);
  checkTotal(
    out.map((a) => a.record.cost),
    file,
    "the costs of the assets taken on",
  );
  return out;
}

function suffix(hint: string | undefined): string {
  return hint ? ` (${hint})` : "";
}

function choice(name: string, value: string, allowed: readonly string[], fallback: string, problem: (m: string) => void): string {
  if (value === "") return fallback;
  if (allowed.includes(value)) return value;
  problem(`${name} "${value}" must be one of ${allowed.join(", ")}${suffix(didYouMean(value, allowed))}, or empty for the rules' default (${fallback})`);
  return fallback;
}

export interface TakeOnSource {
  /** The file as the register records it. */
  file: string;
  sha256: string;
}

/** The register posting of a take-on: the period before `asOf`, opening balances, no journal. */
export function takeOnPosting(assets: readonly TakeOnAsset[], rules: Rules, asOf: string, source: TakeOnSource, at: Date): PeriodPosting {
  const period = previousPeriod(asOf);
  const events: AssetEvent[] = [];
  const classes = new Map<string, ClassBalance>();
  for (const { record, accumulated } of assets) {
    const remaining = record.cost - record.salvage - accumulated;
    events.push({
      assetId: record.assetId,
      source: "import",
      kind: "import",
      record,
      status: "active",
      rebase: { period: asOf, accumulatedBefore: accumulated },
      costChange: record.cost,
      accumulatedChange: accumulated,
      catchUp: 0,
      message: `taken on from ${source.file} at accumulated depreciation ${formatCents(accumulated)} to ${periodEndDate(period)}; the remaining ${formatCents(remaining)} depreciates over the rest of its life from ${asOf}`,
    });
    const c = classes.get(record.faClass) ?? { faClass: record.faClass, cost: 0, accumulated: 0, reserve: 0 };
    c.cost += record.cost;
    c.accumulated += accumulated;
    classes.set(record.faClass, c);
  }
  const classBalances = [...classes.values()].sort((a, b) => (a.faClass < b.faClass ? -1 : a.faClass > b.faClass ? 1 : 0));
  const openingBalances: PeriodPosting["openingBalances"] = [];
  for (const c of classBalances) {
    const accounts = rules.classes.get(c.faClass)!;
    openingBalances.push({ account: accounts.assetAccount, faClass: c.faClass, balance: c.cost });
    if (c.accumulated) openingBalances.push({ account: accounts.accumulatedDepreciationAccount, faClass: c.faClass, balance: -c.accumulated });
  }
  const cost = classBalances.reduce((s, c) => s + c.cost, 0);
  const accumulated = classBalances.reduce((s, c) => s + c.accumulated, 0);
  return {
    period,
    kind: "import",
    report: undefined,
    closedAt: at.toISOString(),
    closedBy: closedBy(),
    snapshotSha256: source.sha256,
    rulesSha256: rules.sha256,
    rulesVersion: rules.version,
    toolVersion: toolVersion(),
    stateDigestBefore: stateDigest(emptyRegisterState()),
    controlTotals: {
      additions: formatCents(0),
      depreciation: formatCents(0),
      taken_on: formatCents(cost),
      closing_cost: formatCents(cost),
      closing_accumulated: formatCents(accumulated),
      closing_nbv: formatCents(cost - accumulated),
    },
    outputHashes: {},
    inputs: { import_file: source.file },
    events,
    balances: assets.map((a) => ({ assetId: a.record.assetId, depreciation: 0, accumulated: a.accumulated })),
    journal: [],
    classes: classBalances,
    openingBalances,
    expensed: [],
  };
}

export interface ImportInput {
  file: string;
  /** The first month the register will close: the assets are taken on as of its start. */
  asOf: string;
  rules: Rules;
  /** How the register records the file (default: as given). */
  recordedAs?: string | undefined;
  now?: () => Date;
}

export interface ImportSummary {
  /** The period the take-on is posted in: the month before `asOf`. */
  period: string;
  asOf: string;
  file: string;
  sha256: string;
  assets: number;
  classes: ClassBalance[];
  cost: Cents;
  accumulated: Cents;
  netBookValue: Cents;
  /** Rows loaded as given that an accountant should look at again (see takeOnWarnings). */
  warnings: string[];
}

/**
 * Rows that load but would surprise: an asset whose useful life ended a month or more before
 * `asOf` yet is taken on with part of its depreciable basis left. The first close then
 * depreciates all that is left in its first month: right when the other system's figure is,
 * wrong when the row's life or accumulated depreciation is mistyped.
 */
export function takeOnWarnings(assets: readonly TakeOnAsset[], asOf: string, fiscalYearStartMonth: number): string[] {
  const warnings: string[] = [];
  for (const { line, record: r, accumulated } of assets) {
    const basis = r.cost - r.salvage;
    // The schedule's own last month (its convention may end it a month or a half year later).
    if (accumulated >= basis || new AssetBook(r, fiscalYearStartMonth, undefined).schedule.lastMonth >= monthIndexOf(asOf)) continue;
    warnings.push(
      `line ${line}: asset ${r.assetId}'s life of ${r.lifeMonths} months from ${r.inServiceDate} ended before ${asOf}, yet it is taken on with accumulated depreciation ${formatCents(accumulated)} ` +
        `of a depreciable basis of ${formatCents(basis)}: the first close depreciates the remaining ${formatCents(basis - accumulated)} in ${asOf}. Correct the row if the other system does not hold that`,
    );
  }
  return warnings;
}

/**
 * Loads a take-on file into an empty register, in one transaction under the register's lock:
 * all of it, or (on any bad row, or a register that has closed anything) nothing.
 */
export async function importAssets(store: RegisterStore, input: ImportInput): Promise<ImportSummary> {
  const { file, asOf, rules } = input;
  parsePeriod(asOf, "--as-of");
  const bytes = await readInputFile(file, WHAT);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const assets = parseTakeOn(decode(bytes, file), file, rules, asOf);
  const recorded = input.recordedAs ?? file;
  return store.exclusive(async (tx) => {
    const periods = await tx.closedPeriods();
    const last = periods.at(-1);
    if (last) {
      throw new PeriodOrderError(
        `the register ${store.location} is not empty: it has ${periods.length} closed period${periods.length === 1 ? "" : "s"}, the latest ${last.period} (${last.kind}). ` +
          "capex register import takes on assets only into an empty register, before its first close; name a new register with --db",
      );
    }
    const posting = takeOnPosting(assets, rules, asOf, { file: recorded, sha256 }, (input.now ?? (() => new Date()))());
    await tx.commit(posting);
    const cost = posting.classes.reduce((s, c) => s + c.cost, 0);
    const accumulated = posting.classes.reduce((s, c) => s + c.accumulated, 0);
    return { period: posting.period, asOf, file: recorded, sha256, assets: assets.length, classes: posting.classes, cost, accumulated, netBookValue: cost - accumulated, warnings: takeOnWarnings(assets, asOf, rules.fiscalYearStartMonth) };
  });
}
