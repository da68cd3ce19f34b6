import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CloseResult } from "../src/close/close.js";
import { runMonthEnd } from "../src/close/month-end.js";
import { disposalYearAmount } from "../src/depreciation/tax.js";
import { monthIndexOf, periodOfMonthIndex } from "../src/dates.js";
import { Dec, formatCents } from "../src/money.js";
import { applyPosting } from "../src/register/apply.js";
import { emptyRegisterState, type RegisterState } from "../src/register/model.js";
import type { RetirementRequest } from "../src/register/retirements.js";
import { importAssets } from "../src/register/import.js";
import { RegisterStore } from "../src/register/store.js";
import { loadDefaultRules } from "../src/package-info.js";
import type { Rules } from "../src/rules/model.js";
import { baseTask, tmp } from "./helpers.js";
import { closeOn, memorySnapshot, retire } from "./register-memory.js";

const CLOSED_AT = () => new Date("2027-01-05T07:00:00Z");
const fetched = (period: string) => `${periodOfMonthIndex(monthIndexOf(period) + 1)}-03T06:00:00.000Z`;

/** tax.csv's row of an asset as it reads: year, convention, tax, tax accumulated, remaining basis, book, difference. */
function taxRow(r: CloseResult, assetId: string): string | undefined {
  const row = r.taxRows.find((t) => t.asset.assetId === assetId);
  if (!row) return undefined;
  const t = row.tax;
  return [t.taxYear, t.convention, ...[t.amount, t.accumulated, t.remainingBasis, t.bookAmount, t.amount - t.bookAmount].map(formatCents)].join(" ");
}

/** Closes `periods` in order on a new SQLite register, each with its retirements. */
async function closes(rules: Rules, periods: Array<[string, Array<Record<string, unknown>>, RetirementRequest[]?]>): Promise<CloseResult[]> {
  const dir = tmp();
  const store = await RegisterStore.open(join(dir, "capex.db"));
  const out: CloseResult[] = [];
  try {
    for (const [period, tasks, retirements] of periods) {
      const file = retirements?.length ? await writeRetirements(dir, period, retirements) : undefined;
      const o = await runMonthEnd({ register: store, snapshot: memorySnapshot(tasks, { fetchedAt: fetched(period) }), rules, period, out: join(dir, period), workbook: false, now: CLOSED_AT, retirementsFile: file });
      out.push(o.result);
    }
  } finally {
    await store.close();
  }
  return out;
}

async function writeRetirements(dir: string, period: string, rows: RetirementRequest[]): Promise<string> {
  const { writeFile } = await import("node:fs/promises");
  const file = join(dir, `retirements-${period}.csv`);
  const portion = (r: RetirementRequest) => (r.portion.kind === "all" ? "all" : r.portion.kind === "percent" ? `${r.portion.percent}%` : r.portion.quantity.toString());
  await writeFile(file, `asset_id,date,portion,proceeds,removal_cost,reason\n${rows.map((r) => `${r.assetId},${r.date},${portion(r)},,,`).join("\n")}\n`);
  return file;
}

// 1,000 ft of 2" conduit in service in March 2025, Infrastructure; a second the same in June 2025.
const big = { units: [{ unit_code: "CND-2IN-HDPE", quantity: 1000, uom: "ft" }] };
const A = baseTask(1, { approved_date: "2025-03-10T14:00:00Z", ...big });
const B = baseTask(2, { approved_date: "2025-06-10T14:00:00Z", ...big });

const ytd2026 = (): RegisterState => ({
  ...emptyRegisterState(),
  yearToDate: { firstMonth: monthIndexOf("2026-01"), books: new Map(), retirements: new Map() },
});

