import { formatCents } from "../money.js";
import type { AuditSample, SampledItem } from "./model.js";
import { DEFAULT_CONFIDENCE, defaultTolerable } from "./sample.js";
import { BODY, type Column, clean, count, formatAmount, type Layout, localText, MARGIN, SECTION_TITLES, utcText } from "./pdf-layout.js";

/** Section 11 of the audit PDF: the sample's plan, and each sampled asset traced on its own page. */

/** The command that draws the same sample: the seed, and every sampling option that differs from its default. */
export function reproduceCommand(period: string, s: AuditSample): string {
  const options = [`--period ${period}`, `--seed ${s.seed}`];
  if (s.requestedSize !== undefined) options.push(`--sample ${s.requestedSize}`);
  if (s.confidence !== DEFAULT_CONFIDENCE) options.push(`--confidence ${s.confidence}`);
  if (s.tolerable !== defaultTolerable(s.population)) options.push(`--tolerable ${formatCents(s.tolerable)}`);
  if (s.expectedMisstatement !== 0) options.push(`--expected ${formatCents(s.expectedMisstatement)}`);
  return `capex audit ${options.join(" ")}`;
}

export function sampleSection(l: Layout): void {
  const r = l.report;
  const s = r.sample;
  l.section(11, SECTION_TITLES[10]);
  const top = s.items.filter((i) => i.selection === "top stratum").length;
  l.paragraph(
    "Monetary-unit sampling of the period's additions and cost increases (AICPA Audit Guide, Audit Sampling): sample size n = BV × RF ÷ (TM − EM × EF), " +
      "sampling interval J = BV ÷ n. Every item of J or more is taken whole (the top stratum); the other items, in asset-id order, are selected " +
      "systematically at every J-th cent from a random start in [0, J) derived from the seed (the first 53 bits of sha256(seed) as a fraction, times J). " +
      "Zero and negative amounts carry no monetary units and are not in the population.",
  );
  l.facts([
    ["Method", s.method],
    ["Confidence", `${(s.confidence * 100).toFixed(0)} %`],
    ["Reliability factor (RF)", s.reliabilityFactor.toFixed(2)],
    ["Population (BV)", `${formatAmount(s.population)} in ${count(s.populationItems)} items${s.excludedItems ? ` (${count(s.excludedItems)} with no monetary units left out)` : ""}`],
    ["Tolerable misstatement (TM)", formatAmount(s.tolerable)],
    ["Expected misstatement (EM)", formatAmount(s.expectedMisstatement)],
    ["Sample size (n)", s.requestedSize === undefined ? `${count(s.plannedSize)} from the formula` : `${count(s.plannedSize)}, given with --sample`],
    ["Sampling interval (J)", formatAmount(s.interval)],
    ["Seed", s.seed, "mono"],
    ["Random start", formatAmount(s.start)],
    [
      "Items taken",
      `${count(s.items.length)}: ${count(top)} in the top stratum, ${count(s.items.length - top)} at sampling points` +
        // Not a shortfall: an item of J or more holds one or more of the n sampling points itself.
        (s.items.length < s.plannedSize ? "; fewer than n because each item taken whole holds one or more of the n sampling points (BV ÷ J) itself" : ""),
    ],
    [
      "To reproduce",
      `${reproduceCommand(r.period, s)} (same register)`,
      "mono",
    ],
  ]);
  // A cost change is in the population at its change; its asset's cost after the change is
  // printed beside it (when the sample holds one) for reference, outside the total.
  const changed = (i: SampledItem) => i.sampledAmount !== i.cost;
  const withCost = s.items.some(changed);
  l.paragraph(
    "Each item is listed at its amount in the population, the amount the sampling walked over: an addition's cost, a cost change's change" +
      (withCost ? "; the asset's cost after a cost change is printed beside it for reference and is not part of the total." : "."),
  );
  const columns: Column[] = [
    { header: "#", weight: 4, align: "right" },
    { header: "Asset", weight: 22 },
    { header: "Selection", weight: 12 },
    { header: "Sampling point", weight: 13, align: "right" },
    { header: "Kind", weight: 10 },
    { header: "Class", weight: 14 },
    { header: "Amount sampled", weight: 13, align: "right" },
  ];
  if (withCost) columns.push({ header: "Asset cost after the change (not sampled)", weight: 15, align: "right" });
  const row = (i: SampledItem, k: number) => {
    const cells = [String(k + 1), i.assetId, i.selection, i.point === undefined ? "" : formatAmount(i.point), i.kind, i.faClass, formatAmount(i.sampledAmount)];
    return withCost ? [...cells, changed(i) ? formatAmount(i.cost) : ""] : cells;
  };
  const total = ["", "Total", "", "", "", "", formatAmount(s.items.reduce((t, i) => t + i.sampledAmount, 0))];
  l.table(columns, s.items.map(row), { caption: "Sampled items", total: withCost ? [...total, ""] : total });
  const parent = l.currentOutline;
  for (const [k, item] of s.items.entries()) sampledItem(l, item, k + 1, s.items.length, parent);
}

