import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PeriodLines, traceAsset, traceJournal } from "../src/audit/trace.js";
import { retirementOf, verifyPeriod } from "../src/audit/verify.js";
import { runMonthEnd } from "../src/close/month-end.js";
import { InputError } from "../src/errors.js";
import { Dec } from "../src/money.js";
import { loadDefaultRules, toolVersion } from "../src/package-info.js";
import { importAssets } from "../src/register/import.js";
import { stateDigest } from "../src/register/model.js";
import { RegisterStore } from "../src/register/store.js";
import { loadRules } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";
import { closeBackends, freshRegister } from "./register-backends.js";

/** The built CLI (npm test builds before vitest runs), run as a user runs it. */
const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const run = promisify(execFile);
/** Each CLI test spawns the CLI once or more; start-up alone takes 1–2 s on a loaded machine. */
const CLI_BUDGET = 90_000;
const FIXED_NOW = () => new Date("2026-11-05T09:00:00.000Z");

async function capex(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: tmp(), CAPEX_QUOTA_FILE: join(tmp(), "q.json") } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const conduit = (quantity: number) => ({ units: [{ unit_code: "CND-2IN-HDPE", quantity, uom: "ft" }] });
const fiber = { task_type: "install_aerial_fiber", units: [{ unit_code: "AF-144CT", quantity: 1000, uom: "ft" }] };
const permit = { task_type: "permitting", ...conduit(10) };

/**
 * September, the register's first close: an August asset and an August permit taken on,
 * five assets and a permit placed in service. October: a cost correction, a new asset, a
 * late September approval, a rejection (withdrawal), a change of task type (reclassified to
 * another class), and three retirements: 25 %, 40 ft and all.
 */
const SEPTEMBER = [
  baseTask(1, { approved_date: "2026-08-10T14:00:00Z" }),
  baseTask(2, { approved_date: "2026-09-10T14:00:00Z" }),
  baseTask(5, { approved_date: "2026-09-12T14:00:00Z", ...fiber }),
  baseTask(6, { approved_date: "2026-09-13T14:00:00Z" }),
  baseTask(7, { approved_date: "2026-09-14T14:00:00Z" }),
  baseTask(8, { approved_date: "2026-09-14T14:00:00Z", ...permit }),
  baseTask(9, { approved_date: "2026-08-14T14:00:00Z", ...permit }),
  baseTask(10, { approved_date: "2026-09-15T14:00:00Z" }),
];
const byId = (id: number) => SEPTEMBER.find((t) => t.project_task_id === id)!;
const OCTOBER = [
  byId(1),
  baseTask(2, { approved_date: "2026-09-10T14:00:00Z", ...conduit(150) }),
  baseTask(3, { approved_date: "2026-10-05T14:00:00Z" }),
  baseTask(4, { approved_date: "2026-09-20T14:00:00Z" }),
  baseTask(5, { status: "rejected", approved_date: "", ...fiber }),
  byId(6),
  { ...byId(7), task_type: "install_underground_fiber" },
  byId(8),
  byId(9),
  byId(10),
];
const RETIREMENTS = "asset_id,date,portion,proceeds,removal_cost,reason\nP1-1,2026-10-15,25%,100.00,20.00,cable cut\nP1-6,2026-10-20,40,,,road widening\nP1-10,2026-10-31,all,50.00,,\n";

let rules: Rules;
let dir: string;
let db: string;
let snapshots: { sep: string; oct: string };
let store: RegisterStore;
const outOf = (period: string) => join(dir, period);

beforeAll(async () => {
  rules = await loadRules("rules/render-fiber.yaml");
  dir = tmp("capex-vt-");
  db = join(dir, "capex.db");
  snapshots = { sep: await writeSnapshot(SEPTEMBER), oct: await writeSnapshot(OCTOBER) };
  const retirements = join(dir, "retirements.csv");
  writeFileSync(retirements, RETIREMENTS);
  store = await RegisterStore.open(db);
  // September without the workbook: verify recomputes what the close wrote, no more.
  await runMonthEnd({ register: store, snapshot: await openSnapshot(snapshots.sep), rules, period: "2026-09", out: outOf("2026-09"), workbook: false, now: FIXED_NOW });
  await runMonthEnd({ register: store, snapshot: await openSnapshot(snapshots.oct), rules, period: "2026-10", out: outOf("2026-10"), retirementsFile: retirements, now: FIXED_NOW });
}, 60_000);

afterAll(async () => {
  await store.close();
  await closeBackends();
});


/** The temporary folders verify makes (it must delete each one it made). */
const scratchFolders = () => readdirSync(tmpdir()).filter((f) => f.startsWith("capex-verify-")).sort();

const JOURNAL_CSV_LINE_3 = 'CAP-2026-10-P1,2026-10-31,2026-10,2,1790,Construction in progress (CIP),0.00,1924.00,USD,"2026-10 additions, Infrastructure",P1,Infrastructure,capitalization';
const CSV_FILES = ["journal.csv", "additions.csv", "register.csv", "depreciation.csv", "rollforward.csv", "adjustments.csv", "disposals.csv", "expensed.csv", "exceptions.csv", "tax.csv", "cost_elements.csv"];

