import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { classifyTask, type ProjectZone } from "../src/capitalize/classify.js";
import { type BookAsset, DepreciationSchedule } from "../src/depreciation/schedule.js";
import { CONVENTIONS } from "../src/depreciation/types.js";
import { formatRulesProblem } from "../src/errors.js";
import { taskSchema } from "../src/render/schemas.js";
import { checkRulesText } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { baseTask, tmp } from "./helpers.js";

const asset = (a: Partial<BookAsset>): BookAsset => ({
  cost: 1_000_000,
  salvage: 0,
  inServiceDate: "2026-11-01",
  lifeMonths: 60,
  method: "declining_balance",
  convention: "half_year",
  ...a,
});
const annual = (a: Partial<BookAsset>) => new DepreciationSchedule(asset(a)).annualTotals().map((y) => y.amount);
const periods = (a: Partial<BookAsset>) => [...new DepreciationSchedule(asset(a)).periods()].map((p) => [p.period, p.amount]);

describe("declining balance under half_year and mid_quarter: fiscal years", () => {
  it("a 5-year 200 % half-year asset gives 20, 32, 19.2, 11.52, 11.52, 5.76 % of cost", () => {
    expect(annual({})).toEqual([200_000, 320_000, 192_000, 115_200, 115_200, 57_600]);
  });

  it("the asset-year form stays as an explicit option: 20, 32, 19.2, 12.60, 10.80, 5.40 %", () => {
    // Each fiscal year takes half of two asset years: 12.60 = ½ × 14.40 + ½ × 10.80.
    expect(annual({ decliningBalanceYears: "asset" })).toEqual([200_000, 320_000, 192_000, 126_000, 108_000, 54_000]);
  });

  it("mid_quarter, fourth quarter: 5, 38, 22.8, 13.68, 10.94, 9.58 % (Table A-5's column)", () => {
    expect(annual({ convention: "mid_quarter", rounding: "per_period" })).toEqual([50_000, 380_000, 228_000, 136_800, 109_440, 95_760]);
  });

  it("a July fiscal year: the half year is FY2027 (July 2026 to June 2027)", () => {
    const s = new DepreciationSchedule(asset({ fiscalYearStartMonth: 7, inServiceDate: "2027-03-10" })).annualTotals();
    expect(s.map((y) => [y.fiscalYear, y.amount])).toEqual([
      [2027, 200_000],
      [2028, 320_000],
      [2029, 192_000],
      [2030, 115_200],
      [2031, 115_200],
      [2032, 57_600],
    ]);
  });
});

describe("declining balance without the switch to straight line", () => {
  it("never below salvage: the rate stops at salvage", () => {
    // 10,000 with salvage 3,000 over 5 years at 200 %: 4,000, then 40 % of 6,000 = 2,400 would
    // leave 3,600; year 3's 1,440 would pass salvage, so it takes the 600 left.
    expect(annual({ convention: "full_month", inServiceDate: "2026-01-01", salvage: 300_000, switchToStraightLine: false })).toEqual([400_000, 240_000, 60_000, 0, 0]);
  });

  it("the last fiscal year takes what remains above salvage, under half_year too", () => {
    const years = annual({ switchToStraightLine: false });
    // 20, 32, 19.2, 40 % × 28.8 = 11.52, 40 % × 17.28 = 6.912, then the 10.368 left.
    expect(years).toEqual([200_000, 320_000, 192_000, 115_200, 69_120, 103_680]);
  });
});

