import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MACRS_HALF_YEAR, MACRS_MID_QUARTER } from "../src/depreciation/macrs.js";
import { bookToTaxByYear, macrsSchedule, macrsYear, type TaxAsset } from "../src/depreciation/tax.js";
import { type RecoveryYears, TAX_RECOVERY_YEARS } from "../src/depreciation/types.js";
import { Dec } from "../src/money.js";
import { tmp } from "./helpers.js";

/**
 * The tax book rounds as tax software and the IRS worksheets do: each year is basis × the
 * printed percentage, rounded half-up to the cent; the last year takes what remains. The
 * expected figures below were worked out by hand (Python's decimal module, ROUND_HALF_UP),
 * not by the code under test; the comments show the arithmetic of the years that round.
 */

const amounts = (asset: TaxAsset) => macrsSchedule(asset).map((r) => r.amount);
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

describe("tax book: each year is basis × the printed percentage, rounded to the cent", () => {
  it("the issue's asset: 34,017.50 of 15-year property, mid-quarter, in service 14 Aug 2025 (Table A-4)", () => {
    const rows = macrsSchedule({ cost: 3_401_750, inServiceDate: "2025-08-14", recoveryYears: 15, convention: "mid_quarter" });
    expect(rows.map((r) => r.amount)).toEqual([
      127_566, // 2025: 34,017.50 × 3.75 % = 1,275.65625 → 1,275.66
      327_589, // 2026: 34,017.50 × 9.63 % = 3,275.885250 → 3,275.89 (cumulative rounding gave 3,275.88)
      294_592, // 2027: × 8.66 % = 2,945.91550 → 2,945.92
      265_337, // 2028: × 7.80 % = 2,653.36500 → 2,653.37 (cumulative rounding gave 2,653.36)
      238_803, // 2029: × 7.02 % = 2,388.02850 → 2,388.03
      214_650, // 2030: × 6.31 % = 2,146.50425 → 2,146.50
      200_703, // 2031: × 5.90 % = 2,007.03250 → 2,007.03
      200_703,
      201_043, // × 5.91 % = 2,010.43425 → 2,010.43
      200_703,
      201_043,
      200_703,
      201_043,
      200_703,
      201_043,
      125_526, // 2040: what remains, 34,017.50 − 32,762.24 = 1,255.26 (× 3.69 % would be 1,255.25)
    ]);
    expect(rows[1]).toEqual({ taxYear: 2026, amount: 327_589, accumulated: 455_155, remainingBasis: 2_946_595 });
    expect(rows.at(-1)).toEqual({ taxYear: 2040, amount: 125_526, accumulated: 3_401_750, remainingBasis: 0 });
  });

  it("Table A-1, half-year: the 3-, 5-, 10-, 15- and 20-year columns", () => {
    const hy = (cost: number, recoveryYears: RecoveryYears) => amounts({ cost, inServiceDate: "2026-05-01", recoveryYears, convention: "half_year" });
    // 3,333.33 × 44.45 % = 1,481.665185 → 1,481.67; last 3,333.33 − 3,086.34 = 246.99
    expect(hy(333_333, 3)).toEqual([111_100, 148_167, 49_367, 24_699]);
    // 12,345.67 × 32.00 % = 3,950.6144 → 3,950.61; last 12,345.67 − 11,634.55 = 711.12
    expect(hy(1_234_567, 5)).toEqual([246_913, 395_061, 237_037, 142_222, 142_222, 71_112]);
    // 2,222.22 × 6.55 % = 145.55541 → 145.56; × 6.56 % = 145.777632 → 145.78; last 72.87
    expect(hy(222_222, 10)).toEqual([22_222, 40_000, 32_000, 25_600, 20_489, 16_378, 14_556, 14_556, 14_578, 14_556, 7_287]);
    // Half a cent rounds up: 1,000.10 × 5.00 % = 50.005 → 50.01; × 9.50 % = 95.0095 → 95.01
    expect(hy(100_010, 15)).toEqual([5001, 9501, 8551, 7701, 6931, 6231, 5901, 5901, 5911, 5901, 5911, 5901, 5911, 5901, 5911, 2945]);
    // 98,765.43 × 4.522 % = 4,466.1727446 → 4,466.17; × 4.461 % = 4,405.9258323 → 4,405.93; last 2,203.46
    expect(hy(9_876_543, 20)).toEqual([
      370_370, 712_988, 659_457, 610_074, 564_247, 521_975, 482_765, 446_617, 440_691, 440_593, 440_691, 440_593, 440_691, 440_593, 440_691, 440_593,
      440_691, 440_593, 440_691, 440_593, 220_346,
    ]);
  });

  it("Tables A-2 to A-5, mid-quarter: each quarter's table", () => {
    const mq = (cost: number, recoveryYears: RecoveryYears, inServiceDate: string) => amounts({ cost, inServiceDate, recoveryYears, convention: "mid_quarter" });
    // A-2 (first quarter). 1,234.57 × 27.78 % = 342.963546 → 342.96; last 1,234.57 − 1,215.55 = 19.02
    expect(mq(123_457, 3, "2026-02-10")).toEqual([72_012, 34_296, 15_247, 1902]);
    // 8,642.17 × 11.01 % = 951.502917 → 951.50, twice; last 8,642.17 − 8,522.90 = 119.27
    expect(mq(864_217, 5, "2026-02-10")).toEqual([302_476, 224_696, 134_818, 95_150, 95_150, 11_927]);
    // The 20-year column prints 7.000 for year 2: 45,678.91 × 7.000 % = 3,197.5237 → 3,197.52
    expect(mq(4_567_891, 20, "2026-02-10")).toEqual([
      299_791, 319_752, 296_091, 273_891, 253_335, 234_333, 216_792, 203_682, 203_682, 203_682, 203_682, 203_728, 203_682, 203_728, 203_682, 203_728,
      203_682, 203_728, 203_682, 203_728, 25_810,
    ]);
    // A-3 (second quarter). 7,777.77 × 16.76 % = 1,303.554252 → 1,303.55; × 8.87 % = 689.888199 → 689.89
    expect(mq(777_777, 7, "2026-05-10")).toEqual([138_833, 182_544, 130_355, 93_100, 68_989, 68_989, 68_989, 25_978]);
    // 7,654.33 × 7.17 % = 548.815461 → 548.82; last 7,654.33 − 7,466.04 = 188.29
    expect(mq(765_433, 10, "2026-05-10")).toEqual([95_679, 133_951, 107_161, 85_728, 68_583, 54_882, 50_136, 50_136, 50_212, 50_136, 18_829]);
    // A-5 (fourth quarter). 54,321.09 × 9.98 % = 5,421.244782 → 5,421.24; last 54,321.09 − 51,203.05 = 3,118.04
    expect(mq(5_432_109, 10, "2026-11-20")).toEqual([135_803, 1_059_261, 847_409, 677_927, 542_124, 434_026, 355_803, 355_803, 356_346, 355_803, 311_804]);
    // 5,432.10 × 4.458 % = 242.163018 → 242.16; × 4.459 % = 242.217339 → 242.22; last 211.93
    expect(mq(543_210, 20, "2026-11-20")).toEqual([
      5095, 40_361, 37_329, 34_532, 31_941, 29_545, 27_329, 25_281, 24_216, 24_216, 24_216, 24_216, 24_216, 24_216, 24_216, 24_216, 24_216, 24_222, 24_216,
      24_222, 21_193,
    ]);
  });

  it("takes bonus depreciation first, then runs the table on the basis that remains", () => {
    // 60 % of 34,017.50 = 20,410.50; the table runs on 13,607.00: 13,607.00 × 3.75 % = 510.2625 → 510.26,
    // so the first year is 20,410.50 + 510.26 = 20,920.76; 13,607.00 × 9.63 % = 1,310.3541 → 1,310.35
    const bonus60 = macrsSchedule({ cost: 3_401_750, inServiceDate: "2025-08-14", recoveryYears: 15, convention: "mid_quarter", bonusPercent: "60" });
    expect(bonus60.map((r) => r.amount)).toEqual([
      2_092_076, 131_035, 117_837, 106_135, 95_521, 85_860, 80_281, 80_281, 80_417, 80_281, 80_417, 80_281, 80_417, 80_281, 80_417, 50_213,
    ]);
    expect(bonus60[0]).toEqual({ taxYear: 2025, amount: 2_092_076, accumulated: 2_092_076, remainingBasis: 1_309_674 });
    expect(bonus60.at(-1)?.accumulated).toBe(3_401_750);
    // 40 % of 12,345.67 = 4,938.268 → 4,938.27; the table runs on 7,407.40: 7,407.40 × 14.29 % = 1,058.51746 → 1,058.52,
    // first year 4,938.27 + 1,058.52 = 5,996.79; 7,407.40 × 12.49 % = 925.18426 → 925.18; last 7,407.40 − 7,077.02 = 330.38
    const bonus40 = amounts({ cost: 1_234_567, inServiceDate: "2026-05-01", recoveryYears: 7, convention: "half_year", bonusPercent: "40" });
    expect(bonus40).toEqual([599_679, 181_407, 129_555, 92_518, 66_148, 66_074, 66_148, 33_038]);
    expect(sum(bonus40)).toBe(1_234_567);
    // 100 % bonus: everything in the first year, nothing after.
    expect(amounts({ cost: 3_401_750, inServiceDate: "2025-08-14", recoveryYears: 15, convention: "mid_quarter", bonusPercent: "100" })).toEqual([
      3_401_750, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it("never takes more than remains: on 0.12 the rounded-up cents stop when the basis is used up", () => {
    // 0.12 × 6.563 % = 0.0078756 → 0.01, and every year to the 12th rounds up to 0.01 too; the
    // 13th would pass the basis, so it and the rest are 0.00 and the total is 0.12, not 0.20.
    const rows = macrsSchedule({ cost: 12, inServiceDate: "2026-02-10", recoveryYears: 20, convention: "mid_quarter" });
    expect(rows.map((r) => r.amount)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(rows.at(-1)).toMatchObject({ accumulated: 12, remainingBasis: 0 });
  });

  it("every column of every table: each year but the last is the rounded product, and the years sum to the basis", () => {
    const columns = [
      ...TAX_RECOVERY_YEARS.map((y) => ({ recoveryYears: y, convention: "half_year" as const, date: "2026-05-01", pcts: MACRS_HALF_YEAR[y] })),
      ...MACRS_MID_QUARTER.flatMap((table, q) =>
        TAX_RECOVERY_YEARS.map((y) => ({ recoveryYears: y, convention: "mid_quarter" as const, date: `2026-${String(3 * q + 2).padStart(2, "0")}-10`, pcts: table[y] })),
      ),
    ];
    expect(columns).toHaveLength(30);
    for (const c of columns) {
      for (const cost of [1, 99, 100_010, 3_401_750, 123_456_789, 999_999_999_999]) {
        const got = amounts({ cost, inServiceDate: c.date, recoveryYears: c.recoveryYears, convention: c.convention });
        const rounded = c.pcts.map((p) => new Dec(cost).times(p).dividedBy(100).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toNumber());
        const label = `${c.convention} ${c.date} ${c.recoveryYears}-year at ${cost} cents`;
        expect(sum(got), label).toBe(cost);
        expect(got.every((a) => a >= 0), label).toBe(true);
        // Bases large enough that no early year is cut short by the remaining basis.
        if (cost >= 100) expect(got.slice(0, -1), label).toEqual(rounded.slice(0, -1));
      }
    }
  });

  it("keeps the printed cells where they depart from the declining-balance formula", () => {
    // The formula gives 7.008 and 0.557 for A-2's 20-year column, 3.33 for A-3's 7-year last
    // year, and 6.56 before 6.55 in A-1's 10-year column; the printed tables are the law.
    expect(MACRS_MID_QUARTER[0]![20][1]).toBe("7.000");
    expect(MACRS_MID_QUARTER[0]![20][20]).toBe("0.565");
    expect(MACRS_MID_QUARTER[1]![7]).toEqual(["17.85", "23.47", "16.76", "11.97", "8.87", "8.87", "8.87", "3.34"]);
    expect(MACRS_HALF_YEAR[10].slice(6)).toEqual(["6.55", "6.55", "6.56", "6.55", "3.28"]);
  });
});

describe("tax book: macrsYear and the book-to-tax difference agree with the schedule", () => {
  const assetArb = fc.record({
    cost: fc.integer({ min: 0, max: 10_000_000_000 }),
    inServiceDate: fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2035-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    recoveryYears: fc.constantFrom(...TAX_RECOVERY_YEARS),
    convention: fc.constantFrom("half_year" as const, "mid_quarter" as const),
    bonusPercent: fc.constantFrom(undefined, "0", "20", "40", "60", "80", "100", "33.3"),
    fiscalYearStartMonth: fc.integer({ min: 1, max: 12 }),
  });

  it("macrsYear gives the schedule's row for every tax year, and nothing outside the recovery period", () => {
    fc.assert(
      fc.property(assetArb, (asset) => {
        const rows = macrsSchedule(asset);
        for (const r of rows) expect(macrsYear(asset, r.taxYear)).toEqual(r);
        const first = rows[0]!.taxYear;
        const last = rows.at(-1)!.taxYear;
        expect(macrsYear(asset, first - 1)).toEqual({ taxYear: first - 1, amount: 0, accumulated: 0, remainingBasis: asset.cost });
        expect(macrsYear(asset, last + 1)).toEqual({ taxYear: last + 1, amount: 0, accumulated: asset.cost, remainingBasis: 0 });
      }),
      { seed: 8, numRuns: 300 },
    );
  });

  it("bookToTaxByYear carries the schedule's rounded years", () => {
    const tax = macrsSchedule({ cost: 3_401_750, inServiceDate: "2025-08-14", recoveryYears: 15, convention: "mid_quarter" });
    const book = [
      { fiscalYear: 2025, amount: 56_696 },
      { fiscalYear: 2026, amount: 226_783 },
    ];
    const diff = bookToTaxByYear(book, tax);
    expect(diff.slice(0, 2)).toEqual([
      { fiscalYear: 2025, book: 56_696, tax: 127_566, difference: 70_870 },
      // 3,275.89 − 2,267.83 = 1,008.06
      { fiscalYear: 2026, book: 226_783, tax: 327_589, difference: 100_806 },
    ]);
    expect(diff.find((r) => r.fiscalYear === 2028)).toEqual({ fiscalYear: 2028, book: 0, tax: 265_337, difference: 265_337 });
    expect(sum(diff.map((r) => r.tax))).toBe(3_401_750);
  });
});

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");

describe("capex schedule --book tax", () => {
  it("prints the issue's 3,275.89 for 2026 and 2,653.37 for 2028", async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [CLI, "schedule", "--book", "tax", "--cost", "34017.50", "--in-service", "2025-08-14", "--recovery-years", "15", "--convention", "mid_quarter"],
      { env: { PATH: process.env.PATH, HOME: tmp() } },
    );
    const lines = stdout.split("\r\n");
    expect(lines.slice(0, 5)).toEqual([
      "tax_year,amount,accumulated,remaining_basis",
      "2025,1275.66,1275.66,32741.84",
      "2026,3275.89,4551.55,29465.95",
      "2027,2945.92,7497.47,26520.03",
      "2028,2653.37,10150.84,23866.66",
    ]);
    expect(lines.at(-2)).toBe("2040,1255.26,34017.50,0.00");
    expect(stderr).toBe("total 34017.50 over 16 tax years; remaining basis 0.00\n");
  }, 60_000);
});
