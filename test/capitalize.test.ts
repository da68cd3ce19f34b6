import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { Classifier, classifyRecords, classifyTask, type ProjectZone } from "../src/capitalize/classify.js";
import { priceTask } from "../src/capitalize/price.js";
import { type Task, taskSchema } from "../src/render/schemas.js";
import { loadRules } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { writeDemoFixtures } from "../src/sandbox/demo-fixtures.js";
import { baseTask, tmp } from "./helpers.js";

let rules: Rules;
beforeAll(async () => {
  rules = await loadRules("rules/render-fiber.yaml");
});

const NY: ProjectZone = { shortName: "P1", timeZone: "America/New_York", defaulted: false };
const SYD: ProjectZone = { shortName: "P1", timeZone: "Australia/Sydney", defaulted: false };
const task = (id: number, extra: Record<string, unknown> = {}): Task => taskSchema.parse(baseTask(id, extra));

describe("in-service date", () => {
  it("is the approval instant's date in the project's time zone", () => {
    const t = task(1, { approved_date: "2026-10-31T23:30:00Z", asset_id: "A-1" });
    const ny = classifyTask(t, NY, rules);
    const syd = classifyTask(t, SYD, rules);
    expect(ny.kind === "asset" && ny.asset.inServiceDate).toBe("2026-10-31");
    expect(syd.kind === "asset" && syd.asset.inServiceDate).toBe("2026-11-01");
  });

  it("reads a bare date as already local and a date-time without offset as UTC", () => {
    const bare = classifyTask(task(1, { approved_date: "2026-10-31" }), SYD, rules);
    expect(bare.kind === "asset" && bare.asset.inServiceDate).toBe("2026-10-31");
    const naive = classifyTask(task(1, { approved_date: "2026-10-31T20:00:00" }), SYD, rules);
    expect(naive.kind === "asset" && naive.asset.inServiceDate).toBe("2026-11-01");
  });
});

