import { xmlText } from "./xml.js";

/**
 * The workbook's cell formats (styles.xml). A sheet cell names its format by index (`s="4"`),
 * so each format used is registered once and its index reused for every cell of a column.
 *
 * Indexes are given in the order formats are first used, fonts, number formats and borders
 * deduplicated, exactly as exceljs did when it wrote the workbook: the same close gives the
 * same bytes as before fiber-capex wrote its own XML.
 */
export interface Font {
  bold?: boolean;
  size: number;
}

export interface Alignment {
  horizontal?: "left" | "right";
  vertical?: "bottom";
  wrapText?: boolean;
  indent?: number;
}

export interface CellStyle {
  font: Font;
  numFmt?: string;
  /** A thin line above the cell (totals rows). */
  topBorder?: boolean;
  alignment?: Alignment;
}

/** Formats Excel knows by number: they are referred to, never declared. */
const BUILT_IN_FORMATS: Record<string, number> = { General: 0, "#,##0": 3 };
/** The first number a workbook's own formats may take. */
const FIRST_CUSTOM_FORMAT = 164;

// Children in the schema's sequence (b, sz, color, name, family, scheme): Excel's validator
// refuses any other. Every font is whole (name, size, family): a font with only `bold` set
// leaves the name to the viewer, and LibreOffice fills it with a serif.
const DEFAULT_FONT = '<font><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>';
const fontXml = (f: Font) => `<font>${f.bold ? "<b/>" : ""}<sz val="${f.size}"/><name val="Calibri"/><family val="2"/></font>`;
const NO_BORDER = "<border><left/><right/><top/><bottom/><diagonal/></border>";
const TOP_BORDER = '<border><left/><right/><top style="thin"/><bottom/><diagonal/></border>';

function alignmentXml(a: Alignment): string {
  let attrs = "";
  if (a.horizontal) attrs += ` horizontal="${a.horizontal}"`;
  if (a.vertical) attrs += ` vertical="${a.vertical}"`;
  if (a.wrapText) attrs += ' wrapText="1"';
  if (a.indent) attrs += ` indent="${a.indent}"`;
  return `<alignment${attrs}/>`;
}

/** An indexed list of distinct XML fragments. */
class Distinct {
  readonly items: string[] = [];
  private readonly index = new Map<string, number>();
  constructor(first?: string) {
    if (first !== undefined) this.add(first);
  }
  add(xml: string): number {
    let i = this.index.get(xml);
    if (i === undefined) {
      i = this.items.length;
      this.items.push(xml);
      this.index.set(xml, i);
    }
    return i;
  }
}

export class StyleSheet {
  private readonly ids = new Map<CellStyle, number>();
  private readonly formats: string[] = [];
  private readonly fonts = new Distinct(DEFAULT_FONT);
  private readonly borders = new Distinct(NO_BORDER);
  private readonly xfs = new Distinct('<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>');

  /** The index of a format, registering it when first used. */
  id(style: CellStyle): number {
    const known = this.ids.get(style);
    if (known !== undefined) return known;
    const numFmtId = style.numFmt === undefined ? 0 : this.formatId(style.numFmt);
    const fontId = this.fonts.add(fontXml(style.font));
    const borderId = style.topBorder ? this.borders.add(TOP_BORDER) : 0;
    let xf = `<xf numFmtId="${numFmtId}" fontId="${fontId}" fillId="0" borderId="${borderId}" xfId="0"`;
    if (numFmtId) xf += ' applyNumberFormat="1"';
    if (fontId) xf += ' applyFont="1"';
    if (borderId) xf += ' applyBorder="1"';
    xf += style.alignment ? ` applyAlignment="1">${alignmentXml(style.alignment)}</xf>` : "/>";
    const id = this.xfs.add(xf);
    this.ids.set(style, id);
    return id;
  }

  private formatId(code: string): number {
    const builtIn = BUILT_IN_FORMATS[code];
    if (builtIn !== undefined) return builtIn;
    const i = this.formats.indexOf(code);
    if (i >= 0) return FIRST_CUSTOM_FORMAT + i;
    this.formats.push(code);
    return FIRST_CUSTOM_FORMAT + this.formats.length - 1;
  }

  /** styles.xml, with every format registered so far. */
  xml(): string {
    const formats = this.formats.length
      ? `<numFmts count="${this.formats.length}">${this.formats.map((code, i) => `<numFmt numFmtId="${FIRST_CUSTOM_FORMAT + i}" formatCode="${xmlText(code)}"/>`).join("")}</numFmts>`
      : "";
    return (
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac x16r2" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" xmlns:x16r2="http://schemas.microsoft.com/office/spreadsheetml/2015/02/main">' +
      formats +
      `<fonts count="${this.fonts.items.length}" x14ac:knownFonts="1">${this.fonts.items.join("")}</fonts>` +
      '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
      `<borders count="${this.borders.items.length}">${this.borders.items.join("")}</borders>` +
      '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
      `<cellXfs count="${this.xfs.items.length}">${this.xfs.items.join("")}</cellXfs>` +
      '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="0"/>' +
      '<tableStyles count="0" defaultTableStyle="TableStyleMedium2" defaultPivotStyle="PivotStyleLight16"/>' +
      '<extLst><ext uri="{EB79DEF2-80B8-43e5-95BD-54CBDDF9020C}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:slicerStyles defaultSlicerStyle="SlicerStyleLight1"/></ext>' +
      '<ext uri="{9260A510-F301-46a8-8635-F512D64BE5F5}" xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"><x15:timelineStyles defaultTimelineStyle="TimeSlicerStyleLight1"/></ext></extLst></styleSheet>'
    );
  }
}
