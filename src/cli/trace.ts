import type { Argv } from "yargs";
import { z } from "zod";
import { type AssetTrace, type JournalTrace, traceAsset, traceJournal } from "../audit/trace.js";
import { parsePeriod, periodEndDate } from "../dates.js";
import { InputError } from "../errors.js";
import { formatCents } from "../money.js";
import { RegisterStore } from "../register/store.js";
import { commonSchema, EXIT, parseOptions, printJson, DB_OPTION } from "./terminal.js";

const options = commonSchema.extend({
  assetId: z.string().optional(),
  journal: z.string().optional(),
  period: z.string().optional(),
  db: z.string().optional(),
});

/** Columns padded to their widest cell; amounts (right-aligned) are the columns named in `right`. */
function table(header: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`);
}

const money = (c: number) => formatCents(c);
const dash = (v: string | number | undefined) => (v === undefined || v === "" ? "-" : String(v));

function assetText(t: AssetTrace): string[] {
  const out: string[] = [];
  const a = t.approval;
  const k = t.takeOn;
  const where = [t.location.streetAddress, t.location.roadName, t.location.workPackage].filter((x) => x).join(", ");
  const point = t.location.latitude !== undefined && t.location.longitude !== undefined ? ` (${t.location.latitude}, ${t.location.longitude})` : "";
  out.push(`Asset ${t.assetId} (${t.status})`);
  if (k) {
    // Taken on from another system: no Render task, approval or unit lines to show.
    out.push(`  Taken on        from another system by capex register import in ${k.period} (opening balances, no journal); project ${t.project}`);
    out.push(`  Take-on file    ${dash(k.file)} (sha256 ${dash(k.sha256)})`);
    if (t.description) out.push(`  Description     ${t.description}`);
    out.push(`  In service      ${k.inServiceDate} (as the take-on file gives it)`);
    out.push(`  Accumulated     ${money(k.accumulated)} taken on, to ${periodEndDate(k.period)}`);
  } else {
    out.push(`  Render task     ${t.project}#${dash(t.taskId)}, ${t.taskType}: ${t.description}`);
    if (a) out.push(`  Approved        by ${dash(a.by)} at ${dash(a.atUtc)} UTC = ${dash(a.atLocal)} ${a.timeZone}${a.timeZoneDefaulted ? " (the rules' default zone: Render held none)" : ""}`);
    out.push(`  In service      ${t.inServiceDate} (the approval's local date)`);
  }
  out.push(`  Class           ${t.faClass}; ${t.method} over ${t.lifeMonths} months, ${t.convention} convention`);
  out.push(`  Cost            ${money(t.cost)} (salvage ${money(t.salvage)})${t.quantity === undefined ? "" : ` for ${t.quantity} ${t.uom ?? ""}`.trimEnd()}`);
  if (k) out.push(`  Rule            ${t.rule.ruleId} (no task type: the take-on file's figures), rules version ${t.rule.rulesVersion} (as posted in ${t.rule.period})`);
  else out.push(`  Rule            ${t.rule.ruleId}, rules version ${t.rule.rulesVersion} (as posted in ${t.rule.period}); rates ${t.rule.rateIds.join(", ") || "-"}`);
  if (where || point) out.push(`  Location        ${where}${point}`);
  if (t.photos.length) out.push(`  Photos          ${t.photos.join(", ")}`);
  out.push("", "Cost elements (unit lines and rates)");
  if (k && t.elements.length === 0) out.push("  none: the take-on file gives the cost as one amount");
  else {
    out.push(
      ...table(
        ["line", "basis", "unit code", "quantity", "uom", "rate", "rate id", "amount"],
        t.elements.map((e) => [e.line === undefined ? "task" : String(e.line + 1), e.source, dash(e.unitCode), dash(e.quantity), dash(e.uom), dash(e.rate), dash(e.rateId), money(e.amount)]),
        new Set([3, 5, 7]),
      ),
    );
  }
  out.push("", "Register events");
  out.push(
    ...table(
      ["period", "event", "status", "class", "cost", "cost change", "accum. change", "catch-up", "why"],
      t.events.map((e) => [e.period, e.kind, e.status, e.faClass, money(e.cost), money(e.costChange), money(e.accumulatedChange), money(e.catchUp), e.message]),
      new Set([4, 5, 6, 7]),
    ),
  );
  out.push("", "Depreciation (GL book) by period (accumulated = the period before's + depreciation + other changes, which are the register events' accum. change; cost at the period's end)");
  out.push(
    ...table(
      ["period", "depreciation", "other changes", "accumulated", "cost", "net book value"],
      t.depreciation.map((d) => [d.period, money(d.amount), money(d.otherChanges), money(d.accumulated), money(d.cost), money(d.cost - d.accumulated)]),
      new Set([1, 2, 3, 4, 5]),
    ),
  );
  out.push("", "Journal lines this asset is part of (its share of each line)");
  out.push(
    ...table(
      ["period", "journal", "line", "account", "debit", "credit", "this asset", "as", "memo"],
      t.journalLines.map((l) => [l.period, l.journalId, String(l.line), `${l.account} ${l.accountName}`, money(l.debit), money(l.credit), money(l.amount), l.component, l.memo]),
      new Set([2, 4, 5, 6]),
    ),
  );
  return out;
}

