import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkOutputFolder, writeDirAtomically } from "../atomic-dir.js";
import { closePeriod } from "../close/close.js";
import { parsePeriod, previousPeriod } from "../dates.js";
import { ERP_PROFILE_NAMES } from "../erp/mapping.js";
import { erpFileName } from "../erp/profiles.js";
import { InputError } from "../errors.js";
import { Dec } from "../money.js";
import { toolVersion } from "../package-info.js";
import { type ClosedPeriod, type PeriodReport, stateDigest } from "../register/model.js";
import type { DisposalRow } from "../register/reconcile.js";
import type { RetirementRequest } from "../register/retirements.js";
import type { RegisterStore } from "../register/store.js";
import { type CloseManifest, closeOutputFolder, fetchedAgainSince, recordedInputPaths, recordedPath, workbookName, writeCloseOutputs } from "../report/write.js";
import type { Rules } from "../rules/model.js";
import type { Snapshot } from "../snapshot/reader.js";

/**
 * `capex verify`: the proof an auditor can re-run. The closed period is recomputed from its
 * snapshot, its rules and the register as it stood before the period, into a temporary
 * folder, and every output is compared with the sha256 the register recorded at the close
 * (and with the period's files, when given). The register is only read.
 */

export interface VerifyInput {
  store: RegisterStore;
  period: string;
  /** The snapshot the period was closed with (its manifest sha256 is checked). */
  snapshot: Snapshot;
  /** The rules the period was closed with (their sha256 is checked). */
  rules: Rules;
  /** The period's output folder, to compare its files too. */
  out?: string | undefined;
  /**
   * A folder to write the recomputed outputs into when every one reproduces what the close
   * recorded (an earlier month's lost or damaged outputs). It follows the close's output-folder
   * rule; not given with `out`.
   */
  restore?: string | undefined;
}

/**
 * `same`: recomputed byte for byte as recorded (and as in `out`); `differs`: not; `missing`:
 * absent from `out`, or written by the recomputation but not by the close; `not_reproducible`:
 * recorded at the close but not an output this version of fiber-capex writes.
 */
export type FileStatus = "same" | "differs" | "missing" | "not_reproducible";

export interface FileCheck {
  file: string;
  /** sha256 the register recorded at the close (none for manifest.json, which holds its own time). */
  recorded: string | undefined;
  recomputed: string | undefined;
  /** sha256 of the file in `out`, when `out` was given and holds it. */
  inOut?: string | undefined;
  status: FileStatus;
  /**
   * The first line that differs between the file in `out` (`recorded`) and the recomputed one;
   * for manifest.json also the field. A side that ended before that line has no text.
   */
  firstDifference?: { line: number; field?: string | undefined; recorded?: string | undefined; recomputed?: string | undefined } | undefined;
  /** Why a file could not be compared further. */
  note?: string | undefined;
}

export interface VerifyResult {
  period: string;
  /** Every output recomputed as the close recorded it, and as it is in `out` when given. */
  reproduced: boolean;
  /**
   * Every output recomputed has the sha256 the register recorded at the close: the close
   * reproduces, whatever `out`'s files are. True with `reproduced` false: only files in `out`
   * differ (altered, replaced or removed since the close).
   */
  matchesRegister: boolean;
  snapshotSha256: string;
  rulesFile: string;
  rulesSha256: string;
  rulesVersion: string;
  toolVersionAtClose: string;
  toolVersionNow: string;
  out: string | undefined;
  files: FileCheck[];
  /** Facts that explain a difference (another tool version, a register that no longer rebuilds its state). */
  notes: string[];
  /** The folder the outputs were restored into (input.restore, when every file reproduced). */
  restored?: string | undefined;
}

/** What the register recorded about a closed period; refuses periods that have no close to recompute. */
export async function recordedClose(store: RegisterStore, period: string): Promise<{ closed: ClosedPeriod; report: PeriodReport }> {
  parsePeriod(period, "--period");
  const closed = await store.requireClosed(period, "Only a closed period can be verified.");
  if (closed.kind === "import") {
    throw new InputError("--period", `${period} holds the assets taken on by capex register import: no close computed it, so there is nothing to recompute. Verify the periods closed after it.`);
  }
  const report = await store.periodReport(period);
  if (!report) {
    throw new InputError(
      "--period",
      `${period} was closed by a fiber-capex (${closed.toolVersion}) that did not keep the close's retirements and open-period flag in the register, so it cannot be recomputed exactly`,
    );
  }
  return { closed, report };
}

