import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import ExcelJS from "exceljs";
import { beforeAll, describe, expect, it } from "vitest";
import { classifyRecords } from "../src/capitalize/classify.js";
import { priceTask } from "../src/capitalize/price.js";
import { closePeriod } from "../src/close/close.js";
import { latestCompletePeriod, periodEndsAt } from "../src/close/period.js";
import { parsePeriod, periodEndDate } from "../src/dates.js";
import { CapexError, formatRulesProblem, InputError, RulesError } from "../src/errors.js";
import { compactCents, Dec, mulDivRoundHalfUp, toCents } from "../src/money.js";
import { taskSchema } from "../src/render/schemas.js";
import { writeCloseOutputs } from "../src/report/write.js";
import { checkRulesText, loadRules } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { NOT_FETCHED, SnapshotWriter } from "../src/snapshot/writer.js";
import { baseTask, tmp } from "./helpers.js";

const RULES_FILE = "rules/render-fiber.yaml";
const rulesText = readFileSync(RULES_FILE, "utf8");
let rules: Rules;
beforeAll(async () => {
  rules = await loadRules(RULES_FILE);
});

const NY = { name: "Project One", short_name: "P1", timezone: "America/New_York" };

/** A snapshot written as capex fetch writes one, fetched at `fetchedAt`. */
async function snapshotOf(tasks: Record<string, unknown>[], fetchedAt = "2026-11-02T06:00:00.000Z", projects: Record<string, unknown>[] = [NY]): Promise<string> {
  const dir = join(tmp("capex-hin-"), "snapshot");
  mkdirSync(dir, { recursive: true });
  const w = new SnapshotWriter(dir);
  await w.writeProjects(projects);
  await w.writeTaskTypes({});
  for (const t of tasks) await w.addTask(t, String(t.project_short_name ?? "P1"));
  await w.finish([], { ...NOT_FETCHED, api_base_url: "http://127.0.0.1:1", fetched_at: fetchedAt });
  return dir;
}

async function close(tasks: Record<string, unknown>[], period = "2026-10", extra: { fetchedAt?: string; allowOpenPeriod?: boolean; projects?: Record<string, unknown>[] } = {}) {
  const snapshot = await openSnapshot(await snapshotOf(tasks, extra.fetchedAt, extra.projects));
  return closePeriod({ snapshot, rules, period, allowOpenPeriod: extra.allowOpenPeriod });
}

const exceptionsOf = (r: Awaited<ReturnType<typeof close>>) => r.exceptions.map((e) => [e.taskId, e.code, e.message]);

