import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RenderClient, type RenderClientOptions } from "../src/render/client.js";
import { limiterSettings } from "../src/render/limits.js";
import type { Sandbox } from "../src/sandbox/server.js";

/** Tests run the simulator and the client 50× faster than real time. */
export const TIME_SCALE = 50;

export const FAST_RETRY = { maxAttempts: 5, baseDelayMs: 4, maxDelayMs: 40, maxTotalWaitMs: 2_000 };

/**
 * A virtual clock for the client and the simulator together: `sleep` returns at once and
 * moves the clock to when it would have woken, so rate limits are checked on the clock's
 * time, however fast or loaded the machine is.
 */
export function virtualClock(start = Date.parse("2026-11-01T00:00:00Z")): { now: () => number; date: () => Date; sleep: (ms: number) => Promise<void> } {
  let t = start;
  return {
    now: () => t,
    date: () => new Date(t),
    sleep: async (ms) => {
      const wake = t + ms;
      await Promise.resolve();
      t = Math.max(t, wake);
    },
  };
}

export function tmp(prefix = "capex-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function clientFor(sandbox: Sandbox, overrides: Partial<RenderClientOptions> = {}): RenderClient {
  return new RenderClient({
    connection: { apiUrl: sandbox.url, authUrl: sandbox.url, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret },
    limiter: limiterSettings(TIME_SCALE),
    retry: FAST_RETRY,
    timeoutMs: 2_000,
    ...overrides,
  });
}

export function baseTask(id: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    project_short_name: "P1",
    project_task_id: id,
    status: "approved",
    task_type: "install_conduit",
    asset_id: "",
    approved_date: "2026-10-15T15:00:00Z",
    approved_by: "a.kowalski",
    quantity: null,
    units: [{ unit_code: "CND-2IN-HDPE", quantity: 100, uom: "ft" }],
    ...extra,
  };
}

/** A small folder in the snapshot layout for the simulator to serve. */
export function writeSourceFolder(tasks: Record<string, unknown>[], projects?: Record<string, unknown>[]): string {
  const dir = tmp("capex-src-");
  mkdirSync(dir, { recursive: true });
  const projs = projects ?? [{ name: "Project One", short_name: "P1", timezone: "America/New_York", description: "", type: "FTTH", tenant_name: "T" }];
  writeFileSync(join(dir, "projects.json"), JSON.stringify(projs));
  writeFileSync(
    join(dir, "task_types.json"),
    JSON.stringify(Object.fromEntries(projs.map((p) => [p.short_name, [{ name: "install_conduit", unit: "ft", geometry_type: "LineString" }]]))),
  );
  writeFileSync(join(dir, "tasks.jsonl"), `${tasks.map((t) => JSON.stringify(t)).join("\n")}\n`);
  return dir;
}

/** A snapshot folder written the way capex fetch writes one. */
export async function writeSnapshot(tasks: Record<string, unknown>[], projects?: Record<string, unknown>[], fetchedAt = "2026-11-02T06:00:00.000Z"): Promise<string> {
  const { NOT_FETCHED, SnapshotWriter } = await import("../src/snapshot/writer.js");
  const dir = join(tmp("capex-snap-"), "snapshot");
  mkdirSync(dir, { recursive: true });
  const projs = projects ?? [{ name: "Project One", short_name: "P1", timezone: "America/New_York", description: "", type: "FTTH", tenant_name: "T" }];
  const w = new SnapshotWriter(dir);
  await w.writeProjects(projs);
  await w.writeTaskTypes({});
  for (const t of tasks) await w.addTask(t, String(t.project_short_name ?? "P1"));
  await w.finish([], { ...NOT_FETCHED, api_base_url: "http://127.0.0.1:1", fetched_at: fetchedAt });
  return dir;
}
