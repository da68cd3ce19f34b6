import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ExcelJS from "exceljs";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { closePeriod } from "../src/close/close.js";
import { checkIdentities } from "../src/close/identities.js";
import { IdentityError, LedgerImbalanceError } from "../src/errors.js";
import { assertBalanced } from "../src/ledger/journal.js";
import { writeCloseOutputs } from "../src/report/write.js";
import { loadRules } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";

let rules: Rules;
let snapshotDir: string;

/** A small month whose every figure can be worked by hand. */
const TASKS = [
  // In service in September: 100 ft at the 2026 rate 19.24 = 1,924.00 over 600 months.
  baseTask(1, { approved_date: "2026-09-10T14:00:00Z", asset_id: "P1-COND-1" }),
  // October addition: 1,000 ft of 144ct aerial fiber at 4.00 = 4,000.00 over 240 months.
  baseTask(2, { task_type: "install_aerial_fiber", approved_date: "2026-10-05T14:00:00Z", units: [{ unit_code: "AF-144CT", quantity: 1000, uom: "ft" }], street_address: "=HYPERLINK(\"http://x\")", approved_by: "+b.osei" }),
  // Expensed in October: a permit fee.
  baseTask(3, { task_type: "permitting", approved_date: "2026-10-12T14:00:00Z", units: [{ unit_code: "PERMIT-ROW", quantity: 1, amount: "650.00" }] }),
  // No financial effect.
  baseTask(4, { task_type: "field_observation", approved_date: "2026-10-13T14:00:00Z", units: [] }),
  // Approved after the period: out of scope.
  baseTask(5, { task_type: "install_vault", approved_date: "2026-11-02T14:00:00Z", units: [{ unit_code: "VLT-3048-PC", quantity: 1 }] }),
  // Completed, not approved.
  baseTask(6, { status: "completed", approved_date: "" }),
  // A task type the rules do not know.
  baseTask(7, { task_type: "install_microduct", approved_date: "2026-10-20T14:00:00Z" }),
];

beforeAll(async () => {
  rules = await loadRules("rules/render-fiber.yaml");
  snapshotDir = await writeSnapshot(TASKS);
});

async function close(period = "2026-10") {
  return closePeriod({ snapshot: await openSnapshot(snapshotDir), rules, period });
}

