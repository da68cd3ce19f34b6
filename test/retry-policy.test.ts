import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, decideRetry, parseRetryAfter } from "../src/render/retry-policy.js";
import { limiterSettings, RENDER_LIMITS } from "../src/render/limits.js";

const now = new Date("2026-11-01T00:00:00Z");
const policy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 8000, maxTotalWaitMs: 20_000 };

describe("retry policy", () => {
  it("retries 429, 5xx, timeouts and dropped connections with jittered exponential backoff", () => {
    expect(decideRetry({ kind: "response", status: 503 }, 1, 0, policy, 0, now)).toEqual({ retry: true, delayMs: 500 });
    expect(decideRetry({ kind: "response", status: 500 }, 2, 0, policy, 0.999999, now)).toEqual({ retry: true, delayMs: 2000 });
    expect(decideRetry({ kind: "network", error: "timeout" }, 3, 0, policy, 0.5, now)).toEqual({ retry: true, delayMs: 3000 });
    expect(decideRetry({ kind: "network", error: "connection" }, 1, 0, policy, 0, now)).toEqual({ retry: true, delayMs: 500 });
  });

  it("waits the larger of Retry-After and the backoff", () => {
    expect(decideRetry({ kind: "response", status: 429, retryAfter: "7" }, 1, 0, policy, 0, now)).toEqual({ retry: true, delayMs: 7000 });
    expect(decideRetry({ kind: "response", status: 429, retryAfter: "0" }, 1, 0, policy, 0, now)).toEqual({ retry: true, delayMs: 500 });
    const httpDate = "Sun, 01 Nov 2026 00:00:03 GMT";
    expect(decideRetry({ kind: "response", status: 429, retryAfter: httpDate }, 1, 0, policy, 0, now)).toEqual({ retry: true, delayMs: 3000 });
  });

  it("never retries other 4xx", () => {
    for (const status of [400, 403, 404, 409, 422]) {
      expect(decideRetry({ kind: "response", status }, 1, 0, policy, 0, now)).toEqual({ retry: false, reason: `HTTP ${status} is not retryable` });
    }
  });

  it("stops at the attempt bound and at the total-wait bound", () => {
    expect(decideRetry({ kind: "response", status: 503 }, 4, 0, policy, 0, now)).toEqual({ retry: false, reason: "gave up after 4 attempts" });
    const d = decideRetry({ kind: "response", status: 429, retryAfter: "15" }, 2, 10_000, policy, 0, now);
    expect(d.retry).toBe(false);
  });

  it("caps the exponential term", () => {
    const p = { ...policy, maxAttempts: 20, maxTotalWaitMs: 1e9 };
    expect(decideRetry({ kind: "response", status: 502 }, 10, 0, p, 0.999999, now)).toEqual({ retry: true, delayMs: 8000 });
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("0.25", now)).toBe(250);
    expect(parseRetryAfter("garbage", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("has bounded defaults", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxTotalWaitMs: 120_000 });
  });
});

describe("the limiter's real settings", () => {
  it("match Render's documented limits: 2 requests a second, 5 in flight, 10,000 a day, pages of 2000", () => {
    expect(RENDER_LIMITS).toEqual({ requestsPerSecond: 2, maxInFlight: 5, dailyQuota: 10_000, maxPageLimit: 2000 });
    expect(limiterSettings()).toEqual({ minTimeMs: 500, maxConcurrent: 5 });
    expect(limiterSettings(50)).toEqual({ minTimeMs: 10, maxConcurrent: 5 });
  });
});
