import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputError } from "../src/errors.js";
import { Dec } from "../src/money.js";
import { MACRS_HALF_YEAR, MACRS_MID_QUARTER } from "../src/depreciation/macrs.js";
import { type BookAsset, DepreciationSchedule } from "../src/depreciation/schedule.js";
import { bookToTaxByYear, macrsDisposal, macrsSchedule, taxConventionsByYear, taxQuarterOf } from "../src/depreciation/tax.js";
import { timeProfile, unitsUsed } from "../src/depreciation/time.js";
import { CONVENTIONS, TAX_RECOVERY_YEARS } from "../src/depreciation/types.js";

const asset = (a: Partial<BookAsset>): BookAsset => ({
  cost: 120_000,
  salvage: 0,
  inServiceDate: "2026-01-15",
  lifeMonths: 12,
  method: "straight_line",
  convention: "full_month",
  ...a,
});
const amounts = (a: Partial<BookAsset>) => [...new DepreciationSchedule(asset(a)).periods()].map((p) => p.amount);
const periods = (a: Partial<BookAsset>) => [...new DepreciationSchedule(asset(a)).periods()].map((p) => [p.period, p.amount]);
const annual = (a: Partial<BookAsset>) => new DepreciationSchedule(asset(a)).annualTotals().map((y) => y.amount);

describe("straight line, by convention", () => {
  it("full_month: the in-service month counts in full", () => {
    expect(periods({ inServiceDate: "2026-01-31", lifeMonths: 3, cost: 100_000 })).toEqual([
      ["2026-01", 33333],
      ["2026-02", 33334],
      ["2026-03", 33333],
    ]);
  });

  it("next_month: depreciation starts the month after", () => {
    expect(periods({ convention: "next_month", lifeMonths: 2, cost: 1000 })).toEqual([
      ["2026-01", 0],
      ["2026-02", 500],
      ["2026-03", 500],
    ]);
  });

  it("mid_month: half a month at the start and half at the end", () => {
    expect(amounts({ convention: "mid_month" })).toEqual([5000, ...Array(11).fill(10_000), 5000]);
  });

  it("actual_days: first month by days left (leap February has 29), the last takes the rest", () => {
    const s = [...new DepreciationSchedule(asset({ convention: "actual_days", inServiceDate: "2028-02-29", cost: 290_000 })).periods()];
    expect(s).toHaveLength(13);
    expect(s[0]).toEqual({ period: "2028-02", amount: 833, accumulated: 833, netBookValue: 289_167 }); // 1/29 of a month
    expect(s[1]?.amount).toBe(24_167);
    expect(s[12]).toEqual({ period: "2029-02", amount: 23_333, accumulated: 290_000, netBookValue: 0 }); // 28/29 of a month
    expect(amounts({ convention: "actual_days", inServiceDate: "2026-03-01" })).toEqual(Array(12).fill(10_000));
  });

  it("half_year: half a year in the first fiscal year, spread over its remaining months", () => {
    const s = amounts({ convention: "half_year", inServiceDate: "2026-10-10", lifeMonths: 60, cost: 600_000 });
    expect(s.slice(0, 3)).toEqual([20_000, 20_000, 20_000]); // Oct–Dec carry 6 months' worth
    expect(s.slice(3)).toEqual(Array(54).fill(10_000));
    expect(annual({ convention: "half_year", inServiceDate: "2026-10-10", lifeMonths: 60, cost: 600_000 })).toEqual([60_000, 120_000, 120_000, 120_000, 120_000, 60_000]);
    // A July fiscal year: in service in June, the last month of FY2026.
    expect(amounts({ convention: "half_year", inServiceDate: "2026-06-30", lifeMonths: 12, fiscalYearStartMonth: 7 })).toEqual([60_000, ...Array(6).fill(10_000)]);
  });

  it("mid_quarter: in service at the middle of its fiscal quarter", () => {
    const s = amounts({ convention: "mid_quarter", inServiceDate: "2026-11-05", lifeMonths: 60, cost: 600_000 });
    expect(s.slice(0, 2)).toEqual([7500, 7500]); // 1.5 months over Nov and Dec
    expect(s.slice(2, -1)).toEqual(Array(58).fill(10_000));
    expect(s.at(-1)).toBe(5000);
    expect(annual({ convention: "mid_quarter", inServiceDate: "2026-02-01", lifeMonths: 12, cost: 120_000 })).toEqual([105_000, 15_000]); // Q1: 10.5 months
  });

  it("reproduces Excel's documented SLN(30000, 7500, 10) = 2250 a year", () => {
    expect(annual({ cost: 3_000_000, salvage: 750_000, lifeMonths: 120, inServiceDate: "2026-01-01" })).toEqual(Array(10).fill(225_000));
    expect(amounts({ cost: 3_000_000, salvage: 750_000, lifeMonths: 120 })[0]).toBe(18_750);
  });
});

