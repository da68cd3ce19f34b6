/**
 * The simulator's labels, in memory: each project's labels and which tasks carry them, as the
 * collection's label endpoints create, list, add and remove them. Tasks are served with their
 * current `labels` as an object keyed by label id (`{"3": "Capitalized 2026-10"}`); the
 * collection shows only `{}`, and the client reads other shapes too.
 */
export interface SandboxLabel {
  id: number;
  name: string;
  type: string;
  notes: string;
  due_by_date: string | null;
}

export class SandboxLabels {
  private readonly labels = new Map<string, Map<number, SandboxLabel>>();
  /** project → task id → label ids, for serving tasks with their labels. */
  private readonly links = new Map<string, Map<number, Set<number>>>();
  private nextId = 1;

  list(project: string, type: string | undefined): SandboxLabel[] {
    const all = [...(this.labels.get(project)?.values() ?? [])];
    return type === undefined ? all : all.filter((l) => l.type === type);
  }

  get(project: string, id: number): SandboxLabel | undefined {
    return this.labels.get(project)?.get(id);
  }

  byName(project: string, name: string, type: string): SandboxLabel | undefined {
    return this.list(project, type).find((l) => l.name === name);
  }

  create(project: string, fields: Omit<SandboxLabel, "id">): SandboxLabel {
    const label = { id: this.nextId++, ...fields };
    let list = this.labels.get(project);
    if (!list) this.labels.set(project, (list = new Map()));
    list.set(label.id, label);
    return label;
  }

  /** Links the tasks to the label; returns those newly linked. */
  add(project: string, labelId: number, taskIds: readonly number[]): number[] {
    let byTask = this.links.get(project);
    if (!byTask) this.links.set(project, (byTask = new Map()));
    const added: number[] = [];
    for (const id of taskIds) {
      let set = byTask.get(id);
      if (!set) byTask.set(id, (set = new Set()));
      if (!set.has(labelId)) {
        set.add(labelId);
        added.push(id);
      }
    }
    return added;
  }

  remove(project: string, labelId: number, taskIds: readonly number[]): void {
    const byTask = this.links.get(project);
    for (const id of taskIds) byTask?.get(id)?.delete(labelId);
  }

  /** Task ids carrying the label, sorted (for tests and the demo to look at). */
  tasksOf(project: string, labelId: number): number[] {
    const out: number[] = [];
    for (const [task, set] of this.links.get(project) ?? []) if (set.has(labelId)) out.push(task);
    return out.sort((a, b) => a - b);
  }

  /** The task as served: its own `labels` (from the data) with the links made here on top. */
  serve<T extends Record<string, unknown>>(project: string, task: T): T {
    const byTask = this.links.get(project);
    if (!byTask) return task;
    const ids = byTask.get(Number(task.project_task_id));
    if (!ids || ids.size === 0) return task;
    const own = task.labels && typeof task.labels === "object" && !Array.isArray(task.labels) ? (task.labels as Record<string, unknown>) : {};
    const labels: Record<string, unknown> = { ...own };
    for (const id of ids) labels[String(id)] = this.get(project, id)?.name;
    return { ...task, labels };
  }
}
