/**
 * npm run bench:audit [-- TASKS] — the audit report of a big register's month: closes 2026-09
 * (take-on) and 2026-10 on a generated snapshot of TASKS tasks (default 100,000) on SQLite,
 * then times `capex audit --period 2026-10` in its own process: wall time, peak RSS, the
 * PDF's size and pages.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { close, snapshot } from "./register-fixture.js";
import { capexCommand, row } from "./util.js";

const tasks = Number(process.argv[2] ?? 100_000);
const db = join(tmpdir(), `capex-bench-audit-${tasks}.db`);
for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
await close(db, await snapshot(tasks, false), "2026-09");
const month = await close(db, await snapshot(tasks, true), "2026-10");
const out = join(tmpdir(), `capex-bench-audit-out-${tasks}`);
rmSync(out, { recursive: true, force: true });
const t0 = performance.now();
const summary = await new Promise<{ sample: { items: number } }>((resolve, reject) => {
  const child = spawn(process.execPath, [...capexCommand(), "audit", "--period", "2026-10", "--db", db, "--out", out, "--json"], { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  child.stdout.on("data", (c: Buffer) => {
    text += c.toString();
  });
  child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`capex audit exited ${code}`))));
});
const seconds = (performance.now() - t0) / 1000;
const pdf = join(out, "audit-2026-10.pdf");
const pages = (readFileSync(pdf, "latin1").match(/\/Type \/Page\b/g) ?? []).length;
console.log(`audit benchmark: a ${tasks}-task register (${month.summary.assets.count} assets), period 2026-10 (${month.summary.additions.count} additions)\n`);
console.log(row(["assets", "audit s", "PDF pages", "PDF MB", "sampled items"]));
console.log(row(["---", "---", "---", "---", "---"]));
console.log(row([month.summary.assets.count, seconds.toFixed(1), pages, (statSync(pdf).size / 1e6).toFixed(1), summary.sample.items]));
