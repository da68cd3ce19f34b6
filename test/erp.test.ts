import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { closePeriod } from "../src/close/close.js";
import { writeNewFile } from "../src/erp/file.js";
import { ERP_PROFILE_NAMES, type ErpMapping, type ErpProfileName, emptyMapping } from "../src/erp/mapping.js";
import { ERP_PROFILES, erpProfile, exportJournal } from "../src/erp/profiles.js";
import { exportPeriodJournal } from "../src/erp/register.js";
import { RegisterStore } from "../src/register/store.js";
import type { JournalEntry, Posting } from "../src/ledger/journal.js";
import { writeCloseOutputs } from "../src/report/write.js";
import { checkRulesText, loadRules } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const run = promisify(execFile);

async function capex(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: tmp() }, cwd });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const HEADERS: Record<ErpProfileName, string | undefined> = {
  netsuite: "External ID,Date,Subsidiary,Currency,Memo,Account,Debit,Credit,Line Memo,Department,Class,Location",
  "quickbooks-online": "Journal No.,Journal Date,Account Name,Debits,Credits,Description,Name,Class,Location",
  xero: "Narration,Date,Description,AccountCode,TaxRate,Amount,TrackingName1,TrackingOption1,TrackingName2,TrackingOption2",
  "sage-intacct": "JOURNAL,DATE,DESCRIPTION,REFERENCE_NO,LINE_NO,ACCT_NO,LOCATION_ID,DEPT_ID,MEMO,DEBIT,CREDIT",
  "business-central":
    "Journal Template Name,Journal Batch Name,Line No.,Posting Date,Document Type,Document No.,Account Type,Account No.,Description,Debit Amount,Credit Amount,Shortcut Dimension 1 Code,Shortcut Dimension 2 Code",
  // Oracle's loader reads columns by position: no header row.
  "oracle-fbdi": undefined,
};

const DATES: Record<ErpProfileName, string> = {
  netsuite: "10/31/2026",
  "quickbooks-online": "10/31/2026",
  xero: "31/10/2026",
  "sage-intacct": "10/31/2026",
  "business-central": "2026-10-31",
  "oracle-fbdi": "2026/10/31",
};

/** An amount cell as cents; anything but a plain two-decimal number fails the test. */
function cents(cell: string): number {
  if (cell === "") return 0;
  expect(cell).toMatch(/^-?\d+\.\d{2}$/);
  return Number(cell.replace(".", ""));
}

interface Line {
  journal: string;
  date: string;
  account: string;
  debit: number;
  credit: number;
  row: Record<string, string>;
}

/** A written file read back the way the ledger reads it: one journal line per row. */
function readBack(profile: ErpProfileName, text: string, oracleAccountSegment = 1): { header: string | undefined; lines: Line[] } {
  const p = ERP_PROFILES[profile];
  expect(text.endsWith("\r\n")).toBe(true);
  const records = parse(text, { bom: false }) as string[][];
  const header = p.header ? records.shift()!.join(",") : undefined;
  const lines: Line[] = [];
  let journal = "";
  let date = "";
  for (const r of records) {
    expect(r.length).toBe(p.columns.length);
    const row = Object.fromEntries(p.columns.map((c, i) => [c, r[i]!]));
    const at = (c: string) => row[c]!;
    switch (profile) {
      case "netsuite":
        lines.push({ journal: at("External ID"), date: at("Date"), account: at("Account"), debit: cents(at("Debit")), credit: cents(at("Credit")), row });
        break;
      case "quickbooks-online":
        lines.push({ journal: at("Journal No."), date: at("Journal Date"), account: at("Account Name"), debit: cents(at("Debits")), credit: cents(at("Credits")), row });
        break;
      case "xero": {
        const amount = cents(at("Amount"));
        expect(amount).not.toBe(0);
        lines.push({ journal: at("Narration"), date: at("Date"), account: at("AccountCode"), debit: Math.max(amount, 0), credit: Math.max(-amount, 0), row });
        break;
      }
      case "sage-intacct":
        // The entry's header fields are on its first line only.
        if (at("LINE_NO") === "1") [journal, date] = [at("REFERENCE_NO"), at("DATE")];
        else expect([at("JOURNAL"), at("DATE"), at("DESCRIPTION"), at("REFERENCE_NO")]).toEqual(["", "", "", ""]);
        lines.push({ journal, date, account: at("ACCT_NO"), debit: cents(at("DEBIT")), credit: cents(at("CREDIT")), row });
        break;
      case "business-central":
        lines.push({ journal: at("Document No."), date: at("Posting Date"), account: at("Account No."), debit: cents(at("Debit Amount")), credit: cents(at("Credit Amount")), row });
        break;
      case "oracle-fbdi":
        expect([at("STATUS"), at("ACTUAL_FLAG")]).toEqual(["NEW", "A"]);
        lines.push({ journal: at("REFERENCE4"), date: at("ACCOUNTING_DATE"), account: at(`SEGMENT${oracleAccountSegment}`), debit: cents(at("ENTERED_DR")), credit: cents(at("ENTERED_CR")), row });
        break;
    }
  }
  return { header, lines };
}

