import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { InputError } from "../errors.js";
import { formatCents } from "../money.js";
import { TextBatch } from "./batch.js";
import { cellString, isPlain, type RowContext, type Warn } from "./cells.js";
import { csvField, csvLine, neutralise } from "./csv.js";
import type { Cell, Column, Table } from "./tables.js";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A cell as CSV text: amounts validated and formatted to two decimals, free text neutralised, keys validated. */
export function csvCell(column: Column, value: Cell, at: RowContext): string {
  if (value === undefined || value === "") return "";
  switch (column.kind) {
    case "amount":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new InputError(column.name, `not an amount in cents: ${value}`);
      return formatCents(value);
    case "date":
      if (typeof value !== "string" || !ISO_DATE.test(value)) throw new InputError(column.name, `not an ISO date: ${value}`);
      return value;
    case "int":
    case "number":
      return String(value);
    case "text":
      return neutralise(cellString(column, value, at));
    case "code":
    case "account":
      return cellString(column, value, at);
  }
}

/**
 * Streams a table to an RFC 4180 CSV file (CRLF, UTF-8, no BOM). Rows are gathered into
 * 64 KB batches and each batch waits for the file to drain: an await per row cost more than
 * the row. Only a field that needs quotes is quoted (csvField); amounts, plain strings (isPlain)
 * and dates already seen skip the checks they are known to pass.
 */
export async function writeCsvTable(path: string, table: Table, warn: Warn = () => {}): Promise<void> {
  // A 1 MB buffer, not the 16 KB default: every 64 KB batch overflowed 16 KB, so each one
  // waited for its write to come back from the thread pool (writing the CSVs of 100,000 tasks
  // 12-15% faster, measured in one process, alternated).
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const batch = new TextBatch(out);
  try {
    batch.add(csvLine(table.columns.map((c) => c.name)));
    const at: RowContext = { table, row: [], index: 0, warn };
    const columns = table.columns;
    const n = columns.length;
    const isAmount = columns.map((c) => c.kind === "amount");
    const isDate = columns.map((c) => c.kind === "date");
    const isString = columns.map((c) => c.kind === "text" || c.kind === "code" || c.kind === "account");
    const dates = new Set<string>();
    for (const row of table.rows()) {
      at.row = row;
      at.index++;
      let line = "";
      for (let k = 0; k < n; k++) {
        if (k) line += ",";
        const value = row[k];
        if (value === undefined || value === "") continue;
        if (isAmount[k] && Number.isSafeInteger(value)) line += formatCents(value as number);
        else if (isString[k] && typeof value === "string" && isPlain(value)) line += value;
        else if (isDate[k] && dates.has(value as string)) line += value;
        else {
          const text = csvCell(columns[k]!, value, at);
          if (isDate[k]) dates.add(text);
          line += csvField(text);
        }
      }
      batch.add(`${line}\r\n`);
      if (batch.full) await batch.flush();
    }
    await batch.flush();
  } catch (err) {
    out.destroy();
    throw err;
  }
  out.end();
  await finished(out);
}