describe("declining balance and sum of the years' digits (Excel's documented examples)", () => {
  // Microsoft's documentation of DDB and VDB: cost 2,400, salvage 300, life 10 years.
  const ddb = { cost: 240_000, salvage: 30_000, lifeMonths: 120, method: "declining_balance" as const, inServiceDate: "2026-01-01" };

  it("DDB(2400, 300, 10, 1) = 480.00 and DDB(…, 10) = 22.12; DDB(2400, 300, 120, 1, 2) = 40.00 in the first month", () => {
    const years = annual({ ...ddb, decliningBalanceRate: "2" });
    expect(years[0]).toBe(48_000);
    expect(years[1]).toBe(38_400);
    expect(years[9]).toBe(2212);
    expect(years.reduce((a, b) => a + b, 0)).toBe(210_000);
    expect(amounts({ ...ddb, decliningBalanceRate: "2" })[0]).toBe(4000);
  });

  it("DDB(2400, 300, 10, 2, 1.5) = 306.00", () => {
    expect(annual({ ...ddb, decliningBalanceRate: "1.5" })[1]).toBe(30_600);
  });

  it("VDB(2400, 300, 10, 0, 0.875, 1.5) = 315.00: 10.5 months under mid_month", () => {
    const s = new DepreciationSchedule(asset({ ...ddb, decliningBalanceRate: "1.5", convention: "mid_month" }));
    expect(s.accumulatedThroughPeriod("2026-11")).toBe(31_500);
  });

  it("switches to straight line when that gives more (150 % on a 5-year life)", () => {
    // 10,000 at 150 %/5 = 30 % a year: 3000, 2100; in year 3 straight line on the remaining
    // 4,900 over 3 years (1,633.33) beats 30 % of 4,900 (1,470), so it switches there.
    expect(annual({ cost: 1_000_000, lifeMonths: 60, method: "declining_balance", decliningBalanceRate: "1.5", inServiceDate: "2026-01-01" })).toEqual([
      300_000, 210_000, 163_333, 163_334, 163_333,
    ]);
  });

  it("SYD(30000, 7500, 10, 1) = 4090.91 and SYD(…, 10) = 409.09", () => {
    const years = annual({ cost: 3_000_000, salvage: 750_000, lifeMonths: 120, method: "sum_of_years_digits", inServiceDate: "2026-01-01" });
    expect(years[0]).toBe(409_091);
    expect(years[9]).toBe(40_909);
    expect(years.reduce((a, b) => a + b, 0)).toBe(2_250_000);
  });

  it("refuses sum of the years' digits on a life of part years", () => {
    expect(() => new DepreciationSchedule(asset({ method: "sum_of_years_digits", lifeMonths: 30 }))).toThrow(
      new InputError("life_months", "sum of the years' digits needs a life of whole years (got 30 months)"),
    );
  });
});