function totalsBy<T>(items: T[], key: (t: T) => string, debit: (t: T) => number, credit: (t: T) => number): Map<string, string> {
  const m = new Map<string, [number, number]>();
  for (const t of items) {
    const cur = m.get(key(t)) ?? [0, 0];
    m.set(key(t), [cur[0] + debit(t), cur[1] + credit(t)]);
  }
  return new Map([...m].sort().map(([k, [d, c]]) => [k, `${d}/${c}`]));
}

/** Every entry balances, and the totals per journal id and per (mapped) account are the journal's. */
function expectSameJournal(lines: Line[], postings: Array<{ journal: string; account: string; debit: number; credit: number }>) {
  expect(lines.length).toBe(postings.length);
  for (const [, t] of totalsBy(lines, (l) => l.journal, (l) => l.debit, (l) => l.credit)) {
    const [d, c] = t.split("/");
    expect(d).toBe(c);
  }
  for (const l of lines) expect((l.debit === 0) !== (l.credit === 0)).toBe(true);
  const mine = (f: (l: { journal: string; account: string }) => string) => totalsBy(lines, f, (l) => l.debit, (l) => l.credit);
  const theirs = (f: (l: { journal: string; account: string }) => string) => totalsBy(postings, f, (p) => p.debit, (p) => p.credit);
  expect(mine((l) => l.journal)).toEqual(theirs((p) => p.journal));
  expect(mine((l) => l.account)).toEqual(theirs((p) => p.account));
  expect(mine((l) => `${l.journal} ${l.account}`)).toEqual(theirs((p) => `${p.journal} ${p.account}`));
}

const post = (account: string, accountName: string, debit: number, credit: number, memo: string, project: string, faClass: string): Posting => ({ account, accountName, debit, credit, memo, project, faClass });

