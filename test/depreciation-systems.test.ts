import { describe, expect, it } from "vitest";
import { MACRS_HALF_YEAR, MACRS_MID_QUARTER } from "../src/depreciation/macrs.js";
import { type BookAsset, DepreciationSchedule } from "../src/depreciation/schedule.js";
import { type RecoveryYears, TAX_RECOVERY_YEARS } from "../src/depreciation/types.js";

/**
 * Published worked examples of other systems, reproduced figure for figure. Amounts are
 * annual (fiscal years from January unless said), in cents, rounded half-up to the cent;
 * the rounding each example needs (cumulative target or per period) is named in the test.
 */
const annual = (a: Partial<BookAsset> & Pick<BookAsset, "cost" | "inServiceDate" | "lifeMonths">) =>
  new DepreciationSchedule({ salvage: 0, method: "straight_line", convention: "full_month", ...a }).annualTotals().map((y) => y.amount);
const months = (a: BookAsset) => [...new DepreciationSchedule(a).periods()];

describe("Microsoft Dynamics 365 Business Central, 'Depreciation methods'", () => {
  // https://learn.microsoft.com/en-us/dynamics365/business-central/fa-depreciation-methods
  // (source: github.com/MicrosoftDocs/dynamics365smb-docs, business-central/fa-depreciation-methods.md)

  it("Straight-Line: 100,000 over 8 years, 6,250 each half-year, 12,500 a year", () => {
    for (const rounding of ["cumulative", "per_period"] as const) {
      expect(annual({ cost: 10_000_000, inServiceDate: "2010-01-01", lifeMonths: 96, rounding })).toEqual(Array(8).fill(1_250_000));
    }
  });

  it("Half-Year Convention, Straight-Line: 100,000 from 03/01/10 over 5 years: 10,000, 20,000 × 4, 10,000", () => {
    expect(annual({ cost: 10_000_000, inServiceDate: "2010-03-01", lifeMonths: 60, convention: "half_year" })).toEqual([
      1_000_000, 2_000_000, 2_000_000, 2_000_000, 2_000_000, 1_000_000,
    ]);
  });

  it("DB1/SL with the Half-Year Convention: 100,000 from 11/01/10, 40 %, 5 years: 20,000, 32,000, 19,200, 11,520, 11,520 SL, 5,760 SL", () => {
    // 40 % = 200 % ÷ 5 years. The rate applies to each fiscal year's opening book value; 2014
    // switches to straight line: 28,800 ÷ 1.5 remaining years = 11,520 > 40 % × 17,280.
    const asset: BookAsset = { cost: 10_000_000, salvage: 0, inServiceDate: "2010-11-01", lifeMonths: 60, method: "declining_balance", convention: "half_year", decliningBalanceRate: "2" };
    const want = [2_000_000, 3_200_000, 1_920_000, 1_152_000, 1_152_000, 576_000];
    expect(annual(asset)).toEqual(want);
    expect(annual({ ...asset, rounding: "per_period" })).toEqual(want);
    // The months share each fiscal year's amount by the half-year profile: Nov and Dec 2010
    // carry the half year (10,000.00 each); 2011's twelve months sum to 32,000.00 exactly.
    const m = months(asset);
    expect(m.slice(0, 2).map((p) => p.amount)).toEqual([1_000_000, 1_000_000]);
    expect(m.slice(2, 14).reduce((s, p) => s + p.amount, 0)).toBe(3_200_000);
    expect(m.at(-1)).toMatchObject({ period: "2015-06", netBookValue: 0 });
  });

  it("Declining-Balance 1: 25 %, no switch: 25,000, 18,750, 14,062.50, 10,546.88, 7,910.16 (each year rounded: per_period)", () => {
    // The page posts half-years (12,500 + 12,500, …, 5,273.44 + 5,273.44, 3,955.08 + 3,955.08).
    // 25 % = 200 % ÷ 8 years. Year 5 is 25 % of the rounded book value 31,640.62 = 7,910.155 →
    // 7,910.16; cumulative-target rounding gives 7,910.15 (76,269.53 − 68,359.38).
    const asset = { cost: 10_000_000, inServiceDate: "2010-01-01", lifeMonths: 96, method: "declining_balance" as const, switchToStraightLine: false };
    expect(annual({ ...asset, rounding: "per_period" }).slice(0, 5)).toEqual([2_500_000, 1_875_000, 1_406_250, 1_054_688, 791_016]);
    expect(annual(asset).slice(0, 5)).toEqual([2_500_000, 1_875_000, 1_406_250, 1_054_688, 791_015]);
  });

  it("DB1/SL: 25 %, 8 years: the same first five years, then straight line on 23,730.46 over 3 years", () => {
    // The page's years 6–8 are 7,910.16, 7,910.15, 7,910.15: it rounds each half-year posting
    // (3,955.08 + 3,955.08, 3,955.08 + 3,955.07, 3,955.08 + 3,955.07). Rounding each year,
    // per_period gives 7,910.15 (23,730.46 ÷ 3), 7,910.16 (15,820.31 ÷ 2), 7,910.15: a cent
    // apart in 2015 and 2016, the same total. Years 1–5 match exactly.
    const years = annual({ cost: 10_000_000, inServiceDate: "2010-01-01", lifeMonths: 96, method: "declining_balance", rounding: "per_period" });
    expect(years).toEqual([2_500_000, 1_875_000, 1_406_250, 1_054_688, 791_016, 791_015, 791_016, 791_015]);
    expect(years.slice(5).reduce((s, a) => s + a, 0)).toBe(2_373_046);
  });
});

