import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect, parseEnv } from "node:util";
import { z } from "zod";
import { ConfigError } from "../errors.js";

export interface RenderConnection {
  apiUrl: string;
  authUrl: string;
  clientId: string;
  clientSecret: string;
}

/**
 * The connection with its secret hidden from anything that prints or serialises it
 * (console.log, util.inspect, JSON.stringify, a logger): an integration that logs its client
 * or its connection shows "[redacted]". The secret itself is there to be read and copied.
 */
export function sealConnection(c: RenderConnection): RenderConnection {
  const sealed = { apiUrl: c.apiUrl, authUrl: c.authUrl, clientId: c.clientId, clientSecret: c.clientSecret };
  const shown = () => ({ apiUrl: c.apiUrl, authUrl: c.authUrl, clientId: c.clientId, clientSecret: "[redacted]" });
  Object.defineProperty(sealed, "toJSON", { value: shown });
  Object.defineProperty(sealed, inspect.custom, { value: shown });
  return sealed;
}

export const TOKEN_PATH = "/oauth2/default/v1/token";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * A bare host means https. Plain http is allowed for loopback only (the simulator, tests):
 * credentials must never cross a network in clear text.
 */
export function normalizeBaseUrl(variable: string, raw: string): string {
  const text = raw.trim().replace(/\/+$/, "");
  // A value holding an "@" may hold a password: it is not shown.
  const notUrl = () =>
    new ConfigError(`${variable}${raw.includes("@") ? " (not shown: it holds an @, which may be a password)" : `="${raw}"`} is not a URL; write it like https://api.produs.rendernetworks.com`);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  // "ht!tp://host" is no scheme: it must not become a host "ht!tp" under https:// (a "://"
  // after the host, in a path or query, is left to URL).
  if (!scheme && /^[^/?#]*:\/\//.test(text)) throw notUrl();
  let url: URL;
  try {
    url = new URL(scheme ? text : `https://${text}`);
  } catch {
    throw notUrl();
  }
  if (url.username || url.password) {
    throw new ConfigError(`${variable}: the URL holds a user name or password, which fiber-capex would not send; Render's credentials go in RENDER_CLIENT_ID and RENDER_CLIENT_SECRET`);
  }
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    throw new ConfigError(`${variable}: plain http is allowed only for loopback hosts; use https://${url.host}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${variable}: unsupported scheme ${url.protocol}; use https://`);
  }
  return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
}

const envSchema = z.object({
  RENDER_CLIENT_ID: z.string().min(1),
  RENDER_CLIENT_SECRET: z.string().min(1),
  RENDER_API_URL: z.string().min(1),
  RENDER_AUTH_URL: z.string().min(1),
});

/** Reads `.env` in `cwd` (values already in the environment win), like dotenv. */
export function loadEnv(env: NodeJS.ProcessEnv, cwd: string): Record<string, string | undefined> {
  const file = join(cwd, ".env");
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, "utf8")) : {};
  return { ...fromFile, ...env };
}

export function connectionFromEnv(env: Record<string, string | undefined>): RenderConnection {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const missing = parsed.error.issues.map((i) => String(i.path[0]));
    throw new ConfigError(
      `missing ${missing.join(", ")}. Set them in the environment or in a .env file in this folder ` +
        "(credentials come from your Render organisation admin; Read-Only is enough).",
    );
  }
  const e = parsed.data;
  return sealConnection({
    apiUrl: normalizeBaseUrl("RENDER_API_URL", e.RENDER_API_URL),
    authUrl: normalizeBaseUrl("RENDER_AUTH_URL", e.RENDER_AUTH_URL),
    clientId: e.RENDER_CLIENT_ID,
    clientSecret: e.RENDER_CLIENT_SECRET,
  });
}
