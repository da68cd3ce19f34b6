import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMonthEnd } from "../src/close/month-end.js";
import { loadDefaultRules } from "../src/package-info.js";
import { importAssets } from "../src/register/import.js";
import { RegisterStore } from "../src/register/store.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";

/**
 * The first close after a take-on import: the other system's assets open the books, and the
 * Render work in service before the period that no take-on row names is taken on from the
 * snapshot beside them (opening balances, no journal). One Render task is in the take-on file
 * under its Render asset id and must not be counted twice.
 */
describe("the first close after capex register import", () => {
  it("opens at what the import posted plus what it takes on from Render, and counts nothing twice", async () => {
    const rules = await loadDefaultRules();
    const dir = tmp();
    const takeOn = join(dir, "assets.csv");
    writeFileSync(
      takeOn,
      [
        "asset_id,project,fa_class,in_service_date,cost,salvage,life_months,method,convention,accumulated_depreciation",
        "IMP-SL-1,LEGACY,Infrastructure,2024-01-10,10000.00,0,60,straight_line,full_month,3333.33",
        // Render task P1#2, already in the other system's books under its Render asset id.
        "P1-COND-2,P1,Infrastructure,2026-07-15,1924.00,0,600,straight_line,full_month,9.62",
        "",
      ].join("\n"),
    );
    const store = await RegisterStore.open(join(dir, "capex.db"));
    try {
      await importAssets(store, { file: takeOn, asOf: "2026-10", rules, recordedAs: "assets.csv", now: () => new Date("2026-11-02T09:00:00Z") });
      const snapshot = await openSnapshot(
        await writeSnapshot([
          // In service in August, in no take-on row: taken on by the close (1,924.00, 2 months = 6.41).
          baseTask(1, { approved_date: "2026-08-20T14:00:00Z" }),
          // The task the take-on file already holds: registered, never taken on again.
          baseTask(2, { approved_date: "2026-07-15T14:00:00Z", asset_id: "P1-COND-2" }),
          // An October addition.
          baseTask(3, { approved_date: "2026-10-05T14:00:00Z" }),
        ]),
      );
      const { result, status } = await runMonthEnd({ register: store, snapshot, rules, period: "2026-10", out: join(dir, "2026-10"), workbook: false });
      expect(status).toBe("closed");
      const infra = result.rollforward.find((r) => r.faClass === "Infrastructure")!;
      // 10,000.00 + 1,924.00 imported, + 1,924.00 taken on from Render.
      expect([infra.openingCost, infra.openingAccumulated, infra.additions]).toEqual([1_384_800, 333_333 + 962 + 641, 192_400]);
      expect(result.ties.continuity!.find((c) => c.faClass === "Infrastructure")).toEqual({
        faClass: "Infrastructure",
        postedCost: 1_384_800,
        openingCost: 1_384_800,
        postedAccumulated: 334_936,
        openingAccumulated: 334_936,
        // Of which taken on from Render by this close (the rest the register posted with the import).
        takenOnCost: 192_400,
        takenOnAccumulated: 641,
      });
      expect(result.register.map((e) => [e.asset.assetId, e.source, e.openingAccumulated])).toEqual([
        ["IMP-SL-1", "import", 333_333],
        // Imported assets have no Render task: they sort before the project's tasks.
        ["P1-COND-2", "import", 962],
        ["P1-1", "render", 641],
        ["P1-3", "render", 0],
      ]);
      expect(result.adjustments).toEqual([]);
      // register.csv: an asset taken on from another system has no Render task, so its task_id
      // is blank (not 0), even one that is Render work under its Render asset id; Render's have theirs.
      const csv = readFileSync(join(dir, "2026-10", "register.csv"), "utf8").split("\r\n");
      expect(csv[0]!.split(",").slice(0, 4)).toEqual(["asset_id", "project", "task_id", "task_type"]);
      expect(csv.slice(1, 5).map((l) => l.split(",").slice(0, 4).join(","))).toEqual([
        "IMP-SL-1,LEGACY,,",
        "P1-COND-2,P1,,",
        "P1-1,P1,1,install_conduit",
        "P1-3,P1,3,install_conduit",
      ]);
      // additions.csv and cost_elements.csv name the Render task as before.
      expect(readFileSync(join(dir, "2026-10", "additions.csv"), "utf8").split("\r\n")[1]).toMatch(/^P1-3,P1,3,install_conduit,/);
      expect(readFileSync(join(dir, "2026-10", "cost_elements.csv"), "utf8").split("\r\n").slice(1, -1).map((l) => l.split(",").slice(0, 3).join(","))).toEqual(["P1-1,P1,1", "P1-3,P1,3"]);
      expect(result.identities.every((i) => i.holds)).toBe(true);
      // What the close took on is recorded as opening balances, with no journal.
      expect(result.posting.openingBalances).toEqual([
        { account: "2430", faClass: "Infrastructure", balance: 192_400 },
        { account: "3130", faClass: "Infrastructure", balance: -641 },
      ]);
      // The Summary and the CLI count only what this close took on, not the import's assets.
      expect(result.takenOn).toEqual({ assets: 1, cost: 192_400, accumulated: 641 });
      expect(result.journal.filter((e) => e.source !== "depreciation" && e.source !== "capitalization")).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
