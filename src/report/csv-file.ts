import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { stringify } from "csv-stringify";
import { formatCents } from "../money.js";
import { neutralise } from "./csv.js";
import type { Cell, Column, Table } from "./tables.js";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A cell as CSV text: amounts validated and formatted to two decimals, free text neutralised. */
export function csvCell(column: Column, value: Cell): string {
  if (value === undefined || value === "") return "";
  switch (column.kind) {
    case "amount":
      if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new Error(`${column.name}: not an amount in cents: ${value}`);
      return formatCents(value);
    case "date":
      if (typeof value !== "string" || !ISO_DATE.test(value)) throw new Error(`${column.name}: not an ISO date: ${value}`);
      return value;
    case "int":
    case "number":
      return String(value);
    case "text":
    case "code":
      return neutralise(String(value));
  }
}

/** Streams a table to an RFC 4180 CSV file (CRLF, UTF-8), with backpressure. */
export async function writeCsvTable(path: string, table: Table): Promise<void> {
  const out = createWriteStream(path);
  const csv = stringify({ record_delimiter: "\r\n" });
  csv.pipe(out);
  const write = async (row: string[]) => {
    if (!csv.write(row)) await once(csv, "drain");
  };
  await write(table.columns.map((c) => c.name));
  for (const row of table.rows()) await write(table.columns.map((c, i) => csvCell(c, row[i])));
  csv.end();
  await finished(out);
}
