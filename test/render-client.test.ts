import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect, promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, OutputFolderError, RenderAuthError, RenderQuotaError, RenderUnavailableError, RenderValidationError } from "../src/errors.js";
import { RenderClient } from "../src/render/client.js";
import { connectionFromEnv } from "../src/render/config.js";
import { DailyQuota } from "../src/render/quota.js";
import type { HttpRequest, HttpResponse, Transport } from "../src/render/transport.js";
import { folderData, generatedData } from "../src/sandbox/data.js";
import { generatedProjects } from "../src/sandbox/generate.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../src/sandbox/server.js";
import { fetchSnapshot } from "../src/snapshot/fetch.js";
import { baseTask, clientFor, TIME_SCALE, tmp, virtualClock, writeSourceFolder } from "./helpers.js";

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: Partial<SandboxOptions> & { tasks?: number } = {}): Promise<Sandbox> {
  const { tasks = 50, ...rest } = options;
  sandbox = await startSandbox({ data: generatedData(7, generatedProjects(tasks)), timeScale: TIME_SCALE, ...rest });
  return sandbox;
}

describe("token handling", () => {
  it("keeps the secret out of anything that prints or serialises the connection or the client", async () => {
    const s = await start({ clientSecret: "s3cret-from-env" });
    const env = { RENDER_API_URL: s.url, RENDER_AUTH_URL: s.url, RENDER_CLIENT_ID: s.clientId, RENDER_CLIENT_SECRET: "s3cret-from-env" };
    const connection = connectionFromEnv(env);
    // A connection an integration writes itself is sealed by the client it is given to.
    const literal = { apiUrl: s.url, authUrl: s.url, clientId: s.clientId, clientSecret: "s3cret-from-env" };
    const client = new RenderClient({ connection: literal });
    for (const shown of [JSON.stringify(connection), inspect(connection), `${inspect(client, { depth: 9 })}`]) {
      expect(shown).not.toContain("s3cret");
    }
    expect(inspect(connection)).toContain("clientSecret: '[redacted]'");
    expect(connection.clientSecret).toBe("s3cret-from-env");
    // Still the credentials the client authenticates with.
    expect((await client.listProjects()).length).toBeGreaterThan(0);
    expect((await new RenderClient({ connection }).listProjects()).length).toBeGreaterThan(0);
    // Nor the bearer token it now holds (the simulator's tokens are 48 hex digits).
    expect(inspect(client, { depth: 9 })).toContain("TokenCache");
    expect(inspect(client, { depth: 9 })).not.toMatch(/[0-9a-f]{48}/);
  });

  it("refuses an API URL that is no URL, or that holds a user name and password, without showing the password", () => {
    const env = (url: string) => ({ RENDER_API_URL: url, RENDER_AUTH_URL: "https://auth.example", RENDER_CLIENT_ID: "id", RENDER_CLIENT_SECRET: "s" });
    expect(() => connectionFromEnv(env("ht!tp://::"))).toThrow(new ConfigError('RENDER_API_URL="ht!tp://::" is not a URL; write it like https://api.produs.rendernetworks.com'));
    const withPassword = () => connectionFromEnv(env("https://user:pw-s3cret@api.example"));
    expect(withPassword).toThrow(
      new ConfigError("RENDER_API_URL: the URL holds a user name or password, which fiber-capex would not send; Render's credentials go in RENDER_CLIENT_ID and RENDER_CLIENT_SECRET"),
    );
    for (const secret of ["ht!tp://user:pw-s3cret@api.example", "https://u:s3cr/t@[bad", "https://user:pa@ss@[::1"]) {
      expect(() => connectionFromEnv(env(secret))).toThrow(new ConfigError("RENDER_API_URL (not shown: it holds an @, which may be a password) is not a URL; write it like https://api.produs.rendernetworks.com"));
    }
    // A "://" in a path or query is not a scheme.
    expect(connectionFromEnv(env("api.example/v1?next=https://x")).apiUrl).toBe("https://api.example/v1");
    // A bare host is still read as https.
    expect(connectionFromEnv(env("api.example/v1/")).apiUrl).toBe("https://api.example/v1");
  });

  it("caches the token and refreshes it before expires_in runs out", async () => {
    const s = await start({ tokenTtlSeconds: 3600 });
    let now = Date.parse("2026-11-01T00:00:00Z");
    const client = clientFor(s, { now: () => new Date(now), refreshMarginMs: 60_000 });
    await client.call("GET", "/ping", {}, (await import("zod")).z.unknown());
    now += 3_500_000; // 100 s before expiry: still outside the 60 s margin
    await client.listProjects();
    expect(s.stats.tokensIssued).toBe(1);
    now += 50_000; // 50 s before expiry: inside the margin, so refresh first
    await client.listProjects();
    expect(s.stats.tokensIssued).toBe(2);
    expect(client.stats.tokensFetched).toBe(2);
  });

  it("shares one token fetch among concurrent callers", async () => {
    const s = await start();
    const client = clientFor(s);
    await Promise.all([1, 2, 3, 4, 5].map(() => client.listProjects()));
    expect(s.stats.tokensIssued).toBe(1);
  });

  it("refreshes once and retries once after a 401", async () => {
    const s = await start();
    const client = clientFor(s);
    await client.listProjects();
    s.revokeTokens();
    const projects = await client.listProjects();
    expect(projects.map((p) => p.short_name)).toEqual(["ATX-NORTH", "BOS-METRO", "SYD-WEST"]);
    expect(s.stats.tokensIssued).toBe(2);
  });

  it("reports wrong credentials as an authentication error that names the variables, never the secret", async () => {
    const s = await start();
    const secret = "wrong-secret-do-not-print-9f8e7d";
    const client = new RenderClient({
      connection: { apiUrl: s.url, authUrl: s.url, clientId: s.clientId, clientSecret: secret },
      limiter: { minTimeMs: 1, maxConcurrent: 5 },
    });
    const err = await client.listProjects().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderAuthError);
    const message = (err as Error).message;
    expect(message).toContain("RENDER_CLIENT_ID and RENDER_CLIENT_SECRET");
    expect(message).toContain("production and UAT credentials are not interchangeable");
    expect(message).not.toContain(secret);
    expect(JSON.stringify(err)).not.toContain(secret);
    expect(String((err as Error).stack)).not.toContain(secret);
  });
});

