import { writeFile } from "node:fs/promises";
import { InputError } from "../errors.js";
import type { Cents } from "../money.js";
import { type Box, type ChartStyle, drawAdditionsByClass, drawWaterfall, type WaterfallStep } from "./chart.js";
import type { AuditReport } from "./model.js";
import { BODY, type Column, clean, count, formatAmount, Layout, localText, MARGIN, SECTION_TITLES, utcText } from "./pdf-layout.js";
import { reproduceCommand, sampleSection } from "./pdf-sample.js";

export { formatAmount, localText, SECTION_TITLES, utcText } from "./pdf-layout.js";
export { inServiceSentence } from "./pdf-sample.js";
/**
 * audit-YYYY-MM.pdf: the audit report a reader can follow without running anything (DESIGN
 * §9). A4 landscape, because the rollforward and the journal lines are wide tables.
 *
 * Deterministic: the same report gives the same bytes. The PDF's dates come from the report
 * (scope.generatedAt) and pdfkit derives the file ID from them; the font subsets are named
 * from the font's order of use. Fonts are DejaVu (Bitstream Vera licence), embedded as
 * subsets: the standard 14 PDF fonts are never embedded and are drawn differently by every
 * viewer, which an archived audit report cannot afford.
 */

export interface AuditPdfOptions {
  /**
   * Rows a long list (additions, adjustments, retirements, exceptions, cut-off) prints before
   * it stops at its largest items; the full lists are in the period's CSV files and workbook.
   * A 100,000-asset period would otherwise print 2,000 pages that nobody reads.
   */
  listLimit?: number;
}

export const DEFAULT_LIST_LIMIT = 1000;
/** The largest `limit` rows by |amount| when there are more, and the sentence saying so. */
function largest<T>(rows: readonly T[], limit: number, amount: (row: T) => number, what: string, where: string): { rows: readonly T[]; note: string | undefined } {
  if (rows.length <= limit) return { rows, note: undefined };
  const shown = [...rows].sort((a, b) => Math.abs(amount(b)) - Math.abs(amount(a))).slice(0, limit);
  return {
    rows: shown,
    note: `${count(rows.length)} ${what}: the ${count(limit)} largest are listed below, largest first; the full list is in ${where} and the workbook. The totals are of all ${count(rows.length)}.`,
  };
}

const chartStyle = (report: AuditReport): ChartStyle => ({ regular: "regular", bold: "bold", currency: report.currency, amount: formatAmount });

function titlePage(l: Layout): { tocTop: number } {
  const { doc, report } = l;
  l.addPage();
  l.font("bold", 22);
  doc.text("Fixed-asset audit report", MARGIN.left, 70, { width: l.width });
  l.font("regular", 13);
  doc.text(`Period ${report.period} (${report.periodStart} to ${report.periodEnd}) · ${report.currency}`, { width: l.width });
  if (report.scope.company) doc.text(clean(report.scope.company), { width: l.width });
  l.font("regular", BODY);
  doc.moveDown(0.6);
  doc.text(
    "Prepared from the fixed-asset register alone, without the network. Every figure can be re-run: capex verify recomputes the period " +
      "from its snapshot and rules and compares each output's sha256 with the hashes printed in section 1; the sample is reproduced " +
      `by ${reproduceCommand(report.period, report.sample)}.`,
    { width: l.width * 0.75 },
  );
  doc.moveDown(1.2);
  l.font("bold", 13);
  doc.text("Contents", { width: l.width });
  doc.moveDown(0.4);
  return { tocTop: doc.y };
}

