import type { Argv } from "yargs";
import { z } from "zod";
import { isIsoDate, MAX_YEAR, MIN_YEAR } from "../dates.js";
import { DepreciationSchedule } from "../depreciation/schedule.js";
import { macrsSchedule } from "../depreciation/tax.js";
import { CONVENTIONS, DECLINING_BALANCE_YEARS, METHODS, ROUNDINGS, type RecoveryYears, TAX_RECOVERY_YEARS } from "../depreciation/types.js";
import { InputError } from "../errors.js";
import { Dec, formatCents, parseDecimal, toCents } from "../money.js";
import { csvText } from "../report/csv.js";
import { commonSchema, EXIT, optionsNamed, parseOptions, printJson } from "./terminal.js";

const amount = (flag: string) => z.string().refine((s) => /^\d+(\.\d+)?$/.test(s.trim()), { message: `${flag} must be an amount like 1200 or 1200.50` });
/** Money: at most two decimals, as every amount fiber-capex reads (0.001 was silently 0.00). */
const money = (flag: string) =>
  z.string().refine((s) => /^\d+(\.\d{1,2})?$/.test(s.trim()), { message: `${flag} must be an amount in cents' precision, like 1200 or 1200.50` });
const wholeNumber = (flag: string, min: number, max: number) =>
  z.union([z.string(), z.number()]).transform(String).refine((s) => /^\d+$/.test(s) && Number(s) >= min && Number(s) <= max, {
    message: `${flag} must be a whole number from ${min} to ${max}`,
  });

const options = commonSchema.extend({
  cost: money("--cost"),
  inService: z
    .string()
    .refine(isIsoDate, { message: "--in-service must be a real date written YYYY-MM-DD" })
    .refine((d) => Number(d.slice(0, 4)) >= MIN_YEAR && Number(d.slice(0, 4)) <= MAX_YEAR, { message: `--in-service must be in the years fiber-capex closes, ${MIN_YEAR} to ${MAX_YEAR}` }),
  lifeMonths: wholeNumber("--life-months", 1, 1200).optional(),
  salvage: z
    .string()
    .refine((s) => /^\d+(\.\d{1,2})?$|^\d+(\.\d+)?%$/.test(s.trim()), { message: "--salvage must be an amount in cents' precision (500.00) or a percentage of cost (10%)" })
    .default("0"),
  method: z.enum(METHODS, { message: `--method must be one of ${METHODS.join(", ")}` }).default("straight_line"),
  convention: z.string().optional(),
  fiscalYearStart: wholeNumber("--fiscal-year-start", 1, 12).default("1"),
  // As the rules allow it: a what-if a close could never give is no what-if.
  dbRate: amount("--db-rate")
    .refine((r) => Number(r) > 0 && Number(r) <= 4, { message: "--db-rate must be more than 0 and at most 4 (2 = 200 % declining balance), as in the rules" })
    .default("2"),
  switchToStraightLine: z.enum(["true", "false"], { message: "--switch-to-straight-line must be true or false" }).default("true"),
  rounding: z.enum(ROUNDINGS, { message: `--rounding must be one of ${ROUNDINGS.join(", ")}` }).default("cumulative"),
  dbYears: z.enum(DECLINING_BALANCE_YEARS, { message: `--db-years must be one of ${DECLINING_BALANCE_YEARS.join(", ")}` }).optional(),
  book: z.enum(["gl", "tax"], { message: "--book must be gl or tax" }).default("gl"),
  recoveryYears: wholeNumber("--recovery-years", 3, 20).optional(),
  quarter: wholeNumber("--quarter", 1, 4).optional(),
  bonus: amount("--bonus").default("0"),
});

