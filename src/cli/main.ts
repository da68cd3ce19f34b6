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
import { toolVersion } from "../package-info.js";
import { likelyMeant } from "../suggest.js";
import { EXIT, kebabCase, optionsNamed, reportError } from "./terminal.js";

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
    builder: (y: ReturnType<typeof yargs>) => {
      const built = c.builder(y);
      // An option that takes a value must be given one: `--retirements --quiet` or a bare
      // `--sample` would otherwise read as not given (yargs' "Not enough arguments following").
      const positionals = new Set([...c.command.matchAll(/[<[]([\w-]+)[>\]]/g)].map((m) => m[1]!));
      const o = (built as unknown as { getOptions(): { string?: string[]; number?: string[] } }).getOptions();
      const valued = [...(o.string ?? []), ...(o.number ?? [])].filter((k) => !positionals.has(k));
      // --version is capex's own (capex --version): hidden from each command's help.
      return built.requiresArg(valued).hide("version");
    },
    handler: async (argv: unknown) => {
      try {
        process.exitCode = await c.handler(argv);
      } catch (err) {
        process.exitCode = reportError(err);
      }
    },
  };
}

/** The subcommands of each group loaded, and each one's usage ("register asset <id>"), for usage messages. */
const SUBCOMMANDS: Record<string, string[]> = {};
const SUBCOMMAND_USAGES: Record<string, string> = {};

/** A command whose work is done by its subcommands (`capex register status`), each wrapped as a command. */
function group(name: string, describe: string, subcommands: Command[]): Command {
  SUBCOMMANDS[name] = subcommands.map((c) => c.command.split(" ")[0]!);
  for (const c of subcommands) SUBCOMMAND_USAGES[`${name} ${c.command.split(" ")[0]}`] = `${name} ${c.command}`;
  return {
    command: name,
    describe,
    builder: (y) => subcommands.reduce((g, c) => g.command(wrap(c) as never), y).demandCommand(1, `Name a ${name} command; see capex ${name} --help`),
    handler: async () => EXIT.badInput,
  };
}

/**
 * Each command's module, loaded only when it is the command run: a close need not load the
 * PDF writer, the Render client or the sandbox (start-up was 1.2 s of every command). Help
 * without a command, and a command capex does not know, load them all.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  fetch: async () => (await import("./fetch.js")).fetchCommand as unknown as Command,
  close: async () => (await import("./close.js")).closeCommand as unknown as Command,
  reopen: async () => (await import("./reopen.js")).reopenCommand as unknown as Command,
  register: async () =>
    group(
      "register",
      "Look into the register (status, asset ID) or take on existing assets into an empty one (import FILE --as-of YYYY-MM)",
      (await import("./register.js")).registerSubcommands as unknown as Command[],
    ),
  schedule: async () => (await import("./schedule.js")).scheduleCommand as unknown as Command,
  rules: async () => (await import("./rules.js")).rulesCommand as unknown as Command,
  sandbox: async () => (await import("./sandbox.js")).sandboxCommand as unknown as Command,
  demo: async () => (await import("./demo.js")).demoCommand as unknown as Command,
  export: async () => (await import("./export.js")).exportCommand as unknown as Command,
  audit: async () => (await import("./audit.js")).auditCommand as unknown as Command,
  verify: async () => (await import("./verify.js")).verifyCommand as unknown as Command,
  trace: async () => (await import("./trace.js")).traceCommand as unknown as Command,
  label: async () => (await import("./label.js")).labelCommand as unknown as Command,
};
const word = hideBin(process.argv).find((a) => !a.startsWith("-")) ?? "";
const named = Object.hasOwn(COMMANDS, word) ? COMMANDS[word] : undefined;
const commands = await Promise.all(named ? [named()] : Object.values(COMMANDS).map((load) => load()));

/**
 * yargs' complaint, led by what the user most likely mistyped: an option the command does
 * not have (`--peroid`, which yargs reports only as "Missing required argument: period") or a
 * command capex does not have (`register stats`), each with the name it likely meant.
 */