function journalText(t: JournalTrace): string[] {
  const out = [`Journal ${t.journalId}: ${t.source}, project ${t.project}, dated ${t.date} (period ${t.period}), ${t.currency}`];
  for (const l of t.lines) {
    const side = l.debit > 0 ? "debit" : "credit";
    out.push("", `Line ${l.line}: ${l.account} ${l.accountName}, ${l.faClass ? `${l.faClass}, ` : ""}${side} ${money(l.debit + l.credit)} — ${l.memo}`);
    out.push(
      ...table(
        ["asset / task", "from", "as", "amount"],
        l.parts.map((p) => [p.assetId ?? `task ${p.project}#${p.taskId}`, p.kind, p.component, money(p.amount)]),
        new Set([3]),
      ),
    );
    out.push(`  sum of ${l.parts.length} part${l.parts.length === 1 ? "" : "s"} ${money(l.sum)} = line ${side} ${money(l.debit + l.credit)}: ${l.ties ? "ties" : "DOES NOT TIE"}`);
    if (l.note) out.push(`  ${l.note}`);
  }
  out.push("", t.ties ? `Every line of ${t.journalId} ties to its parts.` : `Some lines of ${t.journalId} do not tie to parts the register holds.`);
  return out;
}

export const traceCommand = {
  command: "trace [asset-id]",
  describe: "From an asset to its Render task (or take-on file), units, rates, rule, events, depreciation and journal lines; or, with --journal, what makes up each line of a journal entry",
  builder: (y: Argv) =>
    y
      .positional("asset-id", { type: "string", describe: "the asset to trace (as in register.csv)" })
      .option("journal", { type: "string", describe: "trace a journal entry instead, e.g. DEP-2026-10-P1: the assets whose amounts make up each line" })
      .option("period", { type: "string", describe: "with --journal: the period the entry must belong to" })
      .option("db", DB_OPTION)
      .epilog("Reads the register only. Exit codes: 0 traced (with --journal: every line ties); 1 some line does not tie; 2 bad usage or an id the register does not hold."),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    if ((o.assetId === undefined) === (o.journal === undefined)) throw new InputError("ASSET_ID", "name an asset to trace, or a journal entry with --journal (one of the two)");
    if (o.period !== undefined && o.journal === undefined) throw new InputError("--period", "goes with --journal (the period the entry must belong to); an asset's trace covers every period");
    if (o.period !== undefined) parsePeriod(o.period, "--period");
    const store = await RegisterStore.openExisting(o.db);
    try {
      if (o.journal !== undefined) {
        const t = await traceJournal(store, o.journal, o.period);
        if (o.json) printJson(t);
        else if (!o.quiet) process.stdout.write(`${journalText(t).join("\n")}\n`);
        return t.ties ? EXIT.ok : EXIT.failure;
      }
      const t = await traceAsset(store, o.assetId!);
      if (o.json) printJson(t);
      else if (!o.quiet) process.stdout.write(`${assetText(t).join("\n")}\n`);
      return EXIT.ok;
    } finally {
      await store.close();
    }
  },
};
