import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { SnapshotError } from "../errors.js";
import { describeIssues, type Project, projectSchema, type Task, taskSchema } from "../render/schemas.js";
import type { SnapshotManifest } from "./writer.js";

/** One line of tasks.jsonl: the task when it validates, else the problem and its field path. */
export interface SnapshotRecord {
  line: number;
  raw: Record<string, unknown> | undefined;
  task: Task | undefined;
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

export async function openSnapshot(dir: string): Promise<Snapshot> {
  if (!existsSync(dir)) throw new SnapshotError(dir, "no such snapshot folder; run capex fetch --out DIR first");
  const { value: manifest, text: manifestText } = await readJson(dir, "manifest.json");
  const { value: projectsRaw, text: projectsText } = await readJson(dir, "projects.json");
  const { value: taskTypes, text: taskTypesText } = await readJson(dir, "task_types.json");
  const m = manifest as SnapshotManifest;
  const expect = (name: string, text: string) => {
    const want = m.files?.[name];
    if (want && createHash("sha256").update(text).digest("hex") !== want) {
      throw new SnapshotError(join(dir, name), "does not match the sha256 in manifest.json: the snapshot was changed after it was fetched");
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
    async *records() {
      const hash = createHash("sha256");
      const lines = createInterface({ input: createReadStream(tasksFile), crlfDelay: Number.POSITIVE_INFINITY });
      let n = 0;
      for await (const text of lines) {
        n++;
        hash.update(`${text}\n`);
        if (text.trim() === "") continue;
        let raw: Record<string, unknown> | undefined;
        try {
          raw = JSON.parse(text) as Record<string, unknown>;
        } catch (e) {
          yield { line: n, raw: undefined, task: undefined, issue: { path: "(line)", message: `not JSON: ${(e as Error).message}` } };
          continue;
        }
        const parsed = taskSchema.safeParse(raw);
        if (parsed.success) yield { line: n, raw, task: parsed.data, issue: undefined };
        else yield { line: n, raw, task: undefined, issue: describeIssues(parsed.error) };
      }
      const want = m.files?.["tasks.jsonl"];
      if (want && hash.digest("hex") !== want) {
        throw new SnapshotError(tasksFile, "does not match the sha256 in manifest.json: the snapshot was changed after it was fetched");
      }
    },
  };
}