function contents(l: Layout, top: number): void {
  const { doc } = l;
  doc.switchToPage(0);
  let y = top;
  const width = l.width * 0.6;
  for (const [i, s] of l.sections.entries()) {
    doc.font("regular").fontSize(10).fillColor("#000000");
    const page = String(s.page);
    const pageWidth = doc.widthOfString(page);
    doc.text(s.title, MARGIN.left, y, { lineBreak: false });
    const titleEnd = MARGIN.left + doc.widthOfString(s.title) + 4;
    const dotsWidth = MARGIN.left + width - pageWidth - 4 - titleEnd;
    const dot = doc.widthOfString(". ");
    doc.fillColor("#888888").text(". ".repeat(Math.max(0, Math.floor(dotsWidth / dot))), titleEnd, y, { lineBreak: false }).fillColor("#000000");
    doc.text(page, MARGIN.left + width - pageWidth, y, { lineBreak: false });
    doc.goTo(MARGIN.left, y, width, 14, `section-${i + 1}`);
    y += 16;
  }
}

const PROVISIONAL = "provisional: closed before the period ended (--allow-open-period), from a snapshot fetched then; work approved later in the period is not in it";

function scopeSection(l: Layout): void {
  const s = l.report.scope;
  l.section(1, SECTION_TITLES[0]);
  l.facts([
    ["Company", clean(s.company) || "not named in the rules"],
    ["Period", `${l.report.period} (${l.report.periodStart} to ${l.report.periodEnd})`],
    ["Currency", l.report.currency],
    ["Rules file", clean(s.rulesFile)],
    ["Rules version", clean(s.rulesVersion)],
    ["Rules sha256", s.rulesSha256, "mono"],
    ["Snapshot manifest sha256", s.snapshotSha256, "mono"],
    ["Snapshot fetched at", s.snapshotFetchedAt],
    ["Close", s.provisional ? PROVISIONAL : "final: the snapshot was fetched after the period ended"],
    ["Register", clean(s.registerLocation)],
    ["Register digest before the close", s.registerDigestBefore, "mono"],
    ["Tool version at the close", s.toolVersionAtClose],
    ["Tool version of this report", s.toolVersionNow],
    ["Closed at", s.closedAt],
    ["Closed by", clean(s.closedBy)],
    // A close a reopen removed is part of the period's story: the register logged it.
    ...(s.reopens ?? []).map((x, i): [string, string] => [
      `Reopened${s.reopens!.length > 1 ? ` (${i + 1})` : ""}`,
      `${x.reopenedAt} by ${clean(x.reopenedBy)}${x.reason ? `: ${clean(x.reason)}` : " (no reason given)"}; it removed the close of ${x.closedAt} by ${clean(x.closedBy)}`,
    ]),
    ["Report generated at", s.generatedAt],
  ]);
  l.subheading("Outputs of the close, as the register recorded their sha256");
  const files = Object.keys(s.outputHashes).sort();
  l.table(
    [
      { header: "File", weight: 22 },
      // Wrapped, never cut: a hash is only useful whole.
      { header: "sha256", weight: 60, font: "mono", wrap: true },
    ],
    files.map((f) => [f, s.outputHashes[f]!]),
    { caption: "Outputs of the close" },
  );
}

const holds = (ok: boolean) => (ok ? "holds" : "DOES NOT HOLD");

