/**
 * npm run bench:register [-- TASKS[,TASKS...] [sqlite,postgres]]
 *
 * A month's close on a big register, on SQLite and on PostgreSQL. For each size it writes two
 * generated snapshots: A (TASKS tasks, work from 2025-08 to 2026-10) and B (A with 1,000 tasks
 * re-measured after as-built review, i.e. 1,000 cost changes). It closes 2026-09 on an empty
 * register (the first close takes on every asset in service before September) and then
 * 2026-10 from B: the month being measured, with that month's new tasks and the 1,000 changes.
 * Each close runs in its own process (`capex close --json`), so its wall time and peak RSS are
 * its own. Prints the register's size after each close and its growth per asset per period.
 *
 * PostgreSQL: CAPEX_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test) is the server's
 * maintenance database; the bench creates and drops its own database there.
 */
import { spawn } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { writeDirAtomically } from "../atomic-dir.js";
import { packageRoot } from "../package-info.js";
import { generatedProjects, generatedTaskTypes, generateTask, projectRecord, type RawTask } from "../sandbox/generate.js";
import { NOT_FETCHED, SNAPSHOT_FOLDER, SnapshotWriter } from "../snapshot/writer.js";
import { row } from "./util.js";

const sizes = (process.argv[2] ?? "100000,1000000").split(",").map(Number);
const backends = (process.argv[3] ?? "sqlite,postgres").split(",");
const CHANGES = 1000;
const maintenance = process.env.CAPEX_BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/test";

/** Snapshot A, or B: A with every n-th early approved task re-measured (+10 % on each unit line). */
async function snapshot(tasks: number, changed: boolean): Promise<string> {
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

interface CloseRun {
  seconds: number;
  peakMb: number;
  summary: { assets: { count: number }; additions: { count: number }; adjustments: { count: number } };
}

/** One close in its own process; its peak RSS from /proc (VmHWM), read as it exits. */
function close(db: string, snap: string, period: string): Promise<CloseRun> {
  const out = join(tmpdir(), `capex-bench-register-out-${period}`);
  rmSync(out, { recursive: true, force: true });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--max-semi-space-size=64", "--max-old-space-size=4096", join(packageRoot(), "dist", "cli", "main.js"), "close", "--period", period, "--snapshot", snap, "--out", out, "--db", db, "--json", "--no-workbook"],
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

async function sqliteSize(file: string): Promise<number> {
  let size = 0;
  for (const f of [file, `${file}-wal`]) if (existsSync(f)) size += statSync(f).size;
  return size;
}

async function withMaintenance<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: maintenance });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

console.log(`register benchmark: close 2026-09 (first close, take-on), then 2026-10 with ${CHANGES} cost changes; CSV outputs (--no-workbook)\n`);
console.log(row(["backend", "tasks", "assets", "Oct additions", "Oct adjustments", "take-on close s", "month close s", "month close peak RSS MB", "DB MB after take-on", "DB MB after month", "growth bytes/asset/period"]));
console.log(row(Array(11).fill("---")));
for (const tasks of sizes) {
  const a = await snapshot(tasks, false);
  const b = await snapshot(tasks, true);
  for (const backend of backends) {
    let db: string;
    let size: () => Promise<number>;
    if (backend === "sqlite") {
      db = join(tmpdir(), `capex-bench-register-${tasks}.db`);
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      size = () => sqliteSize(db);
    } else {
      const name = `capex_bench_register_${tasks}`;
      await withMaintenance(async (c) => {
        await c.query(`drop database if exists ${name}`);
        await c.query(`create database ${name}`);
      });
      db = maintenance.replace(/\/[^/?]*(\?.*)?$/, `/${name}$1`).replace(/undefined$/, "");
      size = () => withMaintenance(async (c) => Number((await c.query("select pg_database_size($1) as s", [name])).rows[0].s));
    }
    const first = await close(db, a, "2026-09");
    const afterFirst = await size();
    const month = await close(db, b, "2026-10");
    const afterMonth = await size();
    const assets = month.summary.assets.count;
    console.log(
      row([
        backend,
        tasks,
        assets,
        month.summary.additions.count,
        month.summary.adjustments.count,
        first.seconds.toFixed(1),
        month.seconds.toFixed(1),
        month.peakMb,
        (afterFirst / 1e6).toFixed(1),
        (afterMonth / 1e6).toFixed(1),
        Math.round((afterMonth - afterFirst) / assets),
      ]),
    );
  }
}