describe("pricing", () => {
  it("uses the rate in force on the in-service date", () => {
    const dec31 = priceTask(task(1), "2025-12-31", rules);
    const jan1 = priceTask(task(1), "2026-01-01", rules);
    expect(dec31).toMatchObject({ ok: true, cost: 185000, elements: [{ rateId: "R25-CND-2IN", rate: "18.5", quantity: "100" }] });
    expect(jan1).toMatchObject({ ok: true, cost: 192400, elements: [{ rateId: "R26-CND-2IN", rate: "19.24" }] });
  });

  it("prefers a line's amount, then its own rate, then the rate card, and rounds each line half-up", () => {
    const t = task(1, {
      units: [
        { unit_code: "MISC-TOOLS", quantity: 2, amount: "1793.07" },
        { unit_code: "CAB-FDH-288", quantity: 3, rate: "0.335" }, // 1.005 exactly: half-up gives 1.01 (a float gives 1.00)
        { unit_code: "AF-144CT", quantity: "0.1", uom: "ft" }, // 0.385 → 0.39
      ],
    });
    const p = priceTask(t, "2025-06-01", rules);
    expect(p).toMatchObject({ ok: true, cost: 179307 + 101 + 39 });
    expect(p.ok && p.elements.map((e) => [e.source, e.amount, e.rateId])).toEqual([
      ["line_amount", 179307, undefined],
      ["line_rate", 101, undefined],
      ["rate_card", 39, "R25-AF-144"],
    ]);
  });

  it("prices a task without unit lines at its quantity × the task type's rate", () => {
    const t = task(1, { task_type: "install_strand", units: [], quantity: "850" });
    expect(priceTask(t, "2026-03-01", rules)).toMatchObject({ ok: true, cost: 207400, elements: [{ source: "task_type_rate", rateId: "R26-STRAND" }] });
  });

  it("keeps cost elements that always sum to the cost, each exact to the cent (property)", () => {
    const decimal = fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 9999 })).map(([w, f]) => `${w}.${String(f).padStart(4, "0")}`);
    fc.assert(
      fc.property(fc.array(fc.tuple(decimal, decimal), { minLength: 1, maxLength: 8 }), (lines) => {
        const t = task(1, { units: lines.map(([q, r]) => ({ unit_code: "X", quantity: q, rate: r })) });
        const p = priceTask(t, "2026-01-01", rules);
        if (!p.ok) return false;
        // Independent reference: integer arithmetic on ten-thousandths, half-up to cents.
        const expected = lines.map(([q, r]) => {
          const product = BigInt(q.replace(".", "")) * BigInt(r.replace(".", "")); // scale 10^8
          return Number((product + 500_000n) / 1_000_000n);
        });
        expect(p.elements.map((e) => e.amount)).toEqual(expected);
        expect(p.cost).toBe(expected.reduce((a, b) => a + b, 0));
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe("treatments and thresholds", () => {
  it("expenses an expense task type to its account, and records a none type with no amount", () => {
    const permit = classifyTask(task(1, { task_type: "permitting", units: [{ unit_code: "PERMIT-ROW", quantity: 1, amount: 650 }] }), NY, rules);
    expect(permit).toMatchObject({ kind: "expensed", item: { treatment: "expense", amount: 65000, reason: "EXPENSE_TREATMENT", account: "6720" } });
    const obs = classifyTask(task(2, { task_type: "field_observation", units: [] }), NY, rules);
    expect(obs).toMatchObject({ kind: "expensed", item: { treatment: "none", amount: 0, reason: "NO_FINANCIAL_EFFECT" } });
  });

  it("expenses work below the general threshold and miscellaneous works below the per-unit threshold", () => {
    const anchor = classifyTask(task(1, { task_type: "install_pedistal", units: [{ unit_code: "X", quantity: 1, rate: "249.99" }] }), NY, rules);
    expect(anchor).toMatchObject({ kind: "expensed", item: { reason: "BELOW_THRESHOLD", amount: 24999, account: "6590" } });
    const at = classifyTask(task(1, { task_type: "install_pedistal", units: [{ unit_code: "X", quantity: 1, rate: "250.00" }] }), NY, rules);
    expect(at.kind).toBe("asset");
    const misc = classifyTask(task(1, { task_type: "miscellaneous_works", units: [{ unit_code: "MISC-TOOLS", quantity: 3, amount: "2999.97" }] }), NY, rules);
    expect(misc).toMatchObject({ kind: "expensed", item: { reason: "BELOW_THRESHOLD", amount: 299997 } });
    const misc2 = classifyTask(task(1, { task_type: "miscellaneous_works", units: [{ unit_code: "MISC-TOOLS", quantity: 3, amount: "3000.00" }] }), NY, rules);
    expect(misc2).toMatchObject({ kind: "asset", asset: { faClass: "Equipment (Tooling)", lifeMonths: 60, cost: 300000 } });
  });

  it("keeps what a continuing property record needs", () => {
    const t = task(77, {
      street_address: "12 Oak Ave",
      road_name: "Oak Ave",
      work_package: "WP-004",
      subsector: "SS-2",
      geometry: { type: "LineString", coordinates: [[-97.5, 30.25], [-97.4, 30.3]] },
      // Render's photo entries are undocumented: a url, a bare id, and an empty placeholder.
      photos: [{ url: "photos/P1/77/pole.jpg" }, { id: 991 }, {}],
    });
    const out = classifyTask(t, NY, rules);
    expect(out).toEqual({
      kind: "asset",
      asset: {
        assetId: "P1-77",
        project: "P1",
        taskId: 77,
        taskType: "install_conduit",
        description: "Underground conduit (PVC/HDPE)",
        faClass: "Infrastructure",
        quantity: "100",
        uom: "ft",
        location: { streetAddress: "12 Oak Ave", roadName: "Oak Ave", workPackage: "WP-004", subsector: "SS-2", longitude: -97.5, latitude: 30.25 },
        inServiceDate: "2026-10-15",
        approvedBy: "a.kowalski",
        approvedAt: "2026-10-15T15:00:00Z",
        timeZone: "America/New_York",
        timeZoneDefaulted: false,
        photos: ["photos/P1/77/pole.jpg", "991"],
        cost: 192400,
        salvage: 0,
        elements: [{ source: "rate_card", line: 0, unitCode: "CND-2IN-HDPE", quantity: "100", uom: "ft", rate: "19.24", rateId: "R26-CND-2IN", amount: 192400 }],
        ruleId: "task_types.install_conduit",
        rateIds: ["R26-CND-2IN"],
        lifeMonths: 600,
        method: "straight_line",
        convention: "full_month",
        decliningBalanceRate: "2",
      },
    });
  });
});

describe("exceptions", () => {
  const codeOf = (extra: Record<string, unknown>, zone = NY) => {
    const out = classifyTask(task(5, extra), zone, rules);
    return out.kind === "exception" ? [out.exception.code, out.exception.message] : [out.kind, ""];
  };

  it("raises each code with a message that says what to fix", () => {
    expect(codeOf({ task_type: "install_microduct" })).toEqual([
      "UNMAPPED_TASK_TYPE",
      'task type "install_microduct" is not in the rules file; add it under task_types with a treatment',
    ]);
    expect(codeOf({ units: [], quantity: null })).toEqual(["NO_COST_BASIS", "the task has neither unit lines nor a quantity; add the installed units in Render"]);
    expect(codeOf({ units: [{ unit_code: "AF-864CT", quantity: 5 }] })).toEqual([
      "UNKNOWN_UNIT_CODE",
      "unit code AF-864CT is not in the rate card; add it to rate_card in the rules file or correct the unit line in Render",
    ]);
    expect(codeOf({ units: [{ unit_code: "AF-144CT", quantity: 5 }], approved_date: "2024-06-01T12:00:00Z" })).toEqual([
      "UNKNOWN_UNIT_CODE",
      "no rate for unit code AF-144CT is in force on 2024-06-01 (the earliest takes effect 2025-01-01); add one to rate_card in the rules file",
    ]);
    expect(codeOf({ approved_date: "", status: "approved" })).toEqual([
      "MISSING_APPROVAL_DATE",
      "status is approved but approved_date is empty; Render must record the approval date before the task can be capitalized",
    ]);
    expect(codeOf({ units: [{ unit_code: "UGF-144CT", quantity: -250 }] })).toEqual([
      "NEGATIVE_QUANTITY",
      "units[0].quantity is -250 (UGF-144CT); correct the unit line in Render",
    ]);
    expect(codeOf({ units: [], quantity: -3, task_type: "install_strand" })).toEqual(["NEGATIVE_QUANTITY", "quantity is -3; correct the quantity in Render"]);
    expect(codeOf({ units: [{ unit_code: "X", quantity: 1, amount: "-10.00" }] })).toEqual([
      "NEGATIVE_AMOUNT",
      "units[0].amount is -10.00; a credit cannot be capitalized, correct it in Render",
    ]);
  });

  it("counts completed work without an approval date as not yet approved, not as an exception", () => {
    expect(codeOf({ approved_date: "", status: "completed" })).toEqual(["not_approved", ""]);
  });

  it("turns invalid tasks, duplicate asset ids and projects without a time zone into rows", () => {
    const projects = [
      { name: "One", short_name: "P1", timezone: "America/New_York" },
      { name: "Two", short_name: "P2", timezone: "" },
    ];
    const c = new Classifier(rules, projects);
    const rec = (line: number, raw: Record<string, unknown>) => {
      const parsed = taskSchema.safeParse(raw);
      return { line, raw, task: parsed.success ? parsed.data : undefined, issue: parsed.success ? undefined : { path: "quantity", message: 'quantity: not a number: "12,5"' } };
    };
    c.add(rec(1, baseTask(1, { asset_id: "DUP" })));
    c.add(rec(2, baseTask(2, { asset_id: "DUP" })));
    c.add(rec(3, baseTask(3, { quantity: "12,5" })));
    c.add(rec(4, baseTask(4, { project_short_name: "P2" })));
    const r = c.finish();
    expect(r.assets.map((a) => a.assetId)).toEqual(["P2-4"]);
    expect(r.assets[0]?.inServiceDate).toBe("2026-10-15");
    expect(r.exceptions.map((e) => [e.project, e.taskId ?? "", e.code, e.severity])).toEqual([
      ["P2", "", "NO_TIME_ZONE", "warning"],
      ["P1", 3, "INVALID_TASK", "error"],
      ["P1", 1, "DUPLICATE_ASSET_ID", "error"],
      ["P1", 2, "DUPLICATE_ASSET_ID", "error"],
    ]);
    expect(r.exceptions[1]?.message).toBe('tasks.jsonl line 3: quantity: not a number: "12,5"; correct the field in Render and fetch again');
    expect(r.exceptions[2]?.message).toBe("asset id DUP is used by 2 tasks (P1#1, P1#2); give each task its own asset_id in Render");
  });
});

describe("completeness on the demo snapshot", () => {
  it("puts every task in exactly one outcome", async () => {
    const s = await openSnapshot("fixtures/demo");
    const c = await classifyRecords(s.records(), rules, s.projects);
    const taskExceptions = c.exceptions.filter((e) => e.taskId !== undefined);
    expect(c.assets.length + c.expensed.length + taskExceptions.length + c.notApproved).toBe(c.tasksRead);
    const keys = [...c.assets.map((a) => `${a.project}#${a.taskId}`), ...c.expensed.map((e) => `${e.project}#${e.taskId}`), ...taskExceptions.map((e) => `${e.project}#${e.taskId}`)];
    expect(new Set(keys).size).toBe(keys.length);
    expect(c.tasksRead).toBe(720);
    expect([...new Set(c.exceptions.map((e) => e.code))].sort()).toEqual([
      "DUPLICATE_ASSET_ID",
      "INVALID_TASK",
      "MISSING_APPROVAL_DATE",
      "NEGATIVE_QUANTITY",
      "NO_COST_BASIS",
      "NO_TIME_ZONE",
      "UNKNOWN_UNIT_CODE",
      "UNMAPPED_TASK_TYPE",
    ]);
  });
});

describe("the demo fixtures", () => {
  it("are exactly what the seeded generator writes (npm run fixtures)", async () => {
    const dir = join(tmp(), "demo");
    await writeDemoFixtures(dir);
    for (const f of ["projects.json", "task_types.json", "tasks.jsonl", "invalid_tasks.json", "manifest.json"]) {
      expect(readFileSync(join(dir, f), "utf8")).toBe(readFileSync(join("fixtures/demo", f), "utf8"));
    }
  });
});