describe("capex verify", () => {
  it("recomputes both closed months byte for byte, the retirements rebuilt from the register, and leaves the register and the outputs as they were", async () => {
    const before = { status: await store.status(), state: stateDigest(await store.loadState()), journal: await store.journal("2026-10") };
    const outputsBefore = Object.fromEntries(readdirSync(outOf("2026-10")).map((f) => [f, sha256(readFileSync(join(outOf("2026-10"), f)))]));
    const scratchBefore = scratchFolders();
    for (const [period, snap, files] of [
      ["2026-09", snapshots.sep, [...CSV_FILES, "manifest.json"]],
      ["2026-10", snapshots.oct, [...CSV_FILES, "capex-2026-10.xlsx", "manifest.json"]],
    ] as const) {
      for (const out of [outOf(period), undefined]) {
        const r = await verifyPeriod({ store, period, snapshot: await openSnapshot(snap), rules, out });
        expect(r.reproduced).toBe(true);
        expect(r.files.map((f) => [f.file, f.status])).toEqual(files.map((f) => [f, "same"]));
        expect(r.notes).toEqual([]);
      }
    }
    // The October close retired by percentage, by quantity and wholly: each request was rebuilt as given.
    expect((await store.periodReport("2026-10"))!.disposals.map((d) => [d.assetId, d.portion, d.proceeds, d.removalCost, d.reason])).toEqual([
      ["P1-1", "25%", 10000, 2000, "cable cut"],
      ["P1-10", "all", 5000, 0, ""],
      ["P1-6", "40 ft", 0, 0, "road widening"],
    ]);
    // A quantity reads back with its unit, or bare as periods closed before 0.5.0 wrote it.
    const byQuantity = (await store.periodReport("2026-10"))!.disposals[2]!;
    for (const portion of ["40 ft", "40"]) expect(retirementOf({ ...byQuantity, portion }, 4, "f").portion).toEqual({ kind: "quantity", quantity: new Dec(40) });
    expect({ status: await store.status(), state: stateDigest(await store.loadState()), journal: await store.journal("2026-10") }).toEqual(before);
    expect(Object.fromEntries(readdirSync(outOf("2026-10")).map((f) => [f, sha256(readFileSync(join(outOf("2026-10"), f)))]))).toEqual(outputsBefore);
    expect(scratchFolders()).toEqual(scratchBefore);
  }, 60_000);

  it("reproduces a close from a copy of its snapshot named by another path, with no output folder to read the path from; a re-run so named writes the same bytes", async () => {
    const copy = join(tmp("capex-vt-copy-"), "somewhere-else");
    cpSync(snapshots.oct, copy, { recursive: true });
    const r = await verifyPeriod({ store, period: "2026-10", snapshot: await openSnapshot(copy), rules, out: undefined });
    expect(r.files.filter((f) => f.status !== "same")).toEqual([]);
    expect(r.reproduced).toBe(true);
    // The close's paths are the register's: the new folder's workbook and manifest name them as the close did.
    const out = join(tmp("capex-vt-rerun-"), "2026-10");
    const rerun = await runMonthEnd({ register: store, snapshot: await openSnapshot(copy), rules, period: "2026-10", out, retirementsFile: join(dir, "retirements.csv"), now: FIXED_NOW });
    expect(rerun.status).toBe("rewritten");
    const hashes = (folder: string) => Object.fromEntries(readdirSync(folder).filter((f) => f !== "manifest.json").map((f) => [f, sha256(readFileSync(join(folder, f)))]));
    expect(hashes(out)).toEqual(hashes(outOf("2026-10")));
    const manifest = (folder: string) => JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")) as { snapshot: { path: string }; rules: { path: string } };
    expect(manifest(out).snapshot.path).toBe(snapshots.oct);
    expect(manifest(out).rules).toEqual(manifest(outOf("2026-10")).rules);
  }, 60_000);

  it("recomputes the ledger import files a close wrote with --erp", async () => {
    const folder = tmp("capex-vt-erp-");
    const erpStore = await RegisterStore.open(join(folder, "capex.db"));
    try {
      const out = join(folder, "2026-09");
      await runMonthEnd({ register: erpStore, snapshot: await openSnapshot(snapshots.sep), rules, period: "2026-09", out, erp: ["xero", "oracle-fbdi"], now: FIXED_NOW });
      const r = await verifyPeriod({ store: erpStore, period: "2026-09", snapshot: await openSnapshot(snapshots.sep), rules, out });
      expect(r.files.filter((f) => f.file.startsWith("journal-")).map((f) => [f.file, f.status])).toEqual([
        ["journal-xero.csv", "same"],
        ["journal-oracle-fbdi.csv", "same"],
      ]);
      expect(r.reproduced).toBe(true);
    } finally {
      await erpStore.close();
    }
  }, 60_000);

  it("prints reproduced and exits 0 for each closed month", async () => {
    for (const [period, snap, n] of [["2026-09", snapshots.sep, 12], ["2026-10", snapshots.oct, 13]] as const) {
      const r = await capex(["verify", "--period", period, "--snapshot", snap, "--db", db, "--out", outOf(period)]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout.split("\n")[0]).toBe(
        `reproduced ${period}: all ${n} outputs recomputed match the register's hashes and the files in ${outOf(period)} byte for byte (manifest.json field by field apart from generated_at)`,
      );
    }
  }, CLI_BUDGET);

  it("exits 1 naming a CSV whose one byte was changed in --out, with its first differing row from both sides", async () => {
    const copy = join(tmp(), "2026-10");
    cpSync(outOf("2026-10"), copy, { recursive: true });
    const file = join(copy, "journal.csv");
    const text = readFileSync(file, "utf8");
    const tampered = JOURNAL_CSV_LINE_3.replace("0.00,1924.00", "0.00,1924.01");
    // RFC 4180: lines end in CRLF.
    expect(text.split("\r\n")[2]).toBe(JOURNAL_CSV_LINE_3);
    writeFileSync(file, text.replace(JOURNAL_CSV_LINE_3, tampered));
    const recorded = (await store.closedPeriod("2026-10"))!.outputHashes["journal.csv"]!;
    const r = await capex(["verify", "--period", "2026-10", "--snapshot", snapshots.oct, "--db", db, "--out", copy]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        // The close reproduces: it is the folder's copy that was changed.
        `reproduced 2026-10: all 13 outputs recomputed match the register's hashes; but 1 file in ${copy} differs, changed or removed since the close:`,
        `  journal.csv: differs (recorded ${recorded.slice(0, 12)}…, recomputed ${recorded.slice(0, 12)}…, in ${copy} ${sha256(readFileSync(file)).slice(0, 12)}…)`,
        "    first difference at line 3:",
        `      in --out:   ${tampered}`,
        `      recomputed: ${JOURNAL_CSV_LINE_3}`,
        "  capex verify --restore DIR writes the close's outputs again into another folder",
        `  snapshot manifest sha256 ${(await openSnapshot(snapshots.oct)).manifestSha256}; rules rules/render-fiber.yaml version 2026.1, sha256 ${rules.sha256}; register ${db}`,
        "",
      ].join("\n"),
    );
    const result = await verifyPeriod({ store, period: "2026-10", snapshot: await openSnapshot(snapshots.oct), rules, out: copy });
    expect([result.reproduced, result.matchesRegister]).toEqual([false, true]);
    expect(result.files.filter((f) => f.status !== "same")).toEqual([
      { file: "journal.csv", recorded, recomputed: recorded, inOut: sha256(readFileSync(file)), status: "differs", firstDifference: { line: 3, recorded: tampered, recomputed: JOURNAL_CSV_LINE_3 } },
    ]);
  }, CLI_BUDGET);

  it("without --out, a register whose record of the close was changed does not reproduce, and is not said to", async () => {
    const copy = join(tmp(), "capex.db");
    // The register as it stands, its write-ahead log included.
    for (const suffix of ["", "-wal"]) if (existsSync(`${db}${suffix}`)) cpSync(`${db}${suffix}`, `${copy}${suffix}`);
    const changed = await RegisterStore.open(copy);
    try {
      const closed = (await changed.closedPeriod("2026-10"))!;
      await changed.db.updateTable("periods").set({ control_totals: JSON.stringify({ ...closed.controlTotals, gain_loss: "999.00" }) }).where("period", "=", "2026-10").execute();
      const r = await verifyPeriod({ store: changed, period: "2026-10", snapshot: await openSnapshot(snapshots.oct), rules });
      expect([r.reproduced, r.matchesRegister]).toEqual([false, false]);
      expect(r.files.filter((f) => f.status !== "same").map((f) => [f.file, f.firstDifference?.field])).toEqual([["manifest.json", "control_totals.gain_loss"]]);
    } finally {
      await changed.close();
    }
  });

  it("compares manifest.json field by field apart from generated_at, and ignores files the close did not write", async () => {
    const copy = join(tmp(), "2026-10");
    cpSync(outOf("2026-10"), copy, { recursive: true });
    const file = join(copy, "manifest.json");
    const manifest = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, `${JSON.stringify({ ...manifest, generated_at: "2030-01-01T00:00:00.000Z" }, null, 2)}\n`);
    // What capex audit writes beside the period's outputs is not an output of the close.
    writeFileSync(join(copy, "audit-2026-10.pdf"), "%PDF-1.7");
    const verify = () => verifyPeriod({ store, period: "2026-10", snapshot: snapshotOct, rules, out: copy });
    const snapshotOct = await openSnapshot(snapshots.oct);
    expect((await verify()).reproduced).toBe(true);
    writeFileSync(file, `${JSON.stringify({ ...manifest, control_totals: { ...manifest.control_totals, additions: "1924.01" } }, null, 2)}\n`);
    const r = await verify();
    expect(r.reproduced).toBe(false);
    const m = r.files.find((f) => f.file === "manifest.json")!;
    expect(m.status).toBe("differs");
    expect(m.firstDifference?.field).toBe("control_totals.additions");
    expect(m.firstDifference?.recorded).toBe('    "additions": "1924.01",');
    expect(m.firstDifference?.recomputed).toBe('    "additions": "1924.00",');
    expect(readFileSync(file, "utf8").split("\n")[m.firstDifference!.line - 1]).toBe('    "additions": "1924.01",');
    // A field on one side only is shown as the field, not as the neighbouring line's comma.
    writeFileSync(file, `${JSON.stringify({ ...manifest, files: { ...manifest.files, "zz-extra.csv": "ab" } }, null, 2)}\n`);
    const extra = (await verify()).files.find((f) => f.file === "manifest.json")!;
    expect(extra.firstDifference).toEqual({ line: 0, field: 'files["zz-extra.csv"]', recorded: '"ab"', recomputed: "(not there)" });
  }, 60_000);

  it("refuses (exit 2) a snapshot or rules the period was not closed with, naming both hashes, and a period not closed", async () => {
    const sep = await openSnapshot(snapshots.sep);
    const oct = await openSnapshot(snapshots.oct);
    const wrongSnapshot = await capex(["verify", "--period", "2026-10", "--snapshot", snapshots.sep, "--db", db]);
    expect(wrongSnapshot).toMatchObject({
      code: 2,
      stdout: "",
      stderr:
        `capex: --snapshot: ${snapshots.sep} is not the snapshot 2026-10 was closed with: its manifest.json has sha256 ${sep.manifestSha256}, the close recorded ${oct.manifestSha256} ` +
        `(a snapshot fetched at 2026-11-02T06:00:00.000Z, named ${snapshots.oct} by the close); give --snapshot the folder that close read. Nothing was recomputed.\n`,
    });
    const otherRules = join(tmp(), "rules.yaml");
    writeFileSync(otherRules, readFileSync("rules/render-fiber.yaml", "utf8").replace('threshold: "250.00"', 'threshold: "300.00"'));
    const other = await loadRules(otherRules);
    const wrongRules = await capex(["verify", "--period", "2026-10", "--snapshot", snapshots.oct, "--rules", otherRules, "--db", db]);
    expect(wrongRules).toMatchObject({
      code: 2,
      stdout: "",
      stderr: `capex: --rules: ${otherRules} (sha256 ${other.sha256}) is not the rules file 2026-10 was closed with: rules/render-fiber.yaml, version 2026.1, sha256 ${rules.sha256}; give --rules that file. Nothing was recomputed.\n`,
    });
    const notClosed = await capex(["verify", "--period", "2026-11", "--snapshot", snapshots.oct, "--db", db]);
    expect(notClosed).toMatchObject({
      code: 2,
      stderr: `capex: 2026-11 is not closed in the register ${db}; its closed periods are 2026-09, 2026-10. Close 2026-11 first (capex close --period 2026-11). Only a closed period can be verified.\n`,
    });
    const noRegister = await capex(["verify", "--period", "2026-10", "--snapshot", snapshots.oct, "--db", join(dir, "nothing.db")]);
    expect(noRegister).toMatchObject({ code: 2, stderr: `capex: there is no register at ${join(dir, "nothing.db")}; name the register the periods were closed into with --db or CAPEX_DB\n` });
  }, CLI_BUDGET);

  it("a re-run of the latest close with another retirements file, or none, says which the close had", async () => {
    const again = runMonthEnd({ register: store, snapshot: await openSnapshot(snapshots.oct), rules, period: "2026-10", out: join(tmp(), "again"), now: FIXED_NOW });
    await expect(again).rejects.toThrow(`2026-10 is already closed, with other inputs: the retirements file (closed with one of sha256 ${sha256(RETIREMENTS).slice(0, 12)}…, given none). `);
  });

  it("says so when the folder the close read was fetched into again since (fetch --replace)", async () => {
    const folder = await writeSnapshot(SEPTEMBER);
    const register = await RegisterStore.open(join(tmp(), "capex.db"));
    try {
      await runMonthEnd({ register, snapshot: await openSnapshot(folder), rules, period: "2026-09", out: join(tmp(), "2026-09"), workbook: false, now: FIXED_NOW });
      const recorded = (await register.closedPeriod("2026-09"))!.snapshotSha256;
      rmSync(folder, { recursive: true });
      cpSync(await writeSnapshot(SEPTEMBER, undefined, "2026-12-07T09:00:00.000Z"), folder, { recursive: true });
      const err = await verifyPeriod({ store: register, period: "2026-09", snapshot: await openSnapshot(folder), rules }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toBe(
        `--snapshot: ${folder} is the folder 2026-09 was closed from, but it now holds a snapshot fetched at 2026-12-07T09:00:00.000Z, not the one fetched at 2026-11-02T06:00:00.000Z ` +
          `(manifest sha256 ${recorded}) that the close read: a later fetch replaced it (capex fetch --replace). Give --snapshot a copy of that snapshot, if one was kept. Nothing was recomputed.`,
      );
      // Not of a folder holding an earlier fetch than the close's (not a later fetch into it).
      rmSync(folder, { recursive: true });
      cpSync(await writeSnapshot(SEPTEMBER, undefined, "2026-10-20T09:00:00.000Z"), folder, { recursive: true });
      const older = await verifyPeriod({ store: register, period: "2026-09", snapshot: await openSnapshot(folder), rules }).catch((e: unknown) => e);
      expect((older as Error).message).toContain(`${folder} is not the snapshot 2026-09 was closed with`);
      rmSync(folder, { recursive: true });
      cpSync(await writeSnapshot(SEPTEMBER, undefined, "2026-12-07T09:00:00.000Z"), folder, { recursive: true });
      // A re-run of the close from that folder says the same, not "closed with X, given X".
      const now = await openSnapshot(folder);
      await expect(runMonthEnd({ register, snapshot: now, rules, period: "2026-09", out: join(tmp(), "again"), workbook: false, now: FIXED_NOW })).rejects.toThrow(
        `2026-09 is already closed, with other inputs: the snapshot (${folder} now holds one fetched at 2026-12-07T09:00:00.000Z, manifest sha256 ${now.manifestSha256.slice(0, 12)}…; ` +
          `the close read one fetched at 2026-11-02T06:00:00.000Z, ${recorded.slice(0, 12)}…). A closed period never changes`,
      );
    } finally {
      await register.close();
    }
  });

  it("says which recorded files this version cannot write, and that without --out a changed hash has no row to show", async () => {
    const copy = join(tmp(), "copy.db");
    await new Database(db, { readonly: true }).backup(copy);
    const raw = new Database(copy);
    const row = raw.prepare("select output_hashes from periods where period = ?").get("2026-10") as { output_hashes: string };
    const hashes = { ...JSON.parse(row.output_hashes), "journal.csv": "0".repeat(64), "journal-sap-s4.csv": "f".repeat(64) };
    raw.prepare("update periods set output_hashes = ? where period = ?").run(JSON.stringify(hashes), "2026-10");
    raw.close();
    const other = await RegisterStore.open(copy);
    try {
      const r = await verifyPeriod({ store: other, period: "2026-10", snapshot: await openSnapshot(snapshots.oct), rules });
      expect(r.reproduced).toBe(false);
      expect(r.files.filter((f) => f.status !== "same")).toEqual([
        {
          file: "journal.csv",
          recorded: "0".repeat(64),
          recomputed: sha256(readFileSync(join(outOf("2026-10"), "journal.csv"))),
          inOut: undefined,
          status: "differs",
          note: "the register keeps each file's sha256, not its rows: give --out the period's output folder to see the first differing row",
        },
        {
          file: "journal-sap-s4.csv",
          recorded: "f".repeat(64),
          recomputed: undefined,
          inOut: undefined,
          status: "not_reproducible",
          note: `not reproducible by this version: fiber-capex ${toolVersion()} does not write journal-sap-s4.csv (the close, by ${toolVersion()}, did)`,
        },
        {
          file: "manifest.json",
          recorded: undefined,
          recomputed: expect.any(String),
          status: "differs",
          note: "compared with what the register recorded of it (period, rules, snapshot, register before, control totals, file hashes); give --out to compare every field",
          firstDifference: { line: 0, field: 'files["journal.csv"]', recorded: JSON.stringify("0".repeat(64)), recomputed: JSON.stringify(sha256(readFileSync(join(outOf("2026-10"), "journal.csv")))) },
        },
      ]);
      // Outputs that do not reproduce the close's are never restored.
      const restore = join(tmp(), "2026-10");
      const refused = await verifyPeriod({ store: other, period: "2026-10", snapshot: await openSnapshot(snapshots.oct), rules, restore });
      expect([refused.reproduced, refused.restored, existsSync(restore)]).toEqual([false, undefined, false]);
    } finally {
      await other.close();
    }
  }, 60_000);

  it("--restore writes an earlier month's lost outputs back as the close wrote them, keeping what else the folder holds", async () => {
    const september = outOf("2026-09");
    const files = readdirSync(september).sort();
    // Into a new folder: every output byte for byte, manifest.json apart from generated_at.
    const fresh = join(tmp(), "2026-09");
    const r = await capex(["verify", "--period", "2026-09", "--snapshot", snapshots.sep, "--db", db, "--restore", fresh]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").slice(0, 2)).toEqual([
      "reproduced 2026-09: all 12 outputs recomputed match the register's hashes byte for byte (manifest.json field by field apart from generated_at)",
      `  restored them into ${fresh}`,
    ]);
    expect(readdirSync(fresh).sort()).toEqual(files);
    for (const f of files.filter((f) => f !== "manifest.json")) expect(sha256(readFileSync(join(fresh, f))), f).toBe(sha256(readFileSync(join(september, f))));
    const manifest = (dir: string) => ({ ...JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")), generated_at: undefined });
    expect(manifest(fresh)).toEqual(manifest(september));
    // Into a copy that lost its journal, with a note of the user's in it: the note stays.
    const damaged = join(tmp(), "2026-09");
    cpSync(september, damaged, { recursive: true });
    rmSync(join(damaged, "journal.csv"));
    writeFileSync(join(damaged, "note.txt"), "sent to the auditors");
    expect((await verifyPeriod({ store, period: "2026-09", snapshot: await openSnapshot(snapshots.sep), rules, restore: damaged })).restored).toBe(damaged);
    expect(readFileSync(join(damaged, "journal.csv"))).toEqual(readFileSync(join(september, "journal.csv")));
    expect(readFileSync(join(damaged, "note.txt"), "utf8")).toBe("sent to the auditors");
    // Not with --out; and never into a folder of the user's, or another month's outputs (refused before recomputing).
    expect(await capex(["verify", "--period", "2026-09", "--snapshot", snapshots.sep, "--db", db, "--out", september, "--restore", fresh])).toEqual({
      code: 2,
      stdout: "",
      stderr: "capex: --restore: is not given with --out: --restore writes the outputs as the close recorded them, whatever --out holds; give one or the other\n",
    });
    const october = await capex(["verify", "--period", "2026-09", "--snapshot", snapshots.sep, "--db", db, "--restore", outOf("2026-10")]);
    expect(october.code).toBe(2);
    expect(october.stderr).toContain(`capex: ${outOf("2026-10")}: holds the outputs of the close of 2026-10 (by its manifest.json), which may already be in the ledger;`);
  }, CLI_BUDGET);
});