describe("amounts beyond what integer cents can hold", () => {
  it("make that task an INVALID_TASK exception naming the field, and the close goes on", async () => {
    const r = await close([
      baseTask(1),
      baseTask(2, { quantity: 1e308, units: [] }),
      baseTask(3, { units: [{ unit_code: "CND-2IN-HDPE", quantity: 1, amount: Number("123456789012345678") }] }),
    ]);
    expect(r.additions.map((a) => a.asset.taskId)).toEqual([1]);
    expect(exceptionsOf(r)).toEqual([
      [2, "INVALID_TASK", "tasks.jsonl line 2: quantity: 1e+308 is beyond the largest figure fiber-capex accepts (100000000000); correct the field in Render and fetch again"],
      [3, "INVALID_TASK", "tasks.jsonl line 3: units[0].amount: 123456789012345680 is beyond the largest figure fiber-capex accepts (100000000000); correct the field in Render and fetch again"],
    ]);
  });

  it("in a product or a task's total are the task's INVALID_TASK, with the field path", () => {
    const price = (extra: Record<string, unknown>) => priceTask(taskSchema.parse(baseTask(1, extra)), "2026-10-15", rules);
    expect(price({ units: [{ unit_code: "CND-2IN-HDPE", quantity: "99999999999" }] })).toEqual({
      ok: false,
      code: "INVALID_TASK",
      message: "units[0].quantity: 99999999999 × rate 19.24 (R26-CND-2IN) is beyond the largest amount a task may carry (100000000000.00); correct the unit line in Render",
    });
    expect(price({ units: [{ quantity: "99999999999", rate: "3" }] })).toMatchObject({
      message: "units[0].quantity: 99999999999 × rate 3 is beyond the largest amount a task may carry (100000000000.00); correct the unit line in Render",
    });
    expect(price({ task_type: "install_strand", quantity: "99999999999", units: [] })).toMatchObject({
      message: "quantity: 99999999999 × rate 2.44 (R26-STRAND) is beyond the largest amount a task may carry (100000000000.00); correct the quantity in Render",
    });
    expect(price({ units: [{ amount: "60000000000" }, { amount: "60000000000" }] })).toMatchObject({
      code: "INVALID_TASK",
      message: "units: the lines' total 120000000000.00 is beyond the largest amount a task may carry (100000000000.00); correct the unit lines in Render",
    });
    expect(price({ units: [{ amount: "100000000000.00" }] })).toMatchObject({ ok: true, cost: 10 ** 13 });
  });

  it("are refused by toCents with a typed error, never a RangeError", () => {
    expect(() => toCents(new Dec("1e308"))).toThrow(InputError);
    expect(() => toCents(new Dec("100000000000.01"), "--cost")).toThrow("--cost: 100000000000.01 is beyond the largest amount fiber-capex accepts (100000000000.00); check the figure");
    expect(toCents(new Dec("-100000000000"))).toBe(-(10 ** 13));
  });

  it("are the same numbers when compacted to small integers: big amounts, fractions and -0 stay as they are", () => {
    expect([2_799_050, -2_799_050, 2 ** 31 - 1, -(2 ** 31)].map(compactCents)).toEqual([2_799_050, -2_799_050, 2 ** 31 - 1, -(2 ** 31)]);
    expect([2 ** 31, 10 ** 13, -(10 ** 13), 0.5, Number.MAX_SAFE_INTEGER].map(compactCents)).toEqual([2 ** 31, 10 ** 13, -(10 ** 13), 0.5, Number.MAX_SAFE_INTEGER]);
    expect(Object.is(compactCents(-0), -0)).toBe(true);
    expect(Object.is(toCents(new Dec("-0.001")), -0)).toBe(true);
    expect(mulDivRoundHalfUp(2 ** 40, 3, 7)).toBe(471_219_269_047);
  });

  it("stop a close whose totals would pass exact integer arithmetic, with a typed error", async () => {
    const tasks = Array.from({ length: 451 }, (_, i) => baseTask(i + 1, { units: [{ amount: "100000000000.00" }] }));
    const dir = await snapshotOf(tasks);
    const err = await closePeriod({ snapshot: await openSnapshot(dir), rules, period: "2026-10" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      `${dir}: the costs of the assets and expensed tasks in service by 2026-10-31 add up to more than 45035996273704.95, ` +
        "beyond what fiber-capex can total exactly in cents; look for absurd amounts in Render, or close fewer projects at a time",
    );
  }, 60_000);
});

describe("rules numbers", () => {
  const problemsOf = (t: string) => checkRulesText(t, "r.yaml").problems.filter((p) => p.severity === "error").map(formatRulesProblem);
  const lineOf = (t: string, needle: string) => t.slice(0, t.indexOf(needle)).split("\n").length;

  it("are bounded, each refusal with its path and line", () => {
    const t = rulesText
      .replace('bonus_percent: "0"', 'bonus_percent: "150"')
      .replace('salvage_percent: "0"', 'salvage_percent: "100.5"')
      .replace('declining_balance_rate: "2.0"', "declining_balance_rate: 1000")
      .replace('threshold: "250.00"', 'threshold: "100000000000.01"')
      .replace("life_years: 50\n    description: Underground conduit", "life_years: 99999999\n    description: Underground conduit")
      .replace('rate: "19.24"', 'rate: "999999999999"')
      .replace("effective_from: 2025-01-01 }", "effective_from: 0001-01-01 }");
    expect(problemsOf(t)).toEqual([
      `capitalization.threshold: threshold must be from 0 to 100000000000.00 (got 100000000000.01) (line ${lineOf(t, "threshold:")})`,
      `depreciation.declining_balance_rate: declining_balance_rate must be more than 0 and at most 4 (2.0 = 200 % declining balance) (got 1000) (line ${lineOf(t, "declining_balance_rate: 1000")})`,
      `depreciation.salvage_percent: salvage_percent must be a percentage from 0 to 100 (got 100.5) (line ${lineOf(t, "salvage_percent:")})`,
      `tax.bonus_percent: bonus_percent must be a percentage from 0 to 100 (got 150) (line ${lineOf(t, "bonus_percent:")})`,
      `task_types.install_conduit.life_years: life_years must be a whole number from 1 to 100 (use life_months for part years) (got 99999999) (line ${lineOf(t, "life_years: 99999999")})`,
      `rate_card.0.effective_from: must be a date written YYYY-MM-DD, from 1900 to 2999 (line ${lineOf(t, "0001-01-01")})`,
      `rate_card.29.rate: rate must be from 0 to 100000000000.00 (got 999999999999) (line ${lineOf(t, "999999999999")})`,
    ]);
  });

  it("refuse a zero declining-balance rate, a task type's life past 1200 months and a part-year life under sum of the years' digits", () => {
    const t = rulesText
      .replace('declining_balance_rate: "2.0"', 'declining_balance_rate: "0"')
      .replace("life_years: 50\n    description: Underground conduit", "life_months: 1201\n    description: Underground conduit")
      .replace("life_years: 25\n    description: Pole anchor", "life_months: 30\n    method: sum_of_years_digits\n    description: Pole anchor");
    expect(problemsOf(t)).toEqual([
      `depreciation.declining_balance_rate: declining_balance_rate must be more than 0 and at most 4 (2.0 = 200 % declining balance) (got 0) (line ${lineOf(t, 'declining_balance_rate: "0"')})`,
      `task_types.install_anchor.life_months: sum_of_years_digits needs a life of whole years (line ${lineOf(t, "life_months: 30")}); use life_years, or a life_months that is a multiple of 12`,
      `task_types.install_conduit.life_months: life_months must be a whole number from 1 to 1200 (got 1201) (line ${lineOf(t, "life_months: 1201")})`,
    ]);
  });
});

describe("rules keys", () => {
  const problemsOf = (t: string) => checkRulesText(t, "r.yaml").problems.filter((p) => p.severity === "error").map(formatRulesProblem);
  const lineOf = (t: string, needle: string) => t.slice(0, t.indexOf(needle)).split("\n").length;

  it("name the missing key and suggest the intended key for a misspelt one", () => {
    const t = rulesText
      .replace('  threshold: "250.00"', '  treshold: "250.00"')
      .replace("life_years: 50\n    description: Underground conduit", "lifeyears: 50\n    description: Underground conduit")
      .replace('expense_account: "6720"', 'expence_account: "6720"')
      .replace("treatment: expense\n    expence_account", "treatment: expence\n    expence_account");
    expect(problemsOf(t)).toEqual([
      `capitalization.threshold: required setting "threshold" is missing under capitalization (line ${lineOf(t, "treshold")}); "treshold" on line ${lineOf(t, "treshold")} looks like a misspelling of it`,
      `capitalization.treshold: unknown setting "treshold" (line ${lineOf(t, "treshold")}); did you mean "threshold"?`,
      `task_types.install_conduit: a capitalized task type needs life_years or life_months (line ${lineOf(t, "install_conduit:") + 1})`,
      `task_types.install_conduit.lifeyears: unknown setting "lifeyears" (line ${lineOf(t, "lifeyears")}); did you mean "life_years"?`,
      `task_types.permitting.treatment: treatment must be one of "capitalize", "expense", "none" (line ${lineOf(t, "treatment: expence")}); did you mean "expense"?`,
      `task_types.permitting.expence_account: unknown setting "expence_account" (line ${lineOf(t, "expence_account")}); did you mean "expense_account"?`,
    ]);
  });

  it("say which section is missing", () => {
    const t = rulesText.replace(/^cip_account: "1790"\n/m, "");
    expect(problemsOf(t)).toEqual([`cip_account: required setting "cip_account" is missing (line ${lineOf(t, "version:")}); add cip_account`]);
  });
});

describe("rules file encodings", () => {
  const base = Buffer.from(rulesText, "utf8");
  const swap = (b: Buffer) => {
    const out = Buffer.from(b);
    out.swap16();
    return out;
  };
  const utf16le = Buffer.from(rulesText, "utf16le");
  const write = (bytes: Buffer) => {
    const file = join(tmp(), "rules.yaml");
    writeFileSync(file, bytes);
    return file;
  };

  it("read UTF-16 (either byte order) and UTF-8 with a byte-order mark, recording the sha256 of the bytes", async () => {
    const plain = await loadRules(RULES_FILE);
    for (const bytes of [
      Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le]),
      Buffer.concat([Buffer.from([0xfe, 0xff]), swap(utf16le)]),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), base]),
    ]) {
      const r = await loadRules(write(bytes));
      expect(r.version).toBe(plain.version);
      expect([...r.taskTypes.keys()]).toEqual([...plain.taskTypes.keys()]);
      expect(r.threshold.toString()).toBe("250");
      expect(r.sha256).toBe((await import("node:crypto")).createHash("sha256").update(bytes).digest("hex"));
    }
  });

  it("refuse UTF-16 without a byte-order mark and text that is not UTF-8, in plain words", async () => {
    const noBom = write(utf16le);
    await expect(loadRules(noBom)).rejects.toThrow(
      `${noBom}: 1 problem in the rules file:\n  (file): the file holds NUL bytes: it looks like UTF-16 without a byte-order mark or a binary file; save it as UTF-8`,
    );
    const latin1 = write(Buffer.from(rulesText.replace("Fiber plant - cable", "Fibér plant"), "latin1"));
    await expect(loadRules(latin1)).rejects.toThrow("(file): the file is not UTF-8 text (perhaps Latin-1 or Windows-1252); save it as UTF-8");
    await expect(loadRules(join(tmp(), "none.yaml"))).rejects.toThrow(RulesError);
    await expect(loadRules(join(tmp(), "none.yaml"))).rejects.toThrow("(file): cannot read the rules file: there is no such file; check the path");
  });
});

