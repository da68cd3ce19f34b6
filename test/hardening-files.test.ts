import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePeriod } from "../src/close/close.js";
import { runMonthEnd } from "../src/close/month-end.js";
import { reopenPeriod } from "../src/register/reopen.js";
import { RegisterStore } from "../src/register/store.js";
import { ConfigError, OutputFolderError, RenderValidationError, SnapshotError } from "../src/errors.js";
import { loadDefaultRules, loadRules, type Rules } from "../src/index.js";
import { defaultRulesFile, packageRoot } from "../src/package-info.js";
import { RenderClient } from "../src/render/client.js";
import { DailyQuota } from "../src/render/quota.js";
import { CLOSE_OUTPUT_FOLDER, writeCloseOutputs } from "../src/report/write.js";
import { checkOutputFolder } from "../src/atomic-dir.js";
import { folderData } from "../src/sandbox/data.js";
import { type Sandbox, startSandbox } from "../src/sandbox/server.js";
import { fetchSnapshot } from "../src/snapshot/fetch.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { exitCodeFor } from "../src/cli/terminal.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const run = promisify(execFile);
const SPAWN = 120_000;

async function capex(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH, HOME: tmp(), CAPEX_QUOTA_FILE: join(tmp(), "q.json"), ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Every file below `dir` with its content, to prove nothing changed. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    out[name] = statSync(p).isDirectory() ? "(folder)" : readFileSync(p, "latin1");
  }
  return out;
}

const TASKS = [
  baseTask(1, { approved_date: "2026-10-05T14:00:00Z" }),
  // Unknown task type: its exception message names the rules file.
  baseTask(2, { task_type: "install_microduct", approved_date: "2026-10-20T14:00:00Z" }),
];
/** PIDs are always below Linux's pid_max ceiling (2^22), so no process can have this one. */
const DEAD_PID = 4_194_304;
const NOTHING = "Nothing was written.";

let rules: Rules;
let snapshotDir: string;
beforeAll(async () => {
  rules = await loadRules("rules/render-fiber.yaml");
  snapshotDir = await writeSnapshot(TASKS);
});
const close = async () => closePeriod({ snapshot: await openSnapshot(snapshotDir), rules, period: "2026-10" });

