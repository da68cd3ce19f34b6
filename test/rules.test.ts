import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatRulesProblem, RulesError } from "../src/errors.js";
import { checkRulesText, coverageWarnings, loadRules } from "../src/rules/load.js";
import { tmp } from "./helpers.js";

const FILE = "rules/render-fiber.yaml";
const text = readFileSync(FILE, "utf8");
const lineOf = (t: string, needle: string, from = 0) => t.slice(0, t.indexOf(needle, from)).split("\n").length;

describe("the default rules file", () => {
  const { rules, problems } = checkRulesText(text, FILE);

  it("loads without a problem or warning", () => {
    expect(problems).toEqual([]);
    expect(rules?.version).toBe("2026.1");
  });

  it("maps the 20 Render task types as the API collection does", () => {
    const rows = [...rules!.taskTypes.values()].map((t) => [t.name, t.treatment, t.faClass ?? "N/A", t.lifeMonths === undefined ? "N/A" : t.lifeMonths / 12]);
    expect(rows).toEqual([
      ["change_request_approval", "none", "N/A", "N/A"],
      ["electrical_make_ready_work", "capitalize", "Infrastructure", 20],
      ["field_observation", "none", "N/A", "N/A"],
      ["install_aerial_fiber", "capitalize", "Fiber Plant", 20],
      ["install_aerial_nap_tail", "capitalize", "Fiber Plant", 20],
      ["install_anchor", "capitalize", "Infrastructure", 25],
      ["install_cabinet", "capitalize", "Infrastructure", 15],
      ["install_conduit", "capitalize", "Infrastructure", 50],
      ["install_nap_mst", "capitalize", "Infrastructure", 15],
      ["install_pedistal", "capitalize", "Infrastructure", 30],
      ["install_splice_enclosure", "capitalize", "Infrastructure", 25],
      ["install_strand", "capitalize", "Infrastructure", 30],
      ["install_ug_nap_tail", "capitalize", "Fiber Plant", 20],
      ["install_underground_fiber", "capitalize", "Fiber Plant", 20],
      ["install_vault", "capitalize", "Infrastructure", 50],
      ["miscellaneous_works", "capitalize", "Equipment (Tooling)", 5],
      ["nap_otdr", "capitalize", "Test Equipment", 3],
      ["permitting", "expense", "N/A", "N/A"],
      ["rectification_request", "none", "N/A", "N/A"],
      ["splice_reentry", "expense", "N/A", "N/A"],
    ]);
  });

  it("gives every class its three GL accounts, an FCC Part 32 account and a MACRS recovery period", () => {
    expect([...rules!.classes.values()].map((c) => [c.name, c.assetAccount, c.accumulatedDepreciationAccount, c.depreciationExpenseAccount, c.fccPart32Account, c.taxRecoveryYears])).toEqual([
      ["Fiber Plant", "2410", "3110", "6561", "2421/2422", 15],
      ["Infrastructure", "2430", "3130", "6562", "2441", 15],
      ["Equipment (Tooling)", "2440", "3140", "6563", "2114", 7],
      ["Test Equipment", "2450", "3150", "6564", "2114", 5],
    ]);
    expect(rules!.cipAccount).toBe("1790");
    expect(rules!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("reads rates from their source text, never through a float", () => {
    const t = text.replace('rate: "18.50"', "rate: 0.1").replace('rate: "3.85"', "rate: 0.30000000000000004");
    const r = checkRulesText(t, FILE).rules!;
    expect(r.ratesByUnitCode.get("CND-2IN-HDPE")?.[1]?.rate.toString()).toBe("0.1");
    expect(r.ratesByUnitCode.get("AF-144CT")?.[1]?.rate.toString()).toBe("0.30000000000000004");
    expect(r.ratesByUnitCode.get("CND-2IN-HDPE")?.[1]?.rate.times(3).toString()).toBe("0.3");
  });
});

describe("rules check", () => {
  it("names the path and line of a misspelt class and suggests the right one", () => {
    const t = text.replace("fa_class: Infrastructure\n    life_years: 50\n    description: Underground conduit", "fa_class: Infrastucture\n    life_years: 50\n    description: Underground conduit");
    const line = lineOf(t, "fa_class: Infrastucture");
    const { rules, problems } = checkRulesText(t, FILE);
    expect(rules).toBeUndefined();
    expect(problems.map(formatRulesProblem)).toEqual([
      `task_types.install_conduit.fa_class: unknown class "Infrastucture" (line ${line}); did you mean "Infrastructure"?`,
    ]);
  });

  it("reports every problem at once, each with its path and line", () => {
    const t = text
      .replace("currency: USD", "currency: usd\ncurency: USD")
      .replace("  install_vault:", "  install_vault:\n    treatment: none\n  install_vault:")
      .replace('rate: "18.50"', 'rate: "-18.50"')
      .replace("life_years: 25\n    description: Pole anchor", "life_years: 2.5\n    description: Pole anchor")
      .replace('expense_account: "6720"', 'expense_account: "6721"')
      .replace("fa_class: Test Equipment", "fa_class: Test Equipmnt");
    const problems = checkRulesText(t, FILE).problems.map(formatRulesProblem);
    expect(problems).toEqual([
      `currency: currency must be an ISO 4217 code like USD (line ${lineOf(t, "currency: usd")})`,
      `curency: unknown setting "curency" (line ${lineOf(t, "curency: USD")}); did you mean "currency"?`,
      `task_types.install_anchor.life_years: life_years must be a whole number from 1 to 100 (use life_months for part years) (got 2.5) (line ${lineOf(t, "life_years: 2.5")})`,
      `task_types.install_vault: task type listed twice (first at line ${lineOf(t, "  install_vault:")}); YAML would keep only the last (line ${lineOf(t, "  install_vault:", t.indexOf("  install_vault:") + 5)})`,
      `task_types.nap_otdr.fa_class: unknown class "Test Equipmnt" (line ${lineOf(t, "fa_class: Test Equipmnt")}); did you mean "Test Equipment"?`,
      `task_types.permitting.expense_account: account "6721" is not in accounts (line ${lineOf(t, 'expense_account: "6721"')}); did you mean "6720"?`,
      `rate_card.8.rate: rate must be a non-negative decimal like "18.50" (no sign, no thousands separator) (line ${lineOf(t, 'rate: "-18.50"')})`,
    ]);
  });

  it("reports a misspelt class with a misspelt treatment and setting of the same task type, not after they are fixed", () => {
    const t = text.replace(/ {2}install_conduit:\n {4}treatment: capitalize\n {4}fa_class: Infrastructure\n {4}life_years: 50/, "  install_conduit:\n    treatment: capitalise\n    fa_class: Infrastucture\n    life_year: 50");
    expect(checkRulesText(t, FILE).problems.map(formatRulesProblem)).toEqual([
      'task_types.install_conduit.treatment: treatment must be one of "capitalize", "expense", "none" (line 159); did you mean "capitalize"?',
      'task_types.install_conduit.fa_class: unknown class "Infrastucture" (line 160); did you mean "Infrastructure"?',
      'task_types.install_conduit.life_year: unknown setting "life_year" (line 161); did you mean "life_years"?',
    ]);
  });

  it("lets an expensed task type carry an fa_class label that names no class, which an erp map may translate", () => {
    const labelled = text.replace(/( {4}treatment: expense\n {4}expense_account: "6720"\n)/, '$1    fa_class: Permits\n');
    const t = labelled.replace("    dimension1: { value: NETWORK }", "    dimension1: { from: fa_class, values: { Permits: PRM, Infrastructure: INF } }");
    expect(t).not.toBe(labelled);
    expect(checkRulesText(t, FILE).problems).toEqual([]);
    // A misspelt treatment that likely meant expense: its label is not checked as a class either.
    const misspelt = labelled.replace(/( {4})treatment: expense(\n {4}expense_account: "6720"\n)/, "$1treatment: expence$2");
    expect(checkRulesText(misspelt, FILE).problems.map(formatRulesProblem)).toEqual([expect.stringMatching(/^task_types\.permitting\.treatment: treatment must be one of/)]);
  });

  it("warns about the task types a snapshot's projects use that the file does not cover", () => {
    const t = text.replace(/ {2}nap_otdr:\n(?: {4}.*\n)+/, "");
    const { rules, problems } = checkRulesText(t, FILE);
    expect(problems).toEqual([]);
    const used = { P1: [{ name: "nap_otdr" }, { name: "install_conduit" }], P2: [{ name: "nap_otdr" }, { name: "install_microduct" }] };
    expect(coverageWarnings(rules!, used).map((p) => [p.severity, p.path, p.message])).toEqual([
      ["warning", "task_types.install_microduct", "Render task type used by P2 not covered: its tasks will be reported as UNMAPPED_TASK_TYPE"],
      ["warning", "task_types.nap_otdr", "Render task type used by P1, P2 not covered: its tasks will be reported as UNMAPPED_TASK_TYPE"],
    ]);
  });

  it("cross-checks the rate card: one key per rate, known task types, unique ids and dates", () => {
    const t = text
      .replace("id: R26-CND-2IN", "id: R25-CND-2IN")
      .replace("unit_code: AF-288CT,       uom: ft,   rate: \"5.30\"", "unit_code: AF-288CT, task_type: install_strand, uom: ft, rate: \"5.30\"")
      .replace("task_type: install_strand, uom: ft,   rate: \"2.44\"", "task_type: install_strnd, uom: ft,   rate: \"2.44\"");
    const messages = checkRulesText(t, FILE).problems.map((p) => `${p.path}: ${p.message}${p.hint ? `; ${p.hint}` : ""}`);
    expect(messages).toEqual([
      "rate_card.24: a rate names exactly one of unit_code or task_type",
      "rate_card.29.id: rate id \"R25-CND-2IN\" is used twice (first at rate_card.8)",
      "rate_card.41.task_type: unknown task type \"install_strnd\"; did you mean \"install_strand\"?",
    ]);
  });

  it("reports YAML syntax errors with their line", () => {
    const problems = checkRulesText("version: 1\ncurrency: [USD\n", FILE).problems;
    expect(problems[0]?.path).toBe("(file)");
    expect(problems[0]?.message).toMatch(/^YAML syntax: /);
  });

  it("loadRules throws a RulesError listing every problem, and names the file", async () => {
    const file = join(tmp(), "bad.yaml");
    writeFileSync(file, text.replace("cip_account: \"1790\"", "cip_account: \"1799\""));
    const err = await loadRules(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RulesError);
    expect((err as Error).message).toBe(
      `${file}: 1 problem in the rules file:\n  cip_account: account "1799" is not in accounts (line ${lineOf(text, "cip_account")}); did you mean "1790"?`,
    );
  });
});
