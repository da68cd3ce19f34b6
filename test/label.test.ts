import { execFile, spawn } from "node:child_process";
import { z } from "zod";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { runMonthEnd } from "../src/close/month-end.js";
import { PeriodOrderError, RenderAuthError, RenderValidationError } from "../src/errors.js";
import { projectChanges } from "../src/label/changes.js";
import { currentLabelsFromApi } from "../src/label/current.js";
import { type LabelSummary, labelTasks } from "../src/label/label.js";
import { planFromRegister } from "../src/label/plan.js";
import { describeLabelSummary } from "../src/label/text.js";
import { loadDefaultRules } from "../src/package-info.js";
import { addLabelToTasks, createLabel, listProjectLabels, removeLabelFromTasks } from "../src/render/labels.js";
import { taskLabelsOf } from "../src/render/schemas.js";
import { RegisterStore } from "../src/register/store.js";
import { folderData, generatedData } from "../src/sandbox/data.js";
import { generatedProjects } from "../src/sandbox/generate.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../src/sandbox/server.js";
import { fetchSnapshot } from "../src/snapshot/fetch.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { baseTask, clientFor, TIME_SCALE, tmp, virtualClock, writeSnapshot, writeSourceFolder } from "./helpers.js";

const PROJECTS = [
  { name: "Project One", short_name: "P1", timezone: "America/New_York", description: "", type: "FTTH", tenant_name: "T" },
  { name: "Project Two", short_name: "P2", timezone: "America/New_York", description: "", type: "FTTH", tenant_name: "T" },
];

/**
 * October: P1 tasks 1 and 2 approved in October (additions), 3 in September (taken on by the
 * first close), 4 with a unit code the rules do not know, 5 of a task type they do not map;
 * P2 task 1 an addition. November: task 4 fixed (a late addition), task 6 new, 5 still held back.
 */
const OCTOBER = [
  baseTask(1),
  baseTask(2, { approved_date: "2026-10-20T15:00:00Z" }),
  baseTask(3, { approved_date: "2026-09-10T15:00:00Z" }),
  baseTask(4, { units: [{ unit_code: "NOPE-1", quantity: 3, uom: "ft" }] }),
  baseTask(5, { task_type: "install_widget" }),
  baseTask(1, { project_short_name: "P2" }),
];
const NOVEMBER = [...OCTOBER.filter((t) => t.project_task_id !== 4), baseTask(4), baseTask(6, { approved_date: "2026-11-05T15:00:00Z" })];

let sandbox: Sandbox | undefined;
let store: RegisterStore | undefined;
afterEach(async () => {
  await sandbox?.close();
  await store?.close();
  sandbox = undefined;
  store = undefined;
});

async function close(register: RegisterStore, tasks: Record<string, unknown>[], period: string): Promise<void> {
  const snapshot = await openSnapshot(await writeSnapshot(tasks, PROJECTS));
  await runMonthEnd({ register, snapshot, rules: await loadDefaultRules(), period, out: join(tmp(), period), workbook: false, allowOpenPeriod: true });
}

/** A register closed for October, and a simulator on virtual time serving November's tasks (every task id the closes name). */
async function setup(options: Partial<SandboxOptions> = {}) {
  const db = join(tmp(), "capex.db");
  store = await RegisterStore.open(db);
  await close(store, OCTOBER, "2026-10");
  const clock = virtualClock();
  sandbox = await startSandbox({ data: folderData(writeSourceFolder(NOVEMBER, PROJECTS)), timeScale: TIME_SCALE, now: clock.now, logRequests: true, ...options });
  const client = clientFor(sandbox, { now: clock.date, sleep: clock.sleep });
  return { db, store, sandbox, client };
}

const writesIn = (log: string[] | undefined) => (log ?? []).filter((r) => !r.startsWith("GET "));
const labelId = (s: Sandbox, project: string, name: string) => s.labels.list(project, "General").find((l) => l.name === name)?.id;
const tasksLabelled = (s: Sandbox, project: string, name: string) => s.labels.tasksOf(project, labelId(s, project, name) ?? -1);

