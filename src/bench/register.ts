/**
 * npm run bench:register [-- TASKS[,TASKS...] [sqlite,postgres]]   (default 100000,1470000)
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
import { existsSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { CHANGES, close, snapshot } from "./register-fixture.js";
import { row } from "./util.js";

// 1,470,000 generated tasks make a register of about a million assets (the size).
const sizes = (process.argv[2] ?? "100000,1470000").split(",").map(Number);
const backends = (process.argv[3] ?? "sqlite,postgres").split(",");
const maintenance = process.env.CAPEX_BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/test";

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
