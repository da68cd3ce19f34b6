import { neutralise } from "../report/csv.js";
import { debitCredit, type ErpProfile } from "./profile.js";

/**
 * Dynamics 365 Business Central's general journal (table 81, Gen. Journal Line), with the
 * fields a configuration package or Edit in Excel fills (Business Central imports neither from
 * CSV: the file is opened in Excel first; the README says how): every line names its journal template and
 * batch and a Line No. (10000 apart, as Business Central numbers them); the lines of one entry
 * share a Document No. (at most 20 characters); Account Type "G/L Account"; Debit Amount or
 * Credit Amount; the two global dimensions as Shortcut Dimension 1 and 2 Code. Amounts are in
 * the company's local currency (no Currency Code).
 */
export const businessCentral: ErpProfile = {
  name: "business-central",
  title: "Business Central: General Journal lines (configuration package / Edit in Excel)",
  sources: [
    { title: "Business Central API v2.0: journalLine resource type", url: "https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_journalline" },
    { title: "Post general journals in Business Central (document no., debit and credit amounts)", url: "https://daxly.io/blog/post-general-journals" },
  ],
  columns: [
    "Journal Template Name",
    "Journal Batch Name",
    "Line No.",
    "Posting Date",
    "Document Type",
    "Document No.",
    "Account Type",
    "Account No.",
    "Description",
    "Debit Amount",
    "Credit Amount",
    "Shortcut Dimension 1 Code",
    "Shortcut Dimension 2 Code",
  ],
  header: true,
  dateFormat: "YYYY-MM-DD",
  defaultAccount: "code",
  limits: { reference: { max: 20, name: "Document No." } },
  *rows(entries, x) {
    const template = x.setting("journal_template", "GENERAL");
    const batch = x.setting("journal_batch", "DEFAULT");
    let lineNo = 0;
    for (const e of entries) {
      for (const p of e.postings) {
        const line = x.line(e, p);
        lineNo += 10000;
        yield [template, batch, lineNo, x.date(e.date), "", e.journalId, "G/L Account", line.ledgerAccount, neutralise(p.memo), ...debitCredit(p), x.dimension("dimension1", line), x.dimension("dimension2", line)];
      }
    }
  },
};