describe("periods", () => {
  it("are refused outside the years 1900 to 2999 instead of wrapping to 1900", () => {
    expect(() => parsePeriod("0000-01", "--period")).toThrow('--period: "0000-01" is outside the years fiber-capex closes (1900 to 2999); check the year');
    expect(() => periodEndDate("0099-01")).toThrow(InputError);
    expect(() => parsePeriod("3000-01")).toThrow(InputError);
    expect(periodEndDate("1900-02")).toBe("1900-02-28");
    expect(periodEndDate("2999-12")).toBe("2999-12-31");
  });

  it("end when the next month has begun in every project's time zone", () => {
    expect(new Date(periodEndsAt("2026-10", ["America/New_York"])).toISOString()).toBe("2026-11-01T04:00:00.000Z");
    expect(new Date(periodEndsAt("2026-10", ["Australia/Sydney", "America/New_York"])).toISOString()).toBe("2026-11-01T04:00:00.000Z");
    expect(new Date(periodEndsAt("2026-10", ["Australia/Sydney"])).toISOString()).toBe("2026-10-31T13:00:00.000Z");
    expect(new Date(periodEndsAt("2026-10", [])).toISOString()).toBe("2026-11-01T12:00:00.000Z");
  });

  it("that had not ended when the snapshot was fetched are refused unless allowed, and then marked open", async () => {
    const tasks = [baseTask(1, { approved_date: "2026-10-31T12:00:00Z" })];
    const expected =
      "--period: 2026-10 had not ended when the snapshot was fetched (2026-11-01T03:59:59.000Z; it ends 2026-11-01T04:00:00.000Z in the projects' time zones), " +
      "so work approved after the fetch would be missing. Fetch again after the period ends, or pass --allow-open-period (allowOpenPeriod in the library) to close it provisionally";
    await expect(close(tasks, "2026-10", { fetchedAt: "2026-11-01T03:59:59.000Z" })).rejects.toThrow(expected);
    // A period that had not begun is refused even as a provisional close.
    const notBegun = "--period: 2099-12 had not begun when the snapshot was fetched (2026-11-02T06:00:00.000Z); a period can be closed, provisionally, from the month it is in";
    await expect(close(tasks, "2099-12")).rejects.toThrow(notBegun);
    await expect(close(tasks, "2099-12", { allowOpenPeriod: true })).rejects.toThrow(notBegun);
    // 1 November 00:30 in Kiritimati (UTC+14) is 31 October in most of the world: November has begun.
    expect((await close(tasks, "2026-11", { fetchedAt: "2026-10-31T10:30:00.000Z", allowOpenPeriod: true })).openPeriod).toBe(true);
    expect((await close(tasks, "2026-10", { fetchedAt: "2026-11-01T04:00:00.000Z" })).openPeriod).toBe(false);
    const sydney = [{ name: "Sydney", short_name: "P1", timezone: "Australia/Sydney" }];
    expect((await close(tasks, "2026-10", { fetchedAt: "2026-11-01T03:59:59.000Z", projects: sydney })).openPeriod).toBe(false);

    const open = await close(tasks, "2026-11", { allowOpenPeriod: true });
    expect(open.openPeriod).toBe(true);
    const out = join(tmp(), "2026-11");
    await writeCloseOutputs(open, rules, { out });
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).open_period).toBe(true);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, "capex-2026-11.xlsx"));
    const summary = wb.getWorksheet("Summary")!;
    const row = (summary.getColumn(1).values as unknown[]).indexOf("Period still open when fetched");
    expect(summary.getRow(row).getCell(2).value).toBe("yes (provisional close)");
  }, 60_000);

  it("a snapshot whose manifest has no fetch time cannot be closed", async () => {
    const dir = await snapshotOf([baseTask(1)], "yesterday");
    const err = await closePeriod({ snapshot: await openSnapshot(dir), rules, period: "2026-10" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapexError);
    expect((err as Error).message).toBe(`${join(dir, "manifest.json")}: fetched_at "yesterday" is not a time; fetch the snapshot again with capex fetch`);
  });

  it("the latest complete one is the latest that has ended in every project's zone", async () => {
    const s = await openSnapshot(await snapshotOf([baseTask(1, { approved_date: "2026-12-15T12:00:00Z" }), baseTask(2, { approved_date: "0001-01-01" })]));
    expect(await latestCompletePeriod(s, new Date("2026-12-01T02:00:00Z"))).toBe("2026-10"); // still 30 November in New York
    expect(await latestCompletePeriod(s, new Date("2026-12-01T05:00:00Z"))).toBe("2026-11");
    const implausible = await openSnapshot(await snapshotOf([baseTask(1, { approved_date: "2026-09-15" }), baseTask(2, { approved_date: "9999-01-01" })]));
    expect(await latestCompletePeriod(implausible, new Date("2026-12-01T05:00:00Z"))).toBe("2026-08"); // the month before the latest plausible approval
  });
});

