export const METHODS = ["straight_line", "declining_balance", "sum_of_years_digits"] as const;
export type Method = (typeof METHODS)[number];

export const CONVENTIONS = ["full_month", "next_month", "mid_month", "actual_days", "half_year", "mid_quarter", "modified_half_year"] as const;
export type Convention = (typeof CONVENTIONS)[number];

/**
 * Conventions that place the asset in its first fiscal year by rule rather than by the month:
 * declining balance then works on fiscal years (see DECLINING_BALANCE_YEARS).
 */
export const FISCAL_YEAR_CONVENTIONS: readonly Convention[] = ["half_year", "mid_quarter", "modified_half_year"];

/**
 * `cumulative`: every amount is round(B·F(k)) − round(B·F(k−1)), so no month is a cent off the
 * ideal. `per_period`: each fiscal year's amount is rounded on its own, half-up, the last year
 * taking what remains, as systems that round each year's (or half-year's) figure do.
 */
export const ROUNDINGS = ["cumulative", "per_period"] as const;
export type Rounding = (typeof ROUNDINGS)[number];

/**
 * Which years declining balance steps through. `fiscal`: the rate applies to each fiscal
 * year's opening book value, the first fiscal year taking the convention's fraction (Sage's
 * declining-balance half-year methods, Business Central's DB1/SL, the MACRS tables). `asset`:
 * the rate applies to years of the asset's life counted from the in-service date, and a fiscal
 * year takes the parts of the asset years it holds (Excel's and LibreOffice's VDB over
 * fractional periods, e.g. VDB(cost, salvage, life, 0.5, 1.5)).
 */
export const DECLINING_BALANCE_YEARS = ["fiscal", "asset"] as const;
export type DecliningBalanceYears = (typeof DECLINING_BALANCE_YEARS)[number];

/** The default when the rules name none: fiscal years under the fiscal-year conventions, asset years otherwise. */
export function defaultDecliningBalanceYears(convention: Convention): DecliningBalanceYears {
  return FISCAL_YEAR_CONVENTIONS.includes(convention) ? "fiscal" : "asset";
}

export const TAX_RECOVERY_YEARS = [3, 5, 7, 10, 15, 20] as const;
export type RecoveryYears = (typeof TAX_RECOVERY_YEARS)[number];
