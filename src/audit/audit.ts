import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { outputFolderProblem } from "../atomic-dir.js";
import { OutputFolderError } from "../errors.js";
import type { RegisterStore } from "../register/store.js";
import { type AuditOptions, gatherAuditReport } from "./collect.js";
import type { AuditReport } from "./model.js";
import { type AuditPdfOptions, renderAuditPdf } from "./pdf.js";
import { AUDIT_SAMPLE_COLUMNS, auditSampleCsv } from "./sample-csv.js";

export const auditPdfName = (period: string) => `audit-${period}.pdf`;
export const AUDIT_SAMPLE_FILE = "audit-sample.csv";

/** The PDF's document information names fiber-capex as its creator: inline, or (as pdfkit writes it) in the object it refers to. */
function createdByFiberCapex(pdf: string): boolean {
  const creator = /\/Creator\s*(?:\((fiber-capex )|(\d+)\s+0\s+R)/.exec(pdf);
  if (!creator) return false;
  return creator[1] !== undefined || new RegExp(`(?:^|[\\r\\n])${creator[2]}\\s+0\\s+obj\\s*\\(fiber-capex `).test(pdf);
}

/** A file at `path` that fiber-capex wrote as this kind of audit output (so it may be replaced). */
function ours(path: string, kind: "pdf" | "csv"): boolean {
  const bytes = readFileSync(path);
  if (kind === "pdf") return bytes.subarray(0, 5).toString("latin1") === "%PDF-" && createdByFiberCapex(bytes.toString("latin1"));
  return bytes.toString("utf8").split(/\r?\n/, 1)[0] === AUDIT_SAMPLE_COLUMNS.join(",");
}

/** Writes beside the close's outputs without replacing anything fiber-capex did not write; temp file then rename. */
function checkReplaceable(path: string, kind: "pdf" | "csv"): void {
  if (existsSync(path) && !ours(path, kind)) {
    throw new OutputFolderError(path, "exists and is not an audit file fiber-capex wrote; nothing was written. Move it, or give another --out.");
  }
}

async function writeOutput(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

export interface AuditRun extends AuditOptions, AuditPdfOptions {
  store: RegisterStore;
  period: string;
  /** Where audit-YYYY-MM.pdf and audit-sample.csv go (the CLI's default: the period's output folder). */
  out: string;
}

/**
 * The period's audit report, from the register alone: audit-YYYY-MM.pdf and audit-sample.csv
 * in `out`. Both are rendered before either is written, so a failure writes nothing.
 */
export async function auditReport(run: AuditRun): Promise<{ report: AuditReport; files: string[] }> {
  const report = await gatherAuditReport(run.store, run.period, run);
  const pdf = await renderAuditPdf(report, { listLimit: run.listLimit });
  const csv = auditSampleCsv(report);
  const pdfPath = join(run.out, auditPdfName(run.period));
  const csvPath = join(run.out, AUDIT_SAMPLE_FILE);
  checkReplaceable(pdfPath, "pdf");
  checkReplaceable(csvPath, "csv");
  // The folder first: a path under a file, or a folder that cannot be made, fails before either file is written.
  await mkdir(run.out, { recursive: true }).catch((err: unknown) => {
    throw outputFolderProblem(run.out, err);
  });
  await writeOutput(pdfPath, pdf);
  await writeOutput(csvPath, csv);
  return { report, files: [pdfPath, csvPath] };
}
