import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPeriod } from "../src/audit/verify.js";
import { type CloseResult, closePeriod, type RollforwardRow } from "../src/close/close.js";
import { postingOf, runMonthEnd } from "../src/close/month-end.js";
import { IdentityError, InputError, RegisterInputError } from "../src/errors.js";
import { Dec, formatCents } from "../src/money.js";
import { applyPosting } from "../src/register/apply.js";
import { ledgerKey, midQuarterBasis, type RegisterState, type RetainedRecord, stateDigest } from "../src/register/model.js";
import { monthIndexOf, periodOfMonthIndex } from "../src/dates.js";
import { checkRetirements, parseRetirements } from "../src/register/retirements.js";
import { RegisterStore } from "../src/register/store.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { closeTables } from "../src/report/tables.js";
import { type CloseManifest, writeCloseOutputs } from "../src/report/write.js";
import ExcelJS from "exceljs";
import { sql } from "kysely";
import { loadRules } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";
import { BACKENDS, closeBackends, freshRegister } from "./register-backends.js";
import { closeOn, empty, memorySnapshot, P1, P2, retire } from "./register-memory.js";

let rules: Rules;
beforeAll(async () => {
  rules = await loadRules("rules/render-fiber.yaml");
});

/** A journal's lines as an accountant reads them: "ADJ-2026-11-P1 Dr 2410 4000.00 Fiber Plant". */
function lines(r: CloseResult, source: string): string[] {
  return r.journal
    .filter((e) => e.source === source)
    .flatMap((e) => e.postings.map((p) => `${e.journalId} ${p.debit ? "Dr" : "Cr"} ${p.account} ${formatCents(p.debit || p.credit)} ${p.faClass}`));
}

/** A rollforward row with its amounts as the CSV writes them. */
function rollforward(r: CloseResult, faClass: string): Record<string, string> {
  const row = r.rollforward.find((x) => x.faClass === faClass)!;
  return Object.fromEntries(Object.entries(row).filter(([k]) => k !== "faClass").map(([k, v]) => [k, formatCents(v as number)])) as Record<keyof RollforwardRow, string>;
}

function adjustmentRows(r: CloseResult): string[] {
  return r.adjustments.map((a) =>
    [a.assetId, a.project, a.taskId, a.kind, a.effectiveDate, formatCents(a.costChange), formatCents(a.accumulatedChange), formatCents(a.depreciationCatchUp), a.faClass, a.previousFaClass, a.message].join(","),
  );
}

function assets(r: CloseResult): string[] {
  return r.register.map((e) => `${e.asset.assetId} ${e.asset.faClass} cost ${formatCents(e.asset.cost)} opening ${formatCents(e.openingAccumulated)} depreciation ${formatCents(e.amount)} accumulated ${formatCents(e.accumulated)}`);
}

/** Closes the months in order on one register held in memory, each with its own tasks. */
async function closeSequence(months: Array<[string, Array<Record<string, unknown>>]>, r: Rules = rules): Promise<{ results: CloseResult[]; state: RegisterState }> {
  let state = empty();
  const results: CloseResult[] = [];
  for (const [period, tasks] of months) {
    const c = await closeOn(state, r, period, tasks);
    results.push(c.result);
    state = c.state;
  }
  return { results, state };
}

// 100 ft of 2" conduit at the 2026 rate 19.24 = 1,924.00, Infrastructure, 600 months.
const conduit = (id: number, approved: string, extra: Record<string, unknown> = {}) => baseTask(id, { approved_date: approved, ...extra });
// 1,000 ft of 144ct aerial fiber at 4.00 = 4,000.00, Fiber Plant, 240 months.
const fiber = (id: number, approved: string, feet = 1000) => baseTask(id, { task_type: "install_aerial_fiber", approved_date: approved, units: [{ unit_code: "AF-144CT", quantity: feet, uom: "ft" }] });


const T1_SEP = conduit(1, "2026-09-10T14:00:00Z");
const withRules = (change: Partial<Rules>): Rules => ({ ...rules, ...change });

describe("late_addition: a task approved late, in service in a closed month", () => {
  it("in service before the register's first period: its message names that period, not a close of its month, which never was", async () => {
    const { results } = await closeSequence([
      ["2026-09", [T1_SEP]],
      ["2026-10", [T1_SEP, conduit(8, "2026-05-10T14:00:00Z")]],
    ]);
    expect(adjustmentRows(results[1]!)).toEqual([
      "P1-8,P1,8,late_addition,2026-05-10,1924.00,16.03,16.03,Infrastructure,Infrastructure,in service 2026-05, before the register's first period (2026-09), and approved after it; 5 month(s) of depreciation to 2026-09-30 caught up",
    ]);
  });

  it("is capitalized in P with the closed months' depreciation caught up", async () => {
    const late = fiber(2, "2026-10-05T14:00:00Z");
    const { results } = await closeSequence([
      ["2026-09", [T1_SEP]],
      ["2026-10", [T1_SEP]],
      ["2026-11", [T1_SEP, late]],
    ]);
    const nov = results[2]!;
    // 4,000.00 over 240 months: October's 16.67 caught up, November's own 16.66 (cumulative rounding).
    expect(assets(nov)).toEqual([
      "P1-1 Infrastructure cost 1924.00 opening 6.41 depreciation 3.21 accumulated 9.62",
      "P1-2 Fiber Plant cost 4000.00 opening 0.00 depreciation 16.66 accumulated 33.33",
    ]);
    expect(adjustmentRows(nov)).toEqual([
      "P1-2,P1,2,late_addition,2026-10-05,4000.00,16.67,16.67,Fiber Plant,Fiber Plant,approved after the close that covered its in-service month (2026-10); 1 month(s) of depreciation to 2026-10-31 caught up",
    ]);
    expect(lines(nov, "adjustment")).toEqual([
      "ADJ-2026-11-P1 Dr 6561 16.67 Fiber Plant",
      "ADJ-2026-11-P1 Cr 3110 16.67 Fiber Plant",
      "ADJ-2026-11-P1 Dr 2410 4000.00 Fiber Plant",
      "ADJ-2026-11-P1 Cr 1790 4000.00 Fiber Plant",
    ]);
    expect(lines(nov, "capitalization")).toEqual([]);
    expect(rollforward(nov, "Fiber Plant")).toMatchObject({
      openingCost: "0.00",
      additions: "0.00",
      costAdjustments: "4000.00",
      closingCost: "4000.00",
      openingAccumulated: "0.00",
      depreciation: "16.66",
      accumulatedAdjustments: "16.67",
      closingAccumulated: "33.33",
    });
    expect(nov.additions).toEqual([]);
    // A fresh close of November on the same snapshot holds the same asset at the same figures.
    const fresh = await closeOn(empty(), rules, "2026-11", [T1_SEP, late]);
    expect(assets(fresh.result).map((a) => a.replace(/ opening .* depreciation [\d.]+/, ""))).toEqual(assets(nov).map((a) => a.replace(/ opening .* depreciation [\d.]+/, "")));
  });
});

describe("cost_change: a unit amount edited after the close", () => {
  it("capitalizes the difference against CIP and catches depreciation up to the new cost", async () => {
    const { results } = await closeSequence([
      ["2026-10", [fiber(2, "2026-10-05T14:00:00Z", 1000)]],
      ["2026-11", [fiber(2, "2026-10-05T14:00:00Z", 1250)]],
    ]);
    const nov = results[1]!;
    // 5,000.00 over 240 months would have accumulated 20.83 by October; 16.67 was posted.
    expect(assets(nov)).toEqual(["P1-2 Fiber Plant cost 5000.00 opening 16.67 depreciation 20.84 accumulated 41.67"]);
    expect(adjustmentRows(nov)).toEqual([
      "P1-2,P1,2,cost_change,2026-10-05,1000.00,4.16,4.16,Fiber Plant,Fiber Plant,task now prices to 5000.00 (was 4000.00); depreciation caught up to the new cost",
    ]);
    expect(lines(nov, "adjustment")).toEqual([
      "ADJ-2026-11-P1 Dr 2410 1000.00 Fiber Plant",
      "ADJ-2026-11-P1 Cr 1790 1000.00 Fiber Plant",
      "ADJ-2026-11-P1 Dr 6561 4.16 Fiber Plant",
      "ADJ-2026-11-P1 Cr 3110 4.16 Fiber Plant",
    ]);
    expect(rollforward(nov, "Fiber Plant")).toMatchObject({
      openingCost: "4000.00",
      costAdjustments: "1000.00",
      closingCost: "5000.00",
      openingAccumulated: "16.67",
      depreciation: "20.84",
      accumulatedAdjustments: "4.16",
      closingAccumulated: "41.67",
    });
  });
});

describe("changes in a later tax year to assets of an earlier one", () => {
  const OCT = "2026-10-05T14:00:00Z";
  const tail = (m: string) => m.slice(m.indexOf("; tax: "));

  it("say how much they change the earlier years' tax deduction, which no year's tax_amount shows", async () => {
    const { results } = await closeSequence([
      ["2026-10", [fiber(2, OCT, 1000)]],
      ["2026-11", [fiber(2, OCT, 1000)]],
      ["2026-12", [fiber(2, OCT, 1000)]],
      // January 2027: the fiber is 1,250 ft now, and a task approved in December arrives late.
      ["2027-01", [fiber(2, OCT, 1250), fiber(3, "2026-12-10T14:00:00Z")]],
    ]);
    const [, , dec, jan] = results;
    // FY2026 as December reported it: 4,000.00 at 15-year MACRS, mid-quarter, placed in
    // service in the fourth quarter, 1.25 % = 50.00.
    expect(dec!.register.map((e) => [e.tax.taxYear, e.tax.amount, e.tax.accumulated])).toEqual([[2026, 5000, 5000]]);
    // On the corrected 5,000.00, FY2026 was 62.50: 12.50 more, in tax_accumulated (and so in the
    // basis left), in no year's tax_amount. The late 4,000.00 adds FY2026's 50.00 the same way.
    expect(jan!.register.map((e) => [e.asset.assetId, e.tax.taxYear, e.tax.accumulated - e.tax.amount])).toEqual([
      ["P1-2", 2027, 6250],
      ["P1-3", 2027, 5000],
    ]);
    expect(jan!.adjustments.map((a) => [a.assetId, a.kind, tail(a.message)])).toEqual([
      ["P1-2", "cost_change", "; tax: this adds 12.50 to the deduction of the tax years to FY2026, which no year's tax_amount shows"],
      ["P1-3", "late_addition", "; tax: this adds 50.00 to the deduction of the tax years to FY2026, which no year's tax_amount shows"],
    ]);
    expect(jan!.taxYearToDate).toMatchObject({ taxYear: 2027, earlierYearsOnChanges: 6250, earlierYearsOnConventions: 0 });
    const out = join(tmp(), "2027-01");
    await writeCloseOutputs(jan!, rules, { out });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, "capex-2027-01.xlsx"));
    const said: unknown[][] = [];
    wb.getWorksheet("Summary")!.eachRow((row) => {
      if (String(row.getCell(1).value).startsWith("Tax depreciation of 2026 and before")) said.push([row.getCell(1).value, row.getCell(2).value]);
    });
    expect(said).toEqual([["Tax depreciation of 2026 and before, from this period's changes", 62.5]]);
    // A change within the asset's own tax year says nothing of the kind (November's 1,000 ft above).
    expect(results.slice(0, 3).map((r) => r.taxYearToDate.earlierYearsOnChanges)).toEqual([0, 0, 0]);
  });

  it("count what a withdrawal's turned mid-quarter test moves of the other assets of its year", async () => {
    const march = conduit(1, "2026-03-10T14:00:00Z");
    const { results } = await closeSequence([
      ["2026-10", [march, fiber(2, OCT)]],
      ["2026-11", [march, fiber(2, OCT)]],
      ["2026-12", [march, fiber(2, OCT)]],
      ["2027-01", [march]],
    ]);
    const [, , dec, jan] = results;
    // FY2026 had 4,000.00 of its 5,924.00 in the fourth quarter: mid-quarter, the conduit at
    // 8.75 % (168.35), the fiber at 1.25 % (50.00). Without the fiber it is half-year: 96.20.
    expect(dec!.register.map((e) => [e.asset.assetId, e.tax.convention, e.tax.accumulated])).toEqual([
      ["P1-1", "mid_quarter", 16835],
      ["P1-2", "mid_quarter", 5000],
    ]);
    expect(jan!.register.map((e) => [e.asset.assetId, e.tax.convention, e.tax.accumulated - e.tax.amount])).toEqual([["P1-1", "half_year", 9620]]);
    expect(jan!.adjustments.map((a) => [a.assetId, a.kind, tail(a.message)])).toEqual([
      ["P1-2", "withdrawal", "; tax: this takes 50.00 off the deduction of the tax years to FY2026, which no year's tax_amount shows"],
    ]);
    expect(jan!.taxYearToDate).toMatchObject({ earlierYearsOnChanges: -12215, earlierYearsOnConventions: -7215 });
  });
});

