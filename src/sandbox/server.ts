import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../errors.js";
import { TOKEN_PATH } from "../render/config.js";
import { RENDER_LIMITS } from "../render/limits.js";
import type { SandboxData } from "./data.js";
import { SandboxLabels } from "./labels.js";
import { prng, type RawTask } from "./generate.js";

/**
 * A local Render simulator on loopback: the same endpoints, limits and errors as the
 * documented API, plus fault knobs for tests and benchmarks. `timeScale` > 1 runs its clock
 * faster (rate limits, token lifetimes, Retry-After), to pair with a client scaled alike.
 */
export interface SandboxFaults {
  /** Share of API answers replaced by a 500 or 503 (0..1). */
  errorRate?: number;
  /** Share of API requests whose connection is dropped without an answer (0..1). */
  dropRate?: number;
  /** Added to every API answer, in (scaled) milliseconds. */
  latencyMs?: number;
  /**
   * Scripted faults for the next API requests, one entry a request, consumed in order.
   * "stall" never answers: the client has to time out.
   */
  script?: Array<"500" | "503" | "429" | "drop" | "stall" | "ok">;
}

export interface SandboxOptions {
  data: SandboxData;
  port?: number;
  clientId?: string;
  clientSecret?: string;
  tokenTtlSeconds?: number;
  timeScale?: number;
  /** Enforce 2/s with a burst of 5 and 5 in flight (429 beyond). */
  rateLimit?: boolean;
  dailyQuota?: number;
  faults?: SandboxFaults;
  seed?: number;
  /** What the credential may do: a Read-Only one gets 403 on every write (default read-write). */
  access?: "read-write" | "read-only";
  /** Keep "METHOD /path?query" of every API request in `stats.requestLog` (tests). */
  logRequests?: boolean;
  /**
   * The simulator's clock in milliseconds (rate limit, token expiry); by default the
   * process's monotonic clock. A test gives it the client's virtual clock.
   */
  now?: () => number;
}

export interface SandboxStats {
  requests: number;
  apiRequests: number;
  tokensIssued: number;
  rateLimited: number;
  faultsInjected: number;
  peakInFlight: number;
  /** Authorization headers seen, for tests that check what the client sends. */
  lastAuthorization?: string;
  /** With `logRequests`: every API request received, in order, as "METHOD /path?query". */
  requestLog?: string[];
}

export interface Sandbox {
  url: string;
  port: number;
  clientId: string;
  clientSecret: string;
  stats: SandboxStats;
  faults: SandboxFaults;
  /** The labels and task links the label endpoints keep. */
  labels: SandboxLabels;
  revokeTokens(): void;
  close(): Promise<void>;
}

const VALID_STATUSES = new Set(["approved", "completed", "rejected", "in_progress", "released", "allocated", "created", "cancelled"]);

type Detail = { loc: (string | number)[]; msg: string; type: string };

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

function unprocessable(detail: Detail[]): HttpProblem {
  return new HttpProblem(422, { detail });
}

function intParam(q: URLSearchParams, name: string, fallback: number, min: number): number {
  const raw = q.get(name);
  if (raw === null) return fallback;
  if (!/^-?\d+$/.test(raw)) {
    throw unprocessable([{ loc: ["query", name], msg: "Input should be a valid integer, unable to parse string as an integer", type: "int_parsing" }]);
  }
  const n = Number(raw);
  if (n < min) throw unprocessable([{ loc: ["query", name], msg: `Input should be greater than or equal to ${min}`, type: "greater_than_equal" }]);
  return n;
}

function boolParam(q: URLSearchParams, name: string): void {
  const raw = q.get(name);
  if (raw !== null && !["true", "false", "1", "0"].includes(raw.toLowerCase())) {
    throw unprocessable([{ loc: ["query", name], msg: "Input should be a valid boolean, unable to interpret input", type: "bool_parsing" }]);
  }
}

function page(q: URLSearchParams, total: number, slice: (offset: number, limit: number) => unknown[]) {
  const pageNo = intParam(q, "page", 1, 1);
  // Render scales a page_limit above the maximum down to it.
  const limit = Math.min(intParam(q, "page_limit", RENDER_LIMITS.maxPageLimit, 1), RENDER_LIMITS.maxPageLimit);
  const data = slice((pageNo - 1) * limit, limit);
  return { data, page: pageNo, page_size: data.length, page_limit: limit, total_results: total };
}

