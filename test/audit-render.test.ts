import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { beforeAll, describe, expect, test } from "vitest";
import type { AuditReport } from "../src/audit/model.js";
import { formatAmount, renderAuditPdf, SECTION_TITLES, writeAuditPdf } from "../src/audit/pdf.js";
import { reproduceCommand } from "../src/audit/pdf-sample.js";
import { auditSampleCsv, writeAuditSampleCsv } from "../src/audit/sample-csv.js";
import { CapexError } from "../src/errors.js";
import { auditFixture } from "./audit-fixture.js";
import { tmp } from "./helpers.js";

interface ReadBack {
  pages: string[][];
  outline: Array<[string, string[]]>;
  info: Record<string, unknown>;
}

/** The PDF read back as a reader's tool sees it: each page's text runs, the bookmarks, the document info. */
async function readBack(pdf: Buffer): Promise<ReadBack> {
  const doc = await getDocument({ data: new Uint8Array(pdf), verbosity: 0 }).promise;
  const pages: string[][] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((i) => ("str" in i ? i.str.trim() : "")).filter((s) => s !== ""));
  }
  const outline = ((await doc.getOutline()) ?? []).map((o) => [o.title, o.items.map((i) => i.title)] as [string, string[]]);
  const info = (await doc.getMetadata()).info as Record<string, unknown>;
  await doc.destroy();
  return { pages, outline, info };
}

/**
 * True when `cells` appear one after another in the page's text: a table row as printed. Runs
 * are joined with spaces, so a cell wrapped over two lines reads as one.
 */
function hasRow(page: readonly string[], cells: readonly string[]): boolean {
  return ` ${page.join(" ")} `.includes(` ${cells.join(" ")} `);
}

/** The pages of section n (its first page to the page before the next section). */
function sectionPages(r: ReadBack, n: number): string[][] {
  const start = r.pages.findIndex((p) => p[0] === `${n} ${SECTION_TITLES[n - 1]}`);
  const next = r.pages.findIndex((p, i) => i > start && /^(\d+) /.test(p[0] ?? "") && SECTION_TITLES.some((t, k) => p[0] === `${k + 1} ${t}`));
  return r.pages.slice(start, next === -1 ? undefined : next);
}

let pdf: Buffer;
let back: ReadBack;

beforeAll(async () => {
  pdf = await renderAuditPdf(auditFixture());
  back = await readBack(pdf);
}, 60_000);

