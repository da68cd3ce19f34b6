/** The Render API's documented per-credential limits (render-api-notes.md, "Limits"). */
export const RENDER_LIMITS = {
  requestsPerSecond: 2,
  maxInFlight: 5,
  dailyQuota: 10_000,
  maxPageLimit: 2000,
} as const;

export interface LimiterSettings {
  /** Minimum spacing between request starts. */
  minTimeMs: number;
  maxConcurrent: number;
}

/**
 * Limiter settings that keep a client at the documented rate and never above it.
 * `timeScale` > 1 speeds time up for tests (the simulator is scaled the same way).
 */
export function limiterSettings(timeScale = 1): LimiterSettings {
  return {
    minTimeMs: Math.ceil(1000 / RENDER_LIMITS.requestsPerSecond / timeScale),
    maxConcurrent: RENDER_LIMITS.maxInFlight,
  };
}
