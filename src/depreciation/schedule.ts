import type { Decimal } from "decimal.js";
import { daysInMonthOf, monthIndexOf, periodOfMonthIndex } from "../dates.js";
import { InputError } from "../errors.js";
import { type Cents, compactCents, Dec, mulDivRoundHalfUp } from "../money.js";
import { fiscalYearEnds, lastMonth, type TimeProfile, timeProfile, unitsUsed } from "./time.js";
import { type Convention, DECLINING_BALANCE_YEARS, type DecliningBalanceYears, defaultDecliningBalanceYears, type Method, ROUNDINGS, type Rounding } from "./types.js";

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
  /** Declining balance only: take straight line on what remains when it gives more (default true). */
  switchToStraightLine?: boolean | undefined;
  /** Default cumulative. */
  rounding?: Rounding | undefined;
  /** Declining balance only; default by convention (defaultDecliningBalanceYears). */
  decliningBalanceYears?: DecliningBalanceYears | undefined;
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

/** The first and last month index of a fiscal year (named as fiscalYearOf names it). */
export function fiscalYearMonths(fiscalYear: number, startMonth: number): [number, number] {
  const first = startMonth === 1 ? fiscalYear * 12 : (fiscalYear - 1) * 12 + startMonth - 1;
  return [first, first + 11];
}

/** Exact cumulative depreciation (decimal cents, unrounded) after `units` of the life are used. */
type ExactCurve = (units: number) => Decimal;
/** Cumulative depreciation in cents after `units` of the life are used. */
type CumulativeCurve = (units: number) => Cents;

const roundCents = (d: Decimal): Cents => compactCents(d.toDecimalPlaces(0, Dec.ROUND_HALF_UP).toNumber());

/**
 * Asset years (12 months of life each, the last possibly shorter), each year's amount spread
 * evenly over its time: a fiscal year holding parts of two asset years takes those parts.
 */
