import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SnapshotError } from "../errors.js";
import { describeIssues, type Project, projectSchema, quickTaskFields, type TaskFields, taskFieldsSchema } from "../render/schemas.js";
import { localHash, Sha256Worker } from "../sha256-worker.js";
import { lineBatches } from "./lines.js";
import type { SnapshotManifest } from "./writer.js";

/** One line of tasks.jsonl: the task when it validates, else the problem and its field path. */
export interface SnapshotRecord {
  line: number;
  raw: Record<string, unknown> | undefined;
  task: TaskFields | undefined;
  issue: { path: string; message: string } | undefined;
}

export interface Snapshot {
  dir: string;
  manifest: SnapshotManifest;
  /** sha256 of manifest.json, which itself holds the sha256 of every other file. */
  manifestSha256: string;
  projects: Project[];
  taskTypes: Record<string, Array<{ name: string; unit?: string | undefined }>>;
  /** Streams tasks.jsonl, validating each line; verifies the file's hash at the end. */
  records(): AsyncGenerator<SnapshotRecord>;
  /** The same records in batches (one per chunk read): the fast path for big snapshots. */
  batches(): AsyncGenerator<SnapshotRecord[]>;
}

/** A snapshot file that is not what was fetched: said the same for each file, with what to do. */
const CHANGED_AFTER_FETCH =
  "does not match the sha256 in manifest.json: the snapshot was changed after it was fetched. A snapshot is evidence of what Render held: correct the data in Render and fetch again (capex fetch), or restore the file from the fetch";

function parseRecord(line: number, text: string): SnapshotRecord {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    return { line, raw: undefined, task: undefined, issue: { path: "(line)", message: `not JSON: ${(e as Error).message}` } };
  }
  const task = quickTaskFields(raw);
  if (task) return { line, raw, task, issue: undefined };
  const parsed = taskFieldsSchema.safeParse(raw);
  return parsed.success ? { line, raw, task: parsed.data, issue: undefined } : { line, raw, task: undefined, issue: describeIssues(parsed.error) };
}

async function readJson(dir: string, name: string): Promise<{ value: unknown; text: string }> {
  const file = join(dir, name);
  if (!existsSync(file)) throw new SnapshotError(file, `missing; is ${dir} a snapshot folder written by capex fetch?`);
  const text = await readFile(file, "utf8");
  try {
    return { value: JSON.parse(text), text };
  } catch (e) {
    throw new SnapshotError(file, `not valid JSON: ${(e as Error).message}`);
  }
}

export interface OpenOptions {
  /** tasks.jsonl of this many bytes or more is hashed on a worker thread (tests lower it). */
  hashThreadFrom?: number;
}

export async function openSnapshot(dir: string, open: OpenOptions = {}): Promise<Snapshot> {
  const options = { hashThreadFrom: 8 << 20, ...open };
  if (!existsSync(dir)) throw new SnapshotError(dir, "no such snapshot folder; run capex fetch --out DIR first");
  const { value: manifest, text: manifestText } = await readJson(dir, "manifest.json");
  const { value: projectsRaw, text: projectsText } = await readJson(dir, "projects.json");
  const { value: taskTypes, text: taskTypesText } = await readJson(dir, "task_types.json");
  const m = manifest as SnapshotManifest;
  const expect = (name: string, text: string) => {
    const want = m.files?.[name];
    if (want && createHash("sha256").update(text).digest("hex") !== want) {
      throw new SnapshotError(join(dir, name), CHANGED_AFTER_FETCH);
    }
  };
  expect("projects.json", projectsText);
  expect("task_types.json", taskTypesText);
  if (!Array.isArray(projectsRaw)) throw new SnapshotError(join(dir, "projects.json"), "must hold a list of projects");
  const projects = projectsRaw.map((p, i) => {
    const r = projectSchema.safeParse(p);
    if (!r.success) throw new SnapshotError(join(dir, "projects.json"), `project ${i + 1}: ${describeIssues(r.error).message}`);
    return r.data;
  });
  const tasksFile = join(dir, "tasks.jsonl");
  if (!existsSync(tasksFile)) throw new SnapshotError(tasksFile, "missing");
  return {
    dir,
    manifest: m,
    manifestSha256: createHash("sha256").update(manifestText).digest("hex"),
    projects,
    taskTypes: taskTypes as Snapshot["taskTypes"],
    batches,
    async *records() {
      for await (const batch of batches()) yield* batch;
    },
  };
  async function* batches(): AsyncGenerator<SnapshotRecord[]> {
    // A big file is hashed on the second core while this one parses it.
    const worker = statSync(tasksFile).size >= options.hashThreadFrom ? new Sha256Worker() : undefined;
    const hash = worker?.chunks() ?? localHash();
    let hex: string;
    try {
      let n = 0;
      for await (const lines of lineBatches(tasksFile, hash)) {
        const batch: SnapshotRecord[] = [];
        for (const line of lines) {
          n++;
          const text = line.endsWith("\r") ? line.slice(0, -1) : line;
          if (text.trim() === "") continue;
          batch.push(parseRecord(n, text));
        }
        yield batch;
      }
      hex = await hash.digest();
    } finally {
      await worker?.close();
    }
    const want = m.files?.["tasks.jsonl"];
    if (want && hex !== want) {
      throw new SnapshotError(tasksFile, CHANGED_AFTER_FETCH);
    }
  }
}
