import { open } from "node:fs/promises";
import type { ChunkHash } from "../sha256-worker.js";

/** Bytes read at a time: few enough reads that waiting for them costs nothing (64 KB reads idled 0.6 s over 128 MB). */
const CHUNK = 1 << 20;
/**
 * Bytes decoded at a time: a text under 128 KB is an ordinary young string. From 128 KB V8
 * puts each in its large-object space, which made decoding 128 MB take 0.6 s instead of
 * 0.05 s; past about 1 MB Node keeps it outside V8's heap, fast but given back late.
 */
const SLICE = 1 << 16;
const NEWLINE = 0x0a;

/**
 * The lines of a file in batches, one batch per 1 MB read. Batching keeps the per-line cost
 * to a string split: an async step per line (readline) costs more than the JSON.parse that
 * follows. `hash` is handed each chunk exactly as read, once it is decoded.
 *
 * Text is cut at newline bytes, which never fall inside a UTF-8 sequence, so no streaming
 * decoder is needed. The next chunk is read while this one is decoded.
 */
export async function* lineBatches(file: string, hash?: ChunkHash): AsyncGenerator<string[]> {
  const handle = await open(file);
  const read = () => {
    // A buffer of its own per chunk: the hash may take it over once it is decoded.
    const buffer = hash?.buffer(CHUNK) ?? Buffer.allocUnsafeSlow(CHUNK);
    const reading = handle.read(buffer, 0, CHUNK, null).then(({ bytesRead }) => ({ buffer, bytes: buffer.subarray(0, bytesRead) }));
    // A read ahead may fail while the consumer still works on the last batch: it is reported
    // where it is awaited, not as an unhandled rejection meanwhile.
    reading.catch(() => {});
    return reading;
  };
  // The bytes of a line not yet ended, kept as parts: a line longer than a chunk (a task
  // with a big geometry) is joined once, not copied again with every chunk.
  const unended: Buffer[] = [];
  let next: ReturnType<typeof read> | undefined = read();
  try {
    for (;;) {
      const { buffer, bytes } = await next;
      next = undefined;
      if (bytes.length === 0) break;
      next = read();
      const lines: string[] = [];
      let start = 0;
      for (;;) {
        // The last newline in the next SLICE bytes, or the first after them for a longer line.
        const limit = Math.min(start + SLICE, bytes.length);
        let end = bytes.lastIndexOf(NEWLINE, limit - 1);
        if (end < start) end = bytes.indexOf(NEWLINE, limit);
        if (end < 0) break;
        const text = unended.length ? Buffer.concat([...unended.splice(0), bytes.subarray(start, end)]) : bytes.subarray(start, end);
        for (const line of text.toString("utf8").split("\n")) lines.push(line);
        start = end + 1;
      }
      if (start < bytes.length) unended.push(Buffer.from(bytes.subarray(start)));
      hash?.update(bytes.length === CHUNK ? buffer : bytes);
      if (lines.length) yield lines;
    }
  } finally {
    // A consumer that stops early leaves a read in flight: let it land before closing.
    await next?.catch(() => {});
    await handle.close();
  }
  if (unended.length) yield [Buffer.concat(unended).toString("utf8")];
}
