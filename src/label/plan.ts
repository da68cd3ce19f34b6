import type { ExceptionCode } from "../capitalize/outcomes.js";
import type { EventKind } from "../register/model.js";
import type { RegisterStore } from "../register/store.js";

/**
 * What a close says to mark in Render, read from the register alone: the label each task
 * should carry after the close of `period`, and the labels it should no longer carry.
 */
export interface TaskMark {
  project: string;
  taskId: number;
  label: string;
}

export interface LabelPlan {
  period: string;
  add: TaskMark[];
  remove: TaskMark[];
}

export const capitalizedLabel = (period: string): string => `Capitalized ${period}`;
export const exceptionLabel = (code: ExceptionCode | string): string => `Capex exception: ${code}`;

/** Notes Render shows with a label fiber-capex creates, so the field knows where it came from. */
export function labelNotes(label: string): string {
  if (label.startsWith("Capitalized ")) return `Set by fiber-capex: the task became a fixed asset in the close of ${label.slice("Capitalized ".length)}.`;
  return `Set by fiber-capex: the close holds the task back (${label.slice("Capex exception: ".length)}) until its data is fixed in Render; removed once a close accepts it.`;
}

/**
 * Events that bring a Render task into the register. A first close's take-on is labelled with
 * that close's period too: the task entered the books then, whatever its in-service date.
 */
const CAPITALIZING: ReadonlySet<EventKind> = new Set(["addition", "late_addition", "take_on"]);

const key = (m: TaskMark) => `${m.project}\u0000${m.taskId}\u0000${m.label}`;

function dedupe(marks: TaskMark[]): TaskMark[] {
  const seen = new Map<string, TaskMark>();
  for (const m of marks) if (!seen.has(key(m))) seen.set(key(m), m);
  return [...seen.values()];
}

/**
 * Tasks that became assets in `period` get `Capitalized YYYY-MM`; tasks the period's close held
 * back get `Capex exception: CODE`; a task that an earlier close held back with a code the close
 * of `period` no longer reports for it has that label removed, when the close's snapshot
 * covered its project. Assets taken on from another
 * system (no Render task) are never labelled; nor are warnings that concern a project only.
 */
export async function planFromRegister(store: RegisterStore, period: string): Promise<LabelPlan> {
  await store.requireClosed(period, "Render is marked from closed periods only.");
  const add: TaskMark[] = [];
  const events = await store.eventsIn(period);
  for (const e of events) {
    if (CAPITALIZING.has(e.kind) && e.record.taskId > 0 && e.record.project) add.push({ project: e.record.project, taskId: e.record.taskId, label: capitalizedLabel(period) });
  }
  const heldBack = (exceptions: Array<{ project: string; taskId: number | undefined; code: string; severity: string }>) =>
    exceptions
      .filter((x) => x.severity === "error" && x.taskId !== undefined && x.taskId > 0 && x.project)
      .map((x) => ({ project: x.project, taskId: x.taskId as number, label: exceptionLabel(x.code) }));
  const report = await store.periodReport(period);
  const now = heldBack(report?.exceptions ?? []);
  add.push(...now);
  const stillHeld = new Set(now.map(key));
  // A task of a project this close's snapshot did not cover (capex fetch --project) was not
  // looked at: its label stays. A register closed before the close kept its covered projects
  // tells them by the projects the period's events and exceptions name.
  const covered = new Set(report?.coveredProjects ?? [...events.map((e) => e.record.project), ...(report?.exceptions ?? []).map((x) => x.project)]);
  const earlier = (await store.periodReports(period)).filter((r) => r.period < period).flatMap((r) => heldBack(r.report.exceptions));
  const remove = earlier.filter((m) => covered.has(m.project) && !stillHeld.has(key(m)));
  return { period, add: dedupe(add), remove: dedupe(remove) };
}
