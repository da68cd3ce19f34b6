/**
 * npm run bench:pandas [-- TASKS [PAIRS]]   (default 100000 tasks, 3 pairs)
 *
 * fiber-capex against the pandas script an analyst would write instead
 * (bench/pandas_baseline.py: what it does and does not do is in its docstring), on the same
 * generated snapshot (src/bench/util.ts), period 2026-10.
 *
 * Each pair runs `capex close` in its own process on a fresh register (a temporary SQLite
 * file: the first close of an empty register) and the pandas script, the two in alternating
 * order, once with the workbook and once CSV files only (--no-workbook). Prints the medians,
 * the ratios and the peak RSS of every run; then, in this process, each stage against what
 * this machine does with the same data and nothing else: ingest against JSON.parse alone,
 * CSV rows/s against plain batched writes of the same rows, and workbook rows/s.
 *
 * pandas, xlsxwriter and PyYAML for python3 are not npm packages; on Debian or Ubuntu:
 *   apt-get install -y python3-pandas python3-xlsxwriter python3-yaml
 * PYTHON names the interpreter to use (default: the first of python3, /usr/bin/python3 that
 * imports them).
 */
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { classifyRecords } from "../capitalize/classify.js";
import { closePeriod } from "../close/close.js";
import { defaultRulesFile, packageRoot } from "../package-info.js";
import { TextBatch } from "../report/batch.js";
import { writeCsvTable } from "../report/csv-file.js";
import { closeTables, rulesTable, type Table, taxByClassTable } from "../report/tables.js";
import { writeWorkbook } from "../report/workbook.js";
import { loadRules } from "../rules/load.js";
import { lineBatches } from "../snapshot/lines.js";
import { openSnapshot } from "../snapshot/reader.js";
import { capexCommand, generatedSnapshot, row } from "./util.js";

const tasks = Number(process.argv[2] ?? 100_000);
const pairs = Number(process.argv[3] ?? 3);
const PERIOD = "2026-10";
const TODAY_WORKBOOK_ROWS_PER_S = 46_000; // issue 12's measure of the exceljs writer

