import { InputError } from "../errors.js";
import { keyProblem } from "../ids.js";
import { type Cell, type Column, describeRow, type Table } from "./tables.js";
import { cellText, EXCEL_CELL_CHARS } from "./text.js";

/** Something worth telling the user about the outputs that stops nothing (a cut cell). */
export type Warn = (message: string) => void;

// What makes some writer change a string: a formula's first character, controls and DEL, the
// non-characters, surrogates (a lone one is replaced), CSV's quote and comma, XML's markup.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters looked for
const NOT_PLAIN = /^[=+\-@]|[\u0000-\u001f\u007f"',<>&\ufffe\uffff\ud800-\udfff]/;

/**
 * True when every writer writes `text` exactly as it is: nothing to clean, cut, neutralise,
 * refuse, quote or escape. Nearly every cell of a close is plain, and this one scan lets the
 * writers skip the checks that would each have scanned it again; anything else takes the full
 * path (cellString, then the writer's own quoting or escaping).
 */
export function isPlain(text: string): boolean {
  return text.length <= EXCEL_CELL_CHARS && !NOT_PLAIN.test(text);
}

/** Where a cell is, for its warning or error. */
export interface RowContext {
  table: Table;
  row: readonly Cell[];
  /** The row's place in the table, from 1. */
  index: number;
  warn: Warn;
}

/**
 * The string of a text, code or account cell as both writers write it: free text cleaned
 * and cut at Excel's cell limit (with a warning naming the row), identifiers validated and
 * never altered. The CSV writer then neutralises free text; the workbook types it as text.
 */
export function cellString(column: Column, value: string | number, at: RowContext): string {
  const raw = String(value);
  if (column.kind === "text") {
    const { text, cutFrom } = cellText(raw);
    if (cutFrom !== undefined) {
      at.warn(`${describeRow(at.table, at.row, at.index)}, ${column.name}: ${cutFrom.toLocaleString("en-US")} characters, cut to Excel's cell limit of 32,767 in the CSV file and the workbook`);
    }
    return text;
  }
  const problem = keyProblem(raw);
  if (problem) {
    throw new InputError(
      `${describeRow(at.table, at.row, at.index)}, ${column.name}`,
      `${JSON.stringify(raw)} cannot be written as an identifier: it ${problem}. Correct it where it comes from (Render or the rules file) and close again; nothing was written`,
    );
  }
  return raw;
}
