import { z } from "zod";
import { RenderAuthError, RenderRequestError } from "../errors.js";
import type { RenderClient } from "./client.js";
import { type Label, type LabelTasksAdded, labelSchema, labelTasksAddedSchema } from "./schemas.js";

/**
 * The label endpoints of the Render API that write (create a label, add it to many tasks,
 * take it off many tasks), each one call through the client's request loop. Reads go through
 * `client.listLabels` and the task endpoints.
 */

/** The only label type the collection names. */
export const LABEL_TYPE = "General";

const projectPath = (shortName: string) => `/projects/${encodeURIComponent(shortName)}`;

/**
 * A write refused for lack of rights says so plainly: labels are the one thing fiber-capex
 * writes, and a Read-Only credential (all the fetch and close need) cannot.
 */
async function write<T>(request: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    const status = err instanceof RenderRequestError || err instanceof RenderAuthError ? err.status : undefined;
    if (status === 401 || status === 403) {
      throw new RenderAuthError(
        `Render refused ${request} (HTTP ${status}): the credentials in RENDER_CLIENT_ID can read but may not write labels in this project. ` +
          "capex label needs Read/Write credentials: ask an organisation admin in Render for a Read/Write API credential, or run with --dry-run to see the plan only.",
        status,
      );
    }
    throw err;
  }
}

/** A project's labels of fiber-capex's type, every page. */
export async function listProjectLabels(client: RenderClient, shortName: string): Promise<Label[]> {
  const path = `${projectPath(shortName)}/labels`;
  const out: Label[] = [];
  for await (const page of client.paginate(path, { label_type: LABEL_TYPE })) {
    for (const item of page.data) out.push(client.item(labelSchema, item, `GET ${path}`));
  }
  return out;
}

export function createLabel(client: RenderClient, shortName: string, label: { name: string; notes: string }): Promise<Label> {
  const path = `${projectPath(shortName)}/labels`;
  return write(`POST ${path}`, () => client.call("POST", path, {}, labelSchema, { name: label.name, type: LABEL_TYPE, notes: label.notes, due_by_date: null }));
}

export function addLabelToTasks(client: RenderClient, shortName: string, labelId: number, taskIds: readonly number[]): Promise<LabelTasksAdded> {
  const path = `${projectPath(shortName)}/labels/${labelId}/tasks`;
  return write(`POST ${path}`, () => client.call("POST", path, {}, labelTasksAddedSchema, { project_task_ids: taskIds }));
}

/**
 * The collection gives "Delete Label from many Tasks" neither a body nor a query, so the task
 * ids go as the add call sends them: a JSON body `{project_task_ids: [...]}` (FastAPI reads a
 * body on DELETE). Its documented answer is an empty 200.
 */
export async function removeLabelFromTasks(client: RenderClient, shortName: string, labelId: number, taskIds: readonly number[]): Promise<void> {
  const path = `${projectPath(shortName)}/labels/${labelId}/tasks`;
  await write(`DELETE ${path}`, () => client.call("DELETE", path, {}, z.unknown(), { project_task_ids: taskIds }));
}
