import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import type { Identity } from "../close/identities.js";
import { TextBatch } from "./batch.js";
import { cellString, isPlain, type RowContext, type Warn } from "./cells.js";
import type { Cell, Column, Table } from "./tables.js";
import { cellText } from "./text.js";
import { appXml, contentTypesXml, coreXml, PACKAGE_RELS_XML, sheetEndXml, sheetStartXml, workbookRelsXml, workbookXml } from "./xlsx-parts.js";
import { type CellStyle, StyleSheet } from "./xlsx-styles.js";
import { THEME_XML } from "./xlsx-theme.js";
import { xmlText } from "./xml.js";
import { ZipThread } from "./zip-thread.js";

/** Excel's accounting format: thousands separators, negatives in parentheses, zero as a dash. */
export const ACCOUNTING_FORMAT = '_(* #,##0.00_);_(* (#,##0.00);_(* "-"??_);_(@_)';
export const DATE_FORMAT = "yyyy-mm-dd";
/** Excel's row limit, header included. */
export const EXCEL_MAX_ROWS = 1_048_576;

export interface SummaryLine {
  label: string;
  value: string | number | Date;
  kind?: "amount" | "date" | "text";
}

export interface WorkbookContent {
  title: string;
  /** The printed footer's middle part, e.g. "fiber-capex close 2026-10". */
  footer: string;
  summary: SummaryLine[];
  identities: Identity[];
  tables: Table[];
}

