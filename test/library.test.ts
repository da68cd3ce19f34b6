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
    // The README's month-end: posted into a register, and the same inputs again write the same bytes.
    const folder = tmp();
    const register = await lib.RegisterStore.open(join(folder, "capex.db"));
    try {
      const first = await lib.runMonthEnd({ register, snapshot, rules, period: "2026-09", out: join(folder, "2026-09") });
      const again = await lib.runMonthEnd({ register, snapshot, rules, period: "2026-09", out: join(folder, "again") });
      expect([first.status, again.status]).toEqual(["closed", "rewritten"]);
      expect(again.manifest.files).toEqual(first.manifest.files);
      expect((await lib.registerSummary(register)).periods.map((p) => p.period)).toEqual(["2026-09"]);
    } finally {
      await register.close();
    }
    for (const s of [...spies, stdout, stderr]) expect(s).not.toHaveBeenCalled();
    vi.restoreAllMocks();
  });

  it("throws typed errors", async () => {
    const lib = await import("fiber-capex");
    await expect(lib.openSnapshot("/no/such/folder")).rejects.toBeInstanceOf(lib.SnapshotError);
    await expect(lib.loadRules("/no/such/rules.yaml")).rejects.toBeInstanceOf(lib.RulesError);
    // Plain JavaScript callers that leave out an input get a typed error naming it.
    const rules = await lib.loadRules("rules/render-fiber.yaml");
    await expect(lib.closePeriod(undefined as never)).rejects.toThrow(new lib.InputError("snapshot", "a close needs the snapshot opened by openSnapshot(dir)"));
    await expect(lib.closePeriod({ rules, period: "2026-09" } as never)).rejects.toThrow(new lib.InputError("snapshot", "a close needs the snapshot opened by openSnapshot(dir)"));
    const snapshot = await lib.openSnapshot("fixtures/demo");
    await expect(lib.closePeriod({ snapshot, period: "2026-09" } as never)).rejects.toThrow(
      new lib.InputError("rules", "a close needs the rules loaded by loadRules(file) or loadDefaultRules()"),
    );
    // Amounts are integer cents: a dollar figure passed by mistake is refused, not printed as "0.01.5".
    expect(() => lib.formatCents(1.5)).toThrow(new lib.InputError("cents", "1.5 is not a whole number of cents"));
    expect(() => lib.formatCents(Number.NaN)).toThrow(lib.InputError);
    expect(() => new lib.DepreciationSchedule({ cost: 100, salvage: 200, inServiceDate: "2026-01-01", lifeMonths: 12, method: "straight_line", convention: "full_month" })).toThrow(lib.InputError);
  });
});
