import { readFileSync } from "node:fs";
import { AUDIT_SAMPLE_COLUMNS, AUDIT_SAMPLE_COLUMNS_BEFORE_SAMPLED_AMOUNT } from "./sample-csv.js";

/** The audit report's files in a close output folder (capex audit writes them beside the close's). */
export const auditPdfName = (period: string) => `audit-${period}.pdf`;
export const AUDIT_SAMPLE_FILE = "audit-sample.csv";

/** The PDF's document information names fiber-capex as its creator: inline, or (as pdfkit writes it) in the object it refers to. */
function createdByFiberCapex(pdf: string): boolean {
  const creator = /\/Creator\s*(?:\((fiber-capex )|(\d+)\s+0\s+R)/.exec(pdf);
  if (!creator) return false;
  return creator[1] !== undefined || new RegExp(`(?:^|[\\r\\n])${creator[2]}\\s+0\\s+obj\\s*\\(fiber-capex `).test(pdf);
}

/** Whether the file at `path` is this kind of audit output as fiber-capex writes it (so it may replace or rename it). */
export function isAuditFile(path: string, kind: "pdf" | "csv"): boolean {
  const bytes = readFileSync(path);
  if (kind === "pdf") return bytes.subarray(0, 5).toString("latin1") === "%PDF-" && createdByFiberCapex(bytes.toString("latin1"));
  const header = bytes.toString("utf8").split(/\r?\n/, 1)[0];
  return header === AUDIT_SAMPLE_COLUMNS.join(",") || header === AUDIT_SAMPLE_COLUMNS_BEFORE_SAMPLED_AMOUNT.join(",");
}
