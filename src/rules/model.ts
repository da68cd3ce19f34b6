import type { Dec } from "../money.js";
import type { RulesProblem } from "../errors.js";
import type { ErpMapping, ErpProfileName } from "../erp/mapping.js";
import type { Convention, DecliningBalanceYears, Method, RecoveryYears, Rounding } from "../depreciation/types.js";

export const TREATMENTS = ["capitalize", "expense", "none"] as const;
export type Treatment = (typeof TREATMENTS)[number];

export interface FaClassRule {
  name: string;
  assetAccount: string;
  accumulatedDepreciationAccount: string;
  depreciationExpenseAccount: string;
  fccPart32Account: string | undefined;
  taxRecoveryYears: RecoveryYears;
}

export interface TaskTypeRule {
  name: string;
  treatment: Treatment;
  faClass: string | undefined;
  lifeMonths: number | undefined;
  description: string;
  unit: string | undefined;
  expenseAccount: string | undefined;
  perUnitThreshold: Dec | undefined;
  method: Method;
  convention: Convention;
  salvagePercent: Dec;
  decliningBalanceRate: Dec;
  switchToStraightLine: boolean;
  rounding: Rounding;
  /** Resolved: the rules' choice, else the convention's default. */
  decliningBalanceYears: DecliningBalanceYears;
  /** Shared strings each asset of this type carries (one string, not one per asset). */
  ruleId: string;
  decliningBalanceRateText: string;
}

export interface RateEntry {
  id: string;
  unitCode: string | undefined;
  taskType: string | undefined;
  uom: string | undefined;
  rate: Dec;
  effectiveFrom: string;
}

/** A loaded, checked rules file: everything the engine needs, typed. */
export interface Rules {
  file: string;
  sha256: string;
  version: string;
  currency: string;
  fiscalYearStartMonth: number;
  defaultTimeZone: string;
  threshold: Dec;
  belowThresholdAccount: string;
  taxBonusPercent: Dec;
  accounts: Map<string, string>;
  cipAccount: string;
  classes: Map<string, FaClassRule>;
  taskTypes: Map<string, TaskTypeRule>;
  /** Newest first, so the first entry on or before a date is the one in force. */
  ratesByUnitCode: Map<string, RateEntry[]>;
  ratesByTaskType: Map<string, RateEntry[]>;
  /** DESIGN §8: how a change found after a period was closed reaches the books. */
  changesAfterClose: "catch_up" | "prospective";
  /** DESIGN §8: gain or loss per retirement, or FCC Part 32 group accounting. */
  retirementAccounting: "gain_loss" | "group";
  /** Accounts retirements post to; required only when a close retires something. */
  disposal: { clearingAccount: string; gainAccount: string; lossAccount: string } | undefined;
  /** DESIGN §10: how each ledger's import file maps accounts and dimensions (the `erp:` section). */
  erp: Map<ErpProfileName, ErpMapping>;
  /** The depreciation section's defaults, for assets that no task type describes (capex register import). */
  depreciationDefaults: { method: Method; convention: Convention; decliningBalanceRateText: string };
  warnings: RulesProblem[];
}

/** The rate in force on `date`: the latest effective_from on or before it. */
export function rateInForce(entries: RateEntry[] | undefined, date: string): RateEntry | undefined {
  if (!entries) return undefined;
  for (const e of entries) if (e.effectiveFrom <= date) return e;
  return undefined;
}
