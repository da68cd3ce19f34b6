import type { Decimal } from "decimal.js";
import { monthIndexOf } from "../dates.js";
import { InputError } from "../errors.js";
import { type Cents, Dec, mulDivRoundHalfUp, toCents } from "../money.js";
import { MACRS_HALF_YEAR, MACRS_MID_QUARTER } from "./macrs.js";
import { fiscalYearOf } from "./schedule.js";
import { monthsLeftInFiscalYear } from "./time.js";
import { type RecoveryYears, TAX_RECOVERY_YEARS } from "./types.js";

export type TaxConvention = "half_year" | "mid_quarter";

export interface TaxAsset {
  cost: Cents;
  inServiceDate: string;
  recoveryYears: RecoveryYears;
  convention: TaxConvention;
  /** Bonus (special) depreciation, percent of basis, taken first. */
  bonusPercent?: string | Decimal | undefined;
  fiscalYearStartMonth?: number | undefined;
  /** Quarter placed in service (1..4) for mid-quarter; by default the in-service date's. */
  quarter?: number | undefined;
}

export interface TaxYearRow {
  taxYear: number;
  amount: Cents;
  accumulated: Cents;
  remainingBasis: Cents;
}

/** Quarter (1..4) of the tax year in which a date falls. */
export function taxQuarterOf(date: string, fiscalYearStartMonth = 1): number {
  const left = monthsLeftInFiscalYear(Number(date.slice(5, 7)), fiscalYearStartMonth);
  return 4 - Math.floor((left - 1) / 3);
}

export function taxYearOf(date: string, fiscalYearStartMonth = 1): number {
  return fiscalYearOf(monthIndexOf(date), fiscalYearStartMonth);
}

/** The printed column an asset takes, its bonus depreciation and the basis left for the table. */
interface TaxBasis {
  column: readonly number[];
  bonus: Cents;
  basis: Cents;
  firstYear: number;
  /** The quarter of the tax year placed in service (1..4). */
  quarter: number;
}

function taxBasis(asset: TaxAsset): TaxBasis {
  if (!(TAX_RECOVERY_YEARS as readonly number[]).includes(asset.recoveryYears)) {
    throw new InputError("recovery_years", `must be one of ${TAX_RECOVERY_YEARS.join(", ")} (got ${asset.recoveryYears})`);
  }
  if (!Number.isSafeInteger(asset.cost) || asset.cost < 0) throw new InputError("cost", "must be zero or more");
  const fs = asset.fiscalYearStartMonth ?? 1;
  const quarter = asset.quarter ?? taxQuarterOf(asset.inServiceDate, fs);
  if (!Number.isInteger(quarter) || quarter < 1 || quarter > 4) throw new InputError("quarter", `must be 1, 2, 3 or 4 (got ${quarter})`);
  const table = asset.convention === "half_year" ? MACRS_HALF_YEAR[asset.recoveryYears] : MACRS_MID_QUARTER[quarter - 1]![asset.recoveryYears];
  const bonusPercent = new Dec(asset.bonusPercent ?? 0);
  if (bonusPercent.lessThan(0) || bonusPercent.greaterThan(100)) throw new InputError("bonus_percent", "must be from 0 to 100");
  const bonus = bonusPercent.isZero() ? 0 : toCents(new Dec(asset.cost).times(bonusPercent).dividedBy(10_000));
  return { column: milliPercents(table), bonus, basis: asset.cost - bonus, firstYear: taxYearOf(asset.inServiceDate, fs), quarter };
}

const milliPercentCache = new Map<readonly string[], number[]>();

/** A printed column in thousandths of a percent (7.219 % → 7219): exact integers for the cent arithmetic. */
function milliPercents(table: readonly string[]): number[] {
  let c = milliPercentCache.get(table);
  if (!c) {
    c = table.map((p) => new Dec(p).times(1000).toNumber());
    milliPercentCache.set(table, c);
  }
  return c;
}

/**
 * The table's share of each recovery year, as tax software and the IRS worksheets take it:
 * basis × the printed percentage, rounded half-up to the cent, year by year, and the last
 * year whatever basis remains, so the years sum to the basis exactly. A year never takes
 * more than remains: on a basis of a few cents the rounded-up early years would otherwise
 * pass it and leave the last year negative.
 */
function tableAmounts(basis: Cents, column: readonly number[]): Cents[] {
  let left = basis;
  return column.map((milli, i) => {
    const amount = i === column.length - 1 ? left : Math.min(left, mulDivRoundHalfUp(basis, milli, 100_000));
    left -= amount;
    return amount;
  });
}

/**
 * MACRS GDS schedule from the printed tables. Bonus depreciation comes off the cost first
 * and is taken in the first tax year; the table then runs on the basis that remains.
 */
export function macrsSchedule(asset: TaxAsset): TaxYearRow[] {
  const { column, bonus, basis, firstYear } = taxBasis(asset);
  let accumulated = bonus;
  return tableAmounts(basis, column).map((tableAmount, i) => {
    accumulated += tableAmount;
    return { taxYear: firstYear + i, amount: tableAmount + (i === 0 ? bonus : 0), accumulated, remainingBasis: asset.cost - accumulated };
  });
}

