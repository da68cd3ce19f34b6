import { expect } from "vitest";
import { createHash } from "node:crypto";
import { type CloseResult, closePeriod } from "../src/close/close.js";
import { applyPosting } from "../src/register/apply.js";
import { emptyRegisterState, type RegisterState } from "../src/register/model.js";
import type { RetirementRequest } from "../src/register/retirements.js";
import { taskFieldsSchema } from "../src/render/schemas.js";
import type { Rules } from "../src/rules/model.js";
import type { Snapshot, SnapshotRecord } from "../src/snapshot/reader.js";
import { NOT_FETCHED } from "../src/snapshot/writer.js";

/** Registers tests carry from close to close in memory, as the store would (see applyPosting). */

export const P1 = { name: "Project One", short_name: "P1", timezone: "America/New_York", description: "", type: "FTTH", tenant_name: "T" };
export const P2 = { name: "Project Two", short_name: "P2", timezone: "America/New_York", description: "", type: "FTTH", tenant_name: "T" };

/**
 * A snapshot held in memory, read exactly as openSnapshot reads a folder (each task checked
 * with the same schema), so a property can run hundreds of closes without touching the disk.
 */
export function memorySnapshot(tasks: Array<Record<string, unknown>>, options: { projects?: Array<Record<string, unknown>>; fetchedAt?: string } = {}): Snapshot {
  const projects = (options.projects ?? [P1]) as Snapshot["projects"];
  const text = tasks.map((t) => JSON.stringify(t)).join("\n");
  const records = (): SnapshotRecord[] =>
    tasks.map((raw, i) => {
      const parsed = taskFieldsSchema.safeParse(raw);
      return parsed.success
        ? { line: i + 1, raw, task: parsed.data, issue: undefined }
        : { line: i + 1, raw, task: undefined, issue: { path: "(task)", message: parsed.error.message } };
    });
  return {
    dir: "memory",
    manifest: { format: "test", api_base_url: "http://127.0.0.1:1", fetched_at: options.fetchedAt ?? "2027-06-02T06:00:00.000Z", files: {}, ...NOT_FETCHED },
    manifestSha256: createHash("sha256").update(`${JSON.stringify(projects)}\n${text}`).digest("hex"),
    projects,
    taskTypes: {},
    async *records() {
      yield* records();
    },
    async *batches() {
      yield records();
    },
  };
}

/** One close on a register held in memory; returns the close and the register after it. */
export async function closeOn(
  state: RegisterState,
  rules: Rules,
  period: string,
  tasks: Array<Record<string, unknown>>,
  options: { projects?: Array<Record<string, unknown>>; retirements?: RetirementRequest[] } = {},
): Promise<{ result: CloseResult; state: RegisterState }> {
  const result = await closePeriod({ snapshot: memorySnapshot(tasks, { projects: options.projects }), rules, period, register: state, retirements: options.retirements ?? [] });
  // Every close of every test: each register.csv row adds up on its own.
  const notAddingUp = result.register.filter((e) => e.openingAccumulated + e.amount + e.accumulatedAdjustments - e.accumulatedRetired !== e.accumulated);
  expect(notAddingUp.map((e) => e.asset.assetId)).toEqual([]);
  return { result, state: applyPosting(state, result) };
}

export const empty = emptyRegisterState;

/** A retirement request as parseRetirements makes one. */
export function retire(line: number, assetId: string, date: string, portion: RetirementRequest["portion"], proceeds = 0, removalCost = 0, reason = ""): RetirementRequest {
  return { line, assetId, date, portion, proceeds, removalCost, reason };
}
