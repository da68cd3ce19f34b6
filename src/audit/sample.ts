import { createHash } from "node:crypto";
import { InputError } from "../errors.js";
import { type Cents, formatCents, mulDivRoundHalfUp } from "../money.js";
import type { AuditSample } from "./model.js";

/**
 * Monetary-unit sampling as the AICPA Audit Guide "Audit Sampling" plans it (ISA 530 and
 * AS 2315 leave the method to the auditor; this is the one most fixed-asset auditors use):
 *
 *   n = BV × RF / (TM − EM × EF),   J = BV / n
 *
 * BV the population's book value, TM the tolerable and EM the expected misstatement, RF the
 * reliability (confidence) factor for zero misstatements and EF the expansion factor, both at
 * the risk of incorrect acceptance 1 − confidence. Every item of J or more is taken whole
 * (the top stratum); the others are selected systematically from a random start.
 */

/**
 * The guide's confidence factors for zero overstatement misstatements (its monetary-unit
 * sample-size table, the "0" row of the Poisson factors), by confidence level, in hundredths.
 * Integers so that n is computed exactly.
 */
const RELIABILITY_FACTORS: ReadonlyMap<number, number> = new Map([
  [0.99, 461],
  [0.95, 300],
  [0.9, 231],
  [0.85, 190],
  [0.8, 161],
  [0.75, 139],
  [0.7, 121],
  [0.63, 100],
  [0.5, 70],
]);

/** The guide's expansion factors for expected misstatement, by confidence level, in hundredths. */
const EXPANSION_FACTORS: ReadonlyMap<number, number> = new Map([
  [0.99, 190],
  [0.95, 160],
  [0.9, 150],
  [0.85, 140],
  [0.8, 130],
  [0.75, 125],
  [0.7, 120],
  [0.63, 115],
  [0.5, 100],
]);

export const SAMPLE_CONFIDENCE_LEVELS: readonly number[] = [...RELIABILITY_FACTORS.keys()];
export const DEFAULT_CONFIDENCE = 0.95;
/** Tolerable misstatement when none is given: 5 % of the population, a common planning materiality for one account. */
export const DEFAULT_TOLERABLE_PERCENT = 5;

export interface SampleCandidate {
  /** Unique within the population; the systematic selection walks the items in this order. */
  id: string;
  amount: Cents;
}

export interface PlanSampleInput<T extends SampleCandidate> {
  population: readonly T[];
  confidence?: number;
  tolerable?: Cents;
  expectedMisstatement?: Cents;
  /** --sample N: the sample size instead of the guide's formula. */
  sampleSize?: number;
  seed: string;
}

export interface SampleSelection<T> {
  item: T;
  selection: "top stratum" | "sampling point";
  point: Cents | undefined;
}

/** The AuditSample's figures (everything but the traced items) and what was selected. */
export interface SamplePlan<T> extends Omit<AuditSample, "items"> {
  selections: SampleSelection<T>[];
}

/** 5 % of the population, and at least a cent: below 10 cents 5 % rounds to nothing, and no sample tests for a zero misstatement. */
export function defaultTolerable(population: Cents): Cents {
  return Math.max(1, mulDivRoundHalfUp(population, DEFAULT_TOLERABLE_PERCENT, 100));
}

export function reliabilityFactor(confidence: number): number {
  return factorOf(RELIABILITY_FACTORS, confidence) / 100;
}

export function expansionFactor(confidence: number): number {
  return factorOf(EXPANSION_FACTORS, confidence) / 100;
}

function factorOf(table: ReadonlyMap<number, number>, confidence: number): number {
  const f = table.get(confidence);
  if (f === undefined) {
    throw new InputError(
      "--confidence",
      `${confidence} is not a confidence level in the AICPA audit sampling guide's tables; use one of ${SAMPLE_CONFIDENCE_LEVELS.join(", ")}`,
    );
  }
  return f;
}

