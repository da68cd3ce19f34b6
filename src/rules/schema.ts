import { z } from "zod";
import { isIsoDate, isValidTimeZone, MAX_YEAR, MIN_YEAR } from "../dates.js";
import { CONVENTIONS, DECLINING_BALANCE_YEARS, METHODS, ROUNDINGS, TAX_RECOVERY_YEARS } from "../depreciation/types.js";
import { DATE_FORMATS, DIMENSION_SOURCES } from "../erp/mapping.js";
import { keyProblem } from "../ids.js";
import { Dec, MAX_AMOUNT_TEXT } from "../money.js";
import { TREATMENTS } from "./model.js";

/**
 * The rules file's shape. Numbers arrive as their YAML source text (see load.ts), so money
 * and rates are validated as decimal strings and parsed exactly later. Every number is
 * bounded: a percentage beyond 100 or a life of a million years passes a type check and
 * then books nonsense (negative tax depreciation, nothing depreciated) in every close.
 */
const AMOUNT = /^\d+(\.\d+)?$/;

const text = z.union([z.string(), z.number()]).transform(String);

/** A non-negative decimal from `min` to `max` (or, with `aboveMin`, more than `min`). */
const decimalWithin = (what: string, min: string, max: string, range: string, aboveMin = false) =>
  text.superRefine((s, ctx) => {
    if (!AMOUNT.test(s)) {
      ctx.addIssue({ code: "custom", message: `${what} must be a non-negative decimal like "18.50" (no sign, no thousands separator)` });
      return;
    }
    const v = new Dec(s);
    if ((aboveMin ? v.lessThanOrEqualTo(min) : v.lessThan(min)) || v.greaterThan(max)) {
      ctx.addIssue({ code: "custom", message: `${what} must be ${range} (got ${s})` });
    }
  });
const money = (what: string) => decimalWithin(what, "0", MAX_AMOUNT_TEXT, `from 0 to ${MAX_AMOUNT_TEXT}`);
const percent = (what: string) => decimalWithin(what, "0", "100", "a percentage from 0 to 100");
/** 1.5 = 150 % declining balance, 2 = double declining; beyond 4 the first year takes nearly everything. */
const decliningBalanceRate = decimalWithin("declining_balance_rate", "0", "4", "more than 0 and at most 4 (2.0 = 200 % declining balance)", true);

/** Depreciation settings a task type may override; they only change how the GL book is computed. */
const switchToStraightLine = z.boolean({ message: "switch_to_straight_line must be true or false" });
const rounding = z.enum(ROUNDINGS, { message: `rounding must be one of ${ROUNDINGS.map((r) => `"${r}"`).join(", ")}` });
const decliningBalanceYears = z.enum(DECLINING_BALANCE_YEARS, {
  message: `declining_balance_years must be one of ${DECLINING_BALANCE_YEARS.map((r) => `"${r}"`).join(", ")}`,
});

const wholeNumber = (what: string, min: number, max: number, hint = "") =>
  text.superRefine((s, ctx) => {
    if (!(/^\d+$/.test(s) && Number(s) >= min && Number(s) <= max)) ctx.addIssue({ code: "custom", message: `${what} must be a whole number from ${min} to ${max}${hint} (got ${s})` });
  });
const isoDate = text.refine((s) => isIsoDate(s) && s >= `${MIN_YEAR}` && s < `${MAX_YEAR + 1}`, {
  message: `must be a date written YYYY-MM-DD, from ${MIN_YEAR} to ${MAX_YEAR}`,
});

/** Lives: a hundred years is already longer than any plant lasts. */
export const MAX_LIFE_YEARS = 100;

export const taskTypeRuleSchema = z.strictObject({
  treatment: z.enum(TREATMENTS, { message: 'treatment must be one of "capitalize", "expense", "none"' }),
  fa_class: text.optional(),
  life_years: wholeNumber("life_years", 1, MAX_LIFE_YEARS, " (use life_months for part years)").optional(),
  life_months: wholeNumber("life_months", 1, MAX_LIFE_YEARS * 12).optional(),
  description: z.string().optional(),
  unit: text.optional(),
  expense_account: text.optional(),
  per_unit_threshold: money("per_unit_threshold").optional(),
  method: z.enum(METHODS).optional(),
  convention: z.enum(CONVENTIONS).optional(),
  salvage_percent: percent("salvage_percent").optional(),
  declining_balance_rate: decliningBalanceRate.optional(),
  switch_to_straight_line: switchToStraightLine.optional(),
  rounding: rounding.optional(),
  declining_balance_years: decliningBalanceYears.optional(),
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
  rate: money("rate"),
  effective_from: isoDate,
});