describe("edge cases", () => {
  it("zero cost, salvage equal to cost, one-month lives", () => {
    expect(amounts({ cost: 0 })).toEqual(Array(12).fill(0));
    expect(amounts({ cost: 50_000, salvage: 50_000 })).toEqual(Array(12).fill(0));
    expect(periods({ lifeMonths: 1, cost: 999 })).toEqual([["2026-01", 999]]);
    expect(periods({ lifeMonths: 1, cost: 999, convention: "mid_month" })).toEqual([["2026-01", 500], ["2026-02", 499]]);
    expect(periods({ lifeMonths: 1, cost: 3100, convention: "actual_days", inServiceDate: "2026-01-31" })).toEqual([["2026-01", 100], ["2026-02", 3000]]);
  });

  it("refuses bad input with the field named", () => {
    expect(() => new DepreciationSchedule(asset({ salvage: 200_000 }))).toThrow(new InputError("salvage", "2000.00 is more than the cost 1200.00"));
    expect(() => new DepreciationSchedule(asset({ lifeMonths: 0 }))).toThrow(new InputError("life_months", "must be a whole number of months, at least 1 (got 0)"));
  });

  it("gives the amount for any period, accumulated to any date, and nothing outside the life", () => {
    const s = new DepreciationSchedule(asset({}));
    expect(s.amountForPeriod("2025-12")).toBe(0);
    expect(s.amountForPeriod("2026-06")).toBe(10_000);
    expect(s.amountForPeriod("2027-01")).toBe(0);
    expect(s.accumulatedAt("2026-06-29")).toBe(50_000);
    expect(s.accumulatedAt("2026-06-30")).toBe(60_000);
    expect(s.accumulatedAt("2030-01-01")).toBe(120_000);
  });
});

