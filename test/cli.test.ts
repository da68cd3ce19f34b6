import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { folderData } from "../src/sandbox/data.js";
import { type Sandbox, startSandbox } from "../src/sandbox/server.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";

/** The built CLI (npm test builds before it runs vitest), run as a user runs it. */
const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const run = promisify(execFile);
/** Each test spawns the CLI one or more times; start-up alone takes up to 2 s on a loaded machine. */
const CLI_BUDGET = 60_000;

async function capex(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: tmp(), CAPEX_QUOTA_FILE: join(tmp(), "q.json"), ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("capex", () => {
  it("is built executable, so npx capex can run it directly", () => {
    expect(statSync(CLI).mode & 0o111).toBe(0o111);
  });

  it("lists its commands", async () => {
    const r = await capex(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["fetch", "close", "schedule", "rules", "sandbox", "demo"]) expect(r.stdout).toContain(`capex ${c}`);
  }, CLI_BUDGET);

  it("prints its own version wherever it is run from, and English help whatever the locale", async () => {
    const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
    const elsewhere = tmp();
    writeFileSync(join(elsewhere, "package.json"), JSON.stringify({ name: "someone-elses", version: "9.9.9" }));
    const env = { PATH: process.env.PATH, HOME: tmp(), LANG: "de_DE.UTF-8", LC_ALL: "de_DE.UTF-8" };
    expect((await run(process.execPath, [CLI, "--version"], { cwd: elsewhere, env })).stdout).toBe(`${version}\n`);
    expect((await run(process.execPath, [CLI, "--help"], { cwd: elsewhere, env })).stdout).toContain("Commands:");
    // The version is capex's, shown once: not an option of each command.
    const closeHelp = (await run(process.execPath, [CLI, "close", "--help"], { cwd: elsewhere, env })).stdout;
    expect(closeHelp).toContain("--period");
    expect(closeHelp).not.toContain("--version");
    expect((await run(process.execPath, [CLI, "close", "--version"], { cwd: elsewhere, env })).stdout).toBe(`${version}\n`);
  }, CLI_BUDGET);

  it("refuses bad usage with exit 2 and names the option", async () => {
    expect(await capex(["close", "--period", "2026-13", "--snapshot", "x"])).toMatchObject({ code: 2, stderr: "capex: --period: must be a month written YYYY-MM, for example 2026-10\n" });
    const missing = await capex(["close", "--period", "2026-10", "--snapshot", "/no/such/snapshot"]);
    expect(missing).toMatchObject({ code: 2, stderr: "capex: /no/such/snapshot: no such snapshot folder; run capex fetch --out DIR first\n" });
    expect((await capex(["frobnicate"])).code).toBe(2);
    // A mistyped command or option is named, with what it likely meant.
    const usage = (said: string) => ({ code: 2, stdout: "", stderr: `capex: ${said}\nRun capex --help for usage.\n` });
    expect(await capex(["clsoe", "--period", "2026-10"])).toEqual(usage("unknown command clsoe; did you mean close?"));
    expect(await capex(["register", "stats", "--db", "x.db"])).toEqual(usage("unknown command register stats; did you mean register status? (register has status, asset, import)"));
    expect(await capex(["close", "--peroid", "2026-10", "--snapshot", "x"])).toEqual(usage("unknown option --peroid; did you mean --period? Missing required argument: period"));
    expect(await capex(["close", "--period", "2026-10", "--snapshot", "x", "--wrokbook"])).toEqual(usage("unknown option --wrokbook; did you mean --workbook?"));
    // Each unknown option a sentence of its own; an option spelt in camelCase is not one of them.
    expect(await capex(["close", "--peroid", "2026-10", "--snapshot", "x", "--allowOpenPeriod", "--wrokbook", "--zzzzzz"])).toEqual(
      usage("unknown option --peroid; did you mean --period? Unknown option --wrokbook; did you mean --workbook? Unknown option --zzzzzz. Missing required argument: period"),
    );
    expect(await capex(["close", "--period", "2026-10", "--snapshot", "x", "--allowOpenPerod", "--no-workbok", "--zzzzzz"])).toEqual(
      usage("unknown option --allowOpenPerod; did you mean --allow-open-period? Unknown option --no-workbok; did you mean --no-workbook? Unknown option --zzzzzz"),
    );
    // An option given no value (an empty $FILE in a script) is refused, not read as not given:
    // a close would otherwise be posted without its retirements or ledger file.
    const out = join(tmp(), "out");
    expect(await capex(["close", "--period", "2026-10", "--snapshot", "fixtures/demo", "--out", out, "--retirements", "--quiet"])).toEqual(usage("--retirements was given without a value."));
    expect(await capex(["close", "--period", "2026-10", "--snapshot", "fixtures/demo", "--out", out, "--db", "", "--rules="])).toEqual(
      usage("--rules was given without a value; --db was given without a value."),
    );
    expect(await capex(["audit", "--period", "2026-10", "--sample", "abc"])).toEqual(usage("--sample needs a number."));
    // A bare option followed by another (a number option would otherwise fall back to its default).
    expect(await capex(["audit", "--period", "2026-10", "--sample", "--seed", "s"])).toEqual(usage("--sample was given without a value."));
    expect(await capex(["close", "--period", "2026-10", "--snapshot", "fixtures/demo", "--out", out, "--erp", "netsuite", "--erp"])).toEqual(usage("--erp was given without a value."));
    expect(await capex(["register", "asset", "--db", "x.db"])).toEqual(usage("capex register asset needs what it works on: capex register asset <id> (see capex register asset --help)"));
    // Numbers out of range in plain words, not zod's ("Too small: expected number to be >0").
    expect(await capex(["fetch", "--out", out, "--quota", "1.5"])).toMatchObject({ code: 2, stderr: "capex: --quota: must be a whole number of 1 or more\n" });
    expect(await capex(["sandbox", "--error-rate", "1.5"])).toMatchObject({ code: 2, stderr: "capex: --error-rate: must be a share from 0 to 1\n" });
    expect(await capex(["rules", "chek"])).toEqual(usage('action "chek" is not one capex knows; did you mean check? (action is one of check)'));
    expect(await capex(["rules"])).toEqual(usage("capex rules needs what it works on: capex rules <action> [file] (see capex rules --help)"));
    expect(existsSync(out)).toBe(false);
  }, CLI_BUDGET);

  it("close --strict writes everything, then exits 3 on exceptions; --json prints a summary", async () => {
    const out = join(tmp(), "2026-10");
    const r = await capex(["close", "--period", "2026-10", "--snapshot", "fixtures/demo", "--out", out, "--strict", "--json", "--db", join(tmp(), "capex.db")]);
    expect(r.code).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ period: "2026-10", out, identities_hold: true });
    // A first close of a new register: what it took on, with no journal.
    expect(summary.taken_on).toEqual({ count: 461, cost: "2898619.67", accumulated: "81034.43" });
    expect(summary.exceptions).toEqual({
      NO_TIME_ZONE: 1, UNMAPPED_TASK_TYPE: 1, NO_COST_BASIS: 1, MISSING_APPROVAL_DATE: 1, UNKNOWN_UNIT_CODE: 1, NEGATIVE_QUANTITY: 1, INVALID_TASK: 1, DUPLICATE_ASSET_ID: 2,
    });
    expect(existsSync(join(out, "capex-2026-10.xlsx"))).toBe(true);
  }, CLI_BUDGET);

  it("close --strict does not count a warning (a project without a time zone, its tasks capitalized) as an exception", async () => {
    const snapshot = await writeSnapshot([baseTask(1, { approved_date: "2026-10-15T15:00:00Z" })], [{ name: "Pilot", short_name: "P1", timezone: "" }]);
    const r = await capex(["close", "--period", "2026-10", "--snapshot", snapshot, "--out", join(tmp(), "2026-10"), "--strict", "--no-workbook", "--db", join(tmp(), "capex.db")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("  exceptions:    none\n  warnings:      1 (NO_TIME_ZONE 1); see exceptions.csv\n");
  }, CLI_BUDGET);

  it("rules check lists each problem with file, line and path, and exits 2", async () => {
    const file = join(tmp(), "rules.yaml");
    writeFileSync(file, readFileSync("rules/render-fiber.yaml", "utf8").replace("fa_class: Test Equipment", "fa_class: Test Equipmnt"));
    const r = await capex(["rules", "check", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:215: error: task_types.nap_otdr.fa_class: unknown class "Test Equipmnt" (line 215); did you mean "Test Equipment"?`);
    expect((await capex(["rules", "check"])).code).toBe(0);
  }, CLI_BUDGET);

  it("schedule prints one asset's schedule as CSV", async () => {
    const r = await capex(["schedule", "--cost", "1000", "--in-service", "2026-01-31", "--life-months", "3"]);
    expect(r).toMatchObject({ code: 0, stdout: "period,amount,accumulated,net_book_value\r\n2026-01,333.33,333.33,666.67\r\n2026-02,333.34,666.67,333.33\r\n2026-03,333.33,1000.00,0.00\r\n" });
    expect(r.stderr).toBe("total 1000.00 over 3 periods; net book value at the end 0.00\n");
    const tax = await capex(["schedule", "--cost", "10000", "--in-service", "2026-11-15", "--book", "tax", "--recovery-years", "7", "--convention", "mid_quarter"]);
    expect(tax.stdout.split("\r\n").slice(0, 3)).toEqual(["tax_year,amount,accumulated,remaining_basis", "2026,357.00,357.00,9643.00", "2027,2755.00,3112.00,6888.00"]);
    expect(await capex(["schedule", "--cost", "10000", "--in-service", "2026-11-15", "--book", "tax", "--recovery-years", "4"])).toMatchObject({
      code: 2,
      stderr: "capex: --recovery-years: 4 is not a MACRS recovery period of the tables; give one of 3, 5, 7, 10, 15, 20\n",
    });
    expect(await capex(["schedule", "--cost", "10000", "--in-service", "2026-11-15", "--book", "tax"])).toMatchObject({
      code: 2,
      stderr: "capex: --recovery-years: the tax book needs --recovery-years, one of 3, 5, 7, 10, 15, 20\n",
    });
    // The common flags: --quiet prints the CSV alone, --json the same rows as JSON with the total.
    const args = ["schedule", "--cost", "1000", "--in-service", "2026-01-31", "--life-months", "3"];
    expect(await capex([...args, "--quiet"])).toMatchObject({ code: 0, stdout: r.stdout, stderr: "" });
    const json = await capex([...args, "--json"]);
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toEqual({
      rows: [
        { period: "2026-01", amount: "333.33", accumulated: "333.33", net_book_value: "666.67" },
        { period: "2026-02", amount: "333.34", accumulated: "666.67", net_book_value: "333.33" },
        { period: "2026-03", amount: "333.33", accumulated: "1000.00", net_book_value: "0.00" },
      ],
      total: "total 1000.00 over 3 periods; net book value at the end 0.00",
    });
    // Money in cents' precision: a third decimal is refused, not rounded away.
    expect(await capex(["schedule", "--cost", "0.001", "--in-service", "2026-01-31", "--life-months", "3"])).toMatchObject({
      code: 2,
      stderr: "capex: --cost: must be an amount in cents' precision, like 1200 or 1200.50\n",
    });
    // What a close could never give, or an option the book does not read, is refused, not ignored.
    const refused = async (extra: string[], said: string) =>
      expect(await capex(["schedule", "--cost", "10000", "--in-service", "2026-01-15", ...extra])).toMatchObject({ code: 2, stdout: "", stderr: `capex: ${said}\n` });
    await refused(["--life-months", "60", "--method", "declining_balance", "--db-rate", "5"], "--db-rate: must be more than 0 and at most 4 (2 = 200 % declining balance), as in the rules");
    await refused(
      ["--book", "tax", "--recovery-years", "5", "--salvage", "100"],
      "--salvage: the tax book (MACRS) takes no life, salvage, method or rounding: it reads --recovery-years, --convention, --quarter and --bonus; leave these out",
    );
    await refused(["--life-months", "60", "--bonus", "50"], "--bonus: applies only to the tax book: add --book tax, or leave it out");
    await refused(["--book", "tax", "--recovery-years", "5", "--quarter", "2"], "--quarter: applies only to --convention mid_quarter");
    expect(await capex(["schedule", "--cost", "10000", "--in-service", "1850-01-15", "--life-months", "60"])).toMatchObject({
      code: 2,
      stderr: "capex: --in-service: must be in the years fiber-capex closes, 1900 to 2999\n",
    });
  }, CLI_BUDGET);

  it("stops printing, without an error, when the reader of its output goes away (capex ... | head -1)", async () => {
    const child = spawn(process.execPath, [CLI, "schedule", "--cost", "1000000", "--in-service", "2026-01-15", "--life-months", "1200"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => void (stderr += c.toString()));
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "total 1000000.00 over 1200 periods; net book value at the end 0.00\n" });
  }, CLI_BUDGET);
});

describe("capex fetch against the simulator", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ data: folderData("fixtures/demo"), timeScale: 50 });
  });
  afterAll(() => sandbox.close());
  const env = () => ({ RENDER_API_URL: sandbox.url, RENDER_AUTH_URL: sandbox.url, RENDER_CLIENT_ID: sandbox.clientId });

  it("never shows the secret, even when the credentials are wrong", async () => {
    const secret = "Sup3r-Secret-Value-42";
    const r = await capex(["fetch", "--out", join(tmp(), "s")], { ...env(), RENDER_CLIENT_SECRET: secret });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refused the credentials (HTTP 401)");
    expect(r.stdout + r.stderr).not.toContain(secret);
  }, CLI_BUDGET);

  it("refuses plain http to a host that is not loopback", async () => {
    const r = await capex(["fetch", "--out", join(tmp(), "s")], { ...env(), RENDER_API_URL: "http://api.example.com", RENDER_CLIENT_SECRET: "x" });
    expect(r).toMatchObject({ code: 2, stderr: "capex: RENDER_API_URL: plain http is allowed only for loopback hosts; use https://api.example.com\n" });
  }, CLI_BUDGET);

  it("fetches a snapshot and prints a JSON summary", async () => {
    const out = join(tmp(), "snapshot");
    const r = await capex(["fetch", "--out", out, "--project", "SYD-WEST", "--json"], { ...env(), RENDER_CLIENT_SECRET: sandbox.clientSecret });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ out, tasks_per_project: { "SYD-WEST": 191 }, invalid_tasks: 1, rate_limited: 0 });
  }, CLI_BUDGET);

});

describe("capex sandbox", () => {
  it("prints nothing with --quiet, and serves all the same", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const child = spawn(process.execPath, [CLI, "sandbox", "--port", String(port), "--quiet"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => void (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => void (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Up when it answers (Render's API refuses a request without a token: 401).
    let status = 0;
    while (status === 0) {
      status = await fetch(`http://127.0.0.1:${port}/api/v1/projects`).then(
        (r) => r.status,
        () => new Promise<number>((resolve) => setTimeout(() => resolve(0), 50)),
      );
    }
    expect(status).toBe(401);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toBe("");
  }, CLI_BUDGET);
});

describe("capex demo", () => {
  it("closes two months on one register over HTTP, with Render changing in between", async () => {
    const out = join(tmp(), "demo");
    const r = await capex(["demo", "--out", out]);
    expect(r.code).toBe(0);
    const db = join(out, "capex.db");
    expect(r.stdout).toContain(`Closed 2026-09 (2026-09-01 to 2026-09-30), rules 2026.1, register ${db} (a new file, made by this close)\n`);
    expect(r.stdout).toContain("  opening:           413 assets taken on from the snapshot (first close of this register; no journal)");
    expect(r.stdout).toContain(`Closed 2026-10 (2026-10-01 to 2026-10-31), rules 2026.1, register ${db}\n`);
    expect(r.stdout).toContain("  adjustments:         3 (cost_change 1, late_addition 1, withdrawal 1)  cost 10398.92, accumulated -21.75; see adjustments.csv");
    expect(r.stdout).toContain("  retirements:         2 assets   cost 10941.48, gain/loss -9110.64; see disposals.csv");
    expect(r.stdout).toContain("  register:      cost 3063614.74, accumulated 92046.24, net book value 2971568.50");
    // The tax year's deduction with what October retired (2,126.05 for the year of disposition); September retired nothing.
    expect(r.stdout).toContain("  tax book FY2026: 226159.47 (reporting only); 228285.52 with the year's retirements to date\n");
    expect(r.stdout.match(/ {2}tax book FY2026: .*\n/g)![0]).toMatch(/^ {2}tax book FY2026: [\d.]+ \(reporting only\)\n$/);
    expect(r.stderr).toContain("late approval: ATX-NORTH task 8, approved on 2026-09-28, recorded after 2026-09 was closed");
    expect(r.stderr).toContain('  added "Capex exception: UNKNOWN_UNIT_CODE" to 1 task: 9006\n');
    for (const f of ["2026-09/capex-2026-09.xlsx", "2026-10/capex-2026-10.xlsx", "snapshot-1/tasks.jsonl", "snapshot-2/tasks.jsonl", "retirements-2026-10.csv"]) expect(existsSync(join(out, f)), f).toBe(true);
    // The folder is marked as the demo's, so a re-run may replace its register.
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).format).toBe("fiber-capex-demo/1");
    const again = await capex(["demo", "--out", out, "--quiet"]);
    expect(again).toEqual({ code: 0, stdout: "", stderr: "" });
    // Its outputs are replaced even when the register they were posted to is gone (the folder is the demo's).
    const firstId = JSON.parse(readFileSync(join(out, "2026-10", "manifest.json"), "utf8")).register.id;
    for (const f of readdirSync(out).filter((f) => f.startsWith("capex.db"))) rmSync(join(out, f));
    expect(await capex(["demo", "--out", out, "--quiet"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(JSON.parse(readFileSync(join(out, "2026-10", "manifest.json"), "utf8")).register.id).not.toBe(firstId);
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).format).toBe("fiber-capex-demo/1");
    expect(readdirSync(out).sort()).toEqual(["2026-09", "2026-10", "capex.db", "manifest.json", "retirements-2026-10.csv", "snapshot-1", "snapshot-2"]);
    // October opens where September closed: the register carried it.
    const rollforward = (p: string) => readFileSync(join(out, p, "rollforward.csv"), "utf8").split("\r\n").find((l) => l.startsWith("TOTAL,"))!.split(",");
    expect(rollforward("2026-10")[1]).toBe(rollforward("2026-09")[4]);
    expect(rollforward("2026-10")[5]).toBe(rollforward("2026-09")[7]);
    // A month closed on the demo's register afterwards (the README shows how) is the user's
    // work: the demo refuses to start over and discard it, and changes nothing.
    const november = await capex(["close", "--period", "2026-11", "--snapshot", join(out, "snapshot-2"), "--db", join(out, "capex.db"), "--out", join(tmp(), "2026-11"), "--quiet"]);
    expect(november).toEqual({ code: 0, stdout: "", stderr: "" });
    const before = readdirSync(out).map((f) => [f, statSync(join(out, f)).mtimeMs]);
    const refused = await capex(["demo", "--out", out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `capex: ${out}: its register (${join(out, "capex.db")}) holds 3 closed months, 2026-09, 2026-10, 2026-11: more than the two the demo closes, so months were closed on it after the demo. ` +
        "The demo starts over with a new register each run and would discard them. Nothing was written. " +
        `To keep that register, run the demo into another folder (capex demo --out capex-demo-2); to start over, remove ${join(out, "capex.db")} yourself.\n`,
    );
    expect(readdirSync(out).map((f) => [f, statSync(join(out, f)).mtimeMs])).toEqual(before);
  }, 240_000);

  it("never writes into a folder it did not make: a register of the user's there stays as it was", async () => {
    const out = join(tmp(), "books");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "capex.db"), "the user's register");
    const r = await capex(["demo", "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `capex: ${out}: the folder is not empty and is not a demo folder that fiber-capex wrote (recognised by its manifest.json), so writing there would replace everything in it. Nothing was written. Choose a new or empty folder, for example capex-demo-2 (a demo folder made before fiber-capex marked its own is refused too: remove it to reuse its name), or a demo folder fiber-capex wrote before.\n`,
    );
    expect(readdirSync(out)).toEqual(["capex.db"]);
    expect(readFileSync(join(out, "capex.db"), "utf8")).toBe("the user's register");
  }, CLI_BUDGET);
});
