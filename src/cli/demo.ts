import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import { z } from "zod";
import { latestCompletePeriod } from "../close/period.js";
import { demoFixtureDir } from "../package-info.js";
import { RenderClient } from "../render/client.js";
import { credentialKey, DailyQuota } from "../render/quota.js";
import { folderData } from "../sandbox/data.js";
import { startSandbox } from "../sandbox/server.js";
import { fetchSnapshot } from "../snapshot/fetch.js";
import { openSnapshot } from "../snapshot/reader.js";
import { runClose } from "./close.js";
import { commonSchema, info, parseOptions } from "./terminal.js";

const options = commonSchema.extend({ out: z.string().default("capex-demo"), strict: z.boolean().default(false) });

export const demoCommand = {
  command: "demo",
  describe: "Start the simulator on the bundled demo data, fetch from it over HTTP, and close the latest complete month",
  builder: (y: Argv) =>
    y
      .option("out", { type: "string", default: "capex-demo", describe: "folder for the snapshot and the close outputs" })
      .option("strict", { type: "boolean", default: false, describe: "exit 3 when there are exceptions (the demo data has some on purpose)" }),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    const out = resolve(o.out);
    const sandbox = await startSandbox({ data: folderData(demoFixtureDir()) });
    try {
      info(o, `Render simulator on ${sandbox.url}, serving ${demoFixtureDir()}`);
      info(o, "Fetching over HTTP at Render's limits (2 requests a second)…");
      const connection = { apiUrl: sandbox.url, authUrl: sandbox.url, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret };
      const client = new RenderClient({
        connection,
        quota: new DailyQuota({ limit: 10_000, stateFile: join(tmpdir(), "fiber-capex-demo-quota.json"), credentialKey: credentialKey(sandbox.url, sandbox.clientId), now: () => new Date() }),
      });
      const snapshotDir = join(out, "snapshot");
      const fetched = await fetchSnapshot(client, { out: snapshotDir });
      info(o, `Fetched ${fetched.tasks} tasks in ${fetched.requests} requests (${fetched.rateLimited} answered 429) into ${snapshotDir}`);
      const period = await latestCompletePeriod(await openSnapshot(snapshotDir), new Date());
      info(o, `Closing ${period}…`);
      const { code } = await runClose({ snapshot: snapshotDir, period, out: join(out, period), strict: o.strict }, o);
      return code;
    } finally {
      await sandbox.close();
    }
  },
};