interface Run {
  seconds: number;
  peakMb: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (xs: number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;

function findPython(): string | undefined {
  const candidates = [process.env.PYTHON, "python3", "/usr/bin/python3"].filter((c): c is string => !!c);
  return candidates.find((c) => spawnSync(c, ["-c", "import pandas, xlsxwriter, yaml"], { stdio: "ignore" }).status === 0);
}

/** Runs a command to its end; its wall time, and the peak RSS it reports in its JSON output. */
function timed(command: string, args: string[]): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => void (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => void (err += c.toString()));
    child.on("exit", (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${err.slice(-800)}`));
      // capex prints one JSON document (indented); the pandas script one JSON line.
      const text = out.trim();
      const json = JSON.parse(text.startsWith("{\n") ? text : text.split("\n").pop()!) as { peak_rss_mb: number };
      resolve({ seconds, peakMb: json.peak_rss_mb });
    });
  });
}

function capex(snapshot: string, workbook: boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "capex-bench-pandas-"));
  const args = [...capexCommand(), "close", "--period", PERIOD, "--snapshot", snapshot, "--out", join(dir, "out"), "--db", join(dir, "register.db"), "--json"];
  return timed(process.execPath, workbook ? args : [...args, "--no-workbook"]).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function pandas(python: string, snapshot: string, workbook: boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "capex-bench-pandas-py-"));
  const args = [join(packageRoot(), "bench", "pandas_baseline.py"), snapshot, PERIOD, join(dir, "out"), defaultRulesFile(), ...(workbook ? ["--workbook"] : [])];
  return timed(python, args).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** `fn` timed `n` times, alternating with `other` when given; the seconds of each. */
async function alternate(n: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number[], number[]]> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const [fn, into] of i % 2 ? ([[b, tb], [a, ta]] as const) : ([[a, ta], [b, tb]] as const)) {
      globalThis.gc?.();
      const t = performance.now();
      await fn();
      into.push((performance.now() - t) / 1000);
    }
  }
  return [ta, tb];
}

/** The same rows as writeCsvTable writes, joined with commas and nothing else, in the same 64 KB batches. */
async function plainCsv(file: string, table: Table): Promise<void> {
  const out = createWriteStream(file);
  const batch = new TextBatch(out);
  batch.add(`${table.columns.map((c) => c.name).join(",")}\r\n`);
  for (const r of table.rows()) {
    batch.add(`${r.join(",")}\r\n`);
    if (batch.full) await batch.flush();
  }
  await batch.flush();
  out.end();
  await finished(out);
}

const snapshot = await generatedSnapshot(tasks);
const python = findPython();
console.log(`bench:pandas — ${tasks} generated tasks, close ${PERIOD}, ${pairs} alternated pairs per path`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${loadavg()[0]!.toFixed(1)} at start\n`);
if (!python) console.log("pandas baseline skipped: no python3 imports pandas, xlsxwriter and yaml (apt-get install -y python3-pandas python3-xlsxwriter python3-yaml, or set PYTHON)\n");

const results: Array<{ path: string; capex: Run[]; pandas: Run[]; target: number }> = [];
for (const [path, workbook, target] of [["close with workbook", true, 0.5], ["CSV files only (--no-workbook)", false, 1.0]] as const) {
  const mine: Run[] = [];
  const theirs: Run[] = [];
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 ? ["pandas", "capex"] : ["capex", "pandas"];
    for (const who of order) {
      if (who === "capex") mine.push(await capex(snapshot, workbook));
      else if (python) theirs.push(await pandas(python, snapshot, workbook));
    }
  }
  results.push({ path, capex: mine, pandas: theirs, target });
}
console.log(row(["path", "fiber-capex s, median (min–max)", "peak RSS MB (each run)", "pandas s, median (min–max)", "pandas peak RSS MB", "ratio", "target"]));
console.log(row(Array(7).fill("---")));
for (const r of results) {
  const ratio = r.pandas.length ? median(r.capex.map((x) => x.seconds)) / median(r.pandas.map((x) => x.seconds)) : Number.NaN;
  console.log(
    row([
      r.path,
      fmt(r.capex.map((x) => x.seconds)),
      r.capex.map((x) => x.peakMb).join(", "),
      r.pandas.length ? fmt(r.pandas.map((x) => x.seconds)) : "-",
      r.pandas.length ? Math.max(...r.pandas.map((x) => x.peakMb)) : "-",
      Number.isNaN(ratio) ? "-" : ratio.toFixed(2),
      `≤ ${r.target.toFixed(1)}`,
    ]),
  );
}

// Stages, in this process, each against this machine's limit for the same data.
const rules = await loadRules(defaultRulesFile());
const tasksFile = join(snapshot, "tasks.jsonl");
const [parseOnly, ingest] = await alternate(
  3,
  async () => {
    for await (const lines of lineBatches(tasksFile)) for (const line of lines) JSON.parse(line);
  },
  async () => {
    const s = await openSnapshot(snapshot);
    await classifyRecords(s.batches(), rules, s.projects, { fetchedAt: s.manifest.fetched_at });
  },
);
const result = await closePeriod({ snapshot: await openSnapshot(snapshot), rules, period: PERIOD });
const tables = closeTables(result);
const csvRows = tables.reduce((n, t) => n + t.rowCount, 0);
const dir = mkdtempSync(join(tmpdir(), "capex-bench-stages-"));
const [plain, csv] = await alternate(
  3,
  async () => {
    for (const t of tables) await plainCsv(join(dir, `plain-${t.file}`), t);
  },
  async () => {
    for (const t of tables) await writeCsvTable(join(dir, t.file), t);
  },
);
const sheets = ["journal", "additions", "register", "depreciation", "rollforward", "adjustments", "disposals", "expensed", "exceptions"].map((n) => tables.find((t) => t.file === `${n}.csv`)!);
const content = { title: `close ${PERIOD}`, footer: `close ${PERIOD}`, summary: [], identities: result.identities, tables: [...sheets, rulesTable(rules), taxByClassTable(result)] };
const workbookRows = content.tables.reduce((n, t) => n + t.rowCount, 0);
const [book] = await alternate(3, () => writeWorkbook(join(dir, "w.xlsx"), content, { created: new Date(`${result.periodEnd}T00:00:00Z`) }), async () => {});
rmSync(dir, { recursive: true, force: true });

console.log(`\nstages (this process, 3 alternated runs each, medians):`);
console.log(row(["stage", "fiber-capex", "this machine's limit", "ratio", "target"]));
console.log(row(Array(5).fill("---")));
console.log(row([`ingest ${tasks} tasks (read, validate, classify, price)`, `${median(ingest).toFixed(2)} s`, `${median(parseOnly).toFixed(2)} s (read + JSON.parse alone)`, `${(median(ingest) / median(parseOnly)).toFixed(2)}×`, "≤ 2×"]));
const csvRate = csvRows / median(csv);
const plainRate = csvRows / median(plain);
console.log(row([`CSV files, ${csvRows} rows`, `${Math.round(csvRate)} rows/s`, `${Math.round(plainRate)} rows/s (same rows, plain batched writes)`, `${(plainRate / csvRate).toFixed(2)}×`, "≤ 1.5×"]));
const bookRate = workbookRows / median(book);
console.log(row([`workbook, ${workbookRows} rows`, `${Math.round(bookRate)} rows/s`, `${TODAY_WORKBOOK_ROWS_PER_S} rows/s (exceljs, issue 12)`, `${(bookRate / TODAY_WORKBOOK_ROWS_PER_S).toFixed(2)}× faster`, "≥ 3×"]));
console.log(`\nload average ${loadavg()[0]!.toFixed(1)} at the end`);
