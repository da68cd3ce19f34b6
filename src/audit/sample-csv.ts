import { writeFile } from "node:fs/promises";
import { formatCents } from "../money.js";
import { type CsvCell, csvText, neutralise } from "../report/csv.js";
import type { AuditReport, SampledItem } from "./model.js";

/**
 * audit-sample.csv: the sampled items for the auditor's workpapers, one row each, in the
 * order the PDF traces them. Lists inside a cell are joined with " | " (unit lines, rate ids,
 * journal ids, photos), the same text the PDF prints, so a tick on one finds the other.
 * sampled_amount is the item's amount in the population (a cost change's change); cost is the
 * asset's cost (after the change).
 */
export const AUDIT_SAMPLE_COLUMNS = [
  "asset_id",
  "selection",
  "point",
  "kind",
  "sampled_amount",
  "project",
  "task_id",
  "task_type",
  "fa_class",
  "approved_by",
  "approved_at_utc",
  "approved_at_local",
  "time_zone",
  "in_service_date",
  "cost",
  "rule_id",
  "rules_version",
  "rate_ids",
  "unit_lines",
  "journal_ids",
  "street_address",
  "longitude",
  "latitude",
  "photos",
] as const;

/**
 * The header fiber-capex wrote before it added sampled_amount: such a file is still
 * recognised as ours and replaced. Its `cost` column held the asset's cost, also for a cost
 * change, whose sampled amount is its change.
 */
export const AUDIT_SAMPLE_COLUMNS_BEFORE_SAMPLED_AMOUNT: readonly string[] = AUDIT_SAMPLE_COLUMNS.filter((c) => c !== "sampled_amount");

/** "CND-2IN-HDPE 1500 ft × 12.50 = 18750.00": one cost element as compact text. */
function unitLine(e: SampledItem["elements"][number]): string {
  const what = [e.unitCode ?? e.source, e.quantity, e.uom].filter((x) => x !== undefined && x !== "").join(" ");
  return `${what}${e.rate === undefined ? "" : ` × ${e.rate}`} = ${formatCents(e.amount)}`;
}

function unique(values: Iterable<string | undefined>): string[] {
  const out: string[] = [];
  for (const v of values) if (v !== undefined && v !== "" && !out.includes(v)) out.push(v);
  return out;
}

export function auditSampleRow(item: SampledItem): CsvCell[] {
  return [
    item.assetId,
    item.selection,
    item.point === undefined ? undefined : formatCents(item.point),
    item.kind,
    formatCents(item.sampledAmount),
    item.project,
    item.taskId,
    item.taskType,
    item.faClass,
    neutralise(item.approvedBy),
    item.approvedAtUtc,
    item.approvedAtLocal,
    item.timeZone,
    item.inServiceDate,
    formatCents(item.cost),
    item.ruleId,
    neutralise(item.rulesVersion),
    unique(item.elements.map((e) => e.rateId)).join(" | "),
    neutralise(item.elements.map(unitLine).join(" | ")),
    unique(item.journalLines.map((j) => j.journalId)).join(" | "),
    neutralise(item.location.streetAddress),
    item.location.longitude,
    item.location.latitude,
    neutralise(item.photos.join(" | ")),
  ];
}

export function auditSampleCsv(report: AuditReport): string {
  return csvText(AUDIT_SAMPLE_COLUMNS, report.sample.items.map(auditSampleRow));
}

export async function writeAuditSampleCsv(report: AuditReport, path: string): Promise<void> {
  await writeFile(path, auditSampleCsv(report));
}