describe("the audit PDF read back", () => {
  test("14 pages, each numbered 'Page N of 14'", () => {
    expect(back.pages).toHaveLength(14);
    back.pages.forEach((p, i) => {
      expect(p.at(-1)).toBe(`Page ${i + 1} of 14`);
      expect(p.at(-2)).toBe("Fixed-asset audit report 2026-10 · Lakeside Fiber Co · generated 2026-11-20T10:00:00Z");
    });
  });

  test("the contents list every section with the page it starts on, and that page starts with it", () => {
    const first = back.pages[0]!;
    const expected: Array<[string, number]> = [
      ["1 Scope and inputs", 2],
      ["2 Rollforward by class and its ties", 3],
      ["3 Identities and journals by source", 4],
      ["4 Additions", 5],
      ["5 Adjustments after close", 6],
      ["6 Retirements", 7],
      ["7 Open exceptions", 8],
      ["8 Cut-off", 9],
      ["9 Depreciation reasonableness", 10],
      ["10 Rollforward chart", 11],
      ["11 The sample", 12],
    ];
    const toc = first.slice(first.indexOf("Contents") + 1, first.indexOf("Contents") + 1 + 2 * expected.length);
    expect(toc.map((s) => s.replace(/( \.)+$/, ""))).toEqual(expected.flatMap(([title, page]) => [title, String(page)]));
    for (const [title, page] of expected) expect(back.pages[page - 1]![0]).toBe(title);
  });

  test("the bookmarks: every section, and under the sample each sampled asset", () => {
    expect(back.outline).toEqual([
      ...SECTION_TITLES.slice(0, 10).map((t, i) => [`${i + 1} ${t}`, []]),
      ["11 The sample", ["1 ATX-NORTH-CABLE-000101", "2 ATX-NORTH-CONDUI-000102"]],
    ]);
  });

  test("the document info is dated from the report, not the clock", () => {
    expect(back.info).toMatchObject({
      Title: "Fixed-asset audit report 2026-10 — Lakeside Fiber Co",
      Creator: "fiber-capex 0.1.0",
      CreationDate: "D:20261120100000Z",
      ModDate: "D:20261120100000Z",
    });
  });

  test("1 Scope and inputs: every hash in full", () => {
    const p = back.pages[1]!;
    expect(hasRow(p, ["Rules sha256", "a1".repeat(32)])).toBe(true);
    expect(hasRow(p, ["Snapshot manifest sha256", "b2".repeat(32)])).toBe(true);
    expect(hasRow(p, ["Register digest before the close", "c3".repeat(32)])).toBe(true);
    expect(hasRow(p, ["additions.csv", "d4".repeat(32), "journal.csv", "e5".repeat(32), "rollforward.csv", "f6".repeat(32)])).toBe(true);
    expect(hasRow(p, ["Closed by", "j.doe"])).toBe(true);
    expect(hasRow(p, ["Register", "register.sqlite"])).toBe(true);
    expect(hasRow(p, ["Close", "final: the snapshot was fetched after the period ended"])).toBe(true);
  });

  test("a period closed again after a reopen names, in its scope, the close the reopen removed and why", async () => {
    const report = auditFixture();
    report.scope = { ...report.scope, reopens: [{ reopenedAt: "2026-11-03T09:00:00.000Z", reopenedBy: "j.doe@fin01", reason: "wrong snapshot", closedAt: "2026-11-02T18:00:00.000Z", closedBy: "j.doe@fin01" }] };
    const scope = sectionPages(await readBack(await renderAuditPdf(report)), 1).flat().join(" ");
    expect(scope).toContain("Reopened 2026-11-03T09:00:00.000Z by j.doe@fin01: wrong snapshot; it removed the close of 2026-11-02T18:00:00.000Z by j.doe@fin01");
  }, 60_000);

  test("a provisional close (--allow-open-period) says so in its scope and its cut-off", async () => {
    const report = auditFixture();
    report.scope = { ...report.scope, provisional: true, snapshotFetchedAt: "2026-10-28T08:00:00Z" };
    const r = await readBack(await renderAuditPdf(report));
    const scope = sectionPages(r, 1).flat().join(" ");
    expect(scope).toContain("Close provisional: closed before the period ended (--allow-open-period), from a snapshot fetched then; work approved later in the period is not in it");
    expect(sectionPages(r, 8).flat().join(" ")).toContain(
      "The close was provisional: its snapshot was fetched at 2026-10-28T08:00:00Z, before the period ended, so the window holds only what Render had approved by then.",
    );
  }, 60_000);

  test("2 Rollforward with its two ties, amounts grouped to two decimals", () => {
    const p = back.pages[2]!;
    expect(hasRow(p, ["CONDUIT", "800,000.00", "18,750.00", "250.00", "0.00", "0.00", "819,000.00"])).toBe(true);
    expect(hasRow(p, ["FIBER", "2,500,000.00", "1,234,567.89", "4,321.10", "0.00", "12,000.00", "3,726,888.99"])).toBe(true);
    expect(hasRow(p, ["Total", "3,300,000.00", "1,253,317.89", "4,571.10", "0.00", "12,000.00", "4,545,888.99"])).toBe(true);
    expect(hasRow(p, ["Total", "580,000.00", "12,083.34", "0.00", "0.00", "3,000.00", "589,083.34", "2,720,000.00", "3,956,805.65"])).toBe(true);
    expect(hasRow(p, ["FIBER", "2,500,000.00", "2,500,000.00", "0.00", "500,000.00", "500,000.00", "0.00", "holds"])).toBe(true);
    expect(hasRow(p, ["1610", "Fiber plant, cost", "FIBER", "3,726,888.99", "3,726,888.99", "0.00", "holds"])).toBe(true);
  });

  test("2 Tie 1 after a take-on import: what this close took on from Render beside what the register posted", async () => {
    const report = auditFixture();
    report.continuity = report.continuity!.map((x) => (x.faClass === "FIBER" ? { ...x, takenOnCost: 20_000_000, takenOnAccumulated: 1_500_000 } : { ...x, takenOnCost: 0, takenOnAccumulated: 0 }));
    const p = (await readBack(await renderAuditPdf(report))).pages[2]!;
    expect(p.join(" ")).toContain("This close also took on the work in service before it that the register did not hold");
    // Posted 2,300,000.00 + taken on 200,000.00 = opening 2,500,000.00; accumulated 485,000.00 + 15,000.00 = 500,000.00.
    expect(hasRow(p, ["FIBER", "2,300,000.00", "200,000.00", "2,500,000.00", "0.00", "485,000.00", "15,000.00", "500,000.00", "0.00", "holds"])).toBe(true);
    expect(hasRow(p, ["CONDUIT", "800,000.00", "0.00", "800,000.00", "0.00", "80,000.00", "0.00", "80,000.00", "0.00", "holds"])).toBe(true);
  });

  test("3 Identities with both sides, journals by source with totals", () => {
    const p = back.pages[3]!;
    expect(hasRow(p, ["every journal balances: Σ debit = Σ credit (5 entries)", "1,283,312.23", "1,283,312.23", "holds"])).toBe(true);
    expect(hasRow(p, ["journal entries that do not balance", "0", "0", "holds"])).toBe(true);
    expect(hasRow(p, ["retirement", "1", "4", "12,200.00", "12,200.00"])).toBe(true);
    expect(hasRow(p, ["Total", "5", "12", "1,277,601.23", "1,277,601.23"])).toBe(true);
  });

  test("4 Additions with their total; 5 adjustments; 6 retirements with gain/loss; 7 exceptions with periods open", () => {
    expect(hasRow(back.pages[4]!, ["ATX-NORTH-CABLE-000101", "ATX-NORTH", "101", "install_fiber_cable", "FIBER", "2026-10-14", "addition", "1,234,567.89"])).toBe(true);
    expect(hasRow(back.pages[4]!, ["Total", "1,257,888.99"])).toBe(true);
    // Late additions and cost changes are in the sampled population: the total is not the rollforward's additions.
    expect(back.pages[4]!.join(" ")).toContain("The sampling population: this period's additions, and the late additions and cost changes the rollforward shows under cost adjustments");
    expect(back.pages[7]!.join(" ")).toContain("Tasks the close could neither capitalize nor expense, and warnings (a project without a time zone");
    expect(hasRow(back.pages[4]!, ["Closed period", "Class", "FIBER", "CONDUIT"])).toBe(true);
    expect(
      hasRow(back.pages[5]!, [
        "ATX-NORTH-CONDUI-000104",
        "104",
        "cost_change",
        "2026-10-12",
        "CONDUIT",
        "250.00",
        "0.00",
        "12.50",
        "Render unit quantity changed from 120 to 130 ft after the September close",
      ]),
    ).toBe(true);
    expect(
      hasRow(back.pages[6]!, ["ATX-NORTH-CABLE-000007", "FIBER", "2026-10-20", "all", "12,000.00", "3,000.00", "500.00", "200.00", "-8,700.00", "Cable damaged by road works, replaced"]),
    ).toBe(true);
    expect(
      hasRow(back.pages[7]!, [
        "ATX-NORTH",
        "77",
        "splice_closure",
        "NO_RULE",
        "2026-08",
        "3",
        "no capitalization rule matches task type splice_closure; add one to the rules file",
      ]),
    ).toBe(true);
  });

  test("8 Cut-off: UTC and local times, the zone and the period landed", () => {
    const p = back.pages[8]!;
    expect(hasRow(p, ["ATX-NORTH", "102", "install_conduit", "2026-11-01 02:30:00", "2026-10-31 21:30:00 -05:00", "America/Chicago", "2026-10-31", "2026-10", "capitalized", "18,750.00"])).toBe(
      true,
    );
    expect(hasRow(p, ["2026-11-02 16:00:00", "2026-11-02 10:00:00 -06:00", "America/Chicago", "2026-11-02", "2026-11", "next period", "9,900.00"])).toBe(true);
  });

  test("9 Depreciation reasonableness by class; 10 the rollforward chart ties", () => {
    expect(hasRow(back.pages[9]!, ["FIBER", "3,726,888.99", "12,422.96", "10,416.67", "-2,006.29", "-16.1 %"])).toBe(true);
    expect(hasRow(back.pages[9]!, ["Total", "4,545,888.99", "14,129.21", "12,083.34", "-2,045.87", "-14.5 %"])).toBe(true);
    const p = back.pages[10]!;
    for (const label of ["2,720,000.00", "+1,253,317.89", "+4,571.10", "-12,083.34", "-9,000.00", "3,956,805.65"]) expect(p).toContain(label);
    expect(hasRow(p, ["Opening + movements − closing", "0.00", "ties"])).toBe(true);
  });

  test("11 The sample: parameters, seed and how to reproduce it", () => {
    const p = back.pages[11]!;
    expect(hasRow(p, ["Confidence", "95 %", "Reliability factor (RF)", "3.00", "Population (BV)", "1,257,888.99 in 4 items"])).toBe(true);
    expect(hasRow(p, ["Tolerable misstatement (TM)", "62,894.45", "Expected misstatement (EM)", "0.00", "Sample size (n)", "60 from the formula"])).toBe(true);
    expect(hasRow(p, ["Sampling interval (J)", "20,964.81", "Seed", "audit-2026-10", "Random start", "8,870.37"])).toBe(true);
    expect(hasRow(p, ["To reproduce", "capex audit --period 2026-10 --seed audit-2026-10 (same register)"])).toBe(true);
    // Fewer items than n is explained, not left to read as a shortfall.
    expect(p.join(" ")).toContain("fewer than n because each item taken whole holds one or more of the n sampling points (BV ÷ J) itself");
    expect(hasRow(p, ["2", "ATX-NORTH-CONDUI-000102", "sampling point", "8,870.37", "addition", "CONDUIT", "18,750.00"])).toBe(true);
  });

  test("each sampled asset on its own page, traced to its Render task", () => {
    const first = back.pages[12]!;
    expect(first[0]).toBe("Sample item 1 of 2: ATX-NORTH-CABLE-000101");
    expect(first[1]).toBe("In service on 2026-10-14: approved at 2026-10-14 19:17:00 UTC, which is 2026-10-14 14:17:00 (UTC-05:00) in America/Chicago.");
    expect(hasRow(first, ["Approved by", "a.kowalski"])).toBe(true);
    expect(hasRow(first, ["Rule", "fiber-aerial (rules version 2026.1)"])).toBe(true);
    expect(hasRow(first, ["1", "FBR-288-AER", "12000", "ft", "9.75", "RC-2026-FBR-288", "rate_card", "117,000.00"])).toBe(true);
    expect(hasRow(first, ["2026-10", "4,115.23", "0.00", "4,115.23", "1,230,452.66"])).toBe(true);
    expect(hasRow(first, ["2026-10", "JE-2026-10-CAP-0001", "2", "1500", "1,234,567.89", "Clear CIP ATX-NORTH FIBER 2026-10"])).toBe(true);
    expect(hasRow(first, ["Coordinates", "30.344844, -97.6434 (latitude, longitude, WGS84)"])).toBe(true);
    expect(hasRow(first, ["Photos", "2: photos/ATX-NORTH/101/before.jpg; photos/ATX-NORTH/101/after.jpg"])).toBe(true);
    const second = back.pages[13]!;
    expect(second[1]).toBe("In service on 2026-10-31: approved at 2026-11-01 02:30:00 UTC, which is 2026-10-31 21:30:00 (UTC-05:00) in America/Chicago.");
    expect(hasRow(second, ["Selection", "sampling point, at 8,870.37 into the items below the interval (asset-id order)"])).toBe(true);
    expect(hasRow(second, ["task", "1500", "ft", "12.50", "TT-CONDUIT-2IN", "task_type_rate", "18,750.00"])).toBe(true);
    // Each period's net book value is of the cost then (15,000.00 before October's change, not 18,750.00).
    expect(hasRow(second, ["2026-09", "30.00", "0.00", "30.00", "14,970.00"])).toBe(true);
    expect(hasRow(second, ["2026-10", "39.06", "0.00", "69.06", "18,680.94"])).toBe(true);
    expect(hasRow(second, ["Location", '14 Station St, Unit "B", Station St, work package WP-002'])).toBe(true);
    expect(hasRow(second, ["Photos", "none in Render"])).toBe(true);
  });
});

