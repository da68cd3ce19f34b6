import type { Argv } from "yargs";
import { z } from "zod";
import { DEFAULT_LABEL_BATCH, labelTasks } from "../label/label.js";
import { describeLabelSummary } from "../label/text.js";
import { RENDER_LIMITS } from "../render/limits.js";
import { RegisterStore } from "../register/store.js";
import { renderClientFromEnv } from "./render-client.js";
import { commonSchema, EXIT, onStop, parseOptions, printJson, wholeNumber } from "./terminal.js";

const options = commonSchema.extend({
  period: z.string().refine((p) => /^\d{4}-(0[1-9]|1[0-2])$/.test(p), { message: "--period must be a month written YYYY-MM, for example 2026-10" }),
  db: z.string().optional(),
  dryRun: z.boolean().default(false),
  snapshot: z.string().min(1).optional(),
  batchSize: wholeNumber("--batch-size", 1).default(DEFAULT_LABEL_BATCH),
  quota: wholeNumber("--quota", 1).default(RENDER_LIMITS.dailyQuota),
});

export const labelCommand = {
  command: "label",
  describe: "Mark in Render what a close did: project labels on the tasks capitalized and on those held back as exceptions",
  builder: (y: Argv) =>
    y
      .option("period", { type: "string", demandOption: true, describe: "a closed month, YYYY-MM" })
      .option("db", { type: "string", describe: "the register: a SQLite file or a postgres:// URL (default: CAPEX_DB, else capex.db here)" })
      .option("dry-run", { type: "boolean", default: false, describe: "read and print the plan; write nothing to Render" })
      .option("snapshot", { type: "string", describe: "read the tasks' current labels from this snapshot folder instead of the API (fewer requests; only as current as the fetch)" })
      .option("batch-size", { type: "number", default: DEFAULT_LABEL_BATCH, describe: "task ids per add or delete request" })
      .option("quota", { type: "number", default: RENDER_LIMITS.dailyQuota, describe: "daily request quota of the credential (counted across runs)" })
      .epilog(
        'Labels: "Capitalized YYYY-MM" on the tasks that became assets, "Capex exception: CODE" on the tasks held back, removed once a later close accepts them. ' +
          "Needs Read/Write credentials (RENDER_CLIENT_ID, RENDER_CLIENT_SECRET, RENDER_API_URL, RENDER_AUTH_URL); --dry-run needs only Read-Only. " +
          "A re-run sends nothing already done. Exit codes: 0 done; 1 failed (Render refused or unreachable); 2 bad usage, or the period is not closed.",
      ),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    const store = await RegisterStore.open(o.db, { mustExist: true });
    // Stopped part way, Render holds some of the labels: a re-run finishes the job, sending only what is left.
    const stopHandling = onStop(() =>
      o.dryRun
        ? "stopped; the dry run wrote nothing to Render."
        : `stopped; Render may hold some of the labels of ${o.period} already. Run the same command again: it sends only what is not done yet.`,
    );
    try {
      const client = renderClientFromEnv(o, o.quota);
      const summary = await labelTasks(client, { store, period: o.period }, { dryRun: o.dryRun, batchSize: o.batchSize, ...(o.snapshot ? { snapshot: o.snapshot } : {}) });
      if (o.json) printJson({ register: store.location, ...summary });
      else if (!o.quiet) process.stdout.write(`${describeLabelSummary(summary).join("\n")}\n`);
    } finally {
      stopHandling();
      await store.close();
    }
    return EXIT.ok;
  },
};