/** Refuses a snapshot or rules other than the ones the period was closed with, naming both hashes and what to give instead. */
function checkInputs(period: string, closed: ClosedPeriod, report: PeriodReport, snapshot: Snapshot, rules: Rules): void {
  const flags: string[] = [];
  const problems: string[] = [];
  if (snapshot.manifestSha256 !== closed.snapshotSha256 && fetchedAgainSince(report, snapshot)) {
    flags.push("--snapshot");
    problems.push(
      `${snapshot.dir} is the folder ${period} was closed from, but it now holds a snapshot fetched at ${snapshot.manifest.fetched_at}, not the one fetched at ${report.snapshotFetchedAt} ` +
        `(manifest sha256 ${closed.snapshotSha256}) that the close read: a later fetch replaced it (capex fetch --replace). Give --snapshot a copy of that snapshot, if one was kept`,
    );
  } else if (snapshot.manifestSha256 !== closed.snapshotSha256) {
    flags.push("--snapshot");
    problems.push(
      `${snapshot.dir} is not the snapshot ${period} was closed with: its manifest.json has sha256 ${snapshot.manifestSha256}, the close recorded ${closed.snapshotSha256} ` +
        `(a snapshot fetched at ${report.snapshotFetchedAt}${report.snapshotPath === undefined ? "" : `, named ${report.snapshotPath} by the close`}); give --snapshot the folder that close read`,
    );
  }
  if (rules.sha256 !== closed.rulesSha256) {
    flags.push("--rules");
    problems.push(
      `${rules.file} (sha256 ${rules.sha256}) is not the rules file ${period} was closed with: ${report.rulesFile}, version ${closed.rulesVersion}, sha256 ${closed.rulesSha256}; give --rules that file`,
    );
  }
  if (problems.length) throw new InputError(flags.join(", "), `${problems.join("; ")}. Nothing was recomputed.`);
}

/** The retirement a disposals row records, as the request that made it: the same portion, date, amounts and reason. */
export function retirementOf(d: DisposalRow, line: number, file: string): RetirementRequest {
  const portion: RetirementRequest["portion"] =
    d.portion === "all" ? { kind: "all" } : d.portion.endsWith("%") ? { kind: "percent", percent: new Dec(d.portion.slice(0, -1)) } : { kind: "quantity", quantity: new Dec(d.portion.split(" ")[0]!) }; // "40 ft" (a bare "40" before 0.5.0)
  return { line, assetId: d.assetId, date: d.date, portion, proceeds: d.proceeds, removalCost: d.removalCost, reason: d.reason, file };
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

async function readIfThere(file: string): Promise<Buffer | undefined> {
  return existsSync(file) ? readFile(file) : undefined;
}

/** The first line where two texts differ (1-based), with each side's line (none past its end). */
export function firstDifferentLine(recorded: string, recomputed: string): { line: number; recorded?: string | undefined; recomputed?: string | undefined } | undefined {
  if (recorded === recomputed) return undefined;
  const a = recorded.split("\n");
  const b = recomputed.split("\n");
  // A last line ending in a newline splits into a trailing "": not a line of its own.
  if (a[a.length - 1] === "") a.pop();
  if (b[b.length - 1] === "") b.pop();
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return { line: i + 1, recorded: a[i]?.replace(/\r$/, ""), recomputed: b[i]?.replace(/\r$/, "") };
  }
  // Same lines, different line endings at the end of the file.
  return { line: n, recorded: a[n - 1], recomputed: b[n - 1] };
}