describe("the close, worked by hand", () => {
  it("computes the register, additions, depreciation and journals to the cent", async () => {
    const r = await close();
    expect(r.register.map((e) => [e.asset.assetId, e.asset.cost, e.openingAccumulated, e.amount, e.accumulated, e.netBookValue])).toEqual([
      ["P1-COND-1", 192_400, 321, 320, 641, 191_759],
      ["P1-2", 400_000, 0, 1667, 1667, 398_333],
    ]);
    expect(r.additions.map((e) => e.asset.assetId)).toEqual(["P1-2"]);
    expect(r.counts).toEqual({
      tasksRead: 7,
      notApproved: 1,
      approvedAfterPeriod: 1,
      register: 2,
      registerFromSnapshot: 2,
      retiredInSnapshot: 0,
      additions: 1,
      adjustments: 0,
      disposals: 0,
      expensed: 2,
      expensedInPeriod: 1,
      exceptions: 1,
      exceptionsByCode: { UNMAPPED_TASK_TYPE: 1 },
    });
    expect(r.controlTotals).toEqual({
      additions: 400_000,
      depreciation: 1987,
      costAdjustments: 0,
      accumulatedAdjustments: 0,
      disposals: 0,
      gainLoss: 0,
      expensedInPeriod: 65_000,
      taxDepreciation: r.register.reduce((s, e) => s + e.tax.amount, 0),
      closingCost: 592_400,
      closingAccumulated: 2308,
      closingNbv: 590_092,
    });
  });

  it("writes journal.csv and rollforward.csv exactly", async () => {
    const r = await close();
    const out = join(tmp(), "2026-10");
    await writeCloseOutputs(r, rules, { out, generatedAt: new Date("2026-11-03T00:00:00Z") });
    expect(readFileSync(join(out, "journal.csv"), "utf8")).toBe(
      [
        "journal_id,date,period,line,account,account_name,debit,credit,currency,memo,project,fa_class,source",
        'CAP-2026-10-P1,2026-10-31,2026-10,1,2410,Fiber plant - cable,4000.00,0.00,USD,"2026-10 additions, Fiber Plant",P1,Fiber Plant,capitalization',
        'CAP-2026-10-P1,2026-10-31,2026-10,2,1790,Construction in progress (CIP),0.00,4000.00,USD,"2026-10 additions, Fiber Plant",P1,Fiber Plant,capitalization',
        'EXP-2026-10-P1,2026-10-31,2026-10,1,6720,Permits and regulatory fees,650.00,0.00,USD,"2026-10 expensed, permitting",P1,,expense',
        'EXP-2026-10-P1,2026-10-31,2026-10,2,1790,Construction in progress (CIP),0.00,650.00,USD,"2026-10 expensed, permitting",P1,,expense',
        'DEP-2026-10-P1,2026-10-31,2026-10,1,6561,Depreciation expense - fiber plant,16.67,0.00,USD,"2026-10 depreciation, Fiber Plant",P1,Fiber Plant,depreciation',
        'DEP-2026-10-P1,2026-10-31,2026-10,2,3110,Accumulated depreciation - fiber plant,0.00,16.67,USD,"2026-10 depreciation, Fiber Plant",P1,Fiber Plant,depreciation',
        'DEP-2026-10-P1,2026-10-31,2026-10,3,6562,Depreciation expense - outside plant infrastructure,3.20,0.00,USD,"2026-10 depreciation, Infrastructure",P1,Infrastructure,depreciation',
        'DEP-2026-10-P1,2026-10-31,2026-10,4,3130,Accumulated depreciation - outside plant infrastructure,0.00,3.20,USD,"2026-10 depreciation, Infrastructure",P1,Infrastructure,depreciation',
        "",
      ].join("\r\n"),
    );
    expect(readFileSync(join(out, "rollforward.csv"), "utf8")).toBe(
      [
        "fa_class,opening_cost,additions,disposals,closing_cost,opening_accumulated,depreciation,closing_accumulated,opening_nbv,closing_nbv," +
          "cost_adjustments,transfers,accumulated_adjustments,accumulated_transfers,accumulated_on_disposals",
        "Fiber Plant,0.00,4000.00,0.00,4000.00,0.00,16.67,16.67,0.00,3983.33,0.00,0.00,0.00,0.00,0.00",
        "Infrastructure,1924.00,0.00,0.00,1924.00,3.21,3.20,6.41,1920.79,1917.59,0.00,0.00,0.00,0.00,0.00",
        "Equipment (Tooling),0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00",
        "Test Equipment,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00",
        "TOTAL,1924.00,4000.00,0.00,5924.00,3.21,19.87,23.08,1920.79,5900.92,0.00,0.00,0.00,0.00,0.00",
        "",
      ].join("\r\n"),
    );
    expect(readFileSync(join(out, "expensed.csv"), "utf8").split("\r\n").slice(0, 3)).toEqual([
      "project,task_id,task_type,treatment,amount,reason,in_service_date,account,posted_in_period,posted_amount",
      "P1,3,permitting,expense,650.00,EXPENSE_TREATMENT,2026-10-12,6720,yes,650.00",
      "P1,4,field_observation,none,0.00,NO_FINANCIAL_EFFECT,2026-10-13,,no,0.00",
    ]);
    expect(readFileSync(join(out, "exceptions.csv"), "utf8").split("\r\n")[1]).toBe(
      'P1,7,install_microduct,UNMAPPED_TASK_TYPE,"task type ""install_microduct"" is not in the rules file; add it under task_types with a treatment",error,2026-10-20',
    );
    expect(readFileSync(join(out, "depreciation.csv"), "utf8").split("\r\n").slice(0, 3)).toEqual([
      "asset_id,book,period,amount,accumulated,net_book_value,fa_class,project",
      "P1-COND-1,gl,2026-10,3.20,6.41,1917.59,Infrastructure,P1",
      // 2026: 4,000 of 5,924 placed in service in Q4 (> 40 %), so mid-quarter: Table A-4, 15-year, 3.75 %.
      "P1-COND-1,tax,FY2026,72.15,72.15,1851.85,Infrastructure,P1",
    ]);
  });

  it("neutralises free text against formula injection in CSV", async () => {
    const out = join(tmp(), "2026-10");
    await writeCloseOutputs(await close(), rules, { out });
    const row = readFileSync(join(out, "additions.csv"), "utf8").split("\r\n")[1]!;
    expect(row).toContain(`,'+b.osei,`);
    expect(row).toContain(`"'=HYPERLINK(""http://x"")"`);
  });

  it("records every identity with both sides, and the file hashes, in the manifest", async () => {
    const out = join(tmp(), "2026-10");
    await writeCloseOutputs(await close(), rules, { out, generatedAt: new Date("2026-11-03T00:00:00Z") });
    const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(m.generated_at).toBe("2026-11-03T00:00:00.000Z");
    expect(m.rules).toEqual({ path: "rules/render-fiber.yaml", version: "2026.1", sha256: rules.sha256 });
    expect(Object.keys(m.files).sort()).toEqual([
      "additions.csv", "adjustments.csv", "capex-2026-10.xlsx", "cost_elements.csv", "depreciation.csv", "disposals.csv", "exceptions.csv", "expensed.csv", "journal.csv", "register.csv", "rollforward.csv", "tax.csv",
    ]);
    expect(m.identities.every((i: { holds: boolean }) => i.holds)).toBe(true);
    expect(m.identities.find((i: { name: string }) => i.name === "rollforward depreciation = depreciation journal debits")).toEqual({
      name: "rollforward depreciation = depreciation journal debits",
      left: "19.87",
      right: "19.87",
      holds: true,
    });
    expect(m.control_totals.closing_nbv).toBe("5900.92");
  });

  it("is reproducible: the same snapshot, rules and period give the same bytes, workbook included", async () => {
    const a = join(tmp(), "a");
    const b = join(tmp(), "b");
    // The two runs happen on different days by the clock (zip times have a 2-second grain, so
    // any later time would do); only Date is faked, timers and file I/O stay real.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2026-11-03T09:00:00Z"));
      await writeCloseOutputs(await close(), rules, { out: a });
      vi.setSystemTime(new Date("2026-11-04T17:31:07Z"));
      await writeCloseOutputs(await close(), rules, { out: b });
    } finally {
      vi.useRealTimers();
    }
    for (const f of readdirSync(a).filter((f) => f !== "manifest.json")) expect(readFileSync(join(b, f))).toEqual(readFileSync(join(a, f)));
    const strip = (f: string) => ({ ...JSON.parse(readFileSync(f, "utf8")), generated_at: "" });
    expect(strip(join(b, "manifest.json"))).toEqual(strip(join(a, "manifest.json")));
  });
});

