import { stringify } from "csv-stringify/sync";

/**
 * RFC 4180 CSV (CRLF line ends, quotes where needed) via csv-stringify. Free-text cells are
 * neutralised against formula injection: a cell starting with = + - @, tab or CR/LF gets a
 * leading apostrophe, which spreadsheets show as text. Amount and date columns are validated
 * by their writers instead, so a negative amount is never mangled.
 */
const FORMULA_START = /^[=+\-@\t\r\n]/;

export function neutralise(text: string | undefined): string {
  if (text === undefined) return "";
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export type CsvCell = string | number | undefined;

export function csvText(header: readonly string[], rows: Iterable<readonly CsvCell[]>): string {
  const all: CsvCell[][] = [[...header]];
  for (const r of rows) all.push([...r]);
  return stringify(all, { record_delimiter: "\r\n" });
}

/** One CSV line (with its CRLF) for streaming writers. */
export function csvLine(row: readonly CsvCell[]): string {
  return stringify([[...row]], { record_delimiter: "\r\n" });
}
