import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePeriod } from "../src/close/close.js";
import { postingOf, runMonthEnd } from "../src/close/month-end.js";
import { InputError, PeriodOrderError, RegisterBusyError, RegisterOpenError } from "../src/errors.js";
import { importAssets } from "../src/register/import.js";
import { stateDigest } from "../src/register/model.js";
import { parseRetirements, readRetirements } from "../src/register/retirements.js";
import { RegisterStore, registerLocation } from "../src/register/store.js";
import { registerSummary } from "../src/register/summary.js";
import { loadRules } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";
import { BACKENDS, type BackendName, closeBackends, freshRegister, pgliteFolder, type TestRegister } from "./register-backends.js";

/** The built CLI (npm test builds before vitest runs). */
const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const PGLITE_CLOSE = join(import.meta.dirname, "pglite-close.mjs");
const FIXED_NOW = () => new Date("2026-12-01T09:00:00.000Z");

const conduit = (quantity: number) => ({ units: [{ unit_code: "CND-2IN-HDPE", quantity, uom: "ft" }] });
const fiber = { task_type: "install_aerial_fiber", units: [{ unit_code: "AF-144CT", quantity: 1000, uom: "ft" }] };

/**
 * Three months of Render as the register sees them: September takes on an August asset;
 * October brings a cost edit, a late September approval, a rejection and a new asset;
 * November a new asset and a quarter of an asset retired.
 */
const SEPTEMBER = [
  // Backslashes, a tab and a line break in free text: what PostgreSQL's COPY must escape.
  baseTask(1, { approved_date: "2026-08-10T14:00:00Z", street_address: "Unit 4\\B\tRear\nGate \\N" }),
  baseTask(2, { approved_date: "2026-09-10T14:00:00Z" }),
  baseTask(5, { approved_date: "2026-09-12T14:00:00Z", ...fiber }),
];
const OCTOBER = [
  SEPTEMBER[0]!,
  baseTask(2, { approved_date: "2026-09-10T14:00:00Z", ...conduit(150) }),
  baseTask(3, { approved_date: "2026-10-05T14:00:00Z" }),
  baseTask(4, { approved_date: "2026-09-20T14:00:00Z" }),
  baseTask(5, { status: "rejected", approved_date: "", ...fiber }),
];
const NOVEMBER = [...OCTOBER, baseTask(6, { approved_date: "2026-11-03T14:00:00Z", ...conduit(40) })];
const NOVEMBER_RETIREMENTS = "asset_id,date,portion,proceeds,removal_cost,reason\nP1-1,2026-11-15,25%,100.00,20.00,cable cut\n";

let rules: Rules;
let snapshots: Record<"sep" | "oct" | "octEdited" | "nov", string>;
let retirementsFile: string;

beforeAll(async () => {
  rules = await loadRules("rules/render-fiber.yaml");
  snapshots = {
    sep: await writeSnapshot(SEPTEMBER),
    oct: await writeSnapshot(OCTOBER),
    octEdited: await writeSnapshot(OCTOBER.map((t) => (t.project_task_id === 3 ? { ...t, ...conduit(120) } : t))),
    nov: await writeSnapshot(NOVEMBER),
  };
  retirementsFile = join(tmp(), "retirements.csv");
  writeFileSync(retirementsFile, NOVEMBER_RETIREMENTS);
});

afterAll(closeBackends);

async function close(store: RegisterStore, period: string, snapshot: string, out: string, retirements?: string) {
  // The snapshots were fetched on 2026-11-02: November closes provisionally.
  return runMonthEnd({ register: store, snapshot: await openSnapshot(snapshot), rules, period, out, retirementsFile: retirements, allowOpenPeriod: period === "2026-11", now: FIXED_NOW });
}

/** Every output file's bytes, by name. */
function outputs(dir: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

const TABLES = ["capex_register", "kysely_migration", "periods", "assets", "asset_events", "asset_balances", "journal_lines", "class_balances", "opening_balances", "expensed_postings"];

/** A digest of every row of every table: equal digests, an unchanged register. */
async function registerDigest(store: RegisterStore, tables = TABLES): Promise<string> {
  const h = createHash("sha256");
  for (const table of tables) {
    const rows = await store.db.selectFrom(table as "periods").selectAll().execute();
    h.update(`${table}\n`);
    for (const line of rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? Number(v) : v))).sort()) h.update(`${line}\n`);
  }
  return h.digest("hex");
}

/** What a register holds, without the rows' clock: status, state digest, every row. */
async function snapshotOf(reg: { open(): Promise<RegisterStore> }) {
  const store = await reg.open();
  try {
    return { status: await store.status(), state: stateDigest(await store.loadState()), rows: await registerDigest(store) };
  } finally {
    await store.close();
  }
}

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the run's stderr shows `text`. */
  saw(text: string): Promise<void>;
}

const capex = (args: string[], env: Record<string, string> = {}): Run => node([CLI, ...args], env);

function node(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: tmp(), CAPEX_QUOTA_FILE: join(tmp(), "q.json"), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const run: Run = {
    child,
    stdout: "",
    stderr: "",
    exit: new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal }))),
    saw: (text) =>
      new Promise<void>((resolve, reject) => {
        if (run.stderr.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void run.exit.then(() => reject(new Error(`the run ended without printing ${text}; stderr: ${run.stderr}`)));
      }),
  };
  child.stdout!.on("data", (d: Buffer) => {
    run.stdout += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    run.stderr += d.toString();
    for (const w of waiters) if (run.stderr.includes(w.text)) w.resolve();
  });
  return run;
}

const closeArgs = (period: string, snapshot: string, out: string, db: string) => ["close", "--period", period, "--snapshot", snapshot, "--out", out, "--db", db];

/** Temporary folders a run left beside `out`. */
const leftovers = (out: string) => readdirSync(join(out, "..")).filter((n) => n.startsWith(".") && n.includes(".tmp-"));

