import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { classifyTask } from "../src/capitalize/classify.js";
import { exactCents, quantityText } from "../src/capitalize/price.js";
import { localDateOf } from "../src/dates.js";
import { centsWithinLimit, Dec } from "../src/money.js";
import { quickTaskFields, taskFieldsSchema } from "../src/render/schemas.js";
import { loadRules } from "../src/rules/load.js";
import type { Rules } from "../src/rules/model.js";
import { generatedProjects, generateTask } from "../src/sandbox/generate.js";
import { localHash, Sha256Worker } from "../src/sha256-worker.js";
import { lineBatches } from "../src/snapshot/lines.js";
import { openSnapshot } from "../src/snapshot/reader.js";
import { baseTask, tmp, writeSnapshot } from "./helpers.js";

/**
 * The ingest's fast paths (a task read without zod, prices in integer cents, UTC instants
 * read by Date.parse) must give exactly what the paths they shortcut give, or step aside.
 */
let rules: Rules;
beforeAll(async () => {
  rules = await loadRules("rules/render-fiber.yaml");
});

const projects = generatedProjects(3000);
const generated = (i: number) => generateTask(7, projects[i % projects.length]!, i);

// Values Render's fields may hold, the awkward ones included.
const odd = fc.constantFrom<unknown>(
  null, "", " ", "12", " 12 ", "-0", "0", "1e3", "1.5e-9", "0x10", "abc", 12, 1.5, -3, 0, -0, 2 ** 53, 1e21, true, false, {}, [], [1], { url: "u" },
  "2026-10-05", "2026-10-05T14:00:00Z", " 2026-10-05T14:00:00Z", "2026-02-30", "2026-10-05T14:00", "2026-10-05 14:00:00+10:00", "99999999999999999999", "123456789012.5", "100000000000", "100000000000.001",
);
const FIELDS = ["project_task_id", "task_type", "project_short_name", "status", "asset_id", "street_address", "road_name", "approved_by", "approved_date", "quantity", "geometry", "photos", "units"];
const mutation = fc.record({ task: fc.nat(5000), field: fc.constantFrom(...FIELDS, "units.0.quantity", "units.0.rate", "units.0.amount", "units.0.unit_code", "units.0.extra", "(delete)"), value: odd, other: fc.constantFrom(...FIELDS) });

