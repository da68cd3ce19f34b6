import { Worker } from "node:worker_threads";

/**
 * The sha256 of each output file, computed on a worker thread while the main thread writes
 * the next file: hashing a close's outputs (about 90 MB at 100,000 tasks, a gigabyte at a
 * million) then costs the main thread nothing, on a machine with a second core. The worker
 * reads each file back once it is complete, as the manifest's hashes always were.
 */
const WORKER = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { createReadStream } = require("node:fs");
parentPort.on("message", ({ id, path }) => {
  const hash = createHash("sha256");
  createReadStream(path, { highWaterMark: 1 << 20 })
    .on("data", (chunk) => hash.update(chunk))
    .on("end", () => parentPort.postMessage({ id, hex: hash.digest("hex") }))
    .on("error", (e) => parentPort.postMessage({ id, error: e.message }));
});
`;

export class FileHashes {
  private readonly worker = new Worker(WORKER, { eval: true });
  private readonly pending = new Map<number, { resolve: (hex: string) => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor() {
    this.worker.on("message", ({ id, hex, error }: { id: number; hex?: string; error?: string }) => {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      if (hex !== undefined) p.resolve(hex);
      else p.reject(new Error(`cannot hash an output file: ${error}`));
    });
    this.worker.on("error", (e) => this.failAll(e));
    this.worker.on("exit", () => this.failAll(new Error("the hashing thread stopped")));
  }

  /** The file's sha256 (hex), once the worker has read it; call once the file is complete. */
  of(path: string): Promise<string> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, path });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