describe("what the register says to mark", () => {
  it("capitalized and taken-on tasks of the period, its exceptions, and earlier exceptions it resolved", async () => {
    const { store } = await setup();
    expect(await planFromRegister(store, "2026-10")).toEqual({
      period: "2026-10",
      add: [
        { project: "P1", taskId: 1, label: "Capitalized 2026-10" },
        { project: "P1", taskId: 2, label: "Capitalized 2026-10" },
        { project: "P1", taskId: 3, label: "Capitalized 2026-10" },
        { project: "P2", taskId: 1, label: "Capitalized 2026-10" },
        { project: "P1", taskId: 4, label: "Capex exception: UNKNOWN_UNIT_CODE" },
        { project: "P1", taskId: 5, label: "Capex exception: UNMAPPED_TASK_TYPE" },
      ],
      remove: [],
    });
    await close(store, NOVEMBER, "2026-11");
    expect(await planFromRegister(store, "2026-11")).toEqual({
      period: "2026-11",
      add: [
        { project: "P1", taskId: 4, label: "Capitalized 2026-11" },
        { project: "P1", taskId: 6, label: "Capitalized 2026-11" },
        { project: "P1", taskId: 5, label: "Capex exception: UNMAPPED_TASK_TYPE" },
      ],
      remove: [{ project: "P1", taskId: 4, label: "Capex exception: UNKNOWN_UNIT_CODE" }],
    });
  });

  it("leaves the labels of a project the close's snapshot did not cover (capex fetch --project)", async () => {
    const { store } = await setup();
    const p2Only = await openSnapshot(await writeSnapshot([baseTask(1, { project_short_name: "P2" })], [PROJECTS[1]!]));
    await runMonthEnd({ register: store, snapshot: p2Only, rules: await loadDefaultRules(), period: "2026-11", out: join(tmp(), "2026-11"), workbook: false, allowOpenPeriod: true });
    expect((await store.periodReport("2026-11"))?.coveredProjects).toEqual(["P2"]);
    // P1's tasks 4 and 5 were not looked at in November: still held back as far as anyone knows.
    expect(await planFromRegister(store, "2026-11")).toEqual({ period: "2026-11", add: [], remove: [] });
  });

  it("refuses a period the register has not closed, naming those it has", async () => {
    const { store } = await setup();
    const refusal = planFromRegister(store, "2026-12");
    await expect(refusal).rejects.toBeInstanceOf(PeriodOrderError);
    await expect(refusal).rejects.toThrow(/^2026-12 is not closed in the register .*capex\.db; its closed periods are 2026-10\. Periods close in order: 2026-11 is next \(capex close --period 2026-11\)\. Render is marked from closed periods only\.$/);
  });
});

