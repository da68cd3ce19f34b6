import type { Argv } from "yargs";
import { z } from "zod";
import { traceAsset } from "../audit/trace.js";
import { formatCents } from "../money.js";
import { loadDefaultRules } from "../package-info.js";
import { assetStory } from "../register/history.js";
import { importAssets, REQUIRED_TAKE_ON_COLUMNS, TAKE_ON_COLUMNS } from "../register/import.js";
import { RegisterStore } from "../register/store.js";
import { registerSummary } from "../register/summary.js";
import { recordedPath } from "../report/write.js";
import { loadRules } from "../rules/load.js";
import { commonSchema, EXIT, info, parseOptions, printJson, DB_OPTION, periodFlag } from "./terminal.js";

const period = periodFlag;
const w = (s: string) => process.stdout.write(`${s}\n`);

/** Left-aligned text columns, right-aligned numbers, two spaces apart. */
function table(header: string[], rows: string[][], numeric: boolean[]): string[] {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `  ${r.map((c, i) => (numeric[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join("  ").trimEnd()}`;
  return [line(header), ...rows.map(line)];
}

async function withStore<T>(db: string | undefined, fn: (store: RegisterStore) => Promise<T>, mustExist = true): Promise<T> {
  const store = await RegisterStore.open(db, { mustExist });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const statusOptions = commonSchema.extend({ db: z.string().optional() });

const statusCommand = {
  command: "status",
  describe: "Where the register lives, its closed periods with their control totals, its assets by status",
  builder: (y: Argv) =>
    y.option("db", DB_OPTION).epilog("Exit codes: 0 shown; 1 the register cannot be reached; 2 bad usage or no register there.\nExample: capex register status --db capex.db"),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(statusOptions, argv);
    const s = await withStore(o.db, registerSummary);
    const assets = s.assetsByStatus;
    if (o.json) {
      printJson({
        register: s.location,
        backend: s.backend,
        register_id: s.id ?? null,
        latest_closed: s.latestClosed ?? null,
        next_period: s.nextPeriod ?? null,
        periods: s.periods.map((p) => ({
          period: p.period,
          kind: p.kind,
          provisional: p.provisional,
          closed_at: p.closedAt,
          closed_by: p.closedBy,
          rules_version: p.rulesVersion,
          rules_sha256: p.rulesSha256,
          input_sha256: p.inputSha256,
          tool_version: p.toolVersion,
          closing_cost: p.closingCost,
          closing_accumulated: p.closingAccumulated,
          closing_nbv: p.closingNbv,
          additions: p.additions,
          depreciation: p.depreciation,
          opening_cost: p.openingCost,
          taken_on: p.takenOn,
          cost_adjustments: p.costAdjustments,
          retired: p.retired,
        })),
        assets_by_status: assets,
        reopens: s.reopens.map((x) => ({
          period: x.period,
          reopened_at: x.reopenedAt,
          reopened_by: x.reopenedBy,
          reason: x.reason,
          removed: { kind: x.removed.kind, closed_at: x.removed.closedAt, closed_by: x.removed.closedBy, snapshot_sha256: x.removed.snapshotSha256, rules_sha256: x.removed.rulesSha256, output_hashes: x.removed.outputHashes },
        })),
      });
      return EXIT.ok;
    }
    if (o.quiet) return EXIT.ok;
    w(`Register ${s.location} (${s.backend === "sqlite" ? "SQLite" : "PostgreSQL"})`);
    // The register's log of reopens: each close a reopen removed stays on record.
    const reopens = () => {
      for (const x of s.reopens) {
        w(`  reopened: ${x.period} at ${x.reopenedAt} by ${x.reopenedBy}${x.reason ? `: ${x.reason}` : " (no reason given)"}; it removed the ${x.removed.kind} of ${x.removed.closedAt} by ${x.removed.closedBy} (snapshot ${x.removed.snapshotSha256.slice(0, 12)}…)`);
      }
    };
    if (s.periods.length === 0) {
      w("  no period closed yet: close a first month with capex close, or take on existing assets first with capex register import FILE --as-of YYYY-MM");
      reopens();
      return EXIT.ok;
    }
    const rows = s.periods.map((p) => [p.period, p.provisional ? `${p.kind} (provisional)` : p.kind, p.closedAt, p.closedBy, p.rulesVersion, p.closingCost, p.closingAccumulated, p.closingNbv, p.additions, p.depreciation]);
    for (const l of table(["period", "kind", "closed at", "closed by", "rules", "closing cost", "accumulated", "net book value", "additions", "depreciation"], rows, [false, false, false, false, false, true, true, true, true, true])) w(l);
    // A rules file changed without a new version shows the same version in the table: said here.
    for (let i = 1; i < s.periods.length; i++) {
      const [before, p] = [s.periods[i - 1]!, s.periods[i]!];
      if (p.rulesVersion === before.rulesVersion && p.rulesSha256 !== before.rulesSha256) {
        w(`  rules: ${p.period} was closed with other rules than ${before.period}, under the same version ${p.rulesVersion} (sha256 ${p.rulesSha256.slice(0, 12)}…, was ${before.rulesSha256.slice(0, 12)}…)`);
      }
    }
    w(`  latest closed: ${s.latestClosed}; the next close is ${s.nextPeriod} (only ${s.latestClosed} can be reopened)`);
    const provisional = s.periods.filter((p) => p.provisional).map((p) => p.period);
    if (provisional.length) {
      w(`  provisional: ${provisional.join(", ")} closed before the period ended (--allow-open-period); work Render approves later with a date in it comes in with the next close as a late addition`);
    }
    w(`  assets: ${assets.active} active, ${assets.withdrawn} withdrawn, ${assets.retired} retired`);
    // The cost of each period, footed: opening + taken on + additions + adjustments − retired = closing.
    w("Cost by period");
    const costs = s.periods.map((p) => [p.period, p.openingCost, p.takenOn, p.additions, p.costAdjustments, p.retired, p.closingCost]);
    for (const l of table(["period", "opening", "taken on", "additions", "cost adjustments", "retired", "closing cost"], costs, [false, true, true, true, true, true, true])) w(l);
    reopens();
    if (s.id) w(`  register id: ${s.id} (each close's manifest.json names it)`);
    return EXIT.ok;
  },
};

