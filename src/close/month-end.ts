import { createHash } from "node:crypto";
import { readManifest } from "../atomic-dir.js";
import { monthIndexOf, parsePeriod, periodOfMonthIndex } from "../dates.js";
import { InputError, PeriodOrderError } from "../errors.js";
import { checkErpProfiles } from "../erp/profiles.js";
import { readInputFile } from "../input-file.js";
import { formatCents } from "../money.js";
import { toolVersion } from "../package-info.js";
import type { PeriodPosting } from "../register/model.js";
import { assetsInService } from "../register/reconcile.js";
import { checkRetirements, type Problem, type RetirementRequest, readRetirementRows } from "../register/retirements.js";
import { closedBy, type RegisterStore } from "../register/store.js";
import { type CloseManifest, checkCloseOutputFolder, fetchedAgainSince, recordedInputPaths, recordedPath, writeCloseOutputs } from "../report/write.js";
import type { Rules } from "../rules/model.js";
import type { Snapshot } from "../snapshot/reader.js";
import { type CloseResult, classifyForClose, closePeriod } from "./close.js";

/**
 * The month-end run shared by the CLI, the demo and the library: classify the snapshot, load
 * the register's state, reconcile and close in memory, write the outputs to a temporary
 * folder, commit the period to the register in one transaction, then rename the outputs into
 * place.
 */
export interface MonthEndInput {
  register: RegisterStore;
  snapshot: Snapshot;
  rules: Rules;
  period: string;
  out: string;
  /** A retirements file (DESIGN §8), checked row by row before any work. */
  retirementsFile?: string | undefined;
  /** false: CSV files only, no workbook. */
  workbook?: boolean | undefined;
  /** Ledger import layouts to write too, as journal-PROFILE.csv (DESIGN §10). */
  erp?: readonly string[] | undefined;
  /** Close a period that had not ended when the snapshot was fetched (marked provisional). */
  allowOpenPeriod?: boolean | undefined;
  /**
   * `out` may hold the period's outputs posted to another register, and they are replaced
   * (never otherwise: see WriteOptions.registerId). For a folder that is the caller's own:
   * capex demo starting over on a new register.
   */
  replacesAnyRegister?: boolean | undefined;
  /** The close's clock, for the register's record of when it was closed. */
  now?: () => Date;
  onStage?: (stage: string) => void;
  onFile?: (file: string) => void;
  /** Told each warning about the outputs (a cell cut at Excel's limit) once. */
  onWarning?: (message: string) => void;
}

/** The first 12 digits of a sha256, as refusals show it (after `label`); undefined without one. */
const shortHash = (sha256: string | undefined, label = "") => (sha256 ? `${label}${sha256.slice(0, 12)}…` : undefined);

export interface MonthEndOutcome {
  result: CloseResult;
  manifest: CloseManifest;
  /** `closed`: the period was posted; `rewritten`: it was closed already with the same inputs, and its outputs were written again. */
  status: "closed" | "rewritten";
  warnings: string[];
  /** The rules differ from those the previous period was closed with: that period and its rules, as recorded. */
  rulesChangedSince?: { period: string; rulesFile: string | undefined; rulesSha256: string } | undefined;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The control totals the register records for a period, as the manifest prints them. */
function controlTotals(result: CloseResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.controlTotals)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = formatCents(v);
  return out;
}

export function postingOf(result: CloseResult, manifest: CloseManifest, inputs: Record<string, string>, at: Date, outputFolder?: string): PeriodPosting {
  return {
    period: result.period,
    kind: "close",
    closedAt: at.toISOString(),
    closedBy: closedBy(),
    snapshotSha256: result.snapshot.manifestSha256,
    rulesSha256: result.rules.sha256,
    rulesVersion: result.rules.version,
    toolVersion: toolVersion(),
    stateDigestBefore: result.registerBefore.digest,
    controlTotals: controlTotals(result),
    outputHashes: manifest.files,
    inputs,
    report: {
      rulesFile: recordedPath(result.rules.file),
      snapshotPath: recordedPath(result.snapshot.dir),
      snapshotFetchedAt: result.snapshot.fetchedAt,
      openPeriod: result.openPeriod,
      rollforward: result.rollforward,
      identities: result.identities,
      ties: result.ties,
      counts: result.counts,
      exceptions: result.exceptions,
      cutoff: result.cutoff,
      adjustments: result.adjustments,
      disposals: result.disposals,
      coveredProjects: result.coveredProjects,
      ...(outputFolder === undefined ? {} : { outputFolder: recordedPath(outputFolder) }),
      ...(manifest.register ? { registerId: manifest.register.id } : {}),
    },
    events: result.posting.events,
    balances: result.posting.balances,
    journal: result.journal,
    classes: result.posting.classes,
    openingBalances: result.posting.openingBalances,
    expensed: result.posting.expensed,
  };
}

