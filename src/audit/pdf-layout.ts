import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type PDFKitModule from "pdfkit";
import { InputError } from "../errors.js";
import { type Cents, formatCents } from "../money.js";
import { LONE_SURROGATE } from "../report/text.js";
import type { AuditReport } from "./model.js";

/**
 * The audit PDF's page layout: its embedded fonts, headings, label/value blocks, tables that
 * break across pages with their header repeated, and the "Page N of M" footers. The sections
 * (pdf.ts, pdf-sample.ts) say what is printed; this says how.
 */

const require = createRequire(import.meta.url);
// pdfkit is loaded when a PDF is made, not whenever capex starts (0.2 s); it stays outside
// the CLI's bundle because it reads its own data files from its folder.
const pdfKit = (): typeof PDFKitModule => require("pdfkit") as typeof PDFKitModule;
const FONT_FILES = {
  regular: "dejavu-fonts-ttf/ttf/DejaVuSans.ttf",
  bold: "dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf",
  mono: "dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf",
} as const;
export type FontName = keyof typeof FONT_FILES;
let fontData: Record<FontName, Buffer> | undefined;
function fonts(): Record<FontName, Buffer> {
  fontData ??= {
    regular: readFileSync(require.resolve(FONT_FILES.regular)),
    bold: readFileSync(require.resolve(FONT_FILES.bold)),
    mono: readFileSync(require.resolve(FONT_FILES.mono)),
  };
  return fontData;
}

export const MARGIN = { top: 42, bottom: 42, left: 40, right: 40 };
export const BODY = 8.5;
export const SMALL = 7.5;
export const ROW = 11;
/** The smallest size a table cell shrinks to on one line before it wraps instead. */
export const MIN_CELL = 6;

export const SECTION_TITLES = [
  "Scope and inputs",
  "Rollforward by class and its ties",
  "Identities and journals by source",
  "Additions",
  "Adjustments after close",
  "Retirements",
  "Open exceptions",
  "Cut-off",
  "Depreciation reasonableness",
  "Rollforward chart",
  "The sample",
] as const;

/** "1,234,567.89", "-0.05": the report's amounts, grouped and to two decimals. */
export function formatAmount(cents: Cents): string {
  const plain = formatCents(cents);
  const negative = plain.startsWith("-");
  const [whole = "", frac = ""] = (negative ? plain.slice(1) : plain).split(".");
  return `${negative ? "-" : ""}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${frac}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const CONTROL = /[\u0000-\u001f\u007f]/g;
/** Render's free text can hold anything pasted: control characters and broken surrogate halves print as nothing a reader can use. */
export function clean(text: string | undefined): string {
  if (text === undefined) return "";
  return text.replace(CONTROL, " ").replace(LONE_SURROGATE, "\ufffd");
}

/** "2026-10-31T23:30:00Z" reads "2026-10-31 23:30:00 UTC". */
export function utcText(iso: string | undefined, suffix = " UTC"): string {
  if (iso === undefined) return "not recorded";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]}${suffix}` : iso;
}

/** "2026-10-31T18:30:00-05:00" reads "2026-10-31 18:30:00 (UTC-05:00)": the wall-clock time first, its offset after. */
export function localText(iso: string | undefined, compact = false): string {
  if (iso === undefined) return "not recorded";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?([+-]\d{2}:\d{2}|Z)$/.exec(iso);
  if (!m) return iso;
  const offset = m[3] === "Z" ? "+00:00" : m[3];
  return compact ? `${m[1]} ${m[2]} ${offset}` : `${m[1]} ${m[2]} (UTC${offset})`;
}

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

export interface Column {
  header: string;
  /** Share of the page width. */
  weight: number;
  align?: "left" | "right";
  font?: FontName;
  /**
   * Wrapped over several lines (free text). Other cells are never cut either: a cell too wide
   * for its column is printed a little smaller on one line, down to MIN_CELL, else wrapped.
   */
  wrap?: boolean;
}