export const capitalizationSchema = z.strictObject({
  threshold: money("threshold"),
  below_threshold_account: text,
});

export const depreciationSchema = z.strictObject({
  method: z.enum(METHODS),
  convention: z.enum(CONVENTIONS),
  declining_balance_rate: decliningBalanceRate.default("2.0"),
  salvage_percent: percent("salvage_percent").default("0"),
  switch_to_straight_line: switchToStraightLine.default(true),
  rounding: rounding.default("cumulative"),
  /** No default here: by convention (fiscal under half_year, mid_quarter, modified_half_year). */
  declining_balance_years: decliningBalanceYears.optional(),
});

export const taxSchema = z.strictObject({ bonus_percent: percent("bonus_percent").default("0") });

/**
 * The `erp:` section (DESIGN §10): per ledger, its account codes, entity and dimension
 * columns. Values a ledger matches on are keys, refused where a spreadsheet would run them as
 * a formula (src/ids.ts), since an apostrophe in front would break the match.
 */
const ledgerCode = text.superRefine((s, ctx) => {
  const problem = keyProblem(s);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: `"${s}" ${problem}` });
});

/** A dimension column: `{ value: X }` on every line, or `{ from: project, values: {…}, default: X }` per line. */
export const erpDimensionSchema = z.strictObject({
  value: ledgerCode.optional(),
  from: z.enum(DIMENSION_SOURCES, { message: `from must be one of ${DIMENSION_SOURCES.join(", ")}` }).optional(),
  values: z.record(text, ledgerCode).optional(),
  default: ledgerCode.optional(),
});
export const erpTrackingSchema = erpDimensionSchema.extend({ name: text });
export const erpCategoriesSchema = z.strictObject({
  capitalization: text.optional(),
  expense: text.optional(),
  depreciation: text.optional(),
  adjustment: text.optional(),
  disposal: text.optional(),
});

const erpCommon = {
  accounts: z.record(text, ledgerCode).optional(),
  date_format: z.enum(DATE_FORMATS, { message: `date_format must be one of ${DATE_FORMATS.join(", ")}` }).optional(),
};
const dim = erpDimensionSchema.optional();

export const erpProfileSchemas = {
  netsuite: z.strictObject({ ...erpCommon, subsidiary: ledgerCode.optional(), department: dim, class: dim, location: dim }),
  "quickbooks-online": z.strictObject({ ...erpCommon, name: dim, class: dim, location: dim }),
  xero: z.strictObject({ ...erpCommon, tax_rate: text.optional(), tracking: z.array(erpTrackingSchema).max(2, { message: "Xero has at most two tracking categories" }).optional() }),
  "sage-intacct": z.strictObject({ ...erpCommon, journal: ledgerCode.optional(), location: dim, department: dim }),
  "business-central": z.strictObject({ ...erpCommon, journal_template: ledgerCode.optional(), journal_batch: ledgerCode.optional(), dimension1: dim, dimension2: dim }),
  "oracle-fbdi": z.strictObject({
    ...erpCommon,
    ledger_id: ledgerCode,
    source: text.optional(),
    group_id: ledgerCode.optional(),
    categories: erpCategoriesSchema.optional(),
    segments: z.array(erpDimensionSchema).min(1).max(30, { message: "Oracle has at most 30 segments (SEGMENT1..SEGMENT30)" }).optional(),
  }),
} as const;

export const erpSchema = z.strictObject({
  netsuite: erpProfileSchemas.netsuite.optional(),
  "quickbooks-online": erpProfileSchemas["quickbooks-online"].optional(),
  xero: erpProfileSchemas.xero.optional(),
  "sage-intacct": erpProfileSchemas["sage-intacct"].optional(),
  "business-central": erpProfileSchemas["business-central"].optional(),
  "oracle-fbdi": erpProfileSchemas["oracle-fbdi"].optional(),
});
export type ErpSection = z.infer<typeof erpSchema>;

export const rulesSchema = z.strictObject({
  version: text.refine((s) => s.trim() !== "", { message: "version must not be empty" }),
  currency: z.string().regex(/^[A-Z]{3}$/, { message: "currency must be an ISO 4217 code like USD" }),
  fiscal_year_start_month: wholeNumber("fiscal_year_start_month", 1, 12),
  default_time_zone: z.string().refine(isValidTimeZone, { message: "default_time_zone must be an IANA time zone like America/Chicago" }),
  capitalization: capitalizationSchema,
  depreciation: depreciationSchema,
  tax: taxSchema.default({ bonus_percent: "0" }),
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
  erp: erpSchema.optional(),
});

export type RulesFile = z.infer<typeof rulesSchema>;
