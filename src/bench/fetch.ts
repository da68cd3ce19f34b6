/**
 * npm run bench:fetch — fetches 20,000 and 200,000 generated tasks from the simulator
 * running with Render's real limits, and prints requests, 429s, elapsed, achieved request
 * rate, tasks per second and peak memory.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RenderClient } from "../render/client.js";
import { fetchSnapshot } from "../snapshot/fetch.js";
import { row, spawnSandbox, trackPeakMemory } from "./util.js";

const sizes = (process.argv[2] ?? "20000,200000").split(",").map(Number);
const latency = Number(process.argv[3] ?? 0);
console.log(`fetch benchmark: simulator at 2 requests/s, burst 5, ${latency} ms latency; statuses approved + completed\n`);
console.log(row(["tasks", "requests", "pages + token", "429s", "elapsed s", "requests/s", "tasks/s", "peak RSS MB"]));
console.log(row(["---", "---", "---", "---", "---", "---", "---", "---"]));
for (const size of sizes) {
  const { url, child } = await spawnSandbox(["--tasks", String(size), "--latency", String(latency)]);
  const out = join(tmpdir(), `capex-bench-fetch-${size}`);
  rmSync(out, { recursive: true, force: true });
  const client = new RenderClient({ connection: { apiUrl: url, authUrl: url, clientId: "sandbox-client", clientSecret: "sandbox-secret" } });
  let pages = 0;
  const stopMemory = trackPeakMemory();
  const started = performance.now();
  const summary = await fetchSnapshot(client, { out, onProgress: () => void pages++ });
  const elapsed = (performance.now() - started) / 1000;
  const peak = stopMemory();
  // Pages of tasks, plus the projects page and one task-types page per project, plus the token.
  const expected = pages + 1 + Object.keys(summary.tasksPerProject).length + summary.tokensFetched;
  console.log(
    row([
      summary.tasks,
      summary.requests,
      expected,
      summary.rateLimited,
      elapsed.toFixed(1),
      ((summary.requests - summary.tokensFetched) / elapsed).toFixed(2),
      Math.round(summary.tasks / elapsed),
      peak,
    ]),
  );
  child.kill();
  rmSync(out, { recursive: true, force: true });
}