describe("an output folder replaces only a folder fiber-capex wrote", () => {
  it("the close writer refuses a non-empty folder it did not write, and leaves it as it was", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "ledger.xlsx"), "the accountant's own work");
    const err = await writeCloseOutputs(await close(), rules, { out: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputFolderError);
    expect((err as OutputFolderError).message).toBe(
      `${dir}: the folder is not empty and is not a close output folder that fiber-capex wrote (recognised by its manifest.json), so writing there would replace everything in it. ` +
        `${NOTHING} Choose a new or empty folder, for example out/2026-10, or a close output folder fiber-capex wrote before.`,
    );
    expect(exitCodeFor(err)).toBe(2);
    expect(readdirSync(dir)).toEqual(["ledger.xlsx"]);
  });

  it("the close of one period never replaces another period's outputs (they may be in the ledger already)", async () => {
    const september = tmp();
    await writeCloseOutputs(await closePeriod({ snapshot: await openSnapshot(snapshotDir), rules, period: "2026-09" }), rules, { out: september });
    const before = tree(september);
    const err = await writeCloseOutputs(await close(), rules, { out: september }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputFolderError);
    expect((err as OutputFolderError).message).toBe(
      `${september}: holds the outputs of the close of 2026-09 (by its manifest.json), which may already be in the ledger; the close of 2026-10 does not replace them. ` +
        `${NOTHING} Choose a new or empty folder, for example out/2026-10.`,
    );
    expect(exitCodeFor(err)).toBe(2);
    expect(tree(september)).toEqual(before);
  });

  it("never suggests, as the folder to choose instead, the folder it refuses", () => {
    const dir = tmp();
    writeFileSync(join(dir, "notes.txt"), "mine");
    expect(() => checkOutputFolder(dir, { ...CLOSE_OUTPUT_FOLDER, example: dir })).toThrow(
      `${dir}: the folder is not empty and is not a close output folder that fiber-capex wrote (recognised by its manifest.json), so writing there would replace everything in it. ` +
        `${NOTHING} Choose a new or empty folder, for example ${dir}-2, or a close output folder fiber-capex wrote before.`,
    );
    // An example with a note after its path (the demo's) is told by its path.
    expect(() => checkOutputFolder(dir, { ...CLOSE_OUTPUT_FOLDER, example: `${dir} (a note)` })).toThrow(`for example ${dir}-2 (a note), or a close output folder`);
    // Nor a folder that holds something already (it would be refused next): dir-2 is taken, dir-3 is empty.
    mkdirSync(`${dir}-2`);
    writeFileSync(join(`${dir}-2`, "manifest.json"), "{}");
    mkdirSync(`${dir}-3`);
    expect(() => checkOutputFolder(dir, { ...CLOSE_OUTPUT_FOLDER, example: dir })).toThrow(`for example ${dir}-3, or a close output folder`);
    // A folder the run would take (its own kind's earlier output) is suggested as it is.
    const own = `${dir}-own`;
    mkdirSync(own);
    writeFileSync(join(own, "manifest.json"), JSON.stringify({ format: "fiber-capex-close/1" }));
    expect(() => checkOutputFolder(dir, { ...CLOSE_OUTPUT_FOLDER, example: own })).toThrow(`for example ${own}, or a close output folder`);
  });

  it("nor the same period's outputs posted to another register (another entity's register given the same --out, by mistake)", async () => {
    const october = tmp();
    const register = async () => RegisterStore.open(join(tmp(), "capex.db"));
    const stages: string[] = [];
    const monthEnd = async (store: RegisterStore) =>
      runMonthEnd({ register: store, snapshot: await openSnapshot(snapshotDir), rules, period: "2026-10", out: october, workbook: false, onStage: (s) => stages.push(s) });
    const [a, b] = [await register(), await register()];
    try {
      // Outputs that name no register (a close without one, or before 0.5.0) are replaced.
      await writeCloseOutputs(await close(), rules, { out: october });
      await monthEnd(a);
      const idA = (await a.registerId())!;
      const before = tree(october);
      expect(JSON.parse(before["manifest.json"]!).register).toEqual({ id: idA });
      // Another register's first close of the same month (both empty before it) is refused,
      // before anything is computed (minutes on a big close).
      stages.length = 0;
      const err = await monthEnd(b).catch((e: unknown) => e);
      expect(stages).toEqual([]);
      expect(err).toBeInstanceOf(OutputFolderError);
      // b holds nothing yet: most likely a mistyped --db, which the refusal asks about.
      expect((err as OutputFolderError).message).toBe(
        `${october}: holds the outputs of the close of 2026-10 posted to another register (register id ${idA} in its manifest.json), ` +
          `which may already be in that register's ledger; the close does not replace them (the register of this close, ${b.location}, holds no period yet: is it the one you meant? ` +
          "Check --db and --out; remove the folder yourself if they are no longer needed). " +
          `${NOTHING} Choose a new or empty folder, for example out/2026-10.`,
      );
      expect(tree(october)).toEqual(before);
      expect((await b.status()).periods).toEqual([]);
      expect(await b.registerId()).toBeUndefined();
      // A register with closes of its own is another entity's, perhaps: asked only to check.
      await runMonthEnd({ register: b, snapshot: await openSnapshot(snapshotDir), rules, period: "2026-09", out: tmp(), workbook: false });
      const other = await monthEnd(b).catch((e: unknown) => e);
      expect((other as OutputFolderError).message).toContain("the close does not replace them (check --db and --out; remove the folder yourself");
      expect(tree(october)).toEqual(before);
      // The same register's close again after reopening the month replaces them.
      await reopenPeriod(a, "2026-10");
      expect((await monthEnd(a)).status).toBe("closed");
      expect(await a.registerId()).toBe(idA);
      // A re-run names the register as the close did: a period closed before registers had ids
      // (made so here) is re-run with none, so a second re-run is not refused as another register's.
      await sql`delete from capex_register where key = 'id'`.execute(a.db);
      await sql`update period_reports set report = json_remove(report, '$.registerId')`.execute(a.db);
      const manifest = join(october, "manifest.json");
      writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, "utf8")), register: undefined }));
      for (let i = 0; i < 2; i++) expect((await monthEnd(a)).status).toBe("rewritten");
      expect(JSON.parse(readFileSync(manifest, "utf8")).register).toBeUndefined();
      expect(await a.registerId()).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("the close writer refuses a file, the current folder, a snapshot folder, and a folder holding its snapshot", async () => {
    const result = await close();
    const file = join(tmp(), "existing.txt");
    writeFileSync(file, "keep me");
    await expect(writeCloseOutputs(result, rules, { out: file })).rejects.toThrow(
      `${file}: is a file, not a folder; a close output folder is a folder of files. ${NOTHING} Choose a path that does not exist yet, or an empty folder.`,
    );
    expect(readFileSync(file, "utf8")).toBe("keep me");
    await expect(writeCloseOutputs(result, rules, { out: "." })).rejects.toThrow(
      `.: is the current folder or contains it; writing a close output folder there would replace everything in it. ${NOTHING} Choose a new folder, for example out/2026-10.`,
    );
    await expect(writeCloseOutputs(result, rules, { out: snapshotDir })).rejects.toThrow(
      `${snapshotDir}: is ${snapshotDir}, an input of this run; writing a close output folder there would destroy it. ${NOTHING} Choose a folder outside the inputs, for example out/2026-10.`,
    );
    const parent = join(snapshotDir, "..");
    await expect(writeCloseOutputs(result, rules, { out: parent })).rejects.toThrow(`${parent}: contains ${snapshotDir}, an input of this run;`);
    // Another snapshot (not this run's input) is still not a close output folder.
    const other = await writeSnapshot(TASKS);
    await expect(writeCloseOutputs(result, rules, { out: other })).rejects.toThrow(
      `${other}: holds a snapshot that fiber-capex wrote, not a close output folder, and writing there would replace it. ${NOTHING} Choose a new or empty folder, for example out/2026-10.`,
    );
    expect(readdirSync(other).sort()).toEqual(["invalid_tasks.json", "manifest.json", "projects.json", "task_types.json", "tasks.jsonl"]);
  });

  it("uses an empty folder, replaces its own earlier output (keeping what it did not write there), and one written before manifests had a format", async () => {
    const empty = tmp();
    await writeCloseOutputs(await close(), rules, { out: empty });
    const manifest = JSON.parse(readFileSync(join(empty, "manifest.json"), "utf8"));
    expect(manifest.format).toBe("fiber-capex-close/1");
    // What the earlier close wrote (its manifest lists it) goes; what someone else put there stays.
    expect(existsSync(join(empty, "capex-2026-10.xlsx"))).toBe(true);
    writeFileSync(join(empty, "audit-2026-10.pdf"), "the auditor's report");
    mkdirSync(join(empty, "notes"));
    writeFileSync(join(empty, "notes", "review.txt"), "the controller's notes");
    await writeCloseOutputs(await close(), rules, { out: empty, workbook: false });
    expect(existsSync(join(empty, "capex-2026-10.xlsx"))).toBe(false);
    expect(readFileSync(join(empty, "audit-2026-10.pdf"), "utf8")).toBe("the auditor's report");
    expect(readFileSync(join(empty, "notes", "review.txt"), "utf8")).toBe("the controller's notes");
    expect(readdirSync(empty).filter((n) => n.startsWith("."))).toEqual([]);
    const legacy = tmp();
    writeFileSync(join(legacy, "manifest.json"), JSON.stringify({ tool: { name: "fiber-capex", version: "0.1.0" }, period: "2026-10" }));
    await writeCloseOutputs(await close(), rules, { out: legacy });
    expect(JSON.parse(readFileSync(join(legacy, "manifest.json"), "utf8")).format).toBe("fiber-capex-close/1");
  });

  it("a fetch refuses a folder that is not a snapshot before it sends any request", async () => {
    let requests = 0;
    const client = new RenderClient({
      connection: { apiUrl: "http://127.0.0.1:9", authUrl: "http://127.0.0.1:9", clientId: "id", clientSecret: "secret" },
      transport: async () => {
        requests++;
        throw new Error("no request may be sent");
      },
    });
    const closeOut = tmp();
    await writeCloseOutputs(await close(), rules, { out: closeOut });
    const before = tree(closeOut);
    await expect(fetchSnapshot(client, { out: closeOut })).rejects.toThrow(
      `${closeOut}: holds a close's outputs that fiber-capex wrote, not a snapshot folder, and writing there would replace it. ${NOTHING} Choose a new or empty folder, for example snapshots/2026-11-02.`,
    );
    expect(tree(closeOut)).toEqual(before);
    expect(requests).toBe(0);
  });
});

