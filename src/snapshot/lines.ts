import { isAscii } from "node:buffer";
import { open } from "node:fs/promises";
import type { ChunkHash } from "../sha256-worker.js";

// 256 KB: a chunk's text past about 1 MB becomes a string outside V8's heap, which its
// collector gives back late (100,000 tasks: 465 MB peak with 1 MB chunks, 424 MB with these).
const CHUNK = 1 << 18;
const NEWLINE = 0x0a;

/**
 * The lines of a file in batches, one batch per chunk read. Batching keeps the
 * per-line cost to a string split: an async step per line (readline) costs more than the
 * JSON.parse that follows. `hash` is handed each chunk exactly as read, once it is decoded.
 *
 * A chunk is cut at its last newline byte, which never falls inside a UTF-8 sequence, so no
 * streaming decoder is needed; and a chunk of plain ASCII (a Render export nearly always is)
 * is decoded as latin1, which for ASCII is the same text at a tenth of UTF-8's cost
 * (100,000 tasks, 128 MB: 0.04 s against 0.43 s).
 */
export async function* lineBatches(file: string, hash?: ChunkHash): AsyncGenerator<string[]> {
  const handle = await open(file);
  let carry: Buffer | undefined;
  try {
    for (;;) {
      // A buffer of its own per chunk: the hash may take it over once it is decoded.
      const chunk = hash?.buffer(CHUNK) ?? Buffer.allocUnsafeSlow(CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const read = chunk.subarray(0, bytesRead);
      const data = carry ? Buffer.concat([carry, read]) : read;
      const end = data.lastIndexOf(NEWLINE);
      const lines = end < 0 ? undefined : decode(data.subarray(0, end)).split("\n");
      carry = end < 0 ? Buffer.from(data) : data.length > end + 1 ? Buffer.from(data.subarray(end + 1)) : undefined;
      hash?.update(bytesRead === CHUNK ? chunk : read);
      if (lines) yield lines;
    }
  } finally {
    await handle.close();
  }
  if (carry) yield [decode(carry)];
}

function decode(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? "latin1" : "utf8");
}