describe("tax.csv in a year with retirements (disposal-year convention) and a book rebased inside the year", () => {
  // A and B: 18,500.00 each (the 2025 rate), 600 months straight line, 30.83 a month; taken on by
  // a first close in September 2026, so January to August come from the take-on.
  const retirements = [retire(2, "P1-1", "2026-10-20", { kind: "percent", percent: new Dec(25) }), retire(3, "P1-2", "2026-10-12", { kind: "all" })];

  it("a part retired in October: book is January–September on the whole plus October–December on the rest; tax adds the part's half year", async () => {
    const rules = await loadDefaultRules();
    const [sep, oct, nov] = await closes(rules, [
      ["2026-09", [A, B]],
      ["2026-10", [A, B], retirements],
      ["2026-11", [A, B]],
    ]);
    // Before any retirement: 12 × 30.8333 = 370.00 of book; tax year 2 of 15-year half-year, 9.5 % of 18,500.00.
    expect(taxRow(sep!, "P1-1")).toBe("2026 half_year 1757.50 2682.50 15817.50 370.00 1387.50");
    // 25 % retired: 13,875.00 stays. Book: 9 × 30.8333 = 277.50 on the whole, then the rest
    // (13,875.00 − 439.37 posted) over the 581 months left, 3 of them in the year: 69.38; 346.88.
    // Tax: 13,875.00 × 9.5 % = 1,318.13 on the rest, and 4,625.00 × 9.5 % = 439.38 × 50 % = 219.69 for
    // the part retired (half-year convention in its year of disposal): 1,537.82. Tax accumulated and
    // remaining basis are the rest's (693.75 + 1,318.13; 13,875.00 − 2,011.88).
    expect(taxRow(oct!, "P1-1")).toBe("2026 half_year 1537.82 2011.88 11863.12 346.88 1190.94");
    // November, same year: the register keeps only the latest rebase, and the year is the same.
    expect(taxRow(nov!, "P1-1")).toBe("2026 half_year 1537.82 2011.88 11863.12 346.88 1190.94");
  });

  it("an asset retired in full keeps its row for the year of disposal, in later closes of the year too", async () => {
    const rules = await loadDefaultRules();
    const [, oct, nov, dec] = await closes(rules, [
      ["2026-09", [A, B]],
      ["2026-10", [A, B], retirements],
      ["2026-11", [A, B]],
      ["2026-12", [A, B]],
    ]);
    // Book January–September 277.50; tax 1,757.50 × 50 % = 878.75, accumulated 925.00 + 878.75 at disposal.
    const row = "2026 half_year 878.75 1803.75 16696.25 277.50 601.25";
    expect(taxRow(oct!, "P1-2")).toBe(row);
    expect(taxRow(nov!, "P1-2")).toBe(row);
    expect(taxRow(dec!, "P1-2")).toBe(row);
    expect(oct!.register.map((e) => e.asset.assetId)).toEqual(["P1-1"]);
    // The tax totals take it: by class, and the control total.
    const infra = oct!.taxByClass.find((t) => t.faClass === "Infrastructure")!;
    expect([infra.taxAmount, infra.bookAmount].map(formatCents)).toEqual(["2416.57", "624.38"]);
    expect(formatCents(oct!.controlTotals.taxDepreciation)).toBe("2416.57");
  });

  it("the same figures from a register held in memory (applyPosting keeps the year to date as the store loads it)", async () => {
    const rules = await loadDefaultRules();
    let state = ytd2026();
    const results: CloseResult[] = [];
    for (const [period, r] of [["2026-09", []], ["2026-10", retirements], ["2026-11", []]] as const) {
      const step = await closeOn(state, rules, period, [A, B], { retirements: [...r] });
      results.push(step.result);
      state = step.state;
    }
    expect(results.map((r) => [taxRow(r, "P1-1"), taxRow(r, "P1-2")])).toEqual([
      ["2026 half_year 1757.50 2682.50 15817.50 370.00 1387.50", "2026 half_year 1757.50 2682.50 15817.50 370.00 1387.50"],
      ["2026 half_year 1537.82 2011.88 11863.12 346.88 1190.94", "2026 half_year 878.75 1803.75 16696.25 277.50 601.25"],
      ["2026 half_year 1537.82 2011.88 11863.12 346.88 1190.94", "2026 half_year 878.75 1803.75 16696.25 277.50 601.25"],
    ]);
    // A new fiscal year starts from nothing: January 2027 has no disposal row and no earlier book.
    const jan = await closeOn(applyPosting(state, (await closeOn(state, rules, "2026-12", [A, B])).result), rules, "2027-01", [A, B]);
    expect(taxRow(jan.result, "P1-2")).toBeUndefined();
  });

  it("two partial retirements in one year: each restart reads the book as it stood before it (store and memory alike)", async () => {
    const rules = await loadDefaultRules();
    const second = [retire(2, "P1-1", "2026-11-16", { kind: "percent", percent: new Dec(20) })];
    const [, , nov, dec] = await closes(rules, [
      ["2026-09", [A]],
      ["2026-10", [A], retirements.slice(0, 1)],
      ["2026-11", [A], second],
      ["2026-12", [A]],
    ]);
    // Book: 277.50 (January–September, whole) + 23.13 (October, 75 %) + the 11,100.00 left after
    // November less 370.00 posted, over 580 months, 2 of them in the year: 37.00. 337.63.
    // Tax: 11,100.00 × 9.5 % = 1,054.50; the October part's 219.69; the November part's
    // 2,775.00 × 9.5 % = 263.63 × 50 % = 131.82: 1,406.01.
    const row = "2026 half_year 1406.01 1609.50 9490.50 337.63 1068.38";
    expect(taxRow(nov!, "P1-1")).toBe(row);
    expect(taxRow(dec!, "P1-1")).toBe(row);
    let state = ytd2026();
    for (const [period, r] of [["2026-09", []], ["2026-10", retirements.slice(0, 1)], ["2026-11", second]] as const) state = (await closeOn(state, rules, period, [A], { retirements: [...r] })).state;
    expect(taxRow((await closeOn(state, rules, "2026-12", [A])).result, "P1-1")).toBe(row);
  });

  it("a prospective cost change in October: the months before it at the old cost, the rest of the year at the new", async () => {
    const rules: Rules = { ...(await loadDefaultRules()), changesAfterClose: "prospective" };
    const longer = { ...A, units: [{ unit_code: "CND-2IN-HDPE", quantity: 1100, uom: "ft" }] };
    const [, oct, nov] = await closes(rules, [
      ["2026-09", [A]],
      ["2026-10", [longer]],
      ["2026-11", [longer]],
    ]);
    expect(oct!.adjustments.map((a) => [a.kind, formatCents(a.costChange), formatCents(a.depreciationCatchUp)])).toEqual([["cost_change", "1850.00", "0.00"]]);
    // 9 × 30.8333 = 277.50, then (20,350.00 − 585.83) × 3 / 581 = 102.05: 379.55 (before, 102.05 alone).
    expect(taxRow(oct!, "P1-1")).toBe("2026 half_year 1933.25 2950.75 17399.25 379.55 1553.70");
    expect(taxRow(nov!, "P1-1")).toBe("2026 half_year 1933.25 2950.75 17399.25 379.55 1553.70");
  });
});

