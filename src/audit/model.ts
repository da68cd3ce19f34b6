import type { CostElement } from "../capitalize/outcomes.js";
import type { ContinuityRow, RollforwardRow } from "../close/close.js";
import type { Identity } from "../close/identities.js";
import type { Cents } from "../money.js";
import type { AdjustmentRow, DisposalRow } from "../register/reconcile.js";
import type { GlBookRow } from "../register/store.js";

/**
 * What the audit report of one closed period holds (DESIGN §9), gathered from the register
 * alone. The PDF and audit-sample.csv are renderings of this; the library returns it typed.
 */
export interface AuditReport {
  period: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  scope: AuditScope;
  rollforward: RollforwardRow[];
  /** Opening = the previous period's closing as the register posted it (absent for a first close). */
  continuity: ContinuityRow[] | undefined;
  /** Register = take-on + every journal line, per class account (both sides). */
  ledgerTie: Array<{ account: string; accountName: string; faClass: string; ledger: Cents; register: Cents }>;
  identities: Identity[];
  journalsBySource: Array<{ source: string; entries: number; lines: number; debit: Cents; credit: Cents }>;
  additions: AuditAddition[];
  adjustments: AdjustmentRow[];
  disposals: DisposalRow[];
  exceptions: AuditException[];
  cutoff: CutoffTask[];
  reasonableness: Array<{ faClass: string; cost: Cents; expected: Cents; recorded: Cents; difference: Cents }>;
  sample: AuditSample;
  /** Additions by class for the last twelve closed periods, oldest first (the chart). */
  additionsByPeriod: Array<{ period: string; byClass: Record<string, Cents> }>;
}

export interface AuditScope {
  company: string | undefined;
  rulesFile: string;
  rulesVersion: string;
  rulesSha256: string;
  snapshotSha256: string;
  snapshotFetchedAt: string;
  /** The close was provisional (--allow-open-period): the snapshot was fetched before the period ended. */
  provisional: boolean;
  registerDigestBefore: string;
  registerLocation: string;
  toolVersionAtClose: string;
  toolVersionNow: string;
  closedAt: string;
  closedBy: string;
  generatedAt: string;
  outputHashes: Record<string, string>;
  /**
   * Earlier closes of this period that a reopen removed, oldest first, as the register logged
   * them: the report is of the close that stands. Absent from a report of a register without a
   * reopen log, or whose period was never reopened.
   */
  reopens?: Array<{ reopenedAt: string; reopenedBy: string; reason: string; closedAt: string; closedBy: string }> | undefined;
}

export interface AuditAddition {
  assetId: string;
  project: string;
  taskId: number;
  taskType: string;
  faClass: string;
  inServiceDate: string;
  cost: Cents;
  /** addition, late_addition or cost_change: what brought the amount into the period. */
  kind: string;
}

export interface AuditException {
  project: string;
  taskId: number | undefined;
  taskType: string | undefined;
  code: string;
  message: string;
  /** The first closed period in which the register saw this exception, and how many closes it has stayed open. */
  openSince: string;
  periodsOpen: number;
}

/** A task approved within three days either side of the period end. */
export interface CutoffTask {
  project: string;
  taskId: number;
  taskType: string;
  approvedAtUtc: string;
  approvedAtLocal: string;
  timeZone: string;
  inServiceDate: string;
  /** The period the task's in-service date falls in, and what the close made of it. */
  periodLanded: string;
  outcome: string;
  amount: Cents;
}

export interface AuditSample {
  method: "monetary unit sampling";
  /** Confidence level (0.95), tolerable misstatement and expected misstatement in cents. */
  confidence: number;
  tolerable: Cents;
  expectedMisstatement: Cents;
  reliabilityFactor: number;
  population: Cents;
  populationItems: number;
  /** Sampling interval J; every item of J or more is taken whole (the top stratum). */
  interval: Cents;
  seed: string;
  /** Given with --sample N (then the interval is population / N). */
  requestedSize: number | undefined;
  /** n, from the guide's formula or --sample: auditors document it; the items taken are fewer when the top stratum spans several intervals. */
  plannedSize: number;
  /** The random start in [0, J), derived from the seed: where the first sampling point fell. */
  start: Cents;
  /** Zero and negative amounts (cost decreases) carry no monetary units and cannot be drawn; how many were left out. */
  excludedItems: number;
  items: SampledItem[];
}

export interface SampledItem {
  assetId: string;
  selection: "top stratum" | "sampling point";
  /** Where the sampling point fell, in cents from the start of the population (top stratum: none). */
  point: Cents | undefined;
  kind: string;
  project: string;
  taskId: number;
  taskType: string;
  faClass: string;
  approvedBy: string | undefined;
  approvedAtUtc: string | undefined;
  approvedAtLocal: string | undefined;
  timeZone: string;
  timeZoneDefaulted: boolean;
  inServiceDate: string;
  /** The asset's cost now. */
  cost: Cents;
  /**
   * The item's amount in the sample's population, what the sampling walked over and what the
   * sample's table lists and totals: an addition's cost, or a cost change's change (which
   * `cost` includes). Never more than the population holds for it.
   */
  sampledAmount: Cents;
  ruleId: string;
  rulesVersion: string;
  lifeMonths: number;
  method: string;
  convention: string;
  elements: CostElement[];
  /** The asset's GL depreciation posted so far, by period. */
  schedule: GlBookRow[];
  /** The journal lines the asset reached (entries are per project and class: the asset is part of each line). */
  journalLines: Array<{ period: string; journalId: string; line: number; account: string; debit: Cents; credit: Cents; memo: string }>;
  location: { streetAddress: string | undefined; roadName: string | undefined; workPackage: string | undefined; longitude: number | undefined; latitude: number | undefined };
  photos: readonly string[];
}
