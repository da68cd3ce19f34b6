import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CapexErrorCode } from "fiber-capex";
import { describe, expect, it, vi } from "vitest";
import { tmp } from "./helpers.js";

describe("fiber-capex as a library", () => {
  it("declares as dependencies every package its published type declarations name, so that they compile where only its dependencies are installed", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
    const named = new Set<string>();
    for (const file of readdirSync("dist", { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".d.ts"))) {
      const text = readFileSync(join("dist", file), "utf8");
      for (const [, spec] of text.matchAll(/from "([^".][^"]*)"/g)) if (!spec!.startsWith("node:")) named.add(spec!.startsWith("@") ? spec!.split("/").slice(0, 2).join("/") : spec!.split("/")[0]!);
      // pdfkit's types are a global namespace, named without an import.
      if (/\bPDFKit\./.test(text)) named.add("pdfkit");
    }
    expect([...named].sort()).toEqual(["better-sqlite3", "decimal.js", "kysely", "pdfkit", "pg", "undici", "zod"]);
    // A package that ships no types of its own needs its @types package installed with it.
    const ownTypes = (name: string) => {
      const manifest = JSON.parse(readFileSync(join("node_modules", name, "package.json"), "utf8")) as { types?: string; typings?: string; main?: string; exports?: { "."?: { import?: string } } };
      if (manifest.types !== undefined || manifest.typings !== undefined || JSON.stringify(manifest.exports ?? {}).includes('"types"')) return true;
      // Or declarations beside the module TypeScript resolves (kysely's).
      const entry = manifest.exports?.["."]?.import ?? manifest.main ?? "index.js";
      return existsSync(join("node_modules", name, entry.replace(/\.m?js$/, ".d.ts")));
    };
    const missing = [...named].filter((name) => !(name in pkg.dependencies) || (!ownTypes(name) && !(`@types/${name}` in pkg.dependencies)));
    expect(missing).toEqual([]);
  });

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

  it("gives each error a code from one union, which a job's switch is checked against", async () => {
    const lib = await import("fiber-capex");
    // Compiles only while the cases cover every CapexErrorCode: a new code fails the type check here.
    const exitFor = (code: CapexErrorCode): number => {
      switch (code) {
        case "INPUT":
        case "SNAPSHOT":
        case "OUTPUT_FOLDER":
        case "RULES_INVALID":
        case "REGISTER_INPUT":
        case "REGISTER_INVALID":
        case "REGISTER_NEWER":
        case "REGISTER_ORDER":
        case "REGISTER_UNKNOWN_ASSET":
        case "RENDER_VALIDATION":
          return 2;
        case "CONFIG":
        case "LEDGER_IMBALANCE":
        case "IDENTITY_BROKEN":
        case "REGISTER_BUSY":
        case "REGISTER_UNREACHABLE":
        case "RENDER_AUTH":
        case "RENDER_QUOTA":
        case "RENDER_REQUEST":
        case "RENDER_RESPONSE":
        case "RENDER_UNAVAILABLE":
          return 1;
        default: {
          const unknown: never = code;
          return unknown;
        }
      }
    };
    const err = await lib.openSnapshot("/no/such/folder").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(lib.CapexError);
    expect(exitFor((err as InstanceType<typeof lib.CapexError>).code)).toBe(2);
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