export const scheduleCommand = {
  command: "schedule",
  describe: "Print one asset's depreciation schedule as CSV (a what-if calculator)",
  builder: (y: Argv) =>
    y
      .option("cost", { type: "string", demandOption: true, describe: "cost, e.g. 125000.00" })
      .option("in-service", { type: "string", demandOption: true, describe: "in-service date, YYYY-MM-DD" })
      .option("life-months", { type: "string", describe: "useful life in months (GL book)" })
      .option("salvage", { type: "string", describe: "salvage as an amount (500) or a share of cost (10%)", default: "0" })
      .option("method", { type: "string", choices: METHODS, default: "straight_line" })
      .option("convention", { type: "string", describe: `GL: ${CONVENTIONS.join(" | ")} (default full_month); tax: half_year | mid_quarter (default half_year)` })
      .option("fiscal-year-start", { type: "string", default: "1", describe: "first month of the fiscal year, 1-12" })
      .option("db-rate", { type: "string", default: "2", describe: "declining balance rate: 2 = 200 %, 1.5 = 150 %" })
      .option("switch-to-straight-line", { type: "string", choices: ["true", "false"], default: "true", describe: "declining balance: switch to straight line when it gives more" })
      .option("rounding", { type: "string", choices: ROUNDINGS, default: "cumulative", describe: "cumulative target, or each fiscal year's amount rounded on its own" })
      .option("db-years", {
        type: "string",
        choices: DECLINING_BALANCE_YEARS,
        describe: "declining balance on fiscal or asset years (default: fiscal under half_year, mid_quarter, modified_half_year; asset otherwise)",
      })
      .option("book", { type: "string", choices: ["gl", "tax"], default: "gl" })
      .option("recovery-years", { type: "string", describe: `tax book: MACRS recovery period (${TAX_RECOVERY_YEARS.join(", ")})` })
      .option("quarter", { type: "string", describe: "tax book, mid_quarter: the quarter placed in service (default: from --in-service)" })
      .option("bonus", { type: "string", default: "0", describe: "tax book: bonus depreciation, percent of basis" })
      .epilog(
        "GL book CSV columns: period,amount,accumulated,net_book_value. Tax book: tax_year,amount,accumulated,remaining_basis.\n" +
          "Example: capex schedule --cost 125000 --in-service 2026-10-15 --life-months 240 --convention mid_month",
      ),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    refuseWhatDoesNotApply(o.book, o.convention ?? (o.book === "tax" ? "half_year" : "full_month"));
    const cost = toCents(parseDecimal(o.cost));
    if (o.book === "tax") {
      if (o.recoveryYears === undefined) throw new InputError("--recovery-years", `the tax book needs --recovery-years, one of ${TAX_RECOVERY_YEARS.join(", ")}`);
      if (!(TAX_RECOVERY_YEARS as readonly number[]).includes(Number(o.recoveryYears))) {
        throw new InputError("--recovery-years", `${o.recoveryYears} is not a MACRS recovery period of the tables; give one of ${TAX_RECOVERY_YEARS.join(", ")}`);
      }
      const convention = o.convention ?? "half_year";
      if (convention !== "half_year" && convention !== "mid_quarter") throw new InputError("--convention", `the tax book takes half_year or mid_quarter, not "${convention}"`);
      const rows = macrsSchedule({
        cost,
        inServiceDate: o.inService,
        recoveryYears: Number(o.recoveryYears) as RecoveryYears,
        convention,
        bonusPercent: o.bonus,
        fiscalYearStartMonth: Number(o.fiscalYearStart),
        quarter: o.quarter === undefined ? undefined : Number(o.quarter),
      });
      const last = rows.at(-1);
      print(
        o,
        ["tax_year", "amount", "accumulated", "remaining_basis"],
        rows.map((r) => [r.taxYear, formatCents(r.amount), formatCents(r.accumulated), formatCents(r.remainingBasis)]),
        `total ${formatCents(last?.accumulated ?? 0)} over ${rows.length} tax years; remaining basis ${formatCents(last?.remainingBasis ?? cost)}`,
      );
      return EXIT.ok;
    }
    if (o.lifeMonths === undefined) throw new InputError("--life-months", "the GL book needs --life-months");
    const convention = o.convention ?? "full_month";
    if (!(CONVENTIONS as readonly string[]).includes(convention)) throw new InputError("--convention", `must be one of ${CONVENTIONS.join(", ")} (got "${convention}")`);
    const salvage = o.salvage.endsWith("%")
      ? toCents(new Dec(o.cost).times(o.salvage.slice(0, -1)).dividedBy(100))
      : toCents(parseDecimal(o.salvage));
    const schedule = new DepreciationSchedule({
      cost,
      salvage,
      inServiceDate: o.inService,
      lifeMonths: Number(o.lifeMonths),
      method: o.method,
      convention: convention as (typeof CONVENTIONS)[number],
      decliningBalanceRate: o.dbRate,
      fiscalYearStartMonth: Number(o.fiscalYearStart),
      switchToStraightLine: o.switchToStraightLine === "true",
      rounding: o.rounding,
      decliningBalanceYears: o.dbYears,
    });
    const rows = [...schedule.periods()];
    print(
      o,
      ["period", "amount", "accumulated", "net_book_value"],
      rows.map((r) => [r.period, formatCents(r.amount), formatCents(r.accumulated), formatCents(r.netBookValue)]),
      `total ${formatCents(schedule.basis)} over ${rows.length} periods; net book value at the end ${formatCents(salvage)}`,
    );
    return EXIT.ok;
  },
};

const GL_ONLY = ["life-months", "salvage", "method", "db-rate", "switch-to-straight-line", "rounding", "db-years"];
const TAX_ONLY = ["recovery-years", "quarter", "bonus"];

/** An option the book asked for does not read is refused, not silently ignored: its figures would not be what was asked. */
function refuseWhatDoesNotApply(book: "gl" | "tax", convention: string): void {
  const named = optionsNamed();
  const wrong = (book === "tax" ? GL_ONLY : TAX_ONLY).filter((o) => named.has(o));
  if (wrong.length) {
    const flags = wrong.map((o) => `--${o}`).join(", ");
    throw new InputError(
      flags,
      book === "tax"
        ? "the tax book (MACRS) takes no life, salvage, method or rounding: it reads --recovery-years, --convention, --quarter and --bonus; leave these out"
        : "applies only to the tax book: add --book tax, or leave it out",
    );
  }
  if (book === "tax" && named.has("quarter") && convention !== "mid_quarter") throw new InputError("--quarter", "applies only to --convention mid_quarter");
}

/** The schedule as CSV with its total on stderr, nothing but the CSV (--quiet), or as JSON: `{ rows: [{ column: value }], total }` (--json). */
function print(flags: { json: boolean; quiet: boolean }, columns: string[], rows: Array<Array<string | number>>, total: string): void {
  if (flags.json) {
    printJson({ rows: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))), total });
    return;
  }
  process.stdout.write(csvText(columns, rows));
  if (!flags.quiet) process.stderr.write(`${total}\n`);
}
