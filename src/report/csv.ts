/**
 * RFC 4180 CSV: CRLF line ends, and a field quoted (its quotes doubled) when it holds a
 * quote, a comma, a CR or an LF. csv-stringify quotes only the record delimiter itself, so a
 * lone LF in a street address split the row in two and put the rest of it, unguarded, at the
 * start of a line; hence the quoting is done here.
 *
 * Free-text cells are neutralised against formula injection: a cell starting with = + - @,
 * tab, CR or LF gets a leading apostrophe, which spreadsheets show as text. Identifiers are
 * validated instead (src/ids.ts) and amounts and dates by their writers, so no key and no
 * negative amount is ever mangled.
 */
const FORMULA_START = /^[=+\-@\t\r\n]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function neutralise(text: string | undefined): string {
  if (text === undefined) return "";
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export type CsvCell = string | number | undefined;

/** One field as RFC 4180 writes it. */
export function csvField(value: CsvCell): string {
  if (value === undefined) return "";
  const text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line, with its CRLF. */
export function csvLine(row: readonly CsvCell[]): string {
  return `${row.map(csvField).join(",")}\r\n`;
}

export function csvText(header: readonly string[], rows: Iterable<readonly CsvCell[]>): string {
  let text = csvLine(header);
  for (const r of rows) text += csvLine(r);
  return text;
}
