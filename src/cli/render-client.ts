import { RenderClient } from "../render/client.js";
import { connectionFromEnv, loadEnv } from "../render/config.js";
import { credentialKey, DailyQuota, defaultQuotaFile } from "../render/quota.js";
import { type CommonFlags, info, registerSecret } from "./terminal.js";

/**
 * The Render client a command uses: credentials from the environment or ./.env (the secret
 * registered for redaction), the daily quota counted across runs, each retry told on stderr.
 */
export function renderClientFromEnv(flags: CommonFlags, dailyQuota: number): RenderClient {
  const env = loadEnv(process.env, process.cwd());
  const connection = connectionFromEnv(env);
  registerSecret(connection.clientSecret);
  const quota = new DailyQuota({
    limit: dailyQuota,
    stateFile: defaultQuotaFile(env),
    credentialKey: credentialKey(connection.apiUrl, connection.clientId),
    now: () => new Date(),
  });
  return new RenderClient({
    connection,
    quota,
    onRetry: (e) => info(flags, `retrying ${e.request} in ${(e.delayMs / 1000).toFixed(1)} s (${e.problem})`),
  });
}
