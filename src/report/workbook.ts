import ExcelJS from "exceljs";
import type { Identity } from "../close/identities.js";
import { cellString, type RowContext, type Warn } from "./cells.js";
import type { Cell, Column, Table } from "./tables.js";
import { cellText } from "./text.js";

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

/**
 * Runs a synchronous constructor with `new Date()` fixed at `at`. exceljs's workbook writer
 * adds its theme and relationships to the zip inside its constructor, where archiver dates
 * them with a bare `new Date()`. Nothing else can run during a synchronous call, and the real
 * Date is restored before it returns.
 */
function constructAt<T>(at: Date, make: () => T): T {
  const RealDate = globalThis.Date;
  const fixed = at.getTime();
  class FixedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(fixed);
      else super(...(args as [number]));
    }
    static override now(): number {
      return fixed;
    }
  }
  globalThis.Date = FixedDate as DateConstructor;
  try {
    return make();
  } finally {
    globalThis.Date = RealDate;
  }
}

export function columnLetter(n: number): string {
  let s = "";
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/** A numeric account code is written as a number, so Excel does not flag "number stored as text"; a leading zero keeps it text. */
const NUMERIC_CODE = /^[1-9]\d{0,14}$/;

function excelValue(column: Column, value: Cell, at: RowContext): ExcelJS.CellValue {
  if (value === undefined || value === "") return null;
  switch (column.kind) {
    case "amount":
      return (value as number) / 100;
    case "date":
      return new Date(`${value}T00:00:00Z`);
    case "int":
      return Number(value);
    case "number": {
      const n = Number(value);
      return Number.isFinite(n) ? n : cellText(String(value)).text;
    }
    case "account": {
      const code = cellString(column, value, at);
      return NUMERIC_CODE.test(code) ? Number(code) : code;
    }
    case "text":
    case "code":
      return cellString(column, value, at);
  }
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

type Drainable = { writableNeedDrain?: boolean; _writableState?: { needDrain?: boolean }; once(event: "drain", fn: () => void): unknown };

/**
 * Backpressure exceljs does not apply: its sheet buffer writes into the zip entry without
 * heeding write()'s return, so on a big sheet megabytes of XML queue up waiting for deflate
 * (a gigabyte at a million rows). Waiting for the entry and the file to drain keeps memory
 * flat. exceljs keeps these streams internal (sheet `stream.pipes`, workbook `stream`), and
 * archiver's pipe is a readable-stream PassThrough without the modern `writableNeedDrain`
 * getter, hence `_writableState`. If a version renames them this finds nothing and only the
 * event-loop yield remains.
 */
async function waitForDrain(ws: unknown, wb: unknown): Promise<void> {
  const pipes = ((ws as { stream?: { pipes?: unknown[] } }).stream?.pipes ?? []) as Drainable[];
  const file = (wb as { stream?: Drainable }).stream;
  for (const d of [...pipes, file]) {
    if (d && (d.writableNeedDrain ?? d._writableState?.needDrain)) await new Promise<void>((resolve) => d.once("drain", () => resolve()));
  }
  await yieldToLoop();
}

/**
 * Shared style objects: exceljs caches a style's id by object identity, so giving every
 * cell one of these (rather than a column style, which it copies into each cell) turns its
 * per-cell style serialisation into a lookup. Three times faster on big sheets.
 *
 * Every font is whole (name, size, family): a font with only `bold` set leaves the name to
 * the viewer, and LibreOffice fills it with a serif.
 */
const FONT = { name: "Calibri", family: 2, size: 11 };
const BOLD_FONT = { ...FONT, bold: true };
const TOP_BORDER: Partial<ExcelJS.Borders> = { top: { style: "thin" } };
// Right-aligned numbers and dates keep a space from the text after them (the accounting format has its own).
const RIGHT = { horizontal: "right", indent: 1 } as const;
const STYLE_FOR: Record<Column["kind"], Partial<ExcelJS.Style>> = {
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
const HEADER: Partial<ExcelJS.Style> = { font: BOLD_FONT, alignment: { vertical: "bottom", wrapText: true } };
const HEADER_NUMERIC: Partial<ExcelJS.Style> = { font: BOLD_FONT, alignment: { vertical: "bottom", wrapText: true, ...RIGHT } };
const TOTAL_LABEL: Partial<ExcelJS.Style> = { font: BOLD_FONT, border: TOP_BORDER };
const TOTAL_AMOUNT: Partial<ExcelJS.Style> = { font: BOLD_FONT, border: TOP_BORDER, numFmt: ACCOUNTING_FORMAT };
const BOLD: Partial<ExcelJS.Style> = { font: BOLD_FONT };
const TITLE: Partial<ExcelJS.Style> = { font: { ...BOLD_FONT, size: 14 } };
const PLAIN: Partial<ExcelJS.Style> = { font: FONT };
const AMOUNT: Partial<ExcelJS.Style> = { font: FONT, numFmt: ACCOUNTING_FORMAT };
const COUNT: Partial<ExcelJS.Style> = { font: FONT, numFmt: "#,##0" };
const DATE: Partial<ExcelJS.Style> = { font: FONT, numFmt: DATE_FORMAT };

/**
 * A printed copy: landscape, one page wide however long, the header row on every page, and a
 * footer naming the sheet, the close and the page. `&` starts a code in a footer, so a
 * literal one is doubled.
 */
function printSetup(footer: string): Pick<Partial<ExcelJS.AddWorksheetOptions>, "pageSetup" | "headerFooter"> {
  return {
    pageSetup: { orientation: "landscape", fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: "1:1" },
    headerFooter: { oddFooter: `&L&A&C${footer.replaceAll("&", "&&")}&RPage &P of &N` },
  };
}

/**
 * exceljs writes a font's children in its own order (color, family, scheme, sz, name); the
 * schema's sequence is the one below, and Excel's validator refuses any other.
 */
const FONT_CHILD_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color", "name", "family", "charset", "scheme"];

export function fontsInSchemaOrder(stylesXml: string): string {
  return stylesXml.replace(/<font>(.*?)<\/font>/g, (_, inner: string) => {
    const children = inner.match(/<[A-Za-z]+[^>]*\/>/g) ?? [];
    const rank = (child: string) => FONT_CHILD_ORDER.indexOf(/^<([A-Za-z]+)/.exec(child)![1]!);
    return `<font>${[...children].sort((x, y) => rank(x) - rank(y)).join("")}</font>`;
  });
}

/** Width for a column: its own, or one by kind, never narrower than its header's longest word (plus the filter button). */
function widthOf(c: Column): number {
  const longestWord = Math.max(...c.label.split(" ").map((w) => w.length));
  return Math.max(c.width ?? (c.kind === "amount" ? 16 : c.kind === "date" ? 12 : 10), longestWord + 3);
}

function styleRow(row: ExcelJS.Row, styles: Array<Partial<ExcelJS.Style>>): void {
  for (let k = 0; k < styles.length; k++) row.getCell(k + 1).style = styles[k]!;
}

/** An identity's side as the manifest writes it ("4669.87", "3") as a number, with its format. */
function identitySide(side: string): { value: ExcelJS.CellValue; style: Partial<ExcelJS.Style> } {
  if (/^-?\d+\.\d+$/.test(side)) return { value: Number(side), style: AMOUNT };
  if (/^-?\d+$/.test(side)) return { value: Number(side), style: COUNT };
  return { value: cellText(side).text, style: PLAIN };
}

function writeSummary(wb: ExcelJS.stream.xlsx.WorkbookWriter, content: WorkbookContent): void {
  const summary = wb.addWorksheet("Summary", { views: [{ state: "frozen", ySplit: 1 }], ...printSetup(content.footer) });
  summary.columns = [{ width: 70 }, { width: 70 }, { width: 24 }, { width: 8 }];
  const head = summary.addRow([content.title]);
  styleRow(head, [TITLE]);
  head.commit();
  for (const line of content.summary) {
    const value = typeof line.value === "string" ? cellText(line.value).text : line.value;
    const row = summary.addRow([line.label, value]);
    styleRow(row, [PLAIN, line.kind === "amount" ? AMOUNT : line.kind === "date" ? DATE : PLAIN]);
    row.commit();
  }
  summary.addRow([]).commit();
  const ih = summary.addRow(["Identity", "Left side", "Right side", "Holds"]);
  styleRow(ih, [HEADER, HEADER_NUMERIC, HEADER_NUMERIC, HEADER]);
  ih.commit();
  for (const i of content.identities) {
    const left = identitySide(i.left);
    const right = identitySide(i.right);
    const flag = i.holds ? "yes" : "NO";
    const row = summary.addRow([cellText(i.name).text, left.value, right.value, flag]);
    // Live: the flag follows the two sides if anyone changes them.
    const r = row.number;
    if (typeof left.value === "number" && typeof right.value === "number") row.getCell(4).value = { formula: `IF(ROUND(B${r}-C${r},2)=0,"yes","NO")`, result: flag };
    styleRow(row, [PLAIN, left.style, right.style, i.holds ? PLAIN : BOLD]);
    row.commit();
  }
  summary.commit();
}

/**
 * Writes the workbook with exceljs's streaming writer: rows are committed as they are made
 * and the event loop gets a turn every thousand rows, so memory stays flat. A table longer
 * than a sheet holds continues on "Name (2)", each part with its own totals rows.
 */
export async function writeWorkbook(
  path: string,
  content: WorkbookContent,
  options: { created: Date; maxRowsPerSheet?: number; onWarning?: Warn },
): Promise<void> {
  // archiver writes entry times as UTC fields, so one instant gives the same bytes in every zone.
  const zipDate = options.created;
  const wb = constructAt(zipDate, () => new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useStyles: true, useSharedStrings: false }));
  // archiver stamps each zip entry with the time it is added, which would make two runs of the
  // same close differ in their bytes. exceljs adds the later entries through zip.append, so
  // each gets the workbook's own date; the file is then reproducible byte for byte. The
  // styles part passes here too, and has its fonts put in schema order.
  const zip = (wb as unknown as { zip?: { append: (source: unknown, data: Record<string, unknown>) => unknown } }).zip;
  if (zip) {
    const append = zip.append.bind(zip);
    zip.append = (source, data) => append(data.name === "xl/styles.xml" && typeof source === "string" ? fontsInSchemaOrder(source) : source, { ...data, date: zipDate });
  }
  wb.creator = "fiber-capex";
  wb.created = options.created;
  wb.modified = options.created;
  const warn = options.onWarning ?? (() => {});

  writeSummary(wb, content);

  for (const table of content.tables) {
    const maxData = (options.maxRowsPerSheet ?? EXCEL_MAX_ROWS) - 1 - table.totals.length; // header and totals rows
    const dataRows = table.lastRowIsTotal ? table.rowCount - 1 : table.rowCount;
    const parts = Math.max(1, Math.ceil(dataRows / maxData));
    const rows = table.rows()[Symbol.iterator]();
    const at: RowContext = { table, row: [], index: 0, warn };
    const styles = table.columns.map((c) => STYLE_FOR[c.kind]);
    const whereColumn = table.totals.map((t) => (t.where ? table.columns.findIndex((c) => c.name === t.where!.column) : -1));
    for (let part = 1; part <= parts; part++) {
      const name = part === 1 ? table.sheet : `${table.sheet} (${part})`;
      const inPart = Math.min(maxData, dataRows - (part - 1) * maxData);
      const ws = wb.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }], ...printSetup(content.footer) });
      ws.columns = table.columns.map((c) => ({ width: widthOf(c) }));
      ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: Math.max(1, inPart + 1), column: table.columns.length } };
      const header = ws.addRow(table.columns.map((c) => c.label));
      styleRow(header, table.columns.map((c) => (NUMERIC_KINDS.has(c.kind) ? HEADER_NUMERIC : HEADER)));
      header.commit();
      // One row of sums per totals line, in cents.
      const sums = table.totals.map(() => table.columns.map(() => 0));
      for (let i = 0; i < inPart; i++) {
        const next = rows.next();
        if (next.done) break;
        at.row = next.value;
        at.index++;
        const values = table.columns.map((c, k) => excelValue(c, next.value[k], at));
        table.totals.forEach((t, n) => {
          if (t.where && next.value[whereColumn[n]!] !== t.where.equals) return;
          table.columns.forEach((c, k) => {
            if (c.kind === "amount" && typeof next.value[k] === "number") sums[n]![k]! += next.value[k] as number;
          });
        });
        const row = ws.addRow(values);
        styleRow(row, styles);
        row.commit();
        if (i % 1000 === 999) await waitForDrain(ws, wb);
      }
      // The table's own total row is data in the CSV; here it becomes formulas.
      const ownTotal = table.lastRowIsTotal && part === parts ? rows.next().value : undefined;
      const last = inPart + 1;
      table.totals.forEach((t, n) => {
        const criteria = t.where ? columnLetter(whereColumn[n]! + 1) : undefined;
        const totals = ws.addRow(
          table.columns.map((c, k) => {
            if (k === 0) return ownTotal?.[0] ?? t.label;
            if (c.kind !== "amount") return null;
            const letter = columnLetter(k + 1);
            const formula = criteria
              ? `SUMIF(${criteria}2:${criteria}${last},"${t.where!.equals}",${letter}2:${letter}${last})`
              : `SUM(${letter}2:${letter}${last})`;
            return { formula, result: sums[n]![k]! / 100 };
          }),
        );
        styleRow(totals, table.columns.map((c) => (c.kind === "amount" ? TOTAL_AMOUNT : TOTAL_LABEL)));
        totals.commit();
      });
      ws.commit();
    }
  }
  await wb.commit();
}
