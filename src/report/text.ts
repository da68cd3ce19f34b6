/**
 * Free text as both the CSV files and the workbook write it, so the two never disagree.
 * Render's notes and addresses can hold anything a user pasted: a control character makes a
 * sheet's XML not well-formed (LibreOffice then silently drops rows) and Excel refuses a
 * cell longer than 32,767 characters.
 */

/** Excel's limit on the characters in one cell. */
export const EXCEL_CELL_CHARS = 32_767;

// XML 1.0 allows tab, LF and CR among the C0 controls, and not the non-characters U+FFFE/FFFF.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters removed
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
/** Half of a surrogate pair without its other half: not a character in any encoding. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export interface CellText {
  text: string;
  /** The length before the cut, when the text was longer than a cell holds. */
  cutFrom?: number;
}

/**
 * The text of a cell: characters XML 1.0 forbids removed (they carry nothing a reader could
 * see), a lone surrogate replaced by U+FFFD (it stood for a character that was lost), and
 * the result cut at Excel's cell limit.
 */
export function cellText(raw: string): CellText {
  let text = raw;
  XML_FORBIDDEN.lastIndex = 0;
  if (XML_FORBIDDEN.test(text)) text = text.replace(XML_FORBIDDEN, "");
  LONE_SURROGATE.lastIndex = 0;
  if (LONE_SURROGATE.test(text)) text = text.replace(LONE_SURROGATE, "\ufffd");
  if (text.length <= EXCEL_CELL_CHARS) return { text };
  let cut = text.slice(0, EXCEL_CELL_CHARS);
  // Never leave the first half of a pair at the end.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return { text: cut, cutFrom: text.length };
}
