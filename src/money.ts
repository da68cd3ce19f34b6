import { Decimal } from "decimal.js";

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

/** Rounds half-up (away from zero) to cents and returns integer cents. */
export function toCents(amount: Decimal): Cents {
  const cents = amount.times(100).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber();
  if (!Number.isSafeInteger(cents)) throw new RangeError(`amount out of range: ${amount.toString()}`);
  return cents;
}

export function centsToDecimal(cents: Cents): Decimal {
  return new Dec(cents).dividedBy(100);
}

/** "1234.50", "-0.05": two decimals, '.' separator, no grouping, no sign for zero. */
export function formatCents(cents: Cents): string {
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
    const q = Math.floor(twice / (2 * den));
    return num < 0 ? -q : q;
  }
  const bn = BigInt(Math.abs(num));
  const bd = BigInt(den);
  const q = Number((2n * bn + bd) / (2n * bd));
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
  const q = Number((2n * abs + bd) / (2n * bd));
  return neg ? -q : q;
}
