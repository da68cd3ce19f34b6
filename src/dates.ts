// date-fns one function a module: its index loads all 250 of them, 0.16 s of every start.
import { TZDate, tzOffset } from "@date-fns/tz";
import { addDays } from "date-fns/addDays";
import { addMonths } from "date-fns/addMonths";
import { format } from "date-fns/format";
import { getDaysInMonth } from "date-fns/getDaysInMonth";
import { isValid } from "date-fns/isValid";
import { lastDayOfMonth } from "date-fns/lastDayOfMonth";
import { parseISO } from "date-fns/parseISO";
import { InputError } from "./errors.js";

/**
 * Calendar dates are `YYYY-MM-DD` strings, periods `YYYY-MM`. Inside the calculators a month
 * is an integer index (year × 12 + month − 1) so that month arithmetic is exact and cheap.
 * Time zones appear only here, at the edge: an approval instant becomes a local date.
 */
export type IsoDate = string;
export type Period = string;

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The years fiber-capex closes. Years 0–99 would silently become 1900–1999 in date
 * arithmetic (a period 0000-01 printed "to 1900-01-31"), and no fiber was capitalized before
 * 1900 or will be after 2999: such a period is a typing slip.
 */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2999;

export function parsePeriod(text: string, field = "period"): { year: number; month: number } {
  const m = PERIOD.exec(text);
  if (!m) throw new InputError(field, `"${text}" is not a period; write it as YYYY-MM, for example 2026-10`);
  const year = Number(m[1]);
  if (year < MIN_YEAR || year > MAX_YEAR) throw new InputError(field, `"${text}" is outside the years fiber-capex closes (${MIN_YEAR} to ${MAX_YEAR}); check the year`);
  return { year, month: Number(m[2]) };
}

export function parseIsoDate(text: string, field = "date"): Date {
  if (!DATE_ONLY.test(text)) throw new InputError(field, `"${text}" is not a date; write it as YYYY-MM-DD`);
  const d = parseISO(text);
  if (!isValid(d) || format(d, "yyyy-MM-dd") !== text) throw new InputError(field, `"${text}" is not a real calendar date`);
  return d;
}

export function isIsoDate(text: string): boolean {
  if (!DATE_ONLY.test(text)) return false;
  const d = parseISO(text);
  return isValid(d) && format(d, "yyyy-MM-dd") === text;
}

/** Month index of a period or date string (only the first 7 characters are read). */
export function monthIndexOf(dateOrPeriod: string): number {
  return Number(dateOrPeriod.slice(0, 4)) * 12 + Number(dateOrPeriod.slice(5, 7)) - 1;
}

export function periodOfMonthIndex(index: number): Period {
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return `${String(year).padStart(4, "0")}-${month < 10 ? "0" : ""}${month}`;
}

export function periodStartDate(period: Period): IsoDate {
  parsePeriod(period);
  return `${period}-01`;
}

const periodEnds = new Map<Period, IsoDate>();
/** The period's last day; remembered, since a close asks for it once an asset (date-fns' format is 1 µs a call). */
export function periodEndDate(period: Period): IsoDate {
  const known = periodEnds.get(period);
  if (known !== undefined) return known;
  const { year, month } = parsePeriod(period);
  const end = format(lastDayOfMonth(new Date(year, month - 1, 1)), "yyyy-MM-dd");
  periodEnds.set(period, end);
  return end;
}

export function previousPeriod(period: Period): Period {
  const { year, month } = parsePeriod(period);
  return format(addMonths(new Date(year, month - 1, 1), -1), "yyyy-MM");
}

export function daysInMonthOf(year: number, month: number): number {
  return getDaysInMonth(new Date(year, month - 1, 1));
}

const zoneCheck = new Map<string, boolean>();
export function isValidTimeZone(zone: string): boolean {
  let ok = zoneCheck.get(zone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      ok = true;
    } catch {
      ok = false;
    }
    zoneCheck.set(zone, ok);
  }
  return ok;
}

const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A zone's UTC offset is constant through a UTC day unless that day holds a DST change, so
 * it is found once per zone and day (both ends of the day compared) and only transition days
 * pay for a conversion per instant. This turns a million zone conversions into a few hundred.
 */
const DAY_MS = 86_400_000;
const offsetCache = new Map<string, Map<number, number | null>>();
const dayText = new Map<number, IsoDate>();

function offsetMinutes(epochMs: number, timeZone: string): number {
  let zoneCache = offsetCache.get(timeZone);
  if (!zoneCache) offsetCache.set(timeZone, (zoneCache = new Map()));
  const day = Math.floor(epochMs / DAY_MS);
  let offset = zoneCache.get(day);
  if (offset === undefined) {
    const start = tzOffset(timeZone, new Date(day * DAY_MS));
    const end = tzOffset(timeZone, new Date((day + 1) * DAY_MS - 1));
    offset = start === end ? start : null;
    zoneCache.set(day, offset);
  }
  return offset ?? tzOffset(timeZone, new Date(epochMs));
}

export function localDateOfInstant(epochMs: number, timeZone: string): IsoDate {
  const localDay = Math.floor((epochMs + offsetMinutes(epochMs, timeZone) * 60_000) / DAY_MS);
  let text = dayText.get(localDay);
  if (text === undefined) {
    text = format(new TZDate(localDay * DAY_MS, "UTC"), "yyyy-MM-dd");
    dayText.set(localDay, text);
  }
  return text;
}

/**
 * The local calendar date, in `timeZone`, of an approval timestamp. A bare date is already
 * local and is returned as is; a date-time without an offset is read as UTC (what Render's
 * API returns). Returns undefined for text that is not a date.
 */
export function localDateOf(timestamp: string, timeZone: string): IsoDate | undefined {
  if (DATE_ONLY.test(timestamp)) return isIsoDate(timestamp) ? timestamp : undefined;
  const instant = parseISO(HAS_ZONE.test(timestamp) ? timestamp : `${timestamp}Z`);
  if (!isValid(instant)) return undefined;
  return localDateOfInstant(instant.getTime(), timeZone);
}

/** Midnight UTC at the start of the next UTC day, as an ISO timestamp. */
export function nextUtcMidnight(now: Date): string {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return new Date(next).toISOString();
}

export function utcDay(now: Date): IsoDate {
  return now.toISOString().slice(0, 10);
}

/** The calendar date `days` after (or before) `date`. */
export function shiftDate(date: IsoDate, days: number): IsoDate {
  return format(addDays(parseISO(date), days), "yyyy-MM-dd");
}