function usageProblem(message: string, options: string[]): string {
  const args = hideBin(process.argv);
  // Suggestions are the documented kebab-case names; yargs accepts the camelCase ones too.
  const documented = new Set(options.map(kebabCase));
  const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const known = new Set([...documented, ...[...documented].map(camel)]);
  const flags = [...new Set(args.filter((a) => a.startsWith("--") && a.length > 2).map((a) => a.slice(2).split("=")[0]!))];
  const unknownFlags = flags.filter((f) => !known.has(f) && !(f.startsWith("no-") && known.has(f.slice(3))));
  const problems = unknownFlags.map((f) => {
    // Compared as kebab-case, and a negated boolean as its option: --allowOpenPerod, --no-workbok.
    const name = kebabCase(f);
    const negated = name.startsWith("no-") ? likelyMeant(name.slice(3), documented) : undefined;
    const meant = negated === undefined ? likelyMeant(name, documented) : `no-${negated}`;
    return `unknown option --${f}${meant === undefined ? "" : `; did you mean --${meant}?`}`;
  });
  // The words before the first option: the command, and a group's subcommand.
  const words = args.slice(0, args.findIndex((a) => a.startsWith("-")) === -1 ? args.length : args.findIndex((a) => a.startsWith("-")));
  const [first, second] = words;
  if (first !== undefined && !Object.hasOwn(COMMANDS, first)) {
    // The options are the command's, which capex cannot know: the command is the problem.
    const meant = likelyMeant(first, Object.keys(COMMANDS));
    return `unknown command ${first}${meant === undefined ? `; the commands are ${Object.keys(COMMANDS).join(", ")}` : `; did you mean ${meant}?`}`;
  } else if (first !== undefined && second !== undefined && SUBCOMMANDS[first] && !SUBCOMMANDS[first].includes(second) && /^Unknown argument/.test(message)) {
    const meant = likelyMeant(second, SUBCOMMANDS[first]);
    return `unknown command ${first} ${second}${meant === undefined ? "" : `; did you mean ${first} ${meant}?`} (${first} has ${SUBCOMMANDS[first].join(", ")})`;
  }
  // A choice yargs does not know (`capex rules chek`): what it likely meant, in one line.
  const choice = /Argument: ([\w-]+), Given: "([^"]*)", Choices: (.+)/.exec(message);
  if (problems.length === 0 && choice) {
    const choices = [...choice[3]!.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    const meant = likelyMeant(choice[2]!, choices);
    return `${choice[1]} "${choice[2]}" is not one capex knows${meant === undefined ? "" : `; did you mean ${meant}?`} (${choice[1]} is one of ${choices.join(", ")})`;
  }
  // A command missing what it works on (`capex rules`, `capex register asset`): its usage says what.
  const named = SUBCOMMANDS[first ?? ""] ? `${first} ${second}` : first;
  const usage = SUBCOMMANDS[first ?? ""] ? SUBCOMMAND_USAGES[named ?? ""] : commands.find((c) => c.command.split(" ")[0] === first)?.command;
  if (problems.length === 0 && usage && /^Not enough non-option arguments/.test(message)) return `capex ${named} needs what it works on: capex ${usage} (see capex ${named} --help)`;
  // A bare option that takes a value (requiresArg): said as capex says an empty one.
  const bare = /^Not enough arguments following: ([\w-]+)$/.exec(message);
  if (problems.length === 0 && bare) return `--${kebabCase(bare[1]!)} was given without a value.`;
  if (problems.length === 0) return message;
  // yargs' own words add nothing when they only list the same unknown names.
  const sentences = /^Unknown arguments?:/.test(message) ? problems : [...problems, message];
  return sentences
    .map((p, i) => `${i > 0 ? p[0]!.toUpperCase() + p.slice(1) : p}${i < sentences.length - 1 && !p.endsWith("?") ? "." : ""}`)
    .join(" ");
}

/** A problem with how capex was called, found by capex's own check: reported as yargs' own are. */
class UsageProblem extends Error {}

/**
 * Options that take a value but were given none (`--retirements --quiet`, `--erp` last, an
 * empty `$FILE` in a script) or a number that is not one. yargs reads them as "" or NaN,
 * which a command would take as not given: a close would be posted without its retirements.
 */
function valueProblems(argv: Record<string, unknown>, options: { string?: string[]; number?: string[] }): string[] {
  const problems = new Map<string, string>();
  const values = (key: string) => [argv[key]].flat();
  // Options named on the command line (a positional is never named so).
  const given = optionsNamed();
  for (const key of options.string ?? []) {
    if (given.has(kebabCase(key)) && values(key).includes("")) problems.set(kebabCase(key), `--${kebabCase(key)} was given without a value`);
  }
  for (const key of options.number ?? []) {
    if (values(key).some((v) => typeof v === "number" && Number.isNaN(v))) problems.set(kebabCase(key), `--${kebabCase(key)} needs a number`);
  }
  return [...problems.values()];
}

let cli = yargs(hideBin(process.argv))
  .scriptName("capex")
  .usage("$0 <command> [options]\n\nTurns approved fiber-construction work in Render Networks into fixed assets, depreciation and journals.")
  .option("json", { type: "boolean", default: false, describe: "print a machine-readable summary on stdout" })
  .option("quiet", { type: "boolean", default: false, describe: "print nothing but errors" })
  .demandCommand(1, "Name a command; see capex --help")
  .check((argv) => {
    const problems = valueProblems(argv, (cli as unknown as { getOptions(): { string?: string[]; number?: string[] } }).getOptions());
    if (problems.length) throw new UsageProblem(`${problems.join("; ")}.`);
    return true;
  }, true)
  .strict()
  .help()
  .alias("h", "help")
  // The version from capex's own package.json: bundled, yargs would look for one from the working folder.
  .version(toolVersion())
  // English, as every message of capex is (yargs' own words were translated by the locale).
  .locale("en")
  .fail((msg, err) => {
    // yargs' own parse errors (YError) and capex's checks are usage problems; anything else is a bug.
    if (err && !(err instanceof UsageProblem) && err.name !== "YError") throw err;
    // The instance holds the options of the command being parsed when yargs fails.
    process.stderr.write(`capex: ${usageProblem(msg, Object.keys((cli as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key))}\nRun capex --help for usage.\n`);
    process.exit(EXIT.badInput);
  });
for (const c of commands) cli = cli.command(wrap(c) as never);
// A reader that stops early (capex register status | head -1) closes the pipe: what it did not
// read is simply not printed; the command itself runs to its end and exits as it would have.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
});
await cli.parseAsync();