function rollforwardSection(l: Layout): void {
  const r = l.report;
  l.section(2, SECTION_TITLES[1]);
  const a = (c: Cents) => formatAmount(c);
  const num = (header: string, weight = 12): Column => ({ header, weight, align: "right" });
  const body = r.rollforward.filter((x) => x.faClass !== "TOTAL");
  const total = r.rollforward.find((x) => x.faClass === "TOTAL");
  l.subheading("Cost");
  l.table(
    [{ header: "Class", weight: 14 }, num("Opening cost"), num("Additions"), num("Cost adjustments"), num("Transfers"), num("Disposals"), num("Closing cost")],
    body.map((x) => [x.faClass, a(x.openingCost), a(x.additions), a(x.costAdjustments), a(x.transfers), a(x.disposals), a(x.closingCost)]),
    {
      caption: "Cost rollforward",
      total: total && ["Total", a(total.openingCost), a(total.additions), a(total.costAdjustments), a(total.transfers), a(total.disposals), a(total.closingCost)],
    },
  );
  l.subheading("Accumulated depreciation and net book value");
  l.table(
    [
      { header: "Class", weight: 14 },
      num("Opening accumulated"),
      num("Depreciation"),
      num("Adjustments"),
      num("Transfers"),
      num("On disposals"),
      num("Closing accumulated"),
      num("Opening NBV"),
      num("Closing NBV"),
    ],
    body.map((x) => [
      x.faClass,
      a(x.openingAccumulated),
      a(x.depreciation),
      a(x.accumulatedAdjustments),
      a(x.accumulatedTransfers),
      a(x.accumulatedOnDisposals),
      a(x.closingAccumulated),
      a(x.openingNbv),
      a(x.closingNbv),
    ]),
    {
      caption: "Accumulated depreciation rollforward",
      total: total && [
        "Total",
        a(total.openingAccumulated),
        a(total.depreciation),
        a(total.accumulatedAdjustments),
        a(total.accumulatedTransfers),
        a(total.accumulatedOnDisposals),
        a(total.closingAccumulated),
        a(total.openingNbv),
        a(total.closingNbv),
      ],
    },
  );

  l.subheading("Tie 1: opening balances = the previous period's closing balances as the register posted them");
  if (r.continuity === undefined) {
    l.paragraph("First close: the register holds no earlier period, so the opening balances are the take-on balances and there is nothing to tie to.");
  } else {
    // After a take-on import, the first close also takes on the Render work in service before
    // it: shown on its own, so the tie does not read as if the register had posted it.
    const takenOn = r.continuity.some((x) => x.takenOnCost || x.takenOnAccumulated);
    if (takenOn) l.paragraph("This close also took on the work in service before it that the register did not hold (after a take-on import): each class opens at what the register posted plus what was taken on.");
    const ifTakenOn = <T>(...items: T[]): T[] => (takenOn ? items : []);
    l.table(
      [
        { header: "Class", weight: 14 },
        num("Posted closing cost"),
        ...ifTakenOn(num("Cost taken on")),
        num("Opening cost"),
        num("Difference"),
        num("Posted closing accumulated"),
        ...ifTakenOn(num("Accumulated taken on")),
        num("Opening accumulated"),
        num("Difference"),
        { header: "Tie", weight: 10 },
      ],
      r.continuity.map((x) => {
        const cost = x.takenOnCost ?? 0;
        const accumulated = x.takenOnAccumulated ?? 0;
        return [
          x.faClass,
          a(x.postedCost - cost),
          ...ifTakenOn(a(cost)),
          a(x.openingCost),
          a(x.openingCost - x.postedCost),
          a(x.postedAccumulated - accumulated),
          ...ifTakenOn(a(accumulated)),
          a(x.openingAccumulated),
          a(x.openingAccumulated - x.postedAccumulated),
          holds(x.postedCost === x.openingCost && x.postedAccumulated === x.openingAccumulated),
        ];
      }),
      { caption: "Tie to the previous period" },
    );
  }
  l.subheading("Tie 2: register balance = take-on + every journal line posted, per class account");
  l.table(
    [
      { header: "Account", weight: 8 },
      { header: "Account name", weight: 28 },
      { header: "Class", weight: 12 },
      num("Ledger (take-on + journals)", 14),
      num("Register", 14),
      num("Difference"),
      { header: "Tie", weight: 8 },
    ],
    r.ledgerTie.map((x) => [x.account, x.accountName, x.faClass, a(x.ledger), a(x.register), a(x.register - x.ledger), holds(x.ledger === x.register)]),
    { caption: "Tie to the journals" },
  );
}

const MONEY_TEXT = /^-?\d+\.\d{2}$/;
/** Identities carry their sides as text; money sides are grouped like every other amount. */
function side(text: string): string {
  return MONEY_TEXT.test(text) ? formatAmount(Math.round(Number(text) * 100)) : text;
}

