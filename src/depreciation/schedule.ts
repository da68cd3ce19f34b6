import type { Decimal } from "decimal.js";
import { daysInMonthOf, monthIndexOf, periodOfMonthIndex } from "../dates.js";
import { InputError } from "../errors.js";
import { type Cents, Dec, mulDivRoundHalfUp } from "../money.js";
import { lastMonth, type TimeProfile, timeProfile, unitsUsed } from "./time.js";
import type { Convention, Method } from "./types.js";

/** What the GL book needs to know of an asset. */
export interface BookAsset {
  cost: Cents;
  salvage: Cents;
  inServiceDate: string;
  lifeMonths: number;
  method: Method;
  convention: Convention;
  /** 2 = 200 % (double declining), 1.5 = 150 %; declining balance only. */
  decliningBalanceRate?: string | Decimal | undefined;
  fiscalYearStartMonth?: number | undefined;
}

export interface SchedulePeriod {
  period: string;
  amount: Cents;
  accumulated: Cents;
  netBookValue: Cents;
}

export interface FiscalYearTotal {
  fiscalYear: number;
  amount: Cents;
  accumulated: Cents;
  netBookValue: Cents;
}

/** The fiscal year a month falls in, named by the calendar year in which it ends. */
export function fiscalYearOf(monthIndex: number, fiscalYearStartMonth: number): number {
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12 + 1;
  return fiscalYearStartMonth === 1 || month < fiscalYearStartMonth ? year : year + 1;
}

/**
 * Cumulative depreciation, in exact decimal cents, after `units` of the life are used.
 * Declining balance and sum of the years' digits work on asset years (12 months of life
 * each, the last possibly shorter) and spread each year's amount evenly over its time.
 */
type CumulativeCurve = (units: number) => Decimal;

function yearCurve(profile: TimeProfile, yearAmounts: Decimal[]): CumulativeCurve {
  const starts: Decimal[] = [];
  let sum = new Dec(0);
  for (const a of yearAmounts) {
    starts.push(sum);
    sum = sum.plus(a);
  }
  const upm = profile.unitsPerMonth;
  const L = profile.lifeMonths;
  return (units) => {
    if (units >= profile.totalUnits) return sum;
    const y = Math.floor(units / (12 * upm));
    const yearMonths = Math.min(12, L - 12 * y);
    const within = new Dec(units - 12 * y * upm).dividedBy(yearMonths * upm);
    return starts[y]!.plus(yearAmounts[y]!.times(within));
  };
}

/**
 * Declining balance on cost at rate/life-in-years a year, switching to straight line on
 * the remaining value over the remaining life when that gives more, never below salvage
 * (as Excel's VDB with switching). The last year takes exactly what is left above salvage.
 */
function decliningBalanceYears(cost: Cents, salvage: Cents, lifeMonths: number, rate: Decimal): Decimal[] {
  const years: Decimal[] = [];
  let nbv = new Dec(cost);
  for (let y = 0; 12 * y < lifeMonths; y++) {
    const remaining = lifeMonths - 12 * y;
    const length = Math.min(12, remaining);
    const left = nbv.minus(salvage);
    const db = nbv.times(rate).times(length).dividedBy(lifeMonths);
    const sl = left.times(length).dividedBy(remaining);
    const amount = Dec.min(Dec.max(db, sl), left);
    years.push(amount);
    nbv = nbv.minus(amount);
  }
  return years;
}

/** Sum of the years' digits: year y of N takes (N − y) / (N(N+1)/2) of cost − salvage. */
function sumOfYearsDigitsYears(basis: Cents, lifeMonths: number): Decimal[] {
  if (lifeMonths % 12 !== 0) {
    throw new InputError("life_months", `sum of the years' digits needs a life of whole years (got ${lifeMonths} months)`);
  }
  const n = lifeMonths / 12;
  const digits = (n * (n + 1)) / 2;
  return Array.from({ length: n }, (_, y) => new Dec(basis).times(n - y).dividedBy(digits));
}

function validate(a: BookAsset): void {
  if (!Number.isSafeInteger(a.cost) || a.cost < 0) throw new InputError("cost", `must be zero or more (got ${a.cost / 100})`);
  if (!Number.isSafeInteger(a.salvage) || a.salvage < 0) throw new InputError("salvage", `must be zero or more (got ${a.salvage / 100})`);
  if (a.salvage > a.cost) throw new InputError("salvage", `${(a.salvage / 100).toFixed(2)} is more than the cost ${(a.cost / 100).toFixed(2)}`);
}

/**
 * One asset's GL schedule. Amounts are found by cumulative target:
 * amount(k) = round(B·F(k)) − round(B·F(k−1)), so the schedule sums to B = cost − salvage
 * exactly, ends at salvage exactly, and never goes negative.
 */
