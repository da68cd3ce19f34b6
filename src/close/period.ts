import { TZDate } from "@date-fns/tz";
import { isValidTimeZone, monthIndexOf, type Period, parsePeriod, periodOfMonthIndex } from "../dates.js";
import { plausibleDates } from "../capitalize/classify.js";
import type { Snapshot } from "../snapshot/reader.js";

/** West of every inhabited zone: a period over there is over everywhere. */
const LAST_ZONE = "Etc/GMT+12";

/**
 * The instant a period is over in every one of `timeZones`: the first midnight of the next
 * month in the westernmost of them. Until then some project can still approve work in it.
 */
export function periodEndsAt(period: Period, timeZones: Iterable<string>): number {
  const { year, month } = parsePeriod(period);
  let latest = Number.NEGATIVE_INFINITY;
  // TZDate's month is 0-based, so `month` is the next month's first day.
  for (const zone of timeZones) latest = Math.max(latest, new TZDate(year, month, 1, zone).getTime());
  return latest === Number.NEGATIVE_INFINITY ? new TZDate(year, month, 1, LAST_ZONE).getTime() : latest;
}

/** The snapshot's project zones; a project without a usable one counts as the last zone on Earth. */
function snapshotZones(snapshot: Snapshot): string[] {
  return snapshot.projects.map((p) => (p.timezone !== undefined && isValidTimeZone(p.timezone) ? p.timezone : LAST_ZONE));
}

/**
 * The latest month that is complete both in time and in the data: the month before the
 * latest approval in the snapshot, and no later than the latest month that has ended at
 * `now` in every project's time zone. Implausible approval dates (year 1, 9999) are
 * exceptions of the close, not the end of the data.
 */
export async function latestCompletePeriod(snapshot: Snapshot, now: Date): Promise<string> {
  const { earliest, latest: last } = plausibleDates(snapshot.manifest.fetched_at);
  let latest = "";
  for await (const batch of snapshot.batches()) {
    for (const r of batch) {
      const d = r.task?.approved_date;
      if (d && d > latest && d >= earliest && d.slice(0, 10) <= last) latest = d;
    }
  }
  const zones = snapshotZones(snapshot);
  let ended = monthIndexOf(now.toISOString());
  while (periodEndsAt(periodOfMonthIndex(ended), zones) > now.getTime()) ended--;
  const beforeData = latest ? monthIndexOf(latest) - 1 : ended;
  return periodOfMonthIndex(Math.min(ended, beforeData));
}