describe("the audit PDF as a file", () => {
  test("its three fonts are embedded TrueType subsets, and no standard font is referenced", () => {
    const text = pdf.toString("latin1");
    expect(text.match(/\/FontFile2 /g)).toHaveLength(3);
    expect([...text.matchAll(/\/BaseFont \/([A-Z]{6}\+[\w-]+)/g)].map((m) => m[1]!.slice(7)).sort()).toEqual([
      "DejaVuSans",
      "DejaVuSans",
      "DejaVuSans-Bold",
      "DejaVuSans-Bold",
      "DejaVuSansMono",
      "DejaVuSansMono",
    ]);
    expect(text).not.toMatch(/\/Subtype \/Type1/);
  });

  test("the same report gives the same bytes, and writeAuditPdf writes them", async () => {
    const again = await renderAuditPdf(auditFixture());
    expect(again.equals(pdf)).toBe(true);
    const file = join(tmp("capex-audit-"), "audit-2026-10.pdf");
    await writeAuditPdf(auditFixture(), file);
    expect(readFileSync(file).equals(pdf)).toBe(true);
  }, 60_000);

  test("a long list stops at its largest items and says where the full list is", async () => {
    const r = await readBack(await renderAuditPdf(auditFixture(), { listLimit: 2 }));
    const additions = sectionPages(r, 4).flat();
    expect(additions).toContain(
      "4 additions: the 2 largest are listed below, largest first; the full list is in additions.csv and the workbook. The totals are of all 4.",
    );
    expect(additions).toContain("ATX-NORTH-CABLE-000101");
    expect(additions).toContain("ATX-NORTH-CONDUI-000102");
    expect(additions).not.toContain("ATX-NORTH-CABLE-000103");
    expect(hasRow(additions, ["Total", "1,257,888.99"])).toBe(true);
  }, 60_000);

  test("a table longer than a page breaks with its header repeated", async () => {
    const report = auditFixture();
    const base = report.additions[0]!;
    report.additions = Array.from({ length: 120 }, (_, i) => ({ ...base, assetId: `ATX-NORTH-CABLE-${String(i).padStart(6, "0")}`, taskId: i + 1, cost: 100_000 + i }));
    const r = await readBack(await renderAuditPdf(report));
    const pages = sectionPages(r, 4);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const header = ["Asset", "Project", "Task", "Task type", "Class", "In service", "Kind", "Cost"];
    expect(hasRow(pages[0]!, header)).toBe(true);
    for (const p of pages.slice(1, -1)) {
      expect(p[0]).toBe("Additions (continued)");
      expect(p.slice(1, 1 + header.length)).toEqual(header);
    }
    // Every addition is printed once across the pages.
    const listed = pages.flat().filter((s) => s.startsWith("ATX-NORTH-CABLE-"));
    expect(new Set(listed).size).toBe(120);
    expect(listed).toHaveLength(120);
  }, 60_000);

  test("no identifier is cut: long asset ids, classes and outcomes are printed whole, smaller or wrapped", async () => {
    const report = auditFixture();
    const long = "ATX-NORTH-UNDERGROUND-FIBER-SEGMENT-000000008";
    // No break opportunity at all: wrapped by characters.
    const unbroken = `ATXNORTHUNDERG${"0".repeat(40)}8`;
    report.adjustments = [
      { ...report.adjustments[0]!, assetId: "ATX-NORTH-UNDERG-000008", faClass: "Equipment (Tooling)", previousFaClass: "Fiber Plant" },
      { ...report.adjustments[0]!, assetId: long },
      { ...report.adjustments[0]!, assetId: unbroken },
    ];
    report.disposals = [{ ...report.disposals[0]!, assetId: long, faClass: "Equipment (Tooling)" }];
    report.cutoff = [{ ...report.cutoff[1]!, taskType: "install_aerial_nap_tail", outcome: "next close: capitalized" }];
    const r = await readBack(await renderAuditPdf(report));
    expect(r.pages.flat().join("")).not.toContain("…");
    // A wrapped id comes back as a run per line: joined without a space it reads whole.
    const adjustments = sectionPages(r, 5).flat();
    for (const id of ["ATX-NORTH-UNDERG-000008", long, unbroken]) expect(adjustments.join("")).toContain(id);
    expect(adjustments.join(" ")).toContain("Fiber Plant → Equipment (Tooling)");
    // The id the user reported fits its column on one line, in one text run.
    expect(sectionPages(r, 5).flat()).toContain("ATX-NORTH-UNDERG-000008");
    const retirements = sectionPages(r, 6).flat();
    expect(retirements.join("")).toContain(long);
    expect(retirements).toContain("Equipment (Tooling)");
    expect(sectionPages(r, 8).flat()).toEqual(expect.arrayContaining(["install_aerial_nap_tail", "next close: capitalized"]));
  }, 60_000);

  test("a heading starts a page with its chart or table rather than ending one alone", async () => {
    const report = auditFixture();
    const base = report.additions[0]!;
    // 30 additions leave about 90 points below the table on the section's first page: room for
    // the chart's heading, not for the chart.
    report.additions = Array.from({ length: 30 }, (_, i) => ({ ...base, assetId: `ATX-NORTH-CABLE-${String(i).padStart(6, "0")}`, taskId: i + 1, cost: 100_000 + i }));
    const r = await readBack(await renderAuditPdf(report));
    const pages = sectionPages(r, 4);
    const heading = "Additions by class, last 12 closed periods";
    const at = pages.findIndex((p) => p.includes(heading));
    expect(at).toBe(1);
    expect(pages[at]![0]).toBe(heading);
    expect(hasRow(pages[at]!, ["Closed period", "Class", "FIBER", "CONDUIT"])).toBe(true);
    // And no page of the report ends with a subheading: the last run before the footer is never one.
    const subheadings = new Set([heading, "Cost", "Accumulated depreciation and net book value", "Journals by source", "Cost elements (unit lines)", "Depreciation posted to date"]);
    for (const p of r.pages) expect(subheadings.has(p.at(-3) ?? "")).toBe(false);
  }, 60_000);

  test("a report without a valid generation instant is refused, since the PDF is dated from it", async () => {
    const report: AuditReport = { ...auditFixture(), scope: { ...auditFixture().scope, generatedAt: "yesterday" } };
    const err = await renderAuditPdf(report).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapexError);
    expect((err as Error).message).toBe('scope.generatedAt: "yesterday" is not an instant; the audit report dates its PDF from it');
  });
});

