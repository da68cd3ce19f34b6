import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import JSZip from "jszip";
import { beforeAll, describe, expect, it } from "vitest";
import { type CloseResult, closePeriod } from "../src/close/close.js";
import type { Table } from "../src/report/tables.js";
import { writeWorkbook } from "../src/report/workbook.js";
import { writeCloseOutputs } from "../src/report/write.js";
import { InputError } from "../src/errors.js";
import { loadRules } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";

/**
 * fiber-capex writes the workbook's XML itself (src/report/workbook.ts) instead of through
 * exceljs's cell objects, for speed. The bytes did not change: these hashes are those of the
 * workbooks exceljs 4.4 wrote for the same closes, before the change. A deliberate change to
 * the workbook's content changes them; anything else that does is a regression. Changed once
 * since, deliberately: the Summary of a first close shows what it took on (three rows added to
 * xl/worksheets/sheet1.xml; every other part byte for byte as exceljs wrote it, checked then).
 * And once more: the Register sheet gained two columns, accumulated_adjustments and
 * accumulated_retired (only the Register sheets' XML changed, checked part by part then);
 * then the Summary's identity names wrap, each row as high as its lines (a style of their own:
 * every other sheet differs only by its style numbers, one up from 8, checked cell by cell then);
 * then the Depreciation sheet gained its totals, a SUMIF row per book (only its XML changed,
 * two rows appended; split at 40 rows a sheet, its parts hold 37 data rows, so one more part
 * and every later sheet one number up, checked part by part then); then the Disposals sheet
 * gained the tax book's four columns (only its XML changed, checked part by part then); then
 * exceptions name "the rules file" instead of the path the rules were given by, and the
 * Depreciation sheet's tax total says it is of tax year amounts (the Exceptions and
 * Depreciation sheets' XML only, checked part by part then); then the Summary gained the
 * adjustments' and retirements' counts and totals (xl/worksheets/sheet1.xml only, checked then);
 * then the Summary gained the tax year's deduction with the year's retirements (one row in
 * xl/worksheets/sheet1.xml, whole and split at 40 rows, checked part by part then); then the
 * Summary's in-service tax line says so and the Disposals sheet's portion column is wider, for
 * a quantity with its unit (sheet1.xml's label and the Disposals sheet's <cols> only, checked then).
 */
let rules: Rules;
let demo: CloseResult;

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

async function workbook(result: CloseResult, maxRowsPerSheet?: number): Promise<Buffer> {
  const out = join(tmp(), "2026-10");
  await writeCloseOutputs(result, rules, { out, maxRowsPerSheet });
  return readFileSync(join(out, "capex-2026-10.xlsx"));
}

beforeAll(async () => {
  rules = await loadRules("rules/render-fiber.yaml");
  // A relative path, so the Summary's snapshot line is the same on every machine.
  demo = await closePeriod({ snapshot: await openSnapshot("fixtures/demo"), rules, period: "2026-10" });
}, 60_000);

describe("the workbook's bytes are those exceljs wrote", () => {
  it("for the demo close", async () => {
    expect(sha256(await workbook(demo))).toBe("d8f710a6129c42b824736390b729f3e3c92baed2666d545454aaefee1882de25");
  });

  it("for the demo close split at 40 rows a sheet (every table continued on sheets of its own, totals on each)", async () => {
    const bytes = await workbook(demo, 40);
    const names = [...(await (await JSZip.loadAsync(bytes)).file("xl/workbook.xml")!.async("string")).matchAll(/ name="([^"]+)" state/g)].map((m) => m[1]);
    expect(names).toContain("Register (2)");
    expect(sha256(bytes)).toBe("b35858bc0e2bf40ca4aaa1b9075b493525ff2b16678b20b9e9c12f423dd8bfaf");
  });

  it("with a failing identity (bold flag) and an identity whose sides are text (no formula)", async () => {
    const r = structuredClone(demo);
    r.identities[1]!.holds = false;
    r.identities[1]!.right = "1";
    r.identities.push({ name: "a side that is text", left: "n/a", right: "n/a", holds: true });
    expect(sha256(await workbook(r))).toBe("6f4144b68c1656c6b4f345e990651360a6c635ead2342ca6836eafd9ede69e3f");
  });

  it("for free text with markup, controls, DEL, a lone surrogate and a cell past Excel's limit", async () => {
    const tasks = [
      baseTask(1, { approved_date: "2026-10-05T14:00:00Z", street_address: "12 Main St\n=1+1 Suite 4 <b>&amp;'\"", road_name: "Unit 7\rRear\u007f" }),
      baseTask(2, { approved_date: "2026-10-06T14:00:00Z", street_address: "Main\u0001 St\u000b\u0000\u001b\u0007 #4\ud800", approved_by: "-b.osei" }),
      baseTask(3, { approved_date: "2026-10-07T14:00:00Z", street_address: "x".repeat(40_000) }),
      baseTask(4, { task_type: "permitting", approved_date: "2026-10-12T14:00:00Z", units: [{ unit_code: "PERMIT-ROW", quantity: 1, amount: "650.00" }] }),
      baseTask(5, { task_type: "install_microduct", approved_date: "2026-10-20T14:00:00Z" }),
    ];
    const result = await closePeriod({ snapshot: await openSnapshot(await writeSnapshot(tasks)), rules, period: "2026-10" });
    const zip = await JSZip.loadAsync(await workbook(result));
    // The Summary names the snapshot's temporary folder; every other part is compared.
    const parts = Object.keys(zip.files).filter((f) => f !== "xl/worksheets/sheet1.xml").sort();
    const h = createHash("sha256");
    for (const f of parts) h.update(f).update(await zip.file(f)!.async("nodebuffer"));
    expect(h.digest("hex")).toBe("fffc887a504a8e8c9aeb5a445091d2c0107417912415018ae38bdb1733bc1c5d");
  });
});

