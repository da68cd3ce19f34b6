import { z } from "zod";
import {
  type FastApiDetail,
  RenderAuthError,
  RenderRequestError,
  RenderResponseError,
  RenderUnavailableError,
  RenderValidationError,
} from "../errors.js";
import { TokenCache } from "./auth.js";
import { type RenderConnection, sealConnection } from "./config.js";
import { RequestLimiter } from "./limiter.js";
import { type LimiterSettings, limiterSettings, RENDER_LIMITS } from "./limits.js";
import type { DailyQuota } from "./quota.js";
import { type AttemptOutcome, DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy } from "./retry-policy.js";
import {
  type Page,
  type Project,
  pageSchema,
  projectSchema,
  type TaskType,
  taskTypeSchema,
} from "./schemas.js";
import { type HttpMethod, type HttpResponse, type Transport, TransportError, undiciTransport } from "./transport.js";

export interface RenderClientOptions {
  connection: RenderConnection;
  transport?: Transport;
  limiter?: LimiterSettings;
  retry?: RetryPolicy;
  /** Daily quota counted across runs; omit to not count (tests, simulator). */
  quota?: DailyQuota;
  timeoutMs?: number;
  /** Refresh the token this long before it expires. */
  refreshMarginMs?: number;
  /**
   * The client's clock: retry waits, the limiter's spacing and token expiry all use it, so a
   * test can run the client (and a simulator given the same clock) on virtual time.
   */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  random?: () => number;
  /** Told of each retry; for progress and logs (never carries secrets). */
  onRetry?: (event: { request: string; attempt: number; delayMs: number; problem: string }) => void;
}

export interface ClientStats {
  requests: number;
  retries: number;
  rateLimited: number;
  serverErrors: number;
  networkErrors: number;
  tokensFetched: number;
}

type Query = Record<string, string | number | boolean | undefined>;

/** "?page=1&page_limit=2000", or "" when there is nothing to ask. Never holds a secret. */
function queryString(query: Query): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
  const q = qs.toString();
  return q ? `?${q}` : "";
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The Render API client. Every call goes through one request loop:
 * daily quota → limiter (2/s, 5 in flight) → token → request with timeout → retry policy.
 * Retries go back through the limiter and count against the quota.
 */