describe("approval dates", () => {
  it("outside 1990 to a year after the fetch are IMPLAUSIBLE_DATE exceptions in every close, not silently dropped", async () => {
    const approved = (id: number, date: string) => baseTask(id, { approved_date: date, units: [{ amount: "500.00" }] });
    const r = await close([
      approved(1, "0001-01-01T00:00:00Z"),
      approved(2, "9999-12-31T00:00:00Z"),
      approved(3, "1989-12-31"),
      approved(4, "1990-01-01"),
      approved(5, "2027-11-02"),
      approved(6, "2027-11-03"),
    ]);
    const message = (d: string) => `approved_date: "${d}" is outside the approval dates fiber-capex accepts (1990-01-01 to 2027-11-02); correct the approval date in Render`;
    expect(exceptionsOf(r)).toEqual([
      [1, "IMPLAUSIBLE_DATE", message("0001-01-01T00:00:00Z")],
      [2, "IMPLAUSIBLE_DATE", message("9999-12-31T00:00:00Z")],
      [3, "IMPLAUSIBLE_DATE", message("1989-12-31")],
      [6, "IMPLAUSIBLE_DATE", message("2027-11-03")],
    ]);
    expect(r.register.map((e) => e.asset.taskId)).toEqual([4]);
    expect(r.counts.approvedAfterPeriod).toBe(1); // task 5, approved in 2027
  });

  it("are bounded by the classification the library exposes too", async () => {
    const s = await openSnapshot(await snapshotOf([baseTask(1, { approved_date: "2999-12-31" }), baseTask(2, { approved_date: "3000-01-01" })]));
    const c = await classifyRecords(s.batches(), rules, s.projects);
    expect(c.exceptions.map((e) => [e.taskId, e.code])).toEqual([[2, "IMPLAUSIBLE_DATE"]]);
  });
});

