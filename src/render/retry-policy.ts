/**
 * The retry decision as a pure function (Stripe's habit): given what happened on an attempt,
 * say whether to try again and after how long. 429, 5xx, timeouts and dropped connections
 * are retried after the larger of Retry-After and jittered exponential backoff, within a
 * bound on attempts and on total waiting; other 4xx never (401 is the token's business).
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Give up rather than wait longer than this in total across one request's retries. */
  maxTotalWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxTotalWaitMs: 120_000,
};

export type AttemptOutcome =
  | { kind: "response"; status: number; retryAfter?: string | undefined }
  | { kind: "network"; error: "timeout" | "connection" };

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * @param attempt the number of attempts made so far (1 after the first)
 * @param waitedMs total already waited for this request
 * @param random a value in [0, 1) for the jitter
 */
export function decideRetry(
  outcome: AttemptOutcome,
  attempt: number,
  waitedMs: number,
  policy: RetryPolicy,
  random: number,
  now: Date,
): RetryDecision {
  if (outcome.kind === "response" && !isRetryableStatus(outcome.status)) {
    return { retry: false, reason: `HTTP ${outcome.status} is not retryable` };
  }
  if (attempt >= policy.maxAttempts) return { retry: false, reason: `gave up after ${attempt} attempts` };
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": half fixed, half random, so concurrent clients spread out but never hammer.
  const backoff = Math.round(exponential / 2 + (random * exponential) / 2);
  const retryAfter = outcome.kind === "response" ? parseRetryAfter(outcome.retryAfter, now) : undefined;
  const delayMs = Math.max(backoff, retryAfter ?? 0);
  if (waitedMs + delayMs > policy.maxTotalWaitMs) {
    return { retry: false, reason: `waiting ${delayMs} ms more would pass the ${policy.maxTotalWaitMs} ms retry budget` };
  }
  return { retry: true, delayMs };
}
