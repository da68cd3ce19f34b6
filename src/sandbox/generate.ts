import { addDays } from "date-fns/addDays";
import { addMinutes } from "date-fns/addMinutes";
import { format } from "date-fns/format";
import { TASK_TYPE_CATALOGUE, type TaskTypeSpec } from "./catalogue.js";

/**
 * A seeded, deterministic generator of Render-shaped data. Task i of a project is a pure
 * function of (seed, project, i), so the simulator can serve any page of a million-task
 * project without holding the tasks in memory.
 */
export interface GeneratedProject {
  name: string;
  short_name: string;
  description: string;
  type: string;
  timezone: string;
  tenant_name: string;
  /** Tasks in the project. */
  taskCount: number;
  /** First month work is created in, YYYY-MM. */
  startMonth: string;
  /** Months of work. */
  months: number;
}

export type RawTask = Record<string, unknown>;

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
  }
  return h >>> 0;
}

function nameHash(text: string): number {
  let h = 7;
  for (let i = 0; i < text.length; i++) h = Math.imul(h, 31) + text.charCodeAt(i);
  return h | 0;
}

const TOTAL_WEIGHT = TASK_TYPE_CATALOGUE.reduce((s, t) => s + t.weight, 0);

function pickType(r: number): TaskTypeSpec {
  let x = r * TOTAL_WEIGHT;
  for (const t of TASK_TYPE_CATALOGUE) {
    x -= t.weight;
    if (x < 0) return t;
  }
  return TASK_TYPE_CATALOGUE[TASK_TYPE_CATALOGUE.length - 1]!;
}

export const STATUSES = ["approved", "completed", "rejected"] as const;

/** Status alone, cheap, so the simulator can filter a million tasks by status quickly. */
export function generatedStatus(seed: number, project: string, index: number): string {
  const r = mix(seed, nameHash(project), index, 99) / 4294967296;
  return r < 0.86 ? "approved" : r < 0.95 ? "completed" : "rejected";
}

const STREETS = ["Main St", "Oak Ave", "Ridge Rd", "Mill Creek Dr", "Station St", "Harbour Rd", "Pine Ln", "Summit Blvd", "River Rd", "Church St"];
const CREWS = ["j.alvarez", "m.chen", "s.okafor", "r.patel", "k.nguyen", "d.smith", "t.wilson"];
const APPROVERS = ["a.kowalski", "b.osei", "c.martin", "l.harris"];

