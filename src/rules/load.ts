import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { type Convention, defaultDecliningBalanceYears, type Method, type RecoveryYears } from "../depreciation/types.js";
import { RulesError, type RulesProblem } from "../errors.js";
import { unreadableReason } from "../input-file.js";
import { Dec } from "../money.js";
import { checkErpSection, compileErp, erpSettingsAt } from "./erp.js";
import { likelyMeant, didYouMean as suggest } from "../suggest.js";
import { type FaClassRule, type RateEntry, type Rules, TREATMENTS, type TaskTypeRule } from "./model.js";
import {
  capitalizationSchema,
  depreciationSchema,
  faClassSchema,
  rateEntrySchema,
  type RulesFile,
  rulesSchema,
  taskTypeRuleSchema,
  taxSchema,
} from "./schema.js";

type Path = Array<string | number>;

/**
 * Reads the YAML keeping source positions. Every number scalar is replaced by its source
 * text, so "0.1" stays exactly 0.1 and "18.50" keeps its digits; duplicate keys are found here
 * because YAML would silently keep only the last.
 */
function parseYaml(text: string, problems: RulesProblem[]) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : undefined);
  for (const err of doc.errors) {
    problems.push({ path: "(file)", line: lineCounter.linePos(err.pos[0]).line, message: `YAML syntax: ${err.message.split("\n")[0]}`, severity: "error" });
  }
  const walk = (node: unknown, path: Path) => {
    if (isScalar(node)) {
      if (typeof node.value === "number") node.value = node.source ?? String(node.value);
    } else if (isMap(node)) {
      const seen = new Map<string, number | undefined>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.source ?? pair.key.value) : String(pair.key);
        const line = lineOf(pair.key as Node);
        if (seen.has(key)) {
          const what = path.length === 1 && path[0] === "task_types" ? "task type listed twice" : "key listed twice";
          problems.push({ path: [...path, key].join("."), line, message: `${what} (first at line ${seen.get(key)}); YAML would keep only the last`, severity: "error" });
        } else seen.set(key, line);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) walk(node.items[i], [...path, i]);
    }
  };
  walk(doc.contents, []);
  /** The line of the deepest node that exists along `path`. */
  const lineAt = (path: Path): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : (doc.getIn(path.slice(0, n), true) as Node | undefined);
      if (node && typeof node === "object" && "range" in node) return lineOf(node);
    }
    return undefined;
  };
  return { js: doc.errors.length ? undefined : (doc.toJS() as unknown), lineAt };
}