describe("capex close and fetch never delete what they did not write", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ data: folderData("fixtures/demo"), timeScale: 50 });
  });
  afterAll(() => sandbox.close());
  const env = () => ({ RENDER_API_URL: sandbox.url, RENDER_AUTH_URL: sandbox.url, RENDER_CLIENT_ID: sandbox.clientId, RENDER_CLIENT_SECRET: sandbox.clientSecret });

  it(
    "refuses --out ., an input's folder, a foreign folder, a file and a path under a file with exit 2, and changes nothing",
    async () => {
      const cwd = realpathSync(tmp());
      cpSync(snapshotDir, join(cwd, "snapshots", "2026-11-02"), { recursive: true });
      mkdirSync(join(cwd, "Finance"));
      writeFileSync(join(cwd, "Finance", "budget.xlsx"), "numbers");
      writeFileSync(join(cwd, "existing.txt"), "text");
      const before = tree(cwd);
      const closeWith = (out: string, period = "2026-10") => capex(["close", "--period", period, "--snapshot", "snapshots/2026-11-02", "--out", out], cwd);
      const results = await Promise.all([
        closeWith("."),
        closeWith("snapshots"),
        closeWith("Finance", "2026-09"),
        closeWith("existing.txt"),
        closeWith("existing.txt/sub"),
        capex(["fetch", "--out", "Finance"], cwd, env()),
        capex(["fetch", "--out", "."], cwd, env()),
        capex(["fetch", "--out", "existing.txt/sub"], cwd, env()),
      ]);
      const close = "a close output folder";
      // The fetches are not told to use snapshots/2026-11-02: this folder holds a snapshot there.
      expect(results).toEqual([
        { code: 2, stdout: "", stderr: `capex: .: is the current folder or contains it; writing ${close} there would replace everything in it. ${NOTHING} Choose a new folder, for example out/2026-10.\n` },
        {
          code: 2,
          stdout: "",
          stderr: `capex: snapshots: contains snapshots/2026-11-02, an input of this run; writing ${close} there would destroy it. ${NOTHING} Choose a folder outside the inputs, for example out/2026-10.\n`,
        },
        {
          code: 2,
          stdout: "",
          stderr:
            `capex: Finance: the folder is not empty and is not a close output folder that fiber-capex wrote (recognised by its manifest.json), so writing there would replace everything in it. ` +
            `${NOTHING} Choose a new or empty folder, for example out/2026-09, or a close output folder fiber-capex wrote before.\n`,
        },
        { code: 2, stdout: "", stderr: `capex: existing.txt: is a file, not a folder; ${close} is a folder of files. ${NOTHING} Choose a path that does not exist yet, or an empty folder.\n` },
        {
          code: 2,
          stdout: "",
          stderr: `capex: existing.txt/sub: cannot be created: ${join(cwd, "existing.txt")} is a file, not a folder; ${close} is a folder of files. ${NOTHING} Choose a path that does not exist yet, or an empty folder.\n`,
        },
        {
          code: 2,
          stdout: "",
          stderr:
            `capex: Finance: the folder is not empty and is not a snapshot folder that fiber-capex wrote (recognised by its manifest.json), so writing there would replace everything in it. ` +
            `${NOTHING} Choose a new or empty folder, for example snapshots/2026-11-02-2, or a snapshot folder fiber-capex wrote before, with --replace.\n`,
        },
        { code: 2, stdout: "", stderr: `capex: .: is the current folder or contains it; writing a snapshot folder there would replace everything in it. ${NOTHING} Choose a new folder, for example snapshots/2026-11-02-2.\n` },
        {
          code: 2,
          stdout: "",
          stderr: `capex: existing.txt/sub: cannot be created: ${join(cwd, "existing.txt")} is a file, not a folder; a snapshot folder is a folder of files. ${NOTHING} Choose a path that does not exist yet, or an empty folder.\n`,
        },
      ]);
      expect(tree(cwd)).toEqual(before);
    },
    SPAWN,
  );

  it(
    "fetch --status with a status Render does not know exits 2 in plain words, like an unknown --project",
    async () => {
      const cwd = tmp();
      const r = await capex(["fetch", "--out", "s", "--project", "SYD-WEST", "--status", "bogus"], cwd, env());
      expect(r).toEqual({
        code: 2,
        stdout: "",
        stderr:
          `capex: --status: Render does not accept the status filter "bogus" (Input should be 'approved', 'completed', 'rejected', 'in_progress', 'released', 'allocated', 'created', 'cancelled'). ` +
          `${NOTHING} Give statuses Render knows, for example --status approved --status completed.\n`,
      });
      expect(readdirSync(cwd)).toEqual([]);
      expect(exitCodeFor(new RenderValidationError("GET /x", []))).toBe(2);
    },
    SPAWN,
  );

  it(
    "a damaged quota file stops the fetch with exit 2, naming the file, and is left as it was",
    async () => {
      const cwd = tmp();
      const quota = join(cwd, "quota.json");
      writeFileSync(quota, "{ not json");
      const r = await capex(["fetch", "--out", "s"], cwd, { ...env(), CAPEX_QUOTA_FILE: quota });
      expect(r).toEqual({
        code: 2,
        stdout: "",
        stderr:
          `capex: ${quota}: the daily quota file is damaged (expected {"<credential>": {"day": "YYYY-MM-DD", "used": N}}), so today's request count is unknown. ` +
          "Fix it, or delete it to start counting again from 0 (Render still enforces its own quota).\n",
      });
      expect(readFileSync(quota, "utf8")).toBe("{ not json");
      expect(existsSync(join(cwd, "s"))).toBe(false);
    },
    SPAWN,
  );

  it(
    "fetch keeps an earlier snapshot, the evidence of the closes made from it, unless --replace is given",
    async () => {
      const cwd = tmp();
      const run = (...extra: string[]) => capex(["fetch", "--out", "snapshots/2026-11-02", "--project", "SYD-WEST", ...extra], cwd, env());
      expect((await run()).code).toBe(0);
      const manifest = join(cwd, "snapshots", "2026-11-02", "manifest.json");
      const before = readFileSync(manifest, "utf8");
      const { fetched_at } = JSON.parse(before) as { fetched_at: string };
      expect(await run()).toEqual({
        code: 2,
        stdout: "",
        stderr:
          `capex: snapshots/2026-11-02: holds a snapshot fetched at ${fetched_at}, the evidence that a close made from it is verified against (capex verify); ` +
          `a fetch replaces an earlier snapshot only when asked to with --replace. ${NOTHING} Choose a new or empty folder, for example snapshots/2026-11-02-2.\n`,
      });
      expect(readFileSync(manifest, "utf8")).toBe(before);
      expect(readdirSync(join(cwd, "snapshots"))).toEqual(["2026-11-02"]);
      expect((await run("--replace")).code).toBe(0);
      expect((JSON.parse(readFileSync(manifest, "utf8")) as { fetched_at: string }).fetched_at).not.toBe(fetched_at);
      expect(readdirSync(join(cwd, "snapshots"))).toEqual(["2026-11-02"]);
    },
    SPAWN,
  );
});

