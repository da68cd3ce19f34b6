import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { InputError } from "../errors.js";
import { formatCents } from "../money.js";
import { cellString, type RowContext, type Warn } from "./cells.js";
import { csvLine, neutralise } from "./csv.js";
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

/** Streams a table to an RFC 4180 CSV file (CRLF, UTF-8, no BOM), with backpressure. */
export async function writeCsvTable(path: string, table: Table, warn: Warn = () => {}): Promise<void> {
  const out = createWriteStream(path);
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, "drain");
  };
  try {
    await write(csvLine(table.columns.map((c) => c.name)));
    const at: RowContext = { table, row: [], index: 0, warn };
    for (const row of table.rows()) {
      at.row = row;
      at.index++;
      await write(csvLine(table.columns.map((c, i) => csvCell(c, row[i], at))));
    }
  } catch (err) {
    out.destroy();
    throw err;
  }
  out.end();
  await finished(out);
}