describe("disposalYearAmount: the share of the year's MACRS amount a disposal takes", () => {
  it("half a year under half-year; under mid-quarter to the middle of the quarter of disposal; nothing in the year placed in service", () => {
    // ATX-NORTH-10 of the demo: 2,275.84 retired in October 2026 takes 219.16 × 87.5 % = 191.765: 191.77.
    expect(disposalYearAmount(21_916, "mid_quarter", "2026-10-20", "2025-09-07")).toBe(19_177);
    expect([1, 4, 7, 10].map((m) => disposalYearAmount(80_000, "mid_quarter", `2026-${String(m).padStart(2, "0")}-15`, "2024-05-01"))).toEqual([10_000, 30_000, 50_000, 70_000]);
    expect(disposalYearAmount(43_938, "half_year", "2026-10-20", "2025-03-10")).toBe(21_969);
    expect(disposalYearAmount(43_938, "half_year", "2026-10-20", "2026-03-10")).toBe(0);
    // A fiscal year from July: October is its second quarter.
    expect(disposalYearAmount(80_000, "mid_quarter", "2026-10-15", "2024-05-01", 7)).toBe(30_000);
  });
});

describe("an asset taken on by capex register import inside the fiscal year", () => {
  it("has the book of the months since the import only (what the other system took before is not in the register)", async () => {
    const rules = await loadDefaultRules();
    const dir = tmp();
    const file = join(dir, "assets.csv");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(file, "asset_id,project,fa_class,in_service_date,cost,salvage,life_months,method,convention,accumulated_depreciation\nIMP-SL-1,LEGACY,Infrastructure,2024-01-10,10000.00,0,60,straight_line,full_month,3333.33\n");
    const store = await RegisterStore.open(join(dir, "capex.db"));
    try {
      await importAssets(store, { file, asOf: "2026-10", rules, recordedAs: "assets.csv", now: CLOSED_AT });
      const close = async (period: string, retirements: RetirementRequest[] = []) =>
        (
          await runMonthEnd({
            register: store,
            snapshot: memorySnapshot([], { fetchedAt: fetched(period) }),
            rules,
            period,
            out: join(dir, period),
            workbook: false,
            now: CLOSED_AT,
            retirementsFile: retirements.length ? await writeRetirements(dir, period, retirements) : undefined,
          })
        ).result;
      // 6,666.67 left over 27 months: October to December 740.74. Tax year 3 of 15-year half-year: 8.55 % (5 + 9.5 before).
      expect(taxRow(await close("2026-10"), "IMP-SL-1")).toBe("2026 half_year 855.00 2305.00 7695.00 740.74 114.26");
      // Half retired in November: October 246.91 on the whole, then (5,000.00 − 1,790.12) over 26 months, 2 in the year: 246.91.
      // Tax: 5,000.00 × 8.55 % = 427.50, and the half retired 427.50 × 50 % = 213.75.
      expect(taxRow(await close("2026-11", [retire(2, "IMP-SL-1", "2026-11-10", { kind: "percent", percent: new Dec(50) })]), "IMP-SL-1")).toBe(
        "2026 half_year 641.25 1152.50 3847.50 493.82 147.43",
      );
    } finally {
      await store.close();
    }
  });
});
