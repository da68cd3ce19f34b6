import { type Cents, centsWithinLimit, compactCents, Dec, divRoundHalfUp, MAX_AMOUNT_CENTS, MAX_AMOUNT_TEXT } from "../money.js";
import type { TaskFields as Task } from "../render/schemas.js";
import { type RateEntry, rateInForce, type Rules } from "../rules/model.js";
import type { CostElement, ExceptionCode } from "./outcomes.js";

export type Pricing =
  /** quantity: the task's quantity (else its lines' total) as decimal.js writes it, e.g. "12.5" for "12.50". */
  | { ok: true; cost: Cents; elements: CostElement[]; quantity: string | undefined }
  | { ok: false; code: ExceptionCode; message: string };

const fail = (code: ExceptionCode, message: string): Pricing => ({ ok: false, code, message });

/** A product or sum beyond the largest amount: the task's exception, never the run's end. */
const tooLarge = (path: string, what: string, fix: string): Pricing =>
  fail("INVALID_TASK", `${path}: ${what} is beyond the largest amount a task may carry (${MAX_AMOUNT_TEXT}); ${fix}`);

// A plain decimal text; its digits are read as one integer when there are at most 15 (exact in a double).
const SHORT_DECIMAL = /^(-?)(\d+)(?:\.(\d{1,6}))?$/;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * round_half_up(a × b) in cents, exactly as centsWithinLimit(new Dec(a).times(b)) gives it
 * (null where that is undefined: beyond the largest amount), in integers: a price line is
 * quantity × rate, and decimal.js allocates a dozen objects to compute one. Undefined when
 * either text is not a short plain decimal; the caller then uses decimal.js. `b` omitted: the
 * cents of `a` alone.
 */
export function exactCents(a: string, b?: string): Cents | null | undefined {
  const x = SHORT_DECIMAL.exec(a);
  if (!x || x[2]!.length + (x[3]?.length ?? 0) > 15) return undefined;
  let digits = Number(x[2]! + (x[3] ?? ""));
  let scale = x[3]?.length ?? 0;
  let negative = x[1] === "-";
  if (b !== undefined) {
    const y = SHORT_DECIMAL.exec(b);
    if (!y || y[2]!.length + (y[3]?.length ?? 0) > 15) return undefined;
    digits *= Number(y[2]! + (y[3] ?? ""));
    if (!Number.isSafeInteger(digits)) return undefined;
    scale += y[3]?.length ?? 0;
    negative = negative !== (y[1] === "-");
  }
  // The amount is digits / 10^scale; beyond 10^11 it is refused, before rounding.
  if (11 + scale <= 15 && digits > POW10[11 + scale]!) return null;
  const cents = scale <= 2 ? compactCents(digits * POW10[2 - scale]!) : divRoundHalfUp(digits, POW10[scale - 2]!);
  // A negative product that rounds to nothing is -0, as decimal.js gives it.
  return negative ? -cents : cents;
}

/** Cents of a decimal text, integers first (exactCents), decimal.js for anything else. */
function centsOf(a: string, b?: string): Cents | undefined {
  const fast = exactCents(a, b);
  if (fast !== undefined) return fast ?? undefined;
  return centsWithinLimit(b === undefined ? new Dec(a) : new Dec(a).times(b));
}

const rateTexts = new WeakMap<RateEntry, string>();
/** A rate card rate as text, made once per rate (cost elements record it, and exactCents reads it). */
function rateText(rate: RateEntry): string {
  let text = rateTexts.get(rate);
  if (text === undefined) rateTexts.set(rate, (text = rate.rate.toString()));
  return text;
}

// A decimal text decimal.js writes back unchanged: no sign, no leading or trailing zero, no
// exponent, at most 15 digits and 6 decimals (decimal.js turns 1e-7 and smaller into exponents).
const CANONICAL_DECIMAL = /^(?:0|[1-9]\d{0,14})(?:\.\d{0,5}[1-9])?$/;

/** A quantity as decimal.js writes it: the text itself when it is written that way already (most are), without building a Decimal. */
export function quantityText(text: string): string {
  return CANONICAL_DECIMAL.test(text) ? text : new Dec(text).toString();
}

/** The unit lines' quantities added up, from 0 as decimal.js adds them (rounding to its precision at each step). */
const linesTotal = (sum: Dec | string): Dec => (typeof sum === "string" ? new Dec(0).plus(sum) : sum);

/** A decimal text's sign as decimal.js reads it ("-0" included): every such text starts with "-". */
const isNegative = (text: string) => text.charCodeAt(0) === 45;

/**
 * The cost of a task on its in-service date, first basis that applies (DESIGN §5):
 * unit lines (each its amount, else quantity × its own rate, else × the rate card's rate for
 * its unit code), else task quantity × the rate card's rate for the task type. Each line is
 * rounded half-up to cents and kept as a cost element.
 */