/** A month with every kind of entry, two projects, a memo a spreadsheet would run and one with a comma and quotes. */
const JOURNAL: JournalEntry[] = [
  {
    journalId: "CAP-2026-10-P1",
    date: "2026-10-31",
    period: "2026-10",
    source: "capitalization",
    project: "P1",
    currency: "USD",
    postings: [
      post("2410", "Fiber plant - cable", 400000, 0, 'additions, "aerial" fiber', "P1", "Fiber Plant"),
      post("2430", "Outside plant infrastructure", 192400, 0, "=additions conduit", "P1", "Infrastructure"),
      post("1790", "Construction in progress (CIP)", 0, 592400, "additions", "P1", "Fiber Plant"),
    ],
  },
  {
    journalId: "DEP-2026-10-P1",
    date: "2026-10-31",
    period: "2026-10",
    source: "depreciation",
    project: "P1",
    currency: "USD",
    postings: [post("6561", "Depreciation expense - fiber plant", 1667, 0, "depreciation", "P1", "Fiber Plant"), post("3110", "Accumulated depreciation - fiber plant", 0, 1667, "depreciation", "P1", "Fiber Plant")],
  },
  {
    journalId: "ADJ-2026-10-BOS-METRO",
    date: "2026-10-31",
    period: "2026-10",
    source: "adjustment",
    project: "BOS-METRO",
    currency: "USD",
    postings: [
      post("2430", "Outside plant infrastructure", 0, 5000, "cost changes", "BOS-METRO", "Infrastructure"),
      post("1790", "Construction in progress (CIP)", 5000, 0, "cost changes", "BOS-METRO", "Infrastructure"),
      post("6562", "Depreciation expense - outside plant infrastructure", 0, 12, "catch-up", "BOS-METRO", "Infrastructure"),
      post("3130", "Accumulated depreciation - outside plant infrastructure", 12, 0, "catch-up", "BOS-METRO", "Infrastructure"),
    ],
  },
  {
    journalId: "DSP-2026-10-BOS-METRO",
    date: "2026-10-31",
    period: "2026-10",
    source: "disposal",
    project: "BOS-METRO",
    currency: "USD",
    postings: [
      post("3110", "Accumulated depreciation - fiber plant", 20000, 0, "retired", "BOS-METRO", "Fiber Plant"),
      post("1195", "Fixed asset disposal clearing", 15000, 0, "proceeds", "BOS-METRO", "Fiber Plant"),
      post("7120", "Loss on disposal of fixed assets", 65000, 0, "loss", "BOS-METRO", "Fiber Plant"),
      post("2410", "Fiber plant - cable", 0, 100000, "retired", "BOS-METRO", "Fiber Plant"),
    ],
  },
  {
    journalId: "EXP-2026-10-P1",
    date: "2026-10-31",
    period: "2026-10",
    source: "expense",
    project: "P1",
    currency: "USD",
    postings: [post("6720", "Permits and regulatory fees", 65000, 0, "permits", "P1", ""), post("1790", "Construction in progress (CIP)", 0, 65000, "permits", "P1", "")],
  },
];

const ledgerAccount = (profile: ErpProfileName, mapping: ErpMapping, p: Posting) =>
  mapping.accounts.get(p.account) ?? (profile === "quickbooks-online" ? p.accountName : p.account);

const flat = (entries: JournalEntry[], account: (p: Posting) => string) => entries.flatMap((e) => e.postings.map((p) => ({ journal: e.journalId, account: account(p), debit: p.debit, credit: p.credit })));

let rules: Rules;
beforeAll(async () => {
  rules = await loadRules("rules/render-fiber.yaml");
});