describe("temporary folders of killed runs", () => {
  it("are removed on the next run when their process is gone; a live run's and other names stay", async () => {
    const parent = tmp();
    const out = join(parent, "2026-10");
    const live = process.ppid; // vitest's main process: running, and not this process
    for (const name of [`.2026-10.tmp-${DEAD_PID}-deadbeef`, `.2026-10.tmp-${DEAD_PID}-c0ffee00`, `.2026-10.tmp-${live}-0123abcd`, `.other.tmp-${DEAD_PID}-deadbeef`, `.2026-10.tmp-${DEAD_PID}-notmine`]) {
      mkdirSync(join(parent, name));
      writeFileSync(join(parent, name, "tasks.jsonl"), "16 MB of a killed run");
    }
    await writeCloseOutputs(await close(), rules, { out });
    const kept = [`.2026-10.tmp-${DEAD_PID}-notmine`, `.2026-10.tmp-${live}-0123abcd`, `.other.tmp-${DEAD_PID}-deadbeef`, "2026-10"].sort();
    expect(readdirSync(parent).sort()).toEqual(kept);
    // Now the output exists: a dead run's .old beside it is only garbage.
    mkdirSync(join(parent, `.2026-10.old-${DEAD_PID}-0badf00d`));
    await writeCloseOutputs(await close(), rules, { out });
    expect(readdirSync(parent).sort()).toEqual(kept);
  });

  it("a run killed while moving the files it did not write into its new output: they move on, never deleted", async () => {
    const parent = tmp();
    const out = join(parent, "2026-10");
    await writeCloseOutputs(await close(), rules, { out });
    // The killed run's previous output, still holding the auditor's report it had not moved yet.
    const old = join(parent, `.2026-10.old-${DEAD_PID}-0badf00d`);
    await writeCloseOutputs(await close(), rules, { out: old });
    writeFileSync(join(old, "audit-2026-10.pdf"), "the auditor's report");
    // And one whose manifest cannot be read: kept whole, under a name no run cleans away.
    const unknown = join(parent, `.2026-10.old-${DEAD_PID}-c0ffee00`);
    mkdirSync(unknown);
    writeFileSync(join(unknown, "notes.txt"), "whose?");
    // A killed run's replaced --out link (its target gone since) and a stray file: just entries.
    symlinkSync(join(parent, "no-such-share"), join(parent, `.2026-10.old-${DEAD_PID}-11111111`));
    writeFileSync(join(parent, `.2026-10.old-${DEAD_PID}-22222222`), "");
    await writeCloseOutputs(await close(), rules, { out });
    expect(readdirSync(parent).sort()).toEqual(["2026-10", `2026-10.kept-${DEAD_PID}-c0ffee00`]);
    expect(readFileSync(join(out, "audit-2026-10.pdf"), "utf8")).toBe("the auditor's report");
    expect(readFileSync(join(parent, `2026-10.kept-${DEAD_PID}-c0ffee00`, "notes.txt"), "utf8")).toBe("whose?");
  });

  it("a file of the user's named like a new output is kept beside it; a folder reached through a link is left as it was", async () => {
    const parent = tmp();
    const out = join(parent, "2026-10");
    await writeCloseOutputs(await close(), rules, { out, workbook: false });
    writeFileSync(join(out, "capex-2026-10.xlsx"), "the controller's own workbook");
    await writeCloseOutputs(await close(), rules, { out });
    const keptName = readdirSync(out).find((n) => n.startsWith("capex-2026-10.xlsx.kept-"))!;
    expect(keptName).toMatch(/^capex-2026-10\.xlsx\.kept-\d+-[0-9a-f]{8}$/);
    expect(readFileSync(join(out, keptName), "utf8")).toBe("the controller's own workbook");
    // out/2026-10 -> share/2026-10: the share's files stay where they are.
    const share = join(parent, "share");
    await writeCloseOutputs(await close(), rules, { out: share });
    writeFileSync(join(share, "notes.txt"), "on the share");
    const linked = join(parent, "linked");
    symlinkSync(share, linked);
    await writeCloseOutputs(await close(), rules, { out: linked });
    expect(readFileSync(join(share, "notes.txt"), "utf8")).toBe("on the share");
    expect(existsSync(join(linked, "notes.txt"))).toBe(false);
  });

  it("a run killed between its two renames left the previous output as .old: it is put back, even if this run then fails", async () => {
    const parent = tmp();
    const out = join(parent, "2026-10");
    const old = join(parent, `.2026-10.old-${DEAD_PID}-0badf00d`);
    await writeCloseOutputs(await close(), rules, { out: old });
    writeFileSync(join(old, "marker.txt"), "the previous good output");
    mkdirSync(join(parent, `.2026-10.tmp-${DEAD_PID}-deadbeef`));
    const failing = writeCloseOutputs(await close(), rules, {
      out,
      onFile: () => {
        throw new Error("disk full");
      },
    });
    await expect(failing).rejects.toThrow("disk full");
    expect(readdirSync(parent)).toEqual(["2026-10"]);
    expect(readFileSync(join(out, "marker.txt"), "utf8")).toBe("the previous good output");
  });
});

