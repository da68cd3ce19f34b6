import { z } from "zod";
import { RenderRequestError } from "../errors.js";
import type { RenderClient } from "../render/client.js";
import { type Page, type TaskLabels, taskLabelsSchema } from "../render/schemas.js";
import type { Snapshot } from "../snapshot/reader.js";

/** The labels each task of interest carries now, per project; a task not found carries none. */
export type CurrentLabels = Map<string, Map<number, TaskLabels>>;

const NONE: TaskLabels = { ids: new Set(), names: new Set() };
export const labelsOfTask = (current: CurrentLabels, project: string, taskId: number): TaskLabels => current.get(project)?.get(taskId) ?? NONE;

function keep(into: Map<number, TaskLabels>, wanted: ReadonlySet<number>, item: unknown): void {
  const parsed = taskLabelsSchema.safeParse(item);
  if (parsed.success && wanted.has(parsed.data.project_task_id)) into.set(parsed.data.project_task_id, parsed.data.labels);
}

/**
 * The labels `wanted` tasks of one project carry, read from Render. Page 1 of the project's
 * tasks (every status: a labelled task may have moved on) tells how many pages there are; when
 * fewer tasks are still unseen than pages are left, each is asked for on its own instead
 * (a month's few dozen tasks in a project of a million take a few dozen requests, not 500).
 * Paging stops as soon as every wanted task has been seen.
 */
export async function currentLabelsFromApi(client: RenderClient, project: string, wanted: ReadonlySet<number>): Promise<Map<number, TaskLabels>> {
  const found = new Map<number, TaskLabels>();
  if (wanted.size === 0) return found;
  const first: Page = await client.firstTaskPage(project, undefined);
  for (const item of first.data) keep(found, wanted, item);
  const unseen = [...wanted].filter((id) => !found.has(id));
  if (unseen.length === 0) return found;
  const pagesLeft = Math.ceil(first.total_results / Math.max(1, first.page_limit)) - 1;
  if (unseen.length <= pagesLeft) {
    const path = `/projects/${encodeURIComponent(project)}/tasks`;
    await Promise.all(
      unseen.map(async (id) => {
        try {
          const task = await client.call("GET", `${path}/${id}`, {}, z.unknown());
          keep(found, wanted, task);
        } catch (err) {
          // A task Render no longer has carries no label; the write that follows would say more.
          if (!(err instanceof RenderRequestError && err.status === 404)) throw err;
        }
      }),
    );
    return found;
  }
  let pageNo = 0;
  for await (const page of client.taskPages(project, undefined, undefined, Promise.resolve(first))) {
    if (pageNo++ === 0) continue; // page 1, read above
    for (const item of page.data) keep(found, wanted, item);
    if (found.size === wanted.size) break;
  }
  return found;
}

/**
 * The same from a snapshot's tasks.jsonl, which keeps every field Render returned, `labels`
 * included: no request at all, but only as current as the snapshot.
 */
export async function currentLabelsFromSnapshot(snapshot: Snapshot, wanted: ReadonlyMap<string, ReadonlySet<number>>): Promise<CurrentLabels> {
  const current: CurrentLabels = new Map();
  for await (const batch of snapshot.batches()) {
    for (const record of batch) {
      const project = record.raw?.project_short_name;
      if (typeof project !== "string") continue;
      const ids = wanted.get(project);
      if (!ids) continue;
      let into = current.get(project);
      if (!into) current.set(project, (into = new Map()));
      keep(into, ids, record.raw);
    }
  }
  return current;
}