describe("reclassification: the task type now maps to another class and life", () => {
  it("out of a class the rules no longer define is refused in plain words, not a crash", async () => {
    const { state } = await closeSequence([["2026-09", [T1_SEP]]]);
    const classes = new Map(rules.classes);
    classes.delete("Infrastructure");
    const types = new Map(rules.taskTypes);
    types.set("install_conduit", { ...types.get("install_conduit")!, faClass: "Fiber Plant" });
    await expect(closeOn(state, withRules({ classes, taskTypes: types }), "2026-10", [T1_SEP])).rejects.toThrow(
      new InputError("rules", `asset P1-1 is in class "Infrastructure", which ${rules.file} no longer defines; add the class back (its balances are in the register)`),
    );
  });

  it("transfers cost and accumulated between the classes and catches up to the new life", async () => {
    const { results } = await closeSequence([
      ["2026-09", [T1_SEP]],
      ["2026-10", [{ ...T1_SEP, task_type: "install_underground_fiber" }]],
    ]);
    const oct = results[1]!;
    // 1,924.00 over 240 months: 8.02 by September (3.21 posted over 600 months), 16.03 by October.
    expect(assets(oct)).toEqual(["P1-1 Fiber Plant cost 1924.00 opening 3.21 depreciation 8.01 accumulated 16.03"]);
    expect(adjustmentRows(oct)).toEqual([
      "P1-1,P1,1,reclassification,2026-09-10,0.00,4.81,4.81,Fiber Plant,Infrastructure,class Infrastructure → Fiber Plant; life (months) 600 → 240 (rule task_types.install_underground_fiber)",
    ]);
    expect(lines(oct, "adjustment")).toEqual([
      "ADJ-2026-10-P1 Dr 6561 4.81 Fiber Plant",
      "ADJ-2026-10-P1 Cr 3110 4.81 Fiber Plant",
      "ADJ-2026-10-P1 Dr 2410 1924.00 Fiber Plant",
      "ADJ-2026-10-P1 Cr 3110 3.21 Fiber Plant",
      "ADJ-2026-10-P1 Dr 3130 3.21 Infrastructure",
      "ADJ-2026-10-P1 Cr 2430 1924.00 Infrastructure",
    ]);
    expect(rollforward(oct, "Infrastructure")).toMatchObject({ openingCost: "1924.00", transfers: "-1924.00", closingCost: "0.00", openingAccumulated: "3.21", accumulatedTransfers: "-3.21", closingAccumulated: "0.00" });
    expect(rollforward(oct, "Fiber Plant")).toMatchObject({
      openingCost: "0.00",
      transfers: "1924.00",
      closingCost: "1924.00",
      accumulatedTransfers: "3.21",
      accumulatedAdjustments: "4.81",
      depreciation: "8.01",
      closingAccumulated: "16.03",
    });
    expect(rollforward(oct, "TOTAL")).toMatchObject({ transfers: "0.00", accumulatedTransfers: "0.00" });
    // Each side of the transfer is in its own class, so each class account ties to the register.
    expect(oct.ties.ledger.filter((t) => t.ledger !== 0 || t.register !== 0)).toEqual([
      { account: "2410", accountName: "Fiber plant - cable", faClass: "Fiber Plant", ledger: 192_400, register: 192_400 },
      { account: "3110", accountName: "Accumulated depreciation - fiber plant", faClass: "Fiber Plant", ledger: 1603, register: 1603 },
    ]);
  });
});

describe("withdrawal: an approval removed, or a task missing from a fetch covering its project", () => {
  const spring = conduit(1, "2026-04-10T14:00:00Z");
  it("reverses the asset in P: cost back to CIP, its posted depreciation reversed", async () => {
    const { results } = await closeSequence([
      ["2026-09", [spring]],
      ["2026-10", [{ ...spring, status: "completed", approved_date: "" }]],
    ]);
    const [sep, oct] = results as [CloseResult, CloseResult];
    // Taken on at April–August (16.03), September's own 3.21.
    expect(assets(sep)).toEqual(["P1-1 Infrastructure cost 1924.00 opening 16.03 depreciation 3.21 accumulated 19.24"]);
    expect(oct.register).toEqual([]);
    expect(adjustmentRows(oct)).toEqual([
      "P1-1,P1,1,withdrawal,2026-10-01,-1924.00,-19.24,-19.24,Infrastructure,Infrastructure,task P1#1 lost its approval, was rejected or is missing from the snapshot, which covers project P1; reversed",
    ]);
    expect(lines(oct, "adjustment")).toEqual([
      "ADJ-2026-10-P1 Dr 1790 1924.00 Infrastructure",
      "ADJ-2026-10-P1 Dr 3130 19.24 Infrastructure",
      "ADJ-2026-10-P1 Cr 2430 1924.00 Infrastructure",
      "ADJ-2026-10-P1 Cr 6562 19.24 Infrastructure",
    ]);
    expect(lines(oct, "depreciation")).toEqual([]);
    expect(rollforward(oct, "Infrastructure")).toMatchObject({
      openingCost: "1924.00",
      costAdjustments: "-1924.00",
      closingCost: "0.00",
      openingAccumulated: "19.24",
      depreciation: "0.00",
      accumulatedAdjustments: "-19.24",
      closingAccumulated: "0.00",
    });
  });

  it("does the same when the rules now expense the task type, and the same close posts the task's expense", async () => {
    const conduitRule = rules.taskTypes.get("install_conduit")!;
    const expensing = withRules({ taskTypes: new Map([...rules.taskTypes, ["install_conduit", { ...conduitRule, treatment: "expense", expenseAccount: "6720" }]]) });
    const sep = (await closeOn(empty(), rules, "2026-09", [spring])).state;
    const oct = (await closeOn(sep, expensing, "2026-10", [spring])).result;
    expect(oct.register).toEqual([]);
    expect(adjustmentRows(oct)).toEqual([
      "P1-1,P1,1,withdrawal,2026-10-01,-1924.00,-19.24,-19.24,Infrastructure,Infrastructure,task P1#1 is now expensed (EXPENSE_TREATMENT); reversed out of the register",
    ]);
    // Out of the asset account back to CIP, the depreciation reversed; then from CIP to the expense: as if expensed from the start.
    expect([...lines(oct, "adjustment"), ...lines(oct, "expense")]).toEqual([
      "ADJ-2026-10-P1 Dr 1790 1924.00 Infrastructure",
      "ADJ-2026-10-P1 Dr 3130 19.24 Infrastructure",
      "ADJ-2026-10-P1 Cr 2430 1924.00 Infrastructure",
      "ADJ-2026-10-P1 Cr 6562 19.24 Infrastructure",
      "EXP-2026-10-P1 Dr 6720 1924.00 Infrastructure",
      "EXP-2026-10-P1 Cr 1790 1924.00 Infrastructure",
    ]);
  });

  it("does the same for a task the fetch no longer returns", async () => {
    const { results } = await closeSequence([
      ["2026-09", [spring, T1_SEP_2()]],
      ["2026-10", [T1_SEP_2()]],
    ]);
    expect(results[1]!.adjustments.map((a) => [a.assetId, a.kind, a.costChange, a.accumulatedChange])).toEqual([["P1-1", "withdrawal", -192_400, -1924]]);
  });
});

function T1_SEP_2() {
  return conduit(2, "2026-09-10T14:00:00Z");
}