describe("the workbook", () => {
  it("has every sheet, frozen headers, autofilters, accounting formats, real dates and SUM totals with values", async () => {
    const out = join(tmp(), "2026-10");
    await writeCloseOutputs(await close(), rules, { out });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, "capex-2026-10.xlsx"));
    expect(wb.worksheets.map((w) => w.name)).toEqual(["Summary", "Journal", "Additions", "Register", "Depreciation", "Rollforward", "Adjustments", "Disposals", "Expensed", "Exceptions", "Rules", "Tax"]);
    const tax = wb.getWorksheet("Tax")!;
    expect(tax.getRow(1).values).toEqual([undefined, "FA class", "Tax year", "Tax depreciation", "Book depreciation", "Difference"]);
    expect(tax.getRow(3).values).toEqual([undefined, "Infrastructure", 2026, 72.15, 12.83, 59.32]); // book: Sep-Dec, 4 × 1,924/600
    const journal = wb.getWorksheet("Journal")!;
    expect(journal.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
    expect(journal.autoFilter).toBe("A1:M9");
    expect(journal.getRow(1).values).toEqual([undefined, "Journal ID", "Date", "Period", "Line", "Account", "Account name", "Debit", "Credit", "Currency", "Memo", "Project", "FA class", "Source"]);
    expect(journal.getCell("B2").value).toEqual(new Date("2026-10-31T00:00:00Z"));
    expect(journal.getCell("B2").numFmt).toBe("yyyy-mm-dd");
    expect(journal.getCell("G2").value).toBe(4000);
    expect(journal.getCell("G2").numFmt).toBe('_(* #,##0.00_);_(* (#,##0.00);_(* "-"??_);_(@_)');
    expect(journal.getCell("A10").value).toBe("Total");
    expect(journal.getCell("G10").value).toEqual({ formula: "SUM(G2:G9)", result: 4669.87 });
    expect(journal.getCell("H10").value).toEqual({ formula: "SUM(H2:H9)", result: 4669.87 });
    const rulesSheet = wb.getWorksheet("Rules")!;
    expect(rulesSheet.rowCount).toBe(21);
    expect(rulesSheet.getCell("A9").value).toBe("install_conduit");
    const summary = wb.getWorksheet("Summary")!;
    const labels = summary.getColumn(1).values as unknown[];
    expect(labels).toContain("Rules sha256");
    expect(labels).toContain("every journal balances: Σ debit = Σ credit (3 entries)");
    // A first close: what it took on, with no journal line, is on the Summary (DESIGN §8).
    const summaryValue = (label: string) => summary.getRow(labels.indexOf(label)).getCell(2).value;
    expect([summaryValue("Assets taken on (first close: opening balances, no journal)"), summaryValue("Taken on: cost"), summaryValue("Taken on: accumulated depreciation")]).toEqual([1, 1924, 3.21]); // the conduit in service in September
  });

  it("continues a table past the sheet's row limit on a second sheet", async () => {
    const out = join(tmp(), "2026-10");
    await writeCloseOutputs(await close(), rules, { out, maxRowsPerSheet: 7 });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, "capex-2026-10.xlsx"));
    const first = wb.getWorksheet("Journal")!;
    const second = wb.getWorksheet("Journal (2)")!;
    expect(first.rowCount).toBe(7); // header, 5 lines, totals
    expect(second.rowCount).toBe(5); // header, 3 lines, totals
    expect(second.getCell("A2").value).toBe("DEP-2026-10-P1");
    expect(second.getCell("G5").value).toEqual({ formula: "SUM(G2:G4)", result: 3.2 }); // lines 6-8: only line 7 is a debit
  });
});