/** One table cell as it will be drawn: its font size, whether it wraps, and its height. */
interface Cell {
  text: string;
  font: FontName;
  size: number;
  wrap: boolean;
  height: number;
}

interface Heading {
  title: string;
  page: number;
}

/** The report's pages: pdfkit plus the layout every section shares. */
export class Layout {
  readonly doc: PDFKit.PDFDocument;
  readonly width: number;
  readonly sections: Heading[] = [];
  currentOutline: PDFKit.PDFOutline | undefined;
  private fontName: FontName = "regular";
  private fontSize = BODY;
  /** A subheading not drawn yet: it is drawn with what follows it, on the same page (see need). */
  private pendingHeading: string | undefined;

  constructor(
    readonly report: AuditReport,
    readonly listLimit: number,
  ) {
    const generated = new Date(report.scope.generatedAt);
    if (Number.isNaN(generated.getTime())) {
      throw new InputError("scope.generatedAt", `"${report.scope.generatedAt}" is not an instant; the audit report dates its PDF from it`);
    }
    const title = `Fixed-asset audit report ${report.period}${report.scope.company ? ` — ${clean(report.scope.company)}` : ""}`;
    const PDFDocument = pdfKit();
    this.doc = new PDFDocument({
      size: "A4",
      layout: "landscape",
      margins: MARGIN,
      bufferPages: true,
      autoFirstPage: false,
      compress: true,
      pdfVersion: "1.7",
      displayTitle: true,
      lang: "en",
      // pdfkit opens its default font before any can be registered: give it ours, not Helvetica.
      font: require.resolve(FONT_FILES.regular),
      info: {
        Title: title,
        Subject: `Audit report of the fixed-asset close of ${report.period}`,
        Creator: `fiber-capex ${report.scope.toolVersionNow}`,
        Producer: `fiber-capex ${report.scope.toolVersionNow} (PDFKit)`,
        CreationDate: generated,
        ModDate: generated,
      },
    });
    const f = fonts();
    this.doc.registerFont("regular", f.regular);
    this.doc.registerFont("bold", f.bold);
    this.doc.registerFont("mono", f.mono);
    this.width = 841.89 - MARGIN.left - MARGIN.right;
  }

  get left(): number {
    return MARGIN.left;
  }
  get bottom(): number {
    return this.doc.page.height - MARGIN.bottom;
  }

  font(name: FontName, size: number): this {
    if (name !== this.fontName || size !== this.fontSize) {
      this.doc.font(name).fontSize(size);
      this.fontName = name;
      this.fontSize = size;
    }
    return this;
  }

  addPage(): void {
    // A heading nothing followed stays where it was asked for, at the end of this page.
    this.flushHeading();
    this.doc.addPage();
    // pdfkit resets nothing on a new page, but be explicit: a page starts in the body font.
    this.fontName = "regular";
    this.fontSize = BODY;
    this.doc.font("regular").fontSize(BODY).fillColor("#000000");
    this.doc.x = MARGIN.left;
    this.doc.y = MARGIN.top;
  }

  /**
   * Moves to a new page when fewer than `height` points are left on this one. Every block
   * (paragraph, facts, table, chart) asks this before it draws; a subheading waiting to be
   * drawn asks for its own height on top, so a heading never ends a page apart from its content.
   */
  need(height: number): void {
    const heading = this.pendingHeading;
    this.pendingHeading = undefined;
    const headingHeight = heading === undefined ? 0 : this.headingHeight(heading);
    if (this.doc.y + headingHeight + height > this.bottom) this.addPage();
    if (heading !== undefined) this.drawHeading(heading);
  }

  private headingHeight(text: string): number {
    this.font("regular", BODY);
    const before = 0.5 * this.doc.currentLineHeight(true);
    this.font("bold", 10);
    const height = before + this.doc.heightOfString(text, { width: this.width }) + 0.2 * this.doc.currentLineHeight(true);
    this.font("regular", BODY);
    return height;
  }