describe("properties of every schedule (fast-check)", () => {
  const date = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2040-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  const edgeDate = fc.constantFrom("2024-02-29", "2028-02-29", "2026-01-31", "2026-12-31", "2026-04-30", "2027-02-28", "2026-03-01");
  const assetArb = fc
    .record({
      cost: fc.integer({ min: 0, max: 10_000_000_000 }),
      salvageShare: fc.integer({ min: 0, max: 100 }),
      inServiceDate: fc.oneof(date, edgeDate),
      lifeMonths: fc.integer({ min: 1, max: 600 }),
      convention: fc.constantFrom(...CONVENTIONS),
      method: fc.constantFrom("straight_line" as const, "declining_balance" as const, "sum_of_years_digits" as const),
      rate: fc.constantFrom("1.5", "2"),
      fiscalYearStartMonth: fc.integer({ min: 1, max: 12 }),
    })
    .map((r) => ({
      cost: r.cost,
      salvage: Math.floor((r.cost * r.salvageShare) / 100),
      inServiceDate: r.inServiceDate,
      lifeMonths: r.method === "sum_of_years_digits" ? Math.max(12, r.lifeMonths - (r.lifeMonths % 12)) : r.lifeMonths,
      convention: r.convention,
      method: r.method,
      decliningBalanceRate: r.rate,
      fiscalYearStartMonth: r.fiscalYearStartMonth,
    }));

  it("sums to cost − salvage exactly, ends at salvage, never goes negative", () => {
    fc.assert(
      fc.property(assetArb, (a) => {
        const s = [...new DepreciationSchedule(a).periods()];
        expect(s.reduce((sum, p) => sum + p.amount, 0)).toBe(a.cost - a.salvage);
        expect(s.at(-1)?.netBookValue).toBe(a.salvage);
        expect(s.every((p) => p.amount >= 0)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it("straight line: no period differs from the ideal amount by a cent or more", () => {
    fc.assert(
      fc.property(assetArb, (a) => {
        const sched = new DepreciationSchedule({ ...a, method: "straight_line" });
        const p = sched.profile;
        const B = BigInt(sched.basis);
        const D = BigInt(p.totalUnits);
        let j = 0;
        for (const period of sched.periods()) {
          const used = BigInt(unitsUsed(p, j) - unitsUsed(p, j - 1));
          // |amount − B·used/D| < 1  ⇔  |amount·D − B·used| < D
          const gap = BigInt(period.amount) * D - B * used;
          expect(gap < D && -gap < D).toBe(true);
          j++;
        }
      }),
      { numRuns: 400 },
    );
  });

  it("each convention uses exactly the whole life", () => {
    fc.assert(
      fc.property(assetArb, (a) => {
        const p = timeProfile(a.inServiceDate, a.lifeMonths, a.convention, a.fiscalYearStartMonth);
        expect(p.totalUnits).toBe(p.unitsPerMonth * a.lifeMonths);
        expect(unitsUsed(p, 10_000)).toBe(p.totalUnits);
      }),
    );
  });
});

describe("MACRS tax book (IRS Publication 946, Appendix A)", () => {
  it("every printed column sums to 100 %", () => {
    for (const table of [MACRS_HALF_YEAR, ...MACRS_MID_QUARTER]) {
      for (const years of TAX_RECOVERY_YEARS) {
        const column = table[years];
        expect(column).toHaveLength(years + 1);
        expect(column.reduce((s, p) => s.plus(p), new Dec(0)).toString()).toBe("100");
      }
    }
  });

  it("Table A-1: 5-year property, half-year, $10,000", () => {
    expect(macrsSchedule({ cost: 1_000_000, inServiceDate: "2026-05-01", recoveryYears: 5, convention: "half_year" })).toEqual([
      { taxYear: 2026, amount: 200_000, accumulated: 200_000, remainingBasis: 800_000 },
      { taxYear: 2027, amount: 320_000, accumulated: 520_000, remainingBasis: 480_000 },
      { taxYear: 2028, amount: 192_000, accumulated: 712_000, remainingBasis: 288_000 },
      { taxYear: 2029, amount: 115_200, accumulated: 827_200, remainingBasis: 172_800 },
      { taxYear: 2030, amount: 115_200, accumulated: 942_400, remainingBasis: 57_600 },
      { taxYear: 2031, amount: 57_600, accumulated: 1_000_000, remainingBasis: 0 },
    ]);
  });

  it("Table A-5: 15-year property placed in service in the fourth quarter", () => {
    const rows = macrsSchedule({ cost: 10_000_000, inServiceDate: "2026-11-20", recoveryYears: 15, convention: "mid_quarter" });
    expect(rows.map((r) => r.amount).slice(0, 3)).toEqual([125_000, 988_000, 889_000]);
    expect(rows.at(-1)).toEqual({ taxYear: 2041, amount: 517_000, accumulated: 10_000_000, remainingBasis: 0 });
  });

  it("takes bonus depreciation off the basis first, in the first year", () => {
    const rows = macrsSchedule({ cost: 1_000_000, inServiceDate: "2026-03-01", recoveryYears: 5, convention: "half_year", bonusPercent: "60" });
    expect(rows[0]).toEqual({ taxYear: 2026, amount: 680_000, accumulated: 680_000, remainingBasis: 320_000 });
    expect(rows.reduce((s, r) => s + r.amount, 0)).toBe(1_000_000);
  });

  it("gives the book-to-tax difference for every year", () => {
    // 10,000 of 5-year property in service 1 July 2026: GL straight line over 60 months vs MACRS half-year.
    const book = new DepreciationSchedule(asset({ cost: 1_000_000, inServiceDate: "2026-07-01", lifeMonths: 60 })).annualTotals();
    const tax = macrsSchedule({ cost: 1_000_000, inServiceDate: "2026-07-01", recoveryYears: 5, convention: "half_year" });
    expect(bookToTaxByYear(book, tax)).toEqual([
      { fiscalYear: 2026, book: 100_000, tax: 200_000, difference: 100_000 },
      { fiscalYear: 2027, book: 200_000, tax: 320_000, difference: 120_000 },
      { fiscalYear: 2028, book: 200_000, tax: 192_000, difference: -8000 },
      { fiscalYear: 2029, book: 200_000, tax: 115_200, difference: -84_800 },
      { fiscalYear: 2030, book: 200_000, tax: 115_200, difference: -84_800 },
      { fiscalYear: 2031, book: 100_000, tax: 57_600, difference: -42_400 },
    ]);
  });

  it("figures a disposal: nothing in the year placed in service, the convention's share of the year after, the last year's part year whole", () => {
    // Table A-1, 5-year, $10,000 in service May 2026: 20 %, 32 %, 19.2 %, 11.52 %, 11.52 %, 5.76 %.
    const fiveYear = { cost: 1_000_000, inServiceDate: "2026-05-01", recoveryYears: 5, convention: "half_year" } as const;
    expect(macrsDisposal(fiveYear, "2026-12-01")).toEqual({ taxYear: 2026, amount: 0, accumulated: 0, adjustedBasis: 1_000_000 });
    expect(macrsDisposal(fiveYear, "2028-02-10")).toEqual({ taxYear: 2028, amount: 96_000, accumulated: 616_000, adjustedBasis: 384_000 });
    // The table's last year is the half year already: taken whole.
    expect(macrsDisposal(fiveYear, "2031-03-01")).toEqual({ taxYear: 2031, amount: 57_600, accumulated: 1_000_000, adjustedBasis: 0 });
    expect(macrsDisposal(fiveYear, "2032-01-01")).toEqual({ taxYear: 2032, amount: 0, accumulated: 1_000_000, adjustedBasis: 0 });
    // Table A-5, 15-year, $100,000 in the fourth quarter of 2026: 1.25 %, 9.88 %, ... 5.17 % in 2041.
    const fourthQuarter = { cost: 10_000_000, inServiceDate: "2026-11-20", recoveryYears: 15, convention: "mid_quarter" } as const;
    // Disposed in the second quarter: to its middle, 3/8 of the year.
    expect(macrsDisposal(fourthQuarter, "2027-05-10")).toEqual({ taxYear: 2027, amount: 370_500, accumulated: 495_500, adjustedBasis: 9_504_500 });
    // 2041's 5.17 % runs to the middle of the fourth quarter (7/8 of the year): disposed in the first, 1/7 of it.
    expect(macrsDisposal(fourthQuarter, "2041-02-01")).toEqual({ taxYear: 2041, amount: 73_857, accumulated: 9_556_857, adjustedBasis: 443_143 });
    expect(macrsDisposal(fourthQuarter, "2041-11-15")).toEqual({ taxYear: 2041, amount: 517_000, accumulated: 10_000_000, adjustedBasis: 0 });
    // Bonus depreciation is in what was deducted; none for property disposed of in its first year.
    const bonus = { ...fiveYear, inServiceDate: "2026-03-01", bonusPercent: "60" };
    expect(macrsDisposal(bonus, "2027-06-30")).toEqual({ taxYear: 2027, amount: 64_000, accumulated: 744_000, adjustedBasis: 256_000 });
    expect(macrsDisposal(bonus, "2026-09-30")).toEqual({ taxYear: 2026, amount: 0, accumulated: 0, adjustedBasis: 1_000_000 });
    // A fiscal year from July: August 2026 and March 2027 are the same tax year (2027).
    const july = { ...fiveYear, inServiceDate: "2026-08-01", fiscalYearStartMonth: 7 };
    expect(macrsDisposal(july, "2027-03-01")).toEqual({ taxYear: 2027, amount: 0, accumulated: 0, adjustedBasis: 1_000_000 });
    expect(macrsDisposal(july, "2027-08-01")).toEqual({ taxYear: 2028, amount: 160_000, accumulated: 360_000, adjustedBasis: 640_000 });
  });

  it("applies the 40 % mid-quarter test per tax year, on the fiscal year's quarters", () => {
    expect(taxQuarterOf("2026-10-01")).toBe(4);
    expect(taxQuarterOf("2026-10-01", 7)).toBe(2);
    const conventions = taxConventionsByYear([
      { cost: 600, inServiceDate: "2026-03-01" },
      { cost: 401, inServiceDate: "2026-12-01" },
      { cost: 600, inServiceDate: "2027-03-01" },
      { cost: 400, inServiceDate: "2027-12-01" },
    ]);
    expect([...conventions]).toEqual([
      [2026, "mid_quarter"],
      [2027, "half_year"],
    ]);
  });
});
