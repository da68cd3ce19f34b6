import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { describe, expect, it } from "vitest";
import { auditReport } from "../src/audit/audit.js";
import { gatherAuditReport } from "../src/audit/collect.js";
import { runMonthEnd } from "../src/close/month-end.js";
import { loadDefaultRules } from "../src/package-info.js";
import { reopenPeriod } from "../src/register/reopen.js";
import { closedBy, RegisterStore } from "../src/register/store.js";
import { memorySnapshot, P1, P2 } from "./register-memory.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");

async function pdfText(path: string): Promise<string> {
  const doc = await getDocument({ data: new Uint8Array(readFileSync(path)), verbosity: 0 }).promise;
  const parts: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    parts.push(content.items.map((i) => ("str" in i ? i.str : "")).join(" "));
  }
  await doc.destroy();
  return parts.join("\n");
}

/**
 * Two closes on one register: September takes on nothing and adds a conduit; October adds
 * aerial fiber approved half an hour before midnight on 31 October in New York (cut-off), a
 * late-approved September vault, and keeps an unmapped task open for a second close.
 */
async function twoCloses(dir: string) {
  const rules = await loadDefaultRules();
  const store = await RegisterStore.open(join(dir, "capex.db"));
  const unmapped = baseTask(9, { task_type: "install_microduct", approved_date: "2026-09-20T14:00:00Z" });
  const sep = memorySnapshot([baseTask(1, { approved_date: "2026-09-10T14:00:00Z" }), unmapped], { fetchedAt: "2026-10-02T06:00:00.000Z" });
  const oct = memorySnapshot(
    [
      baseTask(1, { approved_date: "2026-09-10T14:00:00Z" }),
      unmapped,
      baseTask(2, { task_type: "install_aerial_fiber", approved_date: "2026-11-01T03:30:00Z", units: [{ unit_code: "AF-144CT", quantity: 1000, uom: "ft" }], photos: [{ url: "p/2.jpg" }] }),
      baseTask(3, { task_type: "install_vault", approved_date: "2026-09-25T14:00:00Z", units: [{ unit_code: "VLT-3048-PC", quantity: 1, uom: "each" }] }),
    ],
    { fetchedAt: "2026-11-03T06:00:00.000Z" },
  );
  const now = () => new Date("2026-11-03T07:00:00Z");
  await runMonthEnd({ register: store, snapshot: sep, rules, period: "2026-09", out: join(dir, "2026-09"), workbook: false, now });
  const october = await runMonthEnd({ register: store, snapshot: oct, rules, period: "2026-10", out: join(dir, "2026-10"), workbook: false, now });
  return { store, october };
}

const CLOSED_AT = () => new Date("2026-11-03T07:00:00Z");

/** September and October closed on a new register from these tasks (and projects), then `check` on it. */
async function afterTwoCloses(
  september: Array<Record<string, unknown>>,
  october: Array<Record<string, unknown>>,
  check: (store: RegisterStore, dir: string) => Promise<void>,
  projects: { september?: Array<Record<string, unknown>>; october?: Array<Record<string, unknown>> } = {},
): Promise<void> {
  const dir = tmp();
  const rules = await loadDefaultRules();
  const store = await RegisterStore.open(join(dir, "capex.db"));
  try {
    const close = (period: string, tasks: Array<Record<string, unknown>>, p: Array<Record<string, unknown>> | undefined, fetchedAt: string) =>
      runMonthEnd({ register: store, snapshot: memorySnapshot(tasks, { projects: p, fetchedAt }), rules, period, out: join(dir, period), workbook: false, now: CLOSED_AT });
    await close("2026-09", september, projects.september, "2026-10-02T06:00:00.000Z");
    await close("2026-10", october, projects.october, "2026-11-03T06:00:00.000Z");
    await check(store, dir);
  } finally {
    await store.close();
  }
}

