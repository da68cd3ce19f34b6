import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's root folder, found from this file (dist/cli or src/cli). */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

export function demoFixtureDir(): string {
  return join(packageRoot(), "fixtures", "demo");
}

export function defaultRulesFile(): string {
  return join(packageRoot(), "rules", "render-fiber.yaml");
}