/** Cross-checks that the schema alone cannot express: references, lives, rate card keys. */
function crossCheck(r: RulesFile, at: (path: Path) => number | undefined, problems: RulesProblem[]): void {
  const err = (path: Path, message: string, hint?: string) => problems.push({ path: path.join("."), line: at(path), message, hint, severity: "error" });
  const account = (path: Path, value: string | undefined) => {
    if (value !== undefined && !(value in r.accounts)) err(path, `account "${value}" is not in accounts`, suggest(value, Object.keys(r.accounts)) ?? "add it under accounts");
  };
  account(["cip_account"], r.cip_account);
  account(["capitalization", "below_threshold_account"], r.capitalization.below_threshold_account);
  if (r.disposal && typeof r.disposal === "object") {
    account(["disposal", "clearing_account"], r.disposal.clearing_account);
    account(["disposal", "gain_account"], r.disposal.gain_account);
    account(["disposal", "loss_account"], r.disposal.loss_account);
  }
  for (const [name, c] of Object.entries(r.fa_classes)) {
    account(["fa_classes", name, "asset_account"], c.asset_account);
    account(["fa_classes", name, "accumulated_depreciation_account"], c.accumulated_depreciation_account);
    account(["fa_classes", name, "depreciation_expense_account"], c.depreciation_expense_account);
  }
  for (const [name, t] of Object.entries(r.task_types)) {
    const p: Path = ["task_types", name];
    // A capitalized type's class must exist, also when the treatment is misspelt and likely
    // meant capitalize (the schema reports the treatment, this the class with it, not after it
    // is fixed). An expensed type's fa_class is a reporting label and may name no class.
    const treatment = (TREATMENTS as readonly unknown[]).includes(t.treatment) ? t.treatment : typeof t.treatment === "string" ? likelyMeant(t.treatment, TREATMENTS) : undefined;
    if (treatment === "capitalize" && typeof t.fa_class === "string" && !(t.fa_class in r.fa_classes)) err([...p, "fa_class"], `unknown class "${t.fa_class}"`, suggest(t.fa_class, Object.keys(r.fa_classes)));
    if (t.treatment === "capitalize") {
      if (t.fa_class === undefined) err([...p, "fa_class"], "a capitalized task type needs an fa_class");
      if (t.life_years === undefined && t.life_months === undefined) err(p, "a capitalized task type needs life_years or life_months");
      if (t.life_years !== undefined && t.life_months !== undefined) err(p, "give life_years or life_months, not both");
    }
    if (t.treatment === "expense" && t.expense_account === undefined) err(p, "an expensed task type needs an expense_account");
    account([...p, "expense_account"], t.expense_account);
    if (t.per_unit_threshold !== undefined && t.treatment !== "capitalize") err([...p, "per_unit_threshold"], "per_unit_threshold applies only to capitalized task types");
    const method = t.method ?? r.depreciation?.method;
    if (t.treatment === "capitalize" && method === "sum_of_years_digits" && t.life_months !== undefined && Number(t.life_months) % 12 !== 0) {
      err([...p, "life_months"], "sum_of_years_digits needs a life of whole years", "use life_years, or a life_months that is a multiple of 12");
    }
  }
  // Journal lines carry an expensed task type's fa_class label too: an erp map may translate it.
  const labels: Record<string, unknown> = { ...r.fa_classes };
  for (const t of Object.values(r.task_types)) if (t.treatment !== "capitalize" && typeof t.fa_class === "string") labels[t.fa_class] = true;
  checkErpSection(r.erp, r.accounts, labels, err, suggest);
  const ids = new Map<string, number>();
  const keys = new Set<string>();
  r.rate_card.forEach((e, i) => {
    const p: Path = ["rate_card", i];
    if (ids.has(e.id)) err([...p, "id"], `rate id "${e.id}" is used twice (first at rate_card.${ids.get(e.id)})`);
    ids.set(e.id, i);
    if ((e.unit_code === undefined) === (e.task_type === undefined)) err(p, "a rate names exactly one of unit_code or task_type");
    if (e.task_type !== undefined && !(e.task_type in r.task_types)) err([...p, "task_type"], `unknown task type "${e.task_type}"`, suggest(e.task_type, Object.keys(r.task_types)));
    const key = `${e.unit_code ?? `type:${e.task_type}`}@${e.effective_from}`;
    if (keys.has(key)) err(p, `two rates for ${e.unit_code ?? e.task_type} take effect on ${e.effective_from}`);
    keys.add(key);
  });
}

function byNewest(entries: RateEntry[]): RateEntry[] {
  return entries.sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? 1 : a.effectiveFrom > b.effectiveFrom ? -1 : 0));
}

