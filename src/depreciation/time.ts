import { daysInMonthOf, monthIndexOf } from "../dates.js";
import { InputError } from "../errors.js";
import type { Convention } from "./types.js";

/**
 * How much of an asset's life has been used by the end of each calendar month, as an exact
 * integer count of time units. Month j counts from the in-service month (j = 0). The first
 * `firstMonths` months each use `firstRate` units and every later month `laterRate` units,
 * until `totalUnits` (the whole life) is reached:
 *
 *   U(j) = min(totalUnits, firstRate·min(j+1, firstMonths) + laterRate·max(0, j+1−firstMonths))
 *
 * Straight line is then exactly B·U(j)/totalUnits, and the other methods read their elapsed
 * time from the same profile, so every convention behaves alike under every method.
 */
export interface TimeProfile {
  /** Month index (year × 12 + month − 1) of the in-service month. */
  startMonth: number;
  firstMonths: number;
  firstRate: number;
  laterRate: number;
  totalUnits: number;
  /** Units in one month of life: totalUnits / lifeMonths. */
  unitsPerMonth: number;
  lifeMonths: number;
}

export function unitsUsed(p: TimeProfile, j: number): number {
  if (j < 0) return 0;
  const n = j + 1;
  const used = p.firstRate * Math.min(n, p.firstMonths) + p.laterRate * Math.max(0, n - p.firstMonths);
  return Math.min(used, p.totalUnits);
}

/** Index j of the last month that uses any time: the schedule's final period. */
export function lastMonth(p: TimeProfile): number {
  if (p.firstRate * p.firstMonths >= p.totalUnits) {
    // The life ends inside the first segment.
    return Math.ceil(p.totalUnits / p.firstRate) - 1;
  }
  const rest = p.totalUnits - p.firstRate * p.firstMonths;
  return p.firstMonths + Math.ceil(rest / p.laterRate) - 1;
}

/** Months from the in-service month to the end of its fiscal year, the in-service month included (1..12). */
export function monthsLeftInFiscalYear(month: number, fiscalYearStartMonth: number): number {
  const intoYear = (month - fiscalYearStartMonth + 12) % 12;
  return 12 - intoYear;
}

export function timeProfile(inServiceDate: string, lifeMonths: number, convention: Convention, fiscalYearStartMonth = 1): TimeProfile {
  if (!Number.isInteger(lifeMonths) || lifeMonths < 1) throw new InputError("life_months", `must be a whole number of months, at least 1 (got ${lifeMonths})`);
  const startMonth = monthIndexOf(inServiceDate);
  const year = Number(inServiceDate.slice(0, 4));
  const month = Number(inServiceDate.slice(5, 7));
  const day = Number(inServiceDate.slice(8, 10));
  const L = lifeMonths;
  const make = (firstMonths: number, firstRate: number, laterRate: number, unitsPerMonth: number): TimeProfile => ({
    startMonth,
    firstMonths,
    firstRate,
    laterRate,
    totalUnits: unitsPerMonth * L,
    unitsPerMonth,
    lifeMonths: L,
  });
  switch (convention) {
    case "full_month":
      return make(0, 0, 1, 1);
    case "next_month":
      return make(1, 0, 1, 1);
    case "mid_month":
      // Half-month units: half a month at the start, whole months after, half at the end.
      return make(1, 1, 2, 2);
    case "actual_days": {
      // Units of 1/dim of a month, dim = days in the in-service month (29 in a leap February):
      // the first month uses the days from the in-service day to its end, the last what is left.
      const dim = daysInMonthOf(year, month);
      return make(1, dim - day + 1, dim, dim);
    }
    case "half_year": {
      // Half a year (or the whole life if shorter) spread over the months left in the fiscal
      // year; units of 1/m month, m = those months.
      const m = monthsLeftInFiscalYear(month, fiscalYearStartMonth);
      return make(m, Math.min(6, L), m, m);
    }
    case "mid_quarter": {
      // In service at the middle of its fiscal quarter: 10.5, 7.5, 4.5 or 1.5 months in the
      // first fiscal year, spread over its remaining months; units of 1/(2m) month.
      const m = monthsLeftInFiscalYear(month, fiscalYearStartMonth);
      const quarter = Math.floor((12 - m) / 3);
      const halfMonths = Math.min(2 * (12 - 3 * quarter) - 3, 2 * L);
      return make(m, halfMonths, 2 * m, 2 * m);
    }
    case "modified_half_year": {
      // Sage's modified half-year: in service in the first half of the fiscal year, the first
      // fiscal year takes a whole year (or the whole life if shorter) over its remaining months,
      // in units of 1/m month; in the second half, nothing until the next fiscal year.
      const m = monthsLeftInFiscalYear(month, fiscalYearStartMonth);
      return m > 6 ? make(m, Math.min(12, L), m, m) : make(m, 0, 1, 1);
    }
  }
}

/**
 * Units used by the end of each fiscal year the life reaches, the last equal to totalUnits.
 * A fiscal year may use none (modified half-year, in service in the second half).
 */
export function fiscalYearEnds(p: TimeProfile, fiscalYearStartMonth: number): number[] {
  const m = monthsLeftInFiscalYear((p.startMonth % 12) + 1, fiscalYearStartMonth);
  const ends: number[] = [];
  for (let k = 0; ; k++) {
    const u = unitsUsed(p, m - 1 + 12 * k);
    ends.push(u);
    if (u >= p.totalUnits) return ends;
  }
}
