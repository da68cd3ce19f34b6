import type { JournalSource, Posting } from "../ledger/journal.js";

/**
 * How the rules file's `erp:` section maps fiber-capex's chart of accounts and dimensions to
 * one ledger's. Kept free of the rules loader so the rules can name the profiles without a
 * cycle.
 */
export const ERP_PROFILE_NAMES = ["netsuite", "quickbooks-online", "xero", "sage-intacct", "business-central", "oracle-fbdi"] as const;
export type ErpProfileName = (typeof ERP_PROFILE_NAMES)[number];

export function isErpProfileName(name: string): name is ErpProfileName {
  return (ERP_PROFILE_NAMES as readonly string[]).includes(name);
}

/** Date layouts the ledgers' import screens accept; each profile documents its default. */
export const DATE_FORMATS = ["MM/DD/YYYY", "DD/MM/YYYY", "YYYY-MM-DD", "YYYY/MM/DD"] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** What a dimension column is filled from, per journal line. */
export const DIMENSION_SOURCES = ["project", "fa_class", "account", "source"] as const;
export type DimensionSource = (typeof DIMENSION_SOURCES)[number];

/**
 * A ledger dimension: the same value on every line, or a value taken from the line (its
 * project, class, ledger account or journal source) and translated through `values`. A value
 * with no translation goes through as it is (or as `default` when one is given): the ledger
 * then rejects a code it does not know, loudly, rather than the export guessing.
 */
export type Dimension = { kind: "constant"; value: string } | { kind: "from"; from: DimensionSource; values: Map<string, string>; default: string | undefined };

export interface ErpMapping {
  /** fiber-capex account → ledger account; an account not listed keeps its code (QuickBooks Online: its name). */
  accounts: Map<string, string>;
  dateFormat: DateFormat | undefined;
  /** Ledger-wide values by setting name (subsidiary, journal, ledger_id, tax_rate, …). */
  settings: Map<string, string>;
  /** Dimension columns by setting name (class, department, location, name, dimension1, …). */
  dimensions: Map<string, Dimension>;
  /** Xero's tracking categories, in column order (at most two). */
  tracking: Array<{ name: string; dimension: Dimension }>;
  /** Oracle's chart-of-accounts segments, SEGMENT1 first. */
  segments: Dimension[];
  /** Oracle's journal category per journal source. */
  categories: Map<JournalSource, string>;
}

export function emptyMapping(): ErpMapping {
  return { accounts: new Map(), dateFormat: undefined, settings: new Map(), dimensions: new Map(), tracking: [], segments: [], categories: new Map() };
}

/** One journal line as the ledger sees it: the posting, its entry's source, its ledger account. */
export interface LineContext {
  posting: Posting;
  source: JournalSource;
  ledgerAccount: string;
}

export function dimensionValue(d: Dimension | undefined, line: LineContext): string {
  if (d === undefined) return "";
  if (d.kind === "constant") return d.value;
  const raw = d.from === "project" ? line.posting.project : d.from === "fa_class" ? line.posting.faClass : d.from === "account" ? line.ledgerAccount : line.source;
  return d.values.get(raw) ?? d.default ?? raw;
}

/** An ISO date (YYYY-MM-DD) in a ledger's layout. */
export function formatDate(iso: string, format: DateFormat): string {
  const [y, m, d] = iso.split("-");
  switch (format) {
    case "MM/DD/YYYY":
      return `${m}/${d}/${y}`;
    case "DD/MM/YYYY":
      return `${d}/${m}/${y}`;
    case "YYYY-MM-DD":
      return iso;
    case "YYYY/MM/DD":
      return `${y}/${m}/${d}`;
  }
}
