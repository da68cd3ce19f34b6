#!/usr/bin/env -S node --max-semi-space-size=32 --max-old-space-size=2560
// A 32 MB young generation: parsing a million tasks makes short-lived objects at a rate
// that the default promotes to the old generation; this keeps them young and cheap to
// collect (bench: 29 → 24 s and 1.9 → 1.1 GB after classifying 1,000,000 tasks; 64 MB was
// as fast and 65 MB bigger).
// A 2.5 GB old generation: V8 lets the heap grow to halfway between what is live and its
// limit before collecting, and its default limit here is 4.3 GB, so the month close of a
// register of a million assets (1.1 GB live at most) reached 2.6 GB before its next
// collection; at 2.5 GB it peaks at 2.3 GB, with more than the live data again to spare. A
// register beyond about two million assets needs more: run node with a bigger limit
// (README, Troubleshooting).
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { auditCommand } from "./audit.js";
import { closeCommand } from "./close.js";
import { demoCommand } from "./demo.js";
import { exportCommand } from "./export.js";
import { fetchCommand } from "./fetch.js";
import { labelCommand } from "./label.js";
import { registerSubcommands } from "./register.js";
import { reopenCommand } from "./reopen.js";
import { rulesCommand } from "./rules.js";
import { sandboxCommand } from "./sandbox.js";
import { scheduleCommand } from "./schedule.js";
import { traceCommand } from "./trace.js";
import { verifyCommand } from "./verify.js";
import { EXIT, reportError } from "./terminal.js";

type Handler = (argv: unknown) => Promise<number>;
interface Command {
  command: string;
  describe: string;
  builder: (y: ReturnType<typeof yargs>) => ReturnType<typeof yargs>;
  handler: Handler;
}

/** Wraps a command so that its exit code, not an exception, reaches the process. */
function wrap(c: Command) {
  return {
    ...c,
    handler: async (argv: unknown) => {
      try {
        process.exitCode = await c.handler(argv);
      } catch (err) {
        process.exitCode = reportError(err);
      }
    },
  };
}

/** A command whose work is done by its subcommands (`capex register status`), each wrapped as a command. */
function group(name: string, describe: string, subcommands: Command[]): Command {
  return {
    command: name,
    describe,
    builder: (y) => subcommands.reduce((g, c) => g.command(wrap(c) as never), y).demandCommand(1, `Name a ${name} command; see capex ${name} --help`),
    handler: async () => EXIT.badInput,
  };
}

const registerCommand = group(
  "register",
  "Look into the register (status, asset ID) or take on existing assets into an empty one (import FILE --as-of YYYY-MM)",
  registerSubcommands as unknown as Command[],
);

const commands: Command[] = [fetchCommand, closeCommand, reopenCommand, registerCommand, scheduleCommand, rulesCommand, sandboxCommand, demoCommand] as unknown as Command[];
commands.push(exportCommand as unknown as Command);
commands.push(auditCommand as unknown as Command);
commands.push(verifyCommand as unknown as Command, traceCommand as unknown as Command);
commands.push(labelCommand as unknown as Command);

let cli = yargs(hideBin(process.argv))
  .scriptName("capex")
  .usage("$0 <command> [options]\n\nTurns approved fiber-construction work in Render Networks into fixed assets, depreciation and journals.")
  .option("json", { type: "boolean", default: false, describe: "print a machine-readable summary on stdout" })
  .option("quiet", { type: "boolean", default: false, describe: "print nothing but errors" })
  .demandCommand(1, "Name a command; see capex --help")
  .strict()
  .help()
  .alias("h", "help")
  .version()
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`capex: ${msg}\nRun capex --help for usage.\n`);
    process.exit(EXIT.badInput);
  });
for (const c of commands) cli = cli.command(wrap(c) as never);
await cli.parseAsync();