/**
 * The random start, from the seed alone: the first 53 bits of sha256(seed) as a fraction of
 * 2^53, times J, rounded down. One draw is all systematic selection needs, and anyone can
 * recompute it with a sha256 tool; BigInt keeps it exact for any interval below 2^53 cents.
 */
export function randomStart(seed: string, interval: Cents): Cents {
  if (interval <= 0) return 0;
  const digest = createHash("sha256").update(seed, "utf8").digest();
  const bits = digest.readBigUInt64BE(0) >> 11n;
  return Number((bits * BigInt(interval)) >> 53n);
}

/** Plans and draws the sample. Pure: the same input gives the same selection. */
export function planSample<T extends SampleCandidate>(input: PlanSampleInput<T>): SamplePlan<T> {
  const confidence = input.confidence ?? DEFAULT_CONFIDENCE;
  const rf = factorOf(RELIABILITY_FACTORS, confidence);
  const ef = factorOf(EXPANSION_FACTORS, confidence);
  const expected = input.expectedMisstatement ?? 0;
  if (!Number.isSafeInteger(expected) || expected < 0) throw new InputError("--expected", `${expected} is not an amount in cents of zero or more`);
  if (input.sampleSize !== undefined && (!Number.isSafeInteger(input.sampleSize) || input.sampleSize < 1)) {
    throw new InputError("--sample", `${input.sampleSize} is not a sample size; give a whole number of items, 1 or more`);
  }
  const seen = new Set<string>();
  for (const item of input.population) {
    if (seen.has(item.id)) throw new InputError("sample population", `${item.id} appears twice; each item is sampled once`);
    seen.add(item.id);
  }

  const units = input.population.filter((i) => i.amount > 0);
  const bookValue = units.reduce((sum, i) => sum + i.amount, 0);
  const tolerable = input.tolerable ?? defaultTolerable(bookValue);
  if (input.tolerable !== undefined && (!Number.isSafeInteger(tolerable) || tolerable <= 0)) {
    throw new InputError("--tolerable", `${tolerable} is not a tolerable misstatement; give an amount above zero`);
  }

  let plannedSize = 0;
  if (bookValue > 0) {
    if (input.sampleSize !== undefined) plannedSize = input.sampleSize;
    else {
      // Both factors are in hundredths: n = BV·RF / (TM − EM·EF) = BV·rf / (TM·100 − EM·ef).
      const denominator = BigInt(tolerable) * 100n - BigInt(expected) * BigInt(ef);
      if (denominator <= 0n) {
        throw new InputError(
          "--expected",
          `expected misstatement × expansion factor (${formatCents(expected)} × ${ef / 100}) must stay below the tolerable misstatement (${formatCents(tolerable)}); lower --expected or raise --tolerable`,
        );
      }
      plannedSize = Number(ceilDiv(BigInt(bookValue) * BigInt(rf), denominator));
    }
  }
  // J in whole cents, rounded down, so that the points never run short of n.
  const interval = plannedSize > 0 ? Math.max(1, Math.floor(bookValue / plannedSize)) : 0;

  const byId = [...units].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const top = interval > 0 ? byId.filter((i) => i.amount >= interval) : [];
  const rest = interval > 0 ? byId.filter((i) => i.amount < interval) : [];
  const start = randomStart(input.seed, interval);

  const selections: SampleSelection<T>[] = top.map((item) => ({ item, selection: "top stratum", point: undefined }));
  // Every remaining item is smaller than J, so no item holds two points.
  let point = start;
  let cumulative = 0;
  for (const item of rest) {
    const end = cumulative + item.amount;
    if (point < end) {
      selections.push({ item, selection: "sampling point", point });
      point += interval;
    }
    cumulative = end;
  }

  return {
    method: "monetary unit sampling",
    confidence,
    tolerable,
    expectedMisstatement: expected,
    reliabilityFactor: rf / 100,
    population: bookValue,
    populationItems: units.length,
    interval,
    seed: input.seed,
    requestedSize: input.sampleSize,
    plannedSize,
    start,
    excludedItems: input.population.length - units.length,
    selections,
  };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
