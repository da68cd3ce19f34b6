import { neutralise } from "../report/csv.js";
import { debitCredit, type ErpProfile, entryLabel } from "./profile.js";

/**
 * NetSuite's CSV import of journal entries, single-file form: the header fields repeated on
 * every line, the lines of one entry sharing its External ID (which NetSuite requires on each
 * line of a new record, and which makes a second import of the same period fail instead of
 * posting twice). Account by number (supported with Use Account Numbers on); Debit and
 * Credit at most 10 digits before the decimal and 2 after.
 */
export const netsuite: ErpProfile = {
  name: "netsuite",
  title: "NetSuite: Import CSV Records, Transactions > Journal Entry (single file)",
  sources: [
    { title: "NetSuite Help: Journal Entry and Intercompany Journal Entry Header Fields Table", url: "https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1534492479.html" },
    { title: "NetSuite Help: Journal Entry and Intercompany Journal Entry Line-Level Fields Table", url: "https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1534492737.html" },
    { title: "NetSuite Help: Import Format and Mapping Considerations (External ID on every line)", url: "https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1534420642.html" },
  ],
  columns: ["External ID", "Date", "Subsidiary", "Currency", "Memo", "Account", "Debit", "Credit", "Line Memo", "Department", "Class", "Location"],
  header: true,
  dateFormat: "MM/DD/YYYY",
  defaultAccount: "code",
  *rows(entries, x) {
    for (const e of entries) {
      for (const p of e.postings) {
        const line = x.line(e, p);
        yield [e.journalId, x.date(e.date), x.setting("subsidiary"), e.currency, neutralise(entryLabel(e)), line.ledgerAccount, ...debitCredit(p), neutralise(p.memo), x.dimension("department", line), x.dimension("class", line), x.dimension("location", line)];
      }
    }
  },
};
