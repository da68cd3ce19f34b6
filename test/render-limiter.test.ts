import { describe, expect, it } from "vitest";
import { InputError } from "../src/errors.js";
import { RequestLimiter } from "../src/render/limiter.js";
import { virtualClock } from "./helpers.js";

describe("the request limiter, on a virtual clock", () => {
  it("spaces starts minTimeMs apart, keeps maxConcurrent in flight, and serves first come first", async () => {
    const clock = virtualClock(0);
    const limiter = new RequestLimiter({ minTimeMs: 500, maxConcurrent: 2 }, clock.now, clock.sleep);
    const starts: Array<[number, number]> = [];
    let inFlight = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const job = (id: number) =>
      limiter.schedule(async () => {
        starts.push([id, clock.now()]);
        peak = Math.max(peak, ++inFlight);
        await new Promise<void>((resolve) => gates.push(resolve));
        inFlight--;
        return id;
      });
    const all = Promise.all([1, 2, 3, 4, 5].map(job));
    // Let the first two start, then finish jobs one at a time, oldest first.
    for (let i = 0; i < 5; i++) {
      while (gates.length === 0) await clock.sleep(0);
      gates.shift()!();
    }
    expect(await all).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(starts).toEqual([
      [1, 0],
      [2, 500],
      [3, 1000],
      [4, 1500],
      [5, 2000],
    ]);
  });

  it("frees the slot of a job that fails", async () => {
    const clock = virtualClock(0);
    const limiter = new RequestLimiter({ minTimeMs: 0, maxConcurrent: 1 }, clock.now, clock.sleep);
    await expect(limiter.schedule(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limiter.schedule(async () => "next")).toBe("next");
  });

  it("refuses settings that could never run a request", () => {
    const clock = virtualClock(0);
    expect(() => new RequestLimiter({ minTimeMs: 0, maxConcurrent: 0 }, clock.now, clock.sleep)).toThrow(
      new InputError("limiter", "needs maxConcurrent of 1 or more and minTimeMs of 0 or more (got 0 and 0)"),
    );
  });
});