  private drawHeading(text: string): void {
    this.font("regular", BODY);
    this.doc.moveDown(0.5);
    this.font("bold", 10);
    this.doc.text(text, MARGIN.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.2);
    this.font("regular", BODY);
  }

  /** Draws a subheading still waiting for its block: call when no more content follows. */
  flushHeading(): void {
    const heading = this.pendingHeading;
    this.pendingHeading = undefined;
    if (heading !== undefined) this.drawHeading(heading);
  }

  section(n: number, title: string): void {
    this.addPage();
    this.sections.push({ title: `${n} ${title}`, page: this.doc.bufferedPageRange().count });
    this.doc.addNamedDestination(`section-${n}`);
    this.currentOutline = this.doc.outline.addItem(`${n} ${title}`);
    this.font("bold", 14);
    this.doc.text(`${n} ${title}`, MARGIN.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.4);
    this.font("regular", BODY);
  }

  /** A heading over the next block: drawn when that block asks for its room (need), on the page the block starts on. */
  subheading(text: string): void {
    this.flushHeading();
    this.pendingHeading = text;
  }

  paragraph(text: string, size = BODY): void {
    this.font("regular", size);
    this.need(this.doc.heightOfString(text, { width: this.width }) + 2);
    this.doc.text(text, MARGIN.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.6);
  }

  /** Label: value pairs, the value in `font` (hashes in mono, printed in full). */
  facts(rows: ReadonlyArray<readonly [string, string, FontName?]>): void {
    const labelWidth = 170;
    for (const [label, value, font] of rows) {
      this.font(font ?? "regular", font === "mono" ? SMALL : BODY);
      const height = Math.max(ROW, this.doc.heightOfString(value || " ", { width: this.width - labelWidth }));
      this.need(height);
      const y = this.doc.y;
      this.font("bold", BODY);
      this.doc.text(label, MARGIN.left, y, { lineBreak: false });
      this.font(font ?? "regular", font === "mono" ? SMALL : BODY);
      this.doc.text(value, MARGIN.left + labelWidth, y, { width: this.width - labelWidth });
      this.doc.y = y + height + 1;
    }
    this.doc.moveDown(0.3);
  }

  /**
   * How a cell is drawn: on one line in the table's size when it fits; else on one line a little
   * smaller, down to MIN_CELL; else wrapped. Nothing is cut: an asset id or a class printed
   * with an ellipsis can no longer be found in the register.
   */
  private cell(column: Column, raw: string | undefined, width: number, bold: boolean): Cell {
    const text = clean(raw);
    const font: FontName = bold ? "bold" : (column.font ?? "regular");
    this.font(font, SMALL);
    const wrapped = (): Cell => ({ text, font, size: SMALL, wrap: true, height: this.doc.heightOfString(text || " ", { width }) + 2 });
    if (column.wrap) return wrapped();
    const full = this.doc.widthOfString(text);
    if (full <= width) return { text, font, size: SMALL, wrap: false, height: ROW };
    const size = Math.floor(((SMALL * width) / full) * 10) / 10;
    if (size >= MIN_CELL) {
      this.font(font, size);
      const fits = this.doc.widthOfString(text) <= width;
      this.font(font, SMALL);
      if (fits) return { text, font, size, wrap: false, height: ROW };
    }
    return wrapped();
  }