describe("projects the snapshot does not cover", () => {
  it("keep their assets as the register holds them, depreciating as scheduled; nothing is withdrawn", async () => {
    const p2 = { ...T1_SEP, project_short_name: "P2" };
    let state = empty();
    state = (await closeOn(state, rules, "2026-09", [T1_SEP, p2], { projects: [P1, P2] })).state;
    // October's fetch was narrowed to P1 (capex fetch --project P1).
    const oct = (await closeOn(state, rules, "2026-10", [T1_SEP], { projects: [P1] })).result;
    expect(assets(oct)).toEqual([
      "P1-1 Infrastructure cost 1924.00 opening 3.21 depreciation 3.20 accumulated 6.41",
      "P2-1 Infrastructure cost 1924.00 opening 3.21 depreciation 3.20 accumulated 6.41",
    ]);
    expect(oct.adjustments).toEqual([]);
    expect(oct.journal.filter((e) => e.source === "depreciation").map((e) => e.journalId)).toEqual(["DEP-2026-10-P1", "DEP-2026-10-P2"]);
  });

  // A task of P2 names the asset id the register holds for P1#1, and October's fetch covers P2 only.
  const shared = conduit(1, "2026-09-10T14:00:00Z", { asset_id: "SHARED-1" });
  const claimant = conduit(7, "2026-09-12T14:00:00Z", { project_short_name: "P2", asset_id: "SHARED-1" });
  const heldBack = {
    project: "P2",
    taskId: 7,
    taskType: "install_conduit",
    code: "DUPLICATE_ASSET_ID",
    message: "asset id SHARED-1 is the register's asset of task P1#1; give task P2#7 its own asset_id in Render",
    severity: "error",
    inServiceDate: "2026-09-12",
  };

  it("hold back a task naming an asset id the register holds for another project's task; the registered asset goes on", async () => {
    const { state } = await closeOn(empty(), rules, "2026-09", [shared]);
    const oct = (await closeOn(state, rules, "2026-10", [claimant], { projects: [P2] })).result;
    expect(oct.exceptions).toEqual([heldBack]);
    expect(assets(oct)).toEqual(["SHARED-1 Infrastructure cost 1924.00 opening 3.21 depreciation 3.20 accumulated 6.41"]);
    expect(oct.register[0]!.asset.project).toBe("P1");
    expect(oct.counts).toMatchObject({ tasksRead: 1, registerFromSnapshot: 0, exceptions: 1, additions: 0 });
  });

  it("wholly retiring such an asset keeps every task accounted for (the completeness identity)", async () => {
    const { state } = await closeOn(empty(), rules, "2026-09", [shared]);
    // Before the fix the P2 task fell in no bucket once SHARED-1 left the register: an IdentityError.
    const oct = (await closeOn(state, rules, "2026-10", [claimant], { projects: [P2], retirements: [retire(2, "SHARED-1", "2026-10-20", { kind: "all" })] })).result;
    expect(oct.register).toEqual([]);
    expect(oct.disposals.map((d) => [d.assetId, d.project, d.wholly, formatCents(d.costRetired)])).toEqual([["SHARED-1", "P1", true, "1924.00"]]);
    expect(oct.exceptions).toEqual([heldBack]);
    expect(oct.counts).toMatchObject({ tasksRead: 1, retiredInSnapshot: 0, exceptions: 1 });
  });

  it("a full fetch holding the registered task and a task of another project with its id: only the other is held back", async () => {
    const { state } = await closeOn(empty(), rules, "2026-09", [shared]);
    const oct = (await closeOn(state, rules, "2026-10", [shared, claimant], { projects: [P1, P2] })).result;
    expect(oct.exceptions).toEqual([heldBack]);
    expect(oct.adjustments).toEqual([]);
    expect(assets(oct)).toEqual(["SHARED-1 Infrastructure cost 1924.00 opening 3.21 depreciation 3.20 accumulated 6.41"]);
    expect(oct.counts).toMatchObject({ tasksRead: 2, registerFromSnapshot: 1, exceptions: 1 });
    // And the registered asset can be retired in that close.
    const retired = (await closeOn(state, rules, "2026-10", [shared, claimant], { projects: [P1, P2], retirements: [retire(2, "SHARED-1", "2026-10-20", { kind: "all" })] })).result;
    expect(retired.disposals.map((d) => [d.assetId, d.project, d.wholly])).toEqual([["SHARED-1", "P1", true]]);
    expect(retired.exceptions).toEqual([heldBack]);
    expect(retired.counts).toMatchObject({ tasksRead: 2, retiredInSnapshot: 1, exceptions: 1 });
  });

  it("the auditor's cut-off list shows a held-back task as held back, not capitalized", async () => {
    const { state } = await closeOn(empty(), rules, "2026-09", [shared]);
    const late = conduit(8, "2026-10-30T14:00:00Z", { project_short_name: "P2", asset_id: "SHARED-1" });
    const twins = [conduit(2, "2026-10-30T15:00:00Z", { asset_id: "TWIN" }), conduit(3, "2026-10-30T16:00:00Z", { asset_id: "TWIN" })];
    const oct = (await closeOn(state, rules, "2026-10", [shared, late, ...twins], { projects: [P1, P2] })).result;
    expect(oct.cutoff.map((x) => [x.project, x.taskId, x.outcome, x.amount])).toEqual([
      ["P2", 8, "exception DUPLICATE_ASSET_ID", 0],
      ["P1", 2, "exception DUPLICATE_ASSET_ID", 0],
      ["P1", 3, "exception DUPLICATE_ASSET_ID", 0],
    ]);
  });

  it("a withdrawn asset's id is free again: a new task naming it enters under it", async () => {
    const { state: sep } = await closeOn(empty(), rules, "2026-09", [shared]);
    // October: QA rejects P1#1, SHARED-1 is withdrawn. November: a new task takes the id.
    const { state: oct } = await closeOn(sep, rules, "2026-10", [{ ...shared, status: "completed", approved_date: "" }]);
    expect(oct.assets.get("SHARED-1")?.status).toBe("withdrawn");
    const nov = (await closeOn(oct, rules, "2026-11", [conduit(20, "2026-11-05T14:00:00Z", { asset_id: "SHARED-1" })])).result;
    expect(nov.exceptions).toEqual([]);
    expect(nov.additions.map((e) => [e.asset.assetId, e.asset.taskId])).toEqual([["SHARED-1", 20]]);
  });

  it("the register keeps a withdrawn asset's whole record when another task names its id (the month-end loads summaries)", async () => {
    const store = await RegisterStore.open(join(tmp(), "capex.db"));
    try {
      const close = async (period: string, tasks: Array<Record<string, unknown>>) =>
        runMonthEnd({ register: store, snapshot: await openSnapshot(await writeSnapshot(tasks)), rules, period, out: join(tmp(), period), workbook: false, allowOpenPeriod: true });
      await close("2026-09", [shared]);
      await close("2026-10", [conduit(1, "2026-09-10T14:00:00Z"), conduit(9, "2026-09-12T14:00:00Z", { asset_id: "SHARED-1" })]);
      const events = (await store.assetHistory("SHARED-1"))!.events;
      expect(events.map((e) => e.kind)).toEqual(["addition", "withdrawal"]);
      expect(events[1]!.record).toEqual(events[0]!.record);
    } finally {
      await store.close();
    }
  });

  it("tasks sharing an id the register does not hold are all held back, as in a first close", async () => {
    const { state } = await closeOn(empty(), rules, "2026-09", [conduit(1, "2026-09-10T14:00:00Z")]);
    const twins = [conduit(2, "2026-10-10T14:00:00Z", { asset_id: "TWIN" }), conduit(3, "2026-10-11T14:00:00Z", { asset_id: "TWIN" })];
    const oct = (await closeOn(state, rules, "2026-10", [conduit(1, "2026-09-10T14:00:00Z"), ...twins])).result;
    expect(oct.exceptions.map((e) => [e.taskId, e.code, e.message])).toEqual([
      [2, "DUPLICATE_ASSET_ID", "asset id TWIN is used by 2 tasks (P1#2, P1#3); give each task its own asset_id in Render"],
      [3, "DUPLICATE_ASSET_ID", "asset id TWIN is used by 2 tasks (P1#2, P1#3); give each task its own asset_id in Render"],
    ]);
    expect(assets(oct).map((a) => a.split(" ")[0])).toEqual(["P1-1"]);
  });

  it("a task of the same project naming another task's asset id is held back too; the task that moved to its own id is registered under it", async () => {
    const { state } = await closeOn(empty(), rules, "2026-09", [shared]);
    const oct = (await closeOn(state, rules, "2026-10", [conduit(1, "2026-09-10T14:00:00Z"), conduit(9, "2026-09-12T14:00:00Z", { asset_id: "SHARED-1" })])).result;
    expect(oct.exceptions.map((e) => [e.project, e.taskId, e.code, e.message])).toEqual([
      ["P1", 9, "DUPLICATE_ASSET_ID", "asset id SHARED-1 is the register's asset of task P1#1; give task P1#9 its own asset_id in Render"],
    ]);
    expect(adjustmentRows(oct)).toEqual([
      "P1-1,P1,1,late_addition,2026-09-10,1924.00,3.21,3.21,Infrastructure,Infrastructure,approved after the close that covered its in-service month (2026-09); 1 month(s) of depreciation to 2026-09-30 caught up",
      "SHARED-1,P1,1,withdrawal,2026-10-01,-1924.00,-3.21,-3.21,Infrastructure,Infrastructure,task P1#1 now carries asset id P1-1; reversed under SHARED-1",
    ]);
    expect(assets(oct)).toEqual(["P1-1 Infrastructure cost 1924.00 opening 0.00 depreciation 3.20 accumulated 6.41"]);
  });
});

