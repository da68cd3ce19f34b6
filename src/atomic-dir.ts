import { randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, lstatSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { OutputFolderError } from "./errors.js";

/**
 * A kind of folder fiber-capex writes whole (close outputs, a snapshot). Writing one replaces
 * the folder at its path, so only a folder this kind of writer made before may be replaced.
 */
export interface OutputFolderKind {
  /** How a person calls it, e.g. "close output folder". */
  noun: string;
  /** A path to suggest instead, e.g. "out/2026-10". */
  example: string;
  /** Whether a parsed manifest.json is one this kind of writer wrote. */
  owns(manifest: unknown): boolean;
  /**
   * Why this run may not replace a folder it owns, if it may not (a close of another period:
   * those outputs may already be in the ledger): said after the path, before "Nothing was written."
   */
  refuses?(manifest: unknown): string | undefined;
  /** Which folders of this kind it may write over, said in a refusal (default: "a NOUN fiber-capex wrote before"). */
  reusable?: string;
  /**
   * The names in a folder of this kind that its writer wrote, by its manifest.json. Anything
   * else in it (an auditor's report, a note) is moved into the folder that replaces it.
   */
  written?(manifest: unknown): ReadonlySet<string> | undefined;
}

/** The files a manifest lists (by its `files` hashes), and manifest.json itself. */
export function filesOfManifest(manifest: unknown): ReadonlySet<string> | undefined {
  const files = (manifest as { files?: unknown } | undefined)?.files;
  return files && typeof files === "object" ? new Set([...Object.keys(files), "manifest.json"]) : undefined;
}

/** Whether a run writing `kind` would take `path` (new, empty, or its own kind it may replace); in doubt, no. */
function writableAs(path: string, kind: OutputFolderKind): boolean {
  try {
    if (!existsSync(path)) return true;
    if (!statSync(path).isDirectory()) return false;
    if (readdirSync(path).length === 0) return true;
    const manifest = readManifest(path);
    return kind.owns(manifest) && !kind.refuses?.(manifest);
  } catch {
    return false;
  }
}

/** What another kind of fiber-capex folder holds, by its manifest's format (a close's outputs given to a fetch, say). */
function otherKindOf(manifest: unknown): string | undefined {
  const format = (manifest as { format?: unknown } | undefined)?.format;
  if (typeof format !== "string") return undefined;
  const kinds: Record<string, string> = { "fiber-capex-snapshot/": "a snapshot", "fiber-capex-close/": "a close's outputs", "fiber-capex-demo/": "a demo" };
  return Object.entries(kinds).find(([prefix]) => format.startsWith(prefix))?.[1];
}

/** An existing path with every symbolic link resolved, so that two spellings of one folder compare equal. */
function canonical(path: string): string {
  const full = resolve(path);
  let existing = full;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    return join(realpathSync.native(existing), relative(existing, full));
  } catch {
    return full;
  }
}

function isSameOrInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** The parsed manifest.json in `dir`; undefined when there is none, or it is not JSON. */
export function readManifest(dir: string): unknown {
  try {
    return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  } catch {
    return undefined;
  }
}

const FS_PROBLEMS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENOTDIR: "part of the path is a file, not a folder",
  EEXIST: "part of the path is a file, not a folder",
  ENOSPC: "the disk is full",
  ENAMETOOLONG: "the path is too long",
};

/** A file-system failure on an output path in plain words, naming the path. */
export function outputFolderProblem(path: string, err: unknown): OutputFolderError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? "";
  const what = FS_PROBLEMS[code] ?? (err instanceof Error ? err.message : String(err));
  return new OutputFolderError(path, `cannot be written: ${what}. Nothing was written. Choose a folder you can write to.`);
}

/**
 * Refuses an output path that writing `kind` there would destroy or cannot use: a file, the
 * current folder or one containing it, a folder holding one of the run's `inputs`, or a
 * non-empty folder that is not a `kind` fiber-capex wrote. Throws OutputFolderError before
 * any work is done; a path that does not exist yet, or an empty folder, is fine.
 */