/**
 * A re-run writes again what the close wrote, or nothing: outputs that would differ from the
 * hashes the register recorded (another --workbook or --erp choice, the snapshot or rules
 * named by another path, which the workbook and manifest show) are refused before anything
 * is replaced.
 */
function checkSameOutputs(period: string, closedBy: string, recorded: Record<string, string>, now: Record<string, string>, snapshotPathGuessed: boolean): void {
  const problems: string[] = [];
  let differs = false;
  for (const name of new Set([...Object.keys(recorded), ...Object.keys(now)])) {
    if (!(name in now)) problems.push(`${name} was written by the close and would not be now`);
    else if (!(name in recorded)) problems.push(`${name} would be written, which the close did not write`);
    else if (recorded[name] !== now[name]) {
      problems.push(`${name} would differ from what the close wrote`);
      differs = true;
    }
  }
  if (problems.length === 0) return;
  throw new PeriodOrderError(
    `${period} is already closed with these inputs, but this run would not write the same outputs again: ${problems.join("; ")}. Nothing was written. ` +
      `Re-run it as it was closed (the same --workbook or --no-workbook and --erp), or reopen it (capex reopen --period ${period}) to close it otherwise` +
      // Early builds of 0.1.0 did not keep the snapshot's path, which the outputs show: a
      // file that differs may differ only in how the snapshot is named.
      (snapshotPathGuessed && differs
        ? `. ${period} was closed before fiber-capex recorded the snapshot's path: name the snapshot by the path the close was given, from the same working folder, or give --out the period's output folder`
        : "") +
      (closedBy === toolVersion() ? "." : `. It was closed by fiber-capex ${closedBy}; this is ${toolVersion()}, which may compute them differently: capex verify shows where.`),
  );
}

/**
 * Test hook, inert unless CAPEX_TEST_PAUSE names this point (after-lock, before-commit,
 * after-commit): the run says so on stderr and waits for SIGUSR2 (at most a minute), so a
 * test can start a second close against a held lock or SIGKILL the run at an exact point
 * instead of guessing with timings. Nothing but the register tests sets it.
 */
async function testPause(point: "after-lock" | "before-commit" | "after-commit"): Promise<void> {
  if (process.env.CAPEX_TEST_PAUSE !== point) return;
  await new Promise<void>((resume) => {
    const timer = setTimeout(resume, 60_000);
    process.once("SIGUSR2", () => {
      clearTimeout(timer);
      resume();
    });
    process.stderr.write(`capex-test-pause: ${point}\n`);
  });
}

