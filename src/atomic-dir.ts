import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/**
 * Fills a temporary sibling folder and renames it onto `target` only when `fill` succeeds:
 * a failed run leaves no half-written output and never replaces a good one.
 */
export async function writeDirAtomically<T>(target: string, fill: (tmpDir: string) => Promise<T>): Promise<T> {
  const full = resolve(target);
  const parent = dirname(full);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(parent, `.${basename(full)}.tmp-${tag}`);
  await mkdir(tmp);
  let result: T;
  try {
    result = await fill(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (existsSync(full)) {
    const old = join(parent, `.${basename(full)}.old-${tag}`);
    await rename(full, old);
    try {
      await rename(tmp, full);
    } catch (err) {
      await rename(old, full);
      throw err;
    }
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(tmp, full);
  }
  return result;
}