describe("modified half-year", () => {
  it("in service in the first half of the fiscal year: a full year in the first fiscal year", () => {
    expect(periods({ method: "straight_line", convention: "modified_half_year", inServiceDate: "2026-06-30", lifeMonths: 24, cost: 240_000 }).slice(0, 8)).toEqual([
      ["2026-06", 17_143],
      ["2026-07", 17_143],
      ["2026-08", 17_143],
      ["2026-09", 17_142],
      ["2026-10", 17_143],
      ["2026-11", 17_143],
      ["2026-12", 17_143],
      ["2027-01", 10_000],
    ]);
    expect(annual({ method: "straight_line", convention: "modified_half_year", inServiceDate: "2026-01-01", lifeMonths: 36, cost: 120_000 })).toEqual([40_000, 40_000, 40_000]);
  });

  it("in service in the second half: nothing until the next fiscal year", () => {
    const s = new DepreciationSchedule(asset({ method: "straight_line", convention: "modified_half_year", inServiceDate: "2026-07-01", lifeMonths: 36, cost: 120_000 }));
    expect(s.annualTotals().map((y) => [y.fiscalYear, y.amount])).toEqual([
      [2026, 0],
      [2027, 40_000],
      [2028, 40_000],
      [2029, 40_000],
    ]);
    // A July fiscal year: January is in its second half.
    expect(annual({ method: "straight_line", convention: "modified_half_year", inServiceDate: "2027-01-15", lifeMonths: 12, cost: 120_000, fiscalYearStartMonth: 7 })).toEqual([0, 120_000]);
  });

  it("the README's worked example: 1,200.00, 12 months, in service 20 November 2026", () => {
    expect(periods({ method: "straight_line", convention: "modified_half_year", inServiceDate: "2026-11-20", lifeMonths: 12, cost: 120_000 })).toEqual([
      ["2026-11", 0],
      ["2026-12", 0],
      ...Array.from({ length: 12 }, (_, i) => [`2027-${String(i + 1).padStart(2, "0")}`, 10_000]),
    ]);
  });

  it("declining balance takes the full rate in the first fiscal year", () => {
    expect(annual({ convention: "modified_half_year", inServiceDate: "2026-03-01" })).toEqual([400_000, 240_000, 144_000, 108_000, 108_000]);
  });
});

describe("per-period rounding", () => {
  it("rounds each fiscal year on its own, the last year taking what remains; months share the year by cumulative target", () => {
    // 1,000.00 straight line over 36 months from January: 333.33, 333.33, 333.34 (the
    // cumulative target gives 333.33, 333.34, 333.33).
    const a = { method: "straight_line" as const, convention: "full_month" as const, inServiceDate: "2026-01-01", lifeMonths: 36, cost: 100_000 };
    expect(annual({ ...a, rounding: "per_period" })).toEqual([33_333, 33_333, 33_334]);
    expect(annual(a)).toEqual([33_333, 33_334, 33_333]);
    const months = [...new DepreciationSchedule(asset({ ...a, rounding: "per_period" })).periods()].slice(0, 12).map((p) => p.amount);
    // 333.33 ÷ 12 = 27.7775 a month: the cumulative target within the year, summing to 333.33.
    expect(months).toEqual([2778, 2778, 2777, 2778, 2778, 2778, 2777, 2778, 2778, 2778, 2777, 2778]);
  });

  it("refuses an unknown rounding or declining-balance years, naming the field", () => {
    expect(() => new DepreciationSchedule(asset({ rounding: "monthly" as never }))).toThrow('rounding: must be one of cumulative, per_period (got "monthly")');
    expect(() => new DepreciationSchedule(asset({ decliningBalanceYears: "calendar" as never }))).toThrow('declining_balance_years: must be one of fiscal, asset (got "calendar")');
  });
});

