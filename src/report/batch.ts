import { once } from "node:events";
import type { Writable } from "node:stream";

/** A batch is written once it holds this many characters (64 KB of ASCII). */
export const BATCH_CHARS = 1 << 16;

/**
 * Text gathered into batches before it is written: a write per row (or an await per row)
 * costs more than building the row. `full` is checked synchronously after each row, so a row
 * costs no promise; `flush` waits for the stream to drain, so memory stays flat however long
 * the file.
 */
export class TextBatch {
  text = "";
  constructor(private readonly out: Writable) {}

  get full(): boolean {
    return this.text.length >= BATCH_CHARS;
  }

  async flush(): Promise<void> {
    if (this.text === "") return;
    const text = this.text;
    this.text = "";
    if (!this.out.write(text)) await once(this.out, "drain");
  }
}
