import type { Label } from "../render/schemas.js";
import { type CurrentLabels, labelsOfTask } from "./current.js";
import type { LabelPlan, TaskMark } from "./plan.js";

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What must be sent to Render so that each project's tasks carry what the plan says, and
 * nothing already done: a pure comparison of the plan with the project's labels and the
 * labels its tasks carry now.
 */
export interface LabelAddition {
  label: string;
  /** undefined while the label is still to be created (a dry run never creates it). */
  labelId: number | undefined;
  taskIds: number[];
}

export interface LabelRemoval {
  label: string;
  labelId: number;
  taskIds: number[];
}

export interface ProjectLabelChanges {
  project: string;
  /** Labels to create, by name. */
  create: string[];
  add: LabelAddition[];
  remove: LabelRemoval[];
  /** Marks of the plan already in place (a label the task carries, or one it does not and should not). */
  alreadyDone: number;
}

/** The plan's marks per project, projects sorted by short name. */
export function marksByProject(plan: LabelPlan): Map<string, { add: TaskMark[]; remove: TaskMark[] }> {
  const out = new Map<string, { add: TaskMark[]; remove: TaskMark[] }>();
  const entry = (project: string) => {
    let e = out.get(project);
    if (!e) out.set(project, (e = { add: [], remove: [] }));
    return e;
  };
  for (const m of plan.add) entry(m.project).add.push(m);
  for (const m of plan.remove) entry(m.project).remove.push(m);
  return new Map([...out.entries()].sort(([a], [b]) => byName(a, b)));
}


/**
 * Render may hold two labels of one name (a create retried after a lost answer): the lowest id
 * is the one written to, and a task carrying either counts as labelled.
 */
function labelsNamed(labels: readonly Label[], name: string): Label[] {
  return labels.filter((l) => l.name === name).sort((a, b) => a.id - b.id);
}

export function projectChanges(project: string, marks: { add: readonly TaskMark[]; remove: readonly TaskMark[] }, labels: readonly Label[], current: CurrentLabels): ProjectLabelChanges {
  const carries = (taskId: number, name: string): Label | true | undefined => {
    const on = labelsOfTask(current, project, taskId);
    const same = labelsNamed(labels, name);
    return same.find((l) => on.ids.has(l.id)) ?? (on.names.has(name) ? true : undefined);
  };
  let alreadyDone = 0;
  const addIds = new Map<string, number[]>();
  for (const m of marks.add) {
    if (carries(m.taskId, m.label)) alreadyDone++;
    else {
      let ids = addIds.get(m.label);
      if (!ids) addIds.set(m.label, (ids = []));
      ids.push(m.taskId);
    }
  }
  const removeIds = new Map<number, { label: string; taskIds: number[] }>();
  for (const m of marks.remove) {
    const carried = carries(m.taskId, m.label);
    const label = carried === true ? labelsNamed(labels, m.label)[0] : carried;
    if (!label) {
      alreadyDone++;
      continue;
    }
    const entry = removeIds.get(label.id) ?? { label: m.label, taskIds: [] };
    entry.taskIds.push(m.taskId);
    removeIds.set(label.id, entry);
  }
  const names = [...addIds.keys()].sort(byName);
  const create = names.filter((n) => labelsNamed(labels, n).length === 0);
  return {
    project,
    create,
    add: names.map((label) => ({ label, labelId: labelsNamed(labels, label)[0]?.id, taskIds: [...new Set(addIds.get(label))].sort((a, b) => a - b) })),
    remove: [...removeIds.entries()]
      .map(([labelId, r]) => ({ label: r.label, labelId, taskIds: [...new Set(r.taskIds)].sort((a, b) => a - b) }))
      .sort((a, b) => byName(a.label, b.label) || a.labelId - b.labelId),
    alreadyDone,
  };
}

/** `ids` in consecutive batches of at most `size`. */
export function batches<T>(ids: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
}
