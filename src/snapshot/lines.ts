import { createReadStream } from "node:fs";
import type { Hash } from "node:crypto";
import { StringDecoder } from "node:string_decoder";

/**
 * The lines of a file in batches, one batch per 1 MB chunk read. Batching keeps the
 * per-line cost to a string split: an async step per line (readline) costs more than the
 * JSON.parse that follows. `hash` sees the file's exact bytes.
 */
export async function* lineBatches(file: string, hash?: Hash): AsyncGenerator<string[]> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash?.update(chunk as Buffer);
    const text = rest + decoder.write(chunk as Buffer);
    const lines = text.split("\n");
    rest = lines.pop() ?? "";
    if (lines.length) yield lines;
  }
  rest += decoder.end();
  if (rest !== "") yield [rest];
}
