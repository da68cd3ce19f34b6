import type { Argv } from "yargs";
import { z } from "zod";
import { reopenPeriod } from "../register/reopen.js";
import { RegisterStore } from "../register/store.js";
import { EXIT, commonSchema, parseOptions, printJson, DB_OPTION, periodFlag } from "./terminal.js";

const options = commonSchema.extend({
  period: periodFlag(),
  db: z.string().optional(),
});

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export const reopenCommand = {
  command: "reopen",
  describe: "Roll the register back to before its latest closed period (only the latest; earlier periods never change)",
  builder: (y: Argv) =>
    y
      .option("period", { type: "string", demandOption: true, describe: "the register's latest closed period, YYYY-MM" })
      .option("db", DB_OPTION)
      .epilog(
        "The period's output folder is left as it was. Closing the period again replaces it.\n" +
          "Exit codes: 0 reopened; 1 failed (the register is as it was); 2 bad usage, no register, or not the latest closed period.\n" +
          "Example: capex reopen --period 2026-10 --db capex.db",
      ),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    const store = await RegisterStore.open(o.db, { mustExist: true });
    let r: Awaited<ReturnType<typeof reopenPeriod>>;
    try {
      r = await reopenPeriod(store, o.period);
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
        latest_closed: r.latestClosed ?? null,
      });
    } else if (!o.quiet) {
      const w = (s: string) => process.stdout.write(`${s}\n`);
      const what = r.kind === "import" ? " (the take-on by capex register import)" : "";
      const now = r.latestClosed ? `back to where ${r.latestClosed} closed it` : "empty again";
      w(`Reopened ${r.period}${what}: the register ${store.location} is ${now}.`);
      w(`  removed:  ${plural(r.events, "asset event")} (${plural(r.newAssets, "asset")} first posted in ${r.period}), ${plural(r.balances, "depreciation balance")}, ${plural(r.journalEntries, "journal entry", "journal entries")} (${plural(r.journalLines, "line")})`);
      if (r.kind === "close") {
        w(`  outputs:  the output folder of ${r.period} (${plural(r.outputFiles, "file")} and its manifest.json) is left as it was: fiber-capex does not delete it. Closing ${r.period} again replaces it.`);
        w(`Next: capex close --period ${r.period} --snapshot DIR`);
      } else w(`Next: capex register import FILE --as-of YYYY-MM, or capex close --period YYYY-MM --snapshot DIR`);
    }
    return EXIT.ok;
  },
};
