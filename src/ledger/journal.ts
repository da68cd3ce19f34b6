import { LedgerImbalanceError } from "../errors.js";
import { type Cents, formatCents } from "../money.js";

export type JournalSource = "capitalization" | "expense" | "depreciation";

export interface Posting {
  account: string;
  accountName: string;
  debit: Cents;
  credit: Cents;
  memo: string;
  project: string;
  faClass: string;
}

/** A dated journal entry: postings that must balance (hledger's habit). */
export interface JournalEntry {
  journalId: string;
  date: string;
  period: string;
  source: JournalSource;
  project: string;
  currency: string;
  postings: Posting[];
}

export function entryTotals(entry: JournalEntry): { debit: Cents; credit: Cents } {
  let debit = 0;
  let credit = 0;
  for (const p of entry.postings) {
    debit += p.debit;
    credit += p.credit;
  }
  return { debit, credit };
}

/** Every entry balances to the cent, or the run stops: an unbalanced journal is a bug. */
export function assertBalanced(entries: Iterable<JournalEntry>): void {
  for (const e of entries) {
    const { debit, credit } = entryTotals(e);
    if (debit !== credit) throw new LedgerImbalanceError(e.journalId, formatCents(debit), formatCents(credit));
  }
}

/** Σ debits over the entries of one source. */
export function sourceDebits(entries: Iterable<JournalEntry>, source: JournalSource): Cents {
  let total = 0;
  for (const e of entries) if (e.source === source) total += entryTotals(e).debit;
  return total;
}

/**
 * Builds one entry per project for a source from amounts keyed by (debit account, credit
 * account, class): a debit and a credit posting per key, so the class dimension is on both
 * sides. Keys with a zero amount are left out; a project with nothing posts no entry.
 */
export function buildEntries(
  source: JournalSource,
  period: string,
  date: string,
  currency: string,
  accountName: (account: string) => string,
  amounts: Map<string, Map<string, { debitAccount: string; creditAccount: string; faClass: string; amount: Cents; memo: string }>>,
): JournalEntry[] {
  const prefix = source === "capitalization" ? "CAP" : source === "expense" ? "EXP" : "DEP";
  const entries: JournalEntry[] = [];
  for (const project of [...amounts.keys()].sort()) {
    const postings: Posting[] = [];
    const byKey = amounts.get(project)!;
    for (const key of [...byKey.keys()].sort()) {
      const a = byKey.get(key)!;
      if (a.amount === 0) continue;
      postings.push({ account: a.debitAccount, accountName: accountName(a.debitAccount), debit: a.amount, credit: 0, memo: a.memo, project, faClass: a.faClass });
      postings.push({ account: a.creditAccount, accountName: accountName(a.creditAccount), debit: 0, credit: a.amount, memo: a.memo, project, faClass: a.faClass });
    }
    if (postings.length) entries.push({ journalId: `${prefix}-${period}-${project}`, date, period, source, project, currency, postings });
  }
  return entries;
}