describe("bad files in plain words", () => {
  it("a damaged or misshapen quota file is refused with a typed error, never read as zero", () => {
    const file = join(tmp(), "quota.json");
    const quota = new DailyQuota({ limit: 10, stateFile: file, credentialKey: "k", now: () => new Date("2026-11-02T10:00:00Z") });
    expect(quota.used()).toBe(0); // no file yet: nothing used
    const damaged = `${file}: the daily quota file is damaged (expected {"<credential>": {"day": "YYYY-MM-DD", "used": N}}), so today's request count is unknown. Fix it, or delete it to start counting again from 0 (Render still enforces its own quota).`;
    for (const text of ["garbage", JSON.stringify({ k: { day: "2026-11-02", used: -5 } }), "[]"]) {
      writeFileSync(file, text);
      expect(() => quota.used()).toThrow(new ConfigError(damaged));
      expect(() => quota.take()).toThrow(ConfigError);
      expect(readFileSync(file, "utf8")).toBe(text);
    }
    writeFileSync(file, JSON.stringify({ k: { day: "2026-11-02", used: 7 } }));
    expect(quota.used()).toBe(7);
  });

  it(
    "sandbox --data with a missing folder exits 2 naming it",
    async () => {
      const r = await capex(["sandbox", "--data", "missing", "--port", "0"], tmp());
      expect(r).toEqual({
        code: 2,
        stdout: "",
        stderr: "capex: missing: no such folder; the simulator serves a folder in the snapshot layout (projects.json, task_types.json, tasks.jsonl), such as one capex fetch wrote\n",
      });
    },
    SPAWN,
  );

  it("the simulator's folder reader names a missing file and a bad line", () => {
    const dir = tmp();
    expect(() => folderData(dir)).toThrow(
      new SnapshotError(join(dir, "projects.json"), "missing; the simulator serves a folder in the snapshot layout (projects.json, task_types.json, tasks.jsonl), such as one capex fetch wrote"),
    );
    writeFileSync(join(dir, "projects.json"), "[]");
    writeFileSync(join(dir, "task_types.json"), "{}");
    writeFileSync(join(dir, "tasks.jsonl"), '{"project_task_id": 1}\n{oops\n');
    expect(() => folderData(dir)).toThrow(`${join(dir, "tasks.jsonl")}:2: not valid JSON:`);
  });
});

