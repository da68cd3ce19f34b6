import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { SnapshotError } from "../errors.js";
import { type GeneratedProject, generatedStatus, generatedTaskTypes, generateTask, projectRecord, type RawTask } from "./generate.js";

/** What the simulator serves: a snapshot-layout folder, or generated data. */
export interface SandboxData {
  projects(): RawTask[];
  taskTypes(shortName: string): RawTask[];
  countTasks(shortName: string, statuses: readonly string[] | undefined): number;
  tasks(shortName: string, statuses: readonly string[] | undefined, offset: number, limit: number): RawTask[];
  task(shortName: string, id: number): RawTask | undefined;
}

const LAYOUT = "a folder in the snapshot layout (projects.json, task_types.json, tasks.jsonl), such as one capex fetch wrote";

function readSource(dir: string, name: string): string {
  const file = join(dir, name);
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SnapshotError(file, code === "ENOENT" ? `missing; the simulator serves ${LAYOUT}` : `cannot be read (${code ?? (err as Error).message})`);
  }
}

function parseSource<T>(file: string, text: string, line?: number): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new SnapshotError(file, `not valid JSON: ${(err as Error).message}`, line);
  }
}

/** Serves a folder in the snapshot layout (projects.json, task_types.json, tasks.jsonl). */
export function folderData(dir: string): SandboxData {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SnapshotError(dir, `no such folder; the simulator serves ${LAYOUT}`);
  const projects = parseSource<RawTask[]>(join(dir, "projects.json"), readSource(dir, "projects.json"));
  const taskTypes = parseSource<Record<string, RawTask[]>>(join(dir, "task_types.json"), readSource(dir, "task_types.json"));
  const byProject = new Map<string, RawTask[]>();
  const lines = readSource(dir, "tasks.jsonl").split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const task = parseSource<RawTask>(join(dir, "tasks.jsonl"), line, i + 1);
    const short = String(task.project_short_name);
    let list = byProject.get(short);
    if (!list) byProject.set(short, (list = []));
    list.push(task);
  }
  const filtered = (short: string, statuses: readonly string[] | undefined) => {
    const all = byProject.get(short) ?? [];
    return statuses && statuses.length > 0 ? all.filter((t) => statuses.includes(String(t.status))) : all;
  };
  return {
    projects: () => projects,
    taskTypes: (short) => taskTypes[short] ?? [],
    countTasks: (short, statuses) => filtered(short, statuses).length,
    tasks: (short, statuses, offset, limit) => filtered(short, statuses).slice(offset, offset + limit),
    task: (short, id) => (byProject.get(short) ?? []).find((t) => t.project_task_id === id),
  };
}

/** Serves generated projects; tasks are made on demand, page by page. */
export function generatedData(seed: number, projects: GeneratedProject[]): SandboxData {
  const byShort = new Map(projects.map((p) => [p.short_name, p]));
  // Index lists of the tasks that match a status filter, built once per filter (4 bytes a task).
  const indexCache = new Map<string, Int32Array>();
  const matching = (p: GeneratedProject, statuses: readonly string[] | undefined): Int32Array | undefined => {
    if (!statuses || statuses.length === 0) return undefined;
    const key = `${p.short_name}|${[...statuses].sort().join(",")}`;
    let list = indexCache.get(key);
    if (!list) {
      const tmp = new Int32Array(p.taskCount);
      let n = 0;
      for (let i = 0; i < p.taskCount; i++) if (statuses.includes(generatedStatus(seed, p.short_name, i))) tmp[n++] = i;
      list = tmp.slice(0, n);
      indexCache.set(key, list);
    }
    return list;
  };
  return {
    projects: () => projects.map(projectRecord),
    taskTypes: (short) => (byShort.has(short) ? generatedTaskTypes() : []),
    countTasks: (short, statuses) => {
      const p = byShort.get(short);
      if (!p) return 0;
      return matching(p, statuses)?.length ?? p.taskCount;
    },
    tasks: (short, statuses, offset, limit) => {
      const p = byShort.get(short);
      if (!p) return [];
      const list = matching(p, statuses);
      const total = list?.length ?? p.taskCount;
      const out: RawTask[] = [];
      for (let k = offset; k < Math.min(total, offset + limit); k++) out.push(generateTask(seed, p, list ? list[k]! : k));
      return out;
    },
    task: (short, id) => {
      const p = byShort.get(short);
      return p && id >= 1 && id <= p.taskCount ? generateTask(seed, p, id - 1) : undefined;
    },
  };
}