export async function runMonthEnd(input: MonthEndInput): Promise<MonthEndOutcome> {
  const { register, snapshot, rules, period } = input;
  parsePeriod(period, "--period");
  checkErpProfiles(input.erp ?? [], rules.erp, rules.file);
  let retirements: RetirementRequest[] = [];
  let shapeProblems: Problem[] = [];
  const inputs: Record<string, string> = {};
  if (input.retirementsFile) {
    const text = (await readInputFile(input.retirementsFile, "retirements file")).toString("utf8");
    ({ requests: retirements, problems: shapeProblems } = readRetirementRows(text, input.retirementsFile));
    inputs.retirements_sha256 = sha256(text);
  }
  const now = input.now ?? (() => new Date());
  return register.exclusive(async (tx) => {
    await testPause("after-lock");
    const periods = await tx.closedPeriods();
    const last = periods[periods.length - 1];
    let rerun = false;
    if (last && period <= last.period) {
      if (period < periods[0]!.period) {
        const next = periodOfMonthIndex(monthIndexOf(last.period) + 1);
        throw new PeriodOrderError(
          `${period} is before the register's first closed period (${periods[0]!.period}), and a register closes forward from there: ` +
            `close ${next} next, or close ${period} into a register of its own (--db)`,
        );
      }
      if (period < last.period) {
        throw new PeriodOrderError(
          `${period} is closed and only the latest closed period (${last.period}) can be re-run or reopened; corrections to ${period} flow through the adjustments of the next close, and its outputs are written again, as the close wrote them, by capex verify --period ${period} --snapshot DIR --restore DIR`,
        );
      }
      if (last.kind === "import") throw new PeriodOrderError(`${period} holds the assets taken on by capex register import; close ${periodOfMonthIndex(monthIndexOf(period) + 1)} next`);
      // Named as the close recorded them too, so the accountant can tell which file to give.
      const recorded = last.snapshotSha256 !== snapshot.manifestSha256 || last.rulesSha256 !== rules.sha256 ? await tx.periodInputs(period) : undefined;
      const closedWith = (path: string | undefined) => (path ? `${path}, ` : "");
      const differs = [
        last.snapshotSha256 !== snapshot.manifestSha256
          ? recorded && fetchedAgainSince(recorded, snapshot)
            ? `the snapshot (${snapshot.dir} now holds one fetched at ${snapshot.manifest.fetched_at}, manifest sha256 ${snapshot.manifestSha256.slice(0, 12)}…; the close read one fetched at ${recorded.snapshotFetchedAt}, ${last.snapshotSha256.slice(0, 12)}…)`
            : `the snapshot (closed with ${closedWith(recorded?.snapshotPath)}manifest sha256 ${last.snapshotSha256.slice(0, 12)}…, given ${snapshot.dir}, ${snapshot.manifestSha256.slice(0, 12)}…)`
          : undefined,
        last.rulesSha256 !== rules.sha256 ? `the rules (closed with ${closedWith(recorded?.rulesFile)}sha256 ${last.rulesSha256.slice(0, 12)}…, given ${rules.file}, ${rules.sha256.slice(0, 12)}…)` : undefined,
        (last.inputs.retirements_sha256 ?? "") !== (inputs.retirements_sha256 ?? "")
          ? `the retirements file (closed with ${shortHash(last.inputs.retirements_sha256, "one of sha256 ") ?? "none"}, given ${input.retirementsFile ? [input.retirementsFile, shortHash(inputs.retirements_sha256)].filter(Boolean).join(", ") : "none"})`
          : undefined,
      ].filter((x) => x !== undefined);
      if (differs.length) {
        throw new PeriodOrderError(
          `${period} is already closed, with other inputs: ${differs.join("; ")}. A closed period never changes behind the ledger's back: ` +
            `to close it again run capex reopen --period ${period} first (only the latest closed period can be reopened), or close the next period and let the changes flow through its adjustments.`,
        );
      }
      rerun = true;
    } else if (last && period !== periodOfMonthIndex(monthIndexOf(last.period) + 1)) {
      throw new PeriodOrderError(
        `the register's latest closed period is ${last.period}; close ${periodOfMonthIndex(monthIndexOf(last.period) + 1)} next (periods are closed in order, none skipped)`,
      );
    }
    // A folder this close may not write (another register's close of the month, given the
    // same --out by mistake) is refused now, not after minutes of computing a big close. A
    // re-run names the register its close recorded, and is checked when it writes.
    if (!rerun) {
      const registerId = input.replacesAnyRegister ? undefined : await tx.registerId();
      checkCloseOutputFolder(input.out, [snapshot.dir, rules.file], period, registerId, { location: input.register.location, empty: last === undefined });
    }
    const stateBefore = rerun ? periodOfMonthIndex(monthIndexOf(period) - 1) : undefined;
    // The previous close, for what this one is compared with: its snapshot must not be newer
    // than this one where the two cover the same projects (an older fetch reads every later
    // change in Render as reverted: approvals withdrawn, costs changed back), and a change of
    // rules is said.
    const previous = !rerun && last?.kind === "close" ? { period: last.period, closed: last, report: await tx.periodInputs(last.period) } : undefined;
    const fetchedAt = snapshot.manifest.fetched_at;
    const before = previous?.report?.snapshotFetchedAt;
    const coveredBefore = previous?.report?.coveredProjects;
    const overlaps = coveredBefore === undefined || snapshot.projects.some((p) => coveredBefore.includes(p.short_name));
    if (before && overlaps && typeof fetchedAt === "string" && Date.parse(fetchedAt) < Date.parse(before)) {
      throw new InputError(
        "--snapshot",
        `${snapshot.dir} was fetched at ${fetchedAt}, before the snapshot ${previous!.period} was closed from (fetched at ${before}${previous!.report?.snapshotPath ? `, ${previous!.report.snapshotPath}` : ""}): ` +
          "closing from it would read what Render changed since as reverted (approvals withdrawn, costs changed back). Fetch again (capex fetch) and close from the new snapshot",
      );
    }
    const rulesChangedSince =
      previous && previous.closed.rulesSha256 !== rules.sha256 ? { period: previous.period, rulesFile: previous.report?.rulesFile, rulesSha256: previous.closed.rulesSha256 } : undefined;
    // The register's state lives only while the close is computed: on a big register it is
    // hundreds of megabytes the writers do not need. The snapshot is classified first, so the
    // state holds only a summary of each asset the snapshot holds now (the close takes the
    // rest from the snapshot), and the close lets go of it once reconciled. Same id, project and
    // task: a task's own asset_id may name an asset registered from a project this
    // snapshot does not cover, which the close carries on from its registered record.
    const result = await (async () => {
      const earlierRetirementsTax = await tx.earlierRetirementsTax(period, rules.fiscalYearStartMonth);
      const close = { snapshot, rules, period, retirements, allowOpenPeriod: input.allowOpenPeriod, earlierRetirementsTax, onStage: input.onStage };
      const classification = await classifyForClose(close);
      const current = assetsInService(classification, period);
      input.onStage?.("register");
      const state = await tx.loadState(stateBefore, {
        summarize: (id, project, taskId) => {
          // Another task naming the id is held back, and the asset may then be withdrawn: whole.
          const now = current.get(id);
          return now?.project === project && now.taskId === taskId;
        },
      });
      if (rerun && state.lastClosed === undefined && periods.length > 1) throw new PeriodOrderError(`cannot rebuild the register as it stood before ${period}`);
      // A file with mistakes in it is refused before anything is computed or written, with every
      // problem at once: the rows that could be read checked against the register and against
      // what this close adds (checked before the snapshot was read, a row retiring an asset the
      // close adds could only be told "not in the register", with a did-you-mean to another).
      checkRetirements(retirements, state, period, input.retirementsFile ?? "retirements", shapeProblems, current);
      current.clear();
      return closePeriod({ ...close, classification, register: state, releaseRegister: true });
    })();
    // A re-run names the snapshot and rules as the close did (the workbook's Summary and the
    // manifest show them), whatever folder it is run from and however they are named now.
    // For a period closed before the register kept the snapshot's path, from the output folder's manifest, else as given now.
    const given = { snapshot: recordedPath(snapshot.dir), rules: recordedPath(rules.file) };
    const recorded = rerun ? await tx.periodReport(period) : undefined;
    const inputPaths = rerun ? recordedInputPaths(recorded, readManifest(input.out), period, snapshot.manifestSha256, rules.sha256, given) : undefined;
    const { manifest, warnings } = await writeCloseOutputs(result, rules, {
      inputPaths,
      // A re-run names the register as the close did (none, for a period closed before 0.5.0).
      registerId: rerun ? recorded?.registerId : await tx.registerId(),
      replacesAnyRegister: input.replacesAnyRegister,
      out: input.out,
      generatedAt: now(),
      onFile: input.onFile,
      onWarning: input.onWarning,
      workbook: input.workbook,
      erp: input.erp,
      beforePublish: rerun
        ? async (m) => checkSameOutputs(period, last!.toolVersion, last!.outputHashes, m.files, inputPaths?.from === "given")
        : async (m) => {
            await testPause("before-commit");
            await tx.commit(postingOf(result, m, inputs, now(), input.out));
            await testPause("after-commit");
          },
    });
    return { result, manifest, status: rerun ? "rewritten" : "closed", warnings, rulesChangedSince };
  });
}
