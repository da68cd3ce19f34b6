/**
 * fiber-capex as a library, for ERP integration jobs: typed functions for each stage, typed
 * errors, no console output and no process.exit. ESM only.
 *
 *   const snapshot = await openSnapshot("snapshots/2026-11-02");
 *   const rules = await loadDefaultRules(); // or loadRules("my-rules.yaml")
 *   const result = await closePeriod({ snapshot, rules, period: "2026-10" });
 *   await writeCloseOutputs(result, rules, { out: "out/2026-10" });
 */

// Errors
export {
  CapexError,
  type CapexErrorCode,
  ConfigError,
  type FastApiDetail,
  IdentityError,
  InputError,
  LedgerImbalanceError,
  PeriodOrderError,
  RegisterBusyError,
  RegisterError,
  RegisterInputError,
  RegisterOpenError,
  OutputFolderError,
  RenderAuthError,
  RenderError,
  RenderQuotaError,
  RenderRequestError,
  RenderResponseError,
  RenderUnavailableError,
  RenderValidationError,
  RulesError,
  type RulesProblem,
  SnapshotError,
} from "./errors.js";

// Render: connection, client, fetch to a snapshot
export { connectionFromEnv, loadEnv, normalizeBaseUrl, type RenderConnection } from "./render/config.js";
export { type ClientStats, RenderClient, type RenderClientOptions } from "./render/client.js";
export { limiterSettings, RENDER_LIMITS } from "./render/limits.js";
export { credentialKey, DailyQuota, defaultQuotaFile } from "./render/quota.js";
export { DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy } from "./render/retry-policy.js";
export type { Project, Task, TaskFields, TaskType, UnitLine } from "./render/schemas.js";
export { taskSchema } from "./render/schemas.js";
export type { HttpRequest, HttpResponse, Transport } from "./render/transport.js";
export { TransportError, undiciTransport } from "./render/transport.js";
export { DEFAULT_STATUSES, type FetchOptions, type FetchSummary, fetchSnapshot } from "./snapshot/fetch.js";

// Output folders: what a writer may replace (checked before any work)
export { checkOutputFolder, type OutputFolderKind } from "./atomic-dir.js";

// Snapshots
export { openSnapshot, type Snapshot, type SnapshotRecord } from "./snapshot/reader.js";
export { checkSnapshotFolder, SNAPSHOT_FOLDER, SNAPSHOT_FORMAT, type SnapshotFolderOptions, type SnapshotManifest } from "./snapshot/writer.js";

// Rules
export { checkRulesText, coverageWarnings, loadRules } from "./rules/load.js";
export { BUNDLED_RULES_NAME, defaultRulesFile, loadDefaultRules } from "./package-info.js";
export { rateInForce, type Rules, type TaskTypeRule } from "./rules/model.js";

// Capitalization
export { type Classification, Classifier, classifyRecords, classifyTask } from "./capitalize/classify.js";
export type { AssetRecord, CostElement, ExceptionCode, ExceptionRow, ExpensedItem, Outcome } from "./capitalize/outcomes.js";
export { priceTask } from "./capitalize/price.js";

// Depreciation
export { type BookAsset, DepreciationSchedule, type FiscalYearTotal, fiscalYearOf, type SchedulePeriod, scheduleFor } from "./depreciation/schedule.js";
export { type BookTaxYear, bookToTaxByYear, macrsSchedule, macrsYear, type TaxAsset, type TaxConvention, taxConventionsByYear, type TaxYearRow } from "./depreciation/tax.js";
export { CONVENTIONS, type Convention, METHODS, type Method, type RecoveryYears, TAX_RECOVERY_YEARS } from "./depreciation/types.js";

// The close and its outputs
export { type CloseInput, type CloseResult, type ContinuityRow, classifyForClose, closePeriod, type RegisterEntry, type RollforwardRow, type TaxYearToDate } from "./close/close.js";
export { checkIdentities, type Identity } from "./close/identities.js";
export { latestCompletePeriod } from "./close/period.js";
export { assertBalanced, type JournalEntry, type Posting } from "./ledger/journal.js";
export { CLOSE_FORMAT, CLOSE_OUTPUT_FOLDER, type CloseManifest, checkCloseOutputFolder, type InputPaths, type RegisterOfClose, recordedPath, type WriteOptions, type WriteResult, writeCloseOutputs } from "./report/write.js";

