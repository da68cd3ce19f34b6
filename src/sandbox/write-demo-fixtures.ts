import { join } from "node:path";
import { packageRoot } from "../package-info.js";
import { writeDemoFixtures } from "./demo-fixtures.js";

/** `npm run fixtures`: rewrites fixtures/demo from the seeded generator. */
await writeDemoFixtures(join(packageRoot(), "fixtures", "demo"));