/** A transport that replays canned answers and records what was asked (octokit's habit). */
function cannedTransport(answers: Array<Partial<HttpResponse> | "drop">): { transport: Transport; requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  const transport: Transport = async (req) => {
    requests.push(req);
    if (req.url.endsWith("/oauth2/default/v1/token")) {
      return { status: 200, headers: {}, body: JSON.stringify({ access_token: "tok-123", token_type: "Bearer", expires_in: 3600 }) };
    }
    const next = answers.shift() ?? { status: 200 };
    if (next === "drop") {
      const { TransportError } = await import("../src/render/transport.js");
      throw new TransportError("connection", "UND_ERR_SOCKET: other side closed");
    }
    return { status: next.status ?? 200, headers: next.headers ?? {}, body: next.body ?? JSON.stringify({ ok: true }) };
  };
  return { transport, requests };
}

describe("the request loop", () => {
  const connection = { apiUrl: "https://api.test.invalid", authUrl: "https://auth.test.invalid", clientId: "id", clientSecret: "s3cr3t" };

  it("reads a 400 from the auth server as bad credentials", async () => {
    const transport: Transport = async (req) =>
      req.url.endsWith("/token") ? { status: 400, headers: {}, body: '{"error":"invalid_client"}' } : { status: 200, headers: {}, body: "{}" };
    const client = new RenderClient({ connection, transport, limiter: { minTimeMs: 0, maxConcurrent: 5 } });
    const err = await client.listProjects().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderAuthError);
    expect((err as RenderAuthError).status).toBe(400);
  });

  it("honours Retry-After on a 429", async () => {
    const { transport } = cannedTransport([{ status: 429, headers: { "retry-after": "2" } }, { status: 200 }]);
    const slept: number[] = [];
    const client = new RenderClient({ connection, transport, limiter: { minTimeMs: 0, maxConcurrent: 5 }, sleep: async (ms) => void slept.push(ms), random: () => 0 });
    await client.call("GET", "/ping", {}, (await import("zod")).z.unknown());
    expect(slept).toEqual([2000]);
    expect(client.stats).toMatchObject({ requests: 3, retries: 1, rateLimited: 1 });
  });

  it("sends the bearer token and Basic auth, and the token call uses the documented form", async () => {
    const { transport, requests } = cannedTransport([{ status: 200 }]);
    const client = new RenderClient({ connection, transport, limiter: { minTimeMs: 0, maxConcurrent: 5 } });
    await client.call("GET", "/ping", {}, (await import("zod")).z.unknown());
    const [tokenReq, apiReq] = requests;
    expect(tokenReq?.url).toBe("https://auth.test.invalid/oauth2/default/v1/token");
    expect(tokenReq?.body).toBe("grant_type=client_credentials&scope=customScope");
    expect(tokenReq?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(tokenReq?.headers.authorization).toBe(`Basic ${Buffer.from("id:s3cr3t").toString("base64")}`);
    expect(apiReq?.headers.authorization).toBe("Bearer tok-123");
  });

  it("retries 5xx and dropped connections through the simulator", async () => {
    const s = await start({ faults: { script: ["503", "drop", "500", "ok"] } });
    const client = clientFor(s);
    const projects = await client.listProjects();
    expect(projects).toHaveLength(3);
    expect(client.stats).toMatchObject({ retries: 3, serverErrors: 2, networkErrors: 1 });
  });

  it("retries a request that times out", async () => {
    // The stalled request is never answered, so the client's timeout (2 s in tests) always
    // fires first, however slow the machine; the retry is answered at once.
    const s = await start({ faults: { script: ["stall", "ok"] } });
    const client = clientFor(s);
    expect(await client.listProjects()).toHaveLength(3);
    expect(client.stats).toMatchObject({ retries: 1, networkErrors: 1 });
  });

  it("gives up with RenderUnavailableError after the attempt bound", async () => {
    const s = await start({ faults: { script: ["503", "503", "503", "503", "503", "503"] } });
    const client = clientFor(s);
    const err = await client.listProjects().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderUnavailableError);
    expect((err as RenderUnavailableError).attempts).toBe(5);
    expect((err as Error).message).toBe(
      `Render at ${s.url} did not answer GET /projects?page=1&page_limit=2000 after 5 attempts (last: HTTP 503). Render may be down or overloaded; nothing was written. Try again later.`,
    );
  });

  it("a simulator on a port in use is refused in plain words (ConfigError), not crashed with an unhandled error", async () => {
    const s = await start();
    const port = Number(new URL(s.url).port);
    const err = await startSandbox({ data: generatedData(7, generatedProjects(5)), port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`port ${port} on 127.0.0.1 is in use (another capex sandbox?); stop that one or choose another with --port (0 picks a free one)`);
  });

  it("says Render's own words and wait when it refuses over its daily quota, and names the host it could not reach", async () => {
    // One request allowed: the token is not counted, the first page passes, the second is refused for an hour.
    const s = await start({ dailyQuota: 1 });
    const client = clientFor(s);
    await client.listProjects();
    const err = await client.listProjects().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderUnavailableError);
    expect((err as Error).message).toBe(
      `Render at ${s.url} did not answer GET /projects?page=1&page_limit=2000 after 1 attempt (last: HTTP 429). ` +
        'Render refused it as over a limit ("Daily request quota exceeded") and asked to wait 3600 s; nothing was written. Try again once that has passed (a daily quota resets after a day).',
    );
    // What a job schedules its retry by, as fields, not only in the message.
    expect(err).toMatchObject({ code: "RENDER_UNAVAILABLE", lastStatus: 429, attempts: 1, origin: s.url, detail: "Daily request quota exceeded", retryAfter: "3600" });
    // Nothing listens on port 1: the message names where it tried and what to check.
    const nowhere = clientFor(s, { connection: { apiUrl: "http://127.0.0.1:1", authUrl: "http://127.0.0.1:1", clientId: "id", clientSecret: "secret" } });
    const unreachable = await nowhere.listProjects().catch((e: unknown) => e);
    expect((unreachable as Error).message).toMatch(
      /^Render at http:\/\/127\.0\.0\.1:1 did not answer POST \/oauth2\/default\/v1\/token after \d+ attempts \(last: connection failed\)\. Nothing was written\. Check that RENDER_API_URL \(and RENDER_AUTH_URL, for the token\) name Render \(this was http:\/\/127\.0\.0\.1:1\) and that it can be reached from here; else Render may be down: try again later\.$/,
    );
    expect((unreachable as Error).message).not.toContain("secret");
  });

  it("does not retry a 422 and carries FastAPI's detail", async () => {
    const s = await start();
    const client = clientFor(s);
    const out = join(tmp(), "snap");
    const err = await fetchSnapshot(client, { out, statuses: ["aproved"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderValidationError);
    const detail = (err as RenderValidationError).detail;
    expect(detail[0]).toMatchObject({ loc: ["query", "status"], type: "enum" });
    expect(client.stats.retries).toBe(0);
    expect(existsSync(out)).toBe(false);
  });

  // Client and simulator share one virtual clock: the simulator's token bucket refills only as
  // the client's limiter waits, so the check is of the limiter's spacing, not of machine speed.
  it("keeps to 2 requests a second and 5 in flight, so the simulator never answers 429", async () => {
    const clock = virtualClock();
    const s = await start({ tasks: 30_000, faults: { latencyMs: 1500 }, now: clock.now });
    const client = clientFor(s, { now: clock.date, sleep: clock.sleep });
    const t0 = clock.now();
    const summary = await fetchSnapshot(client, { out: join(tmp(), "snap"), statuses: [] });
    expect(summary.tasks).toBe(30_000);
    expect(s.stats.rateLimited).toBe(0);
    expect(s.stats.peakInFlight).toBeLessThanOrEqual(5);
    expect(s.stats.peakInFlight).toBeGreaterThan(1);
    // Projects, 3 task-type lists, and 8 + 5 + 3 pages of 2,000 for 15,000, 9,000 and 6,000
    // tasks: 20 requests, each starting 10 ms (500 ms ÷ 50) after the one before.
    expect(s.stats.apiRequests).toBe(20);
    expect(clock.now() - t0).toBe(19 * 10);
  }, 60_000);

  it("the simulator answers 429 with Retry-After to a client that ignores the limits", async () => {
    // The clock stands still, so the bucket of 5 never refills: of 12 requests at once, the
    // in-flight limit or the empty bucket refuses every one past the fifth.
    const clock = virtualClock();
    const s = await start({ now: clock.now });
    const unlimited = clientFor(s, {
      limiter: { minTimeMs: 0, maxConcurrent: 20 },
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxTotalWaitMs: 1 },
      now: clock.date,
      sleep: clock.sleep,
    });
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => unlimited.listProjects()));
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(7);
    expect(s.stats.rateLimited).toBe(7);
  });
});

