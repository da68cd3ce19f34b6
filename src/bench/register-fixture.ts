import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeDirAtomically } from "../atomic-dir.js";
import { generatedProjects, generatedTaskTypes, generateTask, projectRecord, type RawTask } from "../sandbox/generate.js";
import { NOT_FETCHED, SNAPSHOT_FOLDER, SnapshotWriter } from "../snapshot/writer.js";
import { capexCommand } from "./util.js";

/** The benchmarks' big registers: generated snapshots and closes run as a user runs them. */
export const CHANGES = 1000;

/** Snapshot A, or B: A with every n-th early approved task re-measured (+10 % on each unit line). */
export async function snapshot(tasks: number, changed: boolean): Promise<string> {
  const dir = join(tmpdir(), `capex-bench-register-${tasks}-${changed ? "b" : "a"}`);
  if (existsSync(join(dir, "manifest.json"))) return dir;
  const projects = generatedProjects(tasks);
  const every = Math.max(1, Math.floor(tasks / 15 / CHANGES)); // among the first months' tasks
  let edits = 0;
  await writeDirAtomically(dir, SNAPSHOT_FOLDER, async (tmp) => {
    const w = new SnapshotWriter(tmp);
    await w.writeProjects(projects.map(projectRecord));
    await w.writeTaskTypes(Object.fromEntries(projects.map((p) => [p.short_name, generatedTaskTypes()])));
    for (const p of projects) {
      for (let i = 0; i < p.taskCount; i++) {
        let t = generateTask(1, p, i);
        if (changed && edits < CHANGES && i % every === 0 && t.status === "approved" && Array.isArray(t.units) && t.units.length > 0) {
          t = { ...t, units: (t.units as RawTask[]).map((u) => ({ ...u, quantity: Math.round((u.quantity as number) * 1.1) + 1 })) };
          edits++;
        }
        await w.addTask(t, p.short_name);
      }
    }
    await w.finish([], { ...NOT_FETCHED, api_base_url: "generated", fetched_at: "2026-11-02T00:00:00.000Z" });
  });
  return dir;
}

export interface CloseRun {
  seconds: number;
  peakMb: number;
  summary: { assets: { count: number }; additions: { count: number }; adjustments: { count: number } };
}

/** One close in its own process; its peak RSS from /proc (VmHWM), read as it exits. */
export function close(db: string, snap: string, period: string): Promise<CloseRun> {
  const out = join(tmpdir(), `capex-bench-register-out-${period}`);
  rmSync(out, { recursive: true, force: true });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...capexCommand(), "close", "--period", period, "--snapshot", snap, "--out", out, "--db", db, "--json", "--no-workbook"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let text = "";
    child.stdout.on("data", (c: Buffer) => {
      text += c.toString();
    });
    child.on("exit", (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`capex close ${period} exited ${code}: ${text.slice(0, 500)}`));
      const summary = JSON.parse(text) as CloseRun["summary"] & { peak_rss_mb?: number };
      rmSync(out, { recursive: true, force: true });
      resolve({ seconds, peakMb: summary.peak_rss_mb ?? Number.NaN, summary });
    });
  });
}

