import { mkdir } from "node:fs/promises";
import { writeDirAtomically } from "../atomic-dir.js";
import { NOT_FETCHED, SNAPSHOT_FOLDER, SnapshotWriter } from "../snapshot/writer.js";
import { type GeneratedProject, generatedTaskTypes, generateTask, projectRecord, type RawTask } from "./generate.js";

/**
 * The bundled demo data: four projects in four time zones (Sydney east of UTC, and one
 * project Render holds no time zone for), every task type, 15 months of work, a mix of
 * statuses, and a handful of deliberately bad records the close must report.
 */
const SEED = 20_261_031;

export const DEMO_PROJECTS: GeneratedProject[] = [
  { name: "Austin North FTTH", short_name: "ATX-NORTH", description: "Fiber to the home, Austin north phase 1", type: "FTTH", timezone: "America/Chicago", tenant_name: "Lone Star Fiber", taskCount: 260, startMonth: "2025-08", months: 15 },
  { name: "Boston Metro Overbuild", short_name: "BOS-METRO", description: "Metro overbuild, aerial and underground", type: "FTTH", timezone: "America/New_York", tenant_name: "Lone Star Fiber", taskCount: 220, startMonth: "2025-08", months: 15 },
  { name: "Sydney West Fibre", short_name: "SYD-WEST", description: "Greenfield estate, western Sydney", type: "FTTP", timezone: "Australia/Sydney", tenant_name: "Lone Star Fiber", taskCount: 200, startMonth: "2025-08", months: 15 },
  { name: "Denver Pilot", short_name: "DEN-PILOT", description: "Pilot build; project time zone not yet set in Render", type: "FTTH", timezone: "", tenant_name: "Lone Star Fiber", taskCount: 30, startMonth: "2026-06", months: 5 },
];

/** Bad records, appended to the projects named, each for one exception the close must raise. */
function badRecords(): Array<{ project: string; task: RawTask }> {
  const base = (p: GeneratedProject, id: number, patch: RawTask): RawTask => ({ ...generateTask(SEED, p, id - 1), project_task_id: id, ...patch });
  const [atx, bos, syd] = DEMO_PROJECTS as [GeneratedProject, GeneratedProject, GeneratedProject];
  const approved = { status: "approved", approved_date: "2026-10-20T16:05:00Z", approved_by: "a.kowalski" };
  return [
    // A task type the rules do not know.
    { project: "ATX-NORTH", task: base(atx, 9001, { ...approved, task_type: "install_microduct", asset_id: "ATX-NORTH-MICRO-9001", units: [{ unit_code: "MD-7WAY", quantity: 300, uom: "ft" }], quantity: 300 }) },
    // Neither unit lines nor a quantity: nothing to price.
    { project: "ATX-NORTH", task: base(atx, 9002, { ...approved, task_type: "install_conduit", asset_id: "ATX-NORTH-COND-9002", units: [], quantity: null }) },
    // Two tasks sharing one asset id.
    { project: "BOS-METRO", task: base(bos, 9003, { ...approved, task_type: "install_vault", asset_id: "BOS-METRO-VAULT-0042", units: [{ unit_code: "VLT-3048-PC", quantity: 1, uom: "each" }], quantity: 1 }) },
    { project: "BOS-METRO", task: base(bos, 9004, { ...approved, task_type: "install_vault", asset_id: "BOS-METRO-VAULT-0042", units: [{ unit_code: "VLT-3048-PC", quantity: 1, uom: "each" }], quantity: 1 }) },
    // Marked approved in Render, but without an approval date.
    { project: "BOS-METRO", task: base(bos, 9005, { status: "approved", approved_date: "", approved_by: "b.osei", task_type: "install_strand", units: [], quantity: 850 }) },
    // A unit code missing from the rate card.
    { project: "SYD-WEST", task: base(syd, 9006, { ...approved, task_type: "install_aerial_fiber", asset_id: "SYD-WEST-AERIAL-9006", units: [{ unit_code: "AF-864CT", quantity: 420, uom: "ft" }], quantity: 420 }) },
    // A negative quantity.
    { project: "SYD-WEST", task: base(syd, 9007, { ...approved, task_type: "install_underground_fiber", asset_id: "SYD-WEST-UGF-9007", units: [{ unit_code: "UGF-144CT", quantity: -250, uom: "ft" }], quantity: -250 }) },
    // A malformed quantity that fails validation.
    { project: "SYD-WEST", task: base(syd, 9008, { ...approved, task_type: "install_conduit", asset_id: "SYD-WEST-COND-9008", units: [{ unit_code: "CND-2IN-HDPE", quantity: "12,5", uom: "ft" }], quantity: "12,5" }) },
    // Approved half an hour before midnight UTC on 31 October: October in New York, November in Sydney.
    { project: "BOS-METRO", task: base(bos, 9009, { status: "approved", approved_date: "2026-10-31T23:30:00Z", approved_by: "c.martin", task_type: "install_cabinet", asset_id: "BOS-METRO-CAB-9009", units: [{ unit_code: "CAB-FDH-288", quantity: 1, uom: "each", rate: 14_500 }], quantity: 1 }) },
    { project: "SYD-WEST", task: base(syd, 9010, { status: "approved", approved_date: "2026-10-31T23:30:00Z", approved_by: "c.martin", task_type: "install_cabinet", asset_id: "SYD-WEST-CAB-9010", units: [{ unit_code: "CAB-FDH-288", quantity: 1, uom: "each", rate: 14_500 }], quantity: 1 }) },
  ];
}

export async function writeDemoFixtures(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeDirAtomically(dir, SNAPSHOT_FOLDER, async (tmp) => {
    const writer = new SnapshotWriter(tmp);
    await writer.writeProjects(DEMO_PROJECTS.map(projectRecord));
    await writer.writeTaskTypes(Object.fromEntries(DEMO_PROJECTS.map((p) => [p.short_name, generatedTaskTypes()])));
    const bad = badRecords();
    const counts: Record<string, number> = {};
    for (const p of DEMO_PROJECTS) {
      for (let i = 0; i < p.taskCount; i++) await writer.addTask(generateTask(SEED, p, i), p.short_name);
      const extra = bad.filter((b) => b.project === p.short_name);
      for (const b of extra) await writer.addTask(b.task, p.short_name);
      counts[p.short_name] = p.taskCount + extra.length;
    }
    await writer.finish([], {
      ...NOT_FETCHED,
      api_base_url: "fixture://demo",
      fetched_at: "2026-11-02T06:00:00.000Z",
      projects: Object.fromEntries(
        Object.entries(counts).map(([k, n]) => [k, { tasks: n, total_results: { all: n }, duplicates_dropped: 0, invalid_tasks: 0, total_results_changes: [] }]),
      ),
      note: "Demo source data generated by src/sandbox/demo-fixtures.ts (npm run fixtures). Served by the simulator for capex demo.",
    });
  });
}
