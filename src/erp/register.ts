import { PeriodOrderError } from "../errors.js";
import { notClosedReason } from "../register/model.js";
import type { RegisterStore } from "../register/store.js";
import type { ErpMapping, ErpProfileName } from "./mapping.js";
import { type ErpExport, exportJournal } from "./profiles.js";

/**
 * A closed period's journal, as the register posted it, in a ledger's import layout: the same
 * bytes the close wrote as journal-PROFILE.csv when the mapping is the same. A period the
 * register has not closed is refused, naming those it has.
 */
export async function exportPeriodJournal(store: RegisterStore, period: string, profile: ErpProfileName | string, mapping?: ErpMapping): Promise<ErpExport> {
  const { periods } = await store.status();
  if (!periods.some((p) => p.period === period)) {
    throw new PeriodOrderError(`${notClosedReason(period, store.location, periods.map((p) => p.period))}. Only a closed period's journal can be exported.`);
  }
  return exportJournal(await store.journal(period), profile, mapping);
}