describe("the daily quota", () => {
  it("stops before the request that would pass it, writes nothing, and says when it resets", async () => {
    const s = await start({ tasks: 10 });
    const stateFile = join(tmp(), "quota.json");
    const now = () => new Date("2026-11-23T10:00:00Z");
    const quota = new DailyQuota({ limit: 4, stateFile, credentialKey: "k", now });
    const client = clientFor(s, { quota, now });
    const out = join(tmp(), "snap");
    const err = await fetchSnapshot(client, { out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderQuotaError);
    expect((err as Error).message).toBe(
      "Render daily request quota reached: 4 of 4 requests used today (UTC). Nothing was written. " +
        "The quota resets at 2026-11-24T00:00:00.000Z; run the fetch again after that, or fetch fewer projects (--project).",
    );
    expect(existsSync(out)).toBe(false);
    expect(s.stats.apiRequests).toBe(4);
    // Counted across runs: a second client on the same state file starts at 4.
    const again = new DailyQuota({ limit: 4, stateFile, credentialKey: "k", now });
    expect(again.used()).toBe(4);
    expect(() => again.take()).toThrow(RenderQuotaError);
    // A new UTC day starts from zero.
    const tomorrow = new DailyQuota({ limit: 4, stateFile, credentialKey: "k", now: () => new Date("2026-11-24T00:00:01Z") });
    expect(tomorrow.used()).toBe(0);
  });

  it("counts every request of runs at once (four processes), and takes over a lock its holder left behind", async () => {
    const stateFile = join(tmp(), "quota.json");
    const quotaModule = join(import.meta.dirname, "..", "dist", "render", "quota.js");
    const script = `const { DailyQuota } = await import(${JSON.stringify(quotaModule)});
      const q = new DailyQuota({ limit: 100000, stateFile: ${JSON.stringify(stateFile)}, credentialKey: "k", now: () => new Date("2026-11-23T10:00:00Z") });
      for (let i = 0; i < 300; i++) q.take();`;
    const runs = Array.from({ length: 4 }, () => promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]));
    await Promise.all(runs);
    const quota = new DailyQuota({ limit: 100000, stateFile, credentialKey: "k", now: () => new Date("2026-11-23T10:00:00Z") });
    expect(quota.used()).toBe(1200);
    // A run killed while holding the lock: its pid is no process now, so the lock is taken over.
    writeFileSync(`${stateFile}.lock`, "4194304");
    quota.take();
    expect(quota.used()).toBe(1201);
    expect(existsSync(`${stateFile}.lock`)).toBe(false);
  }, 60_000);
});

