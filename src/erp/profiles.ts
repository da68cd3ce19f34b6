import { InputError } from "../errors.js";
import { assertBalanced, type JournalEntry } from "../ledger/journal.js";
import { csvLine } from "../report/csv.js";
import { businessCentral } from "./business-central.js";
import { ERP_PROFILE_NAMES, type ErpMapping, type ErpProfileName, emptyMapping, isErpProfileName } from "./mapping.js";
import { netsuite } from "./netsuite.js";
import { oracleFbdi } from "./oracle-fbdi.js";
import { type ErpProfile, profileContext } from "./profile.js";
import { quickbooksOnline } from "./quickbooks-online.js";
import { sageIntacct } from "./sage-intacct.js";
import { xero } from "./xero.js";

/** Every ledger layout fiber-capex writes, by the name `--erp` takes (DESIGN §10). */
export const ERP_PROFILES: Readonly<Record<ErpProfileName, ErpProfile>> = {
  netsuite,
  "quickbooks-online": quickbooksOnline,
  xero,
  "sage-intacct": sageIntacct,
  "business-central": businessCentral,
  "oracle-fbdi": oracleFbdi,
};

/** The file a close writes for a profile; `capex export` adds the period. */
export function erpFileName(profile: ErpProfileName, period?: string): string {
  return period === undefined ? `journal-${profile}.csv` : `journal-${profile}-${period}.csv`;
}

/** A profile by name, or an InputError listing the known ones. */
export function erpProfile(name: string, field = "--erp"): ErpProfile {
  // As the ledger's own name is written ("NetSuite", "Xero"): the profile, whatever the case.
  const known = name.toLowerCase();
  if (!isErpProfileName(known)) {
    // "--erp netsuite,xero": a list where the option takes one profile each time it is given.
    const parts = known.split(",").map((p) => p.trim());
    const each = field.startsWith("--") && parts.length > 1 && parts.every(isErpProfileName) ? `; give ${field} once for each profile: ${parts.map((p) => `${field} ${p}`).join(" ")}` : "";
    throw new InputError(field, `unknown ERP profile "${name}"${each || `; the known profiles are ${ERP_PROFILE_NAMES.join(", ")}`}`);
  }
  return ERP_PROFILES[known];
}

/**
 * Refuses, before any work, a profile the rules do not configure enough for (Oracle needs its
 * ledger id): a close must not post to the register and then fail writing the file.
 */
export function checkErpProfiles(names: readonly string[], erp: ReadonlyMap<ErpProfileName, ErpMapping> | undefined, rulesFile: string): ErpProfileName[] {
  const out: ErpProfileName[] = [];
  for (const name of names) {
    const profile = erpProfile(name);
    requireSettings(profile, erp?.get(profile.name), `the rules file ${rulesFile}`);
    if (!out.includes(profile.name)) out.push(profile.name);
  }
  return out;
}

/** Refuses a mapping without a setting the layout cannot do without (Oracle's LEDGER_ID): the ledger would refuse every line. */
function requireSettings(profile: ErpProfile, mapping: ErpMapping | undefined, where: string): void {
  for (const [setting, what] of Object.entries(profile.required ?? {})) {
    if (!mapping?.settings.get(setting)) {
      throw new InputError(`erp.${profile.name}.${setting}`, `the ${profile.name} layout needs ${what}; add it to ${where} under erp: ${profile.name}: ${setting}:`);
    }
  }
}

export interface ErpExport {
  profile: ErpProfileName;
  /** The file's text: UTF-8, RFC 4180, CRLF line ends. */
  text: string;
  /** Journal lines written (the header row not counted): one per posting. */
  lines: number;
  /** What the ledger's import will refuse (a reference too long, too many lines in one file), said once each. */
  warnings: string[];
}

/**
 * The balanced journal in one ledger's import layout: every posting one line, amounts with two
 * decimals and no thousands separator, dates in the ledger's format, accounts and dimensions
 * mapped by the rules' `erp:` section. Refuses an unbalanced journal (LedgerImbalanceError):
 * no ledger should be handed one.
 */
export function exportJournal(entries: readonly JournalEntry[], profileName: ErpProfileName | string, mapping: ErpMapping = emptyMapping()): ErpExport {
  const profile = erpProfile(profileName, "profile");
  requireSettings(profile, mapping, "the rules file (or the mapping's settings)");
  assertBalanced(entries);
  // By journal id, as the register reads a period back: a close's file and a later export are the same bytes.
  const ordered = [...entries].sort((a, b) => (a.journalId < b.journalId ? -1 : a.journalId > b.journalId ? 1 : 0));
  const x = profileContext(profile, mapping);
  let text = profile.header ? csvLine(profile.columns) : "";
  let lines = 0;
  for (const row of profile.rows(ordered, x)) {
    text += csvLine(row);
    lines++;
  }
  const warnings: string[] = [];
  // Warned of, not refused: a rules file that set it loads as it always did (verify of its closes included).
  const dates = profile.dateFormats;
  if (dates && mapping.dateFormat !== undefined && !dates.formats.includes(mapping.dateFormat)) {
    warnings.push(`${profile.name}: date_format ${mapping.dateFormat} is not one the ledger's import reads (${dates.formats.join(" or ")}: ${dates.why}); set erp: ${profile.name}: date_format: to one of them`);
  }
  const ref = profile.limits?.reference;
  const long = ref ? entries.filter((e) => e.journalId.length > ref.max) : [];
  if (ref && long.length) {
    warnings.push(
      `${profile.name}: ${long.length} journal id${long.length === 1 ? "" : "s"} longer than the ${ref.max} characters ${profile.name}'s ${ref.name} holds (first: ${long[0]!.journalId}); shorten the project short names or edit the file before importing`,
    );
  }
  // A map that names some accounts but not all the journal uses is most likely one missing a
  // line: the rest would go to the ledger as fiber-capex's codes (or names), which it may not have.
  const names = new Map(entries.flatMap((e) => e.postings.map((p) => [p.account, p.accountName] as const)));
  const unmapped = mapping.accounts.size ? [...names.keys()].filter((a) => !mapping.accounts.has(a)).sort() : [];
  if (unmapped.length) {
    const one = unmapped.length === 1;
    // As the file writes them: by name where the ledger matches accounts by name.
    const shown = profile.defaultAccount === "name" ? unmapped.map((a) => `${a} (as "${names.get(a)}")`) : unmapped;
    warnings.push(
      `${profile.name}: account${one ? "" : "s"} ${shown.join(", ")} of the journal ${one ? "has" : "have"} no line under erp: ${profile.name}: accounts: in the rules and ${one ? "goes" : "go"} to ${profile.name} as ${profile.defaultAccount === "name" ? "fiber-capex's account name" : "fiber-capex's code"}; map ${one ? "it" : "them"} if the ledger's chart differs`,
    );
  }
  const max = profile.limits?.linesPerFile;
  if (max !== undefined && lines > max) {
    warnings.push(`${profile.name}: ${lines} lines, more than the ${max} one ${profile.name} import takes; import the file in parts of at most ${max} lines, whole journals each`);
  }
  return { profile: profile.name, text, lines, warnings };
}
