import type { SandboxData } from "./data.js";
import type { RawTask } from "./generate.js";

/**
 * What happens in Render between the demo's two month-end fetches, as it does in the field
 * every month: an approval recorded late (back-dated into the month already closed), an
 * as-built quantity correction on an asset capitalized last month, and a task rejected after
 * QA long after it went into service. Chosen from the bundled data by rule, not by id, so the
 * fixtures can be regenerated.
 */
export interface DemoChange {
  kind: "late_approval" | "cost_edit" | "withdrawal";
  project: string;
  taskId: number;
  what: string;
}

const CAPITALIZED_TYPES = new Set(["install_conduit", "install_aerial_fiber", "install_underground_fiber", "install_cabinet", "install_vault", "install_strand", "install_pole"]);

function approvedIn(t: RawTask, month: string): boolean {
  return typeof t.approved_date === "string" && t.approved_date.startsWith(month);
}

/** Patches served over the base data: the same task with some fields changed. */
export function patchedData(base: SandboxData, patches: Map<string, RawTask>): SandboxData {
  const key = (short: string, id: unknown) => `${short}#${String(id)}`;
  const apply = (short: string, t: RawTask) => {
    const p = patches.get(key(short, t.project_task_id));
    return p ? { ...t, ...p } : t;
  };
  const all = (short: string) => base.tasks(short, undefined, 0, Number.MAX_SAFE_INTEGER).map((t) => apply(short, t));
  const filtered = (short: string, statuses: readonly string[] | undefined) => {
    const list = all(short);
    return statuses && statuses.length > 0 ? list.filter((t) => statuses.includes(String(t.status))) : list;
  };
  return {
    projects: () => base.projects(),
    taskTypes: (short) => base.taskTypes(short),
    countTasks: (short, statuses) => filtered(short, statuses).length,
    tasks: (short, statuses, offset, limit) => filtered(short, statuses).slice(offset, offset + limit),
    task: (short, id) => {
      const t = base.task(short, id);
      return t ? apply(short, t) : undefined;
    },
  };
}

/**
 * The demo's changes between the close of `closed` (a month) and the next close: picked from
 * the ATX-NORTH and BOS-METRO projects of the bundled data.
 */
export function demoChanges(base: SandboxData, closed: string): { data: SandboxData; changes: DemoChange[] } {
  const atx = base.tasks("ATX-NORTH", undefined, 0, Number.MAX_SAFE_INTEGER);
  const bos = base.tasks("BOS-METRO", undefined, 0, Number.MAX_SAFE_INTEGER);
  const priced = (t: RawTask) => Array.isArray(t.units) && (t.units as RawTask[]).length > 0 && CAPITALIZED_TYPES.has(String(t.task_type));
  const late = atx.find((t) => t.status === "completed" && !t.approved_date && priced(t));
  const edited = atx.find((t) => t.status === "approved" && approvedIn(t, closed) && priced(t) && typeof (t.units as RawTask[])[0]?.quantity === "number");
  const rejected = bos.find((t) => t.status === "approved" && approvedIn(t, "2026-04") && priced(t));
  const patches = new Map<string, RawTask>();
  const changes: DemoChange[] = [];
  if (late) {
    patches.set(`ATX-NORTH#${late.project_task_id}`, { status: "approved", approved_date: `${closed}-28T15:10:00Z`, approved_by: "a.kowalski" });
    changes.push({ kind: "late_approval", project: "ATX-NORTH", taskId: Number(late.project_task_id), what: `approved on ${closed}-28, recorded after ${closed} was closed` });
  }
  if (edited) {
    const units = (edited.units as RawTask[]).map((u, i) => (i === 0 ? { ...u, quantity: Math.round((u.quantity as number) * 1.25 * 100) / 100 } : u));
    patches.set(`ATX-NORTH#${edited.project_task_id}`, { units, quantity: units[0]!.quantity });
    changes.push({ kind: "cost_edit", project: "ATX-NORTH", taskId: Number(edited.project_task_id), what: "as-built review: the first unit line's quantity is 25 % more" });
  }
  if (rejected) {
    patches.set(`BOS-METRO#${rejected.project_task_id}`, { status: "rejected", approved_date: "", approved_by: "" });
    changes.push({ kind: "withdrawal", project: "BOS-METRO", taskId: Number(rejected.project_task_id), what: "rejected by QA; its approval is withdrawn" });
  }
  return { data: patchedData(base, patches), changes };
}