const assetOptions = commonSchema.extend({ id: z.string().min(1, { message: "name an asset id" }), db: z.string().optional() });

const assetCommand = {
  command: "asset <id>",
  describe: "One asset's whole story: source task, every event, depreciation by period, journal ids",
  builder: (y: Argv) =>
    y
      .positional("id", { type: "string", describe: "the asset id (register.csv's asset_id)" })
      .option("db", DB_OPTION)
      .epilog("Exit codes: 0 shown; 1 the register cannot be reached; 2 bad usage, no register there, or no such asset.\nExample: capex register asset ATX-NORTH-8 --db capex.db"),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(assetOptions, { ...(argv as object), id: String((argv as { id?: unknown }).id ?? "") });
    const { a, journalIds } = await withStore(o.db, async (store) => {
      const a = await assetStory(store, o.id);
      // The entries holding a line the asset's own movements reached, as capex trace finds them:
      // not every entry of its project and class, which hold the other assets' movements.
      const traced = await traceAsset(store, o.id);
      return { a, journalIds: [...new Set(traced.journalLines.map((l) => l.journalId))] };
    });
    const r = a.record;
    if (o.json) {
      printJson({
        asset_id: a.assetId,
        source: a.source,
        project: a.project,
        task_id: a.taskId ?? null,
        task_type: r.taskType || null,
        in_service_date: r.inServiceDate,
        approved_by: r.approvedBy ?? null,
        first_period: a.firstPeriod,
        status: a.status,
        fa_class: r.faClass,
        cost: formatCents(r.cost),
        salvage: formatCents(r.salvage),
        life_months: r.lifeMonths,
        method: r.method,
        convention: r.convention,
        accumulated: formatCents(a.accumulated),
        net_book_value: formatCents(a.netBookValue),
        events: a.events.map((e) => ({
          period: e.period,
          kind: e.kind,
          status: e.status,
          fa_class: e.record.faClass,
          cost: formatCents(e.record.cost),
          cost_change: formatCents(e.costChange),
          accumulated_change: formatCents(e.accumulatedChange),
          catch_up: formatCents(e.catchUp),
          message: e.message,
        })),
        depreciation: a.depreciation.map((d) => ({ period: d.period, amount: formatCents(d.amount), other_changes: formatCents(d.otherChanges), accumulated: formatCents(d.accumulated) })),
        journal_ids: journalIds,
      });
      return EXIT.ok;
    }
    if (o.quiet) return EXIT.ok;
    w(`Asset ${a.assetId}: ${a.status}, class ${r.faClass}, project ${a.project}`);
    if (a.source === "render") {
      w(`  source:        Render task ${a.project}#${a.taskId} (${r.taskType}), in service ${r.inServiceDate}, approved by ${r.approvedBy ?? "(not recorded)"}; rule ${r.ruleId}`);
    } else w(`  source:        taken on from another system by capex register import in ${a.firstPeriod}; in service ${r.inServiceDate}`);
    if (r.description) w(`  description:   ${r.description}`);
    // A retired or withdrawn asset's record is as it was last posted, before it left the register.
    const left = a.status === "active" ? "" : ` (as last posted, before it was ${a.status})`;
    w(`  book:          cost ${formatCents(r.cost)}, salvage ${formatCents(r.salvage)}, ${r.lifeMonths} months, ${r.method}, ${r.convention}${r.quantity === undefined ? "" : `; ${r.quantity} ${r.uom ?? ""}`.trimEnd()}${left}`);
    w(a.status === "active" ? `  now:           accumulated ${formatCents(a.accumulated)}, net book value ${formatCents(a.netBookValue)}` : `  now:           ${a.status}: nothing of it left in the register (cost, accumulated and net book value 0.00)`);
    w("Events");
    for (const l of table(
      ["period", "kind", "status", "cost change", "accumulated change", "catch-up", "message"],
      a.events.map((e) => [e.period, e.kind, e.status, formatCents(e.costChange), formatCents(e.accumulatedChange), formatCents(e.catchUp), e.message]),
      [false, false, false, true, true, true, false],
    )) w(l);
    w("Depreciation");
    // Other changes (taken on, caught up, reversed, retired, moved between classes): each row adds up from the one before.
    for (const l of table(["period", "amount", "other changes", "accumulated"], a.depreciation.map((d) => [d.period, formatCents(d.amount), formatCents(d.otherChanges), formatCents(d.accumulated)]), [false, true, true, true])) w(l);
    w(`Journal entries its movements reached: ${journalIds.length ? journalIds.join(", ") : "none"} (capex trace ${a.assetId} shows its lines)`);
    return EXIT.ok;
  },
};

