import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import { PGliteDialect } from "kysely-pglite-dialect";
import { loadDefaultRules } from "../src/package-info.js";
import { assetStory } from "../src/register/history.js";
import { importAssets } from "../src/register/import.js";
import { reopenPeriod } from "../src/register/reopen.js";
import { RegisterStore } from "../src/register/store.js";
import { registerSummary } from "../src/register/summary.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";

/** The built CLI (npm test builds before it runs vitest), run as a user runs it. */
const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const run = promisify(execFile);
const T = 120_000;

async function capex(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: tmp() } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const HEADER = "asset_id,project,fa_class,in_service_date,cost,salvage,life_months,method,convention,accumulated_depreciation";

/**
 * Three assets from another system, taken on as of 2026-10 (accumulated to 2026-09-30):
 *   IMP-SL-1  10,000.00 over 60 months from 2024-01: 27 months left, 6,666.67 left → 246.91 in October
 *   IMP-SL-2  2,500.00 less salvage 250.00 over 36 months from 2025-03 (method and convention
 *             left to the rules: straight line, full month): 17 months left, 1,250.00 left → 73.53
 *   IMP-DB-1  38,900.00 less 3,890.00, 84 months of 200 % declining balance from 2023-04: the
 *             schedule's shape over what is left (test/register-book.test.ts works it by hand) → 722.68
 */
const TAKE_ON = `${HEADER}
IMP-SL-1,LEGACY,Infrastructure,2024-01-10,10000.00,0,60,straight_line,full_month,3333.33
IMP-SL-2,LEGACY,Fiber Plant,2025-03-15,2500.00,250.00,36,,,1000.00
IMP-DB-1,LEGACY,Equipment (Tooling),2023-04-20,38900.00,3890.00,84,declining_balance,full_month,17322.19
`;

function takeOnFile(text = TAKE_ON): string {
  const file = join(tmp(), "assets.csv");
  writeFileSync(file, text);
  return file;
}

const newDb = () => join(tmp(), "capex.db");

