import { checkOutputFolder, writeDirAtomically } from "../atomic-dir.js";
import { InputError } from "../errors.js";
import { didYouMean } from "../suggest.js";
import type { RenderClient } from "../render/client.js";
import { describeIssues, taskSchema } from "../render/schemas.js";
import { type InvalidTaskRecord, type ProjectFetchRecord, type SnapshotManifest, SnapshotWriter, snapshotFolderKind } from "./writer.js";

/** Render's status filter used when none is given: approved work, and completed work awaiting approval. */
export const DEFAULT_STATUSES = ["approved", "completed"];

export interface FetchOptions {
  out: string;
  /** Project short names; all projects when empty. */
  projects?: string[];
  /** Status filters, one request series each; [] fetches every status in one series. */
  statuses?: string[];
  now?: () => Date;
  /** Replace an earlier snapshot in `out` (CLI: --replace); by default that is refused, as it would lose the evidence of closes made from it. */
  replace?: boolean;
  onProgress?: (event: FetchProgress) => void;
}

export interface FetchProgress {
  project: string;
  status: string;
  page: number;
  pages: number;
  tasks: number;
  totalResults: number;
}

export interface FetchSummary {
  out: string;
  requests: number;
  retries: number;
  rateLimited: number;
  tokensFetched: number;
  elapsedMs: number;
  tasks: number;
  tasksPerProject: Record<string, number>;
  duplicatesDropped: number;
  invalidTasks: number;
  manifest: SnapshotManifest;
}

/**
 * Pulls projects, task types and tasks into a snapshot folder. The folder appears only
 * when everything was fetched; a failure (quota, auth, Render down) writes nothing. `out`
 * is a new path or an empty folder, or an earlier snapshot with `replace` (OutputFolderError
 * before any request).
 */
export async function fetchSnapshot(client: RenderClient, options: FetchOptions): Promise<FetchSummary> {
  const folder = snapshotFolderKind({ replace: options.replace });
  checkOutputFolder(options.out, folder);
  const now = options.now ?? (() => new Date());
  const started = Date.now();
  const statuses = options.statuses ?? DEFAULT_STATUSES;
  const allProjects = await client.listProjects();
  const wanted = options.projects?.length ? options.projects : allProjects.map((p) => p.short_name);
  const unknown = wanted.filter((s) => !allProjects.some((p) => p.short_name === s));
  if (unknown.length) {
    const names = allProjects.map((p) => p.short_name);
    const meant = unknown.map((u) => didYouMean(u, names)).filter((m) => m !== undefined);
    throw new InputError(
      "--project",
      `no project ${unknown.map((u) => `"${u}"`).join(", ")} for these credentials${meant.length ? ` (${meant.join(" ")})` : ""}; known: ${names.join(", ")}`,
    );
  }
  const projects = allProjects.filter((p) => wanted.includes(p.short_name));
  const manifest = await writeDirAtomically(options.out, folder, async (dir) => {
    const writer = new SnapshotWriter(dir);
    try {
      await writer.writeProjects(projects);
      // In parallel: the limiter keeps the pace, and latency no longer adds up per project.
      const lists = await Promise.all(projects.map((p) => client.listTaskTypes(p.short_name)));
      await writer.writeTaskTypes(Object.fromEntries(projects.map((p, i) => [p.short_name, lists[i]!])));
      const invalid: InvalidTaskRecord[] = [];
      const records: Record<string, ProjectFetchRecord> = {};
      // Each series (project × status) is paged in order; the next series' first page is
      // requested as soon as the current one starts, so the pipe never drains between them.
      const series = projects.flatMap((p) => (statuses.length ? statuses : [undefined]).map((status) => ({ p, status })));
      let nextFirst = series[0] ? client.firstTaskPage(series[0].p.short_name, series[0].status) : undefined;
      const seenByProject = new Map<string, Set<number>>();
      for (let i = 0; i < series.length; i++) {
        const { p, status } = series[i]!;
        const first = nextFirst;
        nextFirst = series[i + 1] ? client.firstTaskPage(series[i + 1]!.p.short_name, series[i + 1]!.status) : undefined;
        let record = records[p.short_name];
        if (!record) records[p.short_name] = record = { tasks: 0, total_results: {}, duplicates_dropped: 0, invalid_tasks: 0, total_results_changes: [] };
        let seen = seenByProject.get(p.short_name);
        if (!seen) seenByProject.set(p.short_name, (seen = new Set<number>()));
        const label = status ?? "all";
        const rec = record;
        const changes = (c: { page: number; before: number; after: number }) => rec.total_results_changes.push({ status: label, ...c });
        for await (const page of client.taskPages(p.short_name, status, changes, first)) {
          record.total_results[label] = page.total_results;
          for (const item of page.data) {
            const raw = (item ?? {}) as Record<string, unknown>;
            const parsed = taskSchema.safeParse(raw);
            if (parsed.success) {
              if (seen.has(parsed.data.project_task_id)) {
                record.duplicates_dropped++;
                continue;
              }
              seen.add(parsed.data.project_task_id);
            } else {
              const { path, message } = describeIssues(parsed.error);
              invalid.push({ project_short_name: p.short_name, project_task_id: raw.project_task_id ?? null, path, message });
              record.invalid_tasks++;
            }
            await writer.addTask(raw, p.short_name);
            record.tasks++;
          }
          options.onProgress?.({
            project: p.short_name,
            status: label,
            page: page.page,
            pages: Math.max(1, Math.ceil(page.total_results / Math.max(1, page.page_limit))),
            tasks: record.tasks,
            totalResults: page.total_results,
          });
        }
      }
      return await writer.finish(invalid, {
        api_base_url: client.apiUrl,
        fetched_at: now().toISOString(),
        statuses,
        request_count: client.stats.requests,
        retries: client.stats.retries,
        rate_limited: client.stats.rateLimited,
        tokens_fetched: client.stats.tokensFetched,
        projects: records,
        invalid_tasks: invalid.length,
      });
    } catch (err) {
      await writer.abort();
      throw err;
    }
  });
  const tasksPerProject = Object.fromEntries(Object.entries(manifest.projects).map(([k, v]) => [k, v.tasks]));
  return {
    out: options.out,
    requests: client.stats.requests,
    retries: client.stats.retries,
    rateLimited: client.stats.rateLimited,
    tokensFetched: client.stats.tokensFetched,
    elapsedMs: Date.now() - started,
    tasks: Object.values(tasksPerProject).reduce((a, b) => a + b, 0),
    tasksPerProject,
    duplicatesDropped: Object.values(manifest.projects).reduce((a, r) => a + r.duplicates_dropped, 0),
    invalidTasks: manifest.invalid_tasks,
    manifest,
  };
}
