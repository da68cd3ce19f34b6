/**
 * npm run bench:close — closes 2026-10 on generated snapshots of 100,000 and 1,000,000
 * tasks, printing wall time, peak memory and rows written per second for each output.
 */
import { rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closePeriod } from "../close/close.js";
import { defaultRulesFile } from "../package-info.js";
import { closeTables } from "../report/tables.js";
import { writeCloseOutputs } from "../report/write.js";
import { loadRules } from "../rules/load.js";
import { openSnapshot } from "../snapshot/reader.js";
import { generatedSnapshot, row, trackPeakMemory } from "./util.js";

const sizes = (process.argv[2] ?? "100000,1000000").split(",").map(Number);
const rules = await loadRules(defaultRulesFile());
console.log("close benchmark: period 2026-10, generated snapshots (3 projects, 15 months of work)\n");
for (const size of sizes) {
  const dir = await generatedSnapshot(size);
  const out = join(tmpdir(), `capex-bench-close-${size}`);
  rmSync(out, { recursive: true, force: true });
  const stop = trackPeakMemory();
  const t0 = performance.now();
  const result = await closePeriod({ snapshot: await openSnapshot(dir), rules, period: "2026-10" });
  const t1 = performance.now();
  const fileTimes: Array<[string, number]> = [];
  let last = performance.now();
  let current = "";
  await writeCloseOutputs(result, rules, {
    out,
    onFile: (f) => {
      const now = performance.now();
      if (current) fileTimes.push([current, now - last]);
      current = f;
      last = now;
    },
  });
  const t2 = performance.now();
  fileTimes.push([current, t2 - last]);
  const peak = stop();
  const rows = new Map(closeTables(result).map((t) => [t.file, t.rowCount]));
  // The workbook holds the first seven tables, plus Rules (20 rows) and tax by class.
  const workbookRows = closeTables(result).slice(0, 7).reduce((s, t) => s + t.rowCount, 0) + rules.taskTypes.size + result.taxByClass.length;
  console.log(`${size} tasks: ${((t2 - t0) / 1000).toFixed(1)} s wall (close ${((t1 - t0) / 1000).toFixed(1)} s, write ${((t2 - t1) / 1000).toFixed(1)} s), peak RSS ${peak} MB`);
  console.log(row(["output", "rows", "seconds", "rows/s", "MB"]));
  console.log(row(["---", "---", "---", "---", "---"]));
  for (const [file, ms] of fileTimes) {
    const n = file.endsWith(".xlsx") ? workbookRows : (rows.get(file) ?? 0);
    console.log(row([file, n, (ms / 1000).toFixed(2), Math.round(n / (ms / 1000)), (statSync(join(out, file)).size / 1e6).toFixed(1)]));
  }
  console.log("");
  rmSync(out, { recursive: true, force: true });
}