describe("capex verify on a take-on import", () => {
  it("refuses a period that holds an import: nothing computed it", async () => {
    const copy = join(tmp(), "import.db");
    await new Database(db, { readonly: true }).backup(copy);
    const raw = new Database(copy);
    raw.prepare("update periods set kind = 'import' where period = ?").run("2026-09");
    raw.close();
    const other = await RegisterStore.open(copy);
    try {
      await expect(verifyPeriod({ store: other, period: "2026-09", snapshot: await openSnapshot(snapshots.sep), rules })).rejects.toThrow(
        "--period: 2026-09 holds the assets taken on by capex register import: no close computed it, so there is nothing to recompute. Verify the periods closed after it.",
      );
    } finally {
      await other.close();
    }
  });
});

describe("capex trace", () => {
  it("traces an asset to its task, rates, rule, events, depreciation and every journal line, with its own share of each", async () => {
    // Task 2: 100 ft of conduit at 19.24 (1,924.00), corrected in October to 150 ft (2,886.00);
    // 600 months straight line: 3.21 for September, 1.60 caught up, 4.81 for October (9.62).
    const t = await traceAsset(store, "P1-2");
    const line = (journalId: string, lineNo: number, account: string, accountName: string, debit: number, credit: number, memo: string, kind: string, component: string, amount: number) => ({
      period: journalId.slice(4, 11),
      journalId,
      source: { CAP: "capitalization", DEP: "depreciation", ADJ: "adjustment" }[journalId.slice(0, 3)],
      line: lineNo,
      account,
      accountName,
      faClass: "Infrastructure",
      debit,
      credit,
      memo,
      kind,
      component,
      amount,
    });
    const ASSET = "Outside plant infrastructure";
    const CIP = "Construction in progress (CIP)";
    const EXPENSE = "Depreciation expense - outside plant infrastructure";
    const ACCUMULATED = "Accumulated depreciation - outside plant infrastructure";
    expect(t).toEqual({
      assetId: "P1-2",
      source: "render",
      status: "active",
      project: "P1",
      taskId: 2,
      taskType: "install_conduit",
      description: "Underground conduit (PVC/HDPE)",
      faClass: "Infrastructure",
      approval: { by: "a.kowalski", atUtc: "2026-09-10T14:00:00Z", atLocal: "2026-09-10T10:00:00-04:00", timeZone: "America/New_York", timeZoneDefaulted: false },
      inServiceDate: "2026-09-10",
      quantity: "150",
      uom: "ft",
      location: {},
      photos: [],
      rule: { ruleId: "task_types.install_conduit", rulesVersion: "2026.1", period: "2026-10", rateIds: ["R26-CND-2IN"] },
      cost: 288600,
      salvage: 0,
      lifeMonths: 600,
      method: "straight_line",
      convention: "full_month",
      elements: [{ source: "rate_card", line: 0, unitCode: "CND-2IN-HDPE", quantity: "150", uom: "ft", rate: "19.24", rateId: "R26-CND-2IN", amount: 288600 }],
      events: [
        { period: "2026-09", kind: "addition", status: "active", faClass: "Infrastructure", cost: 192400, costChange: 192400, accumulatedChange: 0, catchUp: 0, message: "placed in service 2026-09-10" },
        {
          period: "2026-10",
          kind: "cost_change",
          status: "active",
          faClass: "Infrastructure",
          cost: 288600,
          costChange: 96200,
          accumulatedChange: 160,
          catchUp: 160,
          message: "task now prices to 2886.00 (was 1924.00); depreciation caught up to the new cost",
        },
      ],
      depreciation: [
        { period: "2026-09", amount: 321, otherChanges: 0, accumulated: 321, cost: 192_400 },
        { period: "2026-10", amount: 481, otherChanges: 160, accumulated: 962, cost: 288_600 },
      ],
      journalLines: [
        line("CAP-2026-09-P1", 3, "2430", ASSET, 769600, 0, "2026-09 additions, Infrastructure", "addition", "cost", 192400),
        line("CAP-2026-09-P1", 4, "1790", CIP, 0, 769600, "2026-09 additions, Infrastructure", "addition", "construction in progress", 192400),
        line("DEP-2026-09-P1", 3, "6562", EXPENSE, 1604, 0, "2026-09 depreciation, Infrastructure", "depreciation", "depreciation expense", 321),
        line("DEP-2026-09-P1", 4, "3130", ACCUMULATED, 0, 1604, "2026-09 depreciation, Infrastructure", "depreciation", "accumulated depreciation", 321),
        line("ADJ-2026-10-P1", 9, "2430", ASSET, 96200, 0, "2026-10 cost changes, Infrastructure", "cost_change", "cost", 96200),
        line("ADJ-2026-10-P1", 10, "1790", CIP, 0, 96200, "2026-10 cost changes, Infrastructure", "cost_change", "construction in progress", 96200),
        line("ADJ-2026-10-P1", 11, "6562", EXPENSE, 481, 0, "2026-10 depreciation catch-up, Infrastructure", "catch_up", "depreciation expense", 160),
        line("ADJ-2026-10-P1", 12, "3130", ACCUMULATED, 0, 481, "2026-10 depreciation catch-up, Infrastructure", "catch_up", "accumulated depreciation", 160),
        line("DEP-2026-10-P1", 3, "6562", EXPENSE, 1555, 0, "2026-10 depreciation, Infrastructure", "depreciation", "depreciation expense", 481),
        line("DEP-2026-10-P1", 4, "3130", ACCUMULATED, 0, 1555, "2026-10 depreciation, Infrastructure", "depreciation", "accumulated depreciation", 481),
      ],
    });
  });

  it("finds the parts of every journal line of both months, and they sum to the line: depreciation as depreciation.csv lists it", async () => {
    const dep = await traceJournal(store, "DEP-2026-10-P1", "2026-10");
    // depreciation.csv, written by the close, is independent evidence of each asset's share.
    const csv = readFileSync(join(outOf("2026-10"), "depreciation.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
    for (const l of dep.lines) {
      const expected = csv.filter((c) => c[1] === "gl" && c[6] === l.faClass && c[3] !== "0.00").map((c) => [c[0], Math.round(Number(c[3]) * 100)]);
      expect(l.parts.map((p) => [p.assetId, p.amount])).toEqual(expected);
      expect(l.sum).toBe(l.debit + l.credit);
      expect(l.ties).toBe(true);
    }
    expect(dep.lines[2]!.parts.map((p) => [p.assetId, p.amount])).toEqual([["P1-1", 241], ["P1-2", 481], ["P1-3", 321], ["P1-4", 320], ["P1-6", 192]]);
    expect(dep.lines[2]!.sum).toBe(1555);

    // Every line of every entry ties, but the first close's expense (see the note).
    const untied: string[] = [];
    for (const period of ["2026-09", "2026-10"]) {
      for (const e of await store.journal(period)) {
        const t = await traceJournal(store, e.journalId);
        for (const l of t.lines) {
          expect(l.sum === l.debit + l.credit).toBe(l.ties);
          if (!l.ties) untied.push(`${l.journalId} ${l.line}`);
        }
      }
    }
    // Every line ties, the first close's expense entry too: its take-on history is marked.
    expect(untied).toEqual([]);

    // Retirements: by percentage, by quantity and wholly, each with its own loss.
    const dsp = await traceJournal(store, "DSP-2026-10-P1");
    expect(dsp.lines.map((l) => [l.account, l.parts.map((p) => [p.assetId, p.component, p.amount]), l.sum, l.ties])).toEqual([
      ["1195", [["P1-1", "proceeds less removal cost", 8000], ["P1-10", "proceeds less removal cost", 5000]], 13000, true],
      ["3130", [["P1-1", "accumulated depreciation retired", 160], ["P1-10", "accumulated depreciation retired", 321], ["P1-6", "accumulated depreciation retired", 128]], 609, true],
      ["7120", [["P1-1", "loss", 39940], ["P1-10", "loss", 187079], ["P1-6", "loss", 76832]], 303851, true],
      ["2430", [["P1-1", "cost retired", 48100], ["P1-10", "cost retired", 192400], ["P1-6", "cost retired", 76960]], 317460, true],
    ]);
  });

  it("names the clearing line by its side: removal costing more than the proceeds is a credit, 'removal cost less proceeds'", async () => {
    const own = tmp();
    const file = join(own, "retirements.csv");
    writeFileSync(file, "asset_id,date,portion,proceeds,removal_cost,reason\nP1-1,2026-10-15,all,,500.00,\n");
    const register = await RegisterStore.open(join(own, "capex.db"));
    try {
      await runMonthEnd({ register, snapshot: await openSnapshot(snapshots.sep), rules, period: "2026-09", out: join(own, "2026-09"), workbook: false, now: FIXED_NOW });
      await runMonthEnd({ register, snapshot: await openSnapshot(snapshots.oct), rules, period: "2026-10", out: join(own, "2026-10"), workbook: false, retirementsFile: file, now: FIXED_NOW });
      const clearing = (await traceJournal(register, "DSP-2026-10-P1")).lines.find((l) => l.account === "1195")!;
      expect([clearing.debit, clearing.credit, clearing.parts.map((p) => [p.assetId, p.component, p.amount]), clearing.ties]).toEqual([0, 50_000, [["P1-1", "removal cost less proceeds", 50_000]], true]);
    } finally {
      await register.close();
    }
  });

  it("the lines an asset's own movements reach (the audit's sample pages) are the lines trace finds it a part of, for every asset and month", async () => {
    const ids = [...(await store.assetIds())];
    expect(ids.length).toBe(8);
    for (const period of ["2026-09", "2026-10"]) {
      const lines = new PeriodLines(store, period, await store.journal(period));
      for (const id of ids) {
        const traced = (await traceAsset(store, id)).journalLines.filter((l) => l.period === period).map((l) => `${l.journalId} ${l.line}`);
        const reached = (await lines.of((await store.assetHistory(id))!)).map(({ entry, line }) => `${entry.journalId} ${line}`);
        expect(reached, `${id} ${period}`).toEqual([...new Set(traced)]);
      }
    }
  });

  it("prints an asset's trace an accountant can read, and the same as --json", async () => {
    const r = await capex(["trace", "P1-2", "--db", db]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 7)).toEqual([
      "Asset P1-2 (active)",
      "  Render task     P1#2, install_conduit: Underground conduit (PVC/HDPE)",
      "  Approved        by a.kowalski at 2026-09-10T14:00:00Z UTC = 2026-09-10T10:00:00-04:00 America/New_York",
      "  In service      2026-09-10 (the approval's local date)",
      "  Class           Infrastructure; straight_line over 600 months, full_month convention",
      "  Cost            2886.00 (salvage 0.00) for 150 ft",
      "  Rule            task_types.install_conduit, rules version 2026.1 (as posted in 2026-10); rates R26-CND-2IN",
    ]);
    expect(lines).toContain("  1     rate_card  CND-2IN-HDPE       150  ft   19.24  R26-CND-2IN  2886.00");
    expect(lines.find((l) => l.includes("ADJ-2026-10-P1    11"))).toBe(
      "  2026-10  ADJ-2026-10-P1    11  6562 Depreciation expense - outside plant infrastructure         4.81     0.00        1.60  depreciation expense      2026-10 depreciation catch-up, Infrastructure",
    );
    const json = await capex(["trace", "P1-2", "--db", db, "--json"]);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(await traceAsset(store, "P1-2"))));
  }, CLI_BUDGET);

  it("traces an asset taken on from another system to its take-on file, not to a Render task it never had", async () => {
    const takeOnFile = "fixtures/import/example-assets.csv";
    const importDb = join(tmp(), "import.db");
    const imported = await RegisterStore.open(importDb);
    try {
      const defaults = await loadDefaultRules();
      await importAssets(imported, { file: takeOnFile, asOf: "2026-10", rules: defaults, now: FIXED_NOW });
      const snapshot = await openSnapshot(await writeSnapshot([baseTask(1)]));
      await runMonthEnd({ register: imported, snapshot, rules: defaults, period: "2026-10", out: join(tmp(), "2026-10"), workbook: false, now: FIXED_NOW });

      const r = await capex(["trace", "LEG-0003", "--db", importDb]);
      expect(r).toEqual({
        code: 0,
        stderr: "",
        stdout: [
          "Asset LEG-0003 (active)",
          "  Taken on        from another system by capex register import in 2026-09 (opening balances, no journal); project LEGACY-AUS",
          `  Take-on file    ${takeOnFile} (sha256 ${sha256(readFileSync(takeOnFile))})`,
          "  Description     Fusion splicing trailer",
          "  In service      2023-04-20 (as the take-on file gives it)",
          "  Accumulated     17322.19 taken on, to 2026-09-30",
          "  Class           Equipment (Tooling); declining_balance over 84 months, full_month convention",
          "  Cost            38900.00 (salvage 3890.00) for 1 each",
          "  Rule            import (no task type: the take-on file's figures), rules version 2026.1 (as posted in 2026-09)",
          "  Location        2100 Kramer Ln",
          "",
          "Cost elements (unit lines and rates)",
          "  none: the take-on file gives the cost as one amount",
          "",
          "Register events",
          "  period   event   status  class                    cost  cost change  accum. change  catch-up  why",
          `  2026-09  import  active  Equipment (Tooling)  38900.00     38900.00       17322.19      0.00  taken on from ${takeOnFile} at accumulated depreciation 17322.19 to 2026-09-30; the remaining 17687.81 depreciates over the rest of its life from 2026-10`,
          "",
          "Depreciation (GL book) by period (accumulated = the period before's + depreciation + other changes, which are the register events' accum. change; cost at the period's end)",
          "  period   depreciation  other changes  accumulated      cost  net book value",
          "  2026-09          0.00       17322.19     17322.19  38900.00        21577.81",
          "  2026-10        722.68           0.00     18044.87  38900.00        20855.13",
          "",
          "Journal lines this asset is part of (its share of each line)",
          "  period   journal                 line  account                                                    debit  credit  this asset  as                        memo",
          "  2026-10  DEP-2026-10-LEGACY-AUS     1  6563 Depreciation expense - tools and work equipment      722.68    0.00      722.68  depreciation expense      2026-10 depreciation, Equipment (Tooling)",
          "  2026-10  DEP-2026-10-LEGACY-AUS     2  3140 Accumulated depreciation - tools and work equipment    0.00  722.68      722.68  accumulated depreciation  2026-10 depreciation, Equipment (Tooling)",
          "",
        ].join("\n"),
      });

      // --json: where it came from; no Render task, task type or approval.
      const t = await traceAsset(imported, "LEG-0003");
      expect(t).toMatchObject({ source: "import", taskId: undefined, approval: undefined, inServiceDate: "2023-04-20" });
      expect(t.takeOn).toEqual({ file: takeOnFile, sha256: sha256(readFileSync(takeOnFile)), period: "2026-09", inServiceDate: "2023-04-20", accumulated: 1_732_219 });
      const json = JSON.parse((await capex(["trace", "LEG-0003", "--db", importDb, "--json"])).stdout);
      expect(json).toEqual(JSON.parse(JSON.stringify(t)));
      expect(Object.keys(json)).not.toContain("approval");
      expect(Object.keys(json)).not.toContain("taskId");
      // A Render asset's trace in the same register has no take-on.
      expect((await traceAsset(imported, "P1-1")).takeOn).toBeUndefined();
    } finally {
      await imported.close();
    }
  }, CLI_BUDGET);

  it("prints what makes up each line of a journal entry and proves the sum ties", async () => {
    const r = await capex(["trace", "--journal", "DEP-2026-10-P1", "--period", "2026-10", "--db", db]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const at = lines.indexOf("Line 3: 6562 Depreciation expense - outside plant infrastructure, Infrastructure, debit 15.55 — 2026-10 depreciation, Infrastructure");
    expect(lines.slice(at, at + 8)).toEqual([
      "Line 3: 6562 Depreciation expense - outside plant infrastructure, Infrastructure, debit 15.55 — 2026-10 depreciation, Infrastructure",
      "  asset / task  from          as                    amount",
      "  P1-1          depreciation  depreciation expense    2.41",
      "  P1-2          depreciation  depreciation expense    4.81",
      "  P1-3          depreciation  depreciation expense    3.21",
      "  P1-4          depreciation  depreciation expense    3.20",
      "  P1-6          depreciation  depreciation expense    1.92",
      "  sum of 5 parts 15.55 = line debit 15.55: ties",
    ]);
    expect(lines.at(-2)).toBe("Every line of DEP-2026-10-P1 ties to its parts.");
    const first = await capex(["trace", "--journal", "EXP-2026-09-P1", "--db", db]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("  sum of 1 part 192.40 = line debit 192.40: ties\n");
    // An expensed task type with no class label: no empty class between the commas.
    expect(first.stdout).toMatch(/\nLine 2: 1790 Construction in progress \(CIP\), credit 192\.40 — /);
  }, CLI_BUDGET);

  it("refuses an id the register does not hold (exit 2), suggesting the nearest", async () => {
    expect(await capex(["trace", "P1-22", "--db", db])).toMatchObject({ code: 2, stdout: "", stderr: `capex: ASSET_ID: no asset P1-22 in the register ${db}; did you mean P1-2?\n` });
    // In the wrong case, as capex register asset takes it.
    expect(await capex(["trace", "p1-10", "--db", db])).toMatchObject({ code: 2, stderr: `capex: ASSET_ID: no asset p1-10 in the register ${db}; did you mean P1-10?\n` });
    expect(await capex(["trace", "--journal", "DEP-2026-10-P2", "--db", db])).toMatchObject({
      code: 2,
      stderr: `capex: --journal: no journal entry DEP-2026-10-P2 in the register ${db}; did you mean DEP-2026-10-P1?\n`,
    });
    // A kind of entry the period and project did not post: their own entries, not another kind's misspelt.
    expect(await capex(["trace", "--journal", "DSP-2026-09-P1", "--db", db])).toMatchObject({
      code: 2,
      stderr: `capex: --journal: no journal entry DSP-2026-09-P1 in the register ${db}; no DSP entry was posted for 2026-09-P1, whose entries are CAP-2026-09-P1, DEP-2026-09-P1, EXP-2026-09-P1\n`,
    });
    // Part of an id: the entries it begins (a month's, one per project), in any case.
    expect(await capex(["trace", "--journal", "dep-2026", "--db", db])).toMatchObject({
      code: 2,
      stderr: `capex: --journal: no journal entry dep-2026 in the register ${db}; the entries beginning dep-2026: DEP-2026-09-P1, DEP-2026-10-P1\n`,
    });
    // One entry begins so, or the whole id in the wrong case: that one.
    for (const id of ["dep-2026-10-p1", "DEP-2026-10"]) {
      expect((await capex(["trace", "--journal", id, "--db", db])).stderr).toBe(`capex: --journal: no journal entry ${id} in the register ${db}; did you mean DEP-2026-10-P1?\n`);
    }
    expect(await capex(["trace", "--journal", "DEP-2026-10-P1", "--period", "2026-09", "--db", db])).toMatchObject({
      code: 2,
      stderr: "capex: --period: journal entry DEP-2026-10-P1 was posted in 2026-10, not 2026-09\n",
    });
    expect(await capex(["trace", "--db", db])).toMatchObject({ code: 2, stderr: "capex: ASSET_ID: name an asset to trace, or a journal entry with --journal (one of the two)\n" });
  }, CLI_BUDGET);
});

describe("on PostgreSQL", () => {
  it("verify reproduces both months and every journal line's parts are found as on SQLite", async () => {
    const reg = await freshRegister("postgres");
    const pg = await reg.open();
    try {
      const retirements = join(dir, "retirements.csv");
      for (const [period, snap, out] of [["2026-09", snapshots.sep, join(tmp(), "2026-09")], ["2026-10", snapshots.oct, join(tmp(), "2026-10")]] as const) {
        await runMonthEnd({ register: pg, snapshot: await openSnapshot(snap), rules, period, out, workbook: period === "2026-10", retirementsFile: period === "2026-10" ? retirements : undefined, now: FIXED_NOW });
        const r = await verifyPeriod({ store: pg, period, snapshot: await openSnapshot(snap), rules, out });
        expect(r.files.filter((f) => f.status !== "same")).toEqual([]);
        expect(r.reproduced).toBe(true);
        for (const e of await pg.journal(period)) {
          expect(await traceJournal(pg, e.journalId)).toEqual(await traceJournal(store, e.journalId));
        }
      }
      expect(await traceAsset(pg, "P1-6")).toEqual(await traceAsset(store, "P1-6"));
    } finally {
      await pg.close();
      await reg.dispose();
    }
  }, 120_000);
});
