import { resolve } from "node:path";
import type { Argv } from "yargs";
import { z } from "zod";
import type { CloseResult } from "../close/close.js";
import { runMonthEnd } from "../close/month-end.js";
import { parsePeriod } from "../dates.js";
import { ERP_PROFILE_NAMES } from "../erp/mapping.js";
import { checkErpProfiles } from "../erp/profiles.js";
import { formatCents } from "../money.js";
import { loadDefaultRules } from "../package-info.js";
import { RegisterStore } from "../register/store.js";
import { checkCloseOutputFolder, recordedPath } from "../report/write.js";
import { coverageWarnings, loadRules } from "../rules/load.js";
import { openSnapshot } from "../snapshot/reader.js";
import { type CommonFlags, commonSchema, EXIT, info, onStop, parseOptions, printJson, showsProgress, DB_OPTION, periodFlag } from "./terminal.js";

const options = commonSchema.extend({
  period: periodFlag(),
  snapshot: z.string().min(1),
  out: z.string().optional(),
  rules: z.string().optional(),
  strict: z.boolean().default(false),
  db: z.string().optional(),
  retirements: z.string().optional(),
  allowOpenPeriod: z.boolean().default(false),
  workbook: z.boolean().default(true),
  erp: z.array(z.string()).default([]),
});

export interface CloseRun {
  snapshot: string;
  period: string;
  rules?: string | undefined;
  out?: string | undefined;
  strict: boolean;
  /** The register: a SQLite file or a postgres:// URL (default CAPEX_DB, else capex.db). */
  db?: string | undefined;
  retirements?: string | undefined;
  allowOpenPeriod?: boolean | undefined;
  /** false (--no-workbook): CSV files only. */
  workbook?: boolean | undefined;
  /** Ledger import layouts to write too (--erp, repeatable). */
  erp?: string[] | undefined;
  /** See MonthEndInput.replacesAnyRegister (capex demo, in its own folder). */
  replacesAnyRegister?: boolean | undefined;
}

const STAGES: Record<string, string> = {
  classify: "reading, validating and classifying tasks",
  register: "reading the register",
  reconcile: "reconciling with the register",
  depreciate: "pricing the register and depreciating",
  journal: "building and balancing the journals",
  check: "checking the run identities",
};