/** FastAPI's `{"detail": "..."}` text, when an answer's body is one (short; never the whole body). */
function fastApiDetail(body: string): string | undefined {
  try {
    const detail = (JSON.parse(body) as { detail?: unknown }).detail;
    return typeof detail === "string" ? detail.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

export class RenderClient {
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0, serverErrors: 0, networkErrors: 0, tokensFetched: 0 };
  readonly apiUrl: string;
  private readonly transport: Transport;
  private readonly limiter: RequestLimiter;
  private readonly tokens: TokenCache;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly maxConcurrent: number;

  private readonly options: RenderClientOptions;

  constructor(given: RenderClientOptions) {
    // The client keeps the connection sealed: logging the client never shows the secret.
    const options = { ...given, connection: sealConnection(given.connection) };
    this.options = options;
    const settings = options.limiter ?? limiterSettings();
    this.apiUrl = options.connection.apiUrl;
    this.transport = options.transport ?? undiciTransport();
    this.maxConcurrent = settings.maxConcurrent;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? (() => new Date());
    this.limiter = new RequestLimiter(settings, () => this.now().getTime(), this.sleep);
    this.random = options.random ?? Math.random;
    this.tokens = new TokenCache(
      options.connection,
      async (url, headers, body) =>
        (await this.sendWithRetry("POST /oauth2/default/v1/token", { method: "POST", url, headers, body }, false)).res,
      () => this.now().getTime(),
      options.refreshMarginMs ?? 60_000,
    );
  }

  /**
   * Sends one logical request, retrying per the policy. `limited` requests (the API's) go
   * through the quota and the limiter; the token call goes to the auth host, which has no
   * documented limit, so it skips both.
   */
  private async sendWithRetry(
    label: string,
    req: { method: HttpMethod; url: string; headers: Record<string, string>; body?: string },
    limited: boolean,
  ): Promise<{ res: HttpResponse; token: string | undefined }> {
    let waited = 0;
    let token: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const send = async (): Promise<HttpResponse | TransportError> => {
        if (limited) this.options.quota?.take();
        if (limited) token = await this.tokens.get();
        const headers = limited ? { ...req.headers, authorization: `Bearer ${token}` } : req.headers;
        this.stats.requests++;
        this.stats.tokensFetched = this.tokens.fetched;
        try {
          return await this.transport({ ...req, headers, timeoutMs: this.timeoutMs });
        } catch (err) {
          if (err instanceof TransportError) return err;
          throw err;
        }
      };
      const result = limited ? await this.limiter.schedule(send) : await send();
      let outcome: AttemptOutcome;
      let problem: string;
      if (result instanceof TransportError) {
        this.stats.networkErrors++;
        outcome = { kind: "network", error: result.kind };
        problem = result.kind === "timeout" ? "timed out" : "connection failed";
      } else {
        if (result.status === 429) this.stats.rateLimited++;
        if (result.status >= 500) this.stats.serverErrors++;
        // 401 and 422 are the caller's to interpret; so is any other 4xx from the auth server,
        // where a 400 means bad client credentials.
        const callersToRead = result.status === 401 || result.status === 422 || (!limited && result.status < 500 && result.status !== 429);
        if (result.status < 400 || callersToRead) return { res: result, token };
        outcome = { kind: "response", status: result.status, retryAfter: result.headers["retry-after"] };
        problem = `HTTP ${result.status}`;
      }
      const decision = decideRetry(outcome, attempt, waited, this.retry, this.random(), this.now());
      if (!decision.retry) {
        if (outcome.kind === "response" && !(outcome.status === 429 || outcome.status >= 500) && !(result instanceof TransportError)) {
          throw new RenderRequestError(label, outcome.status, result.body);
        }
        throw new RenderUnavailableError(label, attempt, problem, outcome.kind === "response" ? outcome.status : undefined, {
          origin: new URL(req.url).origin,
          detail: result instanceof TransportError ? undefined : fastApiDetail(result.body),
          retryAfter: outcome.kind === "response" ? outcome.retryAfter : undefined,
        });
      }
      this.stats.retries++;
      this.options.onRetry?.({ request: label, attempt, delayMs: decision.delayMs, problem });
      await this.sleep(decision.delayMs);
      waited += decision.delayMs;
    }
  }

  /**
   * Calls an API path and validates the JSON answer with `schema`. An empty 2xx body (Render's
   * documented answer to some DELETEs) reaches the schema as undefined.
   */
  async call<S extends z.ZodType>(method: HttpMethod, path: string, query: Query, schema: S, body?: unknown): Promise<z.infer<S>> {
    const label = `${method} ${path}${queryString(query)}`;
    const url = `${this.apiUrl}${path}${queryString(query)}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const req = { method, url, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
    let { res, token } = await this.sendWithRetry(label, req, true);
    if (res.status === 401) {
      // The token may have expired early or been revoked: refresh once, retry once. Only the
      // token that failed is dropped, so callers in flight share one refresh.
      if (token !== undefined) this.tokens.invalidate(token);
      this.stats.retries++;
      ({ res, token } = await this.sendWithRetry(label, req, true));
      if (res.status === 401) {
        throw new RenderAuthError(
          `Render refused the access token for ${label} (401) even after a fresh token. The credentials may be for another ` +
            "environment (production vs UAT) than RENDER_API_URL, or lack access to this project.",
        );
      }
    }
    this.stats.tokensFetched = this.tokens.fetched;
    let json: unknown;
    try {
      json = res.status < 300 && res.body.trim() === "" ? undefined : JSON.parse(res.body);
    } catch {
      throw new RenderResponseError(label, `HTTP ${res.status} with a body that is not JSON`);
    }
    if (res.status === 422) {
      const detail = (json as { detail?: unknown }).detail;
      throw new RenderValidationError(label, Array.isArray(detail) ? (detail as FastApiDetail[]) : []);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new RenderResponseError(label, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    }
    return parsed.data;
  }

  /**
   * Pages of a list endpoint, in order, as an async iterator. After page 1 reveals
   * `total_results`, up to `maxInFlight` pages are requested ahead so that the client runs at
   * the full allowed rate even when each answer takes longer than the request spacing.
   * `onTotalChange` hears of a `total_results` that changes while paging.
   */
  async *paginate(
    path: string,
    query: Query,
    onTotalChange?: (change: { page: number; before: number; after: number }) => void,
    firstPage?: Promise<Page>,
  ): AsyncGenerator<Page> {
    const fetchPage = (page: number) => this.call("GET", path, { ...query, page, page_limit: RENDER_LIMITS.maxPageLimit }, pageSchema);
    const first = await (firstPage ?? fetchPage(1));
    yield first;
    let total = first.total_results;
    const limit = Math.max(1, first.page_limit);
    let lastPage = Math.ceil(total / limit);
    const ahead = new Map<number, Promise<Page>>();
    let next = 2;
    try {
      for (let p = 2; p <= lastPage; p++) {
        while (next <= lastPage && next < p + this.maxConcurrent) {
          const promise = fetchPage(next);
          promise.catch(() => undefined); // awaited below; never an unhandled rejection
          ahead.set(next, promise);
          next++;
        }
        const page = await (ahead.get(p) ?? fetchPage(p));
        ahead.delete(p);
        if (page.total_results !== total) {
          onTotalChange?.({ page: p, before: total, after: page.total_results });
          total = page.total_results;
          lastPage = Math.ceil(total / limit);
        }
        yield page;
        if (page.data.length === 0) break;
      }
    } finally {
      await Promise.allSettled(ahead.values());
    }
  }

  async ping(): Promise<unknown> {
    return this.call("GET", "/ping", {}, z.unknown());
  }

  async listProjects(): Promise<Project[]> {
    const out: Project[] = [];
    for await (const page of this.paginate("/projects", {})) {
      for (const item of page.data) out.push(this.item(projectSchema, item, "GET /projects"));
    }
    return out;
  }

  async listTaskTypes(shortName: string): Promise<TaskType[]> {
    const path = `/projects/${encodeURIComponent(shortName)}/task_types`;
    const out: TaskType[] = [];
    for await (const page of this.paginate(path, { form_schema: false })) {
      for (const item of page.data) out.push(this.item(taskTypeSchema, item, `GET ${path}`));
    }
    return out;
  }

  /**
   * Raw task pages (validated per task by the caller, so one bad task never aborts a fetch).
   * `firstPage` may be a page 1 requested earlier (see firstTaskPage) so series overlap.
   */
  taskPages(shortName: string, status: string | undefined, onTotalChange?: (c: { page: number; before: number; after: number }) => void, firstPage?: Promise<Page>) {
    return this.paginate(`/projects/${encodeURIComponent(shortName)}/tasks`, { status }, onTotalChange, firstPage);
  }

  /** Page 1 of a task series, requested now so that it can be in flight while another series pages. */
  firstTaskPage(shortName: string, status: string | undefined): Promise<Page> {
    const page = this.call("GET", `/projects/${encodeURIComponent(shortName)}/tasks`, { status, page: 1, page_limit: RENDER_LIMITS.maxPageLimit }, pageSchema);
    page.catch(() => undefined); // awaited by taskPages; never an unhandled rejection
    return page;
  }

  /** One item of a list page, validated; a bad one is a RenderResponseError naming the request. */
  item<S extends z.ZodType>(schema: S, item: unknown, label: string): z.infer<S> {
    const parsed = schema.safeParse(item);
    if (!parsed.success) throw new RenderResponseError(label, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    return parsed.data;
  }
}
