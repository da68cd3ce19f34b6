import { neutralise } from "../report/csv.js";
import { debitCredit, type ErpProfile } from "./profile.js";

/**
 * QuickBooks Online's journal entry import (Settings > Import data > Journal Entries). QBO
 * matches accounts by name with account numbers turned off (a sub-account as
 * "Parent:Sub"), so an unmapped account goes by its name in the rules file, not its code.
 * Rows sharing a Journal No. form one entry; dates MM/DD/YYYY; Class and Location need class
 * and location tracking turned on.
 */
export const quickbooksOnline: ErpProfile = {
  name: "quickbooks-online",
  title: "QuickBooks Online: Import data > Journal Entries",
  sources: [
    { title: "QuickBooks Help: Import journal entries", url: "https://quickbooks.intuit.com/learn-support/en-au/help-article/import-export-files/import-journal-entries-quickbooks-online/L4tQBwbs7_AU_en_AU" },
  ],
  columns: ["Journal No.", "Journal Date", "Account Name", "Debits", "Credits", "Description", "Name", "Class", "Location"],
  header: true,
  dateFormat: "MM/DD/YYYY",
  defaultAccount: "name",
  limits: { reference: { max: 21, name: "Journal No." } },
  *rows(entries, x) {
    for (const e of entries) {
      for (const p of e.postings) {
        const line = x.line(e, p);
        yield [e.journalId, x.date(e.date), neutralise(line.ledgerAccount), ...debitCredit(p), neutralise(p.memo), x.dimension("name", line), x.dimension("class", line), x.dimension("location", line)];
      }
    }
  },
};
