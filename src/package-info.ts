import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadRules } from "./rules/load.js";
import type { Rules } from "./rules/model.js";

let root: string | undefined;
/**
 * The package's root folder: the nearest folder above this file holding fiber-capex's
 * package.json (this file is in src/ or dist/, or bundled into dist/cli/main.js).
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file) && (JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name === "fiber-capex") return (root = dir);
    if (dirname(dir) === dir) throw new Error(`fiber-capex's package.json is not above ${fileURLToPath(import.meta.url)}`);
  }
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
