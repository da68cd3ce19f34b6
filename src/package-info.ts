import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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
