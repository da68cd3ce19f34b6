import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { nextUtcMidnight, utcDay } from "../dates.js";
import { z } from "zod";
import { ConfigError, RenderQuotaError } from "../errors.js";

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

const quotaStateSchema = z.record(z.string(), z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), used: z.number().int().nonnegative() }));
type QuotaState = z.infer<typeof quotaStateSchema>;

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

  /**
   * The counts so far; none before the first request. A file that cannot be read is refused,
   * never taken as zero: that would let a run pass the quota Render enforces.
   */
  private read(): QuotaState {
    const file = this.options.stateFile;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw new ConfigError(`${file}: cannot read the daily quota file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Make it readable, or set CAPEX_QUOTA_FILE to another file.`);
    }
    let parsed: ReturnType<typeof quotaStateSchema.safeParse> | undefined;
    try {
      parsed = quotaStateSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      throw new ConfigError(
        `${file}: the daily quota file is damaged (expected {"<credential>": {"day": "YYYY-MM-DD", "used": N}}), so today's request count is unknown. ` +
          "Fix it, or delete it to start counting again from 0 (Render still enforces its own quota).",
      );
    }
    return parsed.data;
  }

  /** Requests used today by this credential. */
  used(): number {
    const entry = this.read()[this.options.credentialKey];
    return entry && entry.day === utcDay(this.options.now()) ? entry.used : 0;
  }

  /**
   * Claims one request, or throws RenderQuotaError if it would pass the limit. Under the
   * file's lock: two runs at once (two fetches, a fetch and a label) each read, add one and
   * write, and without it one's count was lost (two fetches, 40 requests, 37 counted).
   */
  take(): void {
    this.locked(() => {
      const now = this.options.now();
      const state = this.read();
      const day = utcDay(now);
      const entry = state[this.options.credentialKey];
      const used = entry && entry.day === day ? entry.used : 0;
      if (used + 1 > this.options.limit) throw new RenderQuotaError(used, this.options.limit, nextUtcMidnight(now));
      state[this.options.credentialKey] = { day, used: used + 1 };
      const tmp = `${this.options.stateFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(state));
      renameSync(tmp, this.options.stateFile);
    });
  }

  /**
   * Runs `fn` holding `FILE.lock` (made with O_EXCL, holding the holder's pid). It is held for
   * a read and a write, so a run waits a few milliseconds at most; a lock whose process is
   * gone (killed while holding it) is taken over.
   */
  private locked<T>(fn: () => T): T {
    const file = this.options.stateFile;
    const lock = `${file}.lock`;
    mkdirSync(dirname(file), { recursive: true });
    for (let waits = 0; ; waits++) {
      try {
        writeFileSync(lock, String(process.pid), { flag: "wx" });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new ConfigError(`${lock}: cannot lock the daily quota file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Make its folder writable, or set CAPEX_QUOTA_FILE to another file.`);
        }
        if (holderIsGone(lock)) {
          rmSync(lock, { force: true });
          continue;
        }
        if (waits === LOCK_WAITS) {
          throw new ConfigError(`${lock}: another fiber-capex run has held the daily quota file's lock for over ${(LOCK_WAITS * LOCK_WAIT_MS) / 1000} s. If no other run is going, delete the lock file.`);
        }
        Atomics.wait(SLEEPER, 0, 0, LOCK_WAIT_MS);
      }
    }
    try {
      return fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

const LOCK_WAIT_MS = 2;
const LOCK_WAITS = 5_000;
/** take() is synchronous (it runs before each request is sent): a wait for the lock blocks this thread briefly. */
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** True when the lock names a process that no longer runs (an empty lock is being written: not gone). */
function holderIsGone(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, "utf8"));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
