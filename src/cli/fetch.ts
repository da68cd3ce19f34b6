import type { Argv } from "yargs";
import { z } from "zod";
import { InputError, RenderValidationError } from "../errors.js";
import { RenderClient } from "../render/client.js";
import { connectionFromEnv, loadEnv } from "../render/config.js";
import { RENDER_LIMITS } from "../render/limits.js";
import { credentialKey, DailyQuota, defaultQuotaFile } from "../render/quota.js";
import { DEFAULT_STATUSES, fetchSnapshot } from "../snapshot/fetch.js";
import { checkSnapshotFolder } from "../snapshot/writer.js";
import { commonSchema, EXIT, info, onStop, parseOptions, printJson, progressBar, registerSecret, wholeNumber } from "./terminal.js";

const options = commonSchema.extend({
  out: z.string().min(1),
  project: z.array(z.string().min(1)).default([]),
  status: z.array(z.string().min(1)).default(DEFAULT_STATUSES),
  quota: wholeNumber("--quota", 1).default(RENDER_LIMITS.dailyQuota),
  replace: z.boolean().default(false),
});

/** Render's 422 on the status filter, said in terms of the --status option the user typed. */
function statusRefusal(err: unknown, statuses: string[]): InputError | undefined {
  if (!(err instanceof RenderValidationError)) return undefined;
  const onStatus = err.detail.filter((d) => d.loc.includes("status"));
  if (!onStatus.length) return undefined;
  return new InputError(
    "--status",
    `Render does not accept the status filter ${statuses.map((s) => `"${s}"`).join(", ")} (${onStatus.map((d) => d.msg).join("; ")}). ` +
      `Nothing was written. Give statuses Render knows, for example --status ${DEFAULT_STATUSES.join(" --status ")}.`,
  );
}

export const fetchCommand = {
  command: "fetch",
  describe: "Pull projects, task types and tasks from Render into a snapshot folder",
  builder: (y: Argv) =>
    y
      .option("out", { type: "string", demandOption: true, describe: "snapshot folder to write: new or empty (an earlier snapshot only with --replace)" })
      .option("replace", {
        type: "boolean",
        default: false,
        describe: "replace the earlier snapshot in --out, once this fetch succeeds; a close made from it can then no longer be verified",
      })
      .option("project", { type: "string", array: true, describe: "project short name; repeat for several (default: all projects)" })
      .option("status", {
        type: "string",
        array: true,
        describe: `Render status filter; repeat for several (default: ${DEFAULT_STATUSES.join(", ")}). The close decides approval by approved_date, never by status.`,
      })
      .option("quota", { type: "number", describe: "daily request quota of the credential (counted across runs)", default: RENDER_LIMITS.dailyQuota })
      .epilog(
        "Reads RENDER_CLIENT_ID, RENDER_CLIENT_SECRET, RENDER_API_URL and RENDER_AUTH_URL from the environment or ./.env. " +
          "Runs at Render's limits: 2 requests a second, 5 in flight, pages of 2000.",
      ),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    checkSnapshotFolder(o.out, { replace: o.replace });
    const env = loadEnv(process.env, process.cwd());
    const connection = connectionFromEnv(env);
    registerSecret(connection.clientSecret);
    const quota = new DailyQuota({
      limit: o.quota,
      stateFile: defaultQuotaFile(env),
      credentialKey: credentialKey(connection.apiUrl, connection.clientId),
      now: () => new Date(),
    });
    const client = new RenderClient({
      connection,
      quota,
      onRetry: (e) => info(o, `retrying ${e.request} in ${(e.delayMs / 1000).toFixed(1)} s (${e.problem})`),
    });
    const bar = progressBar(o, "{project} {status} |{bar}| page {value}/{total} · {tasks} tasks · ETA {eta_formatted}");
    const stopHandling = onStop(() => {
      bar?.stop();
      return `stopped; no snapshot was written to ${o.out}.`;
    });
    let current = "";
    const summary = await fetchSnapshot(client, {
      out: o.out,
      replace: o.replace,
      projects: o.project,
      statuses: o.status,
      onProgress: (p) => {
        if (!bar) return;
        const key = `${p.project}/${p.status}`;
        if (key !== current) {
          if (current) bar.stop();
          current = key;
          bar.start(p.pages, 0, { project: p.project, status: p.status, tasks: 0 });
        }
        bar.setTotal(p.pages);
        bar.update(p.page, { tasks: p.tasks });
      },
    })
      .catch((err: unknown) => {
        throw statusRefusal(err, o.status) ?? err;
      })
      .finally(stopHandling);
    bar?.stop();
    const result = {
      out: summary.out,
      requests: summary.requests,
      retries: summary.retries,
      rate_limited: summary.rateLimited,
      tokens_fetched: summary.tokensFetched,
      elapsed_ms: summary.elapsedMs,
      tasks: summary.tasks,
      tasks_per_project: summary.tasksPerProject,
      duplicates_dropped: summary.duplicatesDropped,
      invalid_tasks: summary.invalidTasks,
    };
    if (o.json) printJson(result);
    else {
      const projects = Object.keys(summary.tasksPerProject).length;
      info(o, `Fetched ${summary.tasks} tasks from ${projects} project${projects === 1 ? "" : "s"} into ${summary.out}`);
      for (const [p, n] of Object.entries(summary.tasksPerProject)) info(o, `  ${p}: ${n} tasks`);
      info(o, `${summary.requests} requests (${summary.tokensFetched} token), ${summary.retries} retries, ${summary.rateLimited} answered 429, ${(summary.elapsedMs / 1000).toFixed(1)} s`);
      if (summary.invalidTasks) info(o, `${summary.invalidTasks} task${summary.invalidTasks === 1 ? "" : "s"} failed validation; see invalid_tasks.json (the close reports them as INVALID_TASK)`);
    }
    return EXIT.ok;
  },
};
