import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { nextUtcMidnight, utcDay } from "../dates.js";
import { RenderQuotaError } from "../errors.js";

/**
 * The daily request quota, counted across runs in a small state file: one count per
 * credential (keyed by a hash of API URL and client id, never the secret) per UTC day.
 */
export interface QuotaOptions {
  limit: number;
  stateFile: string;
  credentialKey: string;
  now: () => Date;
}

type QuotaState = Record<string, { day: string; used: number }>;

export function defaultQuotaFile(env: Record<string, string | undefined>): string {
  if (env.CAPEX_QUOTA_FILE) return env.CAPEX_QUOTA_FILE;
  const base = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "fiber-capex", "quota.json");
}

export function credentialKey(apiUrl: string, clientId: string): string {
  return createHash("sha256").update(`${apiUrl}\n${clientId}`).digest("hex").slice(0, 16);
}

export class DailyQuota {
  constructor(private readonly options: QuotaOptions) {}

  private read(): QuotaState {
    try {
      return JSON.parse(readFileSync(this.options.stateFile, "utf8")) as QuotaState;
    } catch {
      return {};
    }
  }

  /** Requests used today by this credential. */
  used(): number {
    const entry = this.read()[this.options.credentialKey];
    return entry && entry.day === utcDay(this.options.now()) ? entry.used : 0;
  }

  /** Claims one request, or throws RenderQuotaError if it would pass the limit. */
  take(): void {
    const now = this.options.now();
    const state = this.read();
    const day = utcDay(now);
    const entry = state[this.options.credentialKey];
    const used = entry && entry.day === day ? entry.used : 0;
    if (used + 1 > this.options.limit) throw new RenderQuotaError(used, this.options.limit, nextUtcMidnight(now));
    state[this.options.credentialKey] = { day, used: used + 1 };
    mkdirSync(dirname(this.options.stateFile), { recursive: true });
    const tmp = `${this.options.stateFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, this.options.stateFile);
  }
}