describe("capex audit, from the register alone", () => {
  it("a period closed again after a reopen: the report names the close the reopen removed, who reopened it, when and why", async () => {
    const dir = tmp();
    const { store } = await twoCloses(dir);
    try {
      const first = (await store.closedPeriod("2026-10"))!;
      await reopenPeriod(store, "2026-10", { reason: "wrong snapshot", now: () => new Date("2026-11-03T09:00:00Z") });
      const oct = await runMonthEnd({ register: store, snapshot: memorySnapshot([baseTask(1, { approved_date: "2026-09-10T14:00:00Z" })], { fetchedAt: "2026-11-03T08:00:00.000Z" }), rules: await loadDefaultRules(), period: "2026-10", out: join(dir, "again"), workbook: false, now: () => new Date("2026-11-03T10:00:00Z") });
      expect(oct.status).toBe("closed");
      const r = await gatherAuditReport(store, "2026-10", { seed: "s1", now: () => new Date("2026-11-04T00:00:00Z") });
      expect(r.scope.reopens).toEqual([{ reopenedAt: "2026-11-03T09:00:00.000Z", reopenedBy: closedBy(), reason: "wrong snapshot", closedAt: first.closedAt, closedBy: first.closedBy }]);
      expect(r.scope.closedAt).toBe("2026-11-03T10:00:00.000Z");
      // September was never reopened.
      expect((await gatherAuditReport(store, "2026-09", { seed: "s1" })).scope.reopens).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("an earlier period's report reads as it did at its close: its sample's depreciation stops at the period", async () => {
    const dir = tmp();
    const { store } = await twoCloses(dir);
    try {
      const r = await gatherAuditReport(store, "2026-09", { seed: "s1", now: () => new Date("2026-11-04T00:00:00Z") });
      // 1,924.00 over 600 months: 3.21 a month; October's is not September's to show.
      expect(r.sample.items.map((i) => [i.assetId, i.schedule])).toEqual([["P1-1", [{ period: "2026-09", amount: 321, otherChanges: 0, accumulated: 321, cost: 192_400 }]]]);
    } finally {
      await store.close();
    }
  });

  it("gathers the period's rollforward, ties, exceptions open, cut-off and a traced sample", async () => {
    const dir = tmp();
    const { store, october } = await twoCloses(dir);
    try {
      const r = await gatherAuditReport(store, "2026-10", { seed: "s1", now: () => new Date("2026-11-04T00:00:00Z") });
      expect(r.rollforward).toEqual(october.result.rollforward);
      expect(r.identities).toEqual(october.result.identities);
      expect(r.continuity).toEqual(october.result.ties.continuity);
      expect(r.scope).toMatchObject({ rulesFile: "rules/render-fiber.yaml", snapshotSha256: october.result.snapshot.manifestSha256, closedAt: "2026-11-03T07:00:00.000Z", generatedAt: "2026-11-04T00:00:00.000Z" });
      expect(r.scope.outputHashes).toEqual(october.manifest.files);
      // The aerial fiber (addition) and the late vault (1 × 2,444.00 on the rate card); the
      // September conduit is not October's.
      expect(r.additions.map((a) => [a.assetId, a.kind, a.cost])).toEqual([
        ["P1-2", "addition", 400_000],
        ["P1-3", "late_addition", 244_400],
      ]);
      // The unmapped task has been open since the September close: two closes.
      expect(r.exceptions.find((e) => e.code === "UNMAPPED_TASK_TYPE")).toMatchObject({ taskId: 9, openSince: "2026-09", periodsOpen: 2 });
      // 03:30 UTC on 1 November is 23:30 on 31 October in New York: October's.
      expect(r.cutoff).toEqual([
        {
          project: "P1",
          taskId: 2,
          taskType: "install_aerial_fiber",
          approvedAtUtc: "2026-11-01T03:30:00Z",
          approvedAtLocal: "2026-10-31T23:30:00-04:00",
          timeZone: "America/New_York",
          inServiceDate: "2026-10-31",
          periodLanded: "2026-10",
          outcome: "capitalized",
          amount: 400_000,
        },
      ]);
      const item = r.sample.items.find((i) => i.assetId === "P1-2")!;
      expect(item).toMatchObject({
        approvedAtUtc: "2026-11-01T03:30:00Z",
        approvedAtLocal: "2026-10-31T23:30:00-04:00",
        timeZone: "America/New_York",
        inServiceDate: "2026-10-31",
        cost: 400_000,
        ruleId: "task_types.install_aerial_fiber",
        rulesVersion: "2026.1",
        photos: ["p/2.jpg"],
        schedule: [{ period: "2026-10", amount: 1667, otherChanges: 0, accumulated: 1667 }],
      });
      expect(item.journalLines.map((l) => `${l.journalId} ${l.account} ${l.debit} ${l.credit}`)).toEqual([
        "CAP-2026-10-P1 2410 400000 0",
        "CAP-2026-10-P1 1790 0 400000",
        "DEP-2026-10-P1 6561 1667 0",
        "DEP-2026-10-P1 3110 0 1667",
      ]);
      // Σ depreciable basis ÷ life, a month, against what was posted, by class.
      expect(r.reasonableness.find((x) => x.faClass === "Fiber Plant")).toEqual({ faClass: "Fiber Plant", cost: 400_000, expected: 1667, recorded: 1667, difference: 0 });
    } finally {
      await store.close();
    }
  });

  it("writes the PDF and the sample; the same seed draws the same sample, byte for byte", async () => {
    const dir = tmp();
    const { store } = await twoCloses(dir);
    try {
      const now = () => new Date("2026-11-04T00:00:00Z");
      const one = await auditReport({ store, period: "2026-10", out: join(dir, "a"), seed: "s1", now });
      const two = await auditReport({ store, period: "2026-10", out: join(dir, "b"), seed: "s1", now });
      expect(readFileSync(join(dir, "a", "audit-sample.csv"))).toEqual(readFileSync(join(dir, "b", "audit-sample.csv")));
      expect(readFileSync(join(dir, "a", "audit-2026-10.pdf"))).toEqual(readFileSync(join(dir, "b", "audit-2026-10.pdf")));
      expect(one.files).toEqual([join(dir, "a", "audit-2026-10.pdf"), join(dir, "a", "audit-sample.csv")]);
      // Without a folder: beside the outputs, in the folder the close wrote (dir/2026-10 here, not out/2026-10).
      const beside = await auditReport({ store, period: "2026-10", seed: "s1", now });
      expect(beside.files).toEqual([join(dir, "2026-10", "audit-2026-10.pdf"), join(dir, "2026-10", "audit-sample.csv")]);
      expect(readFileSync(join(dir, "2026-10", "audit-sample.csv"))).toEqual(readFileSync(join(dir, "a", "audit-sample.csv")));
      expect(two.report.sample.seed).toBe("s1");
      const text = await pdfText(join(dir, "a", "audit-2026-10.pdf"));
      expect(text).toContain("capex audit --period 2026-10 --seed s1");
      expect(text).toContain("Sample item 1 of");
      expect(text).toContain("4,000.00");
      // A file fiber-capex did not write is never replaced.
      const c = join(dir, "c");
      await auditReport({ store, period: "2026-10", out: c, seed: "s1", now });
      // Its own files it replaces: run again, with another seed.
      await auditReport({ store, period: "2026-10", out: c, seed: "s2", now });
      expect(await pdfText(join(c, "audit-2026-10.pdf"))).toContain("capex audit --period 2026-10 --seed s2");
      // Another PDF of that name (not fiber-capex's) is refused like the notes below.
      const foreign = join(dir, "d");
      mkdirSync(foreign);
      writeFileSync(join(foreign, "audit-2026-10.pdf"), "%PDF-1.7\n1 0 obj\n<< /Creator 2 0 R >>\nendobj\n2 0 obj\n(Microsoft Word)\nendobj\n%%EOF\n");
      await expect(auditReport({ store, period: "2026-10", out: foreign, seed: "s1", now })).rejects.toMatchObject({ code: "OUTPUT_FOLDER" });
      writeFileSync(join(c, "audit-sample.csv"), "my own notes\n");
      await expect(auditReport({ store, period: "2026-10", out: c, seed: "s1", now })).rejects.toMatchObject({ code: "OUTPUT_FOLDER" });
      expect(readFileSync(join(c, "audit-sample.csv"), "utf8")).toBe("my own notes\n");
      // --out naming a file: refused in plain words, nothing written.
      const file = join(dir, "afile");
      writeFileSync(file, "");
      await expect(auditReport({ store, period: "2026-10", out: file, seed: "s1", now })).rejects.toMatchObject({
        code: "OUTPUT_FOLDER",
        message: `${file}: cannot be written: part of the path is a file, not a folder. Nothing was written. Choose a folder you can write to.`,
      });
    } finally {
      await store.close();
    }
  });

  it("stays beside the outputs it describes; a close of the reopened period on other inputs renames it superseded and says so", async () => {
    const dir = tmp();
    const rules = await loadDefaultRules();
    const store = await RegisterStore.open(join(dir, "capex.db"));
    try {
      const out = join(dir, "2026-10");
      const conduit = baseTask(1, { approved_date: "2026-09-10T14:00:00Z" });
      const vault = baseTask(3, { task_type: "install_vault", approved_date: "2026-10-05T14:00:00Z", units: [{ unit_code: "VLT-3048-PC", quantity: 1, uom: "each" }] });
      const october = memorySnapshot([conduit, vault], { fetchedAt: "2026-11-03T06:00:00.000Z" });
      const close = (snapshot: ReturnType<typeof memorySnapshot>) => runMonthEnd({ register: store, snapshot, rules, period: "2026-10", out, workbook: false, now: CLOSED_AT });
      await runMonthEnd({ register: store, snapshot: memorySnapshot([conduit], { fetchedAt: "2026-10-02T06:00:00.000Z" }), rules, period: "2026-09", out: join(dir, "2026-09"), workbook: false, now: CLOSED_AT });
      await close(october);
      await auditReport({ store, period: "2026-10", out, seed: "s1", now: CLOSED_AT });
      const pdf = readFileSync(join(out, "audit-2026-10.pdf"));
      const sample = readFileSync(join(out, "audit-sample.csv"));
      // A re-run writes the same outputs: the report still describes them and stays.
      expect((await close(october)).status).toBe("rewritten");
      expect(readFileSync(join(out, "audit-2026-10.pdf"))).toEqual(pdf);
      // Reopened and closed without the vault: the report describes a close that is gone.
      await reopenPeriod(store, "2026-10");
      const again = await close(memorySnapshot([conduit], { fetchedAt: "2026-11-03T06:00:00.000Z" }));
      expect(again.warnings).toEqual([
        `the audit report in ${out} was of an earlier close of 2026-10, whose outputs differ from these: renamed audit-2026-10.pdf to audit-2026-10.superseded.pdf and audit-sample.csv to audit-sample.superseded.csv. Run capex audit --period 2026-10 for this close's report.`,
      ]);
      expect(readdirSync(out).filter((n) => n.startsWith("audit"))).toEqual(["audit-2026-10.superseded.pdf", "audit-sample.superseded.csv"]);
      expect(readFileSync(join(out, "audit-2026-10.superseded.pdf"))).toEqual(pdf);
      expect(readFileSync(join(out, "audit-sample.superseded.csv"))).toEqual(sample);
    } finally {
      await store.close();
    }
  });

  it("keeps open an exception of a project a later partial fetch did not cover", () => {
    const p1 = baseTask(1, { approved_date: "2026-09-10T14:00:00Z" });
    const unmapped = baseTask(9, { project_short_name: "P2", task_type: "install_microduct", approved_date: "2026-09-20T14:00:00Z" });
    // October's fetch covered P1 only (capex fetch --project P1): P2's task was not looked at.
    return afterTwoCloses([p1, unmapped], [p1], async (store) => {
      const open = (await gatherAuditReport(store, "2026-10", { seed: "s1", now: CLOSED_AT })).exceptions;
      expect(open.map((e) => [e.project, e.taskId, e.code, e.openSince, e.periodsOpen])).toEqual([["P2", 9, "UNMAPPED_TASK_TYPE", "2026-09", 2]]);
    }, { september: [P1, P2], october: [P1] });
  });

  it("a sampled cost change shows the change drawn beside the asset's cost", () => {
    const conduit = (feet: number) => baseTask(1, { approved_date: "2026-09-10T14:00:00Z", units: [{ unit_code: "CND-2IN-HDPE", quantity: feet, uom: "ft" }] });
    // The as-built survey says 150 ft: 50 ft × 19.24 = 962.00 more, 2,886.00 in all.
    // And a task in service on 1 November: the cut-off test lists it as the next close's.
    const november = baseTask(5, { approved_date: "2026-11-01T15:00:00Z" });
    // Aerial fiber (Fiber Plant) retyped as conduit in October, at the same cost: reclassified
    // into P1-1's class, in the same adjustment entry, but none of P1-1's lines.
    const retyped = (taskType: string) => baseTask(3, { task_type: taskType, approved_date: "2026-09-12T14:00:00Z", units: [{ unit_code: "AF-144CT", quantity: 1000, uom: "ft" }] });
    return afterTwoCloses([conduit(100), retyped("install_aerial_fiber")], [conduit(150), november, retyped("install_conduit")], async (store, dir) => {
      const { report } = await auditReport({ store, period: "2026-10", out: join(dir, "audit"), seed: "s1", now: CLOSED_AT });
      expect(report.sample.items.map((i) => [i.assetId, i.kind, i.cost, i.sampledAmount])).toEqual([["P1-1", "cost_change", 288_600, 96_200]]);
      // The lines P1-1 reached, as capex trace finds them: not every line of its project and class.
      expect(report.sample.items[0]!.journalLines.map((l) => `${l.journalId} ${l.line} ${l.account} ${l.debit} ${l.credit} ${l.memo}`)).toEqual([
        "ADJ-2026-10-P1 3 2430 96200 0 2026-10 cost changes, Infrastructure",
        "ADJ-2026-10-P1 4 1790 0 96200 2026-10 cost changes, Infrastructure",
        // The class's catch-up nets P1-1's with P1-3's reversal (600 months as conduit, not 240).
        "ADJ-2026-10-P1 5 3130 840 0 2026-10 depreciation catch-up, Infrastructure",
        "ADJ-2026-10-P1 6 6562 0 840 2026-10 depreciation catch-up, Infrastructure",
        "DEP-2026-10-P1 1 6562 1147 0 2026-10 depreciation, Infrastructure",
        "DEP-2026-10-P1 2 3130 0 1147 2026-10 depreciation, Infrastructure",
      ]);
      expect(report.cutoff.map((x) => [x.taskId, x.periodLanded, x.outcome, x.amount])).toEqual([[5, "2026-11", "next close: capitalized", 192_400]]);
      const text = (await pdfText(join(dir, "audit", "audit-2026-10.pdf"))).replace(/\s+/g, " ");
      expect(text).toContain("Amount sampled 962.00, the cost change");
      expect(text).toContain("Asset cost after the change 2,886.00 (not sampled: the cost change is the population's amount)");
    });
  });

  it("names each account of the ledger tie, one the period posted nothing to by an earlier period's lines", () => {
    const conduit = baseTask(1, { approved_date: "2026-09-10T14:00:00Z" });
    return afterTwoCloses([conduit], [conduit], async (store, dir) => {
      let { report } = await auditReport({ store, period: "2026-10", out: join(dir, "audit"), seed: "s1", now: CLOSED_AT });
      const tie = () => report.ledgerTie.map((t) => `${t.account} ${t.accountName} ${t.faClass}`);
      expect(tie()).toEqual([
        "2410 Fiber plant - cable Fiber Plant",
        "3110 Accumulated depreciation - fiber plant Fiber Plant",
        "2430 Outside plant infrastructure Infrastructure",
        "3130 Accumulated depreciation - outside plant infrastructure Infrastructure",
        "2440 Tools and work equipment Equipment (Tooling)",
        "3140 Accumulated depreciation - tools and work equipment Equipment (Tooling)",
        "2450 Test equipment Test Equipment",
        "3150 Accumulated depreciation - test equipment Test Equipment",
      ]);
      // A close before 0.6.0 kept no names with its ties: each is named by the register's
      // latest journal line to it (2430 by September's capitalization, nothing in October),
      // and left blank where nothing has posted to it yet (not repeated as its number).
      const row = await store.db.selectFrom("period_reports").select("report").where("period", "=", "2026-10").executeTakeFirstOrThrow();
      const old = JSON.parse(row.report);
      for (const t of old.ties.ledger) delete t.accountName;
      await store.db.updateTable("period_reports").set({ report: JSON.stringify(old) }).where("period", "=", "2026-10").execute();
      ({ report } = await auditReport({ store, period: "2026-10", out: join(dir, "audit"), seed: "s1", now: CLOSED_AT }));
      expect(tie()).toEqual([
        "2410  Fiber Plant",
        "3110  Fiber Plant",
        "2430 Outside plant infrastructure Infrastructure",
        "3130 Accumulated depreciation - outside plant infrastructure Infrastructure",
        "2440  Equipment (Tooling)",
        "3140  Equipment (Tooling)",
        "2450  Test Equipment",
        "3150  Test Equipment",
      ]);
    });
  });

  it("lists each sampled item at its amount in the population, so the sample never totals more than the population", () => {
    const conduit = (id: number, feet: number) => baseTask(id, { approved_date: "2026-09-10T14:00:00Z", units: [{ unit_code: "CND-2IN-HDPE", quantity: feet, uom: "ft" }] });
    // October: P1-1 grows 100 → 150 ft (+962.00, now 2,886.00), P1-2 shrinks 150 → 100 ft
    // (−962.00: no monetary units, left out), and aerial fiber P1-3 is added (1,000 ft × 4.00).
    const aerial = baseTask(3, { task_type: "install_aerial_fiber", approved_date: "2026-10-20T14:00:00Z", units: [{ unit_code: "AF-144CT", quantity: 1000, uom: "ft" }] });
    return afterTwoCloses([conduit(1, 100), conduit(2, 150)], [conduit(1, 150), conduit(2, 100), aerial], async (store, dir) => {
      const { report } = await auditReport({ store, period: "2026-10", out: join(dir, "audit"), seed: "s1", now: CLOSED_AT });
      const s = report.sample;
      expect(report.additions.map((a) => [a.assetId, a.kind, a.cost])).toEqual([
        ["P1-1", "cost_change", 96_200],
        ["P1-2", "cost_change", -96_200],
        ["P1-3", "addition", 400_000],
      ]);
      // BV = 962.00 + 4,000.00; n = 60, J = ⌊496,200 / 60⌋ = 8,270: both items are the top stratum.
      expect([s.population, s.populationItems, s.excludedItems, s.interval]).toEqual([496_200, 2, 1, 8_270]);
      expect(s.items.map((i) => [i.assetId, i.kind, i.selection, i.sampledAmount, i.cost])).toEqual([
        ["P1-1", "cost_change", "top stratum", 96_200, 288_600],
        ["P1-3", "addition", "top stratum", 400_000, 400_000],
      ]);
      expect(s.items.reduce((t, i) => t + i.sampledAmount, 0)).toBe(s.population);
      // The PDF's table: the change, the asset's cost beside it outside the total; the total is the population.
      const text = (await pdfText(join(dir, "audit", "audit-2026-10.pdf"))).replace(/\s+/g, " ");
      expect(text).toContain("Population (BV) 4,962.00 in 2 items (1 with no monetary units left out)");
      expect(text).toContain("1 P1-1 top stratum cost_change Infrastructure 962.00 2,886.00");
      expect(text).toContain("2 P1-3 top stratum addition Fiber Plant 4,000.00");
      expect(text).toMatch(/ Total 4,962\.00 /);
      expect(text).not.toContain("7,848.00");
      const csv = readFileSync(join(dir, "audit", "audit-sample.csv"), "utf8").split("\r\n");
      expect(csv[0]).toMatch(/^asset_id,selection,point,kind,sampled_amount,project,.*,cost,/);
      expect(csv[1]).toMatch(/^P1-1,top stratum,,cost_change,962\.00,P1,1,.*,2886\.00,/);
      expect(csv[2]).toMatch(/^P1-3,top stratum,,addition,4000\.00,P1,3,.*,4000\.00,/);
    });
  });

  it("replaces an audit-sample.csv it wrote before the sampled_amount column", () => {
    return afterTwoCloses([baseTask(1, { approved_date: "2026-09-10T14:00:00Z" })], [baseTask(1, { approved_date: "2026-09-10T14:00:00Z" }), baseTask(2)], async (store, dir) => {
      const out = join(dir, "audit");
      mkdirSync(out);
      const before = "asset_id,selection,point,kind,project,task_id,task_type,fa_class,approved_by,approved_at_utc,approved_at_local,time_zone,in_service_date,cost,rule_id,rules_version,rate_ids,unit_lines,journal_ids,street_address,longitude,latitude,photos";
      writeFileSync(join(out, "audit-sample.csv"), `${before}\r\n`);
      await auditReport({ store, period: "2026-10", out, seed: "s1", now: CLOSED_AT });
      expect(readFileSync(join(out, "audit-sample.csv"), "utf8")).toMatch(/^asset_id,selection,point,kind,sampled_amount,/);
    });
  });

  it("capex audit writes beside the outputs of a close given a relative --out, and in out/PERIOD once they are gone from there", async () => {
    const cwd = tmp();
    const snapshot = await writeSnapshot([baseTask(1, { approved_date: "2026-09-10T14:00:00Z" })]);
    const run = promisify(execFile);
    const capex = (args: string[]) => run(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH, HOME: tmp() } });
    await capex(["close", "--period", "2026-09", "--snapshot", snapshot, "--out", "closes/september", "--db", "capex.db", "--no-workbook"]);
    await capex(["audit", "--period", "2026-09", "--db", "capex.db"]);
    expect(readdirSync(join(cwd, "closes", "september")).filter((f) => f.startsWith("audit"))).toEqual(["audit-2026-09.pdf", "audit-sample.csv"]);
    // The outputs moved away: the recorded folder no longer holds them, so the close's default folder.
    renameSync(join(cwd, "closes"), join(cwd, "archive"));
    await capex(["audit", "--period", "2026-09", "--db", "capex.db"]);
    expect(readdirSync(join(cwd, "out", "2026-09")).sort()).toEqual(["audit-2026-09.pdf", "audit-sample.csv"]);
  }, 60_000);

  it("refuses a period the register has not closed, naming the closed ones (exit 2)", async () => {
    const dir = tmp();
    const { store } = await twoCloses(dir);
    await store.close();
    const run = promisify(execFile);
    const r = await run(process.execPath, [CLI, "audit", "--period", "2026-11", "--db", join(dir, "capex.db")], { env: { PATH: process.env.PATH, HOME: tmp() } }).catch((e) => e);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`capex: 2026-11 is not closed in the register ${join(dir, "capex.db")}; its closed periods are 2026-09, 2026-10. Close 2026-11 first (capex close --period 2026-11). Only a closed period can be audited.\n`);
  }, 60_000);
});