export function priceTask(task: Task, date: string, rules: Rules): Pricing {
  const type = task.task_type;
  if (task.quantity !== undefined && isNegative(task.quantity)) {
    return fail("NEGATIVE_QUANTITY", `quantity is ${task.quantity}; correct the quantity in Render`);
  }
  if (task.units.length > 0) {
    // Sized once: an array grown by push from empty keeps room for 17 elements (152 bytes),
    // and every asset of a big close keeps its cost elements.
    const elements = new Array<CostElement>(task.units.length);
    let cost = 0;
    let quantity: Dec | string | undefined; // one line's text, or the lines' sum
    for (let i = 0; i < task.units.length; i++) {
      const line = task.units[i]!;
      const code = line.unit_code ?? line.code;
      const uom = line.uom ?? line.unit;
      const qty = line.quantity;
      if (qty !== undefined && isNegative(qty)) return fail("NEGATIVE_QUANTITY", `units[${i}].quantity is ${line.quantity}${code ? ` (${code})` : ""}; correct the unit line in Render`);
      if (qty !== undefined) quantity = quantity === undefined ? qty : linesTotal(quantity).plus(qty);
      let element: CostElement;
      if (line.amount !== undefined) {
        if (isNegative(line.amount)) return fail("NEGATIVE_AMOUNT", `units[${i}].amount is ${line.amount}; a credit cannot be capitalized, correct it in Render`);
        const cents = centsOf(line.amount);
        if (cents === undefined) return tooLarge(`units[${i}].amount`, line.amount, "correct the unit line in Render");
        element = { source: "line_amount", line: i, unitCode: code, quantity: line.quantity, uom, rate: line.rate, rateId: undefined, amount: cents };
      } else if (qty === undefined) {
        return fail("NO_COST_BASIS", `units[${i}]${code ? ` (${code})` : ""} has neither an amount nor a quantity; add one in Render`);
      } else if (line.rate !== undefined) {
        const cents = centsOf(qty, line.rate);
        if (cents === undefined) return tooLarge(`units[${i}].quantity`, `${line.quantity} × rate ${line.rate}`, "correct the unit line in Render");
        element = { source: "line_rate", line: i, unitCode: code, quantity: line.quantity, uom, rate: line.rate, rateId: undefined, amount: cents };
      } else {
        const entries = code === undefined ? undefined : rules.ratesByUnitCode.get(code);
        const rate = rateInForce(entries, date);
        if (!rate) {
          if (code === undefined) return fail("UNKNOWN_UNIT_CODE", `units[${i}] has no unit_code and no rate; add the unit code in Render`);
          return fail(
            "UNKNOWN_UNIT_CODE",
            entries
              ? `no rate for unit code ${code} is in force on ${date} (the earliest takes effect ${entries[entries.length - 1]!.effectiveFrom}); add one to rate_card in the rules file`
              : `unit code ${code} is not in the rate card; add it to rate_card in the rules file or correct the unit line in Render`,
          );
        }
        const cents = centsOf(qty, rateText(rate));
        if (cents === undefined) return tooLarge(`units[${i}].quantity`, `${line.quantity} × rate ${rate.rate} (${rate.id})`, "correct the unit line in Render");
        element = { source: "rate_card", line: i, unitCode: code, quantity: line.quantity, uom: uom ?? rate.uom, rate: rateText(rate), rateId: rate.id, amount: cents };
      }
      elements[i] = element;
      cost += element.amount;
    }
    if (cost > MAX_AMOUNT_CENTS) return tooLarge("units", `the lines' total ${new Dec(cost).dividedBy(100).toFixed(2)}`, "correct the unit lines in Render");
    // One canonical line is its own text; anything else is written as decimal.js' sum from 0
    // (not quantityText: the sum rounds to the precision where new Dec(text) would not).
    const lines = quantity === undefined ? undefined : typeof quantity === "string" && CANONICAL_DECIMAL.test(quantity) ? quantity : linesTotal(quantity).toString();
    return { ok: true, cost, elements, quantity: task.quantity === undefined ? lines : quantityText(task.quantity) };
  }
  if (task.quantity !== undefined) {
    const rate = rateInForce(rules.ratesByTaskType.get(type), date);
    if (!rate) {
      return fail("NO_COST_BASIS", `no unit lines, and no rate for task type ${type} in force on ${date} to price its quantity ${task.quantity}; add unit lines in Render or a task_type rate to rate_card in ${rules.file}`);
    }
    const cents = centsOf(task.quantity, rateText(rate));
    if (cents === undefined) return tooLarge("quantity", `${task.quantity} × rate ${rate.rate} (${rate.id})`, "correct the quantity in Render");
    const element: CostElement = { source: "task_type_rate", line: undefined, unitCode: undefined, quantity: task.quantity, uom: rate.uom, rate: rateText(rate), rateId: rate.id, amount: cents };
    return { ok: true, cost: element.amount, elements: [element], quantity: quantityText(task.quantity) };
  }
  return fail("NO_COST_BASIS", "the task has neither unit lines nor a quantity; add the installed units in Render");
}