  /**
   * A table that breaks across pages, its header repeated on each, and that starts on a page
   * with room for its header and first row. Cells are one line unless their column wraps or
   * they are too long for it (see cell); amounts are right-aligned.
   */
  table(columns: readonly Column[], rows: Iterable<readonly string[]>, options: { total?: readonly string[]; caption?: string; width?: number } = {}): void {
    const tableWidth = (options.width ?? 1) * this.width;
    const totalWeight = columns.reduce((s, c) => s + c.weight, 0);
    const widths = columns.map((c) => (c.weight / totalWeight) * tableWidth);
    const pad = 3;
    const headerHeight = () => {
      this.font("bold", SMALL);
      return Math.max(ROW, ...columns.map((c, i) => this.doc.heightOfString(c.header, { width: widths[i]! - 2 * pad }))) + 3;
    };
    const header = () => {
      const h = headerHeight();
      const y = this.doc.y;
      this.doc.rect(MARGIN.left, y, tableWidth, h).fillColor("#e4e8ee").fill().fillColor("#000000");
      let x = MARGIN.left;
      columns.forEach((c, i) => {
        const w = widths[i]! - 2 * pad;
        this.doc.text(c.header, x + pad, y + 2, { width: w, align: c.align ?? "left" });
        x += widths[i]!;
      });
      this.doc.y = y + h;
    };
    const layout = (cells: readonly string[], bold: boolean) => {
      const laid = columns.map((c, i) => this.cell(c, cells[i], widths[i]! - 2 * pad, bold));
      return { laid, height: Math.max(ROW, ...laid.map((c) => c.height)) };
    };
    const line = (cells: readonly string[], bold: boolean, shade: boolean) => {
      const { laid, height } = layout(cells, bold);
      if (this.doc.y + height > this.bottom) {
        this.addPage();
        if (options.caption) {
          this.font("regular", SMALL);
          const y = this.doc.y;
          // A one-line text call leaves y where it was: move down past the caption ourselves.
          this.doc.fillColor("#555555").text(`${options.caption} (continued)`, MARGIN.left, y, { lineBreak: false }).fillColor("#000000");
          this.doc.y = y + ROW;
        }
        header();
      }
      const y = this.doc.y;
      if (shade) this.doc.rect(MARGIN.left, y, tableWidth, height).fillColor("#f5f6f8").fill().fillColor("#000000");
      if (bold) this.doc.moveTo(MARGIN.left, y).lineTo(MARGIN.left + tableWidth, y).lineWidth(0.6).strokeColor("#000000").stroke();
      let x = MARGIN.left;
      columns.forEach((c, i) => {
        const w = widths[i]! - 2 * pad;
        const cell = laid[i]!;
        this.font(cell.font, cell.size);
        if (cell.wrap) {
          this.doc.text(cell.text, x + pad, y + 2, { width: w, align: c.align ?? "left" });
        } else {
          const tx = c.align === "right" ? x + pad + w - this.doc.widthOfString(cell.text) : x + pad;
          // A smaller cell sits on the row's baseline, not above it.
          this.doc.text(cell.text, tx, y + 2 + (SMALL - cell.size) * 0.9, { lineBreak: false });
        }
        x += widths[i]!;
      });
      this.doc.y = y + height;
    };
    const list = [...rows];
    const first = list[0] ?? columns.map((_, i) => (i === 0 ? "None." : ""));
    this.need(Math.max(3 * ROW + 6, headerHeight() + layout(first, false).height));
    header();
    let n = 0;
    for (const r of list) line(r, false, n++ % 2 === 1);
    if (n === 0) line(first, false, false);
    if (options.total) line(options.total, true, false);
    this.doc.moveDown(0.6);
    this.font("regular", BODY);
  }

  /** Draws the page footers ("Page N of M") once every page exists. */
  footers(): void {
    const range = this.doc.bufferedPageRange();
    const label = `Fixed-asset audit report ${this.report.period}${this.report.scope.company ? ` · ${clean(this.report.scope.company)}` : ""} · generated ${this.report.scope.generatedAt}`;
    for (let i = range.start; i < range.start + range.count; i++) {
      this.doc.switchToPage(i);
      this.doc.font("regular").fontSize(7).fillColor("#555555");
      const y = this.doc.page.height - MARGIN.bottom + 16;
      this.doc.text(label, MARGIN.left, y, { lineBreak: false });
      const page = `Page ${i + 1} of ${range.count}`;
      this.doc.text(page, MARGIN.left + this.width - this.doc.widthOfString(page), y, { lineBreak: false });
      this.doc.fillColor("#000000");
    }
  }
}

