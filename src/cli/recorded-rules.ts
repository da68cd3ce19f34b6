import { existsSync } from "node:fs";
import { InputError } from "../errors.js";
import { BUNDLED_RULES_NAME, loadDefaultRules } from "../package-info.js";
import { recordedPath } from "../report/write.js";
import { loadRules } from "../rules/load.js";
import type { Rules } from "../rules/model.js";

/**
 * The rules a command about a closed period reads: those given; else the file at the path the
 * close recorded, or the bundled rules when it recorded their name, whichever is the file it
 * was closed with (its sha256), so that a rules/render-fiber.yaml of the user's own in the
 * working folder is not mistaken for the bundled one, nor the other way round; else the first
 * of them (the caller says it is not the close's); else, for a period no close recorded a rules
 * file for (an import), the bundled rules.
 */
export async function rulesOfClose(given: string | undefined, recorded: string | undefined, period: string, sha256: string): Promise<Rules> {
  if (given) return loadRules(recordedPath(given));
  if (recorded === undefined) return loadDefaultRules();
  const candidates: Array<() => Promise<Rules>> = [];
  if (existsSync(recorded)) candidates.push(() => loadRules(recorded));
  if (recorded === BUNDLED_RULES_NAME) candidates.push(loadDefaultRules);
  if (candidates.length === 0) throw new InputError("--rules", `${period} was closed with the rules file ${recorded} (sha256 ${sha256}), which is not at that path here; give it with --rules FILE`);
  let first: Rules | undefined;
  for (const load of candidates) {
    const rules = await load();
    if (rules.sha256 === sha256) return rules;
    first ??= rules;
  }
  return first!;
}
