import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import { z } from "zod";
import { writeNewFile } from "../erp/file.js";
import { ERP_PROFILE_NAMES } from "../erp/mapping.js";
import { checkErpProfiles, erpFileName } from "../erp/profiles.js";
import { exportPeriodJournal } from "../erp/register.js";
import { loadDefaultRules } from "../package-info.js";
import { RegisterStore } from "../register/store.js";
import { recordedPath } from "../report/write.js";
import { loadRules } from "../rules/load.js";
import { commonSchema, EXIT, info, parseOptions, printJson, DB_OPTION, periodFlag } from "./terminal.js";

const options = commonSchema.extend({
  period: periodFlag(),
  erp: z.array(z.string()).min(1, { message: "--erp names a ledger profile" }),
  db: z.string().optional(),
  out: z.string().default("."),
  rules: z.string().optional(),
});

export const exportCommand = {
  command: "export",
  describe: "Write a closed period's journal, as the register posted it, in a ledger's import layout",
  builder: (y: Argv) =>
    y
      .option("period", { type: "string", demandOption: true, describe: "a closed month, YYYY-MM" })
      .option("erp", { type: "string", array: true, demandOption: true, describe: `ledger layout (repeatable): ${ERP_PROFILE_NAMES.join(", ")}` })
      .option("db", DB_OPTION)
      .option("out", { type: "string", describe: "folder for journal-PROFILE-YYYY-MM.csv (default: the current folder); an existing file is never replaced" })
      .option("rules", { type: "string", describe: "rules file whose erp: section maps accounts and dimensions (default: the bundled rules/render-fiber.yaml)" })
      .epilog("Exit codes: 0 written (or already there, byte for byte); 1 failed; 2 bad usage, a period not closed, or a different file already at the path."),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    const rules = o.rules ? await loadRules(recordedPath(o.rules)) : await loadDefaultRules();
    const profiles = checkErpProfiles(o.erp, rules.erp, rules.file);
    const store = await RegisterStore.open(o.db, { mustExist: true });
    const files: Array<{ profile: string; file: string; lines: number; status: "written" | "unchanged" }> = [];
    const warnings: string[] = [];
    try {
      const exports = [];
      // Every layout is built before any file is written, so a refusal leaves nothing behind.
      for (const profile of profiles) exports.push(await exportPeriodJournal(store, o.period, profile, rules.erp.get(profile)));
      for (const x of exports) {
        const file = join(o.out, erpFileName(x.profile, o.period));
        files.push({ profile: x.profile, file, lines: x.lines, status: await writeNewFile(file, x.text) });
        warnings.push(...x.warnings);
      }
    } finally {
      await store.close();
    }
    if (o.json) printJson({ period: o.period, register: store.location, files, warnings });
    else {
      for (const w of warnings) info(o, `warning: ${w}`);
      if (!o.quiet) {
        for (const f of files) process.stdout.write(`${f.status === "written" ? "Wrote" : "Unchanged"} ${resolve(f.file)} (${f.profile}, ${f.lines} journal lines)\n`);
      }
    }
    return EXIT.ok;
  },
};