describe("capex label against the simulator", () => {
  it("the first run creates the labels and adds the tasks, many per request", async () => {
    const { store, sandbox, client } = await setup();
    const summary = await labelTasks(client, { store, period: "2026-10" });
    expect(summary.requests).toEqual({ total: 13, reads: 4, labelCreations: 4, addBatches: 4, deleteBatches: 0, tokens: 1, retries: 0, rateLimited: 0 });
    expect([summary.labelsCreated, summary.tasksLabelled, summary.tasksUnlabelled, summary.alreadyDone]).toEqual([4, 6, 0, 0]);
    expect(writesIn(sandbox.stats.requestLog)).toEqual([
      "POST /projects/P1/labels",
      "POST /projects/P1/labels",
      "POST /projects/P1/labels",
      "POST /projects/P1/labels/1/tasks",
      "POST /projects/P1/labels/2/tasks",
      "POST /projects/P1/labels/3/tasks",
      "POST /projects/P2/labels",
      "POST /projects/P2/labels/4/tasks",
    ]);
    expect(
      sandbox.stats
        .requestLog!.filter((r) => r.startsWith("GET "))
        .sort(),
    ).toEqual([
      "GET /projects/P1/labels?label_type=General&page=1&page_limit=2000",
      "GET /projects/P1/tasks?page=1&page_limit=2000",
      "GET /projects/P2/labels?label_type=General&page=1&page_limit=2000",
      "GET /projects/P2/tasks?page=1&page_limit=2000",
    ]);
    expect(sandbox.labels.list("P1", "General").map((l) => [l.id, l.name])).toEqual([
      [1, "Capex exception: UNKNOWN_UNIT_CODE"],
      [2, "Capex exception: UNMAPPED_TASK_TYPE"],
      [3, "Capitalized 2026-10"],
    ]);
    expect(tasksLabelled(sandbox, "P1", "Capitalized 2026-10")).toEqual([1, 2, 3]);
    expect(tasksLabelled(sandbox, "P1", "Capex exception: UNKNOWN_UNIT_CODE")).toEqual([4]);
    expect(tasksLabelled(sandbox, "P2", "Capitalized 2026-10")).toEqual([1]);
    // The tasks Render serves now carry their labels.
    const task = await client.call("GET", "/projects/P1/tasks/4", {}, z.object({ labels: z.unknown() }));
    expect(task.labels).toEqual({ "1": "Capex exception: UNKNOWN_UNIT_CODE" });
  });

  it("a second run reads, finds everything done and sends no write", async () => {
    const { store, sandbox, client } = await setup();
    await labelTasks(client, { store, period: "2026-10" });
    const before = sandbox.stats.requestLog!.length;
    const again = await labelTasks(client, { store, period: "2026-10" });
    expect(again.requests).toEqual({ total: 4, reads: 4, labelCreations: 0, addBatches: 0, deleteBatches: 0, tokens: 0, retries: 0, rateLimited: 0 });
    expect(again.alreadyDone).toBe(6);
    expect(again.projects.map((p) => [p.project, p.create, p.add, p.remove])).toEqual([
      ["P1", [], [], []],
      ["P2", [], [], []],
    ]);
    expect(writesIn(sandbox.stats.requestLog!.slice(before))).toEqual([]);
    expect(describeLabelSummary(again)).toEqual([
      "capex label 2026-10 (current labels read from the API)",
      "Nothing to send: every task already carries what the close of 2026-10 says (6 marks).",
      "Requests: 4 in all: 4 reads, 0 label creations, 0 add batches, 0 delete batches, 0 tokens, 0 retries (0 answered 429)",
    ]);
  });

  it("a later close that resolves an exception takes its label off the task", async () => {
    const { store, sandbox, client } = await setup();
    await labelTasks(client, { store, period: "2026-10" });
    await close(store, NOVEMBER, "2026-11");
    const before = sandbox.stats.requestLog!.length;
    const summary = await labelTasks(client, { store, period: "2026-11" });
    // Only P1 has anything to mark in November: its labels and its tasks are read, P2 not at all.
    expect(summary.requests).toMatchObject({ reads: 2, labelCreations: 1, addBatches: 1, deleteBatches: 1, retries: 0 });
    expect(writesIn(sandbox.stats.requestLog!.slice(before))).toEqual(["POST /projects/P1/labels", "POST /projects/P1/labels/5/tasks", "DELETE /projects/P1/labels/1/tasks"]);
    expect(tasksLabelled(sandbox, "P1", "Capex exception: UNKNOWN_UNIT_CODE")).toEqual([]);
    expect(tasksLabelled(sandbox, "P1", "Capitalized 2026-11")).toEqual([4, 6]);
    expect(tasksLabelled(sandbox, "P1", "Capex exception: UNMAPPED_TASK_TYPE")).toEqual([5]);
    expect(tasksLabelled(sandbox, "P1", "Capitalized 2026-10")).toEqual([1, 2, 3]);
    expect(describeLabelSummary(summary)).toEqual([
      "capex label 2026-11 (current labels read from the API)",
      "P1:",
      '  created label "Capitalized 2026-11"',
      '  added "Capitalized 2026-11" to 2 tasks: 4, 6',
      '  removed "Capex exception: UNKNOWN_UNIT_CODE" from 1 task: 4',
      "  already done: 1 mark",
      "Requests: 5 in all: 2 reads, 1 label creation, 1 add batch, 1 delete batch, 0 tokens, 0 retries (0 answered 429)",
    ]);
    // And once more: nothing left to do.
    const again = await labelTasks(client, { store, period: "2026-11" });
    expect([again.requests.labelCreations, again.requests.addBatches, again.requests.deleteBatches, again.alreadyDone]).toEqual([0, 0, 0, 4]);
  });

  it("--dry-run reads, prints the exact plan and sends no write", async () => {
    const { store, sandbox, client } = await setup();
    const plan = await labelTasks(client, { store, period: "2026-10" }, { dryRun: true });
    expect(writesIn(sandbox.stats.requestLog)).toEqual([]);
    expect(sandbox.labels.list("P1", undefined)).toEqual([]);
    expect(plan.requests).toEqual({ total: 5, reads: 4, labelCreations: 0, addBatches: 0, deleteBatches: 0, tokens: 1, retries: 0, rateLimited: 0 });
    expect(describeLabelSummary(plan)).toEqual([
      "capex label 2026-10: dry run, nothing written to Render (current labels read from the API)",
      "P1:",
      '  create label "Capex exception: UNKNOWN_UNIT_CODE"',
      '  create label "Capex exception: UNMAPPED_TASK_TYPE"',
      '  create label "Capitalized 2026-10"',
      '  add "Capex exception: UNKNOWN_UNIT_CODE" to 1 task: 4',
      '  add "Capex exception: UNMAPPED_TASK_TYPE" to 1 task: 5',
      '  add "Capitalized 2026-10" to 3 tasks: 1, 2, 3',
      "P2:",
      '  create label "Capitalized 2026-10"',
      '  add "Capitalized 2026-10" to 1 task: 1',
      "Requests: 5 in all: 4 reads, 0 label creations, 0 add batches, 0 delete batches, 1 token, 0 retries (0 answered 429)",
    ]);
  });

  it("splits a label's tasks into batches of the batch size", async () => {
    const { store, sandbox, client } = await setup();
    const summary = await labelTasks(client, { store, period: "2026-10" }, { batchSize: 2 });
    expect(summary.requests.addBatches).toBe(5);
    expect(writesIn(sandbox.stats.requestLog).filter((r) => r === "POST /projects/P1/labels/3/tasks")).toHaveLength(2);
    expect(tasksLabelled(sandbox, "P1", "Capitalized 2026-10")).toEqual([1, 2, 3]);
  });

  it("retries a 429 storm and still sends each write once", async () => {
    const { store, sandbox, client } = await setup({ faults: { script: ["ok", "429", "429", "429", "429", "ok", "ok", "429", "429"] } });
    const summary = await labelTasks(client, { store, period: "2026-10" });
    expect(summary.requests).toMatchObject({ total: 19, retries: 6, rateLimited: 6, labelCreations: 4, addBatches: 4 });
    expect(sandbox.labels.list("P1", "General")).toHaveLength(3);
    expect(tasksLabelled(sandbox, "P1", "Capitalized 2026-10")).toEqual([1, 2, 3]);
    expect(tasksLabelled(sandbox, "P2", "Capitalized 2026-10")).toEqual([1]);
  });

  it("a Read-Only credential's 403 on the first write stops the run with a plain error", async () => {
    const { store, sandbox, client } = await setup({ access: "read-only" });
    const run = labelTasks(client, { store, period: "2026-10" });
    await expect(run).rejects.toBeInstanceOf(RenderAuthError);
    await expect(run).rejects.toThrow(
      "Render refused POST /projects/P1/labels (HTTP 403): the credentials in RENDER_CLIENT_ID can read but may not write labels in this project. " +
        "capex label needs Read/Write credentials: ask an organisation admin in Render for a Read/Write API credential, or run with --dry-run to see the plan only.",
    );
    expect(writesIn(sandbox.stats.requestLog)).toEqual(["POST /projects/P1/labels"]);
    // A dry run needs reading only.
    const plan = await labelTasks(client, { store, period: "2026-10" }, { dryRun: true });
    expect(plan.tasksLabelled).toBe(6);
  });

  it("takes a plan of the caller's own, and warns of tasks Render did not confirm", async () => {
    const { sandbox, client } = await setup();
    const summary = await labelTasks(client, {
      period: "2026-10",
      add: [
        { project: "P1", taskId: 2, label: "Capitalized 2026-10" },
        { project: "P1", taskId: 99, label: "Capitalized 2026-10" },
      ],
      remove: [],
    });
    expect(summary.notConfirmed).toEqual([{ project: "P1", label: "Capitalized 2026-10", taskIds: [99] }]);
    expect(tasksLabelled(sandbox, "P1", "Capitalized 2026-10")).toEqual([2]);
    expect(describeLabelSummary(summary).slice(1, -1)).toEqual([
      "P1:",
      '  created label "Capitalized 2026-10"',
      '  added "Capitalized 2026-10" to 2 tasks: 2, 99',
      'warning: Render did not confirm "Capitalized 2026-10" on 1 task of P1 (99): check that these tasks still exist in Render',
    ]);
    // With the current labels read from a snapshot, the likely reason is a label Render held already.
    expect(describeLabelSummary({ ...summary, currentLabelsFrom: "snapshot" }).at(-2)).toBe(
      'warning: Render did not confirm "Capitalized 2026-10" on 1 task of P1 (99): they most likely carried it already (the current labels were read from the snapshot, ' +
        "which can be older than Render's: fetch again, or run without --snapshot, for exact counts); else check that these tasks still exist in Render",
    );
  });

  it("reads the tasks' current labels from a snapshot instead of the API", async () => {
    const { store, sandbox, client } = await setup();
    await labelTasks(client, { store, period: "2026-10" });
    const out = join(tmp(), "snapshot");
    await fetchSnapshot(client, { out, statuses: [] });
    const before = sandbox.stats.requestLog!.length;
    const again = await labelTasks(client, { store, period: "2026-10" }, { snapshot: out });
    expect(again.currentLabelsFrom).toBe("snapshot");
    expect(again.alreadyDone).toBe(6);
    // Only the two projects' label lists: the tasks' labels came from tasks.jsonl.
    expect(sandbox.stats.requestLog!.slice(before)).toEqual([
      "GET /projects/P1/labels?label_type=General&page=1&page_limit=2000",
      "GET /projects/P2/labels?label_type=General&page=1&page_limit=2000",
    ]);
  });
});