describe("capex register and capex reopen", () => {
  it("are listed with the other commands, each with its help", async () => {
    const top = await capex(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("capex reopen");
    expect(top.stdout).toContain("capex register ");
    const reg = await capex(["register", "--help"]);
    expect(reg.code).toBe(0);
    for (const c of ["capex register status", "capex register asset <id>", "capex register import <file>"]) expect(reg.stdout).toContain(c);
    const bare = await capex(["register"]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("Name a register command; see capex register --help");
    const help = await capex(["register", "import", "--help"]);
    expect(help.stdout).toContain("Required: asset_id, project, fa_class");
    expect(help.stdout).toContain("Exit codes: 0 loaded; 1 failed, nothing loaded; 2 bad usage");
  }, T);

  it("import takes on the example file; status and asset show it; a second import is refused", async () => {
    const db = newDb();
    const r = await capex(["register", "import", "fixtures/import/example-assets.csv", "--as-of", "2026-10", "--db", db]);
    expect(r).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        `Took on 4 assets from fixtures/import/example-assets.csv into the register ${db}, as 2026-09 (opening balances, no journal)`,
        "  class                     cost  accumulated  net book value",
        "  Equipment (Tooling)   38900.00     17322.19        21577.81",
        "  Fiber Plant          184500.00     69956.25       114543.75",
        "  Infrastructure        96250.00     30479.17        65770.83",
        "  Test Equipment        14200.00      5443.33         8756.67",
        "  total: cost 333850.00, accumulated 123200.94, net book value 210649.06",
        "Each depreciates what is left over the rest of its life from 2026-10. Next: capex close --period 2026-10 --snapshot DIR",
        "",
      ].join("\n"),
    });

    const status = await capex(["register", "status", "--db", db]);
    expect(status.code).toBe(0);
    const lines = status.stdout.split("\n");
    expect(lines[0]).toBe(`Register ${db} (SQLite)`);
    expect(lines[1]).toMatch(/^ {2}period {3}kind {4}closed at +closed by +rules {3}closing cost {2}accumulated {2}net book value {2}additions {2}depreciation$/);
    expect(lines[2]).toMatch(/^ {2}2026-09 {2}import {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}\S+ +2026\.1 {5}333850\.00 {4}123200\.94 {7}210649\.06 {7}0\.00 {10}0\.00$/);
    expect(lines.slice(3, 5)).toEqual(["  latest closed: 2026-09; the next close is 2026-10 (only 2026-09 can be reopened)", "  assets: 4 active, 0 withdrawn, 0 retired"]);
    // Each period's cost foots: opening + taken on + additions + adjustments − retired = closing.
    expect(lines.slice(5, 8)).toEqual([
      "Cost by period",
      "  period   opening   taken on  additions  cost adjustments  retired  closing cost",
      "  2026-09     0.00  333850.00       0.00              0.00     0.00     333850.00",
    ]);
    // The import gave the register its id.
    expect(lines.slice(8)).toEqual([expect.stringMatching(/^ {2}register id: [0-9a-f-]{36} \(each close's manifest\.json names it\)$/), ""]);

    const json = JSON.parse((await capex(["register", "status", "--db", db, "--json"])).stdout);
    expect(json).toMatchObject({
      register: db,
      backend: "sqlite",
      latest_closed: "2026-09",
      register_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      next_period: "2026-10",
      assets_by_status: { active: 4, withdrawn: 0, retired: 0 },
      periods: [{ period: "2026-09", kind: "import", provisional: false, rules_version: "2026.1", closing_cost: "333850.00", closing_accumulated: "123200.94", closing_nbv: "210649.06", additions: "0.00", depreciation: "0.00" }],
    });
    expect(json.periods[0].input_sha256).toMatch(/^[0-9a-f]{64}$/);

    const asset = await capex(["register", "asset", "LEG-0003", "--db", db]);
    expect(asset).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "Asset LEG-0003: active, class Equipment (Tooling), project LEGACY-AUS",
        "  source:        taken on from another system by capex register import in 2026-09; in service 2023-04-20",
        "  description:   Fusion splicing trailer",
        "  book:          cost 38900.00, salvage 3890.00, 84 months, declining_balance, full_month; 1 each",
        "  now:           accumulated 17322.19, net book value 21577.81",
        "Events",
        "  period   kind    status  cost change  accumulated change  catch-up  message",
        "  2026-09  import  active     38900.00            17322.19      0.00  taken on from fixtures/import/example-assets.csv at accumulated depreciation 17322.19 to 2026-09-30; the remaining 17687.81 depreciates over the rest of its life from 2026-10",
        "Depreciation",
        "  period   amount  other changes  accumulated",
        // Taken on: the accumulated it came with is an other change, so the row adds up.
        "  2026-09    0.00       17322.19     17322.19",
        "Journal entries its movements reached: none (capex trace LEG-0003 shows its lines)",
        "",
      ].join("\n"),
    });

    const again = await capex(["register", "import", "fixtures/import/example-assets.csv", "--as-of", "2026-10", "--db", db]);
    expect(again).toEqual({
      code: 2,
      stdout: "",
      stderr: `capex: the register ${db} is not empty: it has 1 closed period, the latest 2026-09 (import). capex register import takes on assets only into an empty register, before its first close; name a new register with --db\n`,
    });
  }, T);

  it("import loads, with a warning naming its line, a row whose life ended before the take-on with value still to depreciate", async () => {
    const db = newDb();
    // Life 24 months from 2019-06: over by 2021-06, yet half the basis is left.
    const file = takeOnFile(`${TAKE_ON}IMP-OLD-1,LEGACY,Infrastructure,2019-06-10,100.00,0,24,straight_line,full_month,50.00\n`);
    const r = await capex(["register", "import", file, "--as-of", "2026-10", "--db", db]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `take-on warning: ${file}: line 5: asset IMP-OLD-1's life of 24 months from 2019-06-10 ended before 2026-10, yet it is taken on with accumulated depreciation 50.00 ` +
        "of a depreciable basis of 100.00: the first close depreciates the remaining 50.00 in 2026-10. Correct the row if the other system does not hold that\n",
    );
    expect(r.stdout).toContain("Took on 4 assets");
    const json = JSON.parse((await capex(["register", "import", takeOnFile(`${TAKE_ON}IMP-OLD-1,LEGACY,Infrastructure,2019-06-10,100.00,0,24,,,100.00\n`), "--as-of", "2026-10", "--db", newDb(), "--json"])).stdout);
    // Fully depreciated as given: nothing to say.
    expect(json.warnings).toEqual([]);
    // Full month from 2024-10-01 over 24 months: the schedule's last month is 2026-09, the month before the take-on.
    const lastMonth = JSON.parse((await capex(["register", "import", takeOnFile(`${TAKE_ON}IMP-OLD-2,LEGACY,Infrastructure,2024-10-01,100.00,0,24,straight_line,full_month,50.00\n`), "--as-of", "2026-10", "--db", newDb(), "--json"])).stdout);
    expect(lastMonth.warnings).toEqual([
      "line 5: asset IMP-OLD-2's life of 24 months from 2024-10-01 ended before 2026-10, yet it is taken on with accumulated depreciation 50.00 of a depreciable basis of 100.00: the first close depreciates the remaining 50.00 in 2026-10. Correct the row if the other system does not hold that",
    ]);
  }, T);

  it("import lists every bad row with its line and loads nothing", async () => {
    const db = newDb();
    const file = takeOnFile(`${HEADER},colour
A-1,LEGACY,Infrastructure,2024-01-10,10000.00,0,60,straight_line,full_month,3333.33,
A-1,LEGACY,Infrastructure,2024-01-10,10000.00,0,60,straight_line,full_month,3333.33,
A-3,LEGACY,Infrastucture,2024-01-10,10000.00,0,60,straight_lin,full_mont,3333.33,
=A-4,LEGACY,Fiber Plant,2026-10-01,1000.00,0,60,,,0,,extra
A-5,LEGACY,Fiber Plant,2024-02-30,100.00,10.00,0,,,95.00,
A-6,,Fiber Plant,2024-01-10,100.00,,60,sum_of_years_digits,,-1,
A-7,LEGACY,Fiber Plant,2024-01-10,100.005,,61,sum_of_years_digits,,1,
A-8,LEGACY,Fiber Plant,2024-01-10,100.00,,61,sum_of_years_digits,,1,
`);
    const r = await capex(["register", "import", file, "--as-of", "2026-10", "--db", db]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        `capex: ${file}: 15 problems in the take-on file; nothing was done:`,
        `  line 1: unknown column "colour"; the columns are asset_id,project,fa_class,in_service_date,cost,salvage,life_months,method,convention,accumulated_depreciation,quantity,uom,description,street_address,road_name,work_package,subsector,longitude,latitude`,
        "  line 3: asset_id A-1 is already on line 2; each asset once",
        `  line 4: fa_class "Infrastucture" is not a class of rules/render-fiber.yaml (did you mean "Infrastructure"?); the classes are Fiber Plant, Infrastructure, Equipment (Tooling), Test Equipment`,
        '  line 4: method "straight_lin" must be one of straight_line, declining_balance, sum_of_years_digits (did you mean "straight_line"?), or empty for the rules\' default (straight_line)',
        '  line 4: convention "full_mont" must be one of full_month, next_month, mid_month, actual_days, half_year, mid_quarter, modified_half_year (did you mean "full_month"?), or empty for the rules\' default (full_month)',
        "  line 5: has 12 fields but the first line names 11 columns",
        '  line 5: asset_id "=A-4" starts with "=", which spreadsheets run as a formula; identifiers are written as they are, so change it',
        "  line 5: in_service_date 2026-10-01 is not before 2026-10-01: only assets in service before --as-of 2026-10 can be taken on; later ones come in through capex close",
        '  line 6: in_service_date "2024-02-30" is not a date written YYYY-MM-DD',
        '  line 6: life_months "0" must be a whole number of months from 1 to 1200',
        "  line 6: accumulated_depreciation 95.00 is more than cost − salvage (90.00)",
        "  line 7: project is empty",
        '  line 7: accumulated_depreciation "-1" is not an amount; write it like 1250.00 (no sign, no thousands separator, at most 2 decimals, at most 100000000000.00)',
        '  line 8: cost "100.005" is not an amount; write it like 1250.00 (no sign, no thousands separator, at most 2 decimals, at most 100000000000.00)',
        "  line 9: life_months: sum of the years' digits needs a life of whole years (got 61 months)",
        "",
      ].join("\n"),
    );
    // Nothing loaded, and no empty register left where there was none.
    expect(existsSync(db)).toBe(false);
  }, T);

  it("a close after import depreciates each imported asset's remaining value over its remaining life, and the identities hold", async () => {
    const db = newDb();
    const file = takeOnFile();
    expect((await capex(["register", "import", file, "--as-of", "2026-10", "--db", db, "--quiet"])).code).toBe(0);
    // Render's project P1 has two tasks placed in service in October; LEGACY is not in the snapshot.
    const snapshot = await writeSnapshot([baseTask(1), baseTask(2, { approved_date: "2026-10-20T15:00:00Z" })]);
    const out = join(tmp(), "2026-10");
    const close = await capex(["close", "--period", "2026-10", "--snapshot", snapshot, "--out", out, "--db", db, "--json"]);
    expect(close.code).toBe(0);
    const summary = JSON.parse(close.stdout);
    expect(summary).toMatchObject({ period: "2026-10", status: "closed", identities_hold: true, register: { last_closed_before: "2026-09" }, additions: { count: 2 } });
    // The tax year's months before October that the register holds were read for retirements:
    // the take-on's, September (it posted none); of January to August it knows nothing.
    expect(summary.tax_depreciation).toEqual({
      tax_year: 2026,
      amount: summary.tax_depreciation.amount,
      retirements: "0.00",
      earlier_retirements: { from: "2026-09", to: "2026-09", amount: "0.00", count: 0, without_figures: 0 },
      year_to_date: summary.tax_depreciation.amount,
      earlier_years_on_changes: "0.00",
      earlier_years_on_conventions: "0.00",
    });
    // 246.91 + 73.53 + 722.68 for the imported assets, plus October's additions.
    const story = async (id: string) => JSON.parse((await capex(["register", "asset", id, "--db", db, "--json"])).stdout);
    const sl1 = await story("IMP-SL-1");
    expect(sl1.depreciation).toEqual([
      { period: "2026-09", amount: "0.00", other_changes: "3333.33", accumulated: "3333.33" },
      { period: "2026-10", amount: "246.91", other_changes: "0.00", accumulated: "3580.24" },
    ]);
    expect(sl1).toMatchObject({ source: "import", project: "LEGACY", task_id: null, status: "active", accumulated: "3580.24", net_book_value: "6419.76" });
    // Only the entries its own movements reached: its depreciation, not October's capitalization of other assets.
    expect(sl1.journal_ids).toEqual(["DEP-2026-10-LEGACY"]);
    expect((await story("IMP-SL-2")).depreciation[1]).toEqual({ period: "2026-10", amount: "73.53", other_changes: "0.00", accumulated: "1073.53" });
    expect((await story("IMP-SL-2")).method).toBe("straight_line");
    expect((await story("IMP-DB-1")).depreciation[1]).toEqual({ period: "2026-10", amount: "722.68", other_changes: "0.00", accumulated: "18044.87" });
    // The journal books their depreciation; the imported project's entry is in their story.
    const journal = readFileSync(join(out, "journal.csv"), "utf8");
    expect(journal).toContain("LEGACY");
    expect(sl1.journal_ids).toEqual(["DEP-2026-10-LEGACY"]);
    // The register carried the take-on into the close: October opens at what the import posted.
    const total = readFileSync(join(out, "rollforward.csv"), "utf8").split("\r\n").find((l) => l.startsWith("TOTAL,"))!.split(",");
    expect(total[1]).toBe("51400.00");

    const status = JSON.parse((await capex(["register", "status", "--db", db, "--json"])).stdout);
    expect(status.periods.map((p: { period: string; kind: string }) => `${p.period} ${p.kind}`)).toEqual(["2026-09 import", "2026-10 close"]);
    expect(status.assets_by_status).toEqual({ active: 5, withdrawn: 0, retired: 0 });
  }, T);

  it("reopen rolls back only the latest closed period, says what it removed, and the period closes again", async () => {
    const db = newDb();
    expect((await capex(["register", "import", takeOnFile(), "--as-of", "2026-10", "--db", db, "--quiet"])).code).toBe(0);
    const snapshot = await writeSnapshot([baseTask(1), baseTask(2, { approved_date: "2026-10-20T15:00:00Z" })]);
    const out = join(tmp(), "2026-10");
    const close = ["close", "--period", "2026-10", "--snapshot", snapshot, "--out", out, "--db", db, "--quiet"];
    expect((await capex(close)).code).toBe(0);
    const before = readFileSync(join(out, "journal.csv"), "utf8");

    const earlier = await capex(["reopen", "--period", "2026-09", "--db", db]);
    expect(earlier).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "capex: 2026-09 cannot be reopened: the register's latest closed period is 2026-10, and only the latest can be reopened (capex reopen --period 2026-10). " +
        "Earlier periods never change: corrections to them flow through the adjustments of the next close.\n",
    });
    const later = await capex(["reopen", "--period", "2026-11", "--db", db]);
    expect(later.code).toBe(2);
    expect(later.stderr).toBe(
      "capex: 2026-11 is not closed: the register's latest closed period is 2026-10, and only the latest can be reopened (capex reopen --period 2026-10).\n",
    );

    const removedClose = JSON.parse((await capex(["register", "status", "--db", db, "--json"])).stdout).periods[1];
    const reopened = await capex(["reopen", "--period", "2026-10", "--db", db, "--reason", "snapshot fetched before the crews' corrections"]);
    expect(reopened).toEqual({ code: 0, stderr: "", stdout: expect.any(String) });
    const [first, logged, ...rest] = reopened.stdout.split("\n");
    expect(first).toBe(`Reopened 2026-10: the register ${db} is back to where 2026-09 closed it.`);
    // The register logs the close it removed, who reopened it, when and why (the clock is the run's own).
    expect(logged).toMatch(new RegExp(`^  logged:   the close removed \\(closed ${removedClose.closed_at} by \\S+\\), reopened \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z by \\S+: snapshot fetched before the crews' corrections$`));
    expect(rest).toEqual([
      "  journal:  if 2026-10's journal was imported into the ledger, reverse it there before the period's close is posted again",
      "  removed:  2 asset events (2 assets first posted in 2026-10), 5 depreciation balances, 3 journal entries (10 lines)",
      "  outputs:  the output folder of 2026-10 (12 files and its manifest.json) is left as it was: fiber-capex does not delete it. Closing 2026-10 again replaces it.",
      "Next: capex close --period 2026-10 --snapshot DIR",
      "",
    ]);
    expect(readFileSync(join(out, "journal.csv"), "utf8")).toBe(before);
    const status = JSON.parse((await capex(["register", "status", "--db", db, "--json"])).stdout);
    expect(status).toMatchObject({ latest_closed: "2026-09", next_period: "2026-10", assets_by_status: { active: 3, withdrawn: 0, retired: 0 } });
    expect(status.reopens).toEqual([
      {
        period: "2026-10",
        reopened_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        reopened_by: removedClose.closed_by,
        reason: "snapshot fetched before the crews' corrections",
        removed: { kind: "close", closed_at: removedClose.closed_at, closed_by: removedClose.closed_by, snapshot_sha256: removedClose.input_sha256, rules_sha256: removedClose.rules_sha256, output_hashes: expect.any(Object) },
      },
    ]);
    expect((await capex(["register", "status", "--db", db])).stdout).toContain(`  reopened: 2026-10 at ${status.reopens[0].reopened_at} by ${removedClose.closed_by}: snapshot fetched before the crews' corrections; it removed the close of ${removedClose.closed_at} by ${removedClose.closed_by} (snapshot ${removedClose.input_sha256.slice(0, 12)}…)\n`);
    expect((await capex(["register", "asset", "P1-1", "--db", db])).code).toBe(2);

    // Closed again on the same inputs, it posts and writes the same as the first time.
    expect((await capex(close)).code).toBe(0);
    expect(readFileSync(join(out, "journal.csv"), "utf8")).toBe(before);
    expect(await capex(["register", "asset", "P1-1", "--db", db])).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "Asset P1-1: active, class Infrastructure, project P1",
        "  source:        Render task P1#1 (install_conduit), in service 2026-10-15, approved by a.kowalski; rule task_types.install_conduit",
        "  description:   Underground conduit (PVC/HDPE)",
        "  book:          cost 1924.00, salvage 0.00, 600 months, straight_line, full_month; 100 ft",
        "  now:           accumulated 3.21, net book value 1920.79",
        "Events",
        "  period   kind      status  cost change  accumulated change  catch-up  message",
        "  2026-10  addition  active      1924.00                0.00      0.00  placed in service 2026-10-15",
        "Depreciation",
        "  period   amount  other changes  accumulated",
        "  2026-10    3.21           0.00         3.21",
        "Journal entries its movements reached: CAP-2026-10-P1, DEP-2026-10-P1 (capex trace P1-1 shows its lines)",
        "",
      ].join("\n"),
    });

    // Reopening the take-on too leaves an empty register, ready for another import.
    expect((await capex(["reopen", "--period", "2026-10", "--db", db, "--quiet"])).code).toBe(0);
    const json = JSON.parse((await capex(["reopen", "--period", "2026-09", "--db", db, "--json"])).stdout);
    expect(json).toEqual({
      period: "2026-09",
      kind: "import",
      register: db,
      removed: { events: 3, new_assets: 3, balances: 3, journal_entries: 0, journal_lines: 0 },
      output_files_left: 0,
      latest_closed: null,
      logged: { reopened_at: expect.any(String), reopened_by: expect.any(String), reason: "" },
    });
    const none = await capex(["reopen", "--period", "2026-09", "--db", db]);
    expect(none).toEqual({ code: 2, stdout: "", stderr: `capex: the register ${db} has no closed period, so there is nothing to reopen\n` });
    expect((await capex(["register", "import", takeOnFile(), "--as-of", "2026-10", "--db", db, "--quiet"])).code).toBe(0);
  }, T);

  it("asset names the id an unknown one most likely meant; status and asset refuse a register that is not there, and create nothing", async () => {
    const db = newDb();
    expect((await capex(["register", "import", takeOnFile(), "--as-of", "2026-10", "--db", db, "--quiet"])).code).toBe(0);
    expect(await capex(["register", "asset", "IMP-SL1", "--db", db])).toEqual({
      code: 2,
      stdout: "",
      stderr: `capex: asset IMP-SL1 is not in the register ${db}; did you mean "IMP-SL-1"?\n`,
    });
    // In the wrong case: that one.
    expect((await capex(["register", "asset", "imp-sl-1", "--db", db])).stderr).toBe(`capex: asset imp-sl-1 is not in the register ${db}; did you mean "IMP-SL-1"?\n`);
    expect(await capex(["register", "asset", "ATX-NORTH-8", "--db", db])).toEqual({
      code: 2,
      stdout: "",
      stderr: `capex: asset ATX-NORTH-8 is not in the register ${db}; check the id in the register.csv of the latest close\n`,
    });
    expect(await capex(["register", "asset", "IMP-SL-1", "--db", db, "--quiet"])).toEqual({ code: 0, stdout: "", stderr: "" });

    const missing = join(tmp(), "nothing-here.db");
    const message = `capex: there is no register at ${missing}; name the register with --db or CAPEX_DB (the default is capex.db in the working folder). A register is made by the first capex close or capex register import.\n`;
    for (const args of [["register", "status"], ["register", "asset", "X"], ["reopen", "--period", "2026-10"], ["export", "--period", "2026-10", "--erp", "xero"]]) {
      expect(await capex([...args, "--db", missing])).toEqual({ code: 2, stdout: "", stderr: message });
    }
    expect(existsSync(missing)).toBe(false);

    // An empty file is no register either, and stays empty; another program's SQLite file is
    // refused byte for byte as it was (it used to be left switched to WAL mode).
    const empty = join(tmp(), "empty.db");
    writeFileSync(empty, "");
    const other = join(tmp(), "other.db");
    const foreign = new Database(other);
    foreign.exec("create table invoices (id integer primary key, amount integer)");
    foreign.close();
    const otherBytes = readFileSync(other);
    for (const args of [["register", "status"], ["register", "asset", "X"], ["trace", "X"], ["audit", "--period", "2026-10"]]) {
      expect(await capex([...args, "--db", empty])).toEqual({
        code: 2,
        stdout: "",
        stderr: `capex: there is no register at ${empty}: it is empty; name the register with --db or CAPEX_DB. A register is made by the first capex close or capex register import.\n`,
      });
      expect(await capex([...args, "--db", other])).toEqual({ code: 2, stdout: "", stderr: `capex: ${other} holds other tables and is not a fiber-capex register; name another database with --db or CAPEX_DB\n` });
    }
    expect(readFileSync(empty, "utf8")).toBe("");
    expect(readFileSync(other).equals(otherBytes)).toBe(true);
    expect(readdirSync(dirname(other)).filter((f) => f.startsWith("other.db"))).toEqual(["other.db"]);
  }, T);

  it("status says when a period was closed with other rules under the same version", async () => {
    const db = newDb();
    const edited = join(tmp(), "rules.yaml");
    writeFileSync(edited, readFileSync("rules/render-fiber.yaml", "utf8").replace('threshold: "250.00"', 'threshold: "300.00"'));
    expect((await capex(["register", "import", takeOnFile(), "--as-of", "2026-10", "--db", db, "--rules", edited, "--quiet"])).code).toBe(0);
    const snapshot = await writeSnapshot([baseTask(1)]);
    expect((await capex(["close", "--period", "2026-10", "--snapshot", snapshot, "--out", join(tmp(), "2026-10"), "--db", db, "--quiet"])).code).toBe(0);
    const [sha, edited256] = [(await loadDefaultRules()).sha256, createHash("sha256").update(readFileSync(edited)).digest("hex")];
    const status = (await capex(["register", "status", "--db", db])).stdout.split("\n");
    expect(status[4]).toBe(`  rules: 2026-10 was closed with other rules than 2026-09, under the same version 2026.1 (sha256 ${sha.slice(0, 12)}…, was ${edited256.slice(0, 12)}…)`);
    expect(status[5]).toBe("  latest closed: 2026-10; the next close is 2026-11 (only 2026-10 can be reopened)");
  }, T);

  it("reopen and import wait for no one: while a close holds the register they exit 1, say so, and change nothing", async () => {
    const db = newDb();
    expect((await capex(["register", "import", takeOnFile(), "--as-of", "2026-10", "--db", db, "--quiet"])).code).toBe(0);
    const store = await RegisterStore.open(db);
    try {
      await store.exclusive(async () => {
        const busy = `capex: the register ${db} is being closed by another run; nothing was changed. Wait for that run to finish, then run this command again.\n`;
        expect(await capex(["reopen", "--period", "2026-09", "--db", db])).toEqual({ code: 1, stdout: "", stderr: busy });
        expect(await capex(["register", "import", takeOnFile(), "--as-of", "2026-10", "--db", db])).toEqual({ code: 1, stdout: "", stderr: busy });
      });
    } finally {
      await store.close();
    }
    expect(JSON.parse((await capex(["register", "status", "--db", db, "--json"])).stdout).latest_closed).toBe("2026-09");
  }, T);
});