describe("both backends give byte-identical outputs for the same sequence of closes", () => {
  it("closes September to November with a late approval, a cost edit, a rejection and a retirement", async () => {
    const results: Record<string, { files: Record<string, Record<string, Buffer>>; state: string; status: unknown }> = {};
    for (const backend of BACKENDS) {
      const reg = await freshRegister(backend);
      try {
        const store = await reg.open();
        const dir = tmp(`capex-${backend}-`);
        const files: Record<string, Record<string, Buffer>> = {};
        try {
          for (const [period, snap, retire] of [
            ["2026-09", snapshots.sep, undefined],
            ["2026-10", snapshots.oct, undefined],
            ["2026-11", snapshots.nov, retirementsFile],
          ] as const) {
            expect((await close(store, period, snap, join(dir, period), retire)).status).toBe("closed");
            files[period] = outputs(join(dir, period));
          }
          const status = await store.status();
          // register status's cost by period foots, month after month: September takes on, October adjusts, November retires.
          const costs = (await registerSummary(store)).periods.map((p) => [p.period, p.openingCost, p.takenOn, p.additions, p.costAdjustments, p.retired, p.closingCost]);
          expect(costs.map(([period, ...amounts]) => {
            const [opening, takenOn, additions, adjustments, retired, closing] = amounts.map((a) => Math.round(Number(a) * 100));
            return [period, opening! + takenOn! + additions! + adjustments! - retired! === closing];
          })).toEqual([["2026-09", true], ["2026-10", true], ["2026-11", true]]);
          expect(costs.map((c) => [c[0], c[2], c[5]])).toEqual([["2026-09", "1924.00", "0.00"], ["2026-10", "0.00", "0.00"], ["2026-11", "0.00", "481.00"]]);
          // The free text came back exactly as posted (COPY's escapes on PostgreSQL).
          expect((await store.assetHistory("P1-1"))!.events.map((e) => e.record.location.streetAddress)).toEqual(["Unit 4\\B\tRear\nGate \\N", "Unit 4\\B\tRear\nGate \\N"]);
          results[backend] = {
            files,
            state: stateDigest(await store.loadState()),
            status: { ...status, location: undefined, backend: undefined, periods: status.periods.map((p) => ({ ...p, closedBy: undefined })) },
          };
        } finally {
          await store.close();
        }
      } finally {
        await reg.dispose();
      }
    }
    const { sqlite, postgres } = results as Record<BackendName, (typeof results)[string]>;
    expect(Object.keys(sqlite!.files["2026-11"]!)).toEqual([
      "additions.csv", "adjustments.csv", "capex-2026-11.xlsx", "cost_elements.csv", "depreciation.csv", "disposals.csv", "exceptions.csv", "expensed.csv", "journal.csv", "manifest.json", "register.csv", "rollforward.csv", "tax.csv",
    ]);
    // The sequence did what it says: October's adjustments and November's disposal are there.
    expect(sqlite!.files["2026-10"]!["adjustments.csv"]!.toString().split("\r\n").map((l) => l.split(",").slice(0, 4).join(","))).toEqual([
      "asset_id,project,task_id,kind", "P1-2,P1,2,cost_change", "P1-4,P1,4,late_addition", "P1-5,P1,5,withdrawal", "",
    ]);
    expect(sqlite!.files["2026-11"]!["disposals.csv"]!.toString().split("\r\n")).toHaveLength(3);
    for (const period of ["2026-09", "2026-10", "2026-11"]) {
      for (const [name, bytes] of Object.entries(sqlite!.files[period]!)) {
        // The clock is fixed, so even the manifest (generated_at) is the same, but for the id of the register each close posted to.
        if (name === "manifest.json") {
          const [a, b] = [bytes, postgres!.files[period]![name]!].map((x) => JSON.parse(x.toString("utf8")) as { register: { id: string } });
          expect(a!.register.id).not.toBe(b!.register.id);
          expect({ ...a, register: undefined }).toEqual({ ...b, register: undefined });
        } else expect(postgres!.files[period]![name]!.equals(bytes), `${period}/${name}`).toBe(true);
      }
      expect(Object.keys(postgres!.files[period]!)).toEqual(Object.keys(sqlite!.files[period]!));
    }
    expect(postgres!.state).toBe(sqlite!.state);
    expect(postgres!.status).toEqual(sqlite!.status);
  }, 120_000);
});

