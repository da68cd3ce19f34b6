import type { Cents } from "../money.js";
import type { Convention, DecliningBalanceYears, Method, Rounding } from "../depreciation/types.js";

/** How one element of an asset's cost was found: the audit trail of its price. */
export interface CostElement {
  source: "line_amount" | "line_rate" | "rate_card" | "task_type_rate";
  /** Index in the task's units[], absent for the task-quantity basis. */
  line: number | undefined;
  unitCode: string | undefined;
  quantity: string | undefined;
  uom: string | undefined;
  rate: string | undefined;
  rateId: string | undefined;
  amount: Cents;
}

export interface AssetLocation {
  streetAddress: string | undefined;
  roadName: string | undefined;
  workPackage: string | undefined;
  subsector: string | undefined;
  /** A representative point of the geometry (its first coordinate), WGS84. */
  longitude: number | undefined;
  latitude: number | undefined;
}

/** What a continuing property record needs of one capitalized task. */
export interface AssetRecord {
  assetId: string;
  project: string;
  taskId: number;
  taskType: string;
  description: string;
  faClass: string;
  quantity: string | undefined;
  uom: string | undefined;
  location: AssetLocation;
  inServiceDate: string;
  approvedBy: string | undefined;
  /** The approval instant exactly as Render gave it, and the zone that made it the in-service date. */
  approvedAt: string | undefined;
  timeZone: string;
  /** True when Render held no zone for the project and the rules' default was used. */
  timeZoneDefaulted: boolean;
  /** Photo references Render holds for the task (audit evidence). */
  photos: readonly string[];
  cost: Cents;
  salvage: Cents;
  elements: CostElement[];
  /** The rule applied (the task type's key in the rules file) and the rates used. */
  ruleId: string;
  rateIds: string[];
  lifeMonths: number;
  method: Method;
  convention: Convention;
  decliningBalanceRate: string;
  /**
   * Present only when the rule departs from the default (switch on, cumulative rounding, the
   * convention's declining-balance years), so records written before these settings existed
   * read the same and every output stays as it was.
   */
  switchToStraightLine?: boolean;
  rounding?: Rounding;
  decliningBalanceYears?: DecliningBalanceYears;
}

export type ExpenseReason = "EXPENSE_TREATMENT" | "BELOW_THRESHOLD" | "NO_FINANCIAL_EFFECT";

export interface ExpensedItem {
  project: string;
  taskId: number;
  taskType: string;
  treatment: "expense" | "none";
  amount: Cents;
  reason: ExpenseReason;
  account: string | undefined;
  inServiceDate: string;
  elements: CostElement[];
}

export const EXCEPTION_CODES = [
  "UNMAPPED_TASK_TYPE",
  "NO_COST_BASIS",
  "UNKNOWN_UNIT_CODE",
  "INVALID_TASK",
  "MISSING_APPROVAL_DATE",
  "IMPLAUSIBLE_DATE",
  "DUPLICATE_ASSET_ID",
  "NEGATIVE_QUANTITY",
  "NEGATIVE_AMOUNT",
  "NO_TIME_ZONE",
] as const;
export type ExceptionCode = (typeof EXCEPTION_CODES)[number];

export interface ExceptionRow {
  project: string;
  taskId: number | undefined;
  taskType: string | undefined;
  code: ExceptionCode;
  message: string;
  /** Warnings (NO_TIME_ZONE) concern a project, not a task, and stop nothing. */
  severity: "error" | "warning";
  inServiceDate: string | undefined;
}

export type Outcome =
  | { kind: "asset"; asset: AssetRecord }
  | { kind: "expensed"; item: ExpensedItem }
  | { kind: "exception"; exception: ExceptionRow }
  | { kind: "not_approved" };