describe("the command that reproduces the sample", () => {
  test("names every sampling option that differs from its default", () => {
    const s = auditFixture().sample;
    expect(reproduceCommand("2026-10", s)).toBe("capex audit --period 2026-10 --seed audit-2026-10");
    expect(reproduceCommand("2026-10", { ...s, requestedSize: 25, confidence: 0.9, tolerable: 5_000_000, expectedMisstatement: 100_050 })).toBe(
      "capex audit --period 2026-10 --seed audit-2026-10 --sample 25 --confidence 0.9 --tolerable 50000.00 --expected 1000.50",
    );
  });
});

describe("amounts as the report prints them", () => {
  test("grouped in thousands, two decimals, a minus for negatives", () => {
    expect([0, 5, -5, 100, 123_456_789, -123_456_789, 100_000_000_000_00].map(formatAmount)).toEqual([
      "0.00",
      "0.05",
      "-0.05",
      "1.00",
      "1,234,567.89",
      "-1,234,567.89",
      "100,000,000,000.00",
    ]);
  });
});

describe("audit-sample.csv", () => {
  const expected =
    "asset_id,selection,point,kind,sampled_amount,project,task_id,task_type,fa_class,approved_by,approved_at_utc,approved_at_local,time_zone,in_service_date,cost,rule_id,rules_version,rate_ids,unit_lines,journal_ids,street_address,longitude,latitude,photos\r\n" +
    "ATX-NORTH-CABLE-000101,top stratum,,addition,1234567.89,ATX-NORTH,101,install_fiber_cable,FIBER,a.kowalski,2026-10-14T19:17:00Z,2026-10-14T14:17:00-05:00,America/Chicago,2026-10-14,1234567.89,fiber-aerial,2026.1,RC-2026-FBR-288," +
    "FBR-288-AER 12000 ft × 9.75 = 117000.00 | SPLICE-288 1 each = 1117567.89,JE-2026-10-CAP-0001 | JE-2026-10-DEP-0001,461 Harbour Rd,-97.6434,30.344844,photos/ATX-NORTH/101/before.jpg | photos/ATX-NORTH/101/after.jpg\r\n" +
    "ATX-NORTH-CONDUI-000102,sampling point,8870.37,addition,18750.00,ATX-NORTH,102,install_conduit,CONDUIT,l.harris,2026-11-01T02:30:00Z,2026-10-31T21:30:00-05:00,America/Chicago,2026-10-31,18750.00,conduit-2in,2026.1,TT-CONDUIT-2IN," +
    'task_type_rate 1500 ft × 12.50 = 18750.00,JE-2026-10-CAP-0002,"14 Station St, Unit ""B""",-97.583724,30.38947,\r\n';

  test("one row per sampled item, exactly", async () => {
    expect(auditSampleCsv(auditFixture())).toBe(expected);
    const file = join(tmp("capex-audit-"), "audit-sample.csv");
    await writeAuditSampleCsv(auditFixture(), file);
    expect(readFileSync(file, "utf8")).toBe(expected);
  });

  test("free text that a spreadsheet would run as a formula is neutralised", () => {
    const report = auditFixture();
    const item = report.sample.items[1]!;
    report.sample.items = [{ ...item, approvedBy: "=HYPERLINK(1)", location: { ...item.location, streetAddress: "+1 Main St" }, photos: ["@photo"] }];
    const row = auditSampleCsv(report).split("\r\n")[1]!;
    expect(row).toContain(",'=HYPERLINK(1),");
    expect(row).toContain(",'+1 Main St,");
    expect(row.endsWith(",'@photo")).toBe(true);
  });
});