function money(r: number, lo: number, hi: number): number {
  return Math.round((lo + r * (hi - lo)) * 100) / 100;
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function generateTask(seed: number, project: GeneratedProject, index: number): RawTask {
  const rnd = prng(mix(seed, nameHash(project.short_name), index));
  const type = pickType(rnd());
  const status = generatedStatus(seed, project.short_name, index);
  const id = index + 1;
  const [y, m] = project.startMonth.split("-").map(Number) as [number, number];
  const spanDays = project.months * 30.4;
  const created = addMinutes(new Date(Date.UTC(y, m - 1, 1, 13)), Math.floor(((index + rnd()) / project.taskCount) * spanDays * 1440));
  const allocated = addDays(created, 1 + Math.floor(rnd() * 4));
  const released = addDays(allocated, 1 + Math.floor(rnd() * 5));
  const completed = addMinutes(released, 60 * 24 * (2 + Math.floor(rnd() * 20)) + Math.floor(rnd() * 600));
  const approved = addMinutes(completed, 60 * 24 * (1 + Math.floor(rnd() * 9)) + Math.floor(rnd() * 900));
  const units: RawTask[] = [];
  let quantity: number | null = null;
  const nLines = type.codes.length === 0 ? 0 : 1 + (rnd() < 0.25 && type.codes.length > 1 ? 1 : 0);
  for (let l = 0; l < nLines; l++) {
    const code = type.codes[l % type.codes.length]!;
    const q = type.unit === "ft" ? Math.round(code.min + rnd() * (code.max - code.min)) : Math.max(1, Math.round(code.min + rnd() * (code.max - code.min)));
    const line: RawTask = { unit_code: code.code, description: code.description, quantity: q, uom: type.unit };
    if (type.basis === "line_rate") line.rate = money(rnd(), code.price * 0.9, code.price * 1.1);
    if (type.basis === "line_amount") line.amount = money(rnd(), code.price * 0.1, code.price * 5 * q);
    units.push(line);
    quantity = (quantity ?? 0) + q;
  }
  if (type.basis === "task_quantity") quantity = Math.round(200 + rnd() * 2200);
  const street = STREETS[Math.floor(rnd() * STREETS.length)]!;
  const number = 10 + Math.floor(rnd() * 990);
  const lon = -97.7 + nameHash(project.short_name) / 1e10 + rnd() * 0.2;
  const lat = 30.2 + rnd() * 0.2;
  const point = [Math.round(lon * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6];
  const geometry =
    type.geometry_type === "LineString"
      ? { type: "LineString", coordinates: [point, [point[0]! + 0.002, point[1]! + 0.001]] }
      : type.geometry_type === "Polygon"
        ? { type: "Polygon", coordinates: [[point, [point[0]! + 0.001, point[1]!], [point[0]!, point[1]! + 0.001], point]] }
        : { type: "Point", coordinates: point };
  const isApproved = status === "approved";
  const isDone = status !== "rejected" || rnd() < 0.5;
  const capitalizable = type.basis !== "none" && type.name !== "permitting" && type.name !== "splice_reentry";
  return {
    project_name: project.name,
    project_short_name: project.short_name,
    project_task_id: id,
    status,
    task_type: type.name,
    asset_id: capitalizable && rnd() < 0.7 ? `${project.short_name}-${type.name.replace(/^install_/, "").slice(0, 6).toUpperCase()}-${String(id).padStart(6, "0")}` : "",
    work_package: `WP-${String(1 + Math.floor(index / 250)).padStart(3, "0")}`,
    subsector: `SS-${1 + Math.floor(rnd() * 12)}`,
    street_address: `${number} ${street}`,
    road_name: street,
    road_number: String(number),
    labels: {},
    allocated_to: CREWS[Math.floor(rnd() * CREWS.length)],
    released_to: "Fieldcrew Contracting LLC",
    geometry_type: type.geometry_type,
    geometry,
    original_geometry: geometry,
    geometry_changed: false,
    notes: rnd() < 0.2 ? "Reinstated sidewalk after bore" : "",
    created_date: iso(created),
    created_by: "planner@example.com",
    allocated_date: iso(allocated),
    releasable_date: iso(allocated),
    released_date: iso(released),
    completed_date: isDone ? iso(completed) : "",
    approved_date: isApproved ? iso(approved) : "",
    approved_by: isApproved ? APPROVERS[Math.floor(rnd() * APPROVERS.length)] : "",
    target_completion_date: format(addDays(released, 14), "yyyy-MM-dd"),
    jeopardy_date: "",
    jeopardy_date_cleared: "",
    jeopardy_reason: "",
    forecast_date_released: "",
    forecast_date_completed: "",
    quantity,
    form_response: { crew_size: 2 + Math.floor(rnd() * 3) },
    form_version_id: 1 + Math.floor(rnd() * 3),
    units,
    task_metadata: {},
    link: {},
    photos: [],
  };
}

export function generatedTaskTypes(): RawTask[] {
  return TASK_TYPE_CATALOGUE.map((t) => ({ name: t.name, description: t.description, geometry_type: t.geometry_type, unit: t.unit, form_schema: {} }));
}

export function projectRecord(p: GeneratedProject): RawTask {
  return { name: p.name, short_name: p.short_name, description: p.description, type: p.type, timezone: p.timezone, tenant_name: p.tenant_name };
}

/** Projects for a generated data set of `totalTasks` tasks spread over three time zones. */
export function generatedProjects(totalTasks: number): GeneratedProject[] {
  const specs = [
    { short_name: "ATX-NORTH", name: "Austin North FTTH", timezone: "America/Chicago", share: 0.5 },
    { short_name: "BOS-METRO", name: "Boston Metro Overbuild", timezone: "America/New_York", share: 0.3 },
    { short_name: "SYD-WEST", name: "Sydney West Fibre", timezone: "Australia/Sydney", share: 0.2 },
  ];
  let left = totalTasks;
  return specs.map((s, i) => {
    const taskCount = i === specs.length - 1 ? left : Math.round(totalTasks * s.share);
    left -= taskCount;
    return {
      name: s.name,
      short_name: s.short_name,
      description: `${s.name} build`,
      type: "FTTH",
      timezone: s.timezone,
      tenant_name: "Example Fiber Co",
      taskCount,
      startMonth: "2025-08",
      months: 15,
    };
  });
}
