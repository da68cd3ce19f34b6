import { Decimal } from "decimal.js";
import { InputError } from "./errors.js";

/**
 * Money is exact: decimal.js where amounts are parsed or multiplied (rate × quantity),
 * integer minor units (cents, as JS integers) where a hot loop needs speed. Never floats.
 */
export const Dec = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP });
export type Dec = Decimal;

/** Integer cents. A plain number, always a safe integer. */
export type Cents = number;

const AMOUNT_TEXT = /^-?\d+(\.\d+)?$/;

/** Parses a plain decimal string ("1234.5"). Throws on anything else. */
export function parseDecimal(text: string): Decimal {
  const t = text.trim();
  if (!AMOUNT_TEXT.test(t)) throw new Error(`not a plain decimal number: "${text}"`);
  return new Dec(t);
}

/**
 * The largest amount any single figure may hold: 100,000,000,000.00 (10^13 cents). No task
 * costs that much, and below it rate × quantity, salvage and depreciation stay exact in
 * integer cents. Totals over many assets are guarded separately (checkTotal).
 */
export const MAX_AMOUNT_CENTS = 10 ** 13;
export const MAX_AMOUNT = new Dec(MAX_AMOUNT_CENTS).dividedBy(100);
/** "100000000000.00", for messages. */
export const MAX_AMOUNT_TEXT = MAX_AMOUNT.toFixed(2);

/**
 * The largest total a close may add up: half of Number.MAX_SAFE_INTEGER cents (about
 * 45 trillion). Every total a close prints (a class's cost, all journal debits, which add
 * depreciation to additions and expense) is at most twice the sum this bounds, so each stays
 * an exact integer instead of silently rounding.
 */
export const MAX_TOTAL_CENTS = Math.floor(Number.MAX_SAFE_INTEGER / 2);

/**
 * The same whole number, held as V8 holds a small integer. A whole number computed through a
 * double (a division, a product with a big power of ten, decimal.js's toNumber) is otherwise
 * kept in a 16-byte box wherever it is stored, and a big close stores ten amounts an asset
 * (record, cost elements, book, tax): 140 MB at a million assets. Zero is returned as given,
 * so a -0 that decimal.js gives stays -0.
 */
export function compactCents(c: number): Cents {
  const i = c | 0;
  return i === c && c !== 0 ? i : c;
}

/** Rounds half-up (away from zero) to cents; undefined beyond ±MAX_AMOUNT_CENTS. */
export function centsWithinLimit(amount: Decimal): Cents | undefined {
  if (!amount.isFinite() || amount.abs().greaterThan(MAX_AMOUNT)) return undefined;
  return compactCents(amount.times(100).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber());
}

/** Rounds half-up (away from zero) to cents and returns integer cents; refuses amounts beyond MAX_AMOUNT. */
export function toCents(amount: Decimal, field = "amount"): Cents {
  const cents = centsWithinLimit(amount);
  if (cents === undefined) throw new InputError(field, `${amount.toString()} is beyond the largest amount fiber-capex accepts (${MAX_AMOUNT_TEXT}); check the figure`);
  return cents;
}

/**
 * Refuses amounts whose magnitudes add up to more than MAX_TOTAL_CENTS. Adding safe integers
 * is exact while the sum stays below 2^53, and a sum beyond that can only round upwards, so
 * the running comparison never misses an overflow.
 */
export function checkTotal(amounts: Iterable<Cents>, field: string, what: string): void {
  let sum = 0;
  for (const a of amounts) {
    sum += Math.abs(a);
    if (sum > MAX_TOTAL_CENTS) {
      throw new InputError(
        field,
        `${what} add up to more than ${formatCents(MAX_TOTAL_CENTS)}, beyond what fiber-capex can total exactly in cents; ` +
          "look for absurd amounts in Render, or close fewer projects at a time",
      );
    }
  }
}

export function centsToDecimal(cents: Cents): Decimal {
  return new Dec(cents).dividedBy(100);
}

/** "1234.50", "-0.05": two decimals, '.' separator, no grouping, no sign for zero. */
export function formatCents(cents: Cents): string {
  if (!Number.isSafeInteger(cents)) throw new InputError("cents", `${cents} is not a whole number of cents`);
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const frac = abs - whole * 100;
  return `${negative ? "-" : ""}${whole}.${frac < 10 ? "0" : ""}${frac}`;
}

/** Number of cents as a JS number for spreadsheets (exact for any safe integer / 100 display). */
export function centsToNumber(cents: Cents): number {
  return cents / 100;
}

/**
 * round_half_up(num / den) for integers, den > 0, exact. Uses doubles while the
 * intermediate stays a safe integer, BigInt beyond.
 */
export function divRoundHalfUp(num: number, den: number): number {
  const twice = 2 * Math.abs(num) + den;
  if (twice <= Number.MAX_SAFE_INTEGER && 2 * den <= Number.MAX_SAFE_INTEGER) {
    const q = compactCents(Math.floor(twice / (2 * den)));
    return num < 0 ? -q : q;
  }
  const bn = BigInt(Math.abs(num));
  const bd = BigInt(den);
  const q = compactCents(Number((2n * bn + bd) / (2n * bd)));
  return num < 0 ? -q : q;
}

/** round_half_up(a × b / den) for integers, exact (the product may exceed 2^53). */
export function mulDivRoundHalfUp(a: number, b: number, den: number): number {
  const p = a * b;
  if (Number.isSafeInteger(p) && Number.isSafeInteger(2 * Math.abs(p) + den)) return divRoundHalfUp(p, den);
  const bp = BigInt(a) * BigInt(b);
  const neg = bp < 0n;
  const abs = neg ? -bp : bp;
  const bd = BigInt(den);
  const q = compactCents(Number((2n * abs + bd) / (2n * bd)));
  return neg ? -q : q;
}