const importOptions = commonSchema.extend({ file: z.string().min(1), asOf: period("--as-of"), db: z.string().optional(), rules: z.string().optional() });

const importCommand = {
  command: "import <file>",
  describe: "Take on existing assets from another system into an empty register, as of a month",
  builder: (y: Argv) =>
    y
      .positional("file", { type: "string", describe: "CSV of the assets to take on" })
      .option("as-of", { type: "string", demandOption: true, describe: "the first month the register will close, YYYY-MM; accumulated_depreciation is as of the end of the month before" })
      .option("db", DB_OPTION)
      .option("rules", { type: "string", describe: "rules file (default: the bundled rules/render-fiber.yaml); its classes and depreciation defaults apply" })
      .epilog(
        `Columns: ${TAKE_ON_COLUMNS.join(", ")}.\nRequired: ${REQUIRED_TAKE_ON_COLUMNS.join(", ")}; method and convention default to the rules', salvage to 0.\n` +
          "Exit codes: 0 loaded; 1 failed, nothing loaded; 2 bad usage, a bad row (each listed with its line), or a register that is not empty.\n" +
          "Example: capex register import fixtures/import/example-assets.csv --as-of 2026-10 --db capex.db",
      ),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(importOptions, argv);
    const rules = o.rules ? await loadRules(recordedPath(o.rules)) : await loadDefaultRules();
    for (const warning of rules.warnings) info(o, `rules warning: ${warning.path}: ${warning.message}`);
    let location = "";
    const s = await withStore(
      o.db,
      (store) => {
        location = store.location;
        return importAssets(store, { file: o.file, asOf: o.asOf, rules, recordedAs: recordedPath(o.file) });
      },
      false,
    );
    if (o.json) {
      printJson({
        register: location,
        period: s.period,
        as_of: s.asOf,
        file: s.file,
        sha256: s.sha256,
        assets: s.assets,
        classes: s.classes.map((c) => ({ fa_class: c.faClass, cost: formatCents(c.cost), accumulated: formatCents(c.accumulated) })),
        cost: formatCents(s.cost),
        accumulated: formatCents(s.accumulated),
        net_book_value: formatCents(s.netBookValue),
        warnings: s.warnings,
      });
    } else if (!o.quiet) {
      for (const warning of s.warnings) info(o, `take-on warning: ${s.file}: ${warning}`);
      w(`Took on ${s.assets} asset${s.assets === 1 ? "" : "s"} from ${s.file} into the register ${location}, as ${s.period} (opening balances, no journal)`);
      for (const l of table(["class", "cost", "accumulated", "net book value"], s.classes.map((c) => [c.faClass, formatCents(c.cost), formatCents(c.accumulated), formatCents(c.cost - c.accumulated)]), [false, true, true, true])) w(l);
      w(`  total: cost ${formatCents(s.cost)}, accumulated ${formatCents(s.accumulated)}, net book value ${formatCents(s.netBookValue)}`);
      w(`Each depreciates what is left over the rest of its life from ${s.asOf}. Next: capex close --period ${s.asOf} --snapshot DIR`);
    }
    return EXIT.ok;
  },
};

/** `capex register <status|asset|import>`: main.ts wraps each like a command of its own. */
export const registerSubcommands = [statusCommand, assetCommand, importCommand];
