import { parsePeriod } from "../dates.js";
import type { RegisterStore } from "../register/store.js";
import type { ErpMapping, ErpProfileName } from "./mapping.js";
import { type ErpExport, exportJournal } from "./profiles.js";

/**
 * A closed period's journal, as the register posted it, in a ledger's import layout: the same
 * bytes the close wrote as journal-PROFILE.csv when the mapping is the same. A period the
 * register has not closed is refused, naming those it has.
 */
export async function exportPeriodJournal(store: RegisterStore, period: string, profile: ErpProfileName | string, mapping?: ErpMapping): Promise<ErpExport> {
  // A malformed period is said as such, not as a period the register has not closed.
  parsePeriod(period, "period");
  await store.requireClosed(period, "Only a closed period's journal can be exported.");
  return exportJournal(await store.journal(period), profile, mapping);
}