function compile(r: RulesFile, file: string, sha256: string, warnings: RulesProblem[]): Rules {
  const classes = new Map<string, FaClassRule>();
  for (const [name, c] of Object.entries(r.fa_classes)) {
    classes.set(name, {
      name,
      assetAccount: c.asset_account,
      accumulatedDepreciationAccount: c.accumulated_depreciation_account,
      depreciationExpenseAccount: c.depreciation_expense_account,
      fccPart32Account: c.fcc_part32_account,
      taxRecoveryYears: Number(c.tax_recovery_years) as RecoveryYears,
    });
  }
  const taskTypes = new Map<string, TaskTypeRule>();
  for (const [name, t] of Object.entries(r.task_types)) {
    const convention = (t.convention ?? r.depreciation.convention) as Convention;
    taskTypes.set(name, {
      name,
      treatment: t.treatment,
      faClass: t.fa_class,
      lifeMonths: t.life_months !== undefined ? Number(t.life_months) : t.life_years !== undefined ? Number(t.life_years) * 12 : undefined,
      description: t.description ?? name,
      unit: t.unit,
      expenseAccount: t.expense_account,
      perUnitThreshold: t.per_unit_threshold === undefined ? undefined : new Dec(t.per_unit_threshold),
      method: (t.method ?? r.depreciation.method) as Method,
      convention,
      salvagePercent: new Dec(t.salvage_percent ?? r.depreciation.salvage_percent),
      decliningBalanceRate: new Dec(t.declining_balance_rate ?? r.depreciation.declining_balance_rate),
      switchToStraightLine: t.switch_to_straight_line ?? r.depreciation.switch_to_straight_line,
      rounding: t.rounding ?? r.depreciation.rounding,
      decliningBalanceYears: t.declining_balance_years ?? r.depreciation.declining_balance_years ?? defaultDecliningBalanceYears(convention),
      ruleId: `task_types.${name}`,
      decliningBalanceRateText: new Dec(t.declining_balance_rate ?? r.depreciation.declining_balance_rate).toString(),
    });
  }
  const ratesByUnitCode = new Map<string, RateEntry[]>();
  const ratesByTaskType = new Map<string, RateEntry[]>();
  for (const e of r.rate_card) {
    const entry: RateEntry = { id: e.id, unitCode: e.unit_code, taskType: e.task_type, uom: e.uom, rate: new Dec(e.rate), effectiveFrom: e.effective_from };
    const [map, key] = e.unit_code !== undefined ? [ratesByUnitCode, e.unit_code] : [ratesByTaskType, e.task_type!];
    map.set(key, [...(map.get(key) ?? []), entry]);
  }
  for (const list of [...ratesByUnitCode.values(), ...ratesByTaskType.values()]) byNewest(list);
  return {
    file,
    sha256,
    version: r.version,
    currency: r.currency,
    fiscalYearStartMonth: Number(r.fiscal_year_start_month),
    defaultTimeZone: r.default_time_zone,
    threshold: new Dec(r.capitalization.threshold),
    belowThresholdAccount: r.capitalization.below_threshold_account,
    taxBonusPercent: new Dec(r.tax.bonus_percent),
    accounts: new Map(Object.entries(r.accounts)),
    cipAccount: r.cip_account,
    classes,
    taskTypes,
    ratesByUnitCode,
    ratesByTaskType,
    changesAfterClose: r.changes_after_close,
    retirementAccounting: r.retirement_accounting,
    depreciationDefaults: {
      method: r.depreciation.method as Method,
      convention: r.depreciation.convention as Convention,
      decliningBalanceRateText: new Dec(r.depreciation.declining_balance_rate).toString(),
    },
    disposal: r.disposal && { clearingAccount: r.disposal.clearing_account, gainAccount: r.disposal.gain_account, lossAccount: r.disposal.loss_account },
    erp: compileErp(r.erp),
    warnings,
  };
}

/** The settings the object at `path` may hold, to suggest the key a misspelt one meant. */
function settingsAt(path: Path): string[] {
  const keys = (schema: { shape: object }) => Object.keys(schema.shape);
  const [head] = path;
  const erp = erpSettingsAt(path);
  if (erp !== undefined) return erp;
  if (path.length === 0) return keys(rulesSchema);
  if (path.length === 1 && head === "capitalization") return keys(capitalizationSchema);
  if (path.length === 1 && head === "depreciation") return keys(depreciationSchema);
  if (path.length === 1 && head === "tax") return keys(taxSchema);
  if (path.length === 2 && head === "fa_classes") return keys(faClassSchema);
  if (path.length === 2 && head === "task_types") return keys(taskTypeRuleSchema);
  if (path.length === 2 && head === "rate_card") return keys(rateEntrySchema);
  return [];
}