/** Closes a period and writes its outputs, telling the user what happens; returns the exit code. */
export async function runClose(run: CloseRun, flags: CommonFlags): Promise<{ code: number; result: CloseResult; out: string }> {
  const out = run.out ?? resolve("out", run.period);
  checkCloseOutputFolder(out, [run.snapshot, ...(run.rules ? [run.rules] : [])], run.period);
  parsePeriod(run.period, "--period");
  const progress = showsProgress(flags);
  const started = Date.now();
  const stage = (text: string) => {
    if (progress) process.stderr.write(`  ${text}… (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  };
  const rules = run.rules ? await loadRules(recordedPath(run.rules)) : await loadDefaultRules();
  checkErpProfiles(run.erp ?? [], rules.erp, rules.file);
  const snapshot = await openSnapshot(run.snapshot);
  for (const w of [...rules.warnings, ...coverageWarnings(rules, snapshot.taskTypes)]) info(flags, `rules warning: ${w.path}: ${w.message}`);
  const register = await RegisterStore.open(run.db);
  // Ctrl-C or a kill mid-close: the transaction rolls back and a register file this run made
  // goes with it, as does the outputs' temporary folder. After the commit, the period is
  // closed: the user is told to run the same close again for its outputs.
  const stopHandling = onStop(() => {
    if (register.abandon().committed) {
      return `stopped after ${run.period} was closed in the register ${register.location}; its outputs may not all be in place. Run the same close again to write them.`;
    }
    // The server may have committed a moment before its answer arrived.
    if (register.backend === "postgres") return `stopped; capex register status says whether ${run.period} was closed before the stop (then run the same close again for its outputs).`;
    return `stopped; nothing was closed: the register ${register.location} and ${out} are as they were.`;
  });
  let outcome: Awaited<ReturnType<typeof runMonthEnd>>;
  try {
    outcome = await runMonthEnd({
      register,
      snapshot,
      rules,
      period: run.period,
      out,
      retirementsFile: run.retirements,
      allowOpenPeriod: run.allowOpenPeriod,
      workbook: run.workbook,
      erp: run.erp,
      replacesAnyRegister: run.replacesAnyRegister,
      onStage: (s) => stage(STAGES[s] ?? s),
      onFile: (f) => stage(`writing ${f}`),
      onWarning: (w) => info(flags, `output warning: ${w}`),
    });
  } finally {
    stopHandling();
    await register.close();
  }
  const { result, warnings } = outcome;
  const t = result.controlTotals;
  // A warning row (NO_TIME_ZONE) is a task capitalized with a default: not a task held back.
  const exceptions = result.exceptions.filter((e) => e.severity === "error");
  const warned = result.exceptions.filter((e) => e.severity !== "error");
  const byCode = (rows: typeof exceptions) => [...new Set(rows.map((e) => e.code))].map((code) => `${code} ${rows.filter((e) => e.code === code).length}`).join(", ");
  const { earlier } = result.taxYearToDate;
  if (flags.json) {
    printJson({
      period: result.period,
      status: outcome.status,
      open_period: result.openPeriod,
      register: { location: register.location, last_closed_before: result.registerBefore.lastClosed ?? null },
      out,
      // A first close's opening balances (no journal); null when it took on nothing.
      taken_on: result.takenOn ? { count: result.takenOn.assets, cost: formatCents(result.takenOn.cost), accumulated: formatCents(result.takenOn.accumulated) } : null,
      additions: { count: result.counts.additions, cost: formatCents(t.additions) },
      depreciation: formatCents(t.depreciation),
      expensed_in_period: formatCents(t.expensedInPeriod),
      adjustments: { count: result.counts.adjustments, cost: formatCents(t.costAdjustments), accumulated: formatCents(t.accumulatedAdjustments) },
      disposals: { count: result.counts.disposals, cost: formatCents(t.disposals), gain_loss: formatCents(t.gainLoss) },
      tax_depreciation: {
        tax_year: result.taxYear,
        amount: formatCents(t.taxDepreciation),
        // The year's deduction as it stands: the assets in service and what the year retired.
        retirements: formatCents(result.taxYearToDate.retirements),
        earlier_retirements: earlier ? { from: earlier.from, to: earlier.to, amount: formatCents(earlier.amount), count: earlier.retirements, without_figures: earlier.withoutFigures } : null,
        year_to_date: formatCents(result.taxYearToDate.total),
        // The earlier tax years' deduction from this period's changes, in no year's tax_amount.
        earlier_years_on_changes: formatCents(result.taxYearToDate.earlierYearsOnChanges),
        earlier_years_on_conventions: formatCents(result.taxYearToDate.earlierYearsOnConventions),
      },
      assets: { count: result.counts.register, cost: formatCents(t.closingCost), accumulated: formatCents(t.closingAccumulated), net_book_value: formatCents(t.closingNbv) },
      exceptions: result.counts.exceptionsByCode,
      identities_hold: result.identities.every((i) => i.holds),
      output_warnings: warnings,
      rules_changed_since: outcome.rulesChangedSince
        ? { period: outcome.rulesChangedSince.period, rules_file: outcome.rulesChangedSince.rulesFile ?? null, rules_sha256: outcome.rulesChangedSince.rulesSha256 }
        : null,
      elapsed_ms: Date.now() - started,
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    });
  } else if (!flags.quiet) {
    const w = (s: string) => process.stdout.write(`${s}\n`);
    const verb = outcome.status === "rewritten" ? "Already closed with these inputs; outputs written again for" : "Closed";
    // A new register file is said so: a mistyped --db otherwise looks like any first close.
    w(`${verb} ${result.period} (${result.periodStart} to ${result.periodEnd}), rules ${result.rules.version}, register ${register.location}${register.madeNew ? " (a new file, made by this close)" : ""}`);
    if (result.openPeriod) w(`  provisional:   ${result.period} had not ended when the snapshot was fetched (${result.snapshot.fetchedAt})`);
    const changed = outcome.rulesChangedSince;
    if (changed) {
      const was = `${changed.rulesFile ? `${changed.rulesFile}, ` : ""}sha256 ${changed.rulesSha256.slice(0, 12)}…`;
      w(`  rules:         not those ${changed.period} was closed with (${was}); what they change flows through this close's adjustments`);
    }
    // A count and its noun, in the count's column ("1 asset ", "2 assets").
    const noun = (n: number, word: string) => (n === 1 ? word : `${word}s`);
    const count = (n: number, word: string) => `${String(n).padStart(7)} ${noun(n, word).padEnd(word.length + 1)}`;
    const taken = result.takenOn;
    if (taken) w(`  opening:       ${String(taken.assets).padStart(7)} ${noun(taken.assets, "asset")} taken on from the snapshot (first close of this register; no journal)`);
    w(`  additions:     ${count(result.counts.additions, "asset")}   ${formatCents(t.additions).padStart(16)}`);
    w(`  depreciation:  ${count(result.counts.register, "asset")}   ${formatCents(t.depreciation).padStart(16)}`);
    w(`  expensed:      ${count(result.counts.expensedInPeriod, "task")}    ${formatCents(t.expensedInPeriod).padStart(16)}`);
    if (result.counts.adjustments) {
      const kinds: Record<string, number> = {};
      for (const a of result.adjustments) kinds[a.kind] = (kinds[a.kind] ?? 0) + 1;
      w(`  adjustments:   ${String(result.counts.adjustments).padStart(7)} (${Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(", ")})  cost ${formatCents(t.costAdjustments)}, accumulated ${formatCents(t.accumulatedAdjustments)}; see adjustments.csv`);
    }
    if (result.counts.disposals) w(`  retirements:   ${count(result.counts.disposals, "asset")}   cost ${formatCents(t.disposals)}, gain/loss ${formatCents(t.gainLoss)}; see disposals.csv`);
    w(`  register:      cost ${formatCents(t.closingCost)}, accumulated ${formatCents(t.closingAccumulated)}, net book value ${formatCents(t.closingNbv)}`);
    // With the year's retirements when it has any (this period's, or its earlier months'), even at no deduction.
    const ytd = result.taxYearToDate;
    const retired = result.counts.disposals + (earlier?.retirements ?? 0);
    const unfigured = earlier?.withoutFigures ? ` (${earlier.withoutFigures} retired without this tax year's figures not included)` : "";
    w(`  tax book FY${result.taxYear}: ${formatCents(t.taxDepreciation)} (reporting only)${retired ? `; ${formatCents(ytd.total)} with the year's retirements to date${unfigured}` : ""}`);
    if (ytd.earlierYearsOnChanges) {
      const signed = `${ytd.earlierYearsOnChanges > 0 ? "+" : ""}${formatCents(ytd.earlierYearsOnChanges)}`;
      const turned = ytd.earlierYearsOnConventions ? `, ${formatCents(ytd.earlierYearsOnConventions)} of it on other assets of a year whose mid-quarter test they turned` : "";
      w(`  tax book to FY${result.taxYear - 1}: ${signed} from this period's changes${turned}, in no year's tax_amount (see adjustments.csv)`);
    }
    w(`  identities:    all ${result.identities.length} hold`);
    if (exceptions.length) w(`  exceptions:    ${exceptions.length} (${byCode(exceptions)}); see exceptions.csv`);
    else w("  exceptions:    none");
    if (warned.length) w(`  warnings:      ${warned.length} (${byCode(warned)}); see exceptions.csv`);
    w(`Files in ${out}`);
  }
  return { code: exceptions.length > 0 && run.strict ? EXIT.exceptions : EXIT.ok, result, out };
}

export const closeCommand = {
  command: "close",
  describe: "Month-end close: capitalize, depreciate and write the journal, register, rollforward and workbook",
  builder: (y: Argv) =>
    y
      .option("period", { type: "string", demandOption: true, describe: "the month to close, YYYY-MM" })
      .option("snapshot", { type: "string", demandOption: true, describe: "snapshot folder written by capex fetch" })
      .option("out", { type: "string", describe: "output folder (default out/YYYY-MM); must be new, empty or an earlier close's output folder, which is replaced only when the close succeeds" })
      .option("rules", { type: "string", describe: "rules file (default: the bundled rules/render-fiber.yaml)" })
      .option("strict", { type: "boolean", default: false, describe: "exit 3 when there are exceptions, tasks not capitalized or expensed (outputs are still written); warnings do not count" })
      .option("db", DB_OPTION)
      .option("allow-open-period", { type: "boolean", default: false, describe: "close a month that had not ended when the snapshot was fetched (marked provisional)" })
      .option("workbook", { type: "boolean", default: true, describe: "write the Excel workbook; --no-workbook writes the CSV files only (for very large closes)" })
      .option("erp", { type: "string", array: true, describe: `also write the journal in a ledger's import layout as journal-PROFILE.csv (repeatable): ${ERP_PROFILE_NAMES.join(", ")}` })
      .option("retirements", { type: "string", describe: "CSV of assets to retire in the period: asset_id,date,portion,proceeds,removal_cost,reason" })
      .epilog("Exit codes: 0 done; 1 failed, nothing written; 2 bad usage or input file; 3 done with exceptions under --strict."),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    return (await runClose(o, o)).code;
  },
};