/** Property (or a part of it) disposed of, as the tax book has it at the disposal. */
export interface TaxDisposal {
  taxYear: number;
  /** The deduction for the year of disposition. */
  amount: Cents;
  /** Every deduction up to the disposal, that year's included (bonus depreciation too). */
  accumulated: Cents;
  /** Cost less `accumulated`: the basis a tax gain or loss on the disposal is figured from. */
  adjustedBasis: Cents;
}

/**
 * The tax book's figures for property disposed of on `disposalDate` (Rev. Proc. 87-57 §8,
 * IRS Publication 946 "Property disposed of before the end of the recovery period"). Property
 * placed in service and disposed of in the same tax year takes no deduction, bonus neither
 * (Treas. Reg. §1.168(k)-1(f)(1)). In a later year of the recovery period the year's table
 * amount is prorated by the convention the property took when placed in service: half a
 * year under half-year, under mid-quarter to the middle of the quarter of disposal (12.5,
 * 37.5, 62.5 or 87.5 %). The table's last year is already a part year, ending at the middle
 * of the year (half-year) or of the quarter placed in service (mid-quarter): a disposal at or
 * after that point takes it whole, an earlier one its share up to the disposal. After the
 * recovery period nothing is left to deduct.
 */
export function macrsDisposal(asset: TaxAsset, disposalDate: string): TaxDisposal {
  const { column, firstYear, quarter } = taxBasis(asset);
  const fs = asset.fiscalYearStartMonth ?? 1;
  const taxYear = taxYearOf(disposalDate, fs);
  const k = taxYear - firstYear;
  if (k <= 0) return { taxYear, amount: 0, accumulated: 0, adjustedBasis: asset.cost };
  // The year's table amount (no bonus after the first year; nothing after the recovery period).
  const full = macrsYear(asset, taxYear).amount;
  // Shares of the year as eighths: the middle of quarter q is (2q − 1)/8 of the year in.
  const disposedAt = asset.convention === "half_year" ? 4 : 2 * taxQuarterOf(disposalDate, fs) - 1;
  const endsAt = asset.convention === "half_year" ? 4 : 2 * quarter - 1;
  const amount = k < column.length - 1 ? mulDivRoundHalfUp(full, disposedAt, 8) : disposedAt >= endsAt ? full : mulDivRoundHalfUp(full, disposedAt, endsAt);
  const accumulated = macrsYear(asset, taxYear - 1).accumulated + amount;
  return { taxYear, amount, accumulated, adjustedBasis: asset.cost - accumulated };
}

/**
 * The mid-quarter test (IRC §168(d)(3)): when more than 40 % of the depreciable basis placed
 * in service in a tax year was placed in service in its last quarter, that year's assets
 * take the mid-quarter convention. Basis is cost before bonus depreciation.
 */
export function taxConventionsByYear(assets: Iterable<{ cost: Cents; inServiceDate: string }>, fiscalYearStartMonth = 1): Map<number, TaxConvention> {
  const totals = new Map<number, { all: number; q4: number }>();
  for (const a of assets) {
    const year = taxYearOf(a.inServiceDate, fiscalYearStartMonth);
    const t = totals.get(year) ?? { all: 0, q4: 0 };
    t.all += a.cost;
    if (taxQuarterOf(a.inServiceDate, fiscalYearStartMonth) === 4) t.q4 += a.cost;
    totals.set(year, t);
  }
  const out = new Map<number, TaxConvention>();
  for (const [year, t] of totals) out.set(year, t.all > 0 && t.q4 * 10 > t.all * 4 ? "mid_quarter" : "half_year");
  return out;
}

/**
 * One tax year of an asset's MACRS schedule: the matching row of macrsSchedule, or zero
 * outside the recovery period (accumulated then 0 before it and the whole cost after it).
 */
export function macrsYear(asset: TaxAsset, taxYear: number): TaxYearRow {
  const { column, bonus, basis, firstYear } = taxBasis(asset);
  const k = taxYear - firstYear;
  if (k < 0) return { taxYear, amount: 0, accumulated: 0, remainingBasis: asset.cost };
  const amounts = tableAmounts(basis, column);
  let accumulated = bonus;
  for (let i = 0; i <= k && i < amounts.length; i++) accumulated += amounts[i]!;
  const amount = k < amounts.length ? amounts[k]! + (k === 0 ? bonus : 0) : 0;
  return { taxYear, amount, accumulated, remainingBasis: asset.cost - accumulated };
}

export interface BookTaxYear {
  fiscalYear: number;
  book: Cents;
  tax: Cents;
  /** tax − book: positive when the tax book runs ahead (a deferred tax liability builds). */
  difference: Cents;
}

/**
 * Book-to-tax difference for every fiscal year either book depreciates in. The GL book's
 * fiscal years and the tax years are the same years (named by the year they end in).
 */
export function bookToTaxByYear(book: Iterable<{ fiscalYear: number; amount: Cents }>, tax: Iterable<{ taxYear: number; amount: Cents }>): BookTaxYear[] {
  const years = new Map<number, BookTaxYear>();
  const at = (y: number) => {
    let row = years.get(y);
    if (!row) years.set(y, (row = { fiscalYear: y, book: 0, tax: 0, difference: 0 }));
    return row;
  };
  for (const b of book) at(b.fiscalYear).book += b.amount;
  for (const t of tax) at(t.taxYear).tax += t.amount;
  const rows = [...years.values()].sort((a, b) => a.fiscalYear - b.fiscalYear);
  for (const r of rows) r.difference = r.tax - r.book;
  return rows;
}
