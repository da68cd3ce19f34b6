import type { Argv } from "yargs";
import { z } from "zod";
import { folderData, generatedData } from "../sandbox/data.js";
import { generatedProjects } from "../sandbox/generate.js";
import { startSandbox } from "../sandbox/server.js";
import { demoFixtureDir } from "../package-info.js";
import { commonSchema, EXIT, info, numberFrom, parseOptions, printJson, wholeNumber } from "./terminal.js";

const options = commonSchema.extend({
  port: wholeNumber("--port", 0, 65535).default(4010),
  tasks: wholeNumber("--tasks", 1).optional(),
  data: z.string().optional(),
  seed: wholeNumber("--seed", 0).default(1),
  errorRate: numberFrom("--error-rate", 0, 1, "a share").default(0),
  dropRate: numberFrom("--drop-rate", 0, 1, "a share").default(0),
  latency: numberFrom("--latency", 0, undefined, "a number of milliseconds").default(0),
});

export const sandboxCommand = {
  command: "sandbox",
  describe: "Run the local Render simulator (same endpoints, limits and errors) on loopback",
  builder: (y: Argv) =>
    y
      .option("port", { type: "number", default: 4010, describe: "port on 127.0.0.1 (0 picks a free one)" })
      .option("tasks", { type: "number", describe: "serve this many generated tasks instead of the demo fixtures" })
      .option("data", { type: "string", describe: "serve a folder in the snapshot layout (default: the bundled demo fixtures)" })
      .option("seed", { type: "number", default: 1, describe: "seed of the generated data" })
      .option("error-rate", { type: "number", default: 0, describe: "share of answers replaced by 500/503" })
      .option("drop-rate", { type: "number", default: 0, describe: "share of connections dropped without an answer" })
      .option("latency", { type: "number", default: 0, describe: "milliseconds added to each answer" }),
  handler: async (argv: unknown): Promise<number> => {
    const o = parseOptions(options, argv);
    const data = o.tasks ? generatedData(o.seed, generatedProjects(o.tasks)) : folderData(o.data ?? demoFixtureDir());
    const s = await startSandbox({ data, port: o.port, faults: { errorRate: o.errorRate, dropRate: o.dropRate, latencyMs: o.latency } });
    const env = { RENDER_API_URL: s.url, RENDER_AUTH_URL: s.url, RENDER_CLIENT_ID: s.clientId, RENDER_CLIENT_SECRET: s.clientSecret };
    if (o.json) printJson({ url: s.url, env });
    else if (!o.quiet) {
      info(o, `Render simulator listening on ${s.url} (Ctrl-C to stop). Point capex at it with:`);
      for (const [k, v] of Object.entries(env)) process.stdout.write(`export ${k}=${v}\n`);
    }
    await new Promise<void>((done) => {
      const stop = () => void s.close().then(done);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return EXIT.ok;
  },
};