export function checkOutputFolder(target: string, kind: OutputFolderKind, inputs: string[] = []): void {
  const full = canonical(target);
  const nothing = "Nothing was written.";
  // Never suggest the folder being refused (out/2026-10 refused as another register's, say),
  // nor one this run would refuse next (an earlier snapshot without --replace).
  // An example may carry a note after its path: "capex-demo-2 (a demo folder made ...)".
  const at = kind.example.indexOf(" (");
  const [path, note] = at < 0 ? [kind.example, ""] : [kind.example.slice(0, at), kind.example.slice(at)];
  const taken = (p: string) => canonical(p) === full || !writableAs(p, kind);
  let candidate = path;
  for (let n = 2; taken(candidate); n++) candidate = `${path}-${n}`;
  const example = candidate + note;
  if (isSameOrInside(canonical(process.cwd()), full)) {
    throw new OutputFolderError(
      target,
      `is the current folder or contains it; writing a ${kind.noun} there would replace everything in it. ${nothing} Choose a new folder, for example ${example}.`,
    );
  }
  // An input that does not exist cannot be destroyed (the bundled rules' recorded name, say).
  for (const input of inputs.filter((i) => existsSync(i))) {
    const inside = canonical(input);
    if (isSameOrInside(inside, full)) {
      throw new OutputFolderError(
        target,
        `${inside === full ? "is" : "contains"} ${input}, an input of this run; writing a ${kind.noun} there would destroy it. ${nothing} Choose a folder outside the inputs, for example ${example}.`,
      );
    }
  }
  let existing = full;
  while (!existsSync(existing)) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) {
    const where = existing === full ? "is a file, not a folder" : `cannot be created: ${existing} is a file, not a folder`;
    throw new OutputFolderError(target, `${where}; a ${kind.noun} is a folder of files. ${nothing} Choose a path that does not exist yet, or an empty folder.`);
  }
  if (existing === full && readdirSync(full).length > 0) {
    const manifest = readManifest(full);
    if (!kind.owns(manifest)) {
      const other = otherKindOf(manifest);
      if (other) {
        throw new OutputFolderError(
          target,
          `holds ${other} that fiber-capex wrote, not a ${kind.noun}, and writing there would replace it. ${nothing} Choose a new or empty folder, for example ${example}.`,
        );
      }
      throw new OutputFolderError(
        target,
        `the folder is not empty and is not a ${kind.noun} that fiber-capex wrote (recognised by its manifest.json), so writing there would replace everything in it. ` +
          `${nothing} Choose a new or empty folder, for example ${example}, or ${kind.reusable ?? `a ${kind.noun} fiber-capex wrote before`}.`,
      );
    }
    const refused = kind.refuses?.(manifest);
    if (refused) throw new OutputFolderError(target, `${refused}. ${nothing} Choose a new or empty folder, for example ${example}.`);
  }
  try {
    accessSync(existing === full ? dirname(full) : existing, constants.W_OK);
  } catch (err) {
    throw outputFolderProblem(target, err);
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The names in `folder` a writer of `kind` did not write, by its manifest (undefined: cannot tell, a link, or a kind that does not say). */
function notWritten(folder: string, kind: OutputFolderKind): string[] | undefined {
  if (lstatSync(folder, { throwIfNoEntry: false })?.isSymbolicLink()) return undefined;
  const written = kind.written?.(readManifest(folder));
  return written && readdirSync(folder).filter((name) => !written.has(name));
}

/** `name` in `dir`, or NAME-2, NAME-3, ... when it is taken. */
function freeName(dir: string, name: string): string {
  let candidate = name;
  for (let n = 2; existsSync(join(dir, candidate)); n++) candidate = `${name}-${n}`;
  return join(dir, candidate);
}

const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";

/** Moves `names` from `from` into `to`; a name `to` holds already comes in as NAME.kept-TAG. One gone meanwhile (another run moved it) is skipped. */
async function moveInto(from: string, to: string, names: string[], tag: string): Promise<void> {
  for (const name of names) {
    await rename(join(from, name), existsSync(join(to, name)) ? freeName(to, `${name}.kept-${tag}`) : join(to, name)).catch((err: unknown) => {
      if (!gone(err)) throw err;
    });
  }
}

/**
 * Removes the temporary folders that runs killed before finishing left beside `full`
 * (`.NAME.tmp-PID-HEX`, `.NAME.old-PID-HEX` whose PID is no longer running). Only names of
 * this helper's own pattern are touched; live runs' folders stay. A previous output (`.old-`)
 * may still hold files its writer did not write (a run killed while moving them on): they
 * move into `full` first, and one whose writer cannot be told is kept as NAME.kept-PID-HEX.
 */
async function removeStaleTemporaries(full: string, kind: OutputFolderKind): Promise<void> {
  const parent = dirname(full);
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(full))}\\.(tmp|old)-(\\d+)-[0-9a-f]{8}$`);
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  const stale = names.map((n) => pattern.exec(n)).filter((m): m is RegExpExecArray => m !== null && !isRunning(Number(m[2])));
  // A run killed between its two renames left the previous good output only as .old: put it back.
  const orphan = existsSync(full) ? undefined : stale.find((m) => m[1] === "old");
  if (orphan) await rename(join(parent, orphan[0]), full);
  for (const m of stale) {
    if (m === orphan) continue;
    const dir = join(parent, m[0]);
    // Anything but a folder (a replaced --out link, a stray file) holds nothing: only the entry goes.
    if (m[1] === "old" && lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      try {
        const tag = m[0].slice(m[0].lastIndexOf(".old-") + 5);
        const others = notWritten(dir, kind);
        if (others === undefined && readdirSync(dir).length > 0) {
          await rename(dir, freeName(parent, `${basename(full)}.kept-${tag}`));
          continue;
        }
        await moveInto(dir, full, others ?? [], tag);
      } catch (err) {
        if (gone(err)) continue; // another run cleared it meanwhile
        throw err;
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** The temporary folders this process is filling now (see abandonTemporaries). */
const filling = new Set<string>();

/**
 * For a process about to stop (Ctrl-C): removes, at once and synchronously, the temporary
 * folders it was filling, which would otherwise stay hidden beside their targets until the
 * next run writing there. The targets themselves are as they were.
 */
export function abandonTemporaries(): void {
  for (const tmp of filling) rmSync(tmp, { recursive: true, force: true });
  filling.clear();
}

/**
 * Fills a temporary sibling folder and renames it onto `target` only when `fill` succeeds:
 * a failed run leaves no half-written output and never replaces a good one. `target` must
 * pass checkOutputFolder for `kind`, so nothing but a folder of that kind is ever replaced.
 */
export async function writeDirAtomically<T>(target: string, kind: OutputFolderKind, fill: (tmpDir: string) => Promise<T>, inputs: string[] = []): Promise<T> {
  const full = resolve(target);
  const parent = dirname(full);
  checkOutputFolder(target, kind, inputs);
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(parent, `.${basename(full)}.tmp-${tag}`);
  try {
    await mkdir(parent, { recursive: true });
    await removeStaleTemporaries(full, kind);
  } catch (err) {
    throw outputFolderProblem(target, err);
  }
  // Again after the clean-up, which may have put a killed run's previous output back.
  checkOutputFolder(target, kind, inputs);
  try {
    await mkdir(tmp);
  } catch (err) {
    throw outputFolderProblem(target, err);
  }
  filling.add(tmp);
  let result: T;
  try {
    result = await fill(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    filling.delete(tmp);
  }
  if (existsSync(full)) {
    const old = join(parent, `.${basename(full)}.old-${tag}`);
    const others = notWritten(full, kind);
    await rename(full, old);
    try {
      await rename(tmp, full);
    } catch (err) {
      await rename(old, full);
      throw err;
    }
    // What the writer did not write there is not its to delete: it moves into the new folder.
    try {
      await moveInto(old, full, others ?? [], tag);
    } catch (err) {
      // Out of the temporaries' pattern, so that no later run cleans it away.
      const keep = freeName(parent, `${basename(full)}.kept-${tag}`);
      const where = await rename(old, keep).then(
        () => keep,
        () => old,
      );
      throw new OutputFolderError(target, `was written, but files fiber-capex did not write there could not be moved into it (${(err as Error).message}); they are in ${where}: move them back by hand`);
    }
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(tmp, full);
  }
  return result;
}