function identitiesSection(l: Layout): void {
  const r = l.report;
  l.section(3, SECTION_TITLES[2]);
  l.paragraph("Each identity is computed from the close's results, both sides printed. A close whose identities did not all hold was never written.");
  l.table(
    [
      { header: "Identity", weight: 50, wrap: true },
      { header: "Left side", weight: 14, align: "right" },
      { header: "Right side", weight: 14, align: "right" },
      { header: "Result", weight: 10 },
    ],
    r.identities.map((i) => [i.name, side(i.left), side(i.right), holds(i.holds)]),
    { caption: "Identities" },
  );
  l.subheading("Journals by source");
  const t = r.journalsBySource.reduce((s, j) => ({ entries: s.entries + j.entries, lines: s.lines + j.lines, debit: s.debit + j.debit, credit: s.credit + j.credit }), {
    entries: 0,
    lines: 0,
    debit: 0,
    credit: 0,
  });
  l.table(
    [
      { header: "Source", weight: 24 },
      { header: "Entries", weight: 10, align: "right" },
      { header: "Lines", weight: 10, align: "right" },
      { header: "Debit", weight: 16, align: "right" },
      { header: "Credit", weight: 16, align: "right" },
    ],
    r.journalsBySource.map((j) => [j.source, count(j.entries), count(j.lines), formatAmount(j.debit), formatAmount(j.credit)]),
    { caption: "Journals by source", total: ["Total", count(t.entries), count(t.lines), formatAmount(t.debit), formatAmount(t.credit)] },
  );
}

function additionsSection(l: Layout): void {
  const r = l.report;
  l.section(4, SECTION_TITLES[3]);
  const byKind = new Map<string, { n: number; cost: Cents }>();
  for (const x of r.additions) {
    const k = byKind.get(x.kind) ?? { n: 0, cost: 0 };
    k.n++;
    k.cost += x.cost;
    byKind.set(x.kind, k);
  }
  const totalCost = r.additions.reduce((s, x) => s + x.cost, 0);
  // The population the sample walks: more than the rollforward's additions when it holds late
  // additions and cost increases, which the rollforward shows as cost adjustments.
  if (r.additions.some((x) => x.kind !== "addition")) {
    l.paragraph("The sampling population: this period's additions, and the late additions and cost changes the rollforward shows under cost adjustments, so its total is not the rollforward's additions alone.");
  }
  l.table(
    [
      { header: "Kind", weight: 20 },
      { header: "Assets", weight: 10, align: "right" },
      { header: "Cost", weight: 16, align: "right" },
    ],
    [...byKind.keys()].sort().map((k) => [k, count(byKind.get(k)!.n), formatAmount(byKind.get(k)!.cost)]),
    { caption: "Additions by kind", total: ["Total", count(r.additions.length), formatAmount(totalCost)], width: 0.45 },
  );
  const { rows, note } = largest(r.additions, l.listLimit, (x) => x.cost, "additions", "additions.csv");
  if (note) l.paragraph(note);
  l.table(
    [
      { header: "Asset", weight: 20 },
      { header: "Project", weight: 12 },
      { header: "Task", weight: 7, align: "right" },
      { header: "Task type", weight: 16 },
      { header: "Class", weight: 12 },
      { header: "In service", weight: 9 },
      { header: "Kind", weight: 10 },
      { header: "Cost", weight: 13, align: "right" },
    ],
    rows.map((x) => [x.assetId, x.project, String(x.taskId), x.taskType, x.faClass, x.inServiceDate, x.kind, formatAmount(x.cost)]),
    { caption: "Additions", total: ["Total", "", "", "", "", "", "", formatAmount(totalCost)] },
  );
  l.subheading(`Additions by class, last ${r.additionsByPeriod.length} closed periods`);
  if (r.additionsByPeriod.length === 0) {
    l.paragraph("The register holds no closed period yet.");
    return;
  }
  l.need(280);
  const box: Box = { x: MARGIN.left, y: l.doc.y + 4, width: l.width, height: 260 };
  drawAdditionsByClass(l.doc, box, r.additionsByPeriod, chartStyle(r));
  l.doc.x = MARGIN.left;
  l.doc.y = box.y + box.height + 8;
  l.font("regular", BODY);
}

