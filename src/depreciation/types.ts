export const METHODS = ["straight_line", "declining_balance", "sum_of_years_digits"] as const;
export type Method = (typeof METHODS)[number];

export const CONVENTIONS = ["full_month", "next_month", "mid_month", "actual_days", "half_year", "mid_quarter"] as const;
export type Convention = (typeof CONVENTIONS)[number];

export const TAX_RECOVERY_YEARS = [3, 5, 7, 10, 15, 20] as const;
export type RecoveryYears = (typeof TAX_RECOVERY_YEARS)[number];
