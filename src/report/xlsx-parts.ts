import { xmlText } from "./xml.js";

/**
 * The small parts of an .xlsx package around the sheets: content types, relationships,
 * document properties and the workbook with its sheet list and print titles. Their text is
 * what exceljs wrote before fiber-capex wrote its own, so the bytes of a close's workbook
 * did not change with the writer.
 */
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
const RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export function contentTypesXml(sheets: number): string {
  return (
    `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    range(sheets)
      .map((n) => `<Override PartName="/xl/worksheets/sheet${n}.xml" ContentType="${SHEET_TYPE}"/>`)
      .join("") +
    '<Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>' +
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
    '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>' +
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>' +
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'
  );
}

export const PACKAGE_RELS_XML =
  `${XML_HEAD}<Relationships xmlns="${RELS_NS}">` +
  `<Relationship Id="rId1" Type="${DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>` +
  `<Relationship Id="rId2" Type="${RELS_NS}/metadata/core-properties" Target="docProps/core.xml"/>` +
  `<Relationship Id="rId3" Type="${DOC_RELS}/extended-properties" Target="docProps/app.xml"/></Relationships>`;

export function appXml(names: readonly string[]): string {
  return (
    `${XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">` +
    "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>" +
    `<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>${names.length}</vt:i4></vt:variant></vt:vector></HeadingPairs>` +
    `<TitlesOfParts><vt:vector size="${names.length}" baseType="lpstr">${names.map((n) => `<vt:lpstr>${xmlText(n)}</vt:lpstr>`).join("")}</vt:vector></TitlesOfParts>` +
    "<Company></Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0300</AppVersion></Properties>"
  );
}

/** Document properties. `lastModifiedBy` stays what exceljs wrote: changing it would change every workbook's hash. */
export function coreXml(creator: string, created: Date): string {
  const at = created.toISOString().replace(/\.\d{3}Z$/, "Z");
  return (
    `${XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<dc:creator>${xmlText(creator)}</dc:creator><cp:lastModifiedBy>ExcelJS</cp:lastModifiedBy>` +
    `<dcterms:created xsi:type="dcterms:W3CDTF">${at}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">${at}</dcterms:modified></cp:coreProperties>`
  );
}

export function workbookRelsXml(sheets: number): string {
  return (
    `${XML_HEAD}<Relationships xmlns="${RELS_NS}">` +
    `<Relationship Id="rId1" Type="${DOC_RELS}/styles" Target="styles.xml"/><Relationship Id="rId2" Type="${DOC_RELS}/theme" Target="theme/theme1.xml"/>` +
    range(sheets)
      .map((n) => `<Relationship Id="rId${n + 2}" Type="${DOC_RELS}/worksheet" Target="worksheets/sheet${n}.xml"/>`)
      .join("") +
    "</Relationships>"
  );
}

/** The workbook: its sheets in order, each printing its first row on every page. */
export function workbookXml(names: readonly string[]): string {
  return (
    `${XML_HEAD}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${DOC_RELS}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x15" xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main">` +
    '<fileVersion appName="xl" lastEdited="5" lowestEdited="5" rupBuild="9303"/><workbookPr defaultThemeVersion="164011" filterPrivacy="1"/>' +
    `<sheets>${names.map((n, i) => `<sheet sheetId="${i + 1}" name="${xmlText(n)}" state="visible" r:id="rId${i + 3}"/>`).join("")}</sheets>` +
    // A quote in a sheet name is doubled inside the quoted reference.
    `<definedNames>${names.map((n, i) => `<definedName name="_xlnm.Print_Titles" localSheetId="${i}">${xmlText(`'${n.replaceAll("'", "''")}'!$1:$1`)}</definedName>`).join("")}</definedNames>` +
    '<calcPr calcId="171027"/></workbook>'
  );
}

/** Excel's default column width as exceljs counted it: a column this wide was left at the default. */
const DEFAULT_WIDTH = 9;

/**
 * A sheet's XML before its rows: frozen header row, column widths (equal neighbours share one
 * `col`; a column 9 wide is left out, at the default, as exceljs did), fit to one page wide.
 */
export function sheetStartXml(widths: readonly number[]): string {
  let cols = "";
  for (let k = 0; k < widths.length; ) {
    let end = k;
    while (end + 1 < widths.length && widths[end + 1] === widths[k]) end++;
    if (widths[k] !== DEFAULT_WIDTH) cols += `<col min="${k + 1}" max="${end + 1}" width="${widths[k]}" customWidth="1"/>`;
    k = end + 1;
  }
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">' +
    '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>' +
    `<sheetFormatPr defaultRowHeight="15" outlineLevelRow="0" outlineLevelCol="0" x14ac:dyDescent="55"/>${cols ? `<cols>${cols}</cols>` : ""}<sheetData>`
  );
}

/**
 * A sheet's XML after its rows: the autofilter over the header and data rows (`ref`, none
 * when undefined), and a printed copy landscape, one page wide however long, with a footer
 * naming the sheet, the close and the page. `&` starts a code in a footer, so a literal one
 * is doubled.
 */
export function sheetEndXml(autoFilter: string | undefined, footer: string): string {
  return (
    `</sheetData>${autoFilter ? `<autoFilter ref="${autoFilter}"/>` : ""}` +
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>' +
    '<pageSetup orientation="landscape" horizontalDpi="4294967295" verticalDpi="4294967295" scale="100" fitToWidth="1" fitToHeight="0"/>' +
    `<headerFooter><oddFooter>${xmlText(`&L&A&C${footer.replaceAll("&", "&&")}&RPage &P of &N`)}</oddFooter></headerFooter></worksheet>`
  );
}