describe("retirements", () => {
  /** The conduit in service in September, closed through October: 6.41 accumulated. */
  async function throughOctober(r: Rules = rules): Promise<RegisterState> {
    return (await closeSequence([["2026-09", [T1_SEP]], ["2026-10", [T1_SEP]]], r)).state;
  }
  const november = (state: RegisterState, portion: Parameters<typeof retire>[3], proceeds = 0, removal = 0, r: Rules = rules) =>
    closeOn(state, r, "2026-11", [T1_SEP], { retirements: [retire(2, "P1-1", "2026-11-15", portion, proceeds, removal, "storm damage")] });
  const disposalRow = (r: CloseResult) =>
    r.disposals.map((d) => [d.assetId, d.project, d.faClass, d.date, d.portion, ...[d.costRetired, d.accumulatedRetired, d.proceeds, d.removalCost, d.gainLoss].map(formatCents)].join(","));

  it("all, gain/loss: the loss is proceeds − removal − net book value, to the loss account", async () => {
    const { result: nov, state } = await november(await throughOctober(), { kind: "all" }, 50_000, 10_000);
    // Net book value 1,924.00 − 6.41 (through October: no depreciation in the retirement month).
    expect(disposalRow(nov)).toEqual(["P1-1,P1,Infrastructure,2026-11-15,all,1924.00,6.41,500.00,100.00,-1517.59"]);
    expect(lines(nov, "disposal")).toEqual([
      "DSP-2026-11-P1 Dr 1195 400.00 Infrastructure",
      "DSP-2026-11-P1 Dr 3130 6.41 Infrastructure",
      "DSP-2026-11-P1 Dr 7120 1517.59 Infrastructure",
      "DSP-2026-11-P1 Cr 2430 1924.00 Infrastructure",
    ]);
    expect(nov.register).toEqual([]);
    expect(lines(nov, "depreciation")).toEqual([]);
    expect(rollforward(nov, "Infrastructure")).toMatchObject({ openingCost: "1924.00", disposals: "1924.00", closingCost: "0.00", openingAccumulated: "6.41", depreciation: "0.00", accumulatedOnDisposals: "6.41", closingAccumulated: "0.00" });
    expect(state.assets.get("P1-1")!.status).toBe("retired");
    // December: the retired asset stays retired, its task still approved in Render.
    const dec = (await closeOn(state, rules, "2026-12", [T1_SEP])).result;
    expect(dec.register).toEqual([]);
    expect(dec.adjustments).toEqual([]);
    expect(dec.counts.retiredInSnapshot).toBe(1);
  });

  it("by quantity: 40 of 100 ft retired, the other 60 ft depreciate their remaining value over the remaining life", async () => {
    const { result: nov, state } = await november(await throughOctober(), { kind: "quantity", quantity: new Dec(40) });
    expect(disposalRow(nov)).toEqual(["P1-1,P1,Infrastructure,2026-11-15,40 ft,769.60,2.56,0.00,0.00,-767.04"]);
    expect(assets(nov)).toEqual(["P1-1 Infrastructure cost 1154.40 opening 6.41 depreciation 1.92 accumulated 5.77"]);
    expect(state.assets.get("P1-1")!.record.quantity).toBe("60");
    // tax.csv's book amount for the year: the 60 ft's share of all four months, September to
    // December (1,154.40 × 4 / 600), not only those from the retirement on.
    expect(nov.register[0]!.tax.bookAmount).toBe(770);
    const dec = (await closeOn(state, rules, "2026-12", [T1_SEP])).result;
    expect(dec.register[0]!.tax.bookAmount).toBe(770);
    expect(rollforward(nov, "Infrastructure")).toMatchObject({ disposals: "769.60", closingCost: "1154.40", depreciation: "1.92", accumulatedOnDisposals: "2.56", closingAccumulated: "5.77" });
  });

  it("a quantity may name its unit, as disposals.csv writes it (40 ft); another unit is refused", async () => {
    const file = join("ret", "units.csv");
    const read = (portion: string) => parseRetirements(`asset_id,date,portion\nP1-1,2026-11-15,${portion}\n`, file);
    expect(read("40 FT")[0]!.portion).toEqual({ kind: "quantity", quantity: new Dec(40), unit: "ft" });
    const { result: nov } = await closeOn(await throughOctober(), rules, "2026-11", [T1_SEP], { retirements: read("40 ft") });
    expect(disposalRow(nov)).toEqual(["P1-1,P1,Infrastructure,2026-11-15,40 ft,769.60,2.56,0.00,0.00,-767.04"]);
    await expect(closeOn(await throughOctober(), rules, "2026-11", [T1_SEP], { retirements: read("40 m") })).rejects.toThrow(
      `${file}: 1 problem in the retirements file; nothing was done:\n  line 2: portion 40 m is not in the unit asset P1-1 is counted in (ft); give the quantity in ft, or a percentage`,
    );
  });

  it("a salvage percentage set after a partial retirement falls on what is left as its share, not the whole task's salvage", async () => {
    const { state } = await november(await throughOctober(), { kind: "percent", percent: new Dec(95) });
    expect(state.assets.get("P1-1")!.record).toMatchObject({ cost: 9620, salvage: 0 });
    const types = new Map(rules.taskTypes);
    types.set("install_conduit", { ...types.get("install_conduit")!, salvagePercent: new Dec(10) });
    // The whole task's salvage is now 192.40; the 96.20 left keeps 10% of itself, 9.62 (it
    // took all 192.40 before, twice its cost, and the close stopped).
    const r10 = withRules({ taskTypes: types });
    const dec = await closeOn(state, r10, "2026-12", [T1_SEP]);
    expect(dec.result.register.map((e) => [e.asset.cost, e.asset.salvage])).toEqual([[9620, 962]]);
    expect(dec.result.adjustments.map((a) => [a.kind, a.message])).toEqual([["reclassification", "salvage 0.00 → 9.62 (rule task_types.install_conduit)"]]);
    // adjustments.csv says it of what the register holds: 9.62, not the task's 192.40. The
    // retired part's salvage is the rest (182.78), so the task adds up to Render's again:
    // January, under the same rules, finds nothing changed (it saw "salvage 9.62 → 192.40" anew).
    expect(dec.state.assets.get("P1-1")!.record).toMatchObject({ salvage: 962, retired: { cost: 182_780, salvage: 18_278 } });
    expect((await closeOn(dec.state, r10, "2027-01", [T1_SEP])).result.adjustments).toEqual([]);
  });

  it("by percentage, with a gain; the rest keeps depreciating and Render's unchanged task is not a cost change", async () => {
    const { result: nov, state } = await november(await throughOctober(), { kind: "percent", percent: new Dec(25) }, 60_000);
    expect(disposalRow(nov)).toEqual(["P1-1,P1,Infrastructure,2026-11-15,25%,481.00,1.60,600.00,0.00,120.60"]);
    expect(lines(nov, "disposal")).toEqual([
      "DSP-2026-11-P1 Dr 1195 600.00 Infrastructure",
      "DSP-2026-11-P1 Dr 3130 1.60 Infrastructure",
      "DSP-2026-11-P1 Cr 2430 481.00 Infrastructure",
      "DSP-2026-11-P1 Cr 7110 120.60 Infrastructure",
    ]);
    expect(assets(nov)).toEqual(["P1-1 Infrastructure cost 1443.00 opening 6.41 depreciation 2.41 accumulated 7.22"]);
    // What was retired decides the next close, so the state's digest covers it.
    const a = state.assets.get("P1-1")!;
    const { retired: _, ...whole } = a.record as RetainedRecord;
    expect(stateDigest({ ...state, assets: new Map([["P1-1", { ...a, record: whole }]]) })).not.toBe(stateDigest(state));
    const dec = (await closeOn(state, rules, "2026-12", [T1_SEP])).result;
    expect(dec.adjustments).toEqual([]);
    expect(assets(dec)).toEqual(["P1-1 Infrastructure cost 1443.00 opening 7.22 depreciation 2.40 accumulated 9.62"]);
  });

  it("a cost correction after a partial retirement falls on the part still in service", async () => {
    const { state } = await november(await throughOctober(), { kind: "percent", percent: new Dec(25) });
    // Render now says 110 ft (2,116.40): 192.40 more, on the 75 ft left (now 85 ft).
    const dec = (await closeOn(state, rules, "2026-12", [{ ...T1_SEP, units: [{ unit_code: "CND-2IN-HDPE", quantity: 110, uom: "ft" }] }])).result;
    expect(dec.adjustments.map((a) => [a.kind, formatCents(a.costChange)])).toEqual([["cost_change", "192.40"]]);
    expect(dec.register.map((e) => [e.asset.cost, e.asset.quantity])).toEqual([[163_540, "85"]]);
    // Less than was retired: refused, naming the task.
    await expect(closeOn(state, rules, "2026-12", [{ ...T1_SEP, units: [{ unit_code: "CND-2IN-HDPE", quantity: 20, uom: "ft" }] }])).rejects.toThrow(
      "task P1#1: now prices to 384.80 for 20 ft, less than was already retired of asset P1-1 (481.00, 25 ft); correct the task in Render and fetch again",
    );
  });

  it("a change of life after a partial retirement catches the part still in service up from its in-service date", async () => {
    const { state } = await november(await throughOctober(), { kind: "percent", percent: new Dec(25) });
    const underground = { ...T1_SEP, task_type: "install_underground_fiber" };
    const dec = (await closeOn(state, rules, "2026-12", [underground])).result;
    // What is left (75 ft, 1,443.00) over 240 months from September: 24.05 by December, as if
    // it had always had the new life; not 240 months counted from the retirement on.
    expect(assets(dec)).toEqual(["P1-1 Fiber Plant cost 1443.00 opening 7.22 depreciation 6.01 accumulated 24.05"]);
    expect(adjustmentRows(dec)).toEqual([
      "P1-1,P1,1,reclassification,2026-09-10,0.00,10.82,10.82,Fiber Plant,Infrastructure,class Infrastructure → Fiber Plant; life (months) 600 → 240 (rule task_types.install_underground_fiber)",
    ]);
    // The same as a register that never held the retired 25 ft.
    const fresh = (await closeOn(empty(), rules, "2026-12", [{ ...underground, units: [{ unit_code: "CND-2IN-HDPE", quantity: 75, uom: "ft" }] }])).result;
    expect(fresh.register.map((e) => e.accumulated)).toEqual([2405]);
  });

  it("an asset withdrawn after a partial retirement and approved again comes back without the part retired", async () => {
    const store = await RegisterStore.open(join(tmp("capex-regacct-"), "capex.db"));
    try {
      const commit = async (period: string, state: RegisterState, tasks: Array<Record<string, unknown>>, retirements: ReturnType<typeof retire>[] = []) => {
        const result = await closePeriod({ snapshot: memorySnapshot(tasks), rules, period, register: state, retirements });
        await store.exclusive((tx) => tx.commit(postingOf(result, { files: {} } as unknown as CloseManifest, {}, new Date("2027-02-05T00:00:00Z"))));
        const next = applyPosting(state, result);
        expect(await store.loadState()).toEqual(next);
        return { result, state: next };
      };
      let s = (await commit("2026-10", empty(), [T1_SEP])).state;
      s = (await commit("2026-11", s, [T1_SEP], [retire(2, "P1-1", "2026-11-15", { kind: "percent", percent: new Dec(25) })])).state;
      s = (await commit("2026-12", s, [])).state; // the task lost its approval: withdrawn
      const jan = await commit("2027-01", s, [T1_SEP]);
      expect(adjustmentRows(jan.result).map((r) => r.split(",").slice(0, 6).join(","))).toEqual(["P1-1,P1,1,late_addition,2026-09-10,1443.00"]);
      expect(jan.state.assets.get("P1-1")).toMatchObject({ record: { cost: 144_300, quantity: "75" }, retirements: [{ period: "2026-11", cost: 48_100 }] });
    } finally {
      await store.close();
    }
  });

  it("group (FCC Part 32): cost retired against accumulated, proceeds credited and removal debited to it, no gain or loss", async () => {
    const group = withRules({ retirementAccounting: "group" });
    const { result: nov, state } = await november(await throughOctober(group), { kind: "all" }, 50_000, 10_000, group);
    expect(disposalRow(nov)).toEqual(["P1-1,P1,Infrastructure,2026-11-15,all,1924.00,6.41,500.00,100.00,0.00"]);
    expect(lines(nov, "disposal")).toEqual([
      "DSP-2026-11-P1 Dr 1195 400.00 Infrastructure",
      "DSP-2026-11-P1 Dr 3130 1524.00 Infrastructure",
      "DSP-2026-11-P1 Cr 2430 1924.00 Infrastructure",
    ]);
    // The class's accumulated depreciation carries the unrecovered 1,517.59 (the group reserve).
    expect(rollforward(nov, "Infrastructure")).toMatchObject({
      openingCost: "1924.00",
      disposals: "1924.00",
      closingCost: "0.00",
      openingAccumulated: "6.41",
      accumulatedOnDisposals: "1524.00",
      closingAccumulated: "-1517.59",
      closingNbv: "1517.59",
    });
    expect(state.classes.get("Infrastructure")).toEqual({ faClass: "Infrastructure", cost: 0, accumulated: -151_759, reserve: -151_759 });
    // The next close opens on it: continuity and the GL tie hold with the reserve.
    const dec = (await closeOn(state, group, "2026-12", [T1_SEP])).result;
    expect(rollforward(dec, "Infrastructure")).toMatchObject({ openingAccumulated: "-1517.59", closingAccumulated: "-1517.59" });
    expect(dec.ties.ledger.find((t) => t.account === "3130")).toEqual({ account: "3130", accountName: "Accumulated depreciation - outside plant infrastructure", faClass: "Infrastructure", ledger: -151_759, register: -151_759 });
  });

  it("refuses a row with a field too many (an unquoted comma) instead of reading it by position", () => {
    const file = join("ret", "comma.csv");
    const text = "asset_id,date,portion,proceeds,removal_cost,reason\nP1-1,2026-11-05,all,1,234.00,,sold for 1,234.00\nP1-2,2026-11-05,all,1234.00,,\"sold, at last\"\n";
    expect(() => parseRetirements(text, file)).toThrow(
      `${file}: 1 problem in the retirements file; nothing was done:\n  line 2: has 8 fields but the first line names 6 columns; write amounts without a thousands separator and put a reason with a comma in double quotes`,
    );
    // As Excel saves "CSV" where the decimal separator is a comma.
    expect(() => parseRetirements("asset_id;date;portion;proceeds;removal_cost;reason\nP1-1;2026-11-05;all;1234,00;;\n", file)).toThrow(
      `${file}: 1 problem in the retirements file; nothing was done:\n  line 1: the first line must name the columns; asset_id, date, portion are missing (required: asset_id, date, portion; optional: proceeds, removal_cost, reason); ` +
        "the columns are separated by semicolons: save the file as CSV with commas (in Excel: CSV UTF-8, comma delimited)",
    );
    // As Excel saves "Text" (tabs) and "Unicode Text" (UTF-16, tabs).
    const missing = "the first line must name the columns; asset_id, date, portion are missing (required: asset_id, date, portion; optional: proceeds, removal_cost, reason)";
    const tabs = "asset_id\tdate\tportion\nP1-1\t2026-11-05\tall\n";
    expect(() => parseRetirements(tabs, file)).toThrow(`line 1: ${missing}; the columns are separated by tabs: save the file as CSV with commas (in Excel: CSV UTF-8, comma delimited)`);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tabs, "utf16le")]).toString("utf8");
    expect(() => parseRetirements(utf16, file)).toThrow(`line 1: ${missing}; the file is UTF-16 (Excel's Unicode Text), not UTF-8: save the file as CSV with commas (in Excel: CSV UTF-8, comma delimited)`);
    // Only the three it cannot do without are required: a file of sales with no removal costs or reasons reads.
    expect(() => parseRetirements("asset_id,portion,proceeds\nP1-1,all,10\n", file)).toThrow(
      `${file}: 1 problem in the retirements file; nothing was done:\n  line 1: the first line must name the columns; date is missing (required: asset_id, date, portion; optional: proceeds, removal_cost, reason)`,
    );
    expect(parseRetirements("asset_id,date,portion\nP1-1,2026-11-05,all\n", file).map((r) => [r.assetId, r.proceeds, r.removalCost, r.reason])).toEqual([["P1-1", 0, 0, ""]]);
    // A second row of an asset is said even when its first could not be read (two rows that
    // both read, the close tells apart); a row of empty cells (as Excel saves one) is skipped.
    expect(() => parseRetirements("asset_id,date,portion,proceeds\nP1-6,2026-11-05,half,\nP1-6,2026-11-05,all,\n,,,\nP1-7,2026-11-05,all,\n", file)).toThrow(
      `${file}: 2 problems in the retirements file; nothing was done:\n` +
        '  line 2: portion "half" must be all, a quantity in the asset\'s unit (120.5, or 120.5 ft) or a percentage (25%)\n' +
        "  line 3: asset P1-6 has a row on line 2 already; put one row per asset",
    );
  });

  it("lists every bad row with its line, before any work", async () => {
    const t = (id: number) => conduit(id, "2026-09-10T14:00:00Z");
    let state = empty();
    state = (await closeOn(state, rules, "2026-09", [t(1), t(2), t(3), t(4), t(5)])).state;
    // October: asset 2 retired, task 3 rejected.
    state = (await closeOn(state, rules, "2026-10", [t(1), t(2), t(4), t(5)], { retirements: [retire(2, "P1-2", "2026-10-31", { kind: "all" })] })).state;
    const file = join("ret", "november.csv");
    const requests = parseRetirements(
      [
        "asset_id,date,portion,proceeds,removal_cost,reason",
        "P1-9,2026-11-15,all,,,",
        "P1-3,2026-11-15,all,,,",
        "P1-2,2026-11-15,all,,,",
        "P1-1,2026-10-31,all,,,",
        "P1-4,2026-11-15,150,,,",
        "P1-5,2026-11-15,all,,,",
      ].join("\n"),
      file,
    );
    const problems = [
      // The id it most likely meant, as capex register asset suggests.
      'line 2: asset P1-9 is not in the register; did you mean "P1-1"?',
      "line 3: asset P1-3 was withdrawn (its Render task lost its approval); it cannot be retired",
      "line 4: asset P1-2 is already wholly retired",
      "line 5: date 2026-10-31 is not in the period being closed (2026-11-01 to 2026-11-30)",
      "line 6: portion 150 is more than remains of asset P1-4 (100 ft)",
    ];
    // The register's check before the close, which has not read the snapshot (so the id may be one the close adds)...
    const before = [problems[0]!.replace("register;", "register (if this close adds it, retire it in a later period);"), ...problems.slice(1)];
    expect(() => checkRetirements(requests, state, "2026-11", file)).toThrow(`${file}: 5 problems in the retirements file; nothing was done:\n  ${before.join("\n  ")}`);
    // ...and the close's own, which also knows what this close withdraws (task 5 is gone from November's fetch).
    const error = await closeOn(state, rules, "2026-11", [t(1), t(2), t(4)], { retirements: requests }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterInputError);
    expect((error as RegisterInputError).message).toBe(
      `${file}: 6 problems in the retirements file; nothing was done:\n  ${problems.join("\n  ")}\n  line 7: asset P1-5 is withdrawn in this close (task P1#5 lost its approval, was rejected or is missing from the snapshot, which covers project P1; reversed); it cannot be retired`,
    );
  });

  it("a first close may retire what it takes on; what enters the register in this close cannot be retired in it", async () => {
    const first = await closeOn(empty(), rules, "2026-11", [T1_SEP], { retirements: [retire(2, "P1-1", "2026-11-15", { kind: "percent", percent: new Dec(25) })] });
    expect(first.result.disposals.map((d) => [d.costRetired, d.accumulatedRetired])).toEqual([[48_100, 160]]);
    expect(rollforward(first.result, "Infrastructure")).toMatchObject({ openingCost: "1924.00", openingAccumulated: "6.41", disposals: "481.00", closingCost: "1443.00" });
    expect(first.result.posting.openingBalances).toEqual([
      { account: "2430", faClass: "Infrastructure", balance: 192_400 },
      { account: "3130", faClass: "Infrastructure", balance: -641 },
    ]);
    // Taken on whole, then a quarter retired: the Summary and the CLI count what was taken on.
    expect(first.result.takenOn).toEqual({ assets: 1, cost: 192_400, accumulated: 641 });
    await expect(closeOn(empty(), rules, "2026-09", [T1_SEP], { retirements: [retire(3, "P1-1", "2026-09-20", { kind: "all" })] })).rejects.toThrow(
      "line 3: asset P1-1 enters the register in this close (placed in service 2026-09-10); retire it in a later period",
    );
  });
});

