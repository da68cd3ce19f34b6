import { formatCents } from "../money.js";
import { neutralise } from "../report/csv.js";
import type { ErpProfile } from "./profile.js";

/**
 * Xero's manual journal import (Manual Journals > Import). Rows with the same Narration and
 * Date form one journal, so the narration is the journal id; one signed Amount per line,
 * positive a debit and negative a credit; the tax rate's full name is mandatory (journals of
 * fixed assets carry no tax: "Tax Exempt" unless the rules say otherwise). Xero takes at
 * most 300 lines per file: a larger journal is flagged, never cut.
 */
export const xero: ErpProfile = {
  name: "xero",
  title: "Xero: Manual Journals > Import (CSV template)",
  sources: [{ title: "Xero Central: Add or post multiple manual journals (import template)", url: "https://help.xero.com/int/ManualJournalsImport" }],
  columns: ["Narration", "Date", "Description", "AccountCode", "TaxRate", "Amount", "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2"],
  header: true,
  dateFormat: "DD/MM/YYYY",
  dateFormats: { formats: ["DD/MM/YYYY", "MM/DD/YYYY"], why: "Xero imports manual journals dated dd/mm/yyyy, or mm/dd/yyyy in a US organisation" },
  defaultAccount: "code",
  limits: { linesPerFile: 300 },
  *rows(entries, x) {
    const taxRate = x.setting("tax_rate", "Tax Exempt");
    const [t1, t2] = x.mapping.tracking;
    for (const e of entries) {
      for (const p of e.postings) {
        const line = x.line(e, p);
        // A line with no option for a category (an expense of a type with no class) names no
        // category either: Xero refuses a tracking name without its option.
        const tracking = (t: typeof t1) => {
          const option = t ? x.dimensionOf(t.dimension, line) : "";
          return option ? [t!.name, option] : ["", ""];
        };
        yield [e.journalId, x.date(e.date), neutralise(p.memo), line.ledgerAccount, taxRate, formatCents(p.debit - p.credit), ...tracking(t1), ...tracking(t2)];
      }
    }
  },
};
