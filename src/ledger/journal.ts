import { LedgerImbalanceError } from "../errors.js";
import { type Cents, formatCents } from "../money.js";

export type JournalSource = "capitalization" | "expense" | "depreciation" | "adjustment" | "disposal";

const PREFIX: Record<JournalSource, string> = { capitalization: "CAP", expense: "EXP", depreciation: "DEP", adjustment: "ADJ", disposal: "DSP" };

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
  const prefix = PREFIX[source];
  const entries: JournalEntry[] = [];
  for (const project of [...amounts.keys()].sort()) {
    const postings: Posting[] = [];
    const byKey = amounts.get(project)!;
    for (const key of [...byKey.keys()].sort()) {
      const a = byKey.get(key)!;
      if (a.amount === 0) continue;
      // A negative amount (a reversal) posts the other way round, so no line carries a negative.
      const [dr, cr, amount] = a.amount > 0 ? [a.debitAccount, a.creditAccount, a.amount] : [a.creditAccount, a.debitAccount, -a.amount];
      postings.push({ account: dr, accountName: accountName(dr), debit: amount, credit: 0, memo: a.memo, project, faClass: a.faClass });
      postings.push({ account: cr, accountName: accountName(cr), debit: 0, credit: amount, memo: a.memo, project, faClass: a.faClass });
    }
    if (postings.length) entries.push({ journalId: `${prefix}-${period}-${project}`, date, period, source, project, currency, postings });
  }
  return entries;
}

/**
 * Builds entries from signed amounts per account (debit positive): what each movement adds is
 * balanced by construction, and each (class, memo, account) becomes one line, a debit or a
 * credit by its sign. Used where one movement touches more than two accounts (retirements,
 * reclassifications).
 */
export class PostingBook {
  private readonly byProject = new Map<string, Map<string, { account: string; faClass: string; memo: string; amount: Cents }>>();

  add(project: string, faClass: string, memo: string, account: string, amount: Cents): void {
    if (amount === 0) return;
    let lines = this.byProject.get(project);
    if (!lines) this.byProject.set(project, (lines = new Map()));
    const key = `${faClass}\u0000${memo}\u0000${account}`;
    const cur = lines.get(key);
    if (cur) cur.amount += amount;
    else lines.set(key, { account, faClass, memo, amount });
  }

  /** Dr `debit` / Cr `credit` for `amount` (a negative amount posts the other way). */
  pair(project: string, faClass: string, memo: string, debit: string, credit: string, amount: Cents): void {
    this.add(project, faClass, memo, debit, amount);
    this.add(project, faClass, memo, credit, -amount);
  }

  entries(source: JournalSource, period: string, date: string, currency: string, accountName: (account: string) => string): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (const project of [...this.byProject.keys()].sort()) {
      const lines = this.byProject.get(project)!;
      const postings: Posting[] = [];
      // By class and memo, debits before credits within each, as an accountant writes an entry.
      const ordered = [...lines.values()].sort(
        (a, b) => (a.faClass < b.faClass ? -1 : a.faClass > b.faClass ? 1 : a.memo < b.memo ? -1 : a.memo > b.memo ? 1 : Number(a.amount < 0) - Number(b.amount < 0) || (a.account < b.account ? -1 : 1)),
      );
      for (const l of ordered) {
        if (l.amount === 0) continue;
        postings.push({ account: l.account, accountName: accountName(l.account), debit: Math.max(l.amount, 0), credit: Math.max(-l.amount, 0), memo: l.memo, project, faClass: l.faClass });
      }
      if (postings.length) out.push({ journalId: `${PREFIX[source]}-${period}-${project}`, date, period, source, project, currency, postings });
    }
    return out;
  }
}
