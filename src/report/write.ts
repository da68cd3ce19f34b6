import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeDirAtomically } from "../atomic-dir.js";
import type { CloseResult } from "../close/close.js";
import { formatCents } from "../money.js";
import { toolVersion } from "../package-info.js";
import type { Rules } from "../rules/model.js";
import { writeCsvTable } from "./csv-file.js";
import { closeTables, rulesTable, taxByClassTable } from "./tables.js";
import { type SummaryLine, writeWorkbook } from "./workbook.js";

export interface WriteOptions {
  out: string;
  generatedAt?: Date;
  /** Rows per sheet before a table continues on a second sheet (Excel's limit by default). */
  maxRowsPerSheet?: number;
  onFile?: (file: string) => void;
}

export interface CloseManifest {
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
  counts: Record<string, number | Record<string, number>>;
  control_totals: Record<string, string>;
  identities: CloseResult["identities"];
  files: Record<string, string>;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (c) => hash.update(c))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });
}

export function workbookName(period: string): string {
  return `capex-${period}.xlsx`;
}

function summaryLines(r: CloseResult, projects: string[]): SummaryLine[] {
  const t = r.controlTotals;
  return [
    { label: "Period", value: r.period },
    { label: "Period start", value: new Date(`${r.periodStart}T00:00:00Z`), kind: "date" },
    { label: "Period end (journal date)", value: new Date(`${r.periodEnd}T00:00:00Z`), kind: "date" },
    { label: "Currency", value: r.currency },
    { label: "Projects", value: projects.join(", ") },
    { label: "Rules file", value: r.rules.file },
    { label: "Rules version", value: r.rules.version },
    { label: "Rules sha256", value: r.rules.sha256 },
    { label: "Snapshot", value: r.snapshot.dir },
    { label: "Snapshot manifest sha256", value: r.snapshot.manifestSha256 },
    { label: "Snapshot fetched at", value: r.snapshot.fetchedAt },
    { label: "Period still open when fetched", value: r.openPeriod ? "yes (provisional close)" : "no" },
    { label: "Tasks read", value: r.counts.tasksRead },
    { label: "Tasks not yet approved", value: r.counts.notApproved },
    { label: "Assets in the register", value: r.counts.register },
    { label: "Additions in the period", value: r.counts.additions },
    { label: "Expensed or no effect (to period end)", value: r.counts.expensed },
    { label: "Exceptions", value: r.counts.exceptions },
    { label: "Additions (cost)", value: t.additions / 100, kind: "amount" },
    { label: "Depreciation for the period (GL)", value: t.depreciation / 100, kind: "amount" },
    { label: "Expensed in the period", value: t.expensedInPeriod / 100, kind: "amount" },
    { label: `Tax depreciation, tax year ${r.taxYear}`, value: t.taxDepreciation / 100, kind: "amount" },
    { label: "Closing cost", value: t.closingCost / 100, kind: "amount" },
    { label: "Closing accumulated depreciation", value: t.closingAccumulated / 100, kind: "amount" },
    { label: "Closing net book value", value: t.closingNbv / 100, kind: "amount" },
  ];
}

/**
 * Writes every output of a close into `out`: the CSV files, the workbook and manifest.json
 * with the sha256 of each. Everything is written to a temporary folder first and renamed
 * into place at the end, so a failure leaves no half-written output and never replaces a
 * good one.
 */
export async function writeCloseOutputs(result: CloseResult, rules: Rules, options: WriteOptions): Promise<{ dir: string; manifest: CloseManifest }> {
  const generatedAt = options.generatedAt ?? new Date();
  const tables = closeTables(result);
  const projects = [...new Set(result.register.map((e) => e.asset.project).concat(result.expensed.map((e) => e.project)))].sort();
  const manifest = await writeDirAtomically(options.out, async (dir) => {
    for (const table of tables) {
      options.onFile?.(table.file);
      await writeCsvTable(join(dir, table.file), table);
    }
    const workbook = workbookName(result.period);
    options.onFile?.(workbook);
    // The workbook is for people: the contracted sheets, Rules, and tax by class. Per-asset
    // tax and cost elements (a million rows each on a big close) stay in their CSV files.
    const [journal, additions, register, depreciation, rollforward, expensed, exceptions] = tables;
    await writeWorkbook(
      join(dir, workbook),
      {
        title: `fiber-capex month-end close ${result.period}`,
        summary: summaryLines(result, projects),
        identities: result.identities,
        tables: [journal!, additions!, register!, depreciation!, rollforward!, expensed!, exceptions!, rulesTable(rules), taxByClassTable(result)],
      },
      // The workbook's own dates are the period end, so its content depends on the inputs only.
      { created: new Date(`${result.periodEnd}T00:00:00Z`), maxRowsPerSheet: options.maxRowsPerSheet },
    );
    const files: Record<string, string> = {};
    for (const name of [...tables.map((t) => t.file), workbook]) files[name] = await sha256File(join(dir, name));
    const m: CloseManifest = {
      tool: { name: "fiber-capex", version: toolVersion() },
      period: result.period,
      period_start: result.periodStart,
      period_end: result.periodEnd,
      generated_at: generatedAt.toISOString(),
      currency: result.currency,
      rules: { path: result.rules.file, version: result.rules.version, sha256: result.rules.sha256 },
      snapshot: { path: result.snapshot.dir, manifest_sha256: result.snapshot.manifestSha256, fetched_at: result.snapshot.fetchedAt, api_base_url: result.snapshot.apiBaseUrl },
      open_period: result.openPeriod,
      counts: Object.fromEntries(Object.entries(result.counts).map(([k, v]) => [snake(k), v])),
      control_totals: Object.fromEntries(Object.entries(result.controlTotals).map(([k, v]) => [snake(k), formatCents(v)])),
      identities: result.identities,
      files,
    };
    await writeFile(join(dir, "manifest.json"), `${JSON.stringify(m, null, 2)}\n`);
    return m;
  });
  return { dir: options.out, manifest };
}