function adjustmentsSection(l: Layout): void {
  const r = l.report;
  l.section(5, SECTION_TITLES[4]);
  l.paragraph("Changes the register posted in this period to what earlier closes had posted: late additions (tasks in service in a month already closed), cost changes, reclassifications and withdrawals, each with its reason.");
  const { rows, note } = largest(r.adjustments, l.listLimit, (x) => x.costChange, "adjustments", "adjustments.csv");
  if (note) l.paragraph(note);
  const sum = (f: (x: (typeof r.adjustments)[number]) => Cents) => formatAmount(r.adjustments.reduce((s, x) => s + f(x), 0));
  l.table(
    [
      // Wide enough for a generated asset id (ATX-NORTH-UNDERG-000008) on one line.
      { header: "Asset", weight: 20 },
      { header: "Task", weight: 5, align: "right" },
      { header: "Kind", weight: 11 },
      { header: "Effective", weight: 8 },
      { header: "Class", weight: 14 },
      { header: "Cost change", weight: 11, align: "right" },
      { header: "Accumulated change", weight: 11, align: "right" },
      { header: "Depreciation catch-up", weight: 11, align: "right" },
      { header: "Reason", weight: 23, wrap: true },
    ],
    rows.map((x) => [
      x.assetId,
      x.taskId === undefined ? "" : String(x.taskId),
      x.kind,
      x.effectiveDate,
      x.previousFaClass && x.previousFaClass !== x.faClass ? `${x.previousFaClass} → ${x.faClass}` : x.faClass,
      formatAmount(x.costChange),
      formatAmount(x.accumulatedChange),
      formatAmount(x.depreciationCatchUp),
      x.message,
    ]),
    {
      caption: "Adjustments",
      total: ["Total", "", "", "", "", sum((x) => x.costChange), sum((x) => x.accumulatedChange), sum((x) => x.depreciationCatchUp), ""],
    },
  );
}

function retirementsSection(l: Layout): void {
  const r = l.report;
  l.section(6, SECTION_TITLES[5]);
  const { rows, note } = largest(r.disposals, l.listLimit, (x) => x.costRetired, "retirements", "disposals.csv");
  if (note) l.paragraph(note);
  const sum = (f: (x: (typeof r.disposals)[number]) => Cents) => formatAmount(r.disposals.reduce((s, x) => s + f(x), 0));
  l.table(
    [
      { header: "Asset", weight: 19 },
      { header: "Class", weight: 14 },
      { header: "Date", weight: 8 },
      { header: "Portion", weight: 6, align: "right" },
      { header: "Cost retired", weight: 11, align: "right" },
      { header: "Accumulated retired", weight: 11, align: "right" },
      { header: "Proceeds", weight: 10, align: "right" },
      { header: "Removal cost", weight: 10, align: "right" },
      { header: "Gain (loss)", weight: 11, align: "right" },
      { header: "Reason", weight: 14, wrap: true },
    ],
    rows.map((x) => [
      x.assetId,
      x.faClass,
      x.date,
      // As disposals.csv writes it, and "(the rest)" where a quantity or percentage took what was left.
      x.wholly && x.portion !== "all" ? `${x.portion} (the rest)` : x.portion,
      formatAmount(x.costRetired),
      formatAmount(x.accumulatedRetired),
      formatAmount(x.proceeds),
      formatAmount(x.removalCost),
      formatAmount(x.gainLoss),
      x.reason,
    ]),
    {
      caption: "Retirements",
      total: ["Total", "", "", "", sum((x) => x.costRetired), sum((x) => x.accumulatedRetired), sum((x) => x.proceeds), sum((x) => x.removalCost), sum((x) => x.gainLoss), ""],
    },
  );
}

