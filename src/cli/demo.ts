import { existsSync, readdirSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import { z } from "zod";
import { checkOutputFolder, type OutputFolderKind } from "../atomic-dir.js";
import { OutputFolderError } from "../errors.js";
import { latestCompletePeriod } from "../close/period.js";
import { monthIndexOf, periodOfMonthIndex } from "../dates.js";
import { demoFixtureDir } from "../package-info.js";
import { RenderClient } from "../render/client.js";
import { credentialKey, DailyQuota } from "../render/quota.js";
import type { RegisterState } from "../register/model.js";
import { labelTasks } from "../label/label.js";
import { describeLabelSummary } from "../label/text.js";
import { RegisterStore } from "../register/store.js";
import { folderData, type SandboxData } from "../sandbox/data.js";
import { demoChanges } from "../sandbox/demo-changes.js";
import { startSandbox } from "../sandbox/server.js";
import { fetchSnapshot } from "../snapshot/fetch.js";
import { openSnapshot } from "../snapshot/reader.js";
import { runClose } from "./close.js";
import { type CommonFlags, commonSchema, info, parseOptions } from "./terminal.js";

const options = commonSchema.extend({ out: z.string().default("capex-demo"), strict: z.boolean().default(false) });

/**
 * The demo's folder, marked by a manifest.json of its own format: the demo writes only into a
 * new or empty folder or one it marked before, since a re-run replaces the register in it. A
 * folder an earlier version made is not told from a user's by what it holds (a register,
 * snapshot-1, month folders are what a user's books folder may hold too): it is refused.
 */
const DEMO_FORMAT = "fiber-capex-demo/1";
const DEMO_FOLDER: OutputFolderKind = {
  noun: "demo folder",
  example: "capex-demo-2 (a demo folder made before fiber-capex marked its own is refused too: remove it to reuse its name)",
  owns: (manifest) => (manifest as { format?: unknown } | undefined)?.format === DEMO_FORMAT,
};

/** Starts the simulator on `data` and runs `work` with a client at Render's real limits, then stops it. */
async function withSimulator<T>(data: SandboxData, work: (client: RenderClient, url: string) => Promise<T>): Promise<T> {
  const sandbox = await startSandbox({ data });
  try {
    const connection = { apiUrl: sandbox.url, authUrl: sandbox.url, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret };
    const client = new RenderClient({
      connection,
      quota: new DailyQuota({ limit: 10_000, stateFile: join(tmpdir(), "fiber-capex-demo-quota.json"), credentialKey: credentialKey(sandbox.url, sandbox.clientId), now: () => new Date() }),
    });
    return await work(client, sandbox.url);
  } finally {
    await sandbox.close();
  }
}

/** Fetches everything from the simulator over HTTP into `dir`. */
function fetchFrom(data: SandboxData, dir: string, flags: CommonFlags): Promise<void> {
  return withSimulator(data, async (client, url) => {
    info(flags, `Fetching from the Render simulator on ${url} at Render's limits (2 requests a second)…`);
    // The demo starts over in its own folder (checkDemoRegister keeps months a user closed on it).
    const fetched = await fetchSnapshot(client, { out: dir, replace: true });
    info(flags, `Fetched ${fetched.tasks} tasks in ${fetched.requests} requests (${fetched.rateLimited} answered 429) into ${dir}`);
  });
}

/** Two retirements for the second month, picked from the register by rule: a tool sold, a quarter of a cable cut. */
function demoRetirements(state: RegisterState, period: string): string {
  const active = [...state.assets.entries()].filter(([, a]) => a.status === "active").sort(([x], [y]) => (x < y ? -1 : 1));
  const sold = active.find(([, a]) => a.record.faClass === "Equipment (Tooling)");
  const cut = active.find(([, a]) => a.record.faClass === "Fiber Plant" && a.record.quantity !== undefined && Number(a.record.quantity) > 0);
  const lines = ["asset_id,date,portion,proceeds,removal_cost,reason"];
  if (sold) lines.push(`${sold[0]},${period}-12,all,150.00,,sold at auction`);
  if (cut) lines.push(`${cut[0]},${period}-20,25%,,320.00,section destroyed by road works and abandoned in place`);
  return `${lines.join("\n")}\n`;
}

/**
 * The demo starts over with a new register each run, which is safe only while its register
 * holds the demo's own two months. Months closed on it afterwards (the README shows how to
 * carry on into the next) are the user's work, posted perhaps to a ledger: refused, not discarded.
 */
async function checkDemoRegister(folder: string, db: string): Promise<void> {
  if (!existsSync(db)) return;
  const store = await RegisterStore.open(db);
  const { periods } = await store.status().finally(() => store.close());
  if (periods.length <= 2) return;
  let other = "capex-demo-2";
  // Not the folder refused, nor one that holds something already.
  for (let n = 3; resolve(other) === resolve(folder) || (existsSync(other) && readdirSync(other).length > 0); n++) other = `capex-demo-${n}`;
  throw new OutputFolderError(
    folder,
    `its register (${db}) holds ${periods.length} closed months, ${periods.map((p) => p.period).join(", ")}: more than the two the demo closes, so months were closed on it after the demo. ` +
      "The demo starts over with a new register each run and would discard them. Nothing was written. " +
      `To keep that register, run the demo into another folder (capex demo --out ${other}); to start over, remove ${db} yourself.`,
  );
}

export const demoCommand = {
  command: "demo",
  describe: "Run two month-end closes on the bundled demo data: fetch from the simulator over HTTP, close, let Render change, fetch and close the next month",
  builder: (y: Argv) =>
    y
      .option("out", { type: "string", default: "capex-demo", describe: "folder for the snapshots, the register (capex.db) and the close outputs: new, empty, or one capex demo made before" })
      .option("strict", { type: "boolean", default: false, describe: "exit 3 when there are exceptions (the demo data has some on purpose)" }),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    const out = resolve(o.out);
    const marker = join(out, "manifest.json");
    checkOutputFolder(o.out, DEMO_FOLDER);
    const db = join(out, "capex.db");
    await checkDemoRegister(o.out, db);
    await mkdir(out, { recursive: true });
    if (!existsSync(marker)) {
      await writeFile(marker, `${JSON.stringify({ format: DEMO_FORMAT, note: "made by capex demo, which may replace everything in this folder when run again" }, null, 2)}\n`);
    }
    const base = folderData(demoFixtureDir());
    info(o, `Demo data: ${demoFixtureDir()}`);

    const firstSnapshot = join(out, "snapshot-1");
    await fetchFrom(base, firstSnapshot, o);
    const period = await latestCompletePeriod(await openSnapshot(firstSnapshot), new Date());
    const first = periodOfMonthIndex(monthIndexOf(period) - 1);

    // The demo's register starts empty each run: the folder is the demo's (checked above), so its
    // closes replace the last run's outputs, posted to the register this one replaces.
    if (existsSync(db)) {
      await (await RegisterStore.open(db)).close();
      for (const f of [db, `${db}-wal`, `${db}-shm`]) await rm(f, { force: true });
    }

    info(o, `\n== Month 1: closing ${first} on a new register (${db}) ==`);
    const one = await runClose({ snapshot: firstSnapshot, period: first, out: join(out, first), strict: o.strict, db, replacesAnyRegister: true }, o);

    const { data, changes } = demoChanges(base, first);
    info(o, `\n== Meanwhile in Render ==`);
    for (const c of changes) info(o, `  ${c.kind.replace("_", " ")}: ${c.project} task ${c.taskId}, ${c.what}`);
    const secondSnapshot = join(out, "snapshot-2");
    await fetchFrom(data, secondSnapshot, o);

    const store = await RegisterStore.open(db);
    const state = await store.loadState().finally(() => store.close());
    const retirements = join(out, `retirements-${period}.csv`);
    await writeFile(retirements, demoRetirements(state, period));
    info(o, `Retirements for ${period}: ${retirements}`);

    info(o, `\n== Month 2: closing ${period} on the same register ==`);
    const two = await runClose({ snapshot: secondSnapshot, period, out: join(out, period), strict: o.strict, db, retirements, replacesAnyRegister: true }, o);

    info(o, `\n== Marking ${period} in Render (capex label) ==`);
    const labelled = await RegisterStore.open(db);
    try {
      const summary = await withSimulator(data, (client) => labelTasks(client, { store: labelled, period }, { snapshot: secondSnapshot }));
      for (const line of describeLabelSummary(summary)) info(o, line);
    } finally {
      await labelled.close();
    }
    return Math.max(one.code, two.code);
  },
};