describe("the CLI on bad input", () => {
  const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
  const capex = async (args: string[]) => {
    try {
      const r = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: tmp() } });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };

  it("exits 2 on a rules file with a bonus of 150 %, naming the line", async () => {
    const file = join(tmp(), "rules.yaml");
    writeFileSync(file, rulesText.replace('bonus_percent: "0"', 'bonus_percent: "150"'));
    const r = await capex(["rules", "check", file]);
    expect(r.code).toBe(2);
    const line = rulesText.slice(0, rulesText.indexOf("bonus_percent:")).split("\n").length;
    expect(r.stderr).toContain(`${file}:${line}: error: tax.bonus_percent: bonus_percent must be a percentage from 0 to 100 (got 150) (line ${line})\n`);
  }, 60_000);

  it("exits 2 on an impossible or open period, and closes an open one only with --allow-open-period", async () => {
    const snap = await snapshotOf([baseTask(1)]);
    const out = join(tmp(), "out");
    const db = join(tmp(), "capex.db");
    const zero = await capex(["close", "--period", "0000-01", "--snapshot", snap, "--out", out, "--db", db]);
    expect(zero).toMatchObject({ code: 2, stderr: 'capex: --period: "0000-01" is outside the years fiber-capex closes (1900 to 2999); check the year\n' });
    const open = await capex(["close", "--period", "2026-11", "--snapshot", snap, "--out", out, "--db", db]);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/^capex: --period: 2026-11 had not ended when the snapshot was fetched/);
    const allowed = await capex(["close", "--period", "2026-11", "--snapshot", snap, "--out", out, "--allow-open-period", "--db", db]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("  provisional:   2026-11 had not ended when the snapshot was fetched (2026-11-02T06:00:00.000Z)\n");
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).open_period).toBe(true);
    // The register keeps saying so: an auditor reading its periods sees which were provisional.
    const status = await capex(["register", "status", "--db", db]);
    expect(status.stdout).toMatch(/\n {2}2026-11 {2}close \(provisional\) {2}\d{4}-/);
    expect(status.stdout).toContain(
      "  provisional: 2026-11 closed before the period ended (--allow-open-period); work Render approves later with a date in it comes in with the next close as a late addition\n",
    );
    expect(JSON.parse((await capex(["register", "status", "--db", db, "--json"])).stdout).periods.map((p: { period: string; provisional: boolean }) => [p.period, p.provisional])).toEqual([["2026-11", true]]);
  }, 60_000);
});
