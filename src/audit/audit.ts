import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { outputFolderProblem, readManifest } from "../atomic-dir.js";
import { OutputFolderError } from "../errors.js";
import type { RegisterStore } from "../register/store.js";
import { type AuditOptions, gatherAuditReport } from "./collect.js";
import { AUDIT_SAMPLE_FILE, auditPdfName, isAuditFile } from "./files.js";
import type { AuditReport } from "./model.js";
import { type AuditPdfOptions, renderAuditPdf } from "./pdf.js";
import { auditSampleCsv } from "./sample-csv.js";

/** Writes beside the close's outputs without replacing anything fiber-capex did not write; temp file then rename. */
function checkReplaceable(path: string, kind: "pdf" | "csv"): void {
  if (existsSync(path) && !isAuditFile(path, kind)) {
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
  /** Where audit-YYYY-MM.pdf and audit-sample.csv go; by default the period's output folder (periodOutputFolder). */
  out?: string | undefined;
}

/**
 * Where the close of `period` wrote its outputs: the folder it recorded (named as it was,
 * from the folder the close ran in) while that still holds this register's close of the
 * period (its manifest lists the files the register recorded, hash for hash), else
 * out/PERIOD, the close's own default.
 */
export async function periodOutputFolder(store: RegisterStore, period: string): Promise<string> {
  const recorded = (await store.periodReport(period))?.outputFolder;
  const closed = await store.closedPeriod(period);
  if (recorded !== undefined && closed) {
    const files = (readManifest(recorded) as { files?: Record<string, string> } | undefined)?.files ?? {};
    const hashes = Object.entries(closed.outputHashes);
    if (hashes.length === Object.keys(files).length && hashes.every(([name, sha]) => files[name] === sha)) return resolve(recorded);
  }
  return resolve("out", period);
}

/**
 * The period's audit report, from the register alone: audit-YYYY-MM.pdf and audit-sample.csv
 * in `out`. Both are rendered before either is written, so a failure writes nothing.
 */
export async function auditReport(run: AuditRun): Promise<{ report: AuditReport; files: string[] }> {
  const report = await gatherAuditReport(run.store, run.period, run);
  const pdf = await renderAuditPdf(report, { listLimit: run.listLimit });
  const csv = auditSampleCsv(report);
  const out = run.out ?? (await periodOutputFolder(run.store, run.period));
  const pdfPath = join(out, auditPdfName(run.period));
  const csvPath = join(out, AUDIT_SAMPLE_FILE);
  checkReplaceable(pdfPath, "pdf");
  checkReplaceable(csvPath, "csv");
  // The folder first: a path under a file, or a folder that cannot be made, fails before either file is written.
  await mkdir(out, { recursive: true }).catch((err: unknown) => {
    throw outputFolderProblem(out, err);
  });
  await writeOutput(pdfPath, pdf);
  await writeOutput(csvPath, csv);
  return { report, files: [pdfPath, csvPath] };
}
