import type { JournalSource } from "../ledger/journal.js";
import { neutralise } from "../report/csv.js";
import { dimensionValue } from "./mapping.js";
import { debitCredit, type ErpProfile } from "./profile.js";

const SEGMENTS = 30;
const range = (prefix: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

/** Seeded Fusion journal categories; the rules can name others (erp.oracle-fbdi.categories). */
const CATEGORY: Record<JournalSource, string> = { capitalization: "Adjustment", expense: "Adjustment", depreciation: "Adjustment", adjustment: "Adjustment", disposal: "Adjustment" };

/**
 * Oracle Fusion General Ledger's Journal Import (file-based data import): the GL_INTERFACE
 * sheet of JournalImportTemplate.xlsm, as its Generate CSV File button writes GlInterface.csv
 * for the Load Interface File for Import job: no header row (the loader reads columns by
 * position, in the template's order, which must not change), STATUS NEW, ACTUAL_FLAG A (actual),
 * dates YYYY/MM/DD, amounts with '.' and no thousands separator. The columns after GROUP_ID
 * (descriptive flexfields, ledger name, period name) are left off; the loader reads missing
 * trailing columns as empty. DATE_CREATED is the journal date, so the file is the same bytes
 * on every run.
 */
export const oracleFbdi: ErpProfile = {
  name: "oracle-fbdi",
  title: "Oracle Fusion General Ledger: Journal Import FBDI (GlInterface.csv)",
  sources: [
    { title: "Oracle Fusion Financials tables: GL_INTERFACE", url: "https://docs.oracle.com/en/cloud/saas/financials/24d/oedmf/glinterface-8261.html" },
    { title: "Oracle Fusion Financials: How Journal Import Data Is Processed (JournalImportTemplate.xlsm)", url: "https://docs.oracle.com/pls/topic/lookup?ctx=fa24a&id=s20064369" },
    {
      title: "Oracle Utilities to ERP mapping guide: FBDI values for the GL_INTERFACE table (YYYY/MM/DD dates, amount format)",
      url: "https://docs.oracle.com/en/industries/energy-water/cloud-integrations/22c/ccs-erp-data-mapping-guide/CCS-ERP-DATA-MAPPING-GUIDE-22C/Mapping_Guide_Appendix_Data_Mapping.2.2.html",
    },
  ],
  columns: [
    "STATUS",
    "LEDGER_ID",
    "ACCOUNTING_DATE",
    "USER_JE_SOURCE_NAME",
    "USER_JE_CATEGORY_NAME",
    "CURRENCY_CODE",
    "DATE_CREATED",
    "ACTUAL_FLAG",
    ...range("SEGMENT", 1, SEGMENTS),
    "ENTERED_DR",
    "ENTERED_CR",
    "ACCOUNTED_DR",
    "ACCOUNTED_CR",
    ...range("REFERENCE", 1, 10),
    ...range("REFERENCE", 21, 30),
    "STAT_AMOUNT",
    "USER_CURRENCY_CONVERSION_TYPE",
    "CURRENCY_CONVERSION_DATE",
    "CURRENCY_CONVERSION_RATE",
    "GROUP_ID",
  ],
  header: false,
  dateFormat: "YYYY/MM/DD",
  dateFormats: { formats: ["YYYY/MM/DD"], why: "Journal Import reads GL_INTERFACE dates as YYYY/MM/DD only" },
  defaultAccount: "code",
  required: { ledger_id: "the ledger's id (Setup and Maintenance > Manage Primary Ledgers)" },
  *rows(entries, x) {
    const ledger = x.setting("ledger_id");
    const source = x.setting("source", "Spreadsheet");
    const group = x.setting("group_id");
    for (const e of entries) {
      const category = x.mapping.categories.get(e.source) ?? CATEGORY[e.source];
      for (const p of e.postings) {
        const line = x.line(e, p);
        const segments = x.mapping.segments.length ? x.mapping.segments.map((s) => dimensionValue(s, line)) : [line.ledgerAccount];
        const date = x.date(e.date);
        yield [
          "NEW",
          ledger,
          date,
          source,
          category,
          e.currency,
          date,
          "A",
          ...segments,
          ...Array(SEGMENTS - segments.length).fill(""),
          ...debitCredit(p),
          "",
          "",
          // REFERENCE1 batch name, 2 batch description, 4 journal name, 5 journal description, 10 line description
          `fiber-capex ${e.period}`,
          `fiber-capex close ${e.period}`,
          "",
          e.journalId,
          `${e.source} ${e.period} ${e.project}`,
          "",
          "",
          "",
          "",
          neutralise(p.memo),
          ...Array(10).fill(""),
          "",
          "",
          "",
          "",
          group,
        ];
      }
    }
  },
};
