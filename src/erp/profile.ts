import type { JournalEntry, Posting } from "../ledger/journal.js";
import { formatCents } from "../money.js";
import type { CsvCell } from "../report/csv.js";
import { type DateFormat, type Dimension, dimensionValue, type ErpMapping, type ErpProfileName, formatDate, type LineContext } from "./mapping.js";

/** The vendor page a layout follows. */
export interface VendorSource {
  title: string;
  url: string;
}

/** What a ledger's import screen refuses, checked so the accountant hears it before the import does. */
export interface LedgerLimits {
  /** Longest journal number / document number / external id, and what the ledger calls it. */
  reference?: { max: number; name: string };
  /** Most lines one import file may hold. */
  linesPerFile?: number;
}

/** One ledger's journal import layout. */
export interface ErpProfile {
  name: ErpProfileName;
  /** The ledger and the import it feeds, as its users call them. */
  title: string;
  sources: readonly VendorSource[];
  columns: readonly string[];
  /** false: the ledger's loader reads columns by position and would load a header row as data. */
  header: boolean;
  dateFormat: DateFormat;
  /** The date formats the ledger's import reads, with why, when not every format is: another is warned of. */
  dateFormats?: { formats: readonly DateFormat[]; why: string };
  /** How an account without a mapping is written: its code, or (QuickBooks Online matches by name) its name. */
  defaultAccount: "code" | "name";
  /** Settings the rules must give for this ledger, with what each is. */
  required?: Record<string, string>;
  limits?: LedgerLimits;
  /** The file's rows, one per posting, in journal order. */
  rows(entries: readonly JournalEntry[], x: ProfileContext): Iterable<CsvCell[]>;
}

/** What a layout needs from the mapping, already resolved. */
export interface ProfileContext {
  mapping: ErpMapping;
  date(iso: string): string;
  account(posting: Posting): string;
  line(entry: JournalEntry, posting: Posting): LineContext;
  dimension(name: string, line: LineContext): string;
  dimensionOf(d: Dimension, line: LineContext): string;
  setting(name: string, fallback?: string): string;
}

export function profileContext(profile: ErpProfile, mapping: ErpMapping): ProfileContext {
  const dateFormat = mapping.dateFormat ?? profile.dateFormat;
  const account = (p: Posting) => mapping.accounts.get(p.account) ?? (profile.defaultAccount === "name" ? p.accountName : p.account);
  return {
    mapping,
    date: (iso) => formatDate(iso, dateFormat),
    account,
    line: (entry, posting) => ({ posting, source: entry.source, ledgerAccount: account(posting) }),
    dimension: (name, line) => dimensionValue(mapping.dimensions.get(name), line),
    dimensionOf: dimensionValue,
    setting: (name, fallback = "") => mapping.settings.get(name) ?? fallback,
  };
}

/** Debit and credit columns: the amount on its side, the other side blank (no ledger here wants 0.00 there). */
export function debitCredit(p: Posting): [string, string] {
  return [p.debit ? formatCents(p.debit) : "", p.credit ? formatCents(p.credit) : ""];
}

/** A short label for an entry where a ledger wants a description: "depreciation 2026-10 P1". */
export function entryLabel(e: JournalEntry): string {
  return `${e.source} ${e.period} ${e.project}`;
}
