import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { tmp } from "./helpers.js";

describe("fiber-capex as a library", () => {
  it("is imported by its package name, closes a period with typed results, and prints nothing", async () => {
    const lib = await import("fiber-capex");
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) => vi.spyOn(console, m));
    const stdout = vi.spyOn(process.stdout, "write");
    const stderr = vi.spyOn(process.stderr, "write");
    const snapshot = await lib.openSnapshot("fixtures/demo");
    const rules = await lib.loadRules("rules/render-fiber.yaml");
    const result = await lib.closePeriod({ snapshot, rules, period: "2026-09" });
    const { manifest } = await lib.writeCloseOutputs(result, rules, { out: join(tmp(), "2026-09") });
    expect(result.identities.every((i) => i.holds)).toBe(true);
    expect(manifest.period).toBe("2026-09");
    expect(lib.formatCents(result.controlTotals.depreciation)).toBe(manifest.control_totals.depreciation);
    for (const s of [...spies, stdout, stderr]) expect(s).not.toHaveBeenCalled();
    vi.restoreAllMocks();
  });

  it("throws typed errors", async () => {
    const lib = await import("fiber-capex");
    await expect(lib.openSnapshot("/no/such/folder")).rejects.toBeInstanceOf(lib.SnapshotError);
    await expect(lib.loadRules("/no/such/rules.yaml")).rejects.toBeInstanceOf(lib.RulesError);
    expect(() => new lib.DepreciationSchedule({ cost: 100, salvage: 200, inServiceDate: "2026-01-01", lifeMonths: 12, method: "straight_line", convention: "full_month" })).toThrow(lib.InputError);
  });
});