function valueAt(tree: unknown, path: Path): unknown {
  let node = tree;
  for (const key of path) node = node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[key] : undefined;
  return node;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The schema's issues as problems: which key is missing, which key a misspelt one meant, which value a misspelt value meant. */
function schemaProblems(issues: readonly z.core.$ZodIssue[], js: unknown, lineAt: (path: Path) => number | undefined): RulesProblem[] {
  const problems: RulesProblem[] = [];
  const unknownKeys = (path: Path) => {
    const parent = valueAt(js, path);
    const known = new Set(settingsAt(path));
    return isObject(parent) ? Object.keys(parent).filter((k) => !known.has(k)) : [];
  };
  for (const issue of issues) {
    const path = issue.path as Path;
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const hint = suggest(key, settingsAt(path).filter((k) => valueAt(js, [...path, k]) === undefined)) ?? suggest(key, settingsAt(path));
        // An unknown ledger is named as one, with the list to choose from.
        const ledger = path.length === 1 && path[0] === "erp";
        const message = ledger ? `unknown ERP profile "${key}"` : `unknown setting "${key}"`;
        const known = ledger ? `the known profiles are ${settingsAt(path).join(", ")}` : undefined;
        problems.push({ path: [...path, key].join("."), line: lineAt([...path, key]), message, hint: hint && known ? `${hint} (${known})` : (hint ?? known), severity: "error" });
      }
      continue;
    }
    const parentPath = path.slice(0, -1);
    const key = path[path.length - 1];
    if (typeof key === "string" && isObject(valueAt(js, parentPath)) && valueAt(js, path) === undefined) {
      const where = parentPath.length ? ` under ${parentPath.join(".")}` : "";
      const misspelt = unknownKeys(parentPath).find((k) => suggest(k, [key]) !== undefined);
      problems.push({
        path: path.join("."),
        line: lineAt(parentPath),
        message: `required setting "${key}" is missing${where}`,
        hint: misspelt === undefined ? `add ${key}` : `"${misspelt}" on line ${lineAt([...parentPath, misspelt])} looks like a misspelling of it`,
        severity: "error",
      });
      continue;
    }
    const value = valueAt(js, path);
    const hint = issue.code === "invalid_value" && typeof value === "string" ? suggest(value, issue.values.map(String)) : undefined;
    problems.push({ path: path.join(".") || "(file)", line: lineAt(path), message: issue.message, hint, severity: "error" });
  }
  return problems;
}

/**
 * Checks rules text: every problem found, with path and line; the rules when there is no
 * error. Given the file's bytes rather than text, it decodes them (UTF-8, or UTF-16 with a
 * byte-order mark) and the sha256 is that of the bytes, as `sha256sum` shows it.
 */
export function checkRulesText(source: string | Uint8Array, file: string): { rules: Rules | undefined; problems: RulesProblem[] } {
  const problems: RulesProblem[] = [];
  const text = typeof source === "string" ? source : decodeRulesBytes(source, problems);
  if (text === undefined) return { rules: undefined, problems };
  const { js, lineAt } = parseYaml(text.startsWith("\uFEFF") ? text.slice(1) : text, problems);
  if (js === undefined) return { rules: undefined, problems };
  if (!isObject(js)) {
    problems.push({ path: "(file)", line: 1, message: "the file holds no settings; a rules file is a YAML mapping (version, currency, capitalization, …)", hint: "start from the bundled rules/render-fiber.yaml", severity: "error" });
    return { rules: undefined, problems };
  }
  const parsed = rulesSchema.safeParse(js);
  // The cross-checks run on the raw tree too, so one pass reports every problem at once.
  crossCheckLoosely(parsed.success ? parsed.data : js, lineAt, problems);
  if (!parsed.success) {
    for (const p of schemaProblems(parsed.error.issues, js, lineAt)) problems.push(p);
    return { rules: undefined, problems: sortByLine(problems) };
  }
  if (problems.some((p) => p.severity === "error")) return { rules: undefined, problems };
  const sha256 = createHash("sha256").update(source).digest("hex");
  return { rules: compile(parsed.data, file, sha256, problems), problems };
}

