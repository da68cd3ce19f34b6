import type { Argv } from "yargs";
import { z } from "zod";
import { type FileCheck, recordedClose, verifyPeriod } from "../audit/verify.js";
import { RegisterStore } from "../register/store.js";
import { openSnapshot } from "../snapshot/reader.js";
import { rulesOfClose } from "./recorded-rules.js";
import { commonSchema, EXIT, parseOptions, printJson, DB_OPTION } from "./terminal.js";

const options = commonSchema.extend({
  period: z.string(),
  snapshot: z.string().min(1),
  out: z.string().optional(),
  rules: z.string().optional(),
  db: z.string().optional(),
  restore: z.string().min(1).optional(),
});

const short = (hash: string | undefined) => (hash === undefined ? "none" : `${hash.slice(0, 12)}…`);

function describe(f: FileCheck, out: string | undefined): string[] {
  const lines = [`  ${f.file}: ${f.status.replace("_", " ")} (recorded ${short(f.recorded)}, recomputed ${short(f.recomputed)}${out === undefined ? "" : `, in ${out} ${short(f.inOut)}`})`];
  const d = f.firstDifference;
  if (d) {
    lines.push(`    first difference${d.line ? ` at line ${d.line}` : ""}${d.field ? ` (field ${d.field})` : ""}:`);
    lines.push(`      ${out === undefined ? "recorded:  " : "in --out:  "} ${d.recorded ?? "(no such line)"}`);
    lines.push(`      recomputed: ${d.recomputed ?? "(no such line)"}`);
  }
  if (f.note) lines.push(`    ${f.note}`);
  return lines;
}

export const verifyCommand = {
  command: "verify",
  describe: "Recompute a closed period from its snapshot and the register as it stood before, and compare every output with what the close recorded",
  builder: (y: Argv) =>
    y
      .option("period", { type: "string", demandOption: true, describe: "the closed month to recompute, YYYY-MM" })
      .option("snapshot", { type: "string", demandOption: true, describe: "the snapshot folder the period was closed with (its manifest sha256 is checked)" })
      .option("out", { type: "string", describe: "the period's output folder: its files are compared too, with the first differing row of each CSV" })
      .option("restore", {
        type: "string",
        describe: "write the recomputed outputs into this folder when every one reproduces what the close recorded (an earlier month's lost outputs); not with --out",
      })
      .option("rules", { type: "string", describe: "the rules file the period was closed with (default: the path the close recorded)" })
      .option("db", DB_OPTION)
      .epilog("Reads the register only; writes nothing but a temporary folder it deletes (and --restore's folder). Exit codes: 0 reproduced; 1 some file differs; 2 bad usage, or a snapshot or rules the period was not closed with."),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    const store = await RegisterStore.openExisting(o.db);
    try {
      const { closed, report } = await recordedClose(store, o.period);
      const rules = await rulesOfClose(o.rules, report.rulesFile, o.period, closed.rulesSha256);
      const snapshot = await openSnapshot(o.snapshot);
      const result = await verifyPeriod({ store, period: o.period, snapshot, rules, out: o.out, restore: o.restore });
      if (o.json) printJson(result);
      else if (!o.quiet || !result.reproduced) {
        const w = (s: string) => process.stdout.write(`${s}\n`);
        const against = `the register's hashes${o.out === undefined ? "" : ` and the files in ${o.out}`}`;
        const different = result.files.filter((f) => f.status !== "same");
        if (result.reproduced) {
          w(`reproduced ${o.period}: all ${result.files.length} outputs recomputed match ${against} byte for byte (manifest.json field by field apart from generated_at)`);
          if (result.restored) w(`  restored them into ${result.restored}`);
        } else if (result.matchesRegister) {
          // The close reproduces: what differs is the folder's copy, not what was posted.
          w(`reproduced ${o.period}: all ${result.files.length} outputs recomputed match the register's hashes; but ${different.length === 1 ? "1 file" : `${different.length} files`} in ${o.out} ${different.length === 1 ? "differs" : "differ"}, changed or removed since the close:`);
          for (const f of different) for (const line of describe(f, o.out)) w(line);
          w(`  capex verify --restore DIR writes the close's outputs again into another folder`);
        } else {
          w(`not reproduced ${o.period}: ${different.length} of ${result.files.length} outputs differ from ${against}`);
          for (const f of different) for (const line of describe(f, o.out)) w(line);
          if (o.restore) w(`  nothing was written to ${o.restore}: only outputs that reproduce the close's are restored`);
        }
        w(`  snapshot manifest sha256 ${result.snapshotSha256}; rules ${result.rulesFile} version ${result.rulesVersion}, sha256 ${result.rulesSha256}; register ${store.location}`);
        for (const n of result.notes) w(`  note: ${n}`);
      }
      return result.reproduced ? EXIT.ok : EXIT.failure;
    } finally {
      await store.close();
    }
  },
};