function exceptionsSection(l: Layout): void {
  const r = l.report;
  l.section(7, SECTION_TITLES[6]);
  l.paragraph(
    "Tasks the close could neither capitalize nor expense, and warnings (a project without a time zone, whose tasks were capitalized in the rules' default zone), with the closed period in which the register first saw each and how many closes it has stayed open.",
  );
  const { rows, note } = largest(r.exceptions, l.listLimit, (x) => x.periodsOpen, "open exceptions", "exceptions.csv");
  if (note) l.paragraph(note.replace("largest", "longest open").replace("largest first", "longest open first"));
  l.table(
    [
      { header: "Project", weight: 12 },
      { header: "Task", weight: 6, align: "right" },
      { header: "Task type", weight: 14 },
      { header: "Code", weight: 16 },
      { header: "Open since", weight: 8 },
      { header: "Periods open", weight: 7, align: "right" },
      { header: "Message", weight: 40, wrap: true },
    ],
    rows.map((x) => [x.project, x.taskId === undefined ? "" : String(x.taskId), x.taskType ?? "", x.code, x.openSince, String(x.periodsOpen), x.message]),
    { caption: "Open exceptions" },
  );
}

function cutoffSection(l: Layout): void {
  const r = l.report;
  l.section(8, SECTION_TITLES[7]);
  l.paragraph(
    `Tasks approved within three days either side of the period end (${r.periodEnd}), with the approval instant in UTC and in the project's ` +
      "time zone, which dates the in-service day, and the period each landed in.",
  );
  if (r.scope.provisional) l.paragraph(`The close was provisional: its snapshot was fetched at ${r.scope.snapshotFetchedAt}, before the period ended, so the window holds only what Render had approved by then.`);
  const { rows, note } = largest(r.cutoff, l.listLimit, (x) => x.amount, "tasks in the cut-off window", "the period's CSV files");
  if (note) l.paragraph(note);
  l.table(
    [
      { header: "Project", weight: 8 },
      { header: "Task", weight: 5, align: "right" },
      { header: "Task type", weight: 13 },
      { header: "Approved (UTC)", weight: 12 },
      { header: "Approved (local, UTC offset)", weight: 15 },
      { header: "Time zone", weight: 11 },
      { header: "In service", weight: 8 },
      { header: "Period landed", weight: 6 },
      // "next close: capitalized" on one line.
      { header: "Outcome", weight: 12 },
      { header: "Amount", weight: 10, align: "right" },
    ],
    rows.map((x) => [
      x.project,
      String(x.taskId),
      x.taskType,
      utcText(x.approvedAtUtc, ""),
      localText(x.approvedAtLocal, true),
      x.timeZone,
      x.inServiceDate,
      x.periodLanded,
      x.outcome,
      formatAmount(x.amount),
    ]),
    { caption: "Cut-off" },
  );
}

function reasonablenessSection(l: Layout): void {
  const r = l.report;
  l.section(9, SECTION_TITLES[8]);
  l.paragraph(
    "An analytical test of the depreciation charge: for each class, expected = Σ ((cost − salvage) ÷ useful life in months) over the assets in service at " +
      "the period end, against the depreciation recorded. Differences come from assets placed in service or retired mid-period, assets fully depreciated, conventions and accelerated methods.",
  );
  const sum = (f: (x: (typeof r.reasonableness)[number]) => Cents) => r.reasonableness.reduce((s, x) => s + f(x), 0);
  const pct = (diff: Cents, base: Cents) => (base === 0 ? "" : `${((diff / base) * 100).toFixed(1)} %`);
  l.table(
    [
      { header: "Class", weight: 16 },
      { header: "Cost", weight: 14, align: "right" },
      { header: "Expected", weight: 14, align: "right" },
      { header: "Recorded", weight: 14, align: "right" },
      { header: "Difference", weight: 14, align: "right" },
      { header: "Difference % of expected", weight: 12, align: "right" },
    ],
    r.reasonableness.map((x) => [x.faClass, formatAmount(x.cost), formatAmount(x.expected), formatAmount(x.recorded), formatAmount(x.difference), pct(x.difference, x.expected)]),
    {
      caption: "Depreciation reasonableness",
      total: [
        "Total",
        formatAmount(sum((x) => x.cost)),
        formatAmount(sum((x) => x.expected)),
        formatAmount(sum((x) => x.recorded)),
        formatAmount(sum((x) => x.difference)),
        pct(
          sum((x) => x.difference),
          sum((x) => x.expected),
        ),
      ],
    },
  );
}

