import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadRules } from "./rules/load.js";
import type { Rules } from "./rules/model.js";

/** The package's root folder, found from this file (dist/ or src/ sit one level below). */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..");
}

let version: string | undefined;
export function toolVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
  return version;
}

export function demoFixtureDir(): string {
  return join(packageRoot(), "fixtures", "demo");
}

export function defaultRulesFile(): string {
  return join(packageRoot(), "rules", "render-fiber.yaml");
}

/** The name the bundled rules are recorded under in outputs and messages. */
export const BUNDLED_RULES_NAME = "rules/render-fiber.yaml";

/**
 * Loads the rules bundled with the package. They are recorded as rules/render-fiber.yaml
 * (with their sha256), not where this copy is installed, so outputs do not depend on the
 * install folder and show no local path.
 */
export async function loadDefaultRules(): Promise<Rules> {
  return { ...(await loadRules(defaultRulesFile())), file: BUNDLED_RULES_NAME };
}