export class DepreciationSchedule {
  readonly profile: TimeProfile;
  readonly basis: Cents;
  /** Month indexes of the first and last months that carry depreciation time. */
  readonly firstMonth: number;
  readonly lastMonth: number;
  private readonly curve: CumulativeCurve | undefined;

  constructor(readonly asset: BookAsset) {
    validate(asset);
    this.profile = timeProfile(asset.inServiceDate, asset.lifeMonths, asset.convention, asset.fiscalYearStartMonth ?? 1);
    this.basis = asset.cost - asset.salvage;
    this.firstMonth = this.profile.startMonth;
    this.lastMonth = this.profile.startMonth + lastMonth(this.profile);
    if (asset.method === "declining_balance") {
      const rate = new Dec(asset.decliningBalanceRate ?? "2");
      if (rate.lessThanOrEqualTo(0)) throw new InputError("declining_balance_rate", "must be more than 0");
      this.curve = yearCurve(this.profile, decliningBalanceYears(asset.cost, asset.salvage, asset.lifeMonths, rate));
    } else if (asset.method === "sum_of_years_digits") {
      this.curve = yearCurve(this.profile, sumOfYearsDigitsYears(this.basis, asset.lifeMonths));
    } else if (asset.method !== "straight_line") {
      throw new InputError("method", `unknown method "${asset.method as string}"`);
    }
  }

  /** Accumulated depreciation at the end of the month with this index. */
  accumulatedThroughMonth(monthIndex: number): Cents {
    const units = unitsUsed(this.profile, monthIndex - this.profile.startMonth);
    if (units === 0) return 0;
    if (this.curve) return this.curve(units).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toNumber();
    return mulDivRoundHalfUp(this.basis, units, this.profile.totalUnits);
  }

  /**
   * Accumulated depreciation at the end of a month before it is rounded to cents: the
   * schedule's exact shape, which a rebased book (register/book.ts) spreads what is left
   * along. Reading the shape from rounded figures would round twice and drift by a cent.
   */
  exactAccumulatedThroughMonth(monthIndex: number): Decimal {
    const units = unitsUsed(this.profile, monthIndex - this.profile.startMonth);
    if (units === 0) return new Dec(0);
    if (this.curve) return this.curve(units);
    return new Dec(this.basis).times(units).dividedBy(this.profile.totalUnits);
  }

  amountForMonth(monthIndex: number): Cents {
    if (monthIndex < this.firstMonth || monthIndex > this.lastMonth) return 0;
    return this.accumulatedThroughMonth(monthIndex) - this.accumulatedThroughMonth(monthIndex - 1);
  }

  amountForPeriod(period: string): Cents {
    return this.amountForMonth(monthIndexOf(period));
  }

  accumulatedThroughPeriod(period: string): Cents {
    return this.accumulatedThroughMonth(monthIndexOf(period));
  }

  /** Accumulated at a date: the months that have ended on or before it. */
  accumulatedAt(date: string): Cents {
    const month = monthIndexOf(date);
    const y = Math.floor(month / 12);
    const m = month - 12 * y + 1;
    const endOfMonth = daysInMonthOf(y, m);
    return this.accumulatedThroughMonth(Number(date.slice(8, 10)) === endOfMonth ? month : month - 1);
  }

  /** The whole schedule, lazily, one period a month from the in-service month. */
  *periods(): Generator<SchedulePeriod> {
    let before = 0;
    for (let m = this.firstMonth; m <= this.lastMonth; m++) {
      const accumulated = this.accumulatedThroughMonth(m);
      yield { period: periodOfMonthIndex(m), amount: accumulated - before, accumulated, netBookValue: this.asset.cost - accumulated };
      before = accumulated;
    }
  }

  /** Totals by fiscal year (named by the calendar year it ends in). */
  annualTotals(): FiscalYearTotal[] {
    const fs = this.asset.fiscalYearStartMonth ?? 1;
    const out: FiscalYearTotal[] = [];
    for (const p of this.periods()) {
      const fy = fiscalYearOf(monthIndexOf(p.period), fs);
      const last = out[out.length - 1];
      if (last && last.fiscalYear === fy) {
        last.amount += p.amount;
        last.accumulated = p.accumulated;
        last.netBookValue = p.netBookValue;
      } else out.push({ fiscalYear: fy, amount: p.amount, accumulated: p.accumulated, netBookValue: p.netBookValue });
    }
    return out;
  }
}

export function scheduleFor(asset: BookAsset): DepreciationSchedule {
  return new DepreciationSchedule(asset);
}
