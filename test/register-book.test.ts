import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AssetRecord } from "../src/capitalize/outcomes.js";
import { monthIndexOf, periodOfMonthIndex } from "../src/dates.js";
import { AssetBook } from "../src/register/book.js";

const record = (a: Partial<AssetRecord>): AssetRecord =>
  ({
    assetId: "A",
    project: "LEGACY",
    taskId: 0,
    taskType: "",
    description: "",
    faClass: "Infrastructure",
    quantity: undefined,
    uom: undefined,
    location: { streetAddress: undefined, roadName: undefined, workPackage: undefined, subsector: undefined, longitude: undefined, latitude: undefined },
    inServiceDate: "2024-01-10",
    approvedBy: undefined,
    cost: 1_000_000,
    salvage: 0,
    elements: [],
    ruleId: "import",
    rateIds: [],
    lifeMonths: 60,
    method: "straight_line",
    convention: "full_month",
    decliningBalanceRate: "2",
    ...a,
  }) as AssetRecord;

/** round_half_up(n / d) for non-negative integers, exactly. */
const roundDiv = (n: bigint, d: bigint) => Number((2n * n + d) / (2n * d));

describe("a rebased book (take-on, partial retirement, prospective change)", () => {
  it("spreads what is left of a straight-line asset evenly over the months left: what is left / months left, by cumulative target", () => {
    // 10,000.00 over 60 months from 2024-01; taken on at 3,333.33 with 27 months left from 2026-10.
    // What is left, 6,666.67, over 27 months is 246.913…: 246.91. Reading the schedule's shape
    // from its rounded cents gave 246.92.
    const book = new AssetBook(record({}), 1, { period: "2026-10", accumulatedBefore: 333_333 });
    const q = monthIndexOf("2026-10");
    expect(book.accumulatedThroughMonth(q - 1)).toBe(333_333);
    expect(book.accumulatedThroughMonth(q) - 333_333).toBe(24_691);
    expect(book.accumulatedThroughMonth(q + 26)).toBe(1_000_000);
  });

  it("agrees with what is left / months left in every month, for any straight-line asset and take-on point", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 10 ** 12 }),
        fc.integer({ min: 2, max: 600 }),
        fc.integer({ min: 0, max: 10 ** 6 }),
        fc.integer({ min: 0, max: 10 ** 6 }),
        (cost, life, at, share) => {
          const elapsed = 1 + (at % (life - 1));
          const accumulated = Number((BigInt(cost) * BigInt(share)) / 1_000_000n);
          const start = monthIndexOf("2010-01");
          const q = start + elapsed;
          const book = new AssetBook(record({ cost, lifeMonths: life, inServiceDate: `${periodOfMonthIndex(start)}-01` }), 1, { period: periodOfMonthIndex(q), accumulatedBefore: accumulated });
          const left = life - elapsed;
          for (const k of [1, 2, Math.ceil(left / 2), left]) {
            const ideal = accumulated + roundDiv(BigInt(cost - accumulated) * BigInt(Math.min(k, left)), BigInt(left));
            expect(book.accumulatedThroughMonth(q + k - 1)).toBe(ideal);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps a declining-balance asset's shape, from the schedule before rounding", () => {
    // 38,900.00, salvage 3,890.00, 84 months of 200 % declining balance from 2023-04, taken on
    // at 17,322.19 as of 2026-10 (42 months used). By hand, in exact fractions: years
    // 11114.2857…, 7938.7755…, 5670.5539…, 4050.3956…; the schedule stood at 26748.8130… before
    // October and moves 337.5329… in it; (35010.00 − 17322.19) × 337.5329… / (35010.00 − 26748.8130…)
    // = 722.68 (the rounded shape gave 722.70).
    const book = new AssetBook(
      record({ faClass: "Equipment (Tooling)", inServiceDate: "2023-04-20", cost: 3_890_000, salvage: 389_000, lifeMonths: 84, method: "declining_balance", decliningBalanceRate: "2" }),
      1,
      { period: "2026-10", accumulatedBefore: 1_732_219 },
    );
    const q = monthIndexOf("2026-10");
    expect(book.accumulatedThroughMonth(q) - 1_732_219).toBe(72_268);
    expect(book.accumulatedThroughMonth(q + 1) - 1_732_219).toBe(144_537);
    expect(book.accumulatedThroughMonth(monthIndexOf("2030-03"))).toBe(3_501_000);
  });
});