describe("properties of the new forms (fast-check)", () => {
  const assetArb = fc
    .record({
      cost: fc.integer({ min: 0, max: 10_000_000_000 }),
      salvageShare: fc.integer({ min: 0, max: 100 }),
      inServiceDate: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2040-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      lifeMonths: fc.integer({ min: 1, max: 600 }),
      convention: fc.constantFrom(...CONVENTIONS),
      method: fc.constantFrom("straight_line" as const, "declining_balance" as const, "sum_of_years_digits" as const),
      rate: fc.constantFrom("1.25", "1.5", "2", "4"),
      fiscalYearStartMonth: fc.integer({ min: 1, max: 12 }),
      switchToStraightLine: fc.boolean(),
      rounding: fc.constantFrom("cumulative" as const, "per_period" as const),
      decliningBalanceYears: fc.constantFrom("fiscal" as const, "asset" as const, undefined),
    })
    .map(
      (r): BookAsset => ({
        cost: r.cost,
        salvage: Math.floor((r.cost * r.salvageShare) / 100),
        inServiceDate: r.inServiceDate,
        lifeMonths: r.method === "sum_of_years_digits" ? Math.max(12, r.lifeMonths - (r.lifeMonths % 12)) : r.lifeMonths,
        convention: r.convention,
        method: r.method,
        decliningBalanceRate: r.rate,
        fiscalYearStartMonth: r.fiscalYearStartMonth,
        switchToStraightLine: r.switchToStraightLine,
        rounding: r.rounding,
        decliningBalanceYears: r.decliningBalanceYears,
      }),
    );

  it("sums to cost − salvage, ends at salvage, never goes below it, never negative; months sum to each fiscal year", () => {
    fc.assert(
      fc.property(assetArb, (a) => {
        const s = new DepreciationSchedule(a);
        const rows = [...s.periods()];
        expect(rows.reduce((sum, p) => sum + p.amount, 0)).toBe(a.cost - a.salvage);
        expect(rows.at(-1)?.netBookValue).toBe(a.salvage);
        expect(rows.every((p) => p.amount >= 0 && p.netBookValue >= a.salvage)).toBe(true);
        const years = s.annualTotals();
        expect(years.reduce((sum, y) => sum + y.amount, 0)).toBe(a.cost - a.salvage);
      }),
      { numRuns: 500 },
    );
  });

  it("per_period totals equal cumulative totals over the whole life, on the same fiscal years", () => {
    fc.assert(
      fc.property(assetArb, (a) => {
        const pp = new DepreciationSchedule({ ...a, rounding: "per_period" }).annualTotals();
        const cu = new DepreciationSchedule({ ...a, rounding: "cumulative" }).annualTotals();
        expect(pp.at(-1)?.accumulated).toBe(cu.at(-1)?.accumulated);
        expect(pp.map((y) => y.fiscalYear)).toEqual(cu.map((y) => y.fiscalYear));
      }),
      { numRuns: 300 },
    );
  });

  it("the defaults (switch on, cumulative, the convention's years) are the schedule the options were added to", () => {
    fc.assert(
      fc.property(assetArb, (a) => {
        const plain = { ...a, switchToStraightLine: undefined, rounding: undefined, decliningBalanceYears: undefined };
        const explicit = { ...a, switchToStraightLine: true, rounding: "cumulative" as const, decliningBalanceYears: undefined };
        expect([...new DepreciationSchedule(explicit).periods()]).toEqual([...new DepreciationSchedule(plain).periods()]);
      }),
      { numRuns: 200 },
    );
  });
});

describe("rules options", () => {
  const FILE = "rules/render-fiber.yaml";
  const text = readFileSync(FILE, "utf8");
  const withDefaults = (lines: string) => text.replace('  salvage_percent: "0"           # salvage value as a percentage of cost', `  salvage_percent: "0"\n${lines}`);
  const conduit = "  install_conduit:\n    treatment: capitalize\n";

  it("defaults: switch on, cumulative, declining-balance years by convention", () => {
    const r = checkRulesText(text, FILE).rules!;
    const t = r.taskTypes.get("install_conduit")!;
    expect([t.switchToStraightLine, t.rounding, t.decliningBalanceYears]).toEqual([true, "cumulative", "asset"]);
  });

  it("per task type, over the depreciation defaults", () => {
    const t = withDefaults("  rounding: per_period\n  switch_to_straight_line: false\n  declining_balance_years: fiscal\n").replace(
      conduit,
      `${conduit}    method: declining_balance\n    convention: half_year\n    switch_to_straight_line: true\n    rounding: cumulative\n    declining_balance_years: asset\n`,
    );
    const { rules, problems } = checkRulesText(t, FILE);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    const conduitRule = rules!.taskTypes.get("install_conduit")!;
    expect([conduitRule.switchToStraightLine, conduitRule.rounding, conduitRule.decliningBalanceYears]).toEqual([true, "cumulative", "asset"]);
    const cabinet = rules!.taskTypes.get("install_cabinet")!;
    expect([cabinet.switchToStraightLine, cabinet.rounding, cabinet.decliningBalanceYears]).toEqual([false, "per_period", "fiscal"]);
  });

  it("half_year defaults to fiscal declining-balance years; modified_half_year is a convention", () => {
    const t = text.replace(conduit, `${conduit}    convention: half_year\n`).replace("  install_cabinet:\n    treatment: capitalize\n", "  install_cabinet:\n    treatment: capitalize\n    convention: modified_half_year\n");
    const r = checkRulesText(t, FILE).rules!;
    expect(r.taskTypes.get("install_conduit")!.decliningBalanceYears).toBe("fiscal");
    expect(r.taskTypes.get("install_cabinet")!.convention).toBe("modified_half_year");
  });

  it("names the path and line of a bad value", () => {
    const t = text.replace(conduit, `${conduit}    rounding: monthly\n    switch_to_straight_line: "no"\n    declining_balance_years: calendar\n`);
    const line = text.slice(0, text.indexOf(conduit)).split("\n").length + 2;
    expect(checkRulesText(t, FILE).problems.map(formatRulesProblem)).toEqual([
      `task_types.install_conduit.rounding: rounding must be one of "cumulative", "per_period" (line ${line})`,
      `task_types.install_conduit.switch_to_straight_line: switch_to_straight_line must be true or false (line ${line + 1})`,
      `task_types.install_conduit.declining_balance_years: declining_balance_years must be one of "fiscal", "asset" (line ${line + 2})`,
    ]);
  });

  describe("the asset record", () => {
    let rules: Rules;
    let changed: Rules;
    beforeAll(() => {
      rules = checkRulesText(text, FILE).rules!;
      changed = checkRulesText(text.replace(conduit, `${conduit}    rounding: per_period\n    switch_to_straight_line: false\n    declining_balance_years: fiscal\n`), FILE).rules!;
    });
    const NY: ProjectZone = { shortName: "P1", timeZone: "America/New_York", defaulted: false };
    const task = taskSchema.parse(baseTask(1, { asset_id: "A-1" }));

    it("carries no new field when the rule keeps the defaults, so existing records and outputs are unchanged", () => {
      const o = classifyTask(task, NY, rules);
      expect(o.kind === "asset" && Object.keys(o.asset).filter((k) => ["switchToStraightLine", "rounding", "decliningBalanceYears"].includes(k))).toEqual([]);
    });

    it("carries each setting that departs from the default, and the book follows it", () => {
      const o = classifyTask(task, NY, changed);
      if (o.kind !== "asset") throw new Error(o.kind);
      expect([o.asset.switchToStraightLine, o.asset.rounding, o.asset.decliningBalanceYears]).toEqual([false, "per_period", "fiscal"]);
    });
  });
});