/** The sentence that explains the in-service date from the approval instant and the zone. */
export function inServiceSentence(item: SampledItem): string {
  const zone = `${item.timeZone}${item.timeZoneDefaulted ? " (the rules' default zone: Render held none for the project)" : ""}`;
  if (item.approvedAtUtc === undefined) return `In service on ${item.inServiceDate}: Render recorded no approval time; zone ${zone}.`;
  return `In service on ${item.inServiceDate}: approved at ${utcText(item.approvedAtUtc)}, which is ${localText(item.approvedAtLocal)} in ${zone}.`;
}

function sampledItem(l: Layout, item: SampledItem, n: number, of: number, parent: PDFKit.PDFOutline | undefined): void {
  const { doc } = l;
  l.addPage();
  parent?.addItem(`${n} ${item.assetId}`);
  l.font("bold", 12);
  doc.text(`Sample item ${n} of ${of}: ${clean(item.assetId)}`, MARGIN.left, doc.y, { width: l.width });
  doc.moveDown(0.3);
  l.font("regular", BODY);
  l.paragraph(inServiceSentence(item), 9);
  const loc = item.location;
  const coordinates = loc.latitude === undefined || loc.longitude === undefined ? "not recorded" : `${loc.latitude}, ${loc.longitude} (latitude, longitude, WGS84)`;
  l.facts([
    ["Selection", `${item.selection}${item.point === undefined ? "" : `, at ${formatAmount(item.point)} into the items below the interval (asset-id order)`}`],
    ["Kind", item.kind],
    ["Render task", `${clean(item.project)} task ${item.taskId} (${clean(item.taskType)})`],
    ["Class", item.faClass],
    ["Approved by", clean(item.approvedBy) || "not recorded"],
    ["Approved at (UTC)", utcText(item.approvedAtUtc)],
    ["Approved at (local)", `${localText(item.approvedAtLocal)}, ${item.timeZone}${item.timeZoneDefaulted ? " (the rules' default zone)" : ""}`],
    ["In service", item.inServiceDate],
    ["Rule", `${clean(item.ruleId)} (rules version ${clean(item.rulesVersion)})`],
    ["Depreciation", `${item.method}, ${item.lifeMonths} months, ${item.convention}`],
    ...(item.sampledAmount === item.cost
      ? [["Cost (the amount sampled)", formatAmount(item.cost)] as const]
      : [
          ["Amount sampled", `${formatAmount(item.sampledAmount)}, the ${item.kind.replace("_", " ")}`] as const,
          ["Asset cost after the change", `${formatAmount(item.cost)} (not sampled: the ${item.kind.replace("_", " ")} is the population's amount)`] as const,
        ]),
    ["Location", [clean(loc.streetAddress), clean(loc.roadName), loc.workPackage ? `work package ${clean(loc.workPackage)}` : ""].filter(Boolean).join(", ") || "not recorded"],
    ["Coordinates", coordinates],
    ["Photos", item.photos.length === 0 ? "none in Render" : `${item.photos.length}: ${item.photos.map(clean).join("; ")}`],
  ]);
  l.subheading("Cost elements (unit lines)");
  l.table(
    [
      { header: "Line", weight: 5, align: "right" },
      { header: "Unit code", weight: 14 },
      { header: "Quantity", weight: 10, align: "right" },
      { header: "UoM", weight: 6 },
      { header: "Rate", weight: 10, align: "right" },
      { header: "Rate id", weight: 18 },
      { header: "Source", weight: 12 },
      { header: "Amount", weight: 12, align: "right" },
    ],
    item.elements.map((e) => [
      e.line === undefined ? "task" : String(e.line + 1),
      e.unitCode ?? "",
      e.quantity ?? "",
      e.uom ?? "",
      e.rate ?? "",
      e.rateId ?? "",
      e.source,
      formatAmount(e.amount),
    ]),
    { caption: `Item ${n} cost elements`, total: ["", "Total", "", "", "", "", "", formatAmount(item.elements.reduce((s, e) => s + e.amount, 0))] },
  );
  l.subheading("Depreciation posted to date");
  l.table(
    [
      { header: "Period", weight: 10 },
      { header: "Depreciation", weight: 14, align: "right" },
      // Taken on, caught up, reversed, retired: so that each row adds up from the one before.
      { header: "Other changes", weight: 14, align: "right" },
      { header: "Accumulated", weight: 14, align: "right" },
      { header: "Net book value", weight: 14, align: "right" },
    ],
    item.schedule.map((p) => [p.period, formatAmount(p.amount), formatAmount(p.otherChanges), formatAmount(p.accumulated), formatAmount(p.cost - p.accumulated)]),
    { caption: `Item ${n} depreciation`, width: 0.62 },
  );
  l.subheading("Journal lines the asset reached (each line sums the project's assets of the class)");
  l.table(
    [
      { header: "Period", weight: 7 },
      { header: "Journal", weight: 20 },
      { header: "Line", weight: 5, align: "right" },
      { header: "Account", weight: 9 },
      { header: "Debit", weight: 12, align: "right" },
      { header: "Credit", weight: 12, align: "right" },
      { header: "Memo", weight: 35, wrap: true },
    ],
    item.journalLines.map((j) => [j.period, j.journalId, String(j.line), j.account, j.debit ? formatAmount(j.debit) : "", j.credit ? formatAmount(j.credit) : "", j.memo]),
    { caption: `Item ${n} journal lines` },
  );
}
