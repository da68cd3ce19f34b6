import { existsSync } from "node:fs";
import type { WriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { SnapshotWriter } from "../src/snapshot/writer.js";
import { tmp } from "./helpers.js";

describe("a fetch that fails while tasks.jsonl is being written", () => {
  // The ERR_STREAM_DESTROYED that escaped the test suite under load: a fetch failed (Render
  // down, or the simulator closed) while a task line was still being written, and the abort
  // destroyed the stream under that write.
  it("aborts quietly: no uncaught ERR_STREAM_DESTROYED, and the file is closed before the folder goes", async () => {
    const uncaught: unknown[] = [];
    const hear = (err: unknown) => uncaught.push(err);
    process.on("uncaughtException", hear);
    try {
      const dir = tmp();
      const writer = new SnapshotWriter(dir);
      // Wait until tasks.jsonl is open, so the next line goes straight to a write in flight.
      const stream = (writer as unknown as { tasksStream: WriteStream }).tasksStream;
      while (stream.pending) await tick();
      await writer.addTask({ project_task_id: 1, notes: "x".repeat(1000) }, "P1");
      await writer.abort();
      expect(stream.closed).toBe(true);
      await rm(dir, { recursive: true, force: true });
      // Give a late 'error' every chance to surface.
      for (let i = 0; i < 5; i++) await tick();
      expect(uncaught).toEqual([]);
      expect(existsSync(join(dir, "tasks.jsonl"))).toBe(false);
      await writer.abort(); // a second abort is harmless
    } finally {
      process.off("uncaughtException", hear);
    }
  });
});