describe("capex schedule with the new options", () => {
  const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
  const run = promisify(execFile);
  const capex = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: tmp() } });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  const decembers = (csv: string) =>
    csv
      .split("\r\n")
      .filter((l) => /^\d{4}-12,/.test(l))
      .map((l) => l.split(",")[2]);

  it("prints the fiscal-year form, the asset-year form, no switch and per-period rounding", async () => {
    const base = ["schedule", "--cost", "100000", "--in-service", "2010-11-01", "--life-months", "60", "--method", "declining_balance", "--convention", "half_year"];
    expect(decembers((await capex(base)).stdout)).toEqual(["20000.00", "52000.00", "71200.00", "82720.00", "94240.00"]);
    expect(decembers((await capex([...base, "--db-years", "asset"])).stdout)).toEqual(["20000.00", "52000.00", "71200.00", "83800.00", "94600.00"]);
    const noSwitch = await capex([...base, "--switch-to-straight-line", "false"]);
    expect(decembers(noSwitch.stdout)).toEqual(["20000.00", "52000.00", "71200.00", "82720.00", "89632.00"]);
    expect(noSwitch.stderr).toBe("total 100000.00 over 56 periods; net book value at the end 0.00\n");
    const syd = await capex(["schedule", "--cost", "2800", "--in-service", "2026-03-01", "--life-months", "120", "--method", "sum_of_years_digits", "--convention", "half_year", "--rounding", "per_period"]);
    expect(decembers(syd.stdout).slice(0, 2)).toEqual(["254.55", "738.19"]);
    const mhy = await capex(["schedule", "--cost", "1200", "--in-service", "2026-07-01", "--life-months", "12", "--convention", "modified_half_year"]);
    expect(mhy.stdout.split("\r\n").slice(0, 8)).toEqual([
      "period,amount,accumulated,net_book_value",
      "2026-07,0.00,0.00,1200.00",
      "2026-08,0.00,0.00,1200.00",
      "2026-09,0.00,0.00,1200.00",
      "2026-10,0.00,0.00,1200.00",
      "2026-11,0.00,0.00,1200.00",
      "2026-12,0.00,0.00,1200.00",
      "2027-01,100.00,100.00,1100.00",
    ]);
    expect((await capex([...base, "--rounding", "yearly"])).code).toBe(2);
  }, 60_000);
});