/** An answer with no body (the collection's 200 to "Delete Label from many Tasks"). */
const EMPTY = Symbol("empty body");

function jsonBody(body: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw unprocessable([{ loc: ["body", 0], msg: "JSON decode error", type: "json_invalid" }]);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw unprocessable([{ loc: ["body"], msg: "Input should be a valid dictionary", type: "dict_type" }]);
  return value as Record<string, unknown>;
}

function taskIdsBody(b: Record<string, unknown>): number[] {
  const ids = b.project_task_ids;
  if (ids === undefined) throw unprocessable([{ loc: ["body", "project_task_ids"], msg: "Field required", type: "missing" }]);
  if (!Array.isArray(ids)) throw unprocessable([{ loc: ["body", "project_task_ids"], msg: "Input should be a valid list", type: "list_type" }]);
  return ids.map((id, i) => {
    const n = typeof id === "string" && /^\d+$/.test(id.trim()) ? Number(id) : id;
    if (typeof n !== "number" || !Number.isInteger(n)) {
      throw unprocessable([{ loc: ["body", "project_task_ids", i], msg: "Input should be a valid integer", type: "int_type" }]);
    }
    return n;
  });
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const scale = options.timeScale ?? 1;
  const now = options.now ?? (() => performance.now());
  const clientId = options.clientId ?? "sandbox-client";
  const clientSecret = options.clientSecret ?? "sandbox-secret";
  const ttl = options.tokenTtlSeconds ?? 3600;
  const rateLimit = options.rateLimit ?? true;
  const quota = options.dailyQuota ?? RENDER_LIMITS.dailyQuota;
  const faults: SandboxFaults = { ...options.faults };
  const random = prng(options.seed ?? 42);
  const stats: SandboxStats = { requests: 0, apiRequests: 0, tokensIssued: 0, rateLimited: 0, faultsInjected: 0, peakInFlight: 0, ...(options.logRequests ? { requestLog: [] } : {}) };
  const tokens = new Map<string, number>();
  const labels = new SandboxLabels();
  const access = options.access ?? "read-write";
  let inFlight = 0;
  let bucket = 5;
  let bucketAt = now();
  let quotaUsed = 0;
  const data = options.data;

  /** Token bucket: capacity 5, refilled at 2 a second (scaled). Returns ms to wait, 0 if allowed. */
  const takeRateToken = (): number => {
    const at = now();
    bucket = Math.min(RENDER_LIMITS.maxInFlight, bucket + ((at - bucketAt) * scale * RENDER_LIMITS.requestsPerSecond) / 1000);
    bucketAt = at;
    if (bucket >= 1) {
      bucket -= 1;
      return 0;
    }
    return ((1 - bucket) * 1000) / RENDER_LIMITS.requestsPerSecond / scale;
  };

  const retryAfter = (ms: number) => (scale === 1 ? String(Math.max(1, Math.ceil(ms / 1000))) : (ms / 1000).toFixed(3));

  /** The collection's label endpoints: list, get one, create, add to many tasks, delete from many tasks. */
  const routeLabels = (method: string, short: string, parts: string[], q: URLSearchParams, body: string): unknown => {
    if (method !== "GET" && access === "read-only") {
      throw new HttpProblem(403, { detail: "Not enough permissions: this API credential is Read-Only" });
    }
    if (parts.length === 3 && method === "GET") {
      const all = labels.list(short, q.get("label_type") ?? undefined);
      return page(q, all.length, (o, l) => all.slice(o, o + l));
    }
    if (parts.length === 3 && method === "POST") {
      const b = jsonBody(body);
      const name = b.name;
      if (name === undefined) throw unprocessable([{ loc: ["body", "name"], msg: "Field required", type: "missing" }]);
      if (typeof name !== "string" || name.trim() === "") throw unprocessable([{ loc: ["body", "name"], msg: "String should have at least 1 character", type: "string_too_short" }]);
      if (b.type !== undefined && typeof b.type !== "string") throw unprocessable([{ loc: ["body", "type"], msg: "Input should be a valid string", type: "string_type" }]);
      if (b.notes !== undefined && b.notes !== null && typeof b.notes !== "string") throw unprocessable([{ loc: ["body", "notes"], msg: "Input should be a valid string", type: "string_type" }]);
      const due = b.due_by_date;
      if (due !== undefined && due !== null && (typeof due !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(due))) {
        throw unprocessable([{ loc: ["body", "due_by_date"], msg: "Input should be a valid date", type: "date_type" }]);
      }
      const type = (b.type as string | undefined) ?? "General";
      // The simulator refuses a second label of a name, so a client that creates twice is caught.
      if (labels.byName(short, name, type)) throw new HttpProblem(409, { detail: `A ${type} label named "${name}" already exists in project ${short}` });
      return labels.create(short, { name, type, notes: (b.notes as string | null | undefined) ?? "", due_by_date: (due as string | null | undefined) ?? null });
    }
    const labelId = parts[3] === undefined ? Number.NaN : /^\d+$/.test(parts[3]) ? Number(parts[3]) : Number.NaN;
    if (parts.length >= 4 && Number.isNaN(labelId)) {
      throw unprocessable([{ loc: ["path", "label_id"], msg: "Input should be a valid integer, unable to parse string as an integer", type: "int_parsing" }]);
    }
    const label = labels.get(short, labelId);
    if (parts.length === 4 && method === "GET") {
      if (!label) throw new HttpProblem(404, { detail: `Label ${labelId} not found` });
      return label;
    }
    if (parts.length === 5 && parts[4] === "tasks" && (method === "POST" || method === "DELETE")) {
      const ids = taskIdsBody(jsonBody(body));
      if (!label) throw new HttpProblem(404, { detail: `Label ${labelId} not found` });
      if (method === "DELETE") {
        labels.remove(short, labelId, ids);
        return EMPTY;
      }
      // Only tasks of the project are linked; the answer lists those newly linked.
      const known = ids.filter((id) => data.task(short, id) !== undefined);
      return { ...label, project_task_ids_added: labels.add(short, labelId, known) };
    }
    throw new HttpProblem(405, { detail: "Method Not Allowed" });
  };

  const route = (method: string, url: URL, body: string): unknown => {
    const q = url.searchParams;
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (method === "GET" && url.pathname === "/ping") return { ping: "pong" };
    if (parts[0] !== "projects") throw new HttpProblem(404, { detail: "Not Found" });
    if (parts.length === 1 && method === "GET") {
      const all = data.projects();
      return page(q, all.length, (o, l) => all.slice(o, o + l));
    }
    const short = parts[1]!;
    const project = data.projects().find((p) => p.short_name === short);
    if (!project) throw new HttpProblem(404, { detail: `Project ${short} not found` });
    if (parts.length === 2 && method === "GET") return project;
    if (parts[2] === "task_types" && parts.length === 3 && method === "GET") {
      boolParam(q, "form_schema");
      const all = data.taskTypes(short);
      return page(q, all.length, (o, l) => all.slice(o, o + l));
    }
    if (parts[2] === "tasks" && parts.length === 3 && method === "GET") {
      boolParam(q, "asbuilt");
      const statuses = q.getAll("status").flatMap((s) => s.split(",")).filter((s) => s !== "");
      for (const s of statuses) {
        if (!VALID_STATUSES.has(s)) {
          throw unprocessable([{ loc: ["query", "status"], msg: `Input should be ${[...VALID_STATUSES].map((v) => `'${v}'`).join(", ")}`, type: "enum" }]);
        }
      }
      const filter = statuses.length ? statuses : undefined;
      return page(q, data.countTasks(short, filter), (o, l) => data.tasks(short, filter, o, l).map((t) => labels.serve(short, t)));
    }
    if (parts[2] === "tasks" && parts.length === 4 && method === "GET") {
      const id = Number(parts[3]);
      const task = Number.isInteger(id) ? data.task(short, id) : undefined;
      if (!task) throw new HttpProblem(404, { detail: `Task ${parts[3]} not found` });
      return labels.serve(short, task);
    }
    if (parts[2] === "labels") return routeLabels(method, short, parts, q, body);
    throw new HttpProblem(405, { detail: "Method Not Allowed" });
  };

  const issueToken = (req: IncomingMessage, body: string): unknown => {
    const auth = req.headers.authorization ?? "";
    const decoded = auth.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64").toString("utf8") : "";
    const [id, secret] = decoded.split(":").map((s) => decodeURIComponent(s));
    const form = new URLSearchParams(body);
    if (id !== clientId || secret !== clientSecret) throw new HttpProblem(401, { error: "invalid_client", error_description: "Client authentication failed" });
    if (form.get("grant_type") !== "client_credentials") throw new HttpProblem(400, { error: "unsupported_grant_type" });
    const token = randomBytes(24).toString("hex");
    tokens.set(token, now() + (ttl * 1000) / scale);
    stats.tokensIssued++;
    return { access_token: token, token_type: "Bearer", expires_in: ttl, scope: form.get("scope") ?? "customScope" };
  };

  const send = (res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) => {
    // The client may have given up (or the simulator closed) while the answer was delayed.
    if (res.destroyed || res.writableEnded) return;
    const text = payload === EMPTY ? "" : JSON.stringify(payload);
    res.writeHead(status, { ...(payload === EMPTY ? {} : { "content-type": "application/json" }), "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      stats.requests++;
      const url = new URL(req.url ?? "/", "http://sandbox");
      const body = Buffer.concat(chunks).toString("utf8");
      if (url.pathname === TOKEN_PATH && req.method === "POST") {
        try {
          send(res, 200, issueToken(req, body));
        } catch (e) {
          const p = e as HttpProblem;
          send(res, p.status ?? 500, p.body ?? { detail: "error" });
        }
        return;
      }
      stats.apiRequests++;
      stats.requestLog?.push(`${req.method} ${url.pathname}${url.search}`);
      inFlight++;
      stats.peakInFlight = Math.max(stats.peakInFlight, inFlight);
      try {
        const auth = req.headers.authorization ?? "";
        stats.lastAuthorization = auth;
        const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
        const expires = tokens.get(token);
        if (expires === undefined || now() >= expires) throw new HttpProblem(401, { detail: "Not authenticated" });
        if (rateLimit) {
          if (inFlight > RENDER_LIMITS.maxInFlight) throw new HttpProblem(429, { detail: "Too many requests in flight" }, { "retry-after": retryAfter(500 / scale) });
          const wait = takeRateToken();
          if (wait > 0) throw new HttpProblem(429, { detail: "Rate limit exceeded" }, { "retry-after": retryAfter(wait) });
        }
        if (++quotaUsed > quota) throw new HttpProblem(429, { detail: "Daily request quota exceeded" }, { "retry-after": "3600" });
        const scripted = faults.script?.shift();
        if (faults.latencyMs) await sleep(faults.latencyMs / scale);
        // A stalled request is never answered: the connection is held until the client gives
        // up or the simulator closes. A late answer would race the client's timeout.
        if (scripted === "stall") {
          stats.faultsInjected++;
          if (!req.socket.destroyed) await new Promise((resolve) => req.socket.once("close", resolve));
          return;
        }
        const roll = random();
        if (scripted === "drop" || (!scripted && roll < (faults.dropRate ?? 0))) {
          stats.faultsInjected++;
          req.socket.destroy();
          return;
        }
        if (scripted === "500" || scripted === "503" || (!scripted && roll < (faults.dropRate ?? 0) + (faults.errorRate ?? 0))) {
          stats.faultsInjected++;
          throw new HttpProblem(scripted === "500" ? 500 : 503, { detail: "Service temporarily unavailable" });
        }
        if (scripted === "429") {
          stats.faultsInjected++;
          throw new HttpProblem(429, { detail: "Rate limit exceeded" }, { "retry-after": retryAfter(1000 / scale) });
        }
        send(res, 200, route(req.method ?? "GET", url, body));
      } catch (e) {
        if (e instanceof HttpProblem) {
          if (e.status === 429) stats.rateLimited++;
          send(res, e.status, e.body, e.headers);
        } else {
          send(res, 500, { detail: "Internal Server Error" });
        }
      } finally {
        inFlight--;
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    // A port in use (another simulator, say) is said in plain words, not thrown as an unhandled 'error' event.
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new ConfigError(`port ${options.port} on 127.0.0.1 is in use (another capex sandbox?); stop that one or choose another with --port (0 picks a free one)`) : err),
    );
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    clientId,
    clientSecret,
    stats,
    faults,
    labels,
    revokeTokens: () => tokens.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type { RawTask };
