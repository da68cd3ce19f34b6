// Bundles the CLI (dist/cli/main.js, as tsc wrote it) into that one file, in place.
//
// Why: Node loads an ES module file by file, and capex's dependencies are about a thousand
// of them (kysely alone 279, date-fns 250); start-up cost 1.2 s of every command, a sixth of
// a 100,000-task close. One file loads in a fraction of that. The library (dist/index.js)
// stays unbundled: an integration's own bundler or Node loads what it imports.
//
// Left outside the bundle: native addons (better-sqlite3, pg's optional pg-native); pdfkit,
// which reads its data files from its own folder; and archiver (the workbook's zip), whose
// helpers call the deprecated Buffer(), which Node forgives only from inside node_modules.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const entry = "dist/cli/main.js";
await build({
  entryPoints: [entry],
  outfile: entry,
  allowOverwrite: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["better-sqlite3", "pg-native", "pdfkit", "archiver", "undici", "pg", "pg-copy-streams"],
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: { js: 'import { createRequire as __capexRequire } from "node:module"; const require = __capexRequire(import.meta.url);' },
  legalComments: "none",
  // tsc's map of the unbundled file would be stale: this one maps back to the TypeScript
  // (through tsc's maps), without copying the sources in.
  sourcemap: true,
  sourcesContent: false,
  logLevel: "warning",
});

// tsc's modules of the CLI are inside the bundle now; nothing else imports them (the library
// entry does not reach into src/cli), so they are not shipped beside it.
for (const name of readdirSync("dist/cli")) {
  if (name !== "main.js" && name !== "main.js.map") rmSync(join("dist/cli", name), { recursive: true, force: true });
}
