import type { Argv } from "yargs";
import { z } from "zod";
import { formatRulesProblem } from "../errors.js";
import { checkRulesText, coverageWarnings, readRulesFile } from "../rules/load.js";
import { openSnapshot } from "../snapshot/reader.js";
import { defaultRulesFile } from "../package-info.js";
import { commonSchema, EXIT, parseOptions, printJson } from "./terminal.js";

const options = commonSchema.extend({ file: z.string().optional(), snapshot: z.string().optional() });

export const rulesCommand = {
  command: "rules <action> [file]",
  describe: "Work with a rules file: `capex rules check [FILE]` lists every problem with its path and line",
  builder: (y: Argv) =>
    y
      .positional("action", { choices: ["check"] as const, describe: "what to do" })
      .positional("file", { type: "string", describe: "rules file (default: the bundled rules/render-fiber.yaml)" })
      .option("snapshot", { type: "string", describe: "also warn about task types this snapshot's projects use that the rules do not map" }),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    const file = o.file ?? defaultRulesFile();
    const { rules, problems } = checkRulesText(await readRulesFile(file), file);
    if (rules && o.snapshot) problems.push(...coverageWarnings(rules, (await openSnapshot(o.snapshot)).taskTypes));
    const errors = problems.filter((p) => p.severity === "error");
    const warnings = problems.filter((p) => p.severity === "warning");
    if (o.json) {
      printJson({ file, ok: errors.length === 0, version: rules?.version, sha256: rules?.sha256, problems });
    } else if (!o.quiet || errors.length) {
      for (const p of errors) process.stderr.write(`${file}:${p.line ?? ""}: error: ${formatRulesProblem(p)}\n`);
      for (const p of warnings) process.stderr.write(`${file}:${p.line ?? ""}: warning: ${formatRulesProblem(p)}\n`);
      if (rules && !o.quiet) {
        process.stdout.write(
          `${file}: OK (version ${rules.version}, ${rules.taskTypes.size} task types, ${rules.classes.size} classes, ` +
            `${[...rules.ratesByUnitCode.values(), ...rules.ratesByTaskType.values()].reduce((n, l) => n + l.length, 0)} rates; sha256 ${rules.sha256})\n`,
        );
      } else if (!rules) process.stderr.write(`${file}: ${errors.length} problem${errors.length === 1 ? "" : "s"}; nothing was run.\n`);
    }
    return errors.length ? EXIT.badInput : EXIT.ok;
  },
};
