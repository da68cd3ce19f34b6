import { parsePeriod } from "../dates.js";
import { PeriodOrderError } from "../errors.js";
import type { ReopenRecord } from "./model.js";
import { closedBy, type PeriodContents, type RegisterStore } from "./store.js";

export interface ReopenResult extends PeriodContents {
  /** The register's latest closed period once this one is gone (undefined: the register is empty again). */
  latestClosed: string | undefined;
  /** What the register's reopen log now holds of this reopen. */
  logged: ReopenRecord;
}

export interface ReopenOptions {
  /** Why, for the register's log (capex reopen --reason). */
  reason?: string | undefined;
  /** The clock the log records the reopen by. */
  now?: () => Date;
}

/**
 * Rolls the register back to before its latest closed period (DESIGN §8: closed is closed).
 * Only the latest: an earlier period has later closes standing on it, and what it posted is
 * in the ledger, so it never changes; corrections to it flow through the next close's
 * adjustments. Runs under the register's close lock, in one transaction, and logs the close it
 * removes (RegisterStore.reopenLog).
 */
export async function reopenPeriod(store: RegisterStore, period: string, options: ReopenOptions = {}): Promise<ReopenResult> {
  parsePeriod(period, "--period");
  return store.exclusive(async (tx) => {
    const periods = await tx.closedPeriods();
    const last = periods.at(-1);
    if (!last) throw new PeriodOrderError(`the register ${store.location} has no closed period, so there is nothing to reopen`);
    if (period !== last.period) {
      const closed = periods.some((p) => p.period === period);
      throw new PeriodOrderError(
        `${period} ${closed ? "cannot be reopened" : "is not closed"}: the register's latest closed period is ${last.period}, and only the latest can be reopened (capex reopen --period ${last.period}).` +
          (period < last.period ? " Earlier periods never change: corrections to them flow through the adjustments of the next close." : ""),
      );
    }
    const contents = (await tx.periodContents(period))!;
    const log = { at: (options.now ?? (() => new Date()))().toISOString(), by: closedBy(), reason: options.reason?.trim() ?? "" };
    const logged = await tx.reopen(period, log);
    return { ...contents, latestClosed: periods.at(-2)?.period, logged };
  });
}