describe("reading the tasks' current labels", () => {
  it("asks for a few tasks one by one rather than paging a big project", async () => {
    const clock = virtualClock();
    // ATX-NORTH holds half of 9,000 generated tasks, ids 1 to 4500: three pages of 2000.
    sandbox = await startSandbox({ data: generatedData(3, generatedProjects(9000)), timeScale: TIME_SCALE, now: clock.now, logRequests: true });
    const client = clientFor(sandbox, { now: clock.date, sleep: clock.sleep });
    const project = "ATX-NORTH";
    const before = sandbox.stats.requestLog!.length;
    const few = await currentLabelsFromApi(client, project, new Set([1, 4400]));
    expect([...few.keys()].sort((a, b) => a - b)).toEqual([1, 4400]);
    expect(sandbox.stats.requestLog!.slice(before)).toEqual([`GET /projects/${project}/tasks?page=1&page_limit=2000`, `GET /projects/${project}/tasks/4400`]);
    const mid = sandbox.stats.requestLog!.length;
    const many = await currentLabelsFromApi(client, project, new Set([2100, 2200, 4300]));
    expect(many.size).toBe(3);
    expect(sandbox.stats.requestLog!.slice(mid).sort()).toEqual([
      `GET /projects/${project}/tasks?page=1&page_limit=2000`,
      `GET /projects/${project}/tasks?page=2&page_limit=2000`,
      `GET /projects/${project}/tasks?page=3&page_limit=2000`,
    ]);
  });

  it("accepts a task's labels keyed by id or name, grouped by type, or as a list", () => {
    const read = (v: unknown) => {
      const l = taskLabelsOf(v);
      return { ids: [...l.ids].sort((a, b) => a - b), names: [...l.names].sort() };
    };
    expect(read({})).toEqual({ ids: [], names: [] });
    expect(read(null)).toEqual({ ids: [], names: [] });
    expect(read({ "12": "Capitalized 2026-10" })).toEqual({ ids: [12], names: ["Capitalized 2026-10"] });
    expect(read({ "12": { name: "Capitalized 2026-10" } })).toEqual({ ids: [12], names: ["Capitalized 2026-10"] });
    expect(read({ "Capitalized 2026-10": 12, "Capex exception: NO_COST_BASIS": true })).toEqual({ ids: [12], names: ["Capex exception: NO_COST_BASIS", "Capitalized 2026-10"] });
    expect(read({ General: [{ id: 7, name: "Capitalized 2026-10" }, "Capex exception: NO_COST_BASIS"] })).toEqual({ ids: [7], names: ["Capex exception: NO_COST_BASIS", "Capitalized 2026-10", "General"] });
    expect(read([{ id: 7, name: "A" }, { label_id: "8", label_name: "B" }, "C", 9])).toEqual({ ids: [7, 8, 9], names: ["A", "B", "C"] });
  });

  it("counts a task as labelled by the label's id or its name, and writes to the lowest id of two of one name", () => {
    const labels = [
      { id: 9, name: "Capitalized 2026-10" },
      { id: 4, name: "Capitalized 2026-10" },
      { id: 5, name: "Capex exception: NO_COST_BASIS" },
    ];
    const current = new Map([["P1", new Map([[1, taskLabelsOf({ "9": "x" })], [2, taskLabelsOf(["Capitalized 2026-10"])], [3, taskLabelsOf({ "5": "Capex exception: NO_COST_BASIS" })]])]]);
    const mark = (taskId: number, label: string) => ({ project: "P1", taskId, label });
    const changes = projectChanges(
      "P1",
      { add: [mark(1, "Capitalized 2026-10"), mark(2, "Capitalized 2026-10"), mark(4, "Capitalized 2026-10")], remove: [mark(3, "Capex exception: NO_COST_BASIS"), mark(4, "Capex exception: NO_COST_BASIS")] },
      labels,
      current,
    );
    expect(changes).toEqual({
      project: "P1",
      create: [],
      add: [{ label: "Capitalized 2026-10", labelId: 4, taskIds: [4] }],
      remove: [{ label: "Capex exception: NO_COST_BASIS", labelId: 5, taskIds: [3] }],
      alreadyDone: 3,
    });
  });
});