function assetYearCurve(profile: TimeProfile, yearAmounts: Decimal[]): ExactCurve {
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
 * Fiscal-year amounts spread over each fiscal year's time by the convention's profile, so
 * the months of a fiscal year always sum to its amount. `ends` are the units used at each
 * fiscal year's end; after the first, every fiscal year holds 12 months of units.
 */
function fiscalYearCurve(profile: TimeProfile, ends: number[], amounts: Decimal[]): CumulativeCurve {
  const starts: Decimal[] = [];
  let sum = new Dec(0);
  for (const a of amounts) {
    starts.push(sum);
    sum = sum.plus(a);
  }
  const unitsPerYear = 12 * profile.unitsPerMonth;
  const first = ends[0]!;
  return (units) => {
    if (units >= profile.totalUnits) return roundCents(sum);
    const k = units <= first ? 0 : Math.min(ends.length - 1, Math.ceil((units - first) / unitsPerYear));
    const from = k === 0 ? 0 : ends[k - 1]!;
    const within = new Dec(units - from).dividedBy(ends[k]! - from);
    return roundCents(starts[k]!.plus(amounts[k]!.times(within)));
  };
}

/**
 * Declining balance on asset years: each year takes book value × rate ÷ life in years (times
 * the year's length for a short last year), never below salvage; with the switch, straight
 * line on what remains over the remaining life when that gives more. The last year takes
 * exactly what is left above salvage. Year by year this is Excel's VDB over whole periods;
 * without the switch, Excel's DDB except for that last year (DDB leaves the rest undepreciated).
 * With `roundEach`, each year is rounded before it reduces the book value.
 */
function decliningBalanceAssetYears(cost: Cents, salvage: Cents, lifeMonths: number, rate: Decimal, switchToStraightLine: boolean, roundEach: boolean): Decimal[] {
  const years: Decimal[] = [];
  let nbv = new Dec(cost);
  for (let y = 0; 12 * y < lifeMonths; y++) {
    const remaining = lifeMonths - 12 * y;
    const length = Math.min(12, remaining);
    const left = nbv.minus(salvage);
    const db = nbv.times(rate).times(length).dividedBy(lifeMonths);
    let amount: Decimal;
    if (length === remaining) amount = left;
    else if (switchToStraightLine) amount = Dec.min(Dec.max(db, left.times(length).dividedBy(remaining)), left);
    else amount = Dec.min(db, left);
    if (roundEach) amount = Dec.min(amount.toDecimalPlaces(0, Dec.ROUND_HALF_UP), left);
    years.push(amount);
    nbv = nbv.minus(amount);
  }
  return years;
}

/**
 * Declining balance on fiscal years, as Sage's declining-balance methods, Business Central's
 * DB1/SL and the MACRS tables compute it: each fiscal year takes its opening book value ×
 * rate ÷ life in years × the years of life the convention gives it (½ for the first year
 * under half-year, 1.5/12 for a fourth-quarter asset under mid-quarter), never below
 * salvage; with the switch, straight line on what remains over the remaining life when that
 * gives more. The last fiscal year takes what is left above salvage. With `roundEach`, each
 * year is rounded before it reduces the book value, as those systems post it.
 */
function decliningBalanceFiscalYears(
  cost: Cents,
  salvage: Cents,
  profile: TimeProfile,
  ends: number[],
  rate: Decimal,
  switchToStraightLine: boolean,
  roundEach: boolean,
): Decimal[] {
  const unitsPerYear = 12 * profile.unitsPerMonth;
  const annualRate = rate.times(12).dividedBy(profile.lifeMonths);
  const years: Decimal[] = [];
  let nbv = new Dec(cost);
  let from = 0;
  for (const end of ends) {
    const left = nbv.minus(salvage);
    const yearsOfLife = new Dec(end - from).dividedBy(unitsPerYear);
    const db = nbv.times(annualRate).times(yearsOfLife);
    let amount: Decimal;
    if (end >= profile.totalUnits) amount = left;
    else if (switchToStraightLine) {
      const sl = left.times(end - from).dividedBy(profile.totalUnits - from);
      amount = Dec.min(Dec.max(db, sl), left);
    } else amount = Dec.min(db, left);
    if (roundEach) amount = Dec.min(amount.toDecimalPlaces(0, Dec.ROUND_HALF_UP), left);
    years.push(amount);
    nbv = nbv.minus(amount);
    from = end;
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

/**
 * Per-period rounding: each fiscal year's exact amount rounded half-up on its own (never
 * more than remains), the last year taking what remains, so the years still sum to the basis.
 */
function roundedYears(basis: Cents, ends: number[], exact: ExactCurve): Decimal[] {
  let taken = 0;
  let before = new Dec(0);
  return ends.map((end, k) => {
    const at = exact(end);
    const amount = k === ends.length - 1 ? basis - taken : Math.min(basis - taken, roundCents(at.minus(before)));
    before = at;
    taken += amount;
    return new Dec(amount);
  });
}

function validate(a: BookAsset): void {
  if (!Number.isSafeInteger(a.cost) || a.cost < 0) throw new InputError("cost", `must be zero or more (got ${a.cost / 100})`);
  if (!Number.isSafeInteger(a.salvage) || a.salvage < 0) throw new InputError("salvage", `must be zero or more (got ${a.salvage / 100})`);
  if (a.salvage > a.cost) throw new InputError("salvage", `${(a.salvage / 100).toFixed(2)} is more than the cost ${(a.cost / 100).toFixed(2)}`);
  if (a.rounding !== undefined && !ROUNDINGS.includes(a.rounding)) throw new InputError("rounding", `must be one of ${ROUNDINGS.join(", ")} (got "${a.rounding as string}")`);
  if (a.decliningBalanceYears !== undefined && !DECLINING_BALANCE_YEARS.includes(a.decliningBalanceYears)) {
    throw new InputError("declining_balance_years", `must be one of ${DECLINING_BALANCE_YEARS.join(", ")} (got "${a.decliningBalanceYears as string}")`);
  }
}

/**
 * One asset's GL schedule. Amounts are found by cumulative target:
 * amount(k) = round(B·F(k)) − round(B·F(k−1)), so the schedule sums to B = cost − salvage
 * exactly, ends at salvage exactly, and never goes negative. Under per-period rounding F
 * steps through the rounded fiscal-year amounts instead, and the months of each fiscal year
 * share its amount by the same cumulative target.
 */
export class DepreciationSchedule {
  readonly profile: TimeProfile;
  readonly basis: Cents;
  /** Month indexes of the first and last months that carry depreciation time. */
  readonly firstMonth: number;
  readonly lastMonth: number;
  private readonly curve: CumulativeCurve | undefined;
  /** The unrounded shape, where there is one (asset-year declining balance, SYD; straight line is exact by itself). */
  private readonly exact: ExactCurve | undefined;

  constructor(readonly asset: BookAsset) {
    validate(asset);
    this.profile = timeProfile(asset.inServiceDate, asset.lifeMonths, asset.convention, asset.fiscalYearStartMonth ?? 1);
    this.basis = asset.cost - asset.salvage;
    this.firstMonth = this.profile.startMonth;
    this.lastMonth = this.profile.startMonth + lastMonth(this.profile);
    const rounding = asset.rounding ?? "cumulative";
    const fiscalYearStartMonth = asset.fiscalYearStartMonth ?? 1;
    let exact: ExactCurve | undefined;
    if (asset.method === "declining_balance") {
      const rate = new Dec(asset.decliningBalanceRate ?? "2");
      if (rate.lessThanOrEqualTo(0)) throw new InputError("declining_balance_rate", "must be more than 0");
      const switchToStraightLine = asset.switchToStraightLine ?? true;
      if ((asset.decliningBalanceYears ?? defaultDecliningBalanceYears(asset.convention)) === "fiscal") {
        const ends = fiscalYearEnds(this.profile, fiscalYearStartMonth);
        const years = decliningBalanceFiscalYears(asset.cost, asset.salvage, this.profile, ends, rate, switchToStraightLine, rounding === "per_period");
        this.curve = fiscalYearCurve(this.profile, ends, years);
        return;
      }
      exact = assetYearCurve(this.profile, decliningBalanceAssetYears(asset.cost, asset.salvage, asset.lifeMonths, rate, switchToStraightLine, rounding === "per_period"));
    } else if (asset.method === "sum_of_years_digits") {
      exact = assetYearCurve(this.profile, sumOfYearsDigitsYears(this.basis, asset.lifeMonths));
    } else if (asset.method !== "straight_line") {
      throw new InputError("method", `unknown method "${asset.method as string}"`);
    }
    if (rounding === "per_period") {
      const basis = this.basis;
      const total = this.profile.totalUnits;
      const curve = exact ?? ((units: number) => new Dec(basis).times(units).dividedBy(total));
      const ends = fiscalYearEnds(this.profile, fiscalYearStartMonth);
      this.curve = fiscalYearCurve(this.profile, ends, roundedYears(basis, ends, curve));
    } else if (exact) {
      const curve = exact;
      this.exact = exact;
      this.curve = (units) => roundCents(curve(units));
    }
  }

  /**
   * Accumulated depreciation at the end of a month before it is rounded to cents: the
   * schedule's exact shape, which a rebased book (register/book.ts) spreads what is left
   * along. Reading the shape from rounded figures would round twice and drift by a cent.
   * Forms that round by fiscal year (per-period rounding, fiscal-year declining balance) are
   * already in cents, and so is their shape.
   */
  exactAccumulatedThroughMonth(monthIndex: number): Decimal {
    const units = unitsUsed(this.profile, monthIndex - this.profile.startMonth);
    if (units === 0) return new Dec(0);
    if (this.exact) return this.exact(units);
    if (this.curve) return new Dec(this.curve(units));
    return new Dec(this.basis).times(units).dividedBy(this.profile.totalUnits);
  }

  /** Accumulated depreciation at the end of the month with this index. */
  accumulatedThroughMonth(monthIndex: number): Cents {
    const units = unitsUsed(this.profile, monthIndex - this.profile.startMonth);
    if (units === 0) return 0;
    if (this.curve) return this.curve(units);
    return mulDivRoundHalfUp(this.basis, units, this.profile.totalUnits);
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
