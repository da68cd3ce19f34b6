import type { AssetRecord } from "../capitalize/outcomes.js";
import { monthIndexOf } from "../dates.js";
import { DepreciationSchedule } from "../depreciation/schedule.js";
import { unitsUsed } from "../depreciation/time.js";
import { type Cents, Dec, mulDivRoundHalfUp } from "../money.js";
import type { Rebase } from "./model.js";

/**
 * An asset's GL book as the register keeps it: its schedule from the in-service date, or,
 * from a rebase point on, what was left (cost − salvage − accumulated then) spread over
 * what is left of the schedule in the schedule's own shape:
 *
 *   acc(m) = A + round((B − A) · (S(m) − S(q−1)) / (B − S(q−1)))   for m ≥ q
 *
 * where S is the schedule before rounding to cents, B = cost − salvage, q the rebase month
 * and A the accumulated depreciation at its start. Straight line thus becomes straight line
 * over the remaining months (what is left / months left, by cumulative target), and the book
 * still ends at salvage exactly.
 */
export class AssetBook {
  readonly schedule: DepreciationSchedule;
  private readonly rebaseMonth: number | undefined;
  private readonly yearOpeningMonth: number | undefined;

  constructor(
    readonly record: AssetRecord,
    fiscalYearStartMonth: number,
    readonly rebase: Rebase | undefined,
  ) {
    // Only the fields the schedule reads, in one shape: a spread of the whole record per asset
    // was most of a big close's garbage.
    this.schedule = new DepreciationSchedule({
      cost: record.cost,
      salvage: record.salvage,
      inServiceDate: record.inServiceDate,
      lifeMonths: record.lifeMonths,
      method: record.method,
      convention: record.convention,
      decliningBalanceRate: record.decliningBalanceRate,
      fiscalYearStartMonth,
      switchToStraightLine: record.switchToStraightLine,
      rounding: record.rounding,
      decliningBalanceYears: record.decliningBalanceYears,
    });
    this.rebaseMonth = rebase ? monthIndexOf(rebase.period) : undefined;
    this.yearOpeningMonth = rebase?.yearOpening ? monthIndexOf(rebase.yearOpening.period) : undefined;
  }

  /**
   * Accumulated depreciation at the end of month `m` (a month index). Before a rebase the
   * book knows only what was posted when it began, and at the end of its fiscal year's
   * opening month (see Rebase.yearOpening): earlier months are not asked for.
   */
  accumulatedThroughMonth(m: number): Cents {
    const s = this.schedule;
    if (this.rebase === undefined || this.rebaseMonth === undefined) return s.accumulatedThroughMonth(m);
    const q = this.rebaseMonth;
    const a = this.rebase.accumulatedBefore;
    if (m < q) return m === this.yearOpeningMonth ? this.rebase.yearOpening!.accumulated : a;
    const b = s.basis;
    if (a >= b) return b;
    if (s.asset.method === "straight_line") {
      // The shape is the time used, in whole units: exact integer arithmetic, and fast for big registers.
      const p = s.profile;
      const used = (month: number) => unitsUsed(p, month - p.startMonth);
      const left = p.totalUnits - used(q - 1);
      // Nothing left of the schedule: the rest goes at once.
      if (left <= 0) return b;
      return a + mulDivRoundHalfUp(b - a, used(m) - used(q - 1), left);
    }
    const before = s.exactAccumulatedThroughMonth(q - 1);
    const left = new Dec(b).minus(before);
    if (left.lte(0)) return b;
    return a + new Dec(b - a).times(s.exactAccumulatedThroughMonth(m).minus(before)).dividedBy(left).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toNumber();
  }
}