describe("the simulator's label endpoints", () => {
  it("list by type, get one, create, add and delete many, with 422 for bad bodies and 404 for an unknown label", async () => {
    const clock = virtualClock();
    sandbox = await startSandbox({ data: folderData(writeSourceFolder(NOVEMBER, PROJECTS)), timeScale: TIME_SCALE, now: clock.now });
    const client = clientFor(sandbox, { now: clock.date, sleep: clock.sleep });
    const label = await createLabel(client, "P1", { name: "Capitalized 2026-10", notes: "n" });
    expect(label).toMatchObject({ id: 1, name: "Capitalized 2026-10", type: "General", notes: "n" });
    expect(await listProjectLabels(client, "P1")).toMatchObject([{ id: 1, name: "Capitalized 2026-10" }]);
    expect(await listProjectLabels(client, "P2")).toEqual([]);
    // Task 99 is not in the project: not linked, and not in the answer.
    expect((await addLabelToTasks(client, "P1", 1, [1, 2, 99])).project_task_ids_added).toEqual([1, 2]);
    expect((await addLabelToTasks(client, "P1", 1, [2, 3])).project_task_ids_added).toEqual([3]);
    await removeLabelFromTasks(client, "P1", 1, [2]);
    expect(sandbox.labels.tasksOf("P1", 1)).toEqual([1, 3]);
    expect(await client.call("GET", "/projects/P1/labels/1", {}, z.unknown())).toEqual({
      id: 1,
      name: "Capitalized 2026-10",
      type: "General",
      notes: "n",
      due_by_date: null,
    });
    const bad = client.call("POST", "/projects/P1/labels/1/tasks", {}, z.unknown(), { project_task_ids: "1,2" });
    await expect(bad).rejects.toBeInstanceOf(RenderValidationError);
    await expect(bad).rejects.toMatchObject({ detail: [{ loc: ["body", "project_task_ids"], msg: "Input should be a valid list", type: "list_type" }] });
    const nameless = client.call("POST", "/projects/P1/labels", {}, z.unknown(), { type: "General" });
    await expect(nameless).rejects.toMatchObject({ detail: [{ loc: ["body", "name"], msg: "Field required", type: "missing" }] });
    await expect(removeLabelFromTasks(client, "P1", 42, [1])).rejects.toThrow('Render answered DELETE /projects/P1/labels/42/tasks with HTTP 404: {"detail":"Label 42 not found"}');
  });
});

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const CLI_BUDGET = 120_000;

