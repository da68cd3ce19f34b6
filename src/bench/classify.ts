/**
 * npm run bench:classify — reads, validates, classifies and prices 1,000,000 generated tasks,
 * against the ceiling of reading and JSON.parse-ing the same file alone.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { classifyRecords } from "../capitalize/classify.js";
import { defaultRulesFile } from "../package-info.js";
import { loadRules } from "../rules/load.js";
import { lineBatches } from "../snapshot/lines.js";
import { openSnapshot } from "../snapshot/reader.js";
import { generatedSnapshot, row, trackPeakMemory } from "./util.js";

const size = Number(process.argv[2] ?? 1_000_000);
const dir = await generatedSnapshot(size);
const file = join(dir, "tasks.jsonl");
const bytes = statSync(file).size;

let t = performance.now();
let parsed = 0;
for await (const lines of lineBatches(file)) {
  for (const line of lines) {
    JSON.parse(line);
    parsed++;
  }
}
const parseSeconds = (performance.now() - t) / 1000;

const rules = await loadRules(defaultRulesFile());
const snapshot = await openSnapshot(dir);
const stop = trackPeakMemory();
t = performance.now();
const result = await classifyRecords(snapshot.batches(), rules, snapshot.projects);
const seconds = (performance.now() - t) / 1000;
const peak = stop();

console.log(`classify benchmark: ${size} tasks, ${(bytes / parsed).toFixed(0)} bytes a line, ${(bytes / 1e6).toFixed(0)} MB\n`);
console.log(row(["step", "seconds", "tasks/s", "vs parse alone", "peak RSS MB"]));
console.log(row(["---", "---", "---", "---", "---"]));
console.log(row(["read + JSON.parse only", parseSeconds.toFixed(2), Math.round(parsed / parseSeconds), "1.00×", "-"]));
console.log(row(["read + validate + classify + price", seconds.toFixed(2), Math.round(result.tasksRead / seconds), `${(seconds / parseSeconds).toFixed(2)}×`, peak]));
console.log(`\noutcomes: ${result.assets.length} assets, ${result.expensed.length} expensed, ${result.exceptions.length} exceptions, ${result.notApproved} not approved`);
