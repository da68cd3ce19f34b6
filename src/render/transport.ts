import type { Dispatcher } from "undici";

export type HttpMethod = "GET" | "POST" | "DELETE";

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** A request that got no HTTP answer. `kind` is all the retry policy needs. */
export class TransportError extends Error {
  readonly kind: "timeout" | "connection";
  constructor(kind: "timeout" | "connection", message: string) {
    super(message);
    this.name = "TransportError";
    this.kind = kind;
  }
}

/** The one seam between the client and the network; tests inject a fake. */
export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * The transport over undici (its own Agent unless a dispatcher is given). undici is imported
 * with the first request: it is a quarter of the CLI's code, and only `capex fetch` and the
 * labeller talk to Render.
 */
export function undiciTransport(dispatcher?: Dispatcher): Transport {
  let loaded: Promise<{ request: typeof import("undici").request; agent: Dispatcher }> | undefined;
  return async (req) => {
    loaded ??= import("undici").then((u) => ({ request: u.request, agent: dispatcher ?? new u.Agent({ connections: 8, keepAliveTimeout: 4_000 }) }));
    try {
      const { request, agent } = await loaded;
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        dispatcher: agent,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      // Always consume the body, even of an error answer, so the connection is reused.
      const body = await res.body.text();
      return { status: res.statusCode, headers: flatten(res.headers), body };
    } catch (err) {
      const e = err as { code?: string; name?: string; message?: string };
      const kind = TIMEOUT_CODES.has(e.code ?? "") || e.name === "TimeoutError" ? "timeout" : "connection";
      // The message of an undici error names the failure, never our headers.
      throw new TransportError(kind, `${e.code ?? e.name ?? "error"}: ${e.message ?? "request failed"}`);
    }
  };
}