async function capex(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: tmp(), CAPEX_QUOTA_FILE: join(tmp(), "q.json"), ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A register closed for October on disk, and a simulator on real time (the CLI's client runs at Render's own pace). */
async function cliSetup(options: Partial<SandboxOptions> = {}) {
  const db = join(tmp(), "capex.db");
  const register = await RegisterStore.open(db);
  await close(register, OCTOBER, "2026-10").finally(() => register.close());
  sandbox = await startSandbox({ data: folderData(writeSourceFolder(NOVEMBER, PROJECTS)), logRequests: true, ...options });
  const env = { RENDER_API_URL: sandbox.url, RENDER_AUTH_URL: sandbox.url, RENDER_CLIENT_ID: sandbox.clientId, RENDER_CLIENT_SECRET: sandbox.clientSecret };
  return { db, env, sandbox };
}

describe("capex label (CLI)", () => {
  it("--dry-run prints the plan and writes nothing; then a run marks the tasks and --json counts the requests", async () => {
    const { db, env, sandbox } = await cliSetup();
    const dry = await capex(["label", "--period", "2026-10", "--db", db, "--dry-run"], env);
    expect(dry).toMatchObject({ code: 0, stderr: "" });
    expect(dry.stdout.split("\n").slice(0, 3)).toEqual([
      "capex label 2026-10: dry run, nothing written to Render (current labels read from the API)",
      "P1:",
      '  create label "Capex exception: UNKNOWN_UNIT_CODE"',
    ]);
    expect(dry.stdout).toContain('  add "Capitalized 2026-10" to 3 tasks: 1, 2, 3\n');
    expect(writesIn(sandbox.stats.requestLog)).toEqual([]);
    const run = await capex(["label", "--period", "2026-10", "--db", db, "--json"], env);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as LabelSummary & { register: string };
    expect(summary).toMatchObject({ period: "2026-10", dryRun: false, register: db, labelsCreated: 4, tasksLabelled: 6 });
    expect(summary.requests).toMatchObject({ reads: 4, labelCreations: 4, addBatches: 4, deleteBatches: 0, tokens: 1 });
    expect(tasksLabelled(sandbox, "P1", "Capitalized 2026-10")).toEqual([1, 2, 3]);
  }, CLI_BUDGET);

  it("stopped with Ctrl-C while Render has not answered, says what may be done and how to finish (exit 130)", async () => {
    // Every answer takes a minute: the run is waiting on Render when it is stopped.
    const { db, env, sandbox } = await cliSetup({ faults: { latencyMs: 60_000 } });
    const child = spawn(process.execPath, [CLI, "label", "--period", "2026-10", "--db", db], { env: { PATH: process.env.PATH, HOME: tmp(), CAPEX_QUOTA_FILE: join(tmp(), "q.json"), ...env } });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => void (stderr += c.toString()));
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Stopped once Render has been asked something (the token first), not after a guessed time.
    while (sandbox.stats.requests === 0) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGINT");
    expect(await exit).toBe(130);
    expect(stderr).toBe("capex: stopped; Render may hold some of the labels of 2026-10 already. Run the same command again: it sends only what is not done yet.\n");
  }, CLI_BUDGET);

  it("exits 1 with a plain message when the credential is Read-Only, and 2 for a period not closed", async () => {
    const { db, env } = await cliSetup({ access: "read-only" });
    const refused = await capex(["label", "--period", "2026-10", "--db", db], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "capex: Render refused POST /projects/P1/labels (HTTP 403): the credentials in RENDER_CLIENT_ID can read but may not write labels in this project. " +
        "capex label needs Read/Write credentials: ask an organisation admin in Render for a Read/Write API credential, or run with --dry-run to see the plan only.\n",
    );
    const open = await capex(["label", "--period", "2026-11", "--db", db], env);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/^capex: 2026-11 is not closed in the register .*; its closed periods are 2026-10\./);
  }, CLI_BUDGET);
});
