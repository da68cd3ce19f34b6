import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import { z } from "zod";
import { writeNewFile } from "../erp/file.js";
import { ERP_PROFILE_NAMES } from "../erp/mapping.js";
import { checkErpProfiles, erpFileName, erpProfile } from "../erp/profiles.js";
import { exportPeriodJournal } from "../erp/register.js";
import { parsePeriod } from "../dates.js";
import { InputError } from "../errors.js";
import { RegisterStore } from "../register/store.js";
import { rulesOfClose } from "./recorded-rules.js";
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
      .option("rules", { type: "string", describe: "rules file whose erp: section maps accounts and dimensions (default: the rules file the period was closed with, at the path the close recorded)" })
      .epilog("Exit codes: 0 written (or already there, byte for byte); 1 failed; 2 bad usage, a period not closed, or a different file already at the path."),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    parsePeriod(o.period, "--period");
    // A mistyped profile is said before the register is opened (a wrong --db would hide it).
    for (const name of o.erp) erpProfile(name);
    const store = await RegisterStore.open(o.db, { mustExist: true });
    const files: Array<{ profile: string; file: string; lines: number; status: "written" | "unchanged" }> = [];
    const warnings: string[] = [];
    try {
      // The accounts and dimensions are mapped as the close mapped them: by the rules it read.
      const closed = await store.requireClosed(o.period, "Only a closed period's journal can be exported.");
      const recorded = closed.kind === "close" ? (await store.periodReport(o.period))?.rulesFile : undefined;
      const rules = await rulesOfClose(o.rules, recorded, o.period, closed.rulesSha256);
      if (rules.sha256 !== closed.rulesSha256) {
        const closedWith = `${recorded ? `${recorded}, ` : ""}sha256 ${closed.rulesSha256.slice(0, 12)}…`;
        if (!o.rules) {
          throw new InputError(
            "--rules",
            `${o.period} was closed with the rules file ${closedWith}; ${rules.file} is not that file now (sha256 ${rules.sha256.slice(0, 12)}…): it has changed since, or that path names another file from this folder, and its erp: mapping may not be the close's. Give --rules the file the period was closed with, or name the file whose mapping to use with --rules`,
          );
        }
        warnings.push(`mapped by ${rules.file}'s erp: section, not by the rules file ${o.period} was closed with (${closedWith}): the file may differ from the close's journal-PROFILE.csv`);
      }
      const profiles = checkErpProfiles(o.erp, rules.erp, rules.file);
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