describe("register.csv rows add up", () => {
  it("with a change of rules that runs the schedule otherwise: the half-year convention, then another fiscal year start", async () => {
    const conduitRule = rules.taskTypes.get("install_conduit")!;
    const halfYear = withRules({ taskTypes: new Map([...rules.taskTypes, ["install_conduit", { ...conduitRule, convention: "half_year" }]]) });
    const october = await closeOn(empty(), halfYear, "2026-10", [T1_SEP]);
    // The fiscal year now starts in June: the half-year convention's first year is another year,
    // and less was due by October (4.28) than was posted (9.62): 5.34 reversed, a change of its
    // own; November's depreciation is November's alone (6.41 by November, 2.13).
    const november = await closeOn(october.state, { ...halfYear, fiscalYearStartMonth: 6 }, "2026-11", [T1_SEP]);
    const row = november.result.register.find((e) => e.asset.assetId === "P1-1")!;
    expect(adjustmentRows(november.result)).toEqual([
      "P1-1,P1,1,reclassification,2026-11-01,0.00,-5.34,-5.34,Infrastructure,Infrastructure,the schedule under the rules now in force gives 4.28 by 2026-10-31, less than the 9.62 posted: 5.34 reversed (rule task_types.install_conduit; fiscal year from month 6)",
    ]);
    expect(november.result.posting.events.map((e) => [e.kind, e.catchUp])).toEqual([["reclassification", -534]]);
    expect([row.openingAccumulated, row.amount, row.accumulatedAdjustments, row.accumulatedRetired, row.accumulated]).toEqual([962, 213, -534, 0, 641]);
    const total = november.result.rollforward.find((r) => r.faClass === "Infrastructure")!;
    expect(total.accumulatedAdjustments).toBe(row.accumulatedAdjustments);
    // The other way (a year from October: September 2026 ends a fiscal year, its half year all
    // in that month): more was due than was posted, caught up as a change, not as November's depreciation.
    const octoberStart = await closeOn(october.state, { ...halfYear, fiscalYearStartMonth: 10 }, "2026-11", [T1_SEP]);
    const other = octoberStart.result.register[0]!;
    expect(adjustmentRows(octoberStart.result)).toEqual([
      "P1-1,P1,1,reclassification,2026-11-01,0.00,12.83,12.83,Infrastructure,Infrastructure,the schedule under the rules now in force gives 22.45 by 2026-10-31, more than the 9.62 posted: 12.83 caught up (rule task_types.install_conduit; fiscal year from month 10)",
    ]);
    expect([other.openingAccumulated, other.amount, other.accumulatedAdjustments, other.accumulated]).toEqual([962, 320, 1283, 2565]);
    // The GL book by period (trace, the audit's sample pages) shows the reversal among November's other changes.
    const store = await RegisterStore.open(join(tmp("capex-regacct-"), "capex.db"));
    try {
      for (const c of [october, november]) await store.exclusive((tx) => tx.commit(postingOf(c.result, { files: {} } as unknown as CloseManifest, {}, new Date("2027-01-05T00:00:00Z"))));
      expect((await store.assetHistory("P1-1"))!.depreciation).toEqual([
        { period: "2026-10", amount: 481, otherChanges: 481, accumulated: 962, cost: 192_400 },
        { period: "2026-11", amount: 213, otherChanges: -534, accumulated: 641, cost: 192_400 },
      ]);
    } finally {
      await store.close();
    }
  });
});