describe.each(BACKENDS)("the register on %s", (backend) => {
  /** Each test on its own fresh register (a fresh file, database, or emptied PGlite schema). */
  async function withRegister(fn: (r: TestRegister) => Promise<void>): Promise<void> {
    const reg = await freshRegister(backend);
    try {
      await fn(reg);
    } finally {
      await reg.dispose();
    }
  }

  it("closed is closed: the latest period re-runs identically and changes nothing, anything else is refused; reopen then close again", () =>
    withRegister(async (r) => {
      const dir = tmp();
      const store = await r.open();
      try {
        await close(store, "2026-09", snapshots.sep, join(dir, "2026-09"));
        const afterSeptember = await registerDigest(store);
        expect((await close(store, "2026-10", snapshots.oct, join(dir, "2026-10"))).status).toBe("closed");
        const first = outputs(join(dir, "2026-10"));
        const before = { status: await store.status(), rows: await registerDigest(store) };

        const again = await close(store, "2026-10", snapshots.oct, join(dir, "2026-10-again"));
        expect(again.status).toBe("rewritten");
        expect(outputs(join(dir, "2026-10-again"))).toEqual(first);
        expect({ status: await store.status(), rows: await registerDigest(store) }).toEqual(before);
        // Re-run into the period's folder naming the snapshot another way (a link elsewhere): the
        // same outputs, the snapshot named as the close named it.
        const link = join(tmp(), "snapshot-link");
        symlinkSync(resolve(snapshots.oct), link);
        expect((await close(store, "2026-10", link, join(dir, "2026-10"))).status).toBe("rewritten");
        expect(outputs(join(dir, "2026-10"))).toEqual(first);
        // Re-run otherwise than it was closed (no workbook): refused, the earlier outputs left as they were.
        const otherwise = runMonthEnd({ register: store, snapshot: await openSnapshot(snapshots.oct), rules, period: "2026-10", out: join(dir, "2026-10-again"), workbook: false, now: FIXED_NOW });
        await expect(otherwise).rejects.toThrow(
          new PeriodOrderError(
            "2026-10 is already closed with these inputs, but this run would not write the same outputs again: capex-2026-10.xlsx was written by the close and would not be now. Nothing was written. " +
              "Re-run it as it was closed (the same --workbook or --no-workbook and --erp), or reopen it (capex reopen --period 2026-10) to close it otherwise.",
          ),
        );
        expect(outputs(join(dir, "2026-10-again"))).toEqual(first);

        const closedSha = before.status.periods[1]!.snapshotSha256;
        const edited = await openSnapshot(snapshots.octEdited);
        const refused = runMonthEnd({ register: store, snapshot: edited, rules, period: "2026-10", out: join(dir, "edited"), now: FIXED_NOW });
        await expect(refused).rejects.toThrow(PeriodOrderError);
        await expect(refused).rejects.toThrow(
          `2026-10 is already closed, with other inputs: the snapshot (closed with ${(await store.periodReport("2026-10"))!.snapshotPath}, manifest sha256 ${closedSha.slice(0, 12)}…, given ${edited.dir}, ${edited.manifestSha256.slice(0, 12)}…). ` +
            "A closed period never changes behind the ledger's back: to close it again run capex reopen --period 2026-10 first (only the latest closed period can be reopened), " +
            "or close the next period and let the changes flow through its adjustments.",
        );
        await expect(close(store, "2026-12", snapshots.nov, join(dir, "2026-12"))).rejects.toThrow(
          new PeriodOrderError("the register's latest closed period is 2026-10; close 2026-11 next (periods are closed in order, none skipped)"),
        );
        await expect(close(store, "2026-09", snapshots.sep, join(dir, "2026-09-again"))).rejects.toThrow(
          new PeriodOrderError(
            "2026-09 is closed and only the latest closed period (2026-10) can be re-run or reopened; corrections to 2026-09 flow through the adjustments of the next close, " +
              "and its outputs are written again, as the close wrote them, by capex verify --period 2026-09 --snapshot DIR --restore DIR",
          ),
        );
        await expect(close(store, "2026-08", snapshots.sep, join(dir, "2026-08"))).rejects.toThrow(
          new PeriodOrderError(
            "2026-08 is before the register's first closed period (2026-09), and a register closes forward from there: close 2026-11 next, or close 2026-08 into a register of its own (--db)",
          ),
        );
        for (const refusedOut of ["edited", "2026-12", "2026-09-again", "2026-08"]) expect(existsSync(join(dir, refusedOut))).toBe(false);
        expect({ status: await store.status(), rows: await registerDigest(store) }).toEqual(before);

        // Reopen rolls October back to the register as September left it; then October closes on the edited snapshot.
        await store.exclusive((tx) => tx.reopen("2026-10", { at: "2026-11-04T00:00:00.000Z", by: "test", reason: "edited snapshot" }));
        expect(await registerDigest(store)).toBe(afterSeptember);
        // The close it removed stays in the reopen log, with who removed it, when and why.
        const removed = before.status.periods[1]!;
        expect(await store.reopenLog()).toEqual([
          {
            period: "2026-10",
            reopenedAt: "2026-11-04T00:00:00.000Z",
            reopenedBy: "test",
            reason: "edited snapshot",
            removed: {
              kind: "close",
              closedAt: removed.closedAt,
              closedBy: removed.closedBy,
              snapshotSha256: removed.snapshotSha256,
              rulesSha256: removed.rulesSha256,
              toolVersion: removed.toolVersion,
              controlTotals: removed.controlTotals,
              outputHashes: removed.outputHashes,
            },
          },
        ]);
        const reclosed = await runMonthEnd({ register: store, snapshot: edited, rules, period: "2026-10", out: join(dir, "2026-10-edited"), now: FIXED_NOW });
        expect(reclosed.status).toBe("closed");
        expect((await store.status()).periods.map((p) => [p.period, p.snapshotSha256])).toEqual([
          ["2026-09", before.status.periods[0]!.snapshotSha256],
          ["2026-10", edited.manifestSha256],
        ]);
      } finally {
        await store.close();
      }
    }),
  60_000);

  it(
    "refuses a second close of the register while one runs: one proceeds, the other changes nothing",
    () =>
      withRegister(async (r) => {
        const dir = tmp();
        const store = await r.open();
        await close(store, "2026-09", snapshots.sep, join(dir, "2026-09"));
        if (r.db === undefined) {
          // PGlite is one single-user PostgreSQL session in this process: a second store cannot
          // share it and no other process can reach it. Two runs on one store: the driver queues
          // the second behind the first's transaction, which then finds October closed with the
          // same inputs and only rewrites its outputs. Never two postings.
          const both = await Promise.all([close(store, "2026-10", snapshots.oct, join(dir, "a")), close(store, "2026-10", snapshots.oct, join(dir, "b"))]);
          expect(both.map((o) => o.status)).toEqual(["closed", "rewritten"]);
          expect((await store.status()).periods.map((p) => p.period)).toEqual(["2026-09", "2026-10"]);
          await store.close();
          return;
        }
        await store.close();
        const db = r.db;
        const before = await snapshotOf(r);
        const first = capex(closeArgs("2026-10", snapshots.oct, join(dir, "first"), db), { CAPEX_TEST_PAUSE: "after-lock" });
        await first.saw("capex-test-pause: after-lock");
        const second = capex(closeArgs("2026-10", snapshots.oct, join(dir, "second"), db));
        expect(await second.exit).toEqual({ code: 1, signal: null });
        expect(second.stderr).toBe(`capex: the register ${db} is being closed by another run; nothing was changed. Wait for that run to finish, then run this command again.\n`);
        expect(readdirSync(dir).sort()).toEqual(["2026-09"]);
        expect(await snapshotOf(r)).toEqual(before);
        first.child.kill("SIGUSR2");
        expect(await first.exit).toEqual({ code: 0, signal: null });
        expect(readdirSync(dir).sort()).toEqual(["2026-09", "first"]);
        expect((await snapshotOf(r)).status.periods.map((p) => p.period)).toEqual(["2026-09", "2026-10"]);
      }),
    60_000,
  );

  it(
    "survives a close killed for real: before the commit nothing changed; after it the period is closed and a re-run rewrites the same outputs",
    () =>
      withRegister(async (shared) => {
        const dir = tmp();
        const out = join(dir, "2026-10");
        // PGlite lives inside one process: the run to kill is a child with its own PGlite on a data folder.
        const folder = shared.db === undefined ? pgliteFolder() : undefined;
        const r = folder ?? shared;
        const start = (point: string) =>
          folder
            ? node([PGLITE_CLOSE, folder.dir, "2026-10", snapshots.oct, out], { CAPEX_TEST_PAUSE: point })
            : capex(closeArgs("2026-10", snapshots.oct, out, shared.db!), { CAPEX_TEST_PAUSE: point });
        const store = await r.open();
        await close(store, "2026-09", snapshots.sep, join(dir, "2026-09"));
        await store.close();
        const killedAt = async (point: string) => {
          const run = start(point);
          await run.saw(`capex-test-pause: ${point}`);
          run.child.kill("SIGKILL");
          expect(await run.exit).toEqual({ code: null, signal: "SIGKILL" });
          await shared.settle();
        };
        const before = await snapshotOf(r);

        await killedAt("before-commit");
        expect(await snapshotOf(r)).toEqual(before);
        expect(existsSync(out)).toBe(false);
        const firstLeftovers = leftovers(out);
        expect(firstLeftovers).toHaveLength(1);

        await killedAt("after-commit");
        const after = await snapshotOf(r);
        expect(after.status.periods.map((p) => p.period)).toEqual(["2026-09", "2026-10"]);
        expect(existsSync(out)).toBe(false);
        // The second run removed the first's stale folder and left only its own.
        expect(leftovers(out)).toHaveLength(1);
        expect(leftovers(out)).not.toEqual(firstLeftovers);

        const reopened = await r.open();
        try {
          const rerun = await close(reopened, "2026-10", snapshots.oct, out);
          expect(rerun.status).toBe("rewritten");
          // The outputs are the ones the register recorded at the commit, byte for byte.
          const recorded = (await reopened.closedPeriod("2026-10"))!.outputHashes;
          const files = outputs(out);
          expect(Object.fromEntries(Object.entries(files).filter(([f]) => f !== "manifest.json").map(([f, b]) => [f, sha256(b)]))).toEqual(recorded);
        } finally {
          await reopened.close();
        }
        expect(leftovers(out)).toEqual([]);
        expect(await snapshotOf(r)).toEqual(after);
      }),
    90_000,
  );

  it(
    "refuses to open what is not a register, a register of a newer fiber-capex, and an unreachable server, saying what to do",
    () =>
      withRegister(async (r) => {
        const open = async (where: Parameters<typeof RegisterStore.open>[0]) => {
          try {
            await (await RegisterStore.open(where)).close();
          } catch (e) {
            expect(e).toBeInstanceOf(RegisterOpenError);
            const err = e as RegisterOpenError;
            return { code: err.code, message: err.message };
          }
          throw new Error("opened");
        };
        const shown = r.db ?? "pglite (in-process PostgreSQL)";
        const reopen = () => (r.db === undefined ? r.open() : RegisterStore.open(r.db));
        const openIt = async () => {
          try {
            await (await reopen()).close();
          } catch (e) {
            expect(e).toBeInstanceOf(RegisterOpenError);
            return { code: (e as RegisterOpenError).code, message: (e as RegisterOpenError).message };
          }
          throw new Error("opened");
        };

        // Another application's tables: refused, and nothing of the register's is created beside them.
        await r.exec("create table invoices (id integer primary key, amount bigint)");
        expect(await openIt()).toEqual({ code: "REGISTER_INVALID", message: `${shown} holds other tables and is not a fiber-capex register; name another database with --db or CAPEX_DB` });
        expect((await r.tables()).sort()).toEqual(["invoices"]);
        await r.exec("drop table invoices");

        // A register whose schema has a migration this version does not know.
        await (await reopen()).close();
        await r.exec("insert into kysely_migration (name, timestamp) values ('999_future', '2030-01-01T00:00:00.000Z')");
        const tablesBefore = (await r.tables()).sort();
        expect(await openIt()).toEqual({
          code: "REGISTER_NEWER",
          message: `the register ${shown} was written by a newer fiber-capex (schema 999_future); upgrade fiber-capex to use it. Nothing was changed.`,
        });
        expect((await r.tables()).sort()).toEqual(tablesBefore);

        if (backend === "sqlite") {
          const dir = tmp();
          const text = join(dir, "notes.txt");
          writeFileSync(text, "these are not the books\n");
          expect(await open(text)).toEqual({ code: "REGISTER_INVALID", message: `${text} is not a fiber-capex register (not an SQLite database); name another file with --db or CAPEX_DB` });
          expect(readFileSync(text, "utf8")).toBe("these are not the books\n");
          expect(await open(dir)).toEqual({ code: "REGISTER_INVALID", message: `${dir} is a folder, not a register file; name the register file with --db or CAPEX_DB, for example ${join(dir, "capex.db")}` });
          const cli = capex(closeArgs("2026-10", snapshots.oct, join(dir, "out"), text));
          expect(await cli.exit).toEqual({ code: 2, signal: null });
          expect(cli.stderr).toBe(`capex: ${text} is not a fiber-capex register (not an SQLite database); name another file with --db or CAPEX_DB\n`);
          const newer = capex(closeArgs("2026-10", snapshots.oct, join(dir, "out"), r.db!));
          expect(await newer.exit).toEqual({ code: 2, signal: null });
          expect(newer.stderr).toBe(`capex: the register ${r.db} was written by a newer fiber-capex (schema 999_future); upgrade fiber-capex to use it. Nothing was changed.\n`);
        } else {
          const secret = "postgres://postgres:s3cr3t-pw@127.0.0.1:1/test";
          const expected = "cannot reach the PostgreSQL register postgres://postgres@127.0.0.1:1/test: ECONNREFUSED. Check the URL in --db or CAPEX_DB and that the server is running.";
          expect(await open(secret)).toEqual({ code: "REGISTER_UNREACHABLE", message: expected });
          // What the library hands back of the location holds no password either.
          expect(registerLocation(secret).location).toBe("postgres://postgres@127.0.0.1:1/test");
          expect(await open("postgres://postgres@127.0.0.1:1/test?password=s3cr3t-pw&sslmode=disable")).toEqual({
            code: "REGISTER_UNREACHABLE",
            message: expected.replace("/test:", "/test?password=***&sslmode=disable:"),
          });
          const cli = capex(closeArgs("2026-10", snapshots.oct, join(tmp(), "out"), secret));
          expect(await cli.exit).toEqual({ code: 1, signal: null });
          expect(cli.stderr).toBe(`capex: ${expected}\n`);
          expect(`${cli.stdout}${cli.stderr}`).not.toContain("s3cr3t");
          if (r.db !== undefined) {
            const newer = capex(closeArgs("2026-10", snapshots.oct, join(tmp(), "out"), r.db));
            expect(await newer.exit).toEqual({ code: 2, signal: null });
            expect(newer.stderr).toBe(`capex: the register ${r.db} was written by a newer fiber-capex (schema 999_future); upgrade fiber-capex to use it. Nothing was changed.\n`);
            // A database the server does not have: a register that is not there (exit 2), not one out of reach.
            const missing = new URL(r.db);
            missing.pathname = "/no_such_capex_register";
            expect(await open(missing.href)).toEqual({
              code: "REGISTER_INVALID",
              message: `there is no PostgreSQL register at ${missing.href}: the server has no such database. Create it (createdb NAME, or CREATE DATABASE) or name another in --db or CAPEX_DB.`,
            });
          }
        }
      }),
    60_000,
  );

  it("closes at month end as a close of the whole state would, though it loads only a summary of each asset the snapshot holds", () =>
    withRegister(async (r) => {
      const dir = tmp();
      const store = await r.open();
      try {
        await close(store, "2026-09", snapshots.sep, join(dir, "2026-09"));
        // October: a late approval, a cost edit and a rejection; November: a new task and a retirement.
        for (const [period, snap, retire] of [
          ["2026-10", snapshots.oct, undefined],
          ["2026-11", snapshots.nov, retirementsFile],
        ] as const) {
          const retirements = retire ? parseRetirements(readFileSync(retire, "utf8"), retire) : [];
          const register = await store.loadState();
          const earlierRetirementsTax = await store.earlierRetirementsTax(period, rules.fiscalYearStartMonth);
          const whole = await closePeriod({ snapshot: await openSnapshot(snap), rules, period, register, retirements, allowOpenPeriod: period === "2026-11", earlierRetirementsTax });
          const monthEnd = await close(store, period, snap, join(dir, period), retire);
          expect(monthEnd.result).toEqual(whole);
          expect(whole.adjustments.length + whole.disposals.length).toBeGreaterThan(0);
        }
      } finally {
        await store.close();
      }
    }));

  it("carries on from its whole record an asset whose id a task of a project the snapshot covers now names, registered from one it does not", () =>
    withRegister(async (r) => {
      const dir = tmp();
      const store = await r.open();
      try {
        const P2 = { name: "Project Two", short_name: "P2", timezone: "America/New_York", description: "", type: "FTTH", tenant_name: "T" };
        const sep = await writeSnapshot([baseTask(1, { approved_date: "2026-09-10T14:00:00Z", asset_id: "X1" })]);
        const oct = await writeSnapshot([baseTask(7, { approved_date: "2026-09-10T14:00:00Z", asset_id: "X1", project_short_name: "P2" })], [P2]);
        await close(store, "2026-09", sep, join(dir, "2026-09"));
        const whole = await closePeriod({ snapshot: await openSnapshot(oct), rules, period: "2026-10", register: await store.loadState(), earlierRetirementsTax: await store.earlierRetirementsTax("2026-10", 1) });
        const monthEnd = await close(store, "2026-10", oct, join(dir, "2026-10"));
        expect(monthEnd.result).toEqual(whole);
        expect(whole.register.map((e) => [e.asset.assetId, e.asset.project, e.asset.taskId, e.asset.elements.length])).toEqual([["X1", "P1", 1, 1]]);
      } finally {
        await store.close();
      }
    }));

  it("keeps money as integer cents at large values (BIGINT)", () =>
    withRegister(async (r) => {
      const BIG = 9_000_000_000_000; // 90 billion dollars in cents: past 32 bits, inside 2^53
      const store = await r.open();
      try {
        const result = await closePeriod({ snapshot: await openSnapshot(snapshots.sep), rules, period: "2026-09" });
        const posting = postingOf(result, { files: {} } as never, {}, FIXED_NOW());
        posting.balances = posting.balances.map((b, i) => ({ ...b, accumulated: BIG + i, depreciation: BIG - i }));
        posting.classes = posting.classes.map((c) => ({ ...c, cost: BIG + 7, accumulated: BIG + 3, reserve: -BIG }));
        posting.openingBalances = [{ account: "1800", faClass: "Infrastructure", balance: BIG + 11 }];
        posting.expensed = [{ project: "P1", taskId: 99, amount: BIG + 13, account: "6100", faClass: "Expensed" }];
        posting.journal = [
          {
            journalId: "JE-BIG",
            date: "2026-09-30",
            period: "2026-09",
            source: "depreciation",
            project: "P1",
            currency: "USD",
            postings: [
              { account: "6400", accountName: "Depreciation", debit: BIG + 17, credit: 0, memo: "big", project: "P1", faClass: "Infrastructure" },
              { account: "1890", accountName: "Accumulated", debit: 0, credit: BIG + 17, memo: "big", project: "P1", faClass: "Infrastructure" },
            ],
          },
        ];
        await store.exclusive((tx) => tx.commit(posting));
        const state = await store.loadState();
        expect([...state.assets.values()].map((a) => a.accumulated).sort()).toEqual(posting.balances.map((b) => b.accumulated).sort());
        expect([...state.classes.values()].map((c) => [c.cost, c.accumulated, c.reserve])).toEqual(posting.classes.map(() => [BIG + 7, BIG + 3, -BIG]));
        expect(state.expensed.get("P1#99")).toEqual({ amount: BIG + 13, account: "6100", faClass: "Expensed" });
        expect(state.ledger.get("1800|Infrastructure")).toBe(BIG + 11);
        expect(state.ledger.get("6400|Infrastructure")).toBe(BIG + 17);
        expect(state.ledger.get("1890|Infrastructure")).toBe(-(BIG + 17));
        expect((await store.journal("2026-09"))[0]!.postings.map((p) => [p.debit, p.credit])).toEqual([
          [BIG + 17, 0],
          [0, BIG + 17],
        ]);
        const history = await store.assetHistory("P1-2");
        expect(history!.depreciation.map((d) => typeof d.amount)).toEqual(["number"]);
        // Stored as integers, not floating point, in the database itself.
        const types =
          r.engine === "sqlite"
            ? await r.exec("select distinct typeof(accumulated) as t from asset_balances union select distinct typeof(debit) from journal_lines")
            : await r.exec(
                "select distinct format_type(atttypid, null) as t from pg_attribute where attname in ('accumulated', 'debit', 'cost', 'amount', 'balance') and attrelid in (select oid from pg_class where relnamespace = current_schema()::regnamespace and relkind = 'r') order by t",
              );
        // PostgreSQL keeps a period's balances a block of assets to a row, as arrays of BIGINT.
        expect(types.map((t) => t.t)).toEqual(r.engine === "sqlite" ? ["integer"] : ["bigint", "bigint[]"]);
      } finally {
        await store.close();
      }
    }));
});

