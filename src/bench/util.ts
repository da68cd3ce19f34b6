import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../package-info.js";

/**
 * How a user's shell starts `capex`: node with the flags of the `#!` line, then the CLI. The
 * benches spawn exactly this, so their figures are the command's and not a bare node's.
 */
export function capexCommand(): string[] {
  const main = join(packageRoot(), "dist", "cli", "main.js");
  const shebang = readFileSync(main, "utf8").split("\n", 1)[0] ?? "";
  return [...shebang.split(/\s+/).filter((w) => w.startsWith("--")), main];
}

/** Samples resident memory every 50 ms; returns a stop function giving the peak in MB. */
export function trackPeakMemory(): () => number {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  return () => {
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    return Math.round(peak / 1024 / 1024);
  };
}

/** Starts `capex sandbox` in its own process and resolves with its URL. */
export function spawnSandbox(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(packageRoot(), "dist", "cli", "main.js"), "sandbox", "--port", "0", "--json", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      try {
        resolve({ url: (JSON.parse(text) as { url: string }).url, child });
      } catch {
        // wait for the whole JSON
      }
    });
    child.once("exit", (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
}

export function row(cells: Array<string | number>): string {
  return `| ${cells.join(" | ")} |`;
}

/** A generated snapshot of `tasks` tasks in the temp folder, written once and reused. */
export async function generatedSnapshot(tasks: number): Promise<string> {
  const { existsSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { writeDirAtomically } = await import("../atomic-dir.js");
  const { NOT_FETCHED, SNAPSHOT_FOLDER, SnapshotWriter } = await import("../snapshot/writer.js");
  const gen = await import("../sandbox/generate.js");
  const dir = join(tmpdir(), `capex-bench-snapshot-${tasks}`);
  if (existsSync(join(dir, "manifest.json"))) return dir;
  const projects = gen.generatedProjects(tasks);
  await writeDirAtomically(dir, SNAPSHOT_FOLDER, async (tmp) => {
    const w = new SnapshotWriter(tmp);
    await w.writeProjects(projects.map(gen.projectRecord));
    await w.writeTaskTypes(Object.fromEntries(projects.map((p) => [p.short_name, gen.generatedTaskTypes()])));
    for (const p of projects) for (let i = 0; i < p.taskCount; i++) await w.addTask(gen.generateTask(1, p, i), p.short_name);
    await w.finish([], { ...NOT_FETCHED, api_base_url: "generated", fetched_at: "2026-11-02T00:00:00.000Z" });
  });
  return dir;
}
