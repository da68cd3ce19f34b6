import ExcelJS from "exceljs";
import type { Identity } from "../close/identities.js";
import type { Cell, Column, Table } from "./tables.js";

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

function excelValue(column: Column, value: Cell): ExcelJS.CellValue {
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
      return Number.isFinite(n) ? n : String(value);
    }
    default:
      return String(value);
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
 */
const STYLE_FOR: Record<Column["kind"], Partial<ExcelJS.Style>> = {
  amount: { numFmt: ACCOUNTING_FORMAT },
  date: { numFmt: DATE_FORMAT },
  int: {},
  number: {},
  text: {},
  code: {},
};
const BOLD: Partial<ExcelJS.Style> = { font: { bold: true } };
const BOLD_AMOUNT: Partial<ExcelJS.Style> = { font: { bold: true }, numFmt: ACCOUNTING_FORMAT };

function styleRow(row: ExcelJS.Row, styles: Array<Partial<ExcelJS.Style>>): void {
  for (let k = 0; k < styles.length; k++) row.getCell(k + 1).style = styles[k]!;
}

/**
 * Writes the workbook with exceljs's streaming writer: rows are committed as they are made
 * and the event loop gets a turn every thousand rows, so memory stays flat. A table longer
 * than a sheet holds continues on "Name (2)", each part with its own totals row.
 */
export async function writeWorkbook(path: string, content: WorkbookContent, options: { created: Date; maxRowsPerSheet?: number }): Promise<void> {
  // archiver writes entry times as UTC fields, so one instant gives the same bytes in every zone.
  const zipDate = options.created;
  const wb = constructAt(zipDate, () => new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useStyles: true, useSharedStrings: false }));
  // archiver stamps each zip entry with the time it is added, which would make two runs of the
  // same close differ in their bytes. exceljs adds the later entries through zip.append, so
  // each gets the workbook's own date; the file is then reproducible byte for byte.
  const zip = (wb as unknown as { zip?: { append: (source: unknown, data: Record<string, unknown>) => unknown } }).zip;
  if (zip) {
    const append = zip.append.bind(zip);
    zip.append = (source, data) => append(source, { ...data, date: zipDate });
  }
  wb.creator = "fiber-capex";
  wb.created = options.created;
  wb.modified = options.created;
  const maxData = (options.maxRowsPerSheet ?? EXCEL_MAX_ROWS) - 2; // header and totals rows

  const summary = wb.addWorksheet("Summary", { views: [{ state: "frozen", ySplit: 1 }] });
  summary.columns = [{ width: 70 }, { width: 70 }, { width: 24 }, { width: 8 }];
  const head = summary.addRow([content.title]);
  head.font = { bold: true, size: 14 };
  head.commit();
  for (const line of content.summary) {
    const row = summary.addRow([line.label, line.value]);
    if (line.kind === "amount") row.getCell(2).numFmt = ACCOUNTING_FORMAT;
    if (line.kind === "date") row.getCell(2).numFmt = DATE_FORMAT;
    row.commit();
  }
  summary.addRow([]).commit();
  const ih = summary.addRow(["Identity", "Left side", "Right side", "Holds"]);
  ih.font = { bold: true };
  ih.commit();
  for (const i of content.identities) summary.addRow([i.name, i.left, i.right, i.holds ? "yes" : "NO"]).commit();
  summary.commit();

  for (const table of content.tables) {
    const parts = Math.max(1, Math.ceil(table.rowCount / maxData));
    const rows = table.rows()[Symbol.iterator]();
    for (let part = 1; part <= parts; part++) {
      const name = part === 1 ? table.sheet : `${table.sheet} (${part})`;
      const inPart = Math.min(maxData, table.rowCount - (part - 1) * maxData);
      const ws = wb.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] });
      ws.columns = table.columns.map((c) => ({ width: c.width ?? (c.kind === "amount" ? 16 : c.kind === "date" ? 12 : Math.max(10, c.name.length + 2)) }));
      const styles = table.columns.map((c) => STYLE_FOR[c.kind]);
      ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: Math.max(1, inPart + 1), column: table.columns.length } };
      const header = ws.addRow(table.columns.map((c) => c.name));
      styleRow(header, table.columns.map(() => BOLD));
      header.commit();
      const sums = table.columns.map(() => 0);
      for (let i = 0; i < inPart; i++) {
        const next = rows.next();
        if (next.done) break;
        const values = table.columns.map((c, k) => {
          if (c.kind === "amount" && typeof next.value[k] === "number") sums[k]! += next.value[k] as number;
          return excelValue(c, next.value[k]);
        });
        const row = ws.addRow(values);
        styleRow(row, styles);
        row.commit();
        if (i % 1000 === 999) await waitForDrain(ws, wb);
      }
      if (table.totals) {
        const last = inPart + 1;
        const totals = ws.addRow(
          table.columns.map((c, k) => {
            if (k === 0) return "Total";
            if (c.kind !== "amount") return null;
            const letter = columnLetter(k + 1);
            return { formula: `SUM(${letter}2:${letter}${last})`, result: sums[k]! / 100 };
          }),
        );
        styleRow(totals, table.columns.map((c) => (c.kind === "amount" ? BOLD_AMOUNT : BOLD)));
        totals.commit();
      }
      ws.commit();
    }
  }
  await wb.commit();
}