describe("a PostgreSQL register written before balances were kept in blocks (schema 003)", () => {
  it("is migrated on open: every balance, the state and an asset's history as they were", async () => {
    const r = await freshRegister("postgres");
    try {
      const dir = tmp();
      let store = await r.open();
      const seen = async () => {
        const state = await store.loadState();
        const id = [...state.assets.keys()].sort()[0]!;
        // Every row but the migrations' own (004 to 006 are applied again, at another time).
        return { rows: await registerDigest(store, TABLES.filter((t) => t !== "kysely_migration")), state: stateDigest(state), history: await store.assetHistory(id) };
      };
      let before: Awaited<ReturnType<typeof seen>>;
      try {
        await close(store, "2026-09", snapshots.sep, join(dir, "2026-09"));
        await close(store, "2026-10", snapshots.oct, join(dir, "2026-10"));
        before = await seen();
      } finally {
        await store.close();
      }
      // Back to the 003 layout: a row per asset per period, and no record of migration 004.
      const rows = (await r.exec("select count(*)::int as n from asset_balances"))[0]!.n;
      await r.exec("create table balances_003 as select period_no, asset_no, depreciation, accumulated from asset_balances");
      await r.exec("drop view asset_balances");
      await r.exec("drop table asset_balance_blocks");
      await r.exec("alter table balances_003 rename to asset_balances");
      await r.exec("alter table asset_balances add primary key (period_no, asset_no)");
      // And before migration 005 (no rebase here holds a year opening: its columns are all null).
      await r.exec("alter table asset_events drop column rebase_year_opening_period, drop column rebase_year_opening");
      // And before the reopen log (006).
      await r.exec("drop table reopened_periods");
      await r.exec("delete from kysely_migration where name in ('004_balance_blocks', '005_rebase_year_opening', '006_reopen_log')");
      store = await r.open();
      try {
        expect(await seen()).toEqual(before);
        expect(before.history!.depreciation.length).toBe(2);
        expect(await r.exec("select count(*)::int as n from asset_balances")).toEqual([{ n: rows }]);
        expect(await r.exec("select period_no, count(*)::int as blocks from asset_balance_blocks group by period_no order by period_no")).toEqual([
          { period_no: 24320, blocks: 1 },
          { period_no: 24321, blocks: 1 },
        ]);
      } finally {
        await store.close();
      }
    } finally {
      await r.dispose();
    }
  });
});

