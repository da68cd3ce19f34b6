import type { Argv } from "yargs";
import { z } from "zod";
import { auditReport } from "../audit/audit.js";
import { formatCents, parseDecimal, toCents } from "../money.js";
import { RegisterStore } from "../register/store.js";
import { commonSchema, EXIT, info, parseOptions, printJson, DB_OPTION, periodFlag, wholeNumber } from "./terminal.js";

const amount = z
  .string()
  .refine((s) => /^\d+(\.\d{1,2})?$/.test(s), { message: "must be an amount like 25000.00 (no sign, no thousands separator)" })
  .transform((s) => toCents(parseDecimal(s)));

const options = commonSchema.extend({
  period: periodFlag(),
  db: z.string().optional(),
  out: z.string().optional(),
  sample: wholeNumber("--sample", 1).optional(),
  seed: z.string().min(1).optional(),
  confidence: z.number().optional(),
  tolerable: amount.optional(),
  expected: amount.optional(),
});

export const auditCommand = {
  command: "audit",
  describe: "Write a closed period's audit report (PDF) and its sample (CSV), from the register alone",
  builder: (y: Argv) =>
    y
      .option("period", { type: "string", demandOption: true, describe: "the closed period, YYYY-MM" })
      .option("db", DB_OPTION)
      .option("out", { type: "string", describe: "folder for audit-YYYY-MM.pdf and audit-sample.csv (default: the folder the period's close wrote, else out/YYYY-MM)" })
      .option("sample", { type: "number", describe: "sample size N instead of the one the confidence and tolerable misstatement give" })
      .option("seed", { type: "string", describe: "the sample's seed (default: the period and its snapshot's hash); the same seed draws the same sample" })
      .option("confidence", { type: "number", describe: "confidence level of the monetary-unit sample (default 0.95)" })
      .option("tolerable", { type: "string", describe: "tolerable misstatement, an amount (default: 5 % of the additions and cost changes)" })
      .option("expected", { type: "string", describe: "expected misstatement, an amount (default 0)" })
      .epilog("Exit codes: 0 written; 1 failed, nothing written; 2 bad usage, a period not closed, or an output file fiber-capex did not write."),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    const store = await RegisterStore.open(o.db, { mustExist: true });
    let run: Awaited<ReturnType<typeof auditReport>>;
    try {
      info(o, `Gathering the audit of ${o.period} from the register ${store.location}…`);
      run = await auditReport({ store, period: o.period, out: o.out, seed: o.seed, sampleSize: o.sample, confidence: o.confidence, tolerable: o.tolerable, expectedMisstatement: o.expected });
    } finally {
      await store.close();
    }
    const { report, files } = run;
    const s = report.sample;
    if (o.json) {
      printJson({
        period: report.period,
        files,
        sample: { seed: s.seed, confidence: s.confidence, tolerable: formatCents(s.tolerable), interval: formatCents(s.interval), population: formatCents(s.population), items: s.items.length },
        identities_hold: report.identities.every((i) => i.holds),
        exceptions_open: report.exceptions.length,
        cutoff_tasks: report.cutoff.length,
      });
    } else if (!o.quiet) {
      const w = (t: string) => process.stdout.write(`${t}\n`);
      w(`Audit of ${report.period}: ${report.additions.length} additions and cost changes, ${report.adjustments.length} adjustments, ${report.disposals.length} ${report.disposals.length === 1 ? "retirement" : "retirements"}, ${report.exceptions.length} exceptions open, ${report.cutoff.length} cut-off tasks`);
      w(
        `  sample: ${s.items.length} items by monetary-unit sampling of ${formatCents(s.population)} (interval ${formatCents(s.interval)}, confidence ${s.confidence}, tolerable ${formatCents(s.tolerable)}), seed ${s.seed}`,
      );
      w(`  identities: ${report.identities.filter((i) => i.holds).length} of ${report.identities.length} hold`);
      for (const f of files) w(`  ${f}`);
    }
    return EXIT.ok;
  },
};