describe("pagination", () => {
  it("stops at total_results on an exact multiple of the page size", async () => {
    const s = await start({ tasks: 20_000 }); // ATX-NORTH holds exactly 10,000: five full pages
    const client = clientFor(s);
    const pages: number[] = [];
    for await (const page of client.taskPages("ATX-NORTH", undefined)) pages.push(page.data.length);
    expect(pages).toEqual([2000, 2000, 2000, 2000, 2000]);
    expect(s.stats.apiRequests).toBe(5);
  });

  it("asks for page_limit=2000 and follows the simulator's clamp", async () => {
    const s = await start({ tasks: 10 });
    const client = clientFor(s);
    const { z } = await import("zod");
    const answer = (await client.call("GET", "/projects", { page_limit: 5000 }, z.unknown())) as { page_limit: number };
    expect(answer.page_limit).toBe(2000);
  });

  it("drops duplicate task ids and records a malformed task as invalid", async () => {
    const src = writeSourceFolder([baseTask(1), baseTask(2), baseTask(2), baseTask(3, { quantity: "twelve" }), baseTask(4)]);
    sandbox = await startSandbox({ data: folderData(src), timeScale: TIME_SCALE });
    const client = clientFor(sandbox);
    const out = join(tmp(), "snap");
    const summary = await fetchSnapshot(client, { out, statuses: [] });
    expect(summary.tasksPerProject).toEqual({ P1: 4 });
    expect(summary.duplicatesDropped).toBe(1);
    expect(JSON.parse(readFileSync(join(out, "invalid_tasks.json"), "utf8"))).toEqual([
      { project_short_name: "P1", project_task_id: 3, path: "quantity", message: 'quantity: not a number: "twelve"' },
    ]);
    const lines = readFileSync(join(out, "tasks.jsonl"), "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).project_task_id)).toEqual([1, 2, 3, 4]);
  });

  it("records a total_results that changes while paging", async () => {
    const base = generatedData(3, [{ ...generatedProjects(6000)[0]!, taskCount: 6000 }]);
    let calls = 0;
    const growing = {
      ...base,
      countTasks: (short: string, st: readonly string[] | undefined) => base.countTasks(short, st) + (++calls > 2 ? 5 : 0),
    };
    sandbox = await startSandbox({ data: growing, timeScale: TIME_SCALE });
    const client = clientFor(sandbox);
    const summary = await fetchSnapshot(client, { out: join(tmp(), "snap"), statuses: [] });
    const changes = summary.manifest.projects["ATX-NORTH"]?.total_results_changes ?? [];
    expect(changes[0]).toMatchObject({ status: "all", before: 6000, after: 6005 });
    expect(summary.tasks).toBe(6000);
  });
});

describe("the snapshot", () => {
  it("holds projects, task types, tasks, a manifest with hashes, and never a secret or token", async () => {
    const s = await start({ tasks: 300 });
    const client = clientFor(s);
    const out = join(tmp(), "snap");
    const summary = await fetchSnapshot(client, { out, statuses: ["approved", "completed"] });
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.files).sort()).toEqual(["invalid_tasks.json", "projects.json", "task_types.json", "tasks.jsonl"]);
    expect(manifest.statuses).toEqual(["approved", "completed"]);
    expect(manifest.request_count).toBe(summary.requests);
    expect(summary.requests).toBe(1 + 3 + 3 * 2 + 1); // projects, 3 task types, 3 projects × 2 statuses, token
    const bearer = (s.stats.lastAuthorization ?? "").slice(7);
    expect(bearer.length).toBeGreaterThan(10);
    for (const f of ["manifest.json", "tasks.jsonl", "projects.json", "task_types.json"]) {
      const text = readFileSync(join(out, f), "utf8");
      expect(text).not.toContain(s.clientSecret);
      expect(text).not.toContain(bearer);
    }
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(readFileSync(join(out, "tasks.jsonl"))).digest("hex")).toBe(manifest.files["tasks.jsonl"]);
  });

  it("replaces an existing snapshot only when the new fetch succeeds", async () => {
    const s = await start({ tasks: 30 });
    const out = join(tmp(), "snap");
    await fetchSnapshot(clientFor(s), { out });
    const before = readFileSync(join(out, "manifest.json"), "utf8");
    s.faults.script = Array(20).fill("503");
    await expect(fetchSnapshot(clientFor(s), { out, replace: true })).rejects.toBeInstanceOf(RenderUnavailableError);
    expect(readFileSync(join(out, "manifest.json"), "utf8")).toBe(before);
    s.faults.script = [];
    const replaced = await fetchSnapshot(clientFor(s), { out, replace: true, now: () => new Date("2026-11-03T08:00:00Z") });
    expect(readFileSync(join(out, "manifest.json"), "utf8")).toBe(`${JSON.stringify(replaced.manifest, null, 2)}\n`);
    expect(replaced.manifest.fetched_at).toBe("2026-11-03T08:00:00.000Z");
  });

  it("refuses a project the credentials do not see, suggesting the one most likely meant, and writes nothing", async () => {
    const s = await start({ data: folderData("fixtures/demo") });
    const out = join(tmp(), "snap");
    const err = await fetchSnapshot(clientFor(s), { out, projects: ["ATX-NROTH", "ZZZ"] }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('--project: no project "ATX-NROTH", "ZZZ" for these credentials (did you mean "ATX-NORTH"?); known: ATX-NORTH, BOS-METRO, SYD-WEST, DEN-PILOT');
    expect(existsSync(out)).toBe(false);
  });

  it("refuses to replace an earlier snapshot without replace: true, before any request", async () => {
    const s = await start({ tasks: 30 });
    const out = join(tmp(), "snap");
    await fetchSnapshot(clientFor(s), { out, now: () => new Date("2026-11-02T08:00:00Z") });
    const before = readFileSync(join(out, "manifest.json"), "utf8");
    const requests = s.stats.requests;
    const err = await fetchSnapshot(clientFor(s), { out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputFolderError);
    expect((err as Error).message).toBe(
      `${out}: holds a snapshot fetched at 2026-11-02T08:00:00.000Z, the evidence that a close made from it is verified against (capex verify); ` +
        `a fetch replaces an earlier snapshot only when asked to with --replace. Nothing was written. Choose a new or empty folder, for example snapshots/2026-11-02.`,
    );
    expect(readFileSync(join(out, "manifest.json"), "utf8")).toBe(before);
    expect(s.stats.requests).toBe(requests);
  });
});