describe("an SQLite register", () => {
  it("is made with 16 KB pages, and one made before keeps its own", async () => {
    const pageSize = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return db.pragma("page_size", { simple: true });
      } finally {
        db.close();
      }
    };
    const fresh = join(tmp(), "capex.db");
    const store = await RegisterStore.open(fresh);
    expect(pageSize(fresh)).toBe(16384);
    await store.close();
    // A register made with SQLite's default 4 KB pages (by an earlier fiber-capex) is not rebuilt.
    const older = join(tmp(), "capex.db");
    const db = new Database(older);
    db.pragma("journal_mode = WAL");
    db.exec("create table t (x)");
    db.exec("drop table t");
    db.close();
    await (await RegisterStore.open(older)).close();
    expect(pageSize(older)).toBe(4096);
  });

  it("is created in WAL journal mode: while a run holds the close lock, another can read its status and is told it is busy", async () => {
    const journalMode = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return db.pragma("journal_mode", { simple: true });
      } finally {
        db.close();
      }
    };
    const made = join(tmp(), "capex.db");
    const store = await RegisterStore.open(made);
    try {
      // A rollback journal would hold SQLite's exclusive lock from the take-on's first spill to
      // disk until the commit: the others got "database is locked" (exit 2) instead.
      expect(journalMode(made)).toBe("wal");
      await store.exclusive(async () => {
        const other = await RegisterStore.open(made);
        try {
          expect((await other.status()).periods).toEqual([]);
          await expect(other.exclusive(async () => undefined)).rejects.toThrow(RegisterBusyError);
        } finally {
          await other.close();
        }
      });
    } finally {
      await store.close();
    }
  });

  it("re-runs a period closed before the register kept the snapshot's path: as the close named it, else says how", async () => {
    const db = join(tmp(), "capex.db");
    const dir = tmp();
    const store = await RegisterStore.open(db);
    try {
      await close(store, "2026-09", snapshots.sep, join(dir, "2026-09"));
    } finally {
      await store.close();
    }
    // As a register of an early 0.1.0 holds it: the period's report without the snapshot's path.
    const raw = new Database(db);
    const { report } = raw.prepare("select report from period_reports where period = ?").get("2026-09") as { report: string };
    const { snapshotPath, ...older } = JSON.parse(report) as { snapshotPath: string };
    expect(snapshotPath).toBe(snapshots.sep);
    raw.prepare("update period_reports set report = ? where period = ?").run(JSON.stringify(older), "2026-09");
    raw.close();
    const first = outputs(join(dir, "2026-09"));
    const old = await RegisterStore.open(db);
    try {
      // Named as the close named it: the same outputs, into a folder with no manifest to go by.
      expect((await close(old, "2026-09", snapshots.sep, join(dir, "again"))).status).toBe("rewritten");
      expect(outputs(join(dir, "again"))).toEqual(first);
      // The rules named another way: named as the register recorded them.
      const rulesLink = join(tmp(), "rules-link.yaml");
      symlinkSync(resolve("rules/render-fiber.yaml"), rulesLink);
      const viaLink = runMonthEnd({ register: old, snapshot: await openSnapshot(snapshots.sep), rules: await loadRules(rulesLink), period: "2026-09", out: join(dir, "rules-link"), now: FIXED_NOW });
      expect((await viaLink).status).toBe("rewritten");
      expect(outputs(join(dir, "rules-link"))).toEqual(first);
      // Named another way, with nothing that recorded the close's name for it: refused, saying how.
      const link = join(tmp(), "snapshot-link");
      symlinkSync(resolve(snapshots.sep), link);
      await expect(close(old, "2026-09", link, join(dir, "other"))).rejects.toThrow(
        new PeriodOrderError(
          "2026-09 is already closed with these inputs, but this run would not write the same outputs again: capex-2026-09.xlsx would differ from what the close wrote. Nothing was written. " +
            "Re-run it as it was closed (the same --workbook or --no-workbook and --erp), or reopen it (capex reopen --period 2026-09) to close it otherwise. " +
            "2026-09 was closed before fiber-capex recorded the snapshot's path: name the snapshot by the path the close was given, from the same working folder, or give --out the period's output folder.",
        ),
      );
      expect(existsSync(join(dir, "other"))).toBe(false);
      // The period's own output folder records the name: given --out, any name for the snapshot will do.
      expect((await close(old, "2026-09", link, join(dir, "2026-09"))).status).toBe("rewritten");
      expect(outputs(join(dir, "2026-09"))).toEqual(first);
    } finally {
      await old.close();
    }
  });

  it("refuses a retirements file with every problem at once: its own mistakes and what the register says of its rows", async () => {
    const store = await RegisterStore.open(join(tmp(), "capex.db"));
    try {
      await close(store, "2026-09", snapshots.sep, join(tmp(), "2026-09"));
      const file = join(tmp(), "retirements.csv");
      writeFileSync(file, "asset_id,date,portion,proceeds,removal_cost,reason\nNOPE-1,2026-10-15,all,,,\nP1-1,2026-10-15,120%,,,\nP1-1,2026-09-30,all,abc,1.234,\nP1-2,2026-10-32,all,,,\n,2026-10-15,all,,,\nP1-2,2026-10-16,all,,,\nP1-5,2026-10-15,10 m,,,\n");
      const out = join(tmp(), "2026-10");
      await expect(close(store, "2026-10", snapshots.oct, out, file)).rejects.toThrow(
        `${file}: 10 problems in the retirements file; nothing was done:\n` +
          "  line 2: asset NOPE-1 is not in the register; check the id with capex register asset ID or in the last close's register.csv\n" +
          "  line 3: portion 120% must be more than 0% and at most 100%\n" +
          // A second row of an asset, after a first that could not be read, or one that could.
          "  line 4: asset P1-1 has a row on line 3 already; put one row per asset\n" +
          '  line 4: proceeds "abc" is not an amount; write it like 1250.00 (no sign, no thousands separator, at most 2 decimals)\n' +
          // Three decimals would post rounded to cents without a word.
          '  line 4: removal_cost "1.234" is not an amount; write it like 1250.00 (no sign, no thousands separator, at most 2 decimals)\n' +
          "  line 4: date 2026-09-30 is not in the period being closed (2026-10-01 to 2026-10-31)\n" +
          // A field refused by the shape check is not checked against the register as well.
          '  line 5: date "2026-10-32" is not a date written YYYY-MM-DD\n' +
          "  line 6: asset_id is empty\n" +
          "  line 7: asset P1-2 has a row on line 5 already; put one row per asset\n" +
          // Listed with the rest, not only once they are corrected.
          "  line 8: portion 10 m is not in the unit asset P1-5 is counted in (ft); give the quantity in ft, or a percentage",
      );
      expect(existsSync(out)).toBe(false);
      expect((await store.status()).periods.map((p) => p.period)).toEqual(["2026-09"]);
    } finally {
      await store.close();
    }
  });

  it("refuses a snapshot fetched before the previous close's, and says when the rules changed", async () => {
    const store = await RegisterStore.open(join(tmp(), "capex.db"));
    try {
      await close(store, "2026-09", snapshots.sep, join(tmp(), "2026-09"));
      const older = await writeSnapshot(OCTOBER, undefined, "2026-11-01T09:00:00.000Z");
      const out = join(tmp(), "2026-10");
      const recorded = (await store.periodReport("2026-09"))!.snapshotPath;
      await expect(close(store, "2026-10", older, out)).rejects.toThrow(
        new InputError(
          "--snapshot",
          `${older} was fetched at 2026-11-01T09:00:00.000Z, before the snapshot 2026-09 was closed from (fetched at 2026-11-02T06:00:00.000Z, ${recorded}): ` +
            "closing from it would read what Render changed since as reverted (approvals withdrawn, costs changed back). Fetch again (capex fetch) and close from the new snapshot",
        ),
      );
      expect(existsSync(out)).toBe(false);
      expect((await store.status()).periods.map((p) => p.period)).toEqual(["2026-09"]);
      // An older fetch of a project the previous snapshot did not cover reverts nothing: closed (same rules, nothing said).
      const otherProject = await writeSnapshot([], [{ name: "Project Nine", short_name: "P9", timezone: "America/New_York", description: "", type: "FTTH", tenant_name: "T" }], "2026-11-01T09:00:00.000Z");
      const october = await close(store, "2026-10", otherProject, out);
      expect([october.status, october.rulesChangedSince, october.result.adjustments]).toEqual(["closed", undefined, []]);
      // Other rules (a comment more is other bytes): closed, and the outcome names the rules 2026-10 was closed with.
      const file = join(tmp(), "changed-rules.yaml");
      writeFileSync(file, `${readFileSync("rules/render-fiber.yaml", "utf8")}\n# changed\n`);
      const changed = await loadRules(file);
      const outcome = await runMonthEnd({ register: store, snapshot: await openSnapshot(snapshots.nov), rules: changed, period: "2026-11", out: join(tmp(), "2026-11"), allowOpenPeriod: true, now: FIXED_NOW });
      expect(outcome.rulesChangedSince).toEqual({ period: "2026-10", rulesFile: "rules/render-fiber.yaml", rulesSha256: rules.sha256 });
    } finally {
      await store.close();
    }
  });

  it("refuses to retire what this close adds as such, not as an id the register does not know", async () => {
    const store = await RegisterStore.open(join(tmp(), "capex.db"));
    try {
      await close(store, "2026-09", snapshots.sep, join(tmp(), "2026-09"));
      const file = join(tmp(), "retirements.csv");
      // P1-3 is placed in service in October; P1-4 (in service in September) is approved late, in October.
      writeFileSync(file, "asset_id,date,portion,proceeds,removal_cost,reason\nP1-3,2026-10-15,all,,,\nP1-4,2026-10-15,all,,,\n");
      const out = join(tmp(), "2026-10");
      await expect(close(store, "2026-10", snapshots.oct, out, file)).rejects.toThrow(
        `${file}: 2 problems in the retirements file; nothing was done:\n` +
          "  line 2: asset P1-3 enters the register in this close (placed in service 2026-10-05); retire it in a later period\n" +
          "  line 3: asset P1-4 enters the register in this close (placed in service 2026-09-20); retire it in a later period",
      );
      expect(existsSync(out)).toBe(false);
      expect((await store.status()).periods.map((p) => p.period)).toEqual(["2026-09"]);
      // With a row refused for its shape too, a row retiring what this close adds is still told so.
      writeFileSync(file, "asset_id,date,portion,proceeds,removal_cost,reason\nP1-3,2026-10-15,all,,,\nP1-1,2026-10-15,all,abc,,\n");
      await expect(close(store, "2026-10", snapshots.oct, out, file)).rejects.toThrow(
        `${file}: 2 problems in the retirements file; nothing was done:\n` +
          "  line 2: asset P1-3 enters the register in this close (placed in service 2026-10-05); retire it in a later period\n" +
          '  line 3: proceeds "abc" is not an amount; write it like 1250.00 (no sign, no thousands separator, at most 2 decimals)',
      );
      // A file that cannot be read is bad input (InputError), not a period out of order; so is a take-on file.
      const missing = join(tmp(), "nope.csv");
      const err = await close(store, "2026-10", snapshots.oct, out, missing).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toBe(`${missing}: cannot read the retirements file: there is no such file; check the path`);
      await expect(readRetirements(missing)).rejects.toThrow(new InputError(missing, "cannot read the retirements file: there is no such file; check the path"));
      const folder = tmp();
      await expect(importAssets(store, { file: folder, asOf: "2026-10", rules })).rejects.toThrow(new InputError(folder, "cannot read the take-on file: it is a folder, not a file; check the path"));
    } finally {
      await store.close();
    }
  });

  it("keeps an asset's GL book adding up across a withdrawal and a re-approval: the withdrawal's period has a row of its own", async () => {
    const store = await RegisterStore.open(join(tmp(), "capex.db"));
    try {
      await close(store, "2026-09", snapshots.sep, join(tmp(), "2026-09"));
      await close(store, "2026-10", snapshots.oct, join(tmp(), "2026-10"));
      // Task 5, rejected in October, approved again (as it first was) in November's fetch.
      const back = await writeSnapshot([...OCTOBER.filter((t) => t.project_task_id !== 5), SEPTEMBER[2]!]);
      await close(store, "2026-11", back, join(tmp(), "2026-11"));
      const book = (await store.assetHistory("P1-5"))!.depreciation;
      expect(book.map((r) => r.period)).toEqual(["2026-09", "2026-10", "2026-11"]);
      expect(book[1]).toMatchObject({ amount: 0, accumulated: 0 });
      expect(book[1]!.otherChanges).toBe(-book[0]!.accumulated);
      let before = 0;
      for (const r of book) {
        expect(before + r.amount + r.otherChanges, r.period).toBe(r.accumulated);
        before = r.accumulated;
      }
    } finally {
      await store.close();
    }
  });

  it("made by a close stopped with Ctrl-C is not left behind either", async () => {
    const folder = tmp();
    const db = join(folder, "capex.db");
    const run = capex(closeArgs("2026-09", snapshots.sep, join(tmp(), "out"), db), { CAPEX_TEST_PAUSE: "after-lock" });
    await run.saw("capex-test-pause: after-lock");
    expect(existsSync(db)).toBe(true);
    run.child.kill("SIGINT");
    expect(await run.exit).toEqual({ code: 130, signal: null });
    expect(readdirSync(folder)).toEqual([]);
    // Stopped with every output written to its hidden folder, before the commit: that folder goes too.
    const outputs = tmp();
    const written = capex(closeArgs("2026-09", snapshots.sep, join(outputs, "out"), db), { CAPEX_TEST_PAUSE: "before-commit" });
    await written.saw("capex-test-pause: before-commit");
    expect(readdirSync(outputs)).toEqual([expect.stringMatching(/^\.out\.tmp-/)]);
    written.child.kill("SIGINT");
    expect(await written.exit).toEqual({ code: 130, signal: null });
    expect(written.stderr).toContain(`capex: stopped; nothing was closed: the register ${db} and ${join(outputs, "out")} are as they were.\n`);
    expect(readdirSync(outputs)).toEqual([]);
    expect(readdirSync(folder)).toEqual([]);
    // Stopped after the commit: the period is closed; the run says so and how to get its outputs.
    const out = join(tmp(), "out");
    const late = capex(closeArgs("2026-09", snapshots.sep, out, db), { CAPEX_TEST_PAUSE: "after-commit" });
    await late.saw("capex-test-pause: after-commit");
    late.child.kill("SIGINT");
    expect(await late.exit).toEqual({ code: 130, signal: null });
    expect(late.stderr).toContain(`capex: stopped after 2026-09 was closed in the register ${db}; its outputs may not all be in place. Run the same close again to write them.\n`);
    expect(existsSync(out)).toBe(false);
    const again = capex(closeArgs("2026-09", snapshots.sep, out, db));
    expect(await again.exit).toEqual({ code: 0, signal: null });
    expect(again.stdout).toContain("Already closed with these inputs; outputs written again for 2026-09");
  }, 60_000);

  it("made by a close that failed is not left behind; one that was there, was closed into, is open elsewhere or was named through a link stays", async () => {
    // tasks.jsonl changed after the fetch: the close refuses it once it has read the file, inside its transaction.
    const changed = join(tmp(), "snapshot");
    cpSync(snapshots.sep, changed, { recursive: true });
    appendFileSync(join(changed, "tasks.jsonl"), "\n");
    const refusedClose = async (store: RegisterStore) => {
      await expect(close(store, "2026-09", changed, join(tmp(), "out"))).rejects.toThrow("the snapshot was changed after it was fetched");
    };
    const made = join(tmp(), "capex.db");
    const store = await RegisterStore.open(made);
    await refusedClose(store);
    await store.close();
    expect(readdirSync(dirname(made))).toEqual([]);

    // There before (an empty register another run made): this store did not make it.
    const before = join(tmp(), "capex.db");
    const maker = await RegisterStore.open(before);
    const second = await RegisterStore.open(before);
    await refusedClose(second);
    await second.close();
    expect(existsSync(before)).toBe(true);
    // Still open elsewhere when the store that made it closes: kept.
    const reader = new Database(before, { readonly: true });
    expect(reader.prepare("select count(*) as n from periods").get()).toEqual({ n: 0 });
    await maker.close();
    reader.close();
    expect(existsSync(before)).toBe(true);

    // Closed into, even if the period is then reopened: kept.
    const closedInto = join(tmp(), "capex.db");
    const third = await RegisterStore.open(closedInto);
    expect((await close(third, "2026-09", snapshots.sep, join(tmp(), "out"))).status).toBe("closed");
    await third.exclusive((tx) => tx.reopen("2026-09", { at: "2026-11-04T00:00:00.000Z", by: "test", reason: "" }));
    await third.close();
    expect(readdirSync(dirname(closedInto))).toEqual(["capex.db"]);

    // --db a symbolic link to a file not there yet: SQLite makes the file it points to, which
    // this store did not name; neither it nor the link is removed.
    const folder = tmp();
    symlinkSync(join(folder, "target.db"), join(folder, "capex.db"));
    const linked = await RegisterStore.open(join(folder, "capex.db"));
    await refusedClose(linked);
    await linked.close();
    expect(readdirSync(folder).sort()).toEqual(["capex.db", "target.db"]);
  });
});
