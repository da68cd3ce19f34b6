import { existsSync } from "node:fs";
import { InputError } from "../errors.js";
import { BUNDLED_RULES_NAME, loadDefaultRules } from "../package-info.js";
import { recordedPath } from "../report/write.js";
import { loadRules } from "../rules/load.js";
import type { Rules } from "../rules/model.js";

/**
 * The rules a command about a closed period reads: those given, else the file the close
 * recorded (the bundled rules by their recorded name), else (a period no close recorded a
 * rules file for: an import) the bundled rules.
 */
export async function rulesOfClose(given: string | undefined, recorded: string | undefined, period: string, sha256: string): Promise<Rules> {
  if (given) return loadRules(recordedPath(given));
  if (recorded === undefined || recorded === BUNDLED_RULES_NAME) return loadDefaultRules();
  if (existsSync(recorded)) return loadRules(recorded);
  throw new InputError("--rules", `${period} was closed with the rules file ${recorded} (sha256 ${sha256}), which is not at that path here; give it with --rules FILE`);
}