describe("a task read without zod", () => {
  it("is what taskFieldsSchema gives, or left to it", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (changes) => {
        const raw = structuredClone(generated(changes[0]!.task)) as Record<string, unknown>;
        for (const c of changes) {
          if (c.field === "(delete)") delete raw[c.other];
          else if (c.field.startsWith("units.0.")) {
            const units = raw.units as Array<Record<string, unknown>> | undefined;
            if (Array.isArray(units) && units[0] && typeof units[0] === "object") units[0][c.field.slice(8)] = c.value;
          } else raw[c.field] = c.value;
        }
        const quick = quickTaskFields(raw);
        const full = taskFieldsSchema.safeParse(raw);
        if (quick !== undefined) {
          expect(full.success).toBe(true);
          // The same values; a field zod leaves out is there, undefined (toEqual's sense of equal).
          expect(quick).toEqual(full.data);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("reads every generated task itself (the fast path is the common path)", () => {
    for (let i = 0; i < 3000; i++) {
      const raw = generated(i);
      const quick = quickTaskFields(raw);
      expect(quick, `task ${i}`).toEqual(taskFieldsSchema.parse(raw));
    }
  });
});

describe("prices in integer cents", () => {
  const short = fc
    .tuple(fc.boolean(), fc.stringMatching(/^\d{1,9}$/), fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }))
    .map(([neg, whole, frac]) => `${neg ? "-" : ""}${whole}${frac === undefined ? "" : `.${frac}`}`);
  const any = fc.oneof(short, fc.constantFrom("1e3", "0.0000001", "1234567890.5", "99999999999", "100000000000.0049", "100000000000.005", "0.005", "-0.005", "2.675", "1.0000005"));

  it("are exactly decimal.js's round-half-up cents of quantity × rate, or step aside", () => {
    fc.assert(
      fc.property(any, fc.option(any, { nil: undefined }), (a, b) => {
        const fast = exactCents(a, b);
        if (fast === undefined) return;
        const exact = centsWithinLimit(b === undefined ? new Dec(a) : new Dec(a).times(b));
        if (fast === null) expect(exact).toBeUndefined();
        else expect(Object.is(fast, exact), `${a} × ${b}: ${fast} vs ${exact}`).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it("round half away from zero, and refuse what is beyond the largest amount before rounding", () => {
    expect(exactCents("2.675")).toBe(268);
    expect(exactCents("0.005", "-1")).toBe(-1);
    expect(exactCents("363", "3.10")).toBe(112_530);
    expect(exactCents("100000000000.004")).toBe(null);
    expect(exactCents("100000000000")).toBe(10 ** 13);
    expect(exactCents("1e3")).toBeUndefined();
    expect(Object.is(exactCents("-0.001", "1"), -0)).toBe(true);
  });
});

describe("approval instants read by Date.parse", () => {
  it("date assets in service on the day localDateOf gives, in every zone", () => {
    const zones = ["America/Chicago", "Australia/Sydney", "Asia/Kolkata", "UTC", "Pacific/Chatham"];
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2027-12-31T23:59:59Z"), noInvalidDate: true }),
        fc.constantFrom("s", "ms", "iso", "offset", "day31"),
        fc.constantFrom(...zones),
        (d, form, timeZone) => {
          const iso = d.toISOString();
          const approved =
            form === "s" ? iso.replace(/\.\d{3}Z$/, "Z") : form === "ms" ? iso : form === "iso" ? iso.slice(0, 16) : form === "offset" ? iso.replace("Z", "+05:30") : `${iso.slice(0, 8)}31${iso.slice(10)}`;
          const task = quickTaskFields({ ...generated(1), approved_date: approved, status: "approved" });
          if (!task) return;
          const outcome = classifyTask(task, { shortName: "ATX-NORTH", timeZone, defaulted: false }, rules);
          const date = outcome.kind === "asset" ? outcome.asset.inServiceDate : outcome.kind === "expensed" ? outcome.item.inServiceDate : outcome.kind === "exception" ? outcome.exception.inServiceDate : undefined;
          const expected = localDateOf(approved, timeZone);
          if (expected === undefined) expect(outcome.kind === "exception" && outcome.exception.code).toBe("INVALID_TASK");
          else if (outcome.kind !== "exception" || outcome.exception.code !== "IMPLAUSIBLE_DATE") expect(date).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("tasks.jsonl read in 1 MB chunks", () => {
  const lineOf = (i: number, extra: string) => JSON.stringify({ n: i, text: `${"x".repeat(i % 997)}${extra}` });

  it("gives every line whole, however a chunk cuts it, ASCII or not, shorter or longer than a chunk", async () => {
    // Lines of varied length, some with two-, three- and four-byte characters, so that chunk
    // ends fall inside lines and inside UTF-8 sequences; CRLF endings and no final newline.
    const lines = Array.from({ length: 9000 }, (_, i) => lineOf(i, i % 7 === 0 ? "é—𝄞" : i % 3001 === 0 ? "y".repeat(200_000) : ""));
    const file = join(tmp(), "tasks.jsonl");
    writeFileSync(file, `${lines.map((l, i) => (i % 5 === 0 ? `${l}\r` : l)).join("\n")}`);
    expect(statSync(file).size).toBeGreaterThan(3 << 20);
    const read: string[] = [];
    const hash = localHash();
    for await (const batch of lineBatches(file, hash)) read.push(...batch);
    expect(read.map((l) => l.replace(/\r$/, ""))).toEqual(lines);
    expect(await hash.digest()).toBe(createHash("sha256").update(readFileSync(file)).digest("hex"));
  });

  it("is hashed on a worker thread to the same sha256, which still refuses an edited file", async () => {
    const tasks = Array.from({ length: 3000 }, (_, i) => baseTask(i + 1)); // several chunks: buffers go to the worker and back
    const dir = await writeSnapshot(tasks);
    const onWorker = await openSnapshot(dir, { hashThreadFrom: 0 });
    let n = 0;
    for await (const batch of onWorker.batches()) n += batch.length;
    expect(n).toBe(3000);
    writeFileSync(join(dir, "tasks.jsonl"), readFileSync(join(dir, "tasks.jsonl"), "utf8").replace('"quantity":100', '"quantity":1000'));
    const edited = await openSnapshot(dir, { hashThreadFrom: 0 });
    await expect(async () => {
      for await (const _ of edited.batches());
    }).rejects.toThrow(`${join(dir, "tasks.jsonl")}: does not match the sha256 in manifest.json: the snapshot was changed after it was fetched`);
  });
});

describe("a quantity written without decimal.js", () => {
  it("is the text decimal.js writes for it", () => {
    const digits = fc.stringMatching(/^(0|[1-9]\d{0,16})(\.\d{0,8})?$/);
    fc.assert(
      fc.property(fc.oneof(digits, fc.constantFrom("0.0000001", "1e3", "00.5", "1.50", "0.000001", "999999999999999.999999", ".5", "5.")), (text) => {
        let expected: string;
        try {
          expected = new Dec(text).toString();
        } catch {
          return; // not a number decimal.js reads; the schema never lets one through
        }
        expect(quantityText(text)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("the hashing thread", () => {
  it("refuses a request once it has stopped, instead of never answering", async () => {
    const hashes = new Sha256Worker();
    const chunks = hashes.chunks();
    chunks.update(new Uint8Array([1, 2, 3]));
    await hashes.close();
    await expect(chunks.digest()).rejects.toThrow("the hashing thread stopped");
    await expect(hashes.of("package.json")).rejects.toThrow("the hashing thread stopped");
  });
});
