import cliProgress from "cli-progress";
import { z } from "zod";
import { abandonTemporaries } from "../atomic-dir.js";
import { CapexError, InputError } from "../errors.js";

/** Everything the CLI prints goes through here: stdout for results, stderr for the rest. */
export interface CommonFlags {
  json: boolean;
  quiet: boolean;
}

export const EXIT = { ok: 0, failure: 1, badInput: 2, exceptions: 3 } as const;

/** Secrets to blank out of anything printed, whatever its source. */
const secrets = new Set<string>();
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join("[redacted]");
  return out.replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, "$1 [redacted]");
}

/**
 * Ctrl-C or a kill (SIGINT, SIGTERM) while a command writes: `stop` undoes what it can and
 * says what is left, the temporary folders being filled are removed, and the process stops as
 * a shell expects (130, 143). Returns a function that takes the handlers off again.
 */
export function onStop(stop: () => string): () => void {
  const stopped = (signal: NodeJS.Signals) => {
    const said = stop();
    abandonTemporaries();
    process.stderr.write(`capex: ${redact(said)}\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", stopped);
  process.once("SIGTERM", stopped);
  return () => {
    process.off("SIGINT", stopped);
    process.off("SIGTERM", stopped);
  };
}

export function info(flags: CommonFlags, text: string): void {
  if (!flags.quiet && !flags.json) process.stderr.write(`${redact(text)}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${redact(JSON.stringify(value, null, 2))}\n`);
}

export function showsProgress(flags: CommonFlags): boolean {
  return Boolean(process.stderr.isTTY) && !flags.quiet && !flags.json;
}

export function progressBar(flags: CommonFlags, format: string): cliProgress.SingleBar | undefined {
  if (!showsProgress(flags)) return undefined;
  return new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 20 }, cliProgress.Presets.shades_classic);
}

/**
 * Bad input (usage, files, options) exits 2; everything else that failed exits 1. Render's 422
 * is bad input too: it rejects the options the user gave (a --status Render does not know).
 */
const BAD_INPUT_CODES = new Set(["INPUT", "CONFIG", "RULES_INVALID", "SNAPSHOT", "OUTPUT_FOLDER", "RENDER_VALIDATION", "REGISTER_ORDER", "REGISTER_INPUT", "REGISTER_INVALID", "REGISTER_NEWER", "REGISTER_UNKNOWN_ASSET"]);
export function exitCodeFor(err: unknown): number {
  if (err instanceof CapexError) return BAD_INPUT_CODES.has(err.code) ? EXIT.badInput : EXIT.failure;
  return EXIT.failure;
}

export function reportError(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`capex: ${redact(message)}\n`);
  if (!(err instanceof CapexError) && err instanceof Error && process.env.CAPEX_DEBUG) process.stderr.write(`${redact(err.stack ?? "")}\n`);
  return exitCodeFor(err);
}

/** An option's name as the user types it: yargs' camelCase key (batchSize) as --batch-size's. */
export const kebabCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Validates parsed CLI options with zod; the first problem becomes an InputError naming the flag. */
export function parseOptions<S extends z.ZodType>(schema: S, argv: unknown): z.infer<S> {
  const parsed = schema.safeParse(argv);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = `--${kebabCase(String(issue.path[0] ?? "option"))}`;
    throw new InputError(flag, issue.message.startsWith(`${flag} `) ? issue.message.slice(flag.length + 1) : issue.message);
  }
  return parsed.data;
}

export const commonSchema = z.object({ json: z.boolean().default(false), quiet: z.boolean().default(false) });

/** The options named on the command line (`--db-rate 3`, `--erp=xero`), kebab-case: told apart from the defaults. */
export function optionsNamed(args: readonly string[] = process.argv.slice(2)): Set<string> {
  return new Set(args.filter((a) => a.startsWith("--") && a.length > 2).map((a) => kebabCase(a.slice(2).split("=")[0]!)));
}

/** A whole-number flag from `min` (to `max`), with one plain message for any other value. */
export const wholeNumber = (flag: string, min: number, max?: number) => {
  const message = `${flag} must be a whole number ${max === undefined ? `of ${min} or more` : `from ${min} to ${max}`}`;
  const n = z.number({ message }).int({ message }).min(min, { message });
  return max === undefined ? n : n.max(max, { message });
};

/** A number flag from `min` (to `max`), e.g. a share of requests or milliseconds. */
export const numberFrom = (flag: string, min: number, max?: number, what = "a number") => {
  const message = `${flag} must be ${what} ${max === undefined ? `of ${min} or more` : `from ${min} to ${max}`}`;
  const n = z.number({ message }).min(min, { message });
  return max === undefined ? n : n.max(max, { message });
};

/** A period flag (`--period`, `--as-of`): a month written YYYY-MM. */
export const periodFlag = (flag = "--period") =>
  z.string().refine((p) => /^\d{4}-(0[1-9]|1[0-2])$/.test(p), { message: `${flag} must be a month written YYYY-MM, for example 2026-10` });

/** The `--db` option every register command takes. */
export const DB_OPTION = { type: "string", describe: "the register: a SQLite file or a postgres:// URL (default: CAPEX_DB, else capex.db here)" } as const;
