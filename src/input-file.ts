import { readFile } from "node:fs/promises";
import { InputError } from "./errors.js";

/** Why a file cannot be read, in plain words (the system's message for anything unusual). */
export function unreadableReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "there is no such file";
  if (code === "EISDIR") return "it is a folder, not a file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return (e as Error).message;
}

/**
 * The bytes of a file capex was given (a retirements file, a take-on file), or an InputError
 * naming it and saying in plain words why it cannot be read.
 */
export async function readInputFile(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new InputError(file, `cannot read the ${what}: ${unreadableReason(e)}; check the path`);
  }
}
