import { InputError } from "../errors.js";
import type { RenderClient } from "../render/client.js";
import { addLabelToTasks, createLabel, listProjectLabels, removeLabelFromTasks } from "../render/labels.js";
import type { RegisterStore } from "../register/store.js";
import { openSnapshot, type Snapshot } from "../snapshot/reader.js";
import { batches, marksByProject, type ProjectLabelChanges, projectChanges } from "./changes.js";
import { type CurrentLabels, currentLabelsFromApi, currentLabelsFromSnapshot } from "./current.js";
import { type LabelPlan, labelNotes, planFromRegister } from "./plan.js";

/**
 * Task ids per add or delete request. Render documents no limit on `project_task_ids`; 500 ids
 * are a body of about 4 KB, small enough for any proxy and for the server to finish well inside
 * the client's timeout, and a batch that must be retried re-sends little. At 2 requests a second
 * 10,000 tasks still take only 20 requests.
 */
export const DEFAULT_LABEL_BATCH = 500;

export interface LabelOptions {
  /** Read and plan, send nothing that writes. */
  dryRun?: boolean;
  /**
   * Read the tasks' current labels from this snapshot (its tasks.jsonl keeps Render's `labels`)
   * instead of from the API. It is only as current as its fetch: a re-run after labelling needs
   * a fresh snapshot, or the API, to know what is done.
   */
  snapshot?: string | Snapshot;
  batchSize?: number;
  /** Told of each request that writes, after it succeeded (for progress). */
  onWrite?: (event: { project: string; kind: "create" | "add" | "remove"; label: string; tasks: number }) => void;
}

export interface LabelRequests {
  /** Every HTTP request the client made in the run: token, reads, writes and retries. */
  total: number;
  /** Label lists and task pages or tasks (pages asked for ahead included). */
  reads: number;
  labelCreations: number;
  addBatches: number;
  deleteBatches: number;
  tokens: number;
  retries: number;
  rateLimited: number;
}

export interface LabelSummary {
  period: string;
  dryRun: boolean;
  /** Where the tasks' current labels were read. */
  currentLabelsFrom: "api" | "snapshot";
  projects: ProjectLabelChanges[];
  labelsCreated: number;
  /** Task-label links added and removed (planned, in a dry run). */
  tasksLabelled: number;
  tasksUnlabelled: number;
  alreadyDone: number;
  /** Tasks Render's answer did not list as added (unknown to Render, or labelled meanwhile). */
  notConfirmed: Array<{ project: string; label: string; taskIds: number[] }>;
  requests: LabelRequests;
}

function statsNow(client: RenderClient) {
  const s = client.stats;
  return { requests: s.requests, retries: s.retries, tokens: s.tokensFetched, rateLimited: s.rateLimited };
}

/**
 * Marks in Render what a close did (DESIGN §10): `Capitalized YYYY-MM` on the tasks that became
 * assets, `Capex exception: CODE` on the tasks held back, and off again once a later close
 * accepts them. Reads first (each project's labels, the tasks' current labels), then writes only
 * what is not done yet: labels to create, then each label added to many tasks per request, then
 * resolved exceptions' labels removed. Every request goes through `client` (quota, limiter,
 * token, retry). The first refused write stops the run.
 */
export async function labelTasks(client: RenderClient, what: LabelPlan | { store: RegisterStore; period: string }, options: LabelOptions = {}): Promise<LabelSummary> {
  const batchSize = options.batchSize ?? DEFAULT_LABEL_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError("batchSize", `must be a whole number of tasks of at least 1, not ${batchSize}`);
  const before = statsNow(client);
  const plan = "store" in what ? await planFromRegister(what.store, what.period) : what;
  const marks = marksByProject(plan);
  const projects = [...marks.keys()];
  const wanted = new Map(projects.map((p) => [p, new Set([...marks.get(p)!.add, ...marks.get(p)!.remove].map((m) => m.taskId))]));

  // Reads, every project at once: the limiter keeps the pace.
  const labelLists = Promise.all(projects.map((p) => listProjectLabels(client, p)));
  labelLists.catch(() => undefined); // awaited below; never an unhandled rejection
  let current: CurrentLabels;
  if (options.snapshot !== undefined) {
    const snapshot = typeof options.snapshot === "string" ? await openSnapshot(options.snapshot) : options.snapshot;
    current = await currentLabelsFromSnapshot(snapshot, wanted);
  } else {
    const found = await Promise.all(projects.map((p) => currentLabelsFromApi(client, p, wanted.get(p)!)));
    current = new Map(projects.map((p, i) => [p, found[i]!]));
  }
  const labels = await labelLists;
  const changes = projects.map((p, i) => projectChanges(p, marks.get(p)!, labels[i]!, current));

  const writes = { labelCreations: 0, addBatches: 0, deleteBatches: 0 };
  const notConfirmed: LabelSummary["notConfirmed"] = [];
  if (!options.dryRun) {
    // One write at a time: a refusal (Read-Only credentials) stops before anything else is sent.
    for (const c of changes) {
      const created = new Map<string, number>();
      for (const name of c.create) {
        const label = await createLabel(client, c.project, { name, notes: labelNotes(name) });
        writes.labelCreations++;
        created.set(name, label.id);
        options.onWrite?.({ project: c.project, kind: "create", label: name, tasks: 0 });
      }
      for (const a of c.add) {
        a.labelId ??= created.get(a.label);
        for (const ids of batches(a.taskIds, batchSize)) {
          const answer = await addLabelToTasks(client, c.project, a.labelId!, ids);
          writes.addBatches++;
          if (answer.project_task_ids_added) {
            const added = new Set(answer.project_task_ids_added);
            const missing = ids.filter((id) => !added.has(id));
            if (missing.length) notConfirmed.push({ project: c.project, label: a.label, taskIds: missing });
          }
          options.onWrite?.({ project: c.project, kind: "add", label: a.label, tasks: ids.length });
        }
      }
      for (const r of c.remove) {
        for (const ids of batches(r.taskIds, batchSize)) {
          await removeLabelFromTasks(client, c.project, r.labelId, ids);
          writes.deleteBatches++;
          options.onWrite?.({ project: c.project, kind: "remove", label: r.label, tasks: ids.length });
        }
      }
    }
  }

  const after = statsNow(client);
  const total = after.requests - before.requests;
  const retries = after.retries - before.retries;
  const tokens = after.tokens - before.tokens;
  const writeCount = writes.labelCreations + writes.addBatches + writes.deleteBatches;
  const sum = (f: (c: ProjectLabelChanges) => number) => changes.reduce((n, c) => n + f(c), 0);
  return {
    period: plan.period,
    dryRun: options.dryRun ?? false,
    currentLabelsFrom: options.snapshot !== undefined ? "snapshot" : "api",
    projects: changes,
    labelsCreated: writes.labelCreations,
    tasksLabelled: sum((c) => c.add.reduce((n, a) => n + a.taskIds.length, 0)),
    tasksUnlabelled: sum((c) => c.remove.reduce((n, r) => n + r.taskIds.length, 0)),
    alreadyDone: sum((c) => c.alreadyDone),
    notConfirmed,
    requests: {
      total,
      // Every attempt is a token request, a retry, a write or a read.
      reads: total - retries - tokens - writeCount,
      ...writes,
      tokens,
      retries,
      rateLimited: after.rateLimited - before.rateLimited,
    },
  };
}
