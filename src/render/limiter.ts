import { InputError } from "../errors.js";
import type { LimiterSettings } from "./limits.js";

/**
 * Keeps request starts at least `minTimeMs` apart and at most `maxConcurrent` requests in
 * flight, first come first served. Time is the caller's (`now`, `sleep`), so the simulator and
 * the client can share one virtual clock in tests and the rate is checked without depending
 * on how fast the machine is.
 */
export class RequestLimiter {
  private running = 0;
  private nextStart = Number.NEGATIVE_INFINITY;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly settings: LimiterSettings,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    if (!(settings.maxConcurrent >= 1) || !(settings.minTimeMs >= 0)) {
      throw new InputError("limiter", `needs maxConcurrent of 1 or more and minTimeMs of 0 or more (got ${settings.maxConcurrent} and ${settings.minTimeMs})`);
    }
  }

  async schedule<T>(job: () => Promise<T>): Promise<T> {
    // A finished job hands its slot straight to the first waiter, so `running` never dips
    // and a newcomer cannot overtake the queue.
    if (this.running < this.settings.maxConcurrent) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      const now = this.now();
      const start = Math.max(now, this.nextStart);
      this.nextStart = start + this.settings.minTimeMs;
      if (start > now) await this.sleep(start - now);
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
