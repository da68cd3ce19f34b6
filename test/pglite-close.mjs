// One close against a PGlite register in a data folder, for the kill test: the CLI takes only
// SQLite files and postgres:// URLs, and PGlite lives inside one process.
import { PGlite } from "@electric-sql/pglite";
import { PGliteDialect } from "kysely-pglite-dialect";
import { runMonthEnd } from "../dist/close/month-end.js";
import { RegisterStore } from "../dist/register/store.js";
import { loadRules } from "../dist/rules/load.js";
import { openSnapshot } from "../dist/snapshot/reader.js";

const [dataDir, period, snapshot, out] = process.argv.slice(2);
const store = await RegisterStore.open({ location: "pglite (in-process PostgreSQL)", backend: "postgres", dialect: new PGliteDialect(await PGlite.create(dataDir)) });
const rules = await loadRules(new URL("../rules/render-fiber.yaml", import.meta.url).pathname);
await runMonthEnd({ register: store, snapshot: await openSnapshot(snapshot), rules, period, out });
await store.close();