/**
 * Rules files saved by Windows editors come as UTF-16 or UTF-8 with a byte-order mark:
 * read them. Anything else that is not UTF-8 is refused plainly rather than read as garbage.
 */
function decodeRulesBytes(bytes: Uint8Array, problems: RulesProblem[]): string | undefined {
  const refuse = (message: string) => {
    problems.push({ path: "(file)", line: undefined, message, severity: "error" });
    return undefined;
  };
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le", { fatal: true }).decode(bytes.subarray(2));
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be", { fatal: true }).decode(bytes.subarray(2));
  } catch {
    return refuse("the file starts with a UTF-16 byte-order mark but is not valid UTF-16; save it again as UTF-8");
  }
  if (bytes.includes(0)) return refuse("the file holds NUL bytes: it looks like UTF-16 without a byte-order mark or a binary file; save it as UTF-8");
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return refuse("the file is not UTF-8 text (perhaps Latin-1 or Windows-1252); save it as UTF-8");
  }
}

/** Runs the cross-checks on a tree that may not match the schema, skipping what is unreadable. */
function crossCheckLoosely(tree: unknown, at: (path: Path) => number | undefined, problems: RulesProblem[]): void {
  const t = (tree ?? {}) as Partial<RulesFile>;
  const obj = <T>(v: T | undefined): T => (v && typeof v === "object" ? v : ({} as T));
  const safe = {
    ...t,
    accounts: obj(t.accounts),
    capitalization: obj(t.capitalization),
    fa_classes: Object.fromEntries(Object.entries(obj(t.fa_classes)).filter(([, v]) => v && typeof v === "object")),
    task_types: Object.fromEntries(Object.entries(obj(t.task_types)).filter(([, v]) => v && typeof v === "object")),
    rate_card: Array.isArray(t.rate_card) ? t.rate_card.filter((e) => e && typeof e === "object") : [],
  } as RulesFile;
  const found: RulesProblem[] = [];
  crossCheck(safe, at, found);
  for (const p of found) if (!problems.some((q) => q.path === p.path && q.message === p.message)) problems.push(p);
}

function sortByLine(problems: RulesProblem[]): RulesProblem[] {
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** A rules file's bytes, or a RulesError saying in plain words why it cannot be read. */
export async function readRulesFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new RulesError(file, [{ path: "(file)", message: `cannot read the rules file: ${unreadableReason(e)}; check the path`, severity: "error" }]);
  }
}

/** Loads a rules file, or throws RulesError listing every problem with its path and line. */
export async function loadRules(file: string): Promise<Rules> {
  const { rules, problems } = checkRulesText(await readRulesFile(file), file);
  if (!rules) throw new RulesError(file, problems);
  return rules;
}

/**
 * Task types a snapshot's projects use (its task_types.json) that the rules do not map: their
 * tasks will be UNMAPPED_TASK_TYPE exceptions. Checked against what Render says the projects
 * use, not against a fixed list, so a new task type in Render shows up here at once.
 */
export function coverageWarnings(rules: Rules, taskTypes: Record<string, Array<{ name: string }>>): RulesProblem[] {
  const used = new Map<string, string[]>();
  for (const [project, types] of Object.entries(taskTypes)) {
    for (const t of types) used.set(t.name, [...(used.get(t.name) ?? []), project]);
  }
  return [...used.keys()]
    .filter((name) => !rules.taskTypes.has(name))
    .sort()
    .map((name) => ({
      path: `task_types.${name}`,
      line: undefined,
      message: `Render task type used by ${used.get(name)!.join(", ")} not covered: its tasks will be reported as UNMAPPED_TASK_TYPE`,
      severity: "warning" as const,
    }));
}