describe("Sage Fixed Assets help, depreciation methods", () => {
  it("Sum-of-the-Years'-Digits, Half-Year: 2,800 over 10 years: 254.55, then 254.55 + 229.09 = 483.64 (per_period)", () => {
    // https://help-sfa.na.sage.com/en-us/20260/Depreciation/SingleUser/Content/deprmethods/sum_of_the_years_digits_half_year_example.htm
    // Sage rounds each half: 6/12 × 10/55 × 2,800 = 254.545 → 254.55 and 6/12 × 9/55 × 2,800 =
    // 229.091 → 229.09. Rounding the year (483.636 → 483.64) gives the same figure; the
    // cumulative target gives 483.63 (738.18 − 254.55), a cent off Sage.
    const asset = { cost: 280_000, inServiceDate: "2026-03-01", lifeMonths: 120, method: "sum_of_years_digits" as const, convention: "half_year" as const };
    expect(annual({ ...asset, rounding: "per_period" }).slice(0, 2)).toEqual([25_455, 48_364]);
    expect(annual(asset).slice(0, 2)).toEqual([25_455, 48_363]);
    // Every later year is the rounded halves' sum as well (229.09 + 203.64 = 432.73, …, 25.45).
    expect(annual({ ...asset, rounding: "per_period" })).toEqual([25_455, 48_364, 43_273, 38_182, 33_091, 28_000, 22_909, 17_818, 12_727, 7636, 2545]);
  });

  it("Declining-Balance, Half-Year: the first year is 4,800 × .25 × 1/2 = 600 whatever the month", () => {
    // https://help-sfa.na.sage.com/en-us/20260/Depreciation/SingleUser/Content/deprmethods/declining_balance_half_year_example.htm
    // .25 = 200 % ÷ 8 years (or 150 % ÷ 6): both give 600.00 in the first fiscal year.
    for (const inServiceDate of ["2026-01-05", "2026-12-20"]) {
      expect(annual({ cost: 480_000, inServiceDate, lifeMonths: 96, method: "declining_balance", convention: "half_year" })[0]).toBe(60_000);
      expect(annual({ cost: 480_000, inServiceDate, lifeMonths: 72, method: "declining_balance", decliningBalanceRate: "1.5", convention: "half_year" })[0]).toBe(60_000);
    }
  });
});

