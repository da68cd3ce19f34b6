import { z } from "zod";
import { isIsoDate, isValidTimeZone } from "../dates.js";
import { CONVENTIONS, METHODS, TAX_RECOVERY_YEARS } from "../depreciation/types.js";

/**
 * The rules file's shape. Numbers arrive as their YAML source text (see load.ts), so money
 * and rates are validated as decimal strings and parsed exactly later.
 */
const AMOUNT = /^\d+(\.\d+)?$/;

const text = z.union([z.string(), z.number()]).transform(String);
const amount = (what: string) =>
  text.refine((s) => AMOUNT.test(s), { message: `${what} must be a non-negative decimal like "18.50" (no sign, no thousands separator)` });
const wholeNumber = (what: string, min: number, max: number) =>
  text.refine((s) => /^\d+$/.test(s) && Number(s) >= min && Number(s) <= max, {
    message: `${what} must be a whole number from ${min} to ${max}`,
  });
const isoDate = text.refine(isIsoDate, { message: "must be a date written YYYY-MM-DD" });

export const taskTypeRuleSchema = z.strictObject({
  treatment: z.enum(["capitalize", "expense", "none"], { message: 'treatment must be one of "capitalize", "expense", "none"' }),
  fa_class: text.optional(),
  life_years: text.refine((s) => /^\d+$/.test(s) && Number(s) > 0, { message: "life_years must be a positive whole number of years (use life_months for part years)" }).optional(),
  life_months: text.refine((s) => /^\d+$/.test(s) && Number(s) > 0, { message: "life_months must be a positive whole number of months" }).optional(),
  description: z.string().optional(),
  unit: text.optional(),
  expense_account: text.optional(),
  per_unit_threshold: amount("per_unit_threshold").optional(),
  method: z.enum(METHODS).optional(),
  convention: z.enum(CONVENTIONS).optional(),
  salvage_percent: amount("salvage_percent").optional(),
  declining_balance_rate: amount("declining_balance_rate").optional(),
});

export const faClassSchema = z.strictObject({
  asset_account: text,
  accumulated_depreciation_account: text,
  depreciation_expense_account: text,
  fcc_part32_account: text.optional(),
  tax_recovery_years: text.refine((s) => (TAX_RECOVERY_YEARS as readonly number[]).includes(Number(s)) && /^\d+$/.test(s), {
    message: `tax_recovery_years must be one of ${TAX_RECOVERY_YEARS.join(", ")} (MACRS GDS property classes)`,
  }),
});

export const rateEntrySchema = z.strictObject({
  id: text,
  unit_code: text.optional(),
  task_type: text.optional(),
  uom: text.optional(),
  rate: amount("rate"),
  effective_from: isoDate,
});

export const rulesSchema = z.strictObject({
  version: text.refine((s) => s.trim() !== "", { message: "version must not be empty" }),
  currency: z.string().regex(/^[A-Z]{3}$/, { message: "currency must be an ISO 4217 code like USD" }),
  fiscal_year_start_month: wholeNumber("fiscal_year_start_month", 1, 12),
  default_time_zone: z.string().refine(isValidTimeZone, { message: "default_time_zone must be an IANA time zone like America/Chicago" }),
  capitalization: z.strictObject({
    threshold: amount("threshold"),
    below_threshold_account: text,
  }),
  depreciation: z.strictObject({
    method: z.enum(METHODS),
    convention: z.enum(CONVENTIONS),
    declining_balance_rate: amount("declining_balance_rate").default("2.0"),
    salvage_percent: amount("salvage_percent").default("0"),
  }),
  tax: z.strictObject({ bonus_percent: amount("bonus_percent").default("0") }).default({ bonus_percent: "0" }),
  accounts: z.record(text, text),
  cip_account: text,
  fa_classes: z.record(z.string(), faClassSchema),
  task_types: z.record(z.string(), taskTypeRuleSchema),
  rate_card: z.array(rateEntrySchema).default([]),
  changes_after_close: z.enum(["catch_up", "prospective"], { message: 'changes_after_close must be "catch_up" or "prospective"' }).default("catch_up"),
  retirement_accounting: z.enum(["gain_loss", "group"], { message: 'retirement_accounting must be "gain_loss" or "group"' }).default("gain_loss"),
  disposal: z
    .strictObject({
      clearing_account: text,
      gain_account: text,
      loss_account: text,
    })
    .optional(),
});

export type RulesFile = z.infer<typeof rulesSchema>;