describe("the tax book of retirements: the mid-quarter test (Treas. Reg. §1.168(d)-1(b)(3)) and the year of disposition", () => {
  // 2026's property: the conduit in service in February (1,924.00) and the fiber in October
  // (4,000.00): 67.5 % in the fourth quarter, so 2026's assets take the mid-quarter convention.
  const FEB = conduit(1, "2026-02-10T14:00:00Z");
  const OCT = fiber(2, "2026-10-05T14:00:00Z");
  const months = (from: string, to: string) => {
    const out: string[] = [];
    for (let m = monthIndexOf(from); m <= monthIndexOf(to); m++) out.push(periodOfMonthIndex(m));
    return out;
  };
  /** Closes each month from October 2026 to `last` on the two tasks, retiring the fiber as asked in its month. */
  async function closesRetiring(last: string, when: string, portion: Parameters<typeof retire>[3]) {
    let state = empty();
    const results: CloseResult[] = [];
    for (const period of months("2026-10", last)) {
      const retirements = period === when.slice(0, 7) ? [retire(2, "P1-2", when, portion)] : [];
      const c = await closeOn(state, rules, period, [FEB, OCT], { retirements });
      results.push(c.result);
      state = c.state;
    }
    return { results, state };
  }
  const conventions = (r: CloseResult) => r.register.map((e) => `${e.asset.assetId} ${e.tax.taxYear} ${e.tax.convention} ${formatCents(e.tax.amount)}`);

  it("counts property retired in a later year: retiring the fiber in 2027 leaves 2026's convention as it was", async () => {
    const { results } = await closesRetiring("2027-02", "2027-01-15", { kind: "all" });
    expect(conventions(results[0]!)).toEqual(["P1-1 2026 mid_quarter 168.35", "P1-2 2026 mid_quarter 50.00"]);
    // The fiber's tax book at its disposal: 1.25 % in 2026, then 9.88 % for 2027 to the middle of its first quarter (1/8).
    expect(results[3]!.disposals.map((d) => d.tax)).toEqual([{ taxYear: 2027, amount: 4940, accumulated: 9940, adjustedBasis: 390_060 }]);
    // The workbook's Summary says the same of the period's retirements.
    const out = join(tmp("capex-regacct-"), "2027-01");
    await writeCloseOutputs(results[3]!, rules, { out });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, "capex-2027-01.xlsx"));
    const summary = wb.getWorksheet("Summary")!;
    const labels = summary.getColumn(1).values as unknown[];
    const value = (label: string) => summary.getRow(labels.indexOf(label)).getCell(2).value;
    const fiber = results[3]!.disposals[0]!;
    expect(["Retirements", "Retirements: cost retired", "Retirements: gain (loss)", "Tax depreciation of the retirements (year of disposition)", "Adjustments (changes to assets of closed months)"].map(value)).toEqual([
      1,
      4000,
      -(fiber.costRetired - fiber.accumulatedRetired) / 100,
      49.4,
      0,
    ]);
    // 1,924.00 at 15-year mid-quarter, first quarter: 8.75 % in 2026, 9.13 % in 2027 (Table A-2);
    // the half-year convention the fiber's retirement used to flip it to would give 9.50 % (182.78).
    expect(conventions(results[3]!)).toEqual(["P1-1 2027 mid_quarter 175.66"]);
    expect(conventions(results[4]!)).toEqual(["P1-1 2027 mid_quarter 175.66"]);
  });

  it("the tax year's deduction as it stands: the assets in service, and what the year retired, in this month and its earlier months as their closes posted it", async () => {
    const dir = tmp("capex-regacct-");
    const store = await RegisterStore.open(join(dir, "capex.db"));
    try {
      const retirements = join(dir, "retirements.csv");
      writeFileSync(retirements, "asset_id,date,portion\nP1-2,2027-01-15,all\n");
      const FETCHED = "2027-03-02T06:00:00.000Z";
      const results = new Map<string, CloseResult>();
      for (const period of months("2026-10", "2027-02")) {
        const snapshot = await openSnapshot(await writeSnapshot([FEB, OCT], undefined, FETCHED));
        const close = { register: store, snapshot, rules, period, out: join(dir, period), workbook: period === "2027-02" };
        results.set(period, (await runMonthEnd(period === "2027-01" ? { ...close, retirementsFile: retirements } : close)).result);
      }
      // December reads the tax year's months before it that the register closed (from its first
      // close, October: it knows nothing of January to September); January is a year's first month.
      expect(results.get("2026-10")!.taxYearToDate.earlier).toBeUndefined();
      expect(results.get("2026-12")!.taxYearToDate.earlier).toEqual({ from: "2026-10", to: "2026-11", amount: 0, retirements: 0, withoutFigures: 0 });
      // January retires the fiber (49.40 for 2027, to the middle of its first quarter); February
      // has no retirement of its own, and still counts January's in the year's deduction.
      expect(results.get("2027-01")!.taxYearToDate).toEqual({ taxYear: 2027, inService: 17566, retirements: 4940, earlier: undefined, total: 22506, earlierYearsOnChanges: 0, earlierYearsOnConventions: 0 });
      expect(results.get("2027-02")!.taxYearToDate).toEqual({
        taxYear: 2027,
        inService: 17566,
        retirements: 0,
        earlier: { from: "2027-01", to: "2027-01", amount: 4940, retirements: 1, withoutFigures: 0 },
        total: 22506,
        earlierYearsOnChanges: 0,
        earlierYearsOnConventions: 0,
      });
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(join(dir, "2027-02", "capex-2027-02.xlsx"));
      const summary = wb.getWorksheet("Summary")!;
      const rows: unknown[][] = [];
      summary.eachRow((row) => {
        if (String(row.getCell(1).value).startsWith("Tax depreciation")) rows.push([row.getCell(1).value, row.getCell(2).value]);
      });
      expect(rows).toEqual([
        ["Tax depreciation, tax year 2027: assets in service (tax.csv)", 175.66],
        ["Tax depreciation of the retirements (year of disposition)", 0],
        ["Tax depreciation of the tax year's earlier retirements (2027-01 to 2027-01)", 49.4],
        ["Tax depreciation, tax year 2027, with the year's retirements to date", 225.06],
      ]);
      // verify recomputes February with the same earlier retirements, byte for byte.
      const verified = await verifyPeriod({ store, period: "2027-02", snapshot: await openSnapshot(await writeSnapshot([FEB, OCT], undefined, FETCHED)), rules, out: join(dir, "2027-02") });
      expect(verified.reproduced).toBe(true);
      // Figures of another tax year (the fiscal year start changed since), or none (posted by 0.3.0 and
      // earlier), are counted apart, not as no deduction.
      await sql`update period_reports set report = json_set(report, '$.disposals[0].tax.taxYear', 2026) where period = '2027-01'`.execute(store.db);
      expect(await store.earlierRetirementsTax("2027-02", 1)).toEqual({ from: "2027-01", to: "2027-01", amount: 0, retirements: 1, withoutFigures: 1 });
      await sql`update period_reports set report = json_remove(report, '$.disposals[0].tax') where period = '2027-01'`.execute(store.db);
      expect(await store.earlierRetirementsTax("2027-02", 1)).toEqual({ from: "2027-01", to: "2027-01", amount: 0, retirements: 1, withoutFigures: 1 });
      // A fiscal year from July: 2027-02 is in the year July 2026 to June 2027, of which the register closed October on.
      expect((await store.earlierRetirementsTax("2027-02", 7))!.from).toBe("2026-10");
      expect(await store.earlierRetirementsTax("2026-10", 1)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("the register's state digest tells the two apart: the same assets and balances, the fiber retired in 2026 or in 2027", async () => {
    const in2026 = await closesRetiring("2027-02", "2026-11-20", { kind: "all" });
    const in2027 = await closesRetiring("2027-02", "2027-01-15", { kind: "all" });
    const march = async (state: RegisterState) => conventions((await closeOn(state, rules, "2027-03", [FEB, OCT])).result);
    expect(await march(in2026.state)).toEqual(["P1-1 2027 half_year 182.78"]);
    expect(await march(in2027.state)).toEqual(["P1-1 2027 mid_quarter 175.66"]);
    expect(stateDigest(in2026.state)).not.toBe(stateDigest(in2027.state));
  });

  it("reads each retirement's tax year with the fiscal year the rules give now, for a part as for a whole", () => {
    // Placed in service May 2026; 90 % retired in August 2026, the rest in February 2027.
    const record = { inServiceDate: "2026-05-10", cost: 40_000 } as RetainedRecord;
    const part = [{ period: "2026-08", cost: 360_000 }];
    const both = [...part, { period: "2027-02", cost: 40_000 }];
    // Years from January: August is in the year placed in service, February 2027 is not.
    expect([midQuarterBasis(record, part, false, 1), midQuarterBasis(record, both, true, 1)]).toEqual([40_000, 40_000]);
    // Years from July: May 2026 ends fiscal 2026, and both retirements fall in fiscal 2027.
    expect([midQuarterBasis(record, part, false, 7), midQuarterBasis(record, both, true, 7)]).toEqual([400_000, 400_000]);
  });

  it("leaves out property placed in service and retired in the same year", async () => {
    const { results } = await closesRetiring("2026-12", "2026-11-20", { kind: "all" });
    expect(conventions(results[1]!)).toEqual(["P1-1 2026 half_year 96.20"]);
    expect(conventions(results[2]!)).toEqual(["P1-1 2026 half_year 96.20"]);
  });

  it("counts a part retired in a later year at what it cost, and leaves out a part retired in the first year", async () => {
    // 90 % of the fiber retired in January 2027: 2026's test still sees 4,000.00 in the fourth quarter.
    const later = await closesRetiring("2027-02", "2027-01-15", { kind: "percent", percent: new Dec(90) });
    expect(later.state.assets.get("P1-2")).toMatchObject({ record: { cost: 40_000, retired: { cost: 360_000 } }, retirements: [{ period: "2027-01", cost: 360_000 }] });
    expect(conventions(later.results[4]!)).toEqual(["P1-1 2027 mid_quarter 175.66", "P1-2 2027 mid_quarter 39.52"]);
    expect(later.results[3]!.disposals.map((d) => d.tax)).toEqual([{ taxYear: 2027, amount: 4446, accumulated: 8946, adjustedBasis: 351_054 }]);
    // 90 % retired in November 2026: 400.00 of 2,324.00 in the fourth quarter (17 %), half-year.
    const same = await closesRetiring("2026-12", "2026-11-20", { kind: "percent", percent: new Dec(90) });
    expect(same.state.assets.get("P1-2")).toMatchObject({ record: { cost: 40_000, retired: { cost: 360_000 } }, retirements: [{ period: "2026-11", cost: 360_000 }] });
    expect(conventions(same.results[2]!)).toEqual(["P1-1 2026 half_year 96.20", "P1-2 2026 half_year 20.00"]);
    // Disposed of in the year placed in service: no deduction, the whole cost its basis.
    expect(same.results[1]!.disposals.map((d) => d.tax)).toEqual([{ taxYear: 2026, amount: 0, accumulated: 0, adjustedBasis: 360_000 }]);
  });
});

describe("changes_after_close: prospective", () => {
  it("spreads a cost change over the remaining life from P, with no catch-up", async () => {
    const prospective = withRules({ changesAfterClose: "prospective" });
    const { results, state } = await closeSequence(
      [
        ["2026-10", [fiber(2, "2026-10-05T14:00:00Z", 1000)]],
        ["2026-11", [fiber(2, "2026-10-05T14:00:00Z", 1250)]],
        ["2026-12", [fiber(2, "2026-10-05T14:00:00Z", 1250)]],
      ],
      prospective,
    );
    const [, nov, dec] = results as [CloseResult, CloseResult, CloseResult];
    expect(adjustmentRows(nov)).toEqual([
      "P1-2,P1,2,cost_change,2026-11-01,1000.00,0.00,0.00,Fiber Plant,Fiber Plant,task now prices to 5000.00 (was 4000.00); the new cost is spread over the remaining life",
    ]);
    expect(lines(nov, "adjustment")).toEqual(["ADJ-2026-11-P1 Dr 2410 1000.00 Fiber Plant", "ADJ-2026-11-P1 Cr 1790 1000.00 Fiber Plant"]);
    // 4,983.33 left over the 239 months from November 2026 to September 2046, straight line by
    // cumulative target: 16.67 + round(4,983.33 × 1/239 = 20.851) = 37.52; then
    // 16.67 + round(4,983.33 × 2/239 = 41.701) = 58.37, so December takes 20.85.
    expect(assets(nov)).toEqual(["P1-2 Fiber Plant cost 5000.00 opening 16.67 depreciation 20.85 accumulated 37.52"]);
    expect(assets(dec)).toEqual(["P1-2 Fiber Plant cost 5000.00 opening 37.52 depreciation 20.85 accumulated 58.37"]);
    // The rebase keeps what was posted when its fiscal year began (nothing: in service in October).
    const rebase = { period: "2026-11", accumulatedBefore: 1667, yearOpening: { period: "2025-12", accumulated: 0 } };
    expect(state.assets.get("P1-2")!.rebase).toEqual(rebase);
    // tax.csv's book amount for 2026 is the year's: October's 16.67 as posted, then the rebased
    // book's 20.85 a month, 58.37 (not 41.70, the months since the change alone).
    expect([nov.register[0]!.tax.bookAmount, dec.register[0]!.tax.bookAmount]).toEqual([5837, 5837]);
    // It is part of the register's state, as the digest each close records sees it.
    const without = new Map(state.assets).set("P1-2", { ...state.assets.get("P1-2")!, rebase: { period: "2026-11", accumulatedBefore: 1667 } });
    expect(stateDigest({ ...state, assets: without })).not.toBe(stateDigest(state));
    // Under catch_up the same change would have caught up 4.16 (see cost_change above).

    // Rules switched to catch_up, and the task repriced again: the change made under
    // prospective rules is history the ledger holds; only the new change is caught up.
    const jan = (await closeOn(state, rules, "2027-01", [fiber(2, "2026-10-05T14:00:00Z", 1500)])).result;
    expect(jan.posting.events.map((e) => [e.kind, e.rebase])).toEqual([["cost_change", rebase]]);
  });
  it("a partial retirement inside a fiscal year keeps the retained share of what was posted when the year began, for a later change to start the year's book from", async () => {
    // The conduit in service in February 2026 (1,924.00, 600 months), fiscal years from April:
    // 6.41 posted by the end of March. Half retired in May; June's task is 2 ft longer, under
    // prospective rules.
    const r = withRules({ changesAfterClose: "prospective", fiscalYearStartMonth: 4 });
    const task = (feet: number) => baseTask(1, { approved_date: "2026-02-10T14:00:00Z", units: [{ unit_code: "CND-2IN-HDPE", quantity: feet, uom: "ft" }] });
    let state = (await closeOn(empty(), r, "2026-04", [task(100)])).state;
    const may = await closeOn(state, r, "2026-05", [task(100)], { retirements: [retire(2, "P1-1", "2026-05-15", { kind: "percent", percent: new Dec(50) })] });
    // What is left's share of March's 6.41: 6.41 − round(3.205) = 3.20.
    expect(may.state.assets.get("P1-1")!.rebase).toEqual({ period: "2026-05", accumulatedBefore: 481, yearOpening: { period: "2026-03", accumulated: 320 } });
    state = may.state;
    const june = await closeOn(state, r, "2026-06", [task(102)]);
    expect(june.state.assets.get("P1-1")!.rebase).toMatchObject({ period: "2026-06", yearOpening: { period: "2026-03", accumulated: 320 } });
    // The year's book counts from April, not from the change: May's and the 2 ft more (it was 15.49,
    // the months from June alone).
    expect([may.result.register[0]!.tax.bookAmount, june.result.register[0]!.tax.bookAmount]).toEqual([1924, 1989]);
  });
});

describe("changes in the same close as other movements", () => {
  it("a reclassified asset retired whole in the same close leaves from its new class, both classes tying", async () => {
    const { state } = await closeOn(empty(), rules, "2026-09", [T1_SEP]);
    const { result: oct } = await closeOn(state, rules, "2026-10", [{ ...T1_SEP, task_type: "install_underground_fiber" }], { retirements: [retire(2, "P1-1", "2026-10-20", { kind: "all" })] });
    expect(oct.disposals.map((d) => [d.faClass, d.costRetired, d.accumulatedRetired, d.gainLoss])).toEqual([["Fiber Plant", 192_400, 802, -191_598]]);
    expect(lines(oct, "adjustment")).toContain("ADJ-2026-10-P1 Cr 2430 1924.00 Infrastructure");
    expect(oct.ties.ledger.filter((t) => t.ledger !== 0 || t.register !== 0)).toEqual([]);
  });

  it("a cost cut below what was posted reverses the excess in the cost_change row, even under prospective", async () => {
    const otdr = (amount: string) => baseTask(7, { task_type: "nap_otdr", approved_date: "2026-01-15T14:00:00Z", units: [{ unit_code: "OTDR-KIT", quantity: 1, amount }] });
    const prospective = withRules({ changesAfterClose: "prospective" });
    const { results } = await closeSequence([["2026-10", [otdr("9256.00")]], ["2026-11", [otdr("1000.00")]]], prospective);
    const nov = results[1]!;
    // 9,256.00 over 36 months: 2,571.11 posted through October; the new cost is 1,000.00.
    expect(adjustmentRows(nov)).toEqual([
      "P1-7,P1,7,cost_change,2026-11-01,-8256.00,-1571.11,-1571.11,Test Equipment,Test Equipment,task now prices to 1000.00 (was 9256.00); the new cost is spread over the remaining life",
    ]);
    expect(assets(nov)).toEqual(["P1-7 Test Equipment cost 1000.00 opening 2571.11 depreciation 0.00 accumulated 1000.00"]);
    expect(rollforward(nov, "Test Equipment")).toMatchObject({ costAdjustments: "-8256.00", accumulatedAdjustments: "-1571.11", depreciation: "0.00", closingAccumulated: "1000.00" });
  });

  it("a new cost and a new life at once: each row catches up what it changed", async () => {
    // The conduit, 1,924.00 over 600 months from September: 6.41 posted through October.
    const { state } = await closeSequence([["2026-09", [T1_SEP]], ["2026-10", [T1_SEP]]]);
    const types = new Map(rules.taskTypes);
    types.set("install_conduit", { ...types.get("install_conduit")!, lifeMonths: 300 });
    // November: 150 ft (2,886.00) and a life of 300 months. Due through October under both,
    // round(288,600 × 2/300) = 19.24; under the new cost alone, round(288,600 × 2/600) = 9.62:
    // 3.21 is the cost's catch-up, the other 9.62 the life's; 12.83 in all, as before.
    const nov = (await closeOn(state, withRules({ taskTypes: types }), "2026-11", [{ ...T1_SEP, units: [{ unit_code: "CND-2IN-HDPE", quantity: 150, uom: "ft" }] }])).result;
    expect(nov.adjustments.map((a) => [a.kind, a.costChange, a.accumulatedChange, a.depreciationCatchUp, a.message])).toEqual([
      ["reclassification", 0, 962, 962, "life (months) 600 → 300 (rule task_types.install_conduit)"],
      ["cost_change", 96_200, 321, 321, "task now prices to 2886.00 (was 1924.00); depreciation caught up to the new cost"],
    ]);
    expect(nov.posting.events.map((e) => [e.kind, e.catchUp])).toEqual([["reclassification", 962], ["cost_change", 321]]);
    expect(rollforward(nov, "Infrastructure")).toMatchObject({ costAdjustments: "962.00", accumulatedAdjustments: "12.83" });
  });

  it("salvage that follows a changed cost is part of the cost_change, not a reclassification", async () => {
    const types = new Map(rules.taskTypes);
    types.set("install_aerial_fiber", { ...types.get("install_aerial_fiber")!, salvagePercent: new Dec(10) });
    const withSalvage = withRules({ taskTypes: types });
    const { results } = await closeSequence([["2026-10", [fiber(2, "2026-10-05T14:00:00Z", 1000)]], ["2026-11", [fiber(2, "2026-10-05T14:00:00Z", 1250)]]], withSalvage);
    expect(results[1]!.adjustments.map((a) => [a.kind, a.costChange, a.accumulatedChange])).toEqual([["cost_change", 100_000, 375]]);
    expect(results[1]!.register.map((e) => [e.asset.salvage, e.accumulated])).toEqual([[50_000, 3750]]);
  });
});

describe("expensed tasks", () => {
  const permit = (id: number, approved: string, amount: string, extra: Record<string, unknown> = {}) =>
    baseTask(id, { task_type: "permitting", approved_date: approved, units: [{ unit_code: "PERMIT-ROW", quantity: 1, amount }], ...extra });
  it("posts late or changed expensed work once, and reverses a withdrawn one", async () => {
    const { results } = await closeSequence([
      ["2026-10", [permit(3, "2026-10-12T14:00:00Z", "650.00")]],
      // A permit approved in October seen only now, and the first one's fee corrected.
      ["2026-11", [permit(3, "2026-10-12T14:00:00Z", "700.00"), permit(4, "2026-10-20T14:00:00Z", "300.00")]],
      ["2026-12", [permit(3, "2026-10-12T14:00:00Z", "700.00"), permit(4, "2026-10-20T14:00:00Z", "300.00")]],
      // The first permit rejected.
      ["2027-01", [permit(3, "", "700.00", { status: "rejected" }), permit(4, "2026-10-20T14:00:00Z", "300.00")]],
    ]);
    const [oct, nov, dec, jan] = results as [CloseResult, CloseResult, CloseResult, CloseResult];
    expect(lines(oct, "expense")).toEqual(["EXP-2026-10-P1 Dr 6720 650.00 ", "EXP-2026-10-P1 Cr 1790 650.00 "]);
    expect([...nov.expensePosted]).toEqual([
      ["P1#3", 5000],
      ["P1#4", 30_000],
    ]);
    expect(lines(nov, "expense")).toEqual(["EXP-2026-11-P1 Dr 6720 350.00 ", "EXP-2026-11-P1 Cr 1790 350.00 "]);
    expect(lines(dec, "expense")).toEqual([]);
    expect([...jan.expensePosted]).toEqual([["P1#3", -70_000]]);
    expect(lines(jan, "expense")).toEqual(["EXP-2027-01-P1 Dr 1790 700.00 ", "EXP-2027-01-P1 Cr 6720 700.00 "]);
    expect(expensedRows(jan)).toEqual([
      "P1,4,permitting,expense,30000,EXPENSE_TREATMENT,2026-10-20,6720,no,0",
      "P1,3,,reversed,0,WITHDRAWN,,6720,yes,-70000",
    ]);
    expect(postedSum(jan)).toBe(expenseJournalNet(jan));
  });

  it("reverses the expense of a task capitalized now (its cost passed the threshold), in expensed.csv too, which adds up to the expense journal", async () => {
    // 10 ft of conduit (192.40) is below the 250.00 threshold; corrected to 100 ft (1,924.00) it is an asset.
    const { results } = await closeSequence([
      ["2026-10", [conduit(7, "2026-10-12T14:00:00Z", { units: [{ unit_code: "CND-2IN-HDPE", quantity: 10, uom: "ft" }] })]],
      ["2026-11", [conduit(7, "2026-10-12T14:00:00Z")]],
    ]);
    const [oct, nov] = results as [CloseResult, CloseResult];
    expect(lines(oct, "expense")).toEqual(["EXP-2026-10-P1 Dr 6590 192.40 Infrastructure", "EXP-2026-10-P1 Cr 1790 192.40 Infrastructure"]);
    expect(nov.journal.filter((e) => e.source === "expense").flatMap((e) => e.postings.map((p) => p.memo))).toEqual(["2026-11 expensed, reversed, capitalized now", "2026-11 expensed, reversed, capitalized now"]);
    expect(lines(nov, "expense")).toEqual(["EXP-2026-11-P1 Dr 1790 192.40 Infrastructure", "EXP-2026-11-P1 Cr 6590 192.40 Infrastructure"]);
    expect(expensedRows(nov)).toEqual(["P1,7,install_conduit,reversed,0,NOW_CAPITALIZED,2026-10-12,6590,yes,-19240"]);
    // Not approved late: expensed when October was closed.
    expect(adjustmentRows(nov)).toEqual([
      "P1-7,P1,7,late_addition,2026-10-12,1924.00,3.21,3.21,Infrastructure,Infrastructure,expensed before, capitalized now (its cost passed the threshold, or its type's treatment changed; the expense is reversed); 1 month(s) of depreciation to 2026-10-31 caught up",
    ]);
    expect(nov.identities.filter((i) => !i.holds)).toEqual([]);
    expect(postedSum(nov)).toBe(expenseJournalNet(nov));
  });

  it("a task whose type has no financial effect now keeps its one row, which shows the reversal: it is not listed twice", async () => {
    const permit = baseTask(3, { task_type: "permitting", approved_date: "2026-10-12T14:00:00Z", units: [{ unit_code: "PERMIT-ROW", quantity: 1, amount: "650.00" }] });
    const none = { ...rules, taskTypes: new Map([...rules.taskTypes].map(([k, v]) => [k, k === "permitting" ? { ...v, treatment: "none" as const } : v])) };
    const oct = await closeOn(empty(), rules, "2026-10", [permit]);
    const nov = await closeOn(oct.state, none, "2026-11", [permit]);
    expect(expensedRows(nov.result)).toEqual(["P1,3,permitting,none,0,NO_FINANCIAL_EFFECT,2026-10-12,,yes,-65000"]);
    expect(lines(nov.result, "expense")).toEqual(["EXP-2026-11-P1 Dr 1790 650.00 ", "EXP-2026-11-P1 Cr 6720 650.00 "]);
    expect(nov.result.journal.find((e) => e.source === "expense")!.postings[0]!.memo).toBe("2026-11 expensed, reversed, no financial effect now");
    expect(postedSum(nov.result)).toBe(expenseJournalNet(nov.result));
  });
});

/** Σ posted_amount of expensed.csv, in cents. */
const postedSum = (r: CloseResult) => [...closeTables(r).find((t) => t.file === "expensed.csv")!.rows()].reduce((s, row) => s + Number(row[9]), 0);
/** What the expense journal moves to expense: Σ (debit − credit) of its lines off CIP. */
const expenseJournalNet = (r: CloseResult) =>
  r.journal.filter((e) => e.source === "expense").flatMap((e) => e.postings).filter((p) => p.account !== rules.cipAccount).reduce((s, p) => s + p.debit - p.credit, 0);

/** expensed.csv's rows, comma-joined as written (amounts in cents). */
function expensedRows(r: CloseResult): string[] {
  return [...closeTables(r).find((t) => t.file === "expensed.csv")!.rows()].map((row) => row.map((v) => v ?? "").join(","));
}

/** Every change at once, month after month: the sequence the identities and the store are held to. */
const SEQUENCE: Array<[string, Array<Record<string, unknown>>, ReturnType<typeof retire>[]]> = [
  ["2026-09", [conduit(1, "2026-04-10T14:00:00Z"), T1_SEP_2(), conduit(3, "2026-09-12T14:00:00Z"), { ...T1_SEP, project_short_name: "P2" }], []],
  [
    "2026-10",
    [conduit(1, "2026-04-10T14:00:00Z"), { ...T1_SEP_2(), task_type: "install_underground_fiber" }, conduit(3, "2026-09-12T14:00:00Z"), { ...T1_SEP, project_short_name: "P2" }, fiber(5, "2026-10-05T14:00:00Z")],
    [retire(2, "P1-3", "2026-10-20", { kind: "percent", percent: new Dec(25) }, 10_000, 2_000)],
  ],
  [
    "2026-11",
    [{ ...T1_SEP_2(), task_type: "install_underground_fiber" }, conduit(3, "2026-09-12T14:00:00Z"), { ...T1_SEP, project_short_name: "P2" }, fiber(5, "2026-10-05T14:00:00Z", 1250), fiber(6, "2026-10-25T14:00:00Z")],
    [retire(2, "P2-1", "2026-11-30", { kind: "all" }, 0, 5_000)],
  ],
  ["2026-12", [{ ...T1_SEP_2(), task_type: "install_underground_fiber" }, conduit(3, "2026-09-12T14:00:00Z"), fiber(5, "2026-10-05T14:00:00Z", 1250), fiber(6, "2026-10-25T14:00:00Z")], []],
];

describe("every identity of DESIGN §4 over a sequence of closes", () => {
  for (const accounting of ["gain_loss", "group"] as const) {
    it(`holds on each close, continuity and the GL tie included (${accounting})`, async () => {
      const r = withRules({ retirementAccounting: accounting });
      let state = empty();
      let previous: CloseResult | undefined;
      for (const [period, tasks, retirements] of SEQUENCE) {
        const c = await closeOn(state, r, period, tasks, { projects: [P1, P2], retirements });
        expect(c.result.identities.filter((i) => !i.holds)).toEqual([]);
        if (previous) {
          expect(c.result.ties.continuity?.length).toBeGreaterThan(0);
          for (const row of c.result.rollforward) {
            const before = previous.rollforward.find((x) => x.faClass === row.faClass)!;
            expect([row.faClass, row.openingCost, row.openingAccumulated]).toEqual([row.faClass, before.closingCost, before.closingAccumulated]);
          }
        }
        expect(c.result.ties.ledger.filter((t) => t.ledger !== t.register)).toEqual([]);
        // The register's ledger: every class account's balance is the take-on plus every line posted.
        for (const t of c.result.ties.ledger) {
          const sign = t.account.startsWith("3") ? -1 : 1;
          expect([t.account, t.faClass, sign * (c.state.ledger.get(ledgerKey(t.account, t.faClass)) ?? 0) + 0]).toEqual([t.account, t.faClass, t.register]);
        }
        previous = c.result;
        state = c.state;
      }
      expect(previous!.adjustments.length + previous!.disposals.length).toBe(0);
    });
  }

  it("is the same close when it releases the register's records once reconciled (as the month-end does)", async () => {
    const r = withRules({ retirementAccounting: "gain_loss" });
    let state = empty();
    for (const [period, tasks, retirements] of SEQUENCE) {
      const input = { snapshot: memorySnapshot(tasks, { projects: [P1, P2] }), rules: r, period, retirements };
      const kept = await closePeriod({ ...input, register: state });
      const released = { ...state, assets: new Map(state.assets) };
      expect(await closePeriod({ ...input, register: released, releaseRegister: true })).toEqual(kept);
      expect([period, released.assets.size, state.assets.size > 0 || period === "2026-09"]).toEqual([period, 0, true]);
      state = applyPosting(state, kept);
    }
  });

  it("a register whose balances were changed behind its back fails continuity, and one whose ledger was changed fails the GL tie", async () => {
    const { state } = await closeOn(empty(), rules, "2026-09", [T1_SEP]);
    const classes = new Map(state.classes);
    classes.set("Infrastructure", { ...classes.get("Infrastructure")!, cost: 192_300 });
    await expect(closeOn({ ...state, classes }, rules, "2026-10", [T1_SEP])).rejects.toThrow(
      new IdentityError("continuity: opening cost = closing cost the register posted for the previous period (+ taken on now)", "1924.00", "1923.00"),
    );
    const ledger = new Map(state.ledger);
    ledger.set(ledgerKey("2430", "Infrastructure"), 192_500);
    await expect(closeOn({ ...state, ledger }, rules, "2026-10", [T1_SEP])).rejects.toThrow(IdentityError);
  });
});

describe.each(BACKENDS)("applyPosting (%s)", (backend) => {
  afterAll(closeBackends);
  it("reads the fields of a report that quotes a NUL or a lone surrogate from Render (PostgreSQL's JSON refuses them)", async () => {
    const register = await freshRegister(backend);
    const store = await register.open();
    try {
      // A NUL and a lone high surrogate; a lone low one; a backslash and the letters u0000 (no escape).
      const codes = ["BAD\u0000\ud800CODE", "LOW\udc00", "TEXT\\u0000"];
      const odd = codes.map((code, i) => conduit(2 + i, "2026-10-06T14:00:00Z", { units: [{ unit_code: code, quantity: 1, uom: "ft" }] }));
      // Fetched before October ended: a provisional close, which status reads out of the report too.
      const snapshot = memorySnapshot([conduit(1, "2026-10-05T14:00:00Z"), ...odd], { fetchedAt: "2026-10-20T06:00:00.000Z" });
      const result = await closePeriod({ snapshot, rules, period: "2026-10", allowOpenPeriod: true });
      expect(result.exceptions.map((e) => e.code)).toEqual(["UNKNOWN_UNIT_CODE", "UNKNOWN_UNIT_CODE", "UNKNOWN_UNIT_CODE"]);
      expect(codes.every((code, i) => result.exceptions[i]!.message.includes(code))).toBe(true);
      await store.exclusive((tx) => tx.commit(postingOf(result, { files: {} } as unknown as CloseManifest, {}, new Date("2026-11-05T00:00:00Z"))));
      expect((await store.status()).provisional).toEqual(["2026-10"]);
      expect(await store.earlierRetirementsTax("2026-11", 1)).toEqual({ from: "2026-10", to: "2026-10", amount: 0, retirements: 0, withoutFigures: 0 });
      expect((await store.exclusive((tx) => tx.periodInputs("2026-10")))!.coveredProjects).toEqual(["P1"]);
    } finally {
      await store.close();
      await register.dispose();
    }
  });

  it("keeps, with a rebase inside a fiscal year, what was posted when the year began: the year's book depreciation after the change", async () => {
    // Conduit in service in February 2026 (1,924.00, 600 months), fiscal years from April;
    // under prospective rules its cost becomes 2,886.00 in May, after April and the
    // fiscal year's first month closed.
    const r = withRules({ changesAfterClose: "prospective", fiscalYearStartMonth: 4 });
    const conduit150 = (feet: number) => baseTask(1, { approved_date: "2026-02-10T14:00:00Z", units: [{ unit_code: "CND-2IN-HDPE", quantity: feet, uom: "ft" }] });
    const register = await freshRegister(backend);
    const store = await register.open();
    try {
      const bookAmounts: number[] = [];
      for (const [period, feet] of [["2026-04", 100], ["2026-05", 150], ["2026-06", 150]] as const) {
        const result = await closePeriod({ snapshot: memorySnapshot([conduit150(feet)]), rules: r, period, register: await store.loadState(), retirements: [] });
        bookAmounts.push(result.register[0]!.tax.bookAmount);
        await store.exclusive((tx) => tx.commit(postingOf(result, { files: {} } as unknown as CloseManifest, {}, new Date("2026-07-05T00:00:00Z"))));
      }
      // April: round(192,400 × 14/600) − round(192,400 × 2/600) = 4,489 − 641 cents (February
      // 2026 to March 2027, less February and March). May on: 6.41 posted when the year began,
      // 9.62 at the change; 2,876.38 left over 597 months, 11 of them to March 2027:
      // 962 + round(287,638 × 11/597) = 6,262, so the year's book is 6,262 − 641 (it was
      // 6,262 − 962, the months since the change alone), June's read back from the register.
      expect(bookAmounts).toEqual([3848, 5621, 5621]);
      expect((await store.loadState()).assets.get("P1-1")!.rebase).toEqual({ period: "2026-05", accumulatedBefore: 962, yearOpening: { period: "2026-03", accumulated: 641 } });
    } finally {
      await store.close();
      await register.dispose();
    }
  });

  it("gives the state the store reads back after each commit", async () => {
    const register = await freshRegister(backend);
    const store = await register.open();
    try {
      let state = empty();
      const r = withRules({ retirementAccounting: "group" });
      const retiredTax: number[] = [];
      for (const [period, tasks, retirements] of SEQUENCE) {
        const result = await closePeriod({ snapshot: memorySnapshot(tasks, { projects: [P1, P2] }), rules: r, period, register: state, retirements });
        retiredTax.push(...result.disposals.map((d) => d.tax!.amount));
        await store.exclusive((tx) => tx.commit(postingOf(result, { files: {} } as unknown as CloseManifest, {}, new Date("2027-01-05T00:00:00Z"))));
        state = applyPosting(state, result);
        expect(await store.loadState()).toEqual(state);
      }
      expect(state.assets.get("P1-3")!.record).toMatchObject({ cost: 144_300, quantity: "75", retired: { cost: 48_100, salvage: 0, quantity: "25" } });
      // Each asset's retirements, as the tax book's mid-quarter test reads them, read back the same.
      expect([state.assets.get("P1-3")!.retirements, state.assets.get("P2-1")!.retirements]).toEqual([[{ period: "2026-10", cost: 48_100 }], [{ period: "2026-11", cost: 192_400 }]]);
      // The tax year's earlier retirements, read out of the reports by each database's JSON functions.
      // (Both in the tax year they were placed in service: no deduction, figured as 0.)
      expect(await store.earlierRetirementsTax("2026-12", 1)).toEqual({ from: "2026-09", to: "2026-11", amount: 0, retirements: 2, withoutFigures: 0 });
      expect(retiredTax).toEqual([0, 0]);
      expect(await store.earlierRetirementsTax("2027-01", 1)).toBeUndefined();
    } finally {
      await store.close();
      await register.dispose();
    }
  });
});