describe("Excel, DDB and VDB", () => {
  // https://support.microsoft.com/de-DE/Excel/functions/ddb-function (the page in English; its
  // examples: cost 2,400, salvage 300, life 10)
  // DDB = Min((cost − prior) × factor/life, cost − salvage − prior), each period on its own.
  const ddb = (cost: number, salvage: number, life: number, factor = 2) => {
    const out: number[] = [];
    let prior = 0;
    for (let p = 1; p <= life; p++) {
      const d = Math.min(((cost - prior) * factor) / life, cost - salvage - prior);
      out.push(d);
      prior += d;
    }
    return out;
  };
  const cents = (x: number) => Math.round(x * 100);

  it("without the switch, every year is Excel's DDB when salvage is reached: DDB(2400, 300, 10, 1…10) = 480.00 … 22.12 (per_period)", () => {
    // Excel shows each period rounded on its own (157.2864 → 157.29 in year 6); the cumulative
    // target gives 157.28 there (1,770.66 − 1,613.38) and 100.67 for 100.66 in year 8.
    const asset = { cost: 240_000, salvage: 30_000, inServiceDate: "2026-01-01", lifeMonths: 120, method: "declining_balance" as const, switchToStraightLine: false };
    const excel = ddb(2400, 300, 10).map(cents);
    expect(excel).toEqual([48_000, 38_400, 30_720, 24_576, 19_661, 15_729, 12_583, 10_066, 8053, 2212]);
    expect(annual({ ...asset, rounding: "per_period" })).toEqual(excel);
    expect(annual(asset)).toEqual([48_000, 38_400, 30_720, 24_576, 19_661, 15_728, 12_583, 10_067, 8053, 2212]);
  });

  it("where Excel's DDB stops short of salvage, the last year takes the rest (as Sage does); DDB leaves it on the books", () => {
    // DDB(10000, 0, 5, 1…5) = 4,000, 2,400, 1,440, 864, 518.40: 777.60 is never depreciated.
    const excel = ddb(10_000, 0, 5).map(cents);
    expect(excel).toEqual([400_000, 240_000, 144_000, 86_400, 51_840]);
    const years = annual({ cost: 1_000_000, inServiceDate: "2026-01-01", lifeMonths: 60, method: "declining_balance", switchToStraightLine: false });
    expect(years).toEqual([400_000, 240_000, 144_000, 86_400, 51_840 + 77_760]);
    // With the switch (the default, VDB's): straight line from year 4 on the 2,160.00 left, 1,080.00 twice.
    expect(annual({ cost: 1_000_000, inServiceDate: "2026-01-01", lifeMonths: 60, method: "declining_balance" })).toEqual([400_000, 240_000, 144_000, 108_000, 108_000]);
  });

  it("monthly: the year's amount is spread evenly, not compounded monthly as DDB(2400, 300, 120, p, 2) is", () => {
    // DDB(2400, 300, 120, 1, 2) = 40.00 and DDB(…, 2, 2) = 39.33: Excel's month 2 is 2 % of
    // 2,360. fiber-capex spreads the year's 480.00 over its months: 40.00, 40.00, …
    expect(cents(ddb(2400, 300, 120)[0]!)).toBe(4000);
    expect(cents(ddb(2400, 300, 120)[1]!)).toBe(3933);
    const m = months({ cost: 240_000, salvage: 30_000, inServiceDate: "2026-01-01", lifeMonths: 120, method: "declining_balance", convention: "full_month" });
    expect(m.slice(0, 2).map((p) => p.amount)).toEqual([4000, 4000]);
  });

  it("VDB over fractional periods prorates whole periods: the asset-year form under half_year takes ½ of VDB's first year", () => {
    // https://learn.microsoft.com/en-us/office/vba/api/excel.worksheetfunction.vdb ("including partial periods")
    // VDB(2400, 300, 10, 0, 0.875, 1.5) = 315.00 = 0.875 × 360.00 (see depreciation.test.ts);
    // by the same proration VDB(…, 0, 0.5, 1.5) = 180.00, what the asset-year form gives.
    const asset = { cost: 240_000, salvage: 30_000, inServiceDate: "2026-04-01", lifeMonths: 120, method: "declining_balance" as const, decliningBalanceRate: "1.5" };
    expect(annual({ ...asset, convention: "half_year", decliningBalanceYears: "asset" })[0]).toBe(18_000);
  });
});