describe("exportJournal: each ledger's layout", () => {
  for (const profile of ERP_PROFILE_NAMES) {
    it(`${profile}: every posting a line, every entry balanced, the same totals per journal and per account, the ledger's header and dates`, () => {
      // Bare: no mapping but the settings the layout cannot do without.
      const bare = emptyMapping();
      for (const setting of Object.keys(erpProfile(profile).required ?? {})) bare.settings.set(setting, "1");
      for (const mapping of [bare, rules.erp.get(profile)!]) {
        const out = exportJournal(JOURNAL, profile, mapping);
        const { header, lines } = readBack(profile, out.text, mapping.segments.length ? 2 : 1);
        expect(header).toBe(HEADERS[profile]);
        expect(out.lines).toBe(15);
        expect(new Set(lines.map((l) => l.date))).toEqual(new Set([DATES[profile]]));
        expectSameJournal(lines, flat(JOURNAL, (p) => ledgerAccount(profile, mapping, p)));
      }
    });
  }

  it("exportPeriodJournal says a malformed period is one, not that the register has not closed it", async () => {
    const store = await RegisterStore.open(join(tmp(), "capex.db"));
    try {
      await expect(exportPeriodJournal(store, "2026-1", "xero")).rejects.toMatchObject({ name: "InputError", field: "period", message: 'period: "2026-1" is not a period; write it as YYYY-MM, for example 2026-10' });
    } finally {
      await store.close();
    }
  });

  it("refuses a mapping without a setting the layout needs, as a close does: Oracle's journal import needs LEDGER_ID", () => {
    expect(() => exportJournal(JOURNAL, "oracle-fbdi")).toThrow(
      expect.objectContaining({
        name: "InputError",
        field: "erp.oracle-fbdi.ledger_id",
        message: "erp.oracle-fbdi.ledger_id: the oracle-fbdi layout needs the ledger's id (Setup and Maintenance > Manage Primary Ledgers); add it to the rules file (or the mapping's settings) under erp: oracle-fbdi: ledger_id:",
      }),
    );
  });

  // Rows come by journal id (ADJ, CAP, DEP, DSP, EXP), as the register reads a period back.
  it("applies the rules' mapping: account codes, subsidiary, dimensions from the class and the project", () => {
    const row = (profile: ErpProfileName, i: number) => readBack(profile, exportJournal(JOURNAL, profile, rules.erp.get(profile)).text, 2).lines[i]!.row;
    expect(row("netsuite", 4)).toEqual({
      "External ID": "CAP-2026-10-P1",
      Date: "10/31/2026",
      Subsidiary: "1",
      Currency: "USD",
      Memo: "capitalization 2026-10 P1",
      Account: "15100",
      Debit: "4000.00",
      Credit: "",
      "Line Memo": 'additions, "aerial" fiber',
      Department: "Network Construction",
      Class: "FP",
      Location: "P1",
    });
    // A memo a spreadsheet would run as a formula is written as text.
    expect(row("netsuite", 5)["Line Memo"]).toBe("'=additions conduit");
    expect(row("quickbooks-online", 4)["Account Name"]).toBe("Fixed Assets:Fiber plant - cable");
    expect(row("quickbooks-online", 6)["Account Name"]).toBe("Construction in progress (CIP)");
    expect(row("xero", 6)).toMatchObject({ AccountCode: "1790", TaxRate: "Tax Exempt", Amount: "-5924.00", TrackingName1: "Project", TrackingOption1: "P1", TrackingName2: "Asset Class", TrackingOption2: "Fiber Plant" });
    // A permit's expense has no class: no category named without its option, which Xero refuses.
    expect(row("xero", 13)).toMatchObject({ AccountCode: "6720", TrackingName1: "Project", TrackingOption1: "P1", TrackingName2: "", TrackingOption2: "" });
    expect(row("sage-intacct", 0)).toMatchObject({ JOURNAL: "GJ", DESCRIPTION: "adjustment 2026-10", REFERENCE_NO: "ADJ-2026-10-BOS-METRO", LINE_NO: "1", ACCT_NO: "2430", LOCATION_ID: "200", DEPT_ID: "NETENG", CREDIT: "50.00" });
    expect(row("business-central", 4)).toMatchObject({ "Journal Template Name": "GENERAL", "Journal Batch Name": "CAPEX", "Line No.": "50000", "Account Type": "G/L Account", "Shortcut Dimension 1 Code": "NETWORK", "Shortcut Dimension 2 Code": "P1" });
    expect(row("oracle-fbdi", 0)).toMatchObject({ LEDGER_ID: "300000046975971", USER_JE_SOURCE_NAME: "Spreadsheet", USER_JE_CATEGORY_NAME: "Adjustment", CURRENCY_CODE: "USD", DATE_CREATED: "2026/10/31", SEGMENT1: "101", SEGMENT2: "2430", SEGMENT3: "420", SEGMENT4: "", REFERENCE1: "fiber-capex 2026-10", REFERENCE4: "ADJ-2026-10-BOS-METRO", REFERENCE10: "cost changes" });
    // A project with no cost centre of its own takes the default.
    expect(row("oracle-fbdi", 4).SEGMENT3).toBe("000");
  });

  it("says what the ledger will refuse instead of cutting anything: a Document No. over 20 characters, a Xero file over 300 lines", () => {
    expect(exportJournal(JOURNAL, "business-central").warnings).toEqual([
      "business-central: 2 journal ids longer than the 20 characters business-central's Document No. holds (first: ADJ-2026-10-BOS-METRO); shorten the project short names or edit the file before importing",
    ]);
    const big: JournalEntry = { ...JOURNAL[1]!, postings: Array.from({ length: 151 }, () => JOURNAL[1]!.postings).flat() };
    const xero = exportJournal([big], "xero");
    expect(xero.lines).toBe(302);
    expect(xero.warnings).toEqual(["xero: 302 lines, more than the 300 one xero import takes; import the file in parts of at most 300 lines, whole journals each"]);
  });

  it("says which of the journal's accounts a map that names some of them leaves out (the sample rules map only the asset accounts)", () => {
    expect(exportJournal(JOURNAL, "netsuite", rules.erp.get("netsuite")).warnings).toEqual([
      "netsuite: accounts 1195, 1790, 6720, 7120 of the journal have no line under erp: netsuite: accounts: in the rules and go to netsuite as fiber-capex's code; map them if the ledger's chart differs",
    ]);
    const qbo = { ...emptyMapping(), accounts: new Map([["2410", "Fixed Assets:Fiber"], ["2430", "Fixed Assets:OSP"], ["1790", "CIP"], ["6561", "Dep:Fiber"], ["6562", "Dep:OSP"], ["3110", "AD:Fiber"], ["3130", "AD:OSP"], ["1195", "Clearing"], ["7120", "Loss"]]) };
    expect(exportJournal(JOURNAL, "quickbooks-online", qbo).warnings).toEqual([
      "quickbooks-online: account 6720 (as \"Permits and regulatory fees\") of the journal has no line under erp: quickbooks-online: accounts: in the rules and goes to quickbooks-online as fiber-capex's account name; map it if the ledger's chart differs",
    ]);
    // No map at all: the ledger's chart is fiber-capex's (nothing to say); every account mapped: nothing either.
    expect(exportJournal(JOURNAL, "netsuite").warnings).toEqual([]);
    qbo.accounts.set("6720", "Permits");
    expect(exportJournal(JOURNAL, "quickbooks-online", qbo).warnings).toEqual([]);
  });

  it("refuses an unbalanced journal and an unknown profile", () => {
    const unbalanced: JournalEntry = { ...JOURNAL[1]!, postings: [JOURNAL[1]!.postings[0]!] };
    expect(() => exportJournal([unbalanced], "xero")).toThrow("journal DEP-2026-10-P1 does not balance: debit 16.67 ≠ credit 0.00. This is a bug; nothing was written.");
    expect(() => exportJournal(JOURNAL, "sap")).toThrow('profile: unknown ERP profile "sap"; the known profiles are netsuite, quickbooks-online, xero, sage-intacct, business-central, oracle-fbdi');
    // Two profiles in one value: said how to give both.
    expect(() => erpProfile("netsuite,Xero")).toThrow('--erp: unknown ERP profile "netsuite,Xero"; give --erp once for each profile: --erp netsuite --erp xero');
    // A ledger named as its vendor writes it is the profile.
    expect(exportJournal(JOURNAL, "NetSuite").profile).toBe("netsuite");
  });
});

