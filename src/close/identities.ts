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
  money("rollforward: opening_cost + additions − disposals = closing_cost", total.openingCost + total.additions - total.disposals, total.closingCost);
  count("rollforward rows where opening_cost + additions − disposals ≠ closing_cost", broken((x) => x.openingCost + x.additions - x.disposals === x.closingCost), 0);
  money("rollforward: opening_accumulated + depreciation = closing_accumulated", total.openingAccumulated + total.depreciation, total.closingAccumulated);
  count(
    "rollforward rows where accumulated does not roll forward, or nbv ≠ cost − accumulated",
    broken(
      (x) =>
        x.openingAccumulated + x.depreciation === x.closingAccumulated &&
        x.openingNbv === x.openingCost - x.openingAccumulated &&
        x.closingNbv === x.closingCost - x.closingAccumulated,
    ),
    0,
  );
  const sum = (f: (row: (typeof classes)[number]) => Cents) => classes.reduce((s, x) => s + f(x), 0);
  money("rollforward TOTAL closing_cost = Σ class rows", total.closingCost, sum((x) => x.closingCost));
  money("rollforward TOTAL closing_accumulated = Σ class rows", total.closingAccumulated, sum((x) => x.closingAccumulated));

  const registerDepreciation = r.register.reduce((s, e) => s + e.amount, 0);
  money("rollforward depreciation = depreciation journal debits", total.depreciation, sourceDebits(r.journal, "depreciation"));
  money("depreciation journal debits = Σ depreciation.csv (GL book)", sourceDebits(r.journal, "depreciation"), registerDepreciation);
  const additionsCost = r.additions.reduce((s, e) => s + e.asset.cost, 0);
  money("rollforward additions = capitalization journal debits", total.additions, sourceDebits(r.journal, "capitalization"));
  money("capitalization journal debits = Σ additions.csv cost", sourceDebits(r.journal, "capitalization"), additionsCost);
  money("expense journal debits = Σ expensed in the period", sourceDebits(r.journal, "expense"), r.controlTotals.expensedInPeriod);
  money("register: Σ cost − Σ accumulated = Σ net book value", r.register.reduce((s, e) => s + e.asset.cost - e.accumulated, 0), r.register.reduce((s, e) => s + e.netBookValue, 0));

  const taskExceptions = r.exceptions.filter((e) => e.taskId !== undefined || e.severity === "error");
  const approvedInScope = r.counts.tasksRead - r.counts.notApproved - r.counts.approvedAfterPeriod;
  count("completeness: approved tasks in service by period end = register + expensed + exceptions", approvedInScope, r.register.length + r.expensed.length + taskExceptions.length);
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
  for (const e of r.register) note(e.asset.project, e.asset.taskId);
  for (const e of r.expensed) note(e.project, e.taskId);
  for (const e of taskExceptions) note(e.project, e.taskId);
  count("tasks in more than one of register, expensed, exceptions", twice, 0);

  const failed = out.find((i) => !i.holds);
  if (failed) throw new IdentityError(failed.name, failed.left, failed.right);
  return out;
}
