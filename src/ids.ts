import { LONE_SURROGATE } from "./report/text.js";

/**
 * Identifiers (asset ids, project short names, account codes, classes) are written as they
 * are: an apostrophe in front of one would change the key an ERP matches on. So instead of
 * being neutralised like free text, a key that a spreadsheet would run as a formula, or that
 * no file can hold faithfully, is refused where it enters.
 */

// Spreadsheets run a cell starting with these as a formula (OWASP's CSV injection list).
const FORMULA_START = /^[=+\-@]/;
// Control characters (tab, CR and LF included: they split a key across cells or lines), DEL,
// and the two non-characters XML 1.0 forbids.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters refused
const UNFIT_CHARACTER = /[\u0000-\u001f\u007f\ufffe\uffff]/;

/**
 * Why `key` cannot be an identifier, or undefined when it can. An empty key is allowed here:
 * whether a key is required is the caller's rule.
 *
 * Must be called where a key enters from Render: the classifier turns a task whose
 * `project_short_name` or `asset_id` fails into an INVALID_TASK exception with the field path.
 */
export function keyProblem(key: string): string | undefined {
  if (FORMULA_START.test(key)) return `starts with "${key[0]}", which spreadsheets run as a formula`;
  const bad = UNFIT_CHARACTER.exec(key);
  if (bad) return `holds the control character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
  LONE_SURROGATE.lastIndex = 0;
  if (LONE_SURROGATE.test(key)) return "holds a broken character (half of a UTF-16 surrogate pair)";
  return undefined;
}
