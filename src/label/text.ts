import type { LabelSummary } from "./label.js";

/** Task ids listed in full up to this many; the JSON summary always has them all. */
const IDS_SHOWN = 20;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function idList(ids: readonly number[]): string {
  const shown = ids.slice(0, IDS_SHOWN).join(", ");
  return ids.length > IDS_SHOWN ? `${shown} … and ${ids.length - IDS_SHOWN} more` : shown;
}

/** The plan (dry run) or what was done, per project, and the request counts: what `capex label` prints. */
export function describeLabelSummary(s: LabelSummary): string[] {
  const dry = s.dryRun;
  const lines = [`capex label ${s.period}${dry ? ": dry run, nothing written to Render" : ""} (current labels read from ${s.currentLabelsFrom === "api" ? "the API" : "the snapshot"})`];
  const busy = s.projects.filter((p) => p.create.length || p.add.length || p.remove.length);
  if (busy.length === 0) lines.push(`Nothing to send: every task already carries what the close of ${s.period} says (${plural(s.alreadyDone, "mark")}).`);
  for (const p of busy) {
    lines.push(`${p.project}:`);
    for (const name of p.create) lines.push(`  ${dry ? "create" : "created"} label "${name}"`);
    for (const a of p.add) lines.push(`  ${dry ? "add" : "added"} "${a.label}" to ${plural(a.taskIds.length, "task")}: ${idList(a.taskIds)}`);
    for (const r of p.remove) lines.push(`  ${dry ? "remove" : "removed"} "${r.label}" from ${plural(r.taskIds.length, "task")}: ${idList(r.taskIds)}`);
    if (p.alreadyDone) lines.push(`  already done: ${plural(p.alreadyDone, "mark")}`);
  }
  for (const n of s.notConfirmed) {
    // Render confirms only the tasks it added the label to: read from a snapshot older than
    // Render's labels, a task that already carried it is the likely reason, not a lost task.
    const why =
      s.currentLabelsFrom === "snapshot"
        ? "they most likely carried it already (the current labels were read from the snapshot, which can be older than Render's: fetch again, or run without --snapshot, for exact counts); else check that these tasks still exist in Render"
        : "check that these tasks still exist in Render";
    lines.push(`warning: Render did not confirm "${n.label}" on ${plural(n.taskIds.length, "task")} of ${n.project} (${idList(n.taskIds)}): ${why}`);
  }
  const r = s.requests;
  lines.push(
    `Requests: ${r.total} in all: ${plural(r.reads, "read")}, ${plural(r.labelCreations, "label creation")}, ${plural(r.addBatches, "add batch", "add batches")}, ` +
      `${plural(r.deleteBatches, "delete batch", "delete batches")}, ${plural(r.tokens, "token")}, ${plural(r.retries, "retry", "retries")} (${r.rateLimited} answered 429)`,
  );
  return lines;
}
