/**
 * One error class per failure kind (Stripe's habit). Every message says what went wrong,
 * where, and what to do next. No error ever carries a client secret or a bearer token:
 * request errors name the method and path only, never headers.
 */
/** Every code a CapexError carries: a job can switch over them and have TypeScript check it covers each. */
export type CapexErrorCode =
  | "CONFIG"
  | "INPUT"
  | "SNAPSHOT"
  | "OUTPUT_FOLDER"
  | "RULES_INVALID"
  | "LEDGER_IMBALANCE"
  | "IDENTITY_BROKEN"
  | "REGISTER_BUSY"
  | "REGISTER_INPUT"
  | "REGISTER_INVALID"
  | "REGISTER_NEWER"
  | "REGISTER_ORDER"
  | "REGISTER_UNKNOWN_ASSET"
  | "REGISTER_UNREACHABLE"
  | "RENDER_AUTH"
  | "RENDER_QUOTA"
  | "RENDER_REQUEST"
  | "RENDER_RESPONSE"
  | "RENDER_UNAVAILABLE"
  | "RENDER_VALIDATION";

export class CapexError extends Error {
  readonly code: CapexErrorCode;
  constructor(code: CapexErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad configuration: missing or malformed environment variables, bad URLs. */
export class ConfigError extends CapexError {
  constructor(message: string) {
    super("CONFIG", message);
  }
}

export class RenderError extends CapexError {}

/** Wrong credentials, or credentials made for another Render environment. */
export class RenderAuthError extends RenderError {
  readonly status: number;
  constructor(message: string, status = 401) {
    super("RENDER_AUTH", message);
    this.status = status;
  }
}

/** The credential's daily request quota is used up (counted across runs). */
export class RenderQuotaError extends RenderError {
  readonly used: number;
  readonly limit: number;
  readonly resetsAt: string;
  constructor(used: number, limit: number, resetsAt: string) {
    super(
      "RENDER_QUOTA",
      `Render daily request quota reached: ${used} of ${limit} requests used today (UTC). ` +
        `Nothing was written. The quota resets at ${resetsAt}; run the fetch again after that, ` +
        "or fetch fewer projects (--project).",
    );
    this.used = used;
    this.limit = limit;
    this.resetsAt = resetsAt;
  }
}

export interface FastApiDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** HTTP 422: Render rejected the request's parameters (FastAPI's `detail`). Never retried. */
export class RenderValidationError extends RenderError {
  readonly detail: FastApiDetail[];
  readonly request: string;
  constructor(request: string, detail: FastApiDetail[]) {
    const what = detail.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; ");
    super(
      "RENDER_VALIDATION",
      `Render rejected ${request} (422): ${what || "no detail given"}. Check the command's options (--project, --status).`,
    );
    this.detail = detail;
    this.request = request;
  }
}

/** 5xx, 429, timeouts or dropped connections that outlasted the retry budget. */
export class RenderUnavailableError extends RenderError {
  readonly attempts: number;
  readonly lastStatus: number | undefined;
  readonly request: string;
  /**
   * `origin`: where the request went (its scheme, host and port), so a mistyped URL shows.
   * `detail`: Render's own words with its last refusal (a 429's "Daily request quota exceeded")
   * and `retryAfter` what it asked to wait, when that outlasted the retry budget.
   */
  constructor(request: string, attempts: number, lastProblem: string, lastStatus?: number, more: { origin?: string; detail?: string; retryAfter?: string } = {}) {
    const at = more.origin ? ` at ${more.origin}` : "";
    const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
    const advice =
      lastProblem === "connection failed" || lastProblem === "timed out"
        ? `Nothing was written. Check that RENDER_API_URL (and RENDER_AUTH_URL, for the token) name Render${more.origin ? ` (this was ${more.origin})` : ""} and that it can be reached from here; else Render may be down: try again later.`
        : lastStatus === 429
          ? `Render refused it as over a limit${more.detail ? ` ("${more.detail}")` : ""}${more.retryAfter ? ` and asked to wait ${more.retryAfter} s` : ""}; nothing was written. Try again once that has passed (a daily quota resets after a day).`
          : "Render may be down or overloaded; nothing was written. Try again later.";
    super("RENDER_UNAVAILABLE", `Render${at} did not answer ${request} after ${tries} (last: ${lastProblem}). ${advice}`);
    this.attempts = attempts;
    this.lastStatus = lastStatus;
    this.request = request;
    this.origin = more.origin;
    this.detail = more.detail;
    this.retryAfter = more.retryAfter;
  }
  /** Where the request went (scheme, host, port). */
  readonly origin: string | undefined;
  /** Render's own words with its last refusal, e.g. "Daily request quota exceeded". */
  readonly detail: string | undefined;
  /** The Retry-After Render sent with its last refusal (seconds or an HTTP date), as sent: when a job may try again. */
  readonly retryAfter: string | undefined;
}

/** Any other 4xx: a request the client should not have made (unknown project, ...). */
export class RenderRequestError extends RenderError {
  readonly status: number;
  constructor(request: string, status: number, body: string) {
    super("RENDER_REQUEST", `Render answered ${request} with HTTP ${status}: ${body.slice(0, 300)}`);
    this.status = status;
  }
}

/** A response whose shape is not what the Render API documents. */
export class RenderResponseError extends RenderError {
  constructor(request: string, problem: string) {
    super("RENDER_RESPONSE", `Render's answer to ${request} is not in the documented shape: ${problem}`);
  }
}

export interface RulesProblem {
  path: string;
  line?: number | undefined;
  message: string;
  /** What to do about it, e.g. `did you mean "Infrastructure"?` */
  hint?: string | undefined;
  severity: "error" | "warning";
}

/** A rules file that cannot be used. Lists every problem, each with its path and line. */
export class RulesError extends CapexError {
  readonly file: string;
  readonly problems: RulesProblem[];
  constructor(file: string, problems: RulesProblem[]) {
    const errors = problems.filter((p) => p.severity === "error");
    super(
      "RULES_INVALID",
      `${file}: ${errors.length} problem${errors.length === 1 ? "" : "s"} in the rules file:\n` +
        errors.map((p) => `  ${formatRulesProblem(p)}`).join("\n"),
    );
    this.file = file;
    this.problems = problems;
  }
}

export function formatRulesProblem(p: RulesProblem): string {
  return `${p.path}: ${p.message}${p.line === undefined ? "" : ` (line ${p.line})`}${p.hint ? `; ${p.hint}` : ""}`;
}

/** A snapshot folder that is missing files or has unreadable lines. */
export class SnapshotError extends CapexError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, message: string, line?: number) {
    super("SNAPSHOT", `${file}${line === undefined ? "" : `:${line}`}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

/**
 * An output path that must not be written: replacing it would destroy files fiber-capex did
 * not write (or an input of the run), or it cannot be written at all.
 */
export class OutputFolderError extends CapexError {
  readonly path: string;
  constructor(path: string, message: string) {
    super("OUTPUT_FOLDER", `${path}: ${message}`);
    this.path = path;
  }
}

/** Invalid arguments to a calculation (life, dates, method). */
export class InputError extends CapexError {
  readonly field: string;
  constructor(field: string, message: string) {
    super("INPUT", `${field}: ${message}`);
    this.field = field;
  }
}

/** A journal entry that does not balance: a bug, never written. */
export class LedgerImbalanceError extends CapexError {
  constructor(journalId: string, debit: string, credit: string) {
    super("LEDGER_IMBALANCE", `journal ${journalId} does not balance: debit ${debit} ≠ credit ${credit}. This is a bug; nothing was written.`);
  }
}

/** A run identity (DESIGN §4) that does not hold: a bug, never written. */
export class IdentityError extends CapexError {
  constructor(identity: string, left: string, right: string) {
    super("IDENTITY_BROKEN", `identity "${identity}" does not hold: ${left} ≠ ${right}. This is a bug; nothing was written.`);
  }
}

/**
 * The register refuses what would make the books disagree with what was posted. Bad input
 * (a period out of order, a closed period with other inputs, a file that is not a register)
 * exits 2; a register busy with another close or out of reach exits 1.
 */
export class RegisterError extends CapexError {}

/** A close out of sequence, or a period already closed with different inputs. */
export class PeriodOrderError extends RegisterError {
  constructor(message: string) {
    super("REGISTER_ORDER", message);
  }
}

/** Another run is closing (or reopening) this register right now. */
export class RegisterBusyError extends RegisterError {
  constructor(where: string) {
    super(
      "REGISTER_BUSY",
      `the register ${where} is being closed by another run; nothing was changed. Wait for that run to finish, then run this command again.`,
    );
  }
}

/** Not a register, a register from a newer fiber-capex, or a database that cannot be reached. */
export class RegisterOpenError extends RegisterError {
  constructor(code: "REGISTER_INVALID" | "REGISTER_NEWER" | "REGISTER_UNREACHABLE", message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A retirements or take-on file with bad rows: every problem, each with its line. */
export class RegisterInputError extends RegisterError {
  readonly file: string;
  readonly problems: Array<{ line: number; message: string }>;
  constructor(file: string, problems: Array<{ line: number; message: string }>, what: string) {
    super(
      "REGISTER_INPUT",
      `${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the ${what}; nothing was done:\n` +
        problems.map((p) => `  line ${p.line}: ${p.message}`).join("\n"),
    );
    this.file = file;
    this.problems = problems;
  }
}

/** An asset id the register does not hold (with the id it most likely meant, if any). */
export class UnknownAssetError extends RegisterError {
  readonly assetId: string;
  readonly suggestion: string | undefined;
  constructor(assetId: string, where: string, suggestion: string | undefined) {
    super(
      "REGISTER_UNKNOWN_ASSET",
      `asset ${assetId} is not in the register ${where}; ${suggestion ? `did you mean "${suggestion}"?` : "check the id in the register.csv of the latest close"}`,
    );
    this.assetId = assetId;
    this.suggestion = suggestion;
  }
}