describe("failures write nothing", () => {
  it("an unbalanced journal is a bug and stops the run", () => {
    const posting = { account: "1", accountName: "a", memo: "", project: "P1", faClass: "" };
    expect(() =>
      assertBalanced([{ journalId: "X-1", date: "2026-10-31", period: "2026-10", source: "expense", project: "P1", currency: "USD", postings: [{ ...posting, debit: 100, credit: 0 }, { ...posting, debit: 0, credit: 99 }] }]),
    ).toThrow(new LedgerImbalanceError("X-1", "1.00", "0.99"));
  });

  it("a broken identity stops the run", async () => {
    const r = await close();
    r.rollforward[0]!.depreciation += 1;
    expect(() => checkIdentities(r)).toThrow(IdentityError);
  });

  it("a failed write leaves the previous output folder as it was, and no temporary folder", async () => {
    const out = join(tmp(), "2026-10");
    await writeCloseOutputs(await close(), rules, { out });
    const before = readFileSync(join(out, "manifest.json"), "utf8");
    const broken = await close();
    broken.register[0]!.asset.cost = 1.5; // not whole cents: the CSV writer refuses it
    await expect(writeCloseOutputs(broken, rules, { out })).rejects.toThrow("cost: not an amount in cents: 1.5");
    expect(readFileSync(join(out, "manifest.json"), "utf8")).toBe(before);
    expect(readdirSync(dirname(out))).toEqual(["2026-10"]);
  });

  it("a snapshot changed after the fetch is refused", async () => {
    const dir = await writeSnapshot(TASKS);
    writeFileSync(join(dir, "tasks.jsonl"), readFileSync(join(dir, "tasks.jsonl"), "utf8").replace('"quantity":100', '"quantity":1000'));
    const snapshot = await openSnapshot(dir);
    await expect(closePeriod({ snapshot, rules, period: "2026-10" })).rejects.toThrow(
      `${join(dir, "tasks.jsonl")}: does not match the sha256 in manifest.json: the snapshot was changed after it was fetched. ` +
        "A snapshot is evidence of what Render held: correct the data in Render and fetch again (capex fetch), or restore the file from the fetch",
    );
    expect(existsSync(join(dir, "..", "2026-10"))).toBe(false);
  });
});