export function columnLetter(n: number): string {
  let s = "";
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/** A numeric account code is written as a number, so Excel does not flag "number stored as text"; a leading zero keeps it text. */
const NUMERIC_CODE = /^[1-9]\d{0,14}$/;

const FONT = { size: 11 };
const BOLD_FONT = { size: 11, bold: true };
// Right-aligned numbers and dates keep a space from the text after them (the accounting format has its own).
const RIGHT = { horizontal: "right", indent: 1 } as const;
const STYLE_FOR: Record<Column["kind"], CellStyle> = {
  amount: { font: FONT, numFmt: ACCOUNTING_FORMAT },
  date: { font: FONT, numFmt: DATE_FORMAT, alignment: RIGHT },
  int: { font: FONT, alignment: RIGHT },
  number: { font: FONT, alignment: RIGHT },
  text: { font: FONT },
  code: { font: FONT },
  // A code, though written as a number when it is one: placed like the other codes.
  account: { font: FONT, alignment: { horizontal: "left" } },
};
/** Numbers' and dates' headers stand over them, on the right. */
const NUMERIC_KINDS: ReadonlySet<Column["kind"]> = new Set(["amount", "int", "number", "date"]);
const HEADER: CellStyle = { font: BOLD_FONT, alignment: { vertical: "bottom", wrapText: true } };
const HEADER_NUMERIC: CellStyle = { font: BOLD_FONT, alignment: { ...RIGHT, vertical: "bottom", wrapText: true } };
const TOTAL_LABEL: CellStyle = { font: BOLD_FONT, topBorder: true };
const TOTAL_AMOUNT: CellStyle = { font: BOLD_FONT, topBorder: true, numFmt: ACCOUNTING_FORMAT };
const BOLD: CellStyle = { font: BOLD_FONT };
const TITLE: CellStyle = { font: { size: 14, bold: true } };
/** The Summary's first column, in characters: an identity's name longer than this wraps onto more lines. */
const SUMMARY_NAME_WIDTH = 70;
/** The sheets' default row height in points (sheetFormatPr): a wrapped row is this per line. */
const ROW_HEIGHT = 15;
const PLAIN: CellStyle = { font: FONT };
const WRAPPED: CellStyle = { font: FONT, alignment: { wrapText: true } };
const AMOUNT: CellStyle = { font: FONT, numFmt: ACCOUNTING_FORMAT };
const COUNT: CellStyle = { font: FONT, numFmt: "#,##0" };
const DATE: CellStyle = { font: FONT, numFmt: DATE_FORMAT };

/** Width for a column: its own, or one by kind, never narrower than its header's longest word (plus the filter button). */
function widthOf(c: Column): number {
  const longestWord = Math.max(...c.label.split(" ").map((w) => w.length));
  return Math.max(c.width ?? (c.kind === "amount" ? 16 : c.kind === "date" ? 12 : 10), longestWord + 3);
}

/** Excel's serial day number of an ISO date (days since 1899-12-30). */
function excelDay(iso: string): number {
  return 25569 + new Date(`${iso}T00:00:00Z`).getTime() / 86_400_000;
}

type Value = string | number | Date | { formula: string; result: string | number } | null;

/**
 * One cell's XML: a number inline, a string inline (`t="str"`, no shared-strings table to
 * build), a formula with its stored result so viewers that do not calculate show the figure.
 * An empty cell is written only when it carries a format.
 */
function cellXml(ref: string, style: number, value: Value): string {
  const s = style ? ` s="${style}"` : "";
  if (value === null) return s ? `<c r="${ref}"${s}/>` : "";
  if (typeof value === "number") return `<c r="${ref}"${s}><v>${value}</v></c>`;
  if (typeof value === "string") return `<c r="${ref}"${s} t="str"><v>${xmlText(value)}</v></c>`;
  if (value instanceof Date) return `<c r="${ref}"${s}><v>${25569 + value.getTime() / 86_400_000}</v></c>`;
  const f = `<f>${xmlText(value.formula)}</f>`;
  return typeof value.result === "number" ? `<c r="${ref}"${s}>${f}<v>${value.result}</v></c>` : `<c r="${ref}"${s} t="str">${f}<v>${xmlText(value.result)}</v></c>`;
}

/** Writes sheets' XML into the zip entries, row by row, in batches. */
class SheetWriter {
  private batch: TextBatch;
  private rowNumber = 0;

  constructor(
    private readonly entry: Writable,
    widths: readonly number[],
  ) {
    this.batch = new TextBatch(entry);
    this.batch.add(sheetStartXml(widths));
  }

  /**
   * A row of cells with their styles; a row of empty cells only is left out, as Excel does.
   * `lines`: the lines of wrapped text it holds, set as its height (neither Excel nor
   * LibreOffice fits a row to wrapped text it opens: the lines overlapped the rows below).
   */
  row(values: readonly Value[], styles: readonly number[], lines = 1): void {
    const r = ++this.rowNumber;
    let cells = "";
    let any = false;
    for (let k = 0; k < values.length; k++) {
      const v = values[k] ?? null;
      if (v !== null) any = true;
      cells += cellXml(`${columnLetter(k + 1)}${r}`, styles[k] ?? 0, v);
    }
    const height = lines > 1 ? ` ht="${ROW_HEIGHT * lines}" customHeight="1"` : "";
    if (any) this.batch.add(`<row r="${r}" spans="1:${values.length}"${height} x14ac:dyDescent="0.25">${cells}</row>`);
  }

  /** The number the next row will have. */
  get nextRow(): number {
    return this.rowNumber + 1;
  }

  /** Takes the next row's number, for a row the caller builds itself (`raw`). */
  next(): number {
    return ++this.rowNumber;
  }

  raw(xml: string): void {
    this.batch.add(xml);
  }

  get full(): boolean {
    return this.batch.full;
  }

  flush(): Promise<void> {
    return this.batch.flush();
  }

  async end(autoFilter: string | undefined, footer: string): Promise<void> {
    this.batch.add(sheetEndXml(autoFilter, footer));
    await this.batch.flush();
    this.entry.end();
    await finished(this.entry);
  }
}

/** An identity's side as the manifest writes it ("4669.87", "3") as a number, with its format. */
function identitySide(side: string): { value: Value; style: CellStyle } {
  if (/^-?\d+\.\d+$/.test(side)) return { value: Number(side), style: AMOUNT };
  if (/^-?\d+$/.test(side)) return { value: Number(side), style: COUNT };
  return { value: cellText(side).text, style: PLAIN };
}

async function writeSummary(sheet: SheetWriter, content: WorkbookContent, styles: StyleSheet): Promise<void> {
  const ids = (list: CellStyle[]) => list.map((s) => styles.id(s));
  sheet.row([content.title], ids([TITLE]));
  for (const line of content.summary) {
    const value = typeof line.value === "string" ? cellText(line.value).text : line.value;
    sheet.row([line.label, value], ids([PLAIN, line.kind === "amount" ? AMOUNT : line.kind === "date" ? DATE : PLAIN]));
  }
  sheet.row([], []);
  sheet.row(["Identity", "Left side", "Right side", "Holds"], ids([HEADER, HEADER_NUMERIC, HEADER_NUMERIC, HEADER]));
  for (const i of content.identities) {
    const left = identitySide(i.left);
    const right = identitySide(i.right);
    const flag = i.holds ? "yes" : "NO";
    // Live: the flag follows the two sides if anyone changes them.
    const r = sheet.nextRow;
    const holds: Value = typeof left.value === "number" && typeof right.value === "number" ? { formula: `IF(ROUND(B${r}-C${r},2)=0,"yes","NO")`, result: flag } : flag;
    // An identity's name wraps in its column (the longest are wider than any screen), its row as high as its lines.
    const name = cellText(i.name).text;
    sheet.row([name, left.value, right.value, holds], ids([WRAPPED, left.style, right.style, i.holds ? PLAIN : BOLD]), Math.ceil(name.length / SUMMARY_NAME_WIDTH));
  }
  await sheet.end(undefined, content.footer);
}

/**
 * One part of a table as a sheet: header, data rows, then a totals row per total line (SUM
 * or SUMIF formulas over the rows above, stored with their values, outside the autofilter).
 * Each column's format is looked up once; each cell is a few string concatenations.
 */
async function writeTablePart(
  sheet: SheetWriter,
  table: Table,
  rows: Iterator<Cell[]>,
  inPart: number,
  ownTotal: () => Cell[] | undefined,
  styles: StyleSheet,
  at: RowContext,
  footer: string,
): Promise<void> {
  const columns = table.columns;
  const n = columns.length;
  const letters = columns.map((_, k) => columnLetter(k + 1));
  sheet.row(
    columns.map((c) => c.label),
    columns.map((c) => styles.id(NUMERIC_KINDS.has(c.kind) ? HEADER_NUMERIC : HEADER)),
  );
  const amountColumns = columns.flatMap((c, k) => (c.kind === "amount" ? [k] : []));
  const whereColumn = table.totals.map((t) => (t.where ? columns.findIndex((c) => c.name === t.where!.column) : -1));
  // One row of sums per totals line, in cents.
  const sums = table.totals.map(() => columns.map(() => 0));
  const kinds = columns.map((c) => c.kind);
  let open: string[] | undefined; // `<c r="X` per column, and the style attribute after the row number
  let style: string[] = [];
  const spans = ` spans="1:${n}" x14ac:dyDescent="0.25">`;
  const dates = new Map<string, number>();
  for (let i = 0; i < inPart; i++) {
    const next = rows.next();
    if (next.done) break;
    const row = next.value;
    at.row = row;
    at.index++;
    if (!open) {
      open = letters.map((l) => `<c r="${l}`);
      style = columns.map((c) => {
        const id = styles.id(STYLE_FOR[c.kind]);
        return id ? `" s="${id}"` : '"';
      });
    }
    const r = sheet.next();
    let xml = `<row r="${r}"${spans}`;
    for (let k = 0; k < n; k++) {
      const value = row[k];
      const ref = open[k]! + r + style[k]!;
      if (value === undefined || value === "") {
        xml += `${ref}/>`;
        continue;
      }
      switch (kinds[k]) {
        case "amount":
          xml += `${ref}><v>${(value as number) / 100}</v></c>`;
          break;
        case "date": {
          let day = dates.get(value as string);
          if (day === undefined) dates.set(value as string, (day = excelDay(value as string)));
          xml += `${ref}><v>${day}</v></c>`;
          break;
        }
        case "int":
          xml += `${ref}><v>${Number(value)}</v></c>`;
          break;
        case "number": {
          const num = Number(value);
          xml += Number.isFinite(num) ? `${ref}><v>${num}</v></c>` : `${ref} t="str"><v>${xmlText(cellText(String(value)).text)}</v></c>`;
          break;
        }
        case "account": {
          const code = cellString(columns[k]!, value, at);
          xml += NUMERIC_CODE.test(code) ? `${ref}><v>${Number(code)}</v></c>` : `${ref} t="str"><v>${xmlText(code)}</v></c>`;
          break;
        }
        default:
          xml += `${ref} t="str"><v>${typeof value === "string" && isPlain(value) ? value : xmlText(cellString(columns[k]!, value, at))}</v></c>`;
      }
    }
    sheet.raw(`${xml}</row>`);
    for (let t = 0; t < sums.length; t++) {
      const where = table.totals[t]!.where;
      if (where && row[whereColumn[t]!] !== where.equals) continue;
      const sum = sums[t]!;
      for (const k of amountColumns) if (typeof row[k] === "number") sum[k]! += row[k] as number;
    }
    if (sheet.full) await sheet.flush();
  }
  // The table's own total row is data in the CSV; here it becomes formulas.
  const own = ownTotal();
  const last = inPart + 1;
  table.totals.forEach((t, i) => {
    const criteria = t.where ? columnLetter(whereColumn[i]! + 1) : undefined;
    sheet.row(
      columns.map((c, k): Value => {
        if (k === 0) return own?.[0] ?? t.label;
        if (c.kind !== "amount") return null;
        const letter = letters[k]!;
        const formula = criteria ? `SUMIF(${criteria}2:${criteria}${last},"${t.where!.equals}",${letter}2:${letter}${last})` : `SUM(${letter}2:${letter}${last})`;
        return { formula, result: sums[i]![k]! / 100 };
      }),
      columns.map((c) => styles.id(c.kind === "amount" ? TOTAL_AMOUNT : TOTAL_LABEL)),
    );
  });
  await sheet.end(`A1:${letters[n - 1]}${Math.max(1, inPart + 1)}`, footer);
}

/**
 * Writes the workbook: each sheet's XML is built directly from the table rows and handed, in
 * 64 KB batches, to the zip on a worker thread (zip-thread.ts), which deflates and writes it
 * on the second core; past a few megabytes not yet taken the writer waits, so memory stays
 * flat. A table longer than a sheet holds continues on "Name (2)", each part with its own
 * totals rows.
 *
 * The zip is archiver's (the library exceljs used), with every entry dated `created`: the
 * same close gives the same bytes on any day, in any time zone.
 */
export async function writeWorkbook(
  path: string,
  content: WorkbookContent,
  options: { created: Date; maxRowsPerSheet?: number; onWarning?: Warn },
): Promise<void> {
  const warn = options.onWarning ?? (() => {});
  const zip = new ZipThread(path, options.created);
  const styles = new StyleSheet();
  const names: string[] = [];
  const race = <T>(p: Promise<T>) => Promise.race([p, zip.done]);
  const openSheet = (name: string, widths: number[]) => {
    names.push(name);
    return new SheetWriter(zip.entry(`xl/worksheets/sheet${names.length}.xml`), widths);
  };
  try {
    zip.append("xl/theme/theme1.xml", THEME_XML);
    zip.append("_rels/.rels", PACKAGE_RELS_XML);
    await race(writeSummary(openSheet("Summary", [SUMMARY_NAME_WIDTH, 70, 24, 8]), content, styles));
    for (const table of content.tables) {
      const maxData = (options.maxRowsPerSheet ?? EXCEL_MAX_ROWS) - 1 - table.totals.length; // header and totals rows
      const dataRows = table.lastRowIsTotal ? table.rowCount - 1 : table.rowCount;
      const parts = Math.max(1, Math.ceil(dataRows / maxData));
      const rows = table.rows()[Symbol.iterator]();
      const at: RowContext = { table, row: [], index: 0, warn };
      const widths = table.columns.map(widthOf);
      for (let part = 1; part <= parts; part++) {
        const sheet = openSheet(part === 1 ? table.sheet : `${table.sheet} (${part})`, widths);
        const inPart = Math.min(maxData, dataRows - (part - 1) * maxData);
        const ownTotal = () => (table.lastRowIsTotal && part === parts ? rows.next().value : undefined);
        await race(writeTablePart(sheet, table, rows, inPart, ownTotal, styles, at, content.footer));
      }
    }
    zip.append("[Content_Types].xml", contentTypesXml(names.length));
    zip.append("docProps/app.xml", appXml(names));
    zip.append("docProps/core.xml", coreXml("fiber-capex", options.created));
    zip.append("xl/styles.xml", styles.xml());
    zip.append("xl/_rels/workbook.xml.rels", workbookRelsXml(names.length));
    zip.append("xl/workbook.xml", workbookXml(names));
    await zip.finish();
  } catch (err) {
    await zip.abort();
    throw err;
  }
}