/** The first field (its path of keys) where two parsed JSON values differ, `skip` left out at the top level. */
function firstDifferentField(a: unknown, b: unknown, skip: ReadonlySet<string>, path: string[] = []): string[] | undefined {
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ra), ...Object.keys(rb)])]) {
      if (path.length === 0 && skip.has(k)) continue;
      const found = firstDifferentField(ra[k], rb[k], skip, [...path, k]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : path;
}

const fieldAt = (value: unknown, path: string[]): unknown => path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
/** A field's path as a reader writes it: files["journal.csv"] where a key holds a dot. */
const fieldName = (path: string[]) => path.map((k, i) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${i ? "." : ""}${k}` : `[${JSON.stringify(k)}]`)).join("") || "(whole file)";

/** Recomputes a closed period and compares every output; never writes to the register or `out` (only to `restore`, when asked). */
export async function verifyPeriod(input: VerifyInput): Promise<VerifyResult> {
  const { store, period, snapshot, rules, out, restore } = input;
  const { closed, report } = await recordedClose(store, period);
  checkInputs(period, closed, report, snapshot, rules);
  if (out !== undefined && !(existsSync(out) && statSync(out).isDirectory())) {
    throw new InputError("--out", `${out} is not a folder; give the folder holding ${period}'s outputs, or leave --out out to compare with the register's hashes only`);
  }
  if (out !== undefined && restore !== undefined) {
    throw new InputError("--restore", "is not given with --out: --restore writes the outputs as the close recorded them, whatever --out holds; give one or the other");
  }
  // Refused now, before minutes of recomputing: the restore follows the close's folder rule.
  const restoreFolder = closeOutputFolder(period, report.registerId);
  const inputs = [snapshot.dir, rules.file];
  if (restore !== undefined) checkOutputFolder(restore, restoreFolder, inputs);
  const notes: string[] = [];
  if (closed.toolVersion !== toolVersion()) {
    notes.push(`${period} was closed by fiber-capex ${closed.toolVersion} and is recomputed by ${toolVersion()}: outputs differ wherever the two versions compute or write differently`);
  }
  const outManifestText = out === undefined ? undefined : (await readIfThere(join(out, "manifest.json")))?.toString("utf8");
  let outManifest: CloseManifest | undefined;
  try {
    outManifest = outManifestText === undefined ? undefined : (JSON.parse(outManifestText) as CloseManifest);
  } catch {
    outManifest = undefined;
  }

  const before = await store.loadState(previousPeriod(period));
  const digest = stateDigest(before);
  if (digest !== closed.stateDigestBefore) {
    notes.push(`the register as it stood before ${period}, rebuilt from the register, has state digest ${digest}; the close recorded ${closed.stateDigestBefore}`);
  }
  const retirementsFile = `the retirements posted in ${period} (from the register)`;
  const result = await closePeriod({
    snapshot,
    rules,
    period,
    register: before,
    retirements: report.disposals.map((d, i) => retirementOf(d, i + 2, retirementsFile)),
    allowOpenPeriod: report.openPeriod,
    earlierRetirementsTax: await store.earlierRetirementsTax(period, rules.fiscalYearStartMonth),
  });
  // Outputs name the snapshot and rules by the paths the close was given (its contents are
  // proven by the hashes checked above): as the register recorded them, or for a period closed
  // before it kept the snapshot's, as the period's manifest does, else as given now.
  const inputPaths = recordedInputPaths(report, outManifest, period, closed.snapshotSha256, closed.rulesSha256, { snapshot: recordedPath(snapshot.dir), rules: recordedPath(rules.file) });
  const generatedAt = outManifest && !Number.isNaN(Date.parse(outManifest.generated_at)) ? new Date(outManifest.generated_at) : new Date(closed.closedAt);

  const scratch = await mkdtemp(join(tmpdir(), "capex-verify-"));
  try {
    const dir = join(scratch, period);
    // The same files as the close: the workbook if it wrote one, and each ledger layout it wrote (--erp).
    const erp = ERP_PROFILE_NAMES.filter((p) => erpFileName(p) in closed.outputHashes);
    const { manifest } = await writeCloseOutputs(result, rules, { out: dir, generatedAt, workbook: workbookName(period) in closed.outputHashes, erp, inputPaths, registerId: report.registerId });
    const files: FileCheck[] = [];
    const names = [...new Set([...Object.keys(closed.outputHashes), ...Object.keys(manifest.files)])];
    for (const file of names) files.push(await compareFile(file, closed, manifest, dir, out));
    files.push(await compareManifest(closed, manifest, dir, out, outManifestText, outManifest));
    const reproduced = files.every((f) => f.status === "same");
    // With --out, manifest.json is compared with out's (the register keeps no hash of it, as it
    // holds its own time); without, with what the register recorded, so it must agree too.
    const matchesRegister =
      out === undefined ? reproduced : files.every((f) => f.file === "manifest.json" || (f.recorded !== undefined && f.recomputed === f.recorded));
    // Only outputs proven to be the close's are written: anything else is not what was posted.
    if (reproduced && restore !== undefined) {
      await writeDirAtomically(restore, restoreFolder, async (tmp) => {
        for (const file of Object.keys(manifest.files)) await copyFile(join(dir, file), join(tmp, file));
        await copyFile(join(dir, "manifest.json"), join(tmp, "manifest.json"));
      }, inputs);
    }
    return {
      period,
      reproduced,
      matchesRegister,
      restored: reproduced ? restore : undefined,
      snapshotSha256: snapshot.manifestSha256,
      rulesFile: report.rulesFile,
      rulesSha256: rules.sha256,
      rulesVersion: rules.version,
      toolVersionAtClose: closed.toolVersion,
      toolVersionNow: toolVersion(),
      out,
      files,
      notes,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function compareFile(file: string, closed: ClosedPeriod, manifest: CloseManifest, dir: string, out: string | undefined): Promise<FileCheck> {
  const recorded = closed.outputHashes[file];
  const recomputed = manifest.files[file];
  const outBytes = out === undefined ? undefined : await readIfThere(join(out, file));
  const inOut = outBytes === undefined ? undefined : sha256(outBytes);
  const check: FileCheck = { file, recorded, recomputed, inOut, status: "same" };
  if (recomputed === undefined) {
    check.status = "not_reproducible";
    check.note =
      `not reproducible by this version: fiber-capex ${toolVersion()} does not write ${file} (the close, by ${closed.toolVersion}, did)` +
      (out === undefined ? "" : inOut === undefined ? `; it is not in ${out} either` : inOut === recorded ? `; the file in ${out} matches the recorded hash` : `; the file in ${out} does not match the recorded hash`);
    return check;
  }
  if (recorded === undefined) {
    check.status = "missing";
    check.note = `the close did not write ${file} (the register recorded no hash for it); this version does`;
    return check;
  }
  if (out !== undefined && outBytes === undefined) {
    check.status = "missing";
    check.note = `${file} is not in ${out}`;
    return check;
  }
  if (recomputed === recorded && (inOut === undefined || inOut === recorded)) return check;
  check.status = "differs";
  if (outBytes !== undefined && inOut !== recomputed) {
    if (file.endsWith(".csv")) check.firstDifference = firstDifferentLine(outBytes.toString("utf8"), await readFile(join(dir, file), "utf8"));
    else check.note = `${file} is not a text file; the CSV files hold the same tables, row by row`;
  } else if (outBytes !== undefined) {
    check.note = `the file in ${out} is what the recomputation gives, but the register recorded another sha256 at the close`;
  } else {
    check.note = "the register keeps each file's sha256, not its rows: give --out the period's output folder to see the first differing row";
  }
  return check;
}

/**
 * manifest.json holds the time it was written, so the register keeps no hash of it: it is
 * compared field by field apart from generated_at, with the period's manifest when `out` is
 * given, else with what the register recorded of it.
 */
async function compareManifest(
  closed: ClosedPeriod,
  manifest: CloseManifest,
  dir: string,
  out: string | undefined,
  outText: string | undefined,
  outManifest: CloseManifest | undefined,
): Promise<FileCheck> {
  const file = "manifest.json";
  const text = await readFile(join(dir, file), "utf8");
  const skip = new Set(["generated_at"]);
  if (out === undefined) {
    const registerView = {
      period: closed.period,
      rules: { version: closed.rulesVersion, sha256: closed.rulesSha256 },
      snapshot: { manifest_sha256: closed.snapshotSha256 },
      register_before: { state_digest: closed.stateDigestBefore },
      control_totals: closed.controlTotals,
      files: closed.outputHashes,
    };
    const ours = {
      period: manifest.period,
      rules: { version: manifest.rules.version, sha256: manifest.rules.sha256 },
      snapshot: { manifest_sha256: manifest.snapshot.manifest_sha256 },
      register_before: { state_digest: manifest.register_before.state_digest },
      control_totals: manifest.control_totals,
      files: manifest.files,
    };
    const field = firstDifferentField(registerView, ours, skip);
    const check: FileCheck = { file, recorded: undefined, recomputed: sha256(text), status: field === undefined ? "same" : "differs" };
    check.note = "compared with what the register recorded of it (period, rules, snapshot, register before, control totals, file hashes); give --out to compare every field";
    if (field !== undefined) check.firstDifference = { line: 0, field: fieldName(field), recorded: JSON.stringify(fieldAt(registerView, field)), recomputed: JSON.stringify(fieldAt(ours, field)) };
    return check;
  }
  if (outText === undefined) return { file, recorded: undefined, recomputed: sha256(text), status: "missing", note: `${file} is not in ${out}` };
  const check: FileCheck = { file, recorded: undefined, recomputed: sha256(text), inOut: sha256(outText), status: "same" };
  if (outManifest === undefined) {
    check.status = "differs";
    check.note = `${file} in ${out} is not JSON`;
    return check;
  }
  const field = firstDifferentField(outManifest, manifest, skip);
  if (field === undefined) return check;
  check.status = "differs";
  const there = fieldAt(outManifest, field);
  const here = fieldAt(manifest, field);
  if (there === undefined || here === undefined) {
    // A field on one side only: the nearest differing lines would show a comma, not the field.
    check.firstDifference = { line: 0, field: fieldName(field), recorded: there === undefined ? "(not there)" : JSON.stringify(there), recomputed: here === undefined ? "(not there)" : JSON.stringify(here) };
    return check;
  }
  // The line as it stands in the period's file: the recomputed text with the same generated_at.
  const aligned = `${JSON.stringify({ ...manifest, generated_at: outManifest.generated_at }, null, 2)}\n`;
  const line = firstDifferentLine(outText, aligned);
  check.firstDifference = { line: line?.line ?? 0, field: fieldName(field), recorded: line?.recorded, recomputed: line?.recomputed };
  return check;
}
