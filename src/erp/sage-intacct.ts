import { neutralise } from "../report/csv.js";
import { debitCredit, type ErpProfile } from "./profile.js";

/**
 * Sage Intacct's CSV import of General Ledger journal entries. The header fields (JOURNAL,
 * DATE, DESCRIPTION, REFERENCE_NO) are on the first line of each entry only, as Intacct's
 * examples show; LINE_NO restarts at 1 in each entry; DESCRIPTION holds at most 30
 * characters, so it is "source period" and the journal id goes in REFERENCE_NO. Dates in the
 * format chosen on the import page (MM/DD/YYYY by default here).
 */
export const sageIntacct: ErpProfile = {
  name: "sage-intacct",
  title: "Sage Intacct: CSV import, General Ledger journal entries",
  sources: [
    { title: "Sage Intacct Help: CSV import: General Ledger journal entries", url: "https://www.intacct.com/ia/docs/en_US/help_action/More/Uploading_Data/GL/import-GL-journal-entries.htm" },
    { title: "Sage Intacct Help: CSV import: Line number examples", url: "https://www.intacct.com/ia/docs/en_AU/help_action/More/Uploading_Data/Examples/example-line-numbers.htm" },
  ],
  columns: ["JOURNAL", "DATE", "DESCRIPTION", "REFERENCE_NO", "LINE_NO", "ACCT_NO", "LOCATION_ID", "DEPT_ID", "MEMO", "DEBIT", "CREDIT"],
  header: true,
  dateFormat: "MM/DD/YYYY",
  defaultAccount: "code",
  *rows(entries, x) {
    const journal = x.setting("journal", "GJ");
    for (const e of entries) {
      for (const [i, p] of e.postings.entries()) {
        const line = x.line(e, p);
        const head = i === 0 ? [journal, x.date(e.date), `${e.source} ${e.period}`, e.journalId] : ["", "", "", ""];
        yield [...head, i + 1, line.ledgerAccount, x.dimension("location", line), x.dimension("department", line), neutralise(p.memo), ...debitCredit(p)];
      }
    }
  },
};
