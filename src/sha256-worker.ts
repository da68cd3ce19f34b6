import { createHash, type Hash } from "node:crypto";
import { Worker } from "node:worker_threads";

/**
 * sha256 on a worker thread, so that hashing costs the main thread nothing on a machine with
 * a second core: a close's outputs (about 90 MB at 100,000 tasks, a gigabyte at a million),
 * hashed while the main thread writes the next file, and a snapshot's tasks, hashed while the
 * main thread parses them. An output file is read back once it is complete, as the manifest's
 * hashes always were; a snapshot's bytes are the very chunks the reader parsed, handed over
 * (not read again), so the hash proves what was parsed.
 */
const WORKER = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { createReadStream } = require("node:fs");
const streams = new Map();
parentPort.on("message", (m) => {
  if (m.chunk) {
    let hash = streams.get(m.id);
    if (!hash) streams.set(m.id, (hash = createHash("sha256")));
    hash.update(new Uint8Array(m.chunk));
    parentPort.postMessage({ id: m.id, spare: m.chunk }, [m.chunk]);
    return;
  }
  if (m.end) {
    const hash = streams.get(m.id) ?? createHash("sha256");
    streams.delete(m.id);
    parentPort.postMessage({ id: m.id, hex: hash.digest("hex") });
    return;
  }
  const hash = createHash("sha256");
  createReadStream(m.path, { highWaterMark: 1 << 20 })
    .on("data", (chunk) => hash.update(chunk))
    .on("end", () => parentPort.postMessage({ id: m.id, hex: hash.digest("hex") }))
    .on("error", (e) => parentPort.postMessage({ id: m.id, error: e.message }));
});
`;

/** A sha256 fed chunk by chunk: in this thread, or on a Sha256Worker. */
export interface ChunkHash {
  /** Hands the chunk over: on a worker its memory moves there, so the caller must be done with it. */
  update(chunk: Uint8Array): void;
  /** A buffer of `size` bytes to read the next chunk into: one the worker has hashed and handed back, when there is one. */
  buffer(size: number): Buffer;
  digest(): Promise<string>;
}

/** A sha256 computed in this thread: for small inputs, where a thread costs more than it saves. */
export function localHash(): ChunkHash {
  const hash: Hash = createHash("sha256");
  return {
    update: (chunk) => void hash.update(chunk),
    buffer: (size) => Buffer.allocUnsafeSlow(size),
    digest: async () => hash.digest("hex"),
  };
}

export class Sha256Worker {
  private readonly worker = new Worker(WORKER, { eval: true });
  private readonly pending = new Map<number, { resolve: (hex: string) => void; reject: (e: Error) => void }>();
  private next = 0;
  /** Why the thread is gone, once it is: later requests fail at once instead of waiting for it. */
  private stopped: Error | undefined;
  /** Chunks hashed and handed back, to be read into again: a few buffers go round instead of a new one per chunk. */
  private readonly spares: ArrayBuffer[] = [];

  constructor() {
    this.worker.on("message", ({ id, hex, error, spare }: { id: number; hex?: string; error?: string; spare?: ArrayBuffer }) => {
      if (spare) return void this.spares.push(spare);
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      if (hex !== undefined) p.resolve(hex);
      else p.reject(new Error(`cannot hash a file: ${error}`));
    });
    this.worker.on("error", (e) => this.failAll((this.stopped = e)));
    this.worker.on("exit", () => this.failAll((this.stopped ??= new Error("the hashing thread stopped"))));
  }

  /** The file's sha256 (hex), once the worker has read it; call once the file is complete. */
  of(path: string): Promise<string> {
    const id = this.next++;
    return this.reply(id, () => this.worker.postMessage({ id, path }));
  }

  /** A sha256 of the chunks given to it, computed on the worker (each chunk's memory is moved there). */
  chunks(): ChunkHash {
    const id = this.next++;
    return {
      update: (chunk) => {
        if (this.stopped) return; // digest() reports it
        // Only a chunk that owns its whole buffer can move; anything else is copied first.
        const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer ? chunk : new Uint8Array(chunk);
        this.worker.postMessage({ id, chunk: own.buffer }, [own.buffer as ArrayBuffer]);
      },
      buffer: (size) => {
        const spare = this.spares.pop();
        return spare?.byteLength === size ? Buffer.from(spare) : Buffer.allocUnsafeSlow(size);
      },
      digest: () => this.reply(id, () => this.worker.postMessage({ id, end: true })),
    };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private reply(id: number, send: () => void): Promise<string> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      send();
    });
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
