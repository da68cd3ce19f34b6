import { z } from "zod";
import { RenderAuthError, RenderResponseError } from "../errors.js";
import { TOKEN_PATH } from "./config.js";
import type { HttpResponse } from "./transport.js";

const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.coerce.number().positive(),
  scope: z.string().optional(),
});

export interface TokenSource {
  authUrl: string;
  clientId: string;
  clientSecret: string;
}

/** Posts the client-credentials grant; the caller supplies the (retrying) sender. */
export type TokenSender = (url: string, headers: Record<string, string>, body: string) => Promise<HttpResponse>;

/**
 * OAuth2 client credentials with a cache: the token is refreshed `refreshMarginMs` before it
 * expires, one refresh is shared by every caller in flight, and a token that earned a 401 is
 * dropped so the next caller fetches a new one.
 */
export class TokenCache {
  // Private fields (#), not TypeScript's `private`: util.inspect and console.log of a client an
  // integration logs show neither the bearer token nor the promise that resolves to it.
  #token: { value: string; expiresAt: number } | undefined;
  #pending: Promise<string> | undefined;
  fetched = 0;

  constructor(
    private readonly source: TokenSource,
    private readonly send: TokenSender,
    private readonly now: () => number,
    private readonly refreshMarginMs = 60_000,
  ) {}

  async get(): Promise<string> {
    const t = this.#token;
    if (t && this.now() < t.expiresAt - this.refreshMarginMs) return t.value;
    this.#pending ??= this.fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Forget `value` if it is still the cached token (another caller may have refreshed already). */
  invalidate(value: string): void {
    if (this.#token?.value === value) this.#token = undefined;
  }

  private async fetch(): Promise<string> {
    const { authUrl, clientId, clientSecret } = this.source;
    const url = `${authUrl}${TOKEN_PATH}`;
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64");
    const res = await this.send(
      url,
      { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      "grant_type=client_credentials&scope=customScope",
    );
    if (res.status === 401 || res.status === 403 || res.status === 400) {
      throw new RenderAuthError(
        `Render's auth server (${authUrl}) refused the credentials (HTTP ${res.status}). Check RENDER_CLIENT_ID and ` +
          "RENDER_CLIENT_SECRET, and that they were made for this environment: production and UAT credentials are not interchangeable.",
        res.status,
      );
    }
    if (res.status !== 200) throw new RenderResponseError(`POST ${TOKEN_PATH}`, `HTTP ${res.status}`);
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      throw new RenderResponseError(`POST ${TOKEN_PATH}`, "the body is not JSON");
    }
    const parsed = tokenResponse.safeParse(json);
    if (!parsed.success) {
      // Name the fields only: the body holds the token.
      throw new RenderResponseError(`POST ${TOKEN_PATH}`, parsed.error.issues.map((i) => i.path.join(".")).join(", "));
    }
    this.fetched++;
    this.#token = { value: parsed.data.access_token, expiresAt: this.now() + parsed.data.expires_in * 1000 };
    return parsed.data.access_token;
  }
}
