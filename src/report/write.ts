import { existsSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { checkOutputFolder, filesOfManifest, type OutputFolderKind, readManifest, writeDirAtomically } from "../atomic-dir.js";
import { AUDIT_SAMPLE_FILE, auditPdfName, isAuditFile } from "../audit/files.js";
import type { CloseResult, TaxYearToDate } from "../close/close.js";
import { checkErpProfiles, erpFileName, exportJournal } from "../erp/profiles.js";
import type { ErpProfileName } from "../erp/mapping.js";
import { formatCents } from "../money.js";
import { toolVersion } from "../package-info.js";
import type { PeriodReport } from "../register/model.js";
import type { Rules } from "../rules/model.js";
import { writeCsvTable } from "./csv-file.js";
import { Sha256Worker } from "../sha256-worker.js";
import { closeTables, rulesTable, taxByClassTable } from "./tables.js";
import { type SummaryLine, writeWorkbook } from "./workbook.js";

export interface WriteOptions {
  out: string;
  generatedAt?: Date;
  /** Rows per sheet before a table continues on a second sheet (Excel's limit by default). */
  maxRowsPerSheet?: number;
  onFile?: (file: string) => void;
  /** false: CSV files only (a very large close's workbook helps nobody; see README). */
  workbook?: boolean;
  /**
   * Runs once every file is written and hashed, before the folder is renamed into place: the
   * register commits the period here, so a close killed before it leaves no output and a
   * close killed after it leaves outputs a re-run rewrites byte for byte.
   */
  beforePublish?: (manifest: CloseManifest) => Promise<void>;
  /** Told each warning about the outputs (a cell cut at Excel's limit) once, as it is found. */
  onWarning?: (message: string) => void;
  /** Ledger import layouts to write as journal-PROFILE.csv (DESIGN §10), hashed with the rest. */
  erp?: readonly string[] | undefined;
  /**
   * The paths the workbook and manifest name the snapshot and rules by, exactly as given. By
   * default the paths the result holds, relative to the working folder when inside it. A re-run
   * and capex verify give the ones the close recorded, so they write its bytes from any folder.
   */
  inputPaths?: InputPaths | undefined;
  /**
   * The register the close posts to (RegisterTransaction.registerId), recorded in the manifest:
   * a close never replaces the same month's outputs of another register (see closeOutputFolder).
   */
  registerId?: string | undefined;
  /** Replace the period's outputs in `out` whatever register they were posted to (MonthEndInput.replacesAnyRegister). */
  replacesAnyRegister?: boolean | undefined;
}

export interface InputPaths {
  snapshot: string;
  rules: string;
}

/** What was written, and what the user should hear about it. */
export interface WriteResult {
  dir: string;
  manifest: CloseManifest;
  /** Each warning once, in the order found (also given to `onWarning`). */
  warnings: string[];
}

export const CLOSE_FORMAT = "fiber-capex-close/1";

export interface CloseManifest {
  format: string;
  tool: { name: string; version: string };
  period: string;
  period_start: string;
  period_end: string;
  generated_at: string;
  currency: string;
  rules: { path: string; version: string; sha256: string };
  snapshot: { path: string; manifest_sha256: string; fetched_at: string; api_base_url: string };
  /** The period had not ended when the snapshot was fetched: a provisional close. */
  open_period: boolean;
  /** The register before the period: its latest closed period and the digest of its state. */
  register_before: { last_closed_period: string | null; state_digest: string; first_close: boolean };
  /** The register the close posted to (absent from a close without one, and from outputs of fiber-capex before 0.5.0). */
  register?: { id: string };
  counts: Record<string, number | Record<string, number>>;
  control_totals: Record<string, string>;
  identities: CloseResult["identities"];
  files: Record<string, string>;
}

/** A close output folder: its manifest.json names the format (or, before 0.x had one, the tool). */
export const CLOSE_OUTPUT_FOLDER: OutputFolderKind = {
  noun: "close output folder",
  example: "out/2026-10",
  owns: (manifest) => {
    const m = manifest as { format?: unknown; tool?: { name?: unknown } } | undefined;
    return m?.format === CLOSE_FORMAT || (m?.format === undefined && m?.tool?.name === "fiber-capex");
  },
  written: filesOfManifest,
};

/**
 * Refuses an output path a close would destroy: anything but an earlier close output folder,
 * an empty folder or a new path, and any folder holding one of the run's `inputs` (snapshot,
 * rules). Call it before any work.
 */
export function checkCloseOutputFolder(out: string, inputs: string[] = [], period?: string, registerId?: string, register?: RegisterOfClose): void {
  checkOutputFolder(out, closeOutputFolder(period, registerId, register), inputs);
}

/** The register a close posts to, for its refusals: where it is, and whether it holds any period yet. */
export interface RegisterOfClose {
  location: string;
  empty: boolean;
}

/**
 * The close output folder kind for a close of `period`: its example path names the period,
 * and it replaces only a folder of that period's close. Another period's outputs may already
 * be in the ledger (a month's journal imported): a close never writes over them. Nor over the
 * same period's outputs posted to another register (`registerId`, by the manifests): another
 * entity's register given the same --out by mistake. The same register's close again (a
 * re-run, a close after reopening) replaces them, as do outputs that name no register.
 */
export const closeOutputFolder = (period: string | undefined, registerId?: string, register?: RegisterOfClose): OutputFolderKind =>
  period
    ? {
        ...CLOSE_OUTPUT_FOLDER,
        example: `out/${period}`,
        refuses: (manifest) => {
          const m = manifest as Partial<Pick<CloseManifest, "period" | "register">> | undefined;
          if (typeof m?.period === "string" && m.period !== period) {
            return `holds the outputs of the close of ${m.period} (by its manifest.json), which may already be in the ledger; the close of ${period} does not replace them`;
          }
          const theirs = m?.register?.id;
          if (registerId !== undefined && typeof theirs === "string" && theirs !== registerId) {
            // A register holding nothing yet is most likely a mistyped --db, not another entity.
            const check = register?.empty
              ? `the register of this close, ${register.location}, holds no period yet: is it the one you meant? Check --db and --out`
              : "check --db and --out";
            return (
              `holds the outputs of the close of ${period} posted to another register (register id ${theirs} in its manifest.json), ` +
              `which may already be in that register's ledger; the close does not replace them (${check}; remove the folder yourself if they are no longer needed)`
            );
          }
          return undefined;
        },
      }
    : CLOSE_OUTPUT_FOLDER;

/**
 * Whether `snapshot` is the folder a close read (by the path it recorded) fetched into again
 * since: it holds a later fetch. Said as such, instead of asking for the folder given.
 */
export function fetchedAgainSince(recorded: { snapshotPath?: string | undefined; snapshotFetchedAt: string }, snapshot: { dir: string; manifest: { fetched_at: string } }): boolean {
  return recorded.snapshotPath !== undefined && recorded.snapshotPath === recordedPath(snapshot.dir) && Date.parse(snapshot.manifest.fetched_at) > Date.parse(recorded.snapshotFetchedAt);
}

/**
 * A path as the outputs record it: relative to the working folder when it lies inside it
 * (given relative, or absolute but inside), so two checkouts of the same inputs give the same
 * bytes and no local folder shows; a path outside the working folder stays as given.
 */
export function recordedPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return path;
  return rel.split(sep).join("/");
}