describe("LibreOffice Calc help, SYD", () => {
  it("SYD(50000; 10000; 5; 1…5) = 13,333.33, 10,666.67, 8,000.00, 5,333.33, 2,666.67", () => {
    // https://help.libreoffice.org/latest/en-US/text/scalc/01/04060103.html
    // (source: github.com/LibreOffice/help, source/text/scalc/01/04060103.xhp, section "syd")
    for (const rounding of ["cumulative", "per_period"] as const) {
      expect(annual({ cost: 5_000_000, salvage: 1_000_000, inServiceDate: "2026-01-01", lifeMonths: 60, method: "sum_of_years_digits", rounding })).toEqual([
        1_333_333, 1_066_667, 800_000, 533_333, 266_667,
      ]);
    }
  });
});

describe("IRS Publication 946, Appendix A: the MACRS tables are the fiscal-year form", () => {
  // https://www.irs.gov/publications/p946 (Tables ). Declining balance at 200 % (3- to
  // 10-year) or 150 % (15-, 20-year) on fiscal years, the first taking the convention's
  // fraction, switching to straight line: basis × each year's percentage, each year rounded
  // to the table's precision (per_period on a basis of 100.00, or 1,000.00 for the
  // three-decimal 20-year column), reproduces every printed cell but two.
  const quarterDates = ["2026-02-15", "2026-05-15", "2026-08-15", "2026-11-15"];
  const column = (years: RecoveryYears, convention: "half_year" | "mid_quarter", inServiceDate: string) => {
    const scale = years === 20 ? 1000 : 100;
    return annual({
      cost: 100 * scale,
      inServiceDate,
      lifeMonths: years * 12,
      method: "declining_balance",
      decliningBalanceRate: years >= 15 ? "1.5" : "2",
      convention,
      rounding: "per_period",
    }).map((c) => (c / scale).toFixed(years === 20 ? 3 : 2));
  };

  it("Table A-1 (half-year), every column: 20.00, 32.00, 19.20, 11.52, 11.52, 5.76 for 5-year property", () => {
    for (const years of TAX_RECOVERY_YEARS) expect(column(years, "half_year", "2026-05-01")).toEqual(MACRS_HALF_YEAR[years]);
    expect(column(5, "half_year", "2026-05-01")).toEqual(["20.00", "32.00", "19.20", "11.52", "11.52", "5.76"]);
  });

  it("Tables A-2 to A-5 (mid-quarter), every column but two printed cells the formula does not give", () => {
    for (let q = 0; q < 4; q++) {
      for (const years of TAX_RECOVERY_YEARS) {
        const got = column(years, "mid_quarter", quarterDates[q]!);
        const printed = [...MACRS_MID_QUARTER[q]![years]];
        if (q === 0 && years === 20) {
          // A-2, 20-year: printed 7.000 in year 2 where 7.5 % × (100 − 6.5625) = 7.008, and the
          // last year 0.565 where the formula leaves 0.557.
          expect([got[1], got[20]]).toEqual(["7.008", "0.557"]);
          printed[1] = "7.008";
          printed[20] = "0.557";
        }
        if (q === 1 && years === 7) {
          // A-3, 7-year: printed 17.85 in year 1 where 28.57 % × 7.5/12 = 17.857 → 17.86, and
          // the last year 3.34 where the formula leaves 3.33 (see the README's tax book).
          expect([got[0], got[7]]).toEqual(["17.86", "3.33"]);
          printed[0] = "17.86";
          printed[7] = "3.33";
        }
        expect(got).toEqual(printed);
      }
    }
  });

  it("cumulative-target rounding differs from some printed cells by a unit of the last place", () => {
    // Table A-1, 10-year: printed 6.55, 6.56 in years 8 and 9; the cumulative target gives 6.56, 6.55.
    const years = annual({ cost: 10_000, inServiceDate: "2026-05-01", lifeMonths: 120, method: "declining_balance", convention: "half_year" });
    expect(years.slice(7, 9)).toEqual([656, 655]);
  });
});
