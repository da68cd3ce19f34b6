import type { Argv } from "yargs";
import { z } from "zod";
import { reopenPeriod } from "../register/reopen.js";
import { RegisterStore } from "../register/store.js";
import { EXIT, commonSchema, parseOptions, printJson, DB_OPTION, periodFlag } from "./terminal.js";

const options = commonSchema.extend({
  period: periodFlag(),
  db: z.string().optional(),
  reason: z.string().optional(),
});

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export const reopenCommand = {
  command: "reopen",
  describe: "Roll the register back to before its latest closed period (only the latest; earlier periods never change)",
  builder: (y: Argv) =>
    y
      .option("period", { type: "string", demandOption: true, describe: "the register's latest closed period, YYYY-MM" })
      .option("db", DB_OPTION)
      .option("reason", { type: "string", describe: "why, for the register's reopen log (capex register status lists it; the period's audit report names it)" })
      .epilog(
        "The period's output folder is left as it was. Closing the period again replaces it. The register logs the close removed, who reopened it, when and why.\n" +
          "Exit codes: 0 reopened; 1 failed (the register is as it was); 2 bad usage, no register, or not the latest closed period.\n" +
          "Example: capex reopen --period 2026-10 --db capex.db",
      ),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    const store = await RegisterStore.open(o.db, { mustExist: true });
    let r: Awaited<ReturnType<typeof reopenPeriod>>;
    try {
      r = await reopenPeriod(store, o.period, { reason: o.reason });
    } finally {
      await store.close();
    }
    if (o.json) {
      printJson({
        period: r.period,
        kind: r.kind,
        register: store.location,
        removed: { events: r.events, new_assets: r.newAssets, balances: r.balances, journal_entries: r.journalEntries, journal_lines: r.journalLines },
        output_files_left: r.outputFiles,
        logged: { reopened_at: r.logged.reopenedAt, reopened_by: r.logged.reopenedBy, reason: r.logged.reason },
        latest_closed: r.latestClosed ?? null,
      });
    } else if (!o.quiet) {
      const w = (s: string) => process.stdout.write(`${s}\n`);
      const what = r.kind === "import" ? " (the take-on by capex register import)" : "";
      const now = r.latestClosed ? `back to where ${r.latestClosed} closed it` : "empty again";
      w(`Reopened ${r.period}${what}: the register ${store.location} is ${now}.`);
      w(`  logged:   the ${r.kind === "import" ? "take-on" : "close"} removed (closed ${r.logged.removed.closedAt} by ${r.logged.removed.closedBy}), reopened ${r.logged.reopenedAt} by ${r.logged.reopenedBy}${r.logged.reason ? `: ${r.logged.reason}` : " (no --reason given)"}`);
      if (r.kind === "close") w(`  journal:  if ${r.period}'s journal was imported into the ledger, reverse it there before the period's close is posted again`);
      w(`  removed:  ${plural(r.events, "asset event")} (${plural(r.newAssets, "asset")} first posted in ${r.period}), ${plural(r.balances, "depreciation balance")}, ${plural(r.journalEntries, "journal entry", "journal entries")} (${plural(r.journalLines, "line")})`);
      if (r.kind === "close") {
        w(`  outputs:  the output folder of ${r.period} (${plural(r.outputFiles, "file")} and its manifest.json) is left as it was: fiber-capex does not delete it. Closing ${r.period} again replaces it.`);
        w(`Next: capex close --period ${r.period} --snapshot DIR`);
      } else w(`Next: capex register import FILE --as-of YYYY-MM, or capex close --period YYYY-MM --snapshot DIR`);
    }
    return EXIT.ok;
  },
};