/**
 * The snapshot and rules paths the close of `period` named its inputs by: recorded with the
 * period, or for a period closed before fiber-capex kept the snapshot's, in the
 * output folder's manifest when it is of this period and these inputs, else the snapshot as
 * `given` now and the rules as recorded.
 */
export function recordedInputPaths(
  report: PeriodReport | undefined,
  outManifest: unknown,
  period: string,
  snapshotSha256: string,
  rulesSha256: string,
  given: InputPaths,
): InputPaths & { from: "register" | "manifest" | "given" } {
  if (report?.snapshotPath !== undefined) return { snapshot: report.snapshotPath, rules: report.rulesFile, from: "register" };
  const m = outManifest as Partial<CloseManifest> | undefined;
  if (m?.period === period && m.snapshot?.manifest_sha256 === snapshotSha256 && m.rules?.sha256 === rulesSha256 && typeof m.snapshot.path === "string" && typeof m.rules.path === "string") {
    return { snapshot: m.snapshot.path, rules: m.rules.path, from: "manifest" };
  }
  return { snapshot: given.snapshot, rules: report?.rulesFile ?? given.rules, from: "given" };
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function workbookName(period: string): string {
  return `capex-${period}.xlsx`;
}

function summaryLines(r: CloseResult, projects: string[], paths: InputPaths): SummaryLine[] {
  const t = r.controlTotals;
  // What a first close took on, with no journal (DESIGN §8: the take-on totals on the Summary).
  const taken = r.takenOn;
  const takeOnLines: SummaryLine[] = taken
    ? [
        { label: "Assets taken on (first close: opening balances, no journal)", value: taken.assets },
        { label: "Taken on: cost", value: taken.cost / 100, kind: "amount" },
        { label: "Taken on: accumulated depreciation", value: taken.accumulated / 100, kind: "amount" },
      ]
    : [];
  return [
    { label: "Period", value: r.period },
    { label: "Period start", value: new Date(`${r.periodStart}T00:00:00Z`), kind: "date" },
    { label: "Period end (journal date)", value: new Date(`${r.periodEnd}T00:00:00Z`), kind: "date" },
    { label: "Currency", value: r.currency },
    { label: "Projects", value: projects.join(", ") },
    { label: "Rules file", value: paths.rules },
    { label: "Rules version", value: r.rules.version },
    { label: "Rules sha256", value: r.rules.sha256 },
    { label: "Snapshot", value: paths.snapshot },
    { label: "Snapshot manifest sha256", value: r.snapshot.manifestSha256 },
    { label: "Snapshot fetched at", value: r.snapshot.fetchedAt },
    { label: "Period still open when fetched", value: r.openPeriod ? "yes (provisional close)" : "no" },
    { label: "Tasks read", value: r.counts.tasksRead },
    { label: "Tasks not yet approved", value: r.counts.notApproved },
    { label: "Assets in the register", value: r.counts.register },
    { label: "Additions in the period", value: r.counts.additions },
    { label: "Expensed or no effect (to period end)", value: r.counts.expensed },
    { label: "Exceptions", value: r.counts.exceptions },
    ...takeOnLines,
    { label: "Additions (cost)", value: t.additions / 100, kind: "amount" },
    { label: "Depreciation for the period (GL)", value: t.depreciation / 100, kind: "amount" },
    { label: "Expensed in the period", value: t.expensedInPeriod / 100, kind: "amount" },
    // What the CLI's summary says of changes after close and retirements, so the sheet is the whole overview.
    { label: "Adjustments (changes to assets of closed months)", value: r.counts.adjustments },
    { label: "Adjustments: cost", value: t.costAdjustments / 100, kind: "amount" },
    { label: "Adjustments: accumulated depreciation", value: t.accumulatedAdjustments / 100, kind: "amount" },
    { label: "Retirements", value: r.counts.disposals },
    { label: "Retirements: cost retired", value: t.disposals / 100, kind: "amount" },
    { label: "Retirements: gain (loss)", value: t.gainLoss / 100, kind: "amount" },
    ...taxYearLines(r.taxYearToDate),
    { label: "Closing cost", value: t.closingCost / 100, kind: "amount" },
    { label: "Closing accumulated depreciation", value: t.closingAccumulated / 100, kind: "amount" },
    { label: "Closing net book value", value: t.closingNbv / 100, kind: "amount" },
  ];
}

/** The tax year's deduction as it stands: the assets in service, the year's retirements (this period's, its earlier months'), the whole. */
function taxYearLines(y: TaxYearToDate): SummaryLine[] {
  const earlier = y.earlier;
  const notFigured = earlier?.withoutFigures ? `; ${earlier.withoutFigures} retired without this tax year's figures not included` : "";
  return [
    { label: `Tax depreciation, tax year ${y.taxYear}: assets in service (tax.csv)`, value: y.inService / 100, kind: "amount" },
    { label: "Tax depreciation of the retirements (year of disposition)", value: y.retirements / 100, kind: "amount" },
    ...(earlier
      ? [{ label: `Tax depreciation of the tax year's earlier retirements (${earlier.from} to ${earlier.to}${notFigured})`, value: earlier.amount / 100, kind: "amount" } as const]
      : []),
    { label: `Tax depreciation, tax year ${y.taxYear}, with the year's retirements to date`, value: y.total / 100, kind: "amount" },
    ...(y.earlierYearsOnChanges
      ? [{ label: `Tax depreciation of ${y.taxYear - 1} and before, from this period's changes`, value: y.earlierYearsOnChanges / 100, kind: "amount" } as const]
      : []),
    ...(y.earlierYearsOnConventions
      ? [{ label: "  of which on other assets of a year whose mid-quarter test turned", value: y.earlierYearsOnConventions / 100, kind: "amount" } as const]
      : []),
  ];
}

/** The period's journal in each ledger's import layout; returns the file names written. */
async function writeErpFiles(dir: string, result: CloseResult, rules: Rules, profiles: readonly ErpProfileName[], onFile: ((file: string) => void) | undefined, warn: (message: string) => void): Promise<string[]> {
  const names: string[] = [];
  for (const profile of profiles) {
    const name = erpFileName(profile);
    onFile?.(name);
    const file = exportJournal(result.journal, profile, rules.erp.get(profile));
    for (const w of file.warnings) warn(w);
    await writeFile(join(dir, name), file.text);
    names.push(name);
  }
  return names;
}

/**
 * Writes every output of a close into `out`: the CSV files, the workbook and manifest.json
 * with the sha256 of each. Everything is written to a temporary folder first and renamed
 * into place at the end, so a failure leaves no half-written output and never replaces a
 * good one. `out` may replace only an earlier close output folder (checkCloseOutputFolder).
 */
export async function writeCloseOutputs(result: CloseResult, rules: Rules, options: WriteOptions): Promise<WriteResult> {
  const inputs = [result.snapshot.dir, result.rules.file];
  checkCloseOutputFolder(options.out, inputs, result.period, options.replacesAnyRegister ? undefined : options.registerId);
  const erp = checkErpProfiles(options.erp ?? [], rules.erp, result.rules.file);
  const generatedAt = options.generatedAt ?? new Date();
  const paths = options.inputPaths ?? { snapshot: recordedPath(result.snapshot.dir), rules: recordedPath(result.rules.file) };
  // The CSV file and the sheet of a table meet the same cell, and say so once.
  const warnings: string[] = [];
  const warn = (message: string) => {
    if (warnings.includes(message)) return;
    warnings.push(message);
    options.onWarning?.(message);
  };
  const tables = closeTables(result);
  const projects = [...new Set(result.register.map((e) => e.asset.project).concat(result.expensed.map((e) => e.project)))].sort();
  const hashes = new Sha256Worker();
  // Each file is hashed on the second core as soon as it is complete, while the next is written.
  const hashed = new Map<string, Promise<string>>();
  const hash = (name: string, path: string) => {
    const sha = hashes.of(path);
    sha.catch(() => {}); // awaited below; a run that fails before then must not report it unhandled
    hashed.set(name, sha);
  };
  // The folder's close before this one, to tell whether an audit report in it still describes these outputs.
  const before = readManifest(options.out) as Partial<CloseManifest> | undefined;
  const manifest = await writeDirAtomically(options.out, closeOutputFolder(result.period), async (dir) => {
    for (const table of tables) {
      options.onFile?.(table.file);
      await writeCsvTable(join(dir, table.file), table, warn);
      hash(table.file, join(dir, table.file));
    }
    const workbook = options.workbook === false ? undefined : workbookName(result.period);
    // The workbook is for people: the contracted sheets, Rules, and tax by class. Per-asset
    // tax and cost elements (a million rows each on a big close) stay in their CSV files.
    const sheet = (file: string) => tables.find((t) => t.file === file)!;
    const sheets = ["journal", "additions", "register", "depreciation", "rollforward", "adjustments", "disposals", "expensed", "exceptions"].map((name) => sheet(`${name}.csv`));
    if (workbook) options.onFile?.(workbook);
    if (workbook) await writeWorkbook(
      join(dir, workbook),
      {
        title: `fiber-capex month-end close ${result.period}`,
        footer: `fiber-capex close ${result.period}`,
        summary: summaryLines(result, projects, paths),
        identities: result.identities,
        tables: [...sheets, rulesTable(rules), taxByClassTable(result)],
      },
      // The workbook's own dates are the period end, so its content depends on the inputs only.
      { created: new Date(`${result.periodEnd}T00:00:00Z`), maxRowsPerSheet: options.maxRowsPerSheet, onWarning: warn },
    );
    const erpFiles = await writeErpFiles(dir, result, rules, erp, options.onFile, warn);
    if (workbook) hash(workbook, join(dir, workbook));
    for (const name of erpFiles) hash(name, join(dir, name));
    const files: Record<string, string> = {};
    for (const [name, sha] of hashed) files[name] = await sha;
    // Gone before the register's commit, the close's high-water mark of memory.
    await hashes.close();
    const m: CloseManifest = {
      format: CLOSE_FORMAT,
      tool: { name: "fiber-capex", version: toolVersion() },
      period: result.period,
      period_start: result.periodStart,
      period_end: result.periodEnd,
      generated_at: generatedAt.toISOString(),
      currency: result.currency,
      rules: { path: paths.rules, version: result.rules.version, sha256: result.rules.sha256 },
      snapshot: { path: paths.snapshot, manifest_sha256: result.snapshot.manifestSha256, fetched_at: result.snapshot.fetchedAt, api_base_url: result.snapshot.apiBaseUrl },
      open_period: result.openPeriod,
      register_before: { last_closed_period: result.registerBefore.lastClosed ?? null, state_digest: result.registerBefore.digest, first_close: result.registerBefore.firstClose },
      ...(options.registerId === undefined ? {} : { register: { id: options.registerId } }),
      counts: Object.fromEntries(Object.entries(result.counts).map(([k, v]) => [snake(k), v])),
      control_totals: Object.fromEntries(Object.entries(result.controlTotals).map(([k, v]) => [snake(k), formatCents(v)])),
      identities: result.identities,
      files,
    };
    await writeFile(join(dir, "manifest.json"), `${JSON.stringify(m, null, 2)}\n`);
    await options.beforePublish?.(m);
    return m;
  }, inputs).finally(() => hashes.close());
  await setAsideSupersededAudit(options.out, before, manifest, warn);
  return { dir: options.out, manifest, warnings };
}

/**
 * The folder's audit report (capex audit writes it beside the close's outputs, and a close
 * carries it into the folder that replaces the old one) describes the close it was made from.
 * When this close's outputs differ from that one's (the period was reopened and closed on
 * other inputs), the report is renamed NAME.superseded, kept for the record, and a warning
 * says to run the audit again: an auditor handed the folder must not find two documents that
 * contradict each other.
 */
async function setAsideSupersededAudit(out: string, before: Partial<CloseManifest> | undefined, now: CloseManifest, warn: (message: string) => void): Promise<void> {
  if (before?.period !== now.period || typeof before.files !== "object" || before.files === null) return;
  const was = before.files;
  const same = Object.keys(was).length === Object.keys(now.files).length && Object.entries(now.files).every(([name, sha]) => was[name] === sha);
  if (same) return;
  const renamed: string[] = [];
  for (const [name, kind] of [[auditPdfName(now.period), "pdf"], [AUDIT_SAMPLE_FILE, "csv"]] as const) {
    const path = join(out, name);
    if (!existsSync(path) || !isAuditFile(path, kind)) continue;
    const dot = name.lastIndexOf(".");
    let target = `${name.slice(0, dot)}.superseded${name.slice(dot)}`;
    for (let n = 2; existsSync(join(out, target)); n++) target = `${name.slice(0, dot)}.superseded-${n}${name.slice(dot)}`;
    // The close is posted by now: a rename that fails is said, not thrown.
    const failed = await rename(path, join(out, target)).then(
      () => undefined,
      (err: Error) => err,
    );
    if (failed) warn(`${path} is of an earlier close of ${now.period}, whose outputs differ from these, and could not be renamed (${failed.message}); run capex audit --period ${now.period} again`);
    else renamed.push(`${name} to ${target}`);
  }
  if (renamed.length) {
    warn(
      `the audit report in ${out} was of an earlier close of ${now.period}, whose outputs differ from these: renamed ${renamed.join(" and ")}. ` +
        `Run capex audit --period ${now.period} for this close's report.`,
    );
  }
}
