/**
 * Text as a sheet's XML holds it: the five markup characters escaped, and DEL and the C0
 * controls XML 1.0 forbids dropped (cellText has removed them from free text already; this
 * covers every other string, labels and formulas included). Most cells hold none of them, so
 * the common case is one scan and no copy.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters escaped or dropped
const SPECIAL = /[<>&'"\u007f\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the same, for the replacement
const SPECIALS = /[<>&'"\u007f\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const ENTITY: Record<string, string> = { "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" };

export function xmlText(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ENTITY[c] ?? "") : text;
}
