import { IdentityError } from "../errors.js";
import { entryTotals, sourceDebits } from "../ledger/journal.js";
import { type Cents, formatCents } from "../money.js";
import type { CloseResult } from "./close.js";

/** One identity of DESIGN §4 with both sides, as the manifest and the Summary sheet show it. */
export interface Identity {
  name: string;
  left: string;
  right: string;
  holds: boolean;
}

/**
 * Checks the identities every run must satisfy, as functions of the results (not of the
 * writers). Throws IdentityError on the first that does not hold: a bug, never written.
 */
export function checkIdentities(r: CloseResult): Identity[] {
  const out: Identity[] = [];
  const money = (name: string, left: Cents, right: Cents) => out.push({ name, left: formatCents(left), right: formatCents(right), holds: left === right });
  const count = (name: string, left: number, right: number) => out.push({ name, left: String(left), right: String(right), holds: left === right });

  let debit = 0;
  let credit = 0;
  let unbalanced = 0;
  for (const e of r.journal) {
    const t = entryTotals(e);
    debit += t.debit;
    credit += t.credit;
    if (t.debit !== t.credit) unbalanced++;
  }
  money(`every journal balances: Σ debit = Σ credit (${r.journal.length} entries)`, debit, credit);
  count("journal entries that do not balance", unbalanced, 0);

  const classes = r.rollforward.filter((row) => row.faClass !== "TOTAL");
  const total = r.rollforward.find((row) => row.faClass === "TOTAL")!;
  const broken = (f: (row: (typeof classes)[number]) => boolean) => r.rollforward.filter((row) => !f(row)).length;
  const costRolls = (x: (typeof classes)[number]) => x.openingCost + x.additions + x.costAdjustments + x.transfers - x.disposals;
  const accumulatedRolls = (x: (typeof classes)[number]) => x.openingAccumulated + x.depreciation + x.accumulatedAdjustments + x.accumulatedTransfers - x.accumulatedOnDisposals;
  money("rollforward: opening_cost + additions + cost_adjustments + transfers − disposals = closing_cost", costRolls(total), total.closingCost);
  count("rollforward rows where cost does not roll forward", broken((x) => costRolls(x) === x.closingCost), 0);
  money(
    "rollforward: opening_accumulated + depreciation + accumulated_adjustments + accumulated_transfers − accumulated_on_disposals = closing_accumulated",
    accumulatedRolls(total),
    total.closingAccumulated,
  );
  count(
    "rollforward rows where accumulated does not roll forward, or nbv ≠ cost − accumulated",
    broken((x) => accumulatedRolls(x) === x.closingAccumulated && x.openingNbv === x.openingCost - x.openingAccumulated && x.closingNbv === x.closingCost - x.closingAccumulated),
    0,
  );
  const sum = (f: (row: (typeof classes)[number]) => Cents) => classes.reduce((s, x) => s + f(x), 0);
  money("rollforward TOTAL closing_cost = Σ class rows", total.closingCost, sum((x) => x.closingCost));
  money("rollforward TOTAL closing_accumulated = Σ class rows", total.closingAccumulated, sum((x) => x.closingAccumulated));
  money("rollforward transfers sum to zero over the classes", sum((x) => x.transfers), 0);
  money("rollforward accumulated_transfers sum to zero over the classes", sum((x) => x.accumulatedTransfers), 0);
  money("register: Σ cost of assets at period end = rollforward TOTAL closing_cost", r.register.reduce((s, e) => s + e.asset.cost, 0), total.closingCost);
  money(
    "register: Σ accumulated of assets at period end + group reserve = rollforward TOTAL closing_accumulated",
    r.register.reduce((s, e) => s + e.accumulated, 0) + r.posting.classes.reduce((s, c) => s + c.reserve, 0),
    total.closingAccumulated,
  );
  if (r.ties.continuity) {
    const t = r.ties.continuity;
    money("continuity: opening cost = closing cost the register posted for the previous period (+ taken on now)", sum((x) => x.openingCost), t.reduce((s, x) => s + x.postedCost, 0));
    money(
      "continuity: opening accumulated = closing accumulated the register posted for the previous period (+ taken on now)",
      sum((x) => x.openingAccumulated),
      t.reduce((s, x) => s + x.postedAccumulated, 0),
    );
    count("classes whose opening balances differ from the register's previous closing", t.filter((x) => x.postedCost !== x.openingCost || x.postedAccumulated !== x.openingAccumulated).length, 0);
  }
  money(
    "GL tie: take-on balance + every journal line posted to the class asset accounts = register cost",
    r.ties.ledger.filter((_, i) => i % 2 === 0).reduce((s, x) => s + x.ledger, 0),
    r.ties.ledger.filter((_, i) => i % 2 === 0).reduce((s, x) => s + x.register, 0),
  );
  money(
    "GL tie: take-on balance + every journal line posted to the class accumulated depreciation accounts = register accumulated",
    r.ties.ledger.filter((_, i) => i % 2 === 1).reduce((s, x) => s + x.ledger, 0),
    r.ties.ledger.filter((_, i) => i % 2 === 1).reduce((s, x) => s + x.register, 0),
  );
  count("class accounts whose ledger balance differs from the register", r.ties.ledger.filter((x) => x.ledger !== x.register).length, 0);

  const registerDepreciation = r.register.reduce((s, e) => s + e.amount, 0);
  money("rollforward depreciation = depreciation journal debits", total.depreciation, sourceDebits(r.journal, "depreciation"));
  money("depreciation journal debits = Σ depreciation.csv (GL book)", sourceDebits(r.journal, "depreciation"), registerDepreciation);
  const additionsCost = r.additions.reduce((s, e) => s + e.asset.cost, 0);
  money("disposal journal: Σ cost retired = rollforward disposals", r.disposals.reduce((s, d) => s + d.costRetired, 0), total.disposals);
  money("rollforward additions = capitalization journal debits", total.additions, sourceDebits(r.journal, "capitalization"));
  money("capitalization journal debits = Σ additions.csv cost", sourceDebits(r.journal, "capitalization"), additionsCost);
  let expenseNet = 0;
  for (const e of r.journal) if (e.source === "expense") for (const p of e.postings) if (p.account !== r.cipAccount) expenseNet += p.debit - p.credit;
  money("expense journal: net to expense accounts = Σ expense posted in the period", expenseNet, r.controlTotals.expensedInPeriod);
  money("register: Σ cost − Σ accumulated = Σ net book value", r.register.reduce((s, e) => s + e.asset.cost - e.accumulated, 0), r.register.reduce((s, e) => s + e.netBookValue, 0));

  const taskExceptions = r.exceptions.filter((e) => e.taskId !== undefined || e.severity === "error");
  const approvedInScope = r.counts.tasksRead - r.counts.notApproved - r.counts.approvedAfterPeriod;
  count(
    "completeness: approved tasks in service by period end = register (from this snapshot) + expensed + exceptions + wholly retired",
    approvedInScope,
    r.counts.registerFromSnapshot + r.expensed.length + taskExceptions.length + r.counts.retiredInSnapshot,
  );
  // Task ids per project as integers: a million of them cost a few MB, not a string each.
  const seen = new Map<string, Set<number>>();
  let twice = 0;
  const note = (project: string, taskId: number | undefined) => {
    if (taskId === undefined) return;
    let ids = seen.get(project);
    if (!ids) seen.set(project, (ids = new Set()));
    if (ids.has(taskId)) twice++;
    else ids.add(taskId);
  };
  for (const e of r.register) if (e.source === "render") note(e.asset.project, e.asset.taskId);
  for (const e of r.expensed) note(e.project, e.taskId);
  for (const e of taskExceptions) note(e.project, e.taskId);
  count("tasks in more than one of register, expensed, exceptions", twice, 0);

  const failed = out.find((i) => !i.holds);
  if (failed) throw new IdentityError(failed.name, failed.left, failed.right);
  return out;
}
