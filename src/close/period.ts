import { format } from "date-fns";
import { monthIndexOf, periodOfMonthIndex } from "../dates.js";
import type { Snapshot } from "../snapshot/reader.js";

/**
 * The latest month that is complete both in time and in the data: the month before the
 * latest approval in the snapshot, and no later than the month before `now`.
 */
export async function latestCompletePeriod(snapshot: Snapshot, now: Date): Promise<string> {
  let latest = "";
  for await (const batch of snapshot.batches()) {
    for (const r of batch) {
      const d = r.task?.approved_date;
      if (d && d > latest) latest = d;
    }
  }
  const beforeNow = monthIndexOf(format(now, "yyyy-MM")) - 1;
  const beforeData = latest ? monthIndexOf(latest) - 1 : beforeNow;
  return periodOfMonthIndex(Math.min(beforeNow, beforeData));
}
