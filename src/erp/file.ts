import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { link, mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { outputFolderProblem } from "../atomic-dir.js";
import { OutputFolderError } from "../errors.js";

/**
 * Writes an export file without ever replacing a file: the text goes to a temporary file
 * beside it, which is then hard-linked to the name (link fails if the name exists, so a file
 * that appeared meanwhile is not clobbered either). An existing file with the same bytes is
 * left as it is (`unchanged`); any other existing file is refused: it may be one the
 * accountant edited or one fiber-capex did not write, and only they can say which.
 */
export async function writeNewFile(path: string, text: string): Promise<"written" | "unchanged"> {
  const bytes = Buffer.from(text, "utf8");
  const refuse = () =>
    new OutputFolderError(path, "exists with other content; nothing was written. fiber-capex never replaces a file: move or delete it (it may be an edited or imported copy), or choose another --out.");
  if (existsSync(path)) {
    if (sameBytes(path, bytes)) return "unchanged";
    throw refuse();
  }
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let outcome: "written" | "unchanged" = "written";
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, bytes, { flag: "wx" });
    try {
      await link(tmp, path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "";
      if (code === "EEXIST") {
        if (!sameBytes(path, bytes)) throw refuse();
        outcome = "unchanged";
      } else if (NO_HARD_LINKS.has(code)) {
        // A file system without hard links: rename, the name having been checked free just above.
        if (existsSync(path)) throw refuse();
        await rename(tmp, path);
      } else throw e;
    }
  } catch (e) {
    if (e instanceof OutputFolderError) throw e;
    throw outputFolderProblem(path, e);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return outcome;
}

const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]);

function sameBytes(path: string, bytes: Buffer): boolean {
  try {
    return readFileSync(path).equals(bytes);
  } catch {
    return false;
  }
}