describe("outputs record paths that do not depend on where the files sit", () => {
  it("loadDefaultRules records the bundled rules by their package name, with their sha256", async () => {
    const bundled = await loadDefaultRules();
    expect(bundled.file).toBe("rules/render-fiber.yaml");
    expect(bundled.sha256).toBe((await loadRules(defaultRulesFile())).sha256);
  });

  it(
    "two copies of the same snapshot and rules in different folders give the same bytes",
    async () => {
      const copies = [realpathSync(tmp("capex-copy-a-")), realpathSync(tmp("capex-copy-b-"))];
      for (const dir of copies) {
        cpSync(snapshotDir, join(dir, "snap"), { recursive: true });
        cpSync("rules/render-fiber.yaml", join(dir, "my-rules.yaml"));
      }
      const runs = await Promise.all(
        copies.flatMap((dir) => [
          capex(["close", "--period", "2026-10", "--snapshot", "snap", "--rules", "my-rules.yaml", "--out", "given", "--db", "given.db"], dir),
          // The bundled rules, and the snapshot given absolute (as capex demo does).
          capex(["close", "--period", "2026-10", "--snapshot", join(dir, "snap"), "--out", "bundled", "--db", "bundled.db"], dir),
        ]),
      );
      expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
      const [a, b] = copies as [string, string];
      for (const out of ["given", "bundled"]) {
        const files = readdirSync(join(a, out)).sort();
        expect(files).toContain("capex-2026-10.xlsx");
        for (const f of files) {
          const left = readFileSync(join(a, out, f));
          const right = readFileSync(join(b, out, f));
          if (f === "manifest.json") {
            // Each copy's close posted to a register of its own (register.id).
            const strip = (buf: Buffer) => ({ ...JSON.parse(buf.toString("utf8")), generated_at: "", register: undefined });
            expect(strip(left), `${out}/${f}`).toEqual(strip(right));
          } else expect(left.equals(right), `${out}/${f}`).toBe(true);
          for (const local of [a, packageRoot(), relative("/", a)]) expect(left.toString("latin1"), `${out}/${f}`).not.toContain(local);
        }
      }
      const exceptions = (dir: string, out: string) => readFileSync(join(dir, out, "exceptions.csv"), "utf8");
      // Outputs never name the rules by the path given (the manifest records it): the same bytes whatever it was.
      for (const out of ["given", "bundled"]) expect(exceptions(a, out)).toContain('is not in the rules file; add it under task_types');
      const manifest = JSON.parse(readFileSync(join(a, "bundled", "manifest.json"), "utf8"));
      expect(manifest.rules.path).toBe("rules/render-fiber.yaml");
      expect(manifest.snapshot.path).toBe("snap");
      expect(JSON.parse(readFileSync(join(a, "given", "manifest.json"), "utf8")).rules.path).toBe("my-rules.yaml");
    },
    SPAWN,
  );
});