/** The net book value's movement in the period, summed over the classes. */
export function rollforwardSteps(report: AuditReport): WaterfallStep[] {
  const rows = report.rollforward.filter((x) => x.faClass !== "TOTAL");
  const sum = (f: (x: (typeof rows)[number]) => Cents) => rows.reduce((s, x) => s + f(x), 0);
  return [
    { label: "Opening NBV", kind: "total", amount: sum((x) => x.openingNbv) },
    { label: "Additions", kind: "step", amount: sum((x) => x.additions) },
    { label: "Adjustments", kind: "step", amount: sum((x) => x.costAdjustments + x.transfers - x.accumulatedAdjustments - x.accumulatedTransfers) },
    { label: "Depreciation", kind: "step", amount: -sum((x) => x.depreciation) },
    { label: "Disposals", kind: "step", amount: -sum((x) => x.disposals - x.accumulatedOnDisposals) },
    { label: "Closing NBV", kind: "total", amount: sum((x) => x.closingNbv) },
  ];
}

function waterfallSection(l: Layout): void {
  const r = l.report;
  l.section(10, SECTION_TITLES[9]);
  const steps = rollforwardSteps(r);
  l.paragraph(
    "The period's movement in net book value: adjustments are cost adjustments and transfers less their accumulated depreciation; disposals are the cost retired less the accumulated depreciation that left with it.",
  );
  const box: Box = { x: MARGIN.left, y: l.doc.y + 6, width: l.width, height: 300 };
  drawWaterfall(l.doc, box, steps, chartStyle(r));
  l.doc.x = MARGIN.left;
  l.doc.y = box.y + box.height + 10;
  const opening = steps[0]!.amount;
  const closing = steps[steps.length - 1]!.amount;
  const moved = steps.slice(1, -1).reduce((s, x) => s + x.amount, 0);
  l.table(
    [
      { header: "Movement", weight: 30 },
      { header: "Amount", weight: 16, align: "right" },
      { header: "", weight: 10 },
    ],
    steps.map((s) => [s.label, formatAmount(s.amount), ""]),
    {
      caption: "Rollforward",
      width: 0.5,
      total: ["Opening + movements − closing", formatAmount(opening + moved - closing), opening + moved === closing ? "ties" : "DOES NOT TIE"],
    },
  );
}


/** The PDF's bytes. */
export async function renderAuditPdf(report: AuditReport, options: AuditPdfOptions = {}): Promise<Buffer> {
  const listLimit = options.listLimit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(listLimit) || listLimit < 1) throw new InputError("listLimit", `${listLimit} is not a number of rows; give 1 or more`);
  const l = new Layout(report, listLimit);
  const chunks: Buffer[] = [];
  l.doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    l.doc.on("end", resolve);
    l.doc.on("error", reject);
  });
  const { tocTop } = titlePage(l);
  scopeSection(l);
  rollforwardSection(l);
  identitiesSection(l);
  additionsSection(l);
  adjustmentsSection(l);
  retirementsSection(l);
  exceptionsSection(l);
  cutoffSection(l);
  reasonablenessSection(l);
  waterfallSection(l);
  sampleSection(l);
  l.flushHeading();
  contents(l, tocTop);
  l.footers();
  l.doc.end();
  await done;
  return Buffer.concat(chunks);
}

/** Writes audit-YYYY-MM.pdf. */
export async function writeAuditPdf(report: AuditReport, path: string, options: AuditPdfOptions = {}): Promise<void> {
  await writeFile(path, await renderAuditPdf(report, options));
}