// The journal in each ledger's import layout (DESIGN §10)
export {
  DATE_FORMATS,
  type DateFormat,
  type Dimension,
  DIMENSION_SOURCES,
  type DimensionSource,
  ERP_PROFILE_NAMES,
  type ErpMapping,
  type ErpProfileName,
  emptyMapping,
} from "./erp/mapping.js";
export type { ErpProfile, LedgerLimits, VendorSource } from "./erp/profile.js";
export { checkErpProfiles, ERP_PROFILES, type ErpExport, erpFileName, erpProfile, exportJournal } from "./erp/profiles.js";
export { exportPeriodJournal } from "./erp/register.js";
export { writeNewFile } from "./erp/file.js";

// What the close did, written back to Render as project labels (DESIGN §10)
export { batches, type LabelAddition, type LabelRemoval, marksByProject, type ProjectLabelChanges, projectChanges } from "./label/changes.js";
export { type CurrentLabels, currentLabelsFromApi, currentLabelsFromSnapshot } from "./label/current.js";
export { DEFAULT_LABEL_BATCH, type LabelOptions, type LabelRequests, type LabelSummary, labelTasks } from "./label/label.js";
export { capitalizedLabel, exceptionLabel, type LabelPlan, planFromRegister, type TaskMark } from "./label/plan.js";
export { describeLabelSummary } from "./label/text.js";
export { addLabelToTasks, createLabel, LABEL_TYPE, listProjectLabels, removeLabelFromTasks } from "./render/labels.js";
export { type Label, type LabelTasksAdded, type TaskLabels, taskLabelsOf } from "./render/schemas.js";

// The register: the memory between closes (DESIGN §8)
export { type MonthEndInput, type MonthEndOutcome, runMonthEnd } from "./close/month-end.js";
export { AssetBook } from "./register/book.js";
export {
  type AdjustmentKind,
  type AssetSource,
  type ClassBalance,
  type EarlierRetirementsTax,
  emptyRegisterState,
  type PeriodReport,
  type Rebase,
  type RegisteredAsset,
  stateDigest,
} from "./register/model.js";
export { type AdjustmentRow, type AssetPeriod, type DisposalRow, type Reconciliation, reconcile } from "./register/reconcile.js";
export { checkRetirements, parseRetirements, readRetirements, type RetirementRequest } from "./register/retirements.js";
// The register: what the closes posted, month after month (DESIGN §8)
export { UnknownAssetError } from "./errors.js";
export type { AssetEvent, AssetStatus, ClosedPeriod, EventKind, PeriodPosting, RegisterState, ReopenRecord } from "./register/model.js";
export { type AssetEventRow, type AssetHistory, describeLocation, type GlBookRow, type LoadOptions, type OpenOptions, type PeriodContents, type RegisterLocation, type RegisterStatus, RegisterStore, RegisterTransaction, registerLocation } from "./register/store.js";
export { type AssetStory, assetStory } from "./register/history.js";
export { type ImportInput, type ImportSummary, importAssets, parseTakeOn, REQUIRED_TAKE_ON_COLUMNS, TAKE_ON_COLUMNS, type TakeOnAsset, takeOnPosting, takeOnWarnings } from "./register/import.js";
export { type ReopenOptions, type ReopenResult, reopenPeriod } from "./register/reopen.js";
export { type PeriodSummary, type RegisterSummary, registerSummary } from "./register/summary.js";

// Audit (DESIGN §9)
export { type AuditRun, auditReport, periodOutputFolder } from "./audit/audit.js";
export { AUDIT_SAMPLE_FILE, auditPdfName } from "./audit/files.js";
export { type AuditOptions, defaultSeed, gatherAuditReport } from "./audit/collect.js";
export type { AuditAddition, AuditException, AuditReport, AuditSample, AuditScope, CutoffTask, SampledItem } from "./audit/model.js";
export { type AuditPdfOptions, renderAuditPdf, writeAuditPdf } from "./audit/pdf.js";
export { planSample, type SamplePlan } from "./audit/sample.js";
export { auditSampleCsv, writeAuditSampleCsv } from "./audit/sample-csv.js";

// Audit: recompute a closed period; trace an asset, or a journal entry's lines to their parts
export { type FileCheck, type FileStatus, type VerifyInput, type VerifyResult, verifyPeriod } from "./audit/verify.js";
export { type AssetTrace, type JournalTrace, type LinePart, type TracedLine, traceAsset, traceJournal } from "./audit/trace.js";

// Money
export { type Cents, formatCents } from "./money.js";

// The local Render simulator (tests, demos, integration rehearsals)
export { folderData, generatedData, type SandboxData } from "./sandbox/data.js";
export { type Sandbox, type SandboxOptions, startSandbox } from "./sandbox/server.js";
export { type SandboxLabel, SandboxLabels } from "./sandbox/labels.js";
