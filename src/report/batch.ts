import { once } from "node:events";
import type { Writable } from "node:stream";

/** A batch is written once it holds this many characters (64 KB of ASCII). */
export const BATCH_CHARS = 1 << 16;

/**
 * Text gathered into batches before it is written: a write per row (or an await per row)
 * costs more than building the row. `full` is checked synchronously after each row, so a row
 * costs no promise; `flush` waits for the stream to drain, so memory stays flat however long
 * the file.
 *
 * The parts are kept in a list and joined once per batch. A batch built with += is a tree of
 * partial strings that V8 flattens only when it is encoded for writing, which cost two to
 * three times as much as joining the list (the 116 MB of a 100,000-task workbook's XML: 0.25-0.55 s
 * against 0.15 s).
 */
export class TextBatch {
  private parts: string[] = [];
  private length = 0;
  constructor(private readonly out: Writable) {}

  add(text: string): void {
    this.parts.push(text);
    this.length += text.length;
  }

  get full(): boolean {
    return this.length >= BATCH_CHARS;
  }

  async flush(): Promise<void> {
    if (this.length === 0) return;
    const text = this.parts.join("");
    this.parts = [];
    this.length = 0;
    if (!this.out.write(text)) await once(this.out, "drain");
  }
}