describe("the close writes journal-PROFILE.csv for each --erp", () => {
  it("every layout of a closed month totals as journal.csv does, per journal id and per account, and is hashed in the manifest", async () => {
    const snapshot = await writeSnapshot([
      baseTask(1, { approved_date: "2026-09-10T14:00:00Z", asset_id: "P1-COND-1" }),
      baseTask(2, { task_type: "install_aerial_fiber", approved_date: "2026-10-05T14:00:00Z", units: [{ unit_code: "AF-144CT", quantity: 1000, uom: "ft" }] }),
      baseTask(3, { task_type: "permitting", approved_date: "2026-10-12T14:00:00Z", units: [{ unit_code: "PERMIT-ROW", quantity: 1, amount: "650.00" }] }),
    ]);
    const result = await closePeriod({ snapshot: await openSnapshot(snapshot), rules, period: "2026-10" });
    const out = join(tmp(), "2026-10");
    const { manifest } = await writeCloseOutputs(result, rules, { out, erp: [...ERP_PROFILE_NAMES], workbook: false });
    const journal = parse(readFileSync(join(out, "journal.csv"), "utf8"), { columns: true }) as Array<Record<string, string>>;
    expect(new Set(journal.map((r) => r.source))).toEqual(new Set(["capitalization", "expense", "depreciation"]));
    for (const profile of ERP_PROFILE_NAMES) {
      const file = `journal-${profile}.csv`;
      const text = readFileSync(join(out, file), "utf8");
      expect(manifest.files[file]).toBe(createHash("sha256").update(text).digest("hex"));
      const mapping = rules.erp.get(profile)!;
      const { lines } = readBack(profile, text, 2);
      const name = (code: string) => rules.accounts.get(code)!;
      const account = (code: string) => mapping.accounts.get(code) ?? (profile === "quickbooks-online" ? name(code) : code);
      expectSameJournal(
        lines,
        journal.map((r) => ({ journal: r.journal_id!, account: account(r.account!), debit: cents(r.debit!), credit: cents(r.credit!) })),
      );
    }
  });

  it("refuses Oracle without a ledger id before writing anything", async () => {
    const { rules: bare } = checkRulesText(readFileSync("rules/render-fiber.yaml", "utf8").replace(/\nerp:[\s\S]*$/, "\n"), "bare.yaml");
    const snapshot = await writeSnapshot([baseTask(1)]);
    const result = await closePeriod({ snapshot: await openSnapshot(snapshot), rules: bare!, period: "2026-10" });
    const out = join(tmp(), "2026-10");
    await expect(writeCloseOutputs(result, bare!, { out, erp: ["oracle-fbdi"] })).rejects.toThrow(
      "erp.oracle-fbdi.ledger_id: the oracle-fbdi layout needs the ledger's id (Setup and Maintenance > Manage Primary Ledgers); add it to the rules file bare.yaml under erp: oracle-fbdi: ledger_id:",
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe("capex rules check: the erp section", () => {
  it("reports an unknown profile, a misspelt setting, an account not in accounts and an unknown class, each with path and line", () => {
    const base = readFileSync("rules/render-fiber.yaml", "utf8");
    const text = `${base}  netsuit: {}\n  business-central:\n    journal_bach: X\n    accounts: { "2411": "1" }\n    dimension1: { from: fa_class, values: { Fiber Plnt: FP } }\n`.replace(
      /\n {2}business-central:\n[\s\S]*?(?=\n {2}oracle-fbdi:)/,
      "",
    );
    const line = (s: string) => text.split("\n").findIndex((l) => l.includes(s)) + 1;
    const { rules: none, problems } = checkRulesText(text, "r.yaml");
    expect(none).toBeUndefined();
    expect(problems.map((p) => [p.path, p.line, p.message, p.hint])).toEqual([
      ["erp.netsuit", line("netsuit: {}"), 'unknown ERP profile "netsuit"', 'did you mean "netsuite"? (the known profiles are netsuite, quickbooks-online, xero, sage-intacct, business-central, oracle-fbdi)'],
      ["erp.business-central.journal_bach", line("journal_bach"), 'unknown setting "journal_bach"', 'did you mean "journal_batch"?'],
      ["erp.business-central.accounts.2411", line('"2411"'), 'account "2411" is not in accounts', 'did you mean "2410"?'],
      ["erp.business-central.dimension1.values.Fiber Plnt", line("Fiber Plnt"), 'unknown class "Fiber Plnt"', 'did you mean "Fiber Plant"?'],
    ]);
  });

  it("warns of a date format the ledger's import does not read (Oracle's YYYY/MM/DD only, Xero's day or month first), and still loads the rules", () => {
    const text = readFileSync("rules/render-fiber.yaml", "utf8").replace("\n  xero:\n", "\n  xero:\n    date_format: YYYY/MM/DD\n").replace("\n  oracle-fbdi:\n", "\n  oracle-fbdi:\n    date_format: MM/DD/YYYY\n");
    const { rules: loaded, problems } = checkRulesText(text, "r.yaml");
    expect(problems).toEqual([]);
    expect(exportJournal(JOURNAL, "oracle-fbdi", loaded!.erp.get("oracle-fbdi")).warnings[0]).toBe(
      "oracle-fbdi: date_format MM/DD/YYYY is not one the ledger's import reads (YYYY/MM/DD: Journal Import reads GL_INTERFACE dates as YYYY/MM/DD only); set erp: oracle-fbdi: date_format: to one of them",
    );
    expect(exportJournal(JOURNAL, "xero", loaded!.erp.get("xero")).warnings[0]).toBe(
      "xero: date_format YYYY/MM/DD is not one the ledger's import reads (DD/MM/YYYY or MM/DD/YYYY: Xero imports manual journals dated dd/mm/yyyy, or mm/dd/yyyy in a US organisation); set erp: xero: date_format: to one of them",
    );
    expect(exportJournal(JOURNAL, "oracle-fbdi", rules.erp.get("oracle-fbdi")).warnings.filter((w) => w.includes("date_format"))).toEqual([]);
  });

  it("the bundled rules' sample section passes", () => {
    expect(checkRulesText(readFileSync("rules/render-fiber.yaml"), "rules/render-fiber.yaml").problems).toEqual([]);
    expect([...rules.erp.keys()]).toEqual([...ERP_PROFILE_NAMES]);
  });
});

describe("writeNewFile: an export never replaces a file", () => {
  it("writes a new file, leaves a byte-identical one alone, and refuses any other, leaving it as it was", async () => {
    const file = join(tmp(), "sub", "journal-xero-2026-10.csv");
    expect(await writeNewFile(file, "a,b\r\n")).toBe("written");
    expect(await writeNewFile(file, "a,b\r\n")).toBe("unchanged");
    writeFileSync(file, "edited by hand\r\n");
    await expect(writeNewFile(file, "a,b\r\n")).rejects.toThrow(
      `${file}: exists with other content; nothing was written. fiber-capex never replaces a file: move or delete it (it may be an edited or imported copy), or choose another --out.`,
    );
    expect(readFileSync(file, "utf8")).toBe("edited by hand\r\n");
  });
});

describe("capex close --erp and capex export", () => {
  it("close --erp writes the layouts into the close folder; export writes the same bytes from the register; bad profiles and open periods exit 2", async () => {
    const dir = tmp();
    const db = join(dir, "capex.db");
    const out = join(dir, "2026-10");
    const bad = await capex(["close", "--period", "2026-10", "--snapshot", "fixtures/demo", "--out", out, "--db", db, "--erp", "sap"]);
    expect(bad).toMatchObject({ code: 2, stderr: 'capex: --erp: unknown ERP profile "sap"; the known profiles are netsuite, quickbooks-online, xero, sage-intacct, business-central, oracle-fbdi\n' });
    expect(existsSync(out)).toBe(false);

    const closed = await capex(["close", "--period", "2026-10", "--snapshot", "fixtures/demo", "--out", out, "--db", db, "--erp", "xero", "--erp", "sage-intacct", "--no-workbook", "--quiet"]);
    expect(closed.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.files).filter((f) => f.startsWith("journal-"))).toEqual(["journal-xero.csv", "journal-sage-intacct.csv"]);

    const exports = join(dir, "exports");
    const first = await capex(["export", "--period", "2026-10", "--erp", "xero", "--db", db, "--out", exports, "--json"]);
    expect(first.code).toBe(0);
    const file = join(exports, "journal-xero-2026-10.csv");
    expect(JSON.parse(first.stdout).files).toEqual([{ profile: "xero", file, lines: expect.any(Number), status: "written" }]);
    expect(readFileSync(file, "utf8")).toBe(readFileSync(join(out, "journal-xero.csv"), "utf8"));
    const again = await capex(["export", "--period", "2026-10", "--erp", "xero", "--db", db, "--out", exports, "--json"]);
    expect(JSON.parse(again.stdout).files[0].status).toBe("unchanged");

    writeFileSync(file, "edited\r\n");
    const refused = await capex(["export", "--period", "2026-10", "--erp", "xero", "--db", db, "--out", exports]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`capex: ${file}: exists with other content; nothing was written.`);
    expect(readFileSync(file, "utf8")).toBe("edited\r\n");

    const open = await capex(["export", "--period", "2026-11", "--erp", "xero", "--db", db, "--out", exports]);
    expect(open).toMatchObject({
      code: 2,
      stderr: `capex: 2026-11 is not closed in the register ${db}; its closed periods are 2026-10. Close 2026-11 first (capex close --period 2026-11). Only a closed period's journal can be exported.\n`,
    });
    // Before the register's first close there is nothing to close: the message does not say to.
    expect(await capex(["export", "--period", "2026-08", "--erp", "xero", "--db", db, "--out", exports])).toMatchObject({
      code: 2,
      stderr: `capex: 2026-08 is not closed in the register ${db}; its closed periods are 2026-10. 2026-08 is before the register's first closed period (2026-10), so it holds nothing of it. Only a closed period's journal can be exported.\n`,
    });
    expect((await capex(["export", "--period", "2026-10", "--erp", "sap", "--db", db])).code).toBe(2);
  }, 120_000);

  it("export maps by the rules file the period was closed with, refuses that file once changed, and warns when --rules names another", async () => {
    const dir = tmp();
    const db = join(dir, "capex.db");
    const out = join(dir, "2026-10");
    const rulesFile = join(dir, "my-rules.yaml");
    const bundled = readFileSync("rules/render-fiber.yaml", "utf8");
    writeFileSync(rulesFile, bundled.replace('subsidiary: "1"', 'subsidiary: "77"'));
    const closed = await capex(["close", "--period", "2026-10", "--snapshot", "fixtures/demo", "--out", out, "--db", db, "--rules", rulesFile, "--erp", "netsuite", "--no-workbook", "--quiet"]);
    expect(closed.code).toBe(0);
    const closeFile = readFileSync(join(out, "journal-netsuite.csv"), "utf8");
    expect(closeFile).toContain(",77,");

    // No --rules: the recorded file, so the same bytes as the close wrote (the bundled rules' subsidiary 1 before).
    const exports = join(dir, "exports");
    const same = await capex(["export", "--period", "2026-10", "--erp", "netsuite", "--db", db, "--out", exports, "--json"]);
    expect(same.code).toBe(0);
    const unmapped = "netsuite: accounts 1790, 2440, 2450, 3140, 3150, 6510, 6563, 6564, 6590 of the journal have no line under erp: netsuite: accounts: in the rules and go to netsuite as fiber-capex's code; map them if the ledger's chart differs";
    expect(JSON.parse(same.stdout).warnings).toEqual([unmapped]);
    expect(readFileSync(join(exports, "journal-netsuite-2026-10.csv"), "utf8")).toBe(closeFile);

    // The recorded file changed since: refused, nothing written.
    writeFileSync(rulesFile, bundled.replace('subsidiary: "1"', 'subsidiary: "78"'));
    const sha = createHash("sha256").update(bundled.replace('subsidiary: "1"', 'subsidiary: "77"')).digest("hex");
    const changed = await capex(["export", "--period", "2026-10", "--erp", "netsuite", "--db", db, "--out", join(dir, "changed")]);
    expect(changed).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`capex: --rules: 2026-10 was closed with the rules file ${rulesFile}, sha256 ${sha.slice(0, 12)}…; ${rulesFile} is not that file now (sha256 `),
    });
    expect(existsSync(join(dir, "changed"))).toBe(false);

    // Another file named on purpose: its mapping, and a warning that the file may differ from the close's.
    const other = await capex(["export", "--period", "2026-10", "--erp", "netsuite", "--db", db, "--out", join(dir, "other"), "--rules", rulesFile, "--json"]);
    expect(other.code).toBe(0);
    expect(JSON.parse(other.stdout).warnings).toEqual([
      `mapped by ${rulesFile}'s erp: section, not by the rules file 2026-10 was closed with (${rulesFile}, sha256 ${sha.slice(0, 12)}…): the file may differ from the close's journal-PROFILE.csv`,
      unmapped,
    ]);
    expect(readFileSync(join(dir, "other", "journal-netsuite-2026-10.csv"), "utf8")).toContain(",78,");
  }, 120_000);

  it("export finds a rules/render-fiber.yaml of the user's own, recorded by that relative name, and does not take the bundled file for it", async () => {
    const folder = tmp();
    mkdirSync(join(folder, "rules"));
    writeFileSync(join(folder, "rules", "render-fiber.yaml"), readFileSync("rules/render-fiber.yaml", "utf8").replace('subsidiary: "1"', 'subsidiary: "77"'));
    const demo = join(import.meta.dirname, "..", "fixtures", "demo");
    const closed = await capex(["close", "--period", "2026-10", "--snapshot", demo, "--out", "2026-10", "--db", "capex.db", "--rules", "rules/render-fiber.yaml", "--erp", "netsuite", "--no-workbook", "--quiet"], folder);
    expect(closed.code).toBe(0);
    const exported = await capex(["export", "--period", "2026-10", "--erp", "netsuite", "--db", "capex.db", "--out", "exports"], folder);
    expect(exported.code).toBe(0);
    expect(readFileSync(join(folder, "exports", "journal-netsuite-2026-10.csv"), "utf8")).toBe(readFileSync(join(folder, "2026-10", "journal-netsuite.csv"), "utf8"));
  }, 120_000);
});
