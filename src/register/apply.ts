import type { JournalEntry } from "../ledger/journal.js";
import type { Cents } from "../money.js";
import { type AssetBalance, type AssetEvent, type ClassBalance, expensedKey, ledgerKey, type RegisterState } from "./model.js";

/** The parts of a close's result (CloseResult) that change the register. */
export interface PostedClose {
  period: string;
  journal: readonly JournalEntry[];
  posting: {
    events: readonly AssetEvent[];
    balances: readonly AssetBalance[];
    classes: readonly ClassBalance[];
    openingBalances: ReadonlyArray<{ account: string; faClass: string; balance: Cents }>;
    expensed: ReadonlyArray<{ project: string; taskId: number; amount: Cents; account: string; faClass: string }>;
  };
}

/**
 * The register's state after a period's posting, computed in memory: what the store's
 * loadState reads back once the posting is committed (a test holds the two to each other).
 * An asset's record, status and rebase are those of its latest event, its retirements those of
 * all its retirement events; its accumulated depreciation is the period's balance, and
 * nothing for an asset with none (withdrawn or retired). Pure: `state` is not changed.
 */
export function applyPosting(state: RegisterState, result: PostedClose): RegisterState {
  const posting = result.posting;
  const assets = new Map(state.assets);
  const balances = new Map(posting.balances.map((b) => [b.assetId, b.accumulated]));
  // The period's balances replace the previous ones; an asset the period did not carry has none.
  for (const [id, a] of assets) assets.set(id, { ...a, accumulated: balances.get(id) ?? 0 });
  for (const e of posting.events) {
    const prior = assets.get(e.assetId);
    const retirements = e.kind === "retirement" ? [...(prior?.retirements ?? []), { period: result.period, cost: -e.costChange }] : prior?.retirements;
    assets.set(e.assetId, { source: prior?.source ?? e.source, record: e.record, status: e.status, rebase: e.rebase, accumulated: balances.get(e.assetId) ?? 0, retirements });
  }
  const expensed = new Map(state.expensed);
  for (const x of posting.expensed) {
    const key = expensedKey(x.project, x.taskId);
    expensed.set(key, { amount: (expensed.get(key)?.amount ?? 0) + x.amount, account: x.account, faClass: x.faClass });
  }
  const ledger = new Map(state.ledger);
  const bump = (account: string, faClass: string, amount: Cents) => {
    const k = ledgerKey(account, faClass);
    ledger.set(k, (ledger.get(k) ?? 0) + amount);
  };
  for (const o of posting.openingBalances) bump(o.account, o.faClass, o.balance);
  for (const e of result.journal) for (const l of e.postings) bump(l.account, l.faClass, l.debit - l.credit);
  return {
    lastClosed: result.period,
    firstClosed: state.firstClosed ?? result.period,
    closes: state.closes + 1,
    assets,
    expensed,
    classes: new Map(posting.classes.map((c) => [c.faClass, { ...c }])),
    ledger,
  };
}