describe("a workbook that cannot be written", () => {
  it("fails with the cell's error, naming the sheet row, and leaves no stream open", async () => {
    const table: Table = {
      sheet: "Keys",
      file: "",
      columns: [{ name: "asset_id", label: "Asset ID", kind: "code" }],
      rowCount: 3,
      rows: () => [["A-1"], ["A-2"], ["=HYPERLINK(1)"]],
      totals: [],
    };
    const path = join(tmp(), "w.xlsx");
    const err = await writeWorkbook(path, { title: "t", footer: "f", summary: [], identities: [], tables: [table] }, { created: new Date("2026-10-31T00:00:00Z") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'Keys sheet row 3 (asset =HYPERLINK(1)), asset_id: "=HYPERLINK(1)" cannot be written as an identifier: it starts with "=", which spreadsheets run as a formula. Correct it where it comes from (Render or the rules file) and close again; nothing was written',
    );
  });

  it("keeps each sheet's XML in its own entry when a sheet ends while the zip thread is behind", async () => {
    // 200,000 rows are megabytes more than the zip thread takes before the writer waits: the
    // first sheet ends with writes still waiting, and the next sheet's entry must not start first.
    const keys = (sheet: string, rowCount: number): Table => ({
      sheet,
      file: "",
      columns: [{ name: "asset_id", label: "Asset ID", kind: "code" }],
      rowCount,
      rows: function* () {
        for (let i = 1; i <= rowCount; i++) yield [`${sheet}-${i}`];
      },
      totals: [],
    });
    const path = join(tmp(), "w.xlsx");
    await writeWorkbook(path, { title: "t", footer: "f", summary: [], identities: [], tables: [keys("Big", 200_000), keys("Small", 2)] }, { created: new Date("2026-10-31T00:00:00Z") });
    const zip = await JSZip.loadAsync(readFileSync(path));
    const big = await zip.file("xl/worksheets/sheet2.xml")!.async("string");
    const small = await zip.file("xl/worksheets/sheet3.xml")!.async("string");
    expect(big.match(/<row /g)).toHaveLength(200_001);
    expect(big).toContain('<c r="A200001" s="4" t="str"><v>Big-200000</v></c></row></sheetData>');
    expect(big.endsWith("</worksheet>")).toBe(true);
    expect(small.match(/<row /g)).toHaveLength(3);
    expect(small).not.toContain("Big-");
    expect(small.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')).toBe(true);
  });

  it("fails naming the file when the zip thread cannot write it, whether or not the sheets wait for it", async () => {
    // 200,000 rows are megabytes more than the zip thread takes before the writer waits for it.
    for (const rowCount of [1, 200_000]) {
      const table: Table = {
        sheet: "Keys",
        file: "",
        columns: [{ name: "asset_id", label: "Asset ID", kind: "code" }],
        rowCount,
        rows: function* () {
          for (let i = 0; i < rowCount; i++) yield [`ATX-NORTH-${i}`];
        },
        totals: [],
      };
      const path = join(tmp(), "no-such-folder", "w.xlsx");
      const err = await writeWorkbook(path, { title: "t", footer: "f", summary: [], identities: [], tables: [table] }, { created: new Date("2026-10-31T00:00:00Z") }).catch((e: unknown) => e);
      expect((err as Error).message).toBe(`cannot write ${path}: ENOENT: no such file or directory, open '${path}'`);
    }
  });
});
