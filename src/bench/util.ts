import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../cli/paths.js";

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