describe("the register's commands as library functions, on PostgreSQL (PGlite)", () => {
  it("import, summary, asset story and reopen give the same results as on SQLite", async () => {
    const store = await RegisterStore.open({ location: "pglite", backend: "postgres", dialect: new PGliteDialect(await PGlite.create()) });
    try {
      const rules = await loadDefaultRules();
      const at = new Date("2026-11-02T09:00:00Z");
      const imported = await importAssets(store, { file: takeOnFile(), asOf: "2026-10", rules, recordedAs: "assets.csv", now: () => at });
      expect(imported).toMatchObject({ period: "2026-09", assets: 3, cost: 5_140_000, accumulated: 2_165_552, netBookValue: 2_974_448 });
      const summary = await registerSummary(store);
      expect(summary).toMatchObject({ backend: "postgres", latestClosed: "2026-09", nextPeriod: "2026-10", assetsByStatus: { active: 3, withdrawn: 0, retired: 0 } });
      expect(summary.periods).toEqual([
        expect.objectContaining({ period: "2026-09", kind: "import", closedAt: "2026-11-02T09:00:00.000Z", closingCost: "51400.00", closingAccumulated: "21655.52", closingNbv: "29744.48" }),
      ]);
      const story = await assetStory(store, "IMP-DB-1");
      expect(story).toMatchObject({ source: "import", status: "active", accumulated: 1_732_219, netBookValue: 2_157_781, depreciation: [{ period: "2026-09", amount: 0, accumulated: 1_732_219 }] });
      await expect(assetStory(store, "IMP-DB1")).rejects.toMatchObject({ code: "REGISTER_UNKNOWN_ASSET", suggestion: "IMP-DB-1" });
      const state = await store.loadState();
      expect(state.assets.get("IMP-SL-1")).toMatchObject({ source: "import", accumulated: 333_333, rebase: { period: "2026-10", accumulatedBefore: 333_333 } });
      expect(state.ledger.get("2440|Equipment (Tooling)")).toBe(3_890_000);
      expect(state.ledger.get("3140|Equipment (Tooling)")).toBe(-1_732_219);
      await expect(reopenPeriod(store, "2026-08")).rejects.toMatchObject({ code: "REGISTER_ORDER" });
      const reopened = await reopenPeriod(store, "2026-09", { reason: "take-on file had the wrong as-of month", now: () => new Date("2026-11-02T10:00:00Z") });
      expect(reopened).toEqual({
        period: "2026-09",
        kind: "import",
        events: 3,
        newAssets: 3,
        balances: 3,
        journalEntries: 0,
        journalLines: 0,
        outputFiles: 0,
        latestClosed: undefined,
        logged: expect.objectContaining({ period: "2026-09", reopenedAt: "2026-11-02T10:00:00.000Z", reason: "take-on file had the wrong as-of month", removed: expect.objectContaining({ kind: "import", closedAt: "2026-11-02T09:00:00.000Z" }) }),
      });
      // The log is in the register, PGlite's too.
      expect(await store.reopenLog()).toEqual([reopened.logged]);
      expect((await registerSummary(store)).periods).toEqual([]);
      expect(await store.assetIds()).toEqual([]);
    } finally {
      await store.close();
    }
  }, T);
});

