import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { closePeriod } from "../src/close/close.js";
import { keyProblem } from "../src/ids.js";
import { isPlain } from "../src/report/cells.js";
import { writeCsvTable } from "../src/report/csv-file.js";
import { csvField, neutralise } from "../src/report/csv.js";
import type { Table } from "../src/report/tables.js";
import { cellText } from "../src/report/text.js";
import { writeCloseOutputs } from "../src/report/write.js";
import { loadRules } from "../src/rules/load.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { tmp } from "./helpers.js";

describe("the batched CSV writer", () => {
  it("writes the demo close's CSV files with the bytes the row-by-row writer wrote", async () => {
    const rules = await loadRules("rules/render-fiber.yaml");
    const result = await closePeriod({ snapshot: await openSnapshot("fixtures/demo"), rules, period: "2026-10" });
    const out = join(tmp(), "2026-10");
    await writeCloseOutputs(result, rules, { out, workbook: false });
    const h = createHash("sha256");
    for (const f of readdirSync(out).filter((f) => f.endsWith(".csv")).sort()) h.update(f).update(readFileSync(join(out, f)));
    // sha256 of the files as fiber-capex wrote them before the batched writer, but for the two
    // columns register.csv gained since (accumulated_adjustments, accumulated_retired: without
    // them, the files hash as the row-by-row writer's did, checked when they were added) and the
    // four tax columns disposals.csv gained (only its header changed here, checked then), and
    // exceptions.csv naming "the rules file" where it named the path given (two rows, checked then).
    expect(h.digest("hex")).toBe("d556c009a28c2b82c3a5c52e226139d36f47ca19430ce4327d84add4220ee581");
  }, 60_000);

  it("takes the shortcut only for strings every writer leaves as they are", () => {
    for (const s of ["P1-12", "ATX NORTH", "Fiber Plant", "Buried fiber cable 144ct", "2026-10", "é"]) expect(isPlain(s), s).toBe(true);
    // A surrogate pair is kept, but by the full path, which alone tells a pair from a lone half.
    for (const s of ["😀 pair", "-b.osei", "=1+1", "+1", "@SUM", "a,b", 'say "hi"', "a\nb", "tab\there", "O'Brien", "<b>", "AT&T", "del\u007f", "\ud800", "x".repeat(32_768)]) {
      expect(isPlain(s), s).toBe(false);
    }
  });

  it("writes any text and any key exactly as the full path (clean, cut, neutralise, refuse, quote) does", async () => {
    // Strings built from the characters every check looks for, among ordinary ones.
    const char = fc.constantFrom("a", "Z", "1", " ", "-", "=", "+", "@", ",", '"', "'", "\t", "\r", "\n", "\u0000", "\u0007", "\u007f", "<", "&", "\ud800", "\udc00", "😀", "\ufffe", "é");
    const text = fc.array(char, { maxLength: 12 }).map((cs) => cs.join(""));
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 20 }), async (values) => {
        const table: Table = {
          sheet: "T",
          file: "t.csv",
          columns: [{ name: "note", label: "Note", kind: "text" }],
          rowCount: values.length,
          rows: () => values.map((v) => [v]),
          totals: [],
        };
        const file = join(tmp(), "t.csv");
        await writeCsvTable(file, table);
        const expected = `note\r\n${values.map((v) => `${v === "" ? "" : csvField(neutralise(cellText(v).text))}\r\n`).join("")}`;
        expect(readFileSync(file, "utf8")).toBe(expected);
        // The same strings as keys: written as they are (quoted when needed), or refused.
        const keys = values.filter((v) => keyProblem(v) === undefined);
        const keyFile = join(tmp(), "k.csv");
        await writeCsvTable(keyFile, { ...table, columns: [{ name: "key", label: "Key", kind: "code" }], rowCount: keys.length, rows: () => keys.map((v) => [v]) });
        expect(readFileSync(keyFile, "utf8")).toBe(`key\r\n${keys.map((v) => `${csvField(v)}\r\n`).join("")}`);
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
