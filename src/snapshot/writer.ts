import { createHash, type Hash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { once } from "node:events";
import { join } from "node:path";
import { checkOutputFolder, filesOfManifest, type OutputFolderKind } from "../atomic-dir.js";

export const SNAPSHOT_FORMAT = "fiber-capex-snapshot/1";

/** A snapshot folder: its manifest.json carries `format: "fiber-capex-snapshot/N"`. */
export const SNAPSHOT_FOLDER: OutputFolderKind = {
  noun: "snapshot folder",
  example: "snapshots/2026-11-02",
  owns: (manifest) => {
    const format = (manifest as { format?: unknown } | undefined)?.format;
    return typeof format === "string" && format.startsWith("fiber-capex-snapshot/");
  },
  written: filesOfManifest,
};

export interface SnapshotFolderOptions {
  /** Replace an earlier snapshot in that folder (by default refused: see checkSnapshotFolder). */
  replace?: boolean | undefined;
}

/**
 * Refuses a snapshot path whose folder a fetch would destroy (anything but a new path or an
 * empty folder, or an earlier snapshot when `replace` is given); call it before any work. An
 * earlier snapshot is kept by default: it is the evidence a close made from it is verified
 * against, and a fetch into the same folder would leave `capex verify` nothing to recompute.
 */
export function checkSnapshotFolder(out: string, options: SnapshotFolderOptions = {}): void {
  checkOutputFolder(out, snapshotFolderKind(options));
}

/** What a fetch into `out` may replace (see checkSnapshotFolder). */
export function snapshotFolderKind(options: SnapshotFolderOptions = {}): OutputFolderKind {
  if (options.replace) return SNAPSHOT_FOLDER;
  return {
    ...SNAPSHOT_FOLDER,
    reusable: "a snapshot folder fiber-capex wrote before, with --replace",
    refuses: (manifest) => {
      const fetchedAt = (manifest as { fetched_at?: unknown } | undefined)?.fetched_at;
      const when = typeof fetchedAt === "string" ? ` fetched at ${fetchedAt}` : "";
      return `holds a snapshot${when}, the evidence that a close made from it is verified against (capex verify); a fetch replaces an earlier snapshot only when asked to with --replace`;
    },
  };
}

export interface ProjectFetchRecord {
  tasks: number;
  total_results: Record<string, number>;
  duplicates_dropped: number;
  invalid_tasks: number;
  total_results_changes: Array<{ status: string; page: number; before: number; after: number }>;
}

export interface InvalidTaskRecord {
  project_short_name: string;
  project_task_id: unknown;
  path: string;
  message: string;
}

export interface SnapshotManifest {
  format: string;
  api_base_url: string;
  fetched_at: string;
  statuses: string[];
  request_count: number;
  retries: number;
  rate_limited: number;
  tokens_fetched: number;
  projects: Record<string, ProjectFetchRecord>;
  invalid_tasks: number;
  files: Record<string, string>;
  [extra: string]: unknown;
}

/** The fetch fields of a snapshot written without a fetch (fixtures, generated data, tests). */
export const NOT_FETCHED = {
  statuses: [] as string[],
  request_count: 0,
  retries: 0,
  rate_limited: 0,
  tokens_fetched: 0,
  projects: {} as Record<string, ProjectFetchRecord>,
  invalid_tasks: 0,
};

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Writes the snapshot layout into a folder: projects.json, task_types.json, tasks.jsonl
 * (streamed, one task a line, exactly as Render returned it plus project_short_name),
 * invalid_tasks.json and manifest.json with the sha256 of each file.
 */
export class SnapshotWriter {
  private readonly files: Record<string, string> = {};
  private readonly tasksStream: WriteStream;
  private readonly tasksHash: Hash = createHash("sha256");
  taskCount = 0;

  constructor(private readonly dir: string) {
    this.tasksStream = createWriteStream(join(dir, "tasks.jsonl"));
  }

  private async writeJson(name: string, value: unknown): Promise<void> {
    const text = `${JSON.stringify(value, null, 2)}\n`;
    await writeFile(join(this.dir, name), text);
    this.files[name] = sha256(text);
  }

  writeProjects(projects: unknown[]): Promise<void> {
    return this.writeJson("projects.json", projects);
  }

  writeTaskTypes(byProject: Record<string, unknown[]>): Promise<void> {
    return this.writeJson("task_types.json", byProject);
  }

  async addTask(raw: Record<string, unknown>, projectShortName: string): Promise<void> {
    const line = `${JSON.stringify(raw.project_short_name ? raw : { ...raw, project_short_name: projectShortName })}\n`;
    this.tasksHash.update(line);
    this.taskCount++;
    if (!this.tasksStream.write(line)) await once(this.tasksStream, "drain");
  }

  /** Closes tasks.jsonl, writes invalid_tasks.json and the manifest; returns the manifest. */
  async finish(invalid: InvalidTaskRecord[], manifest: Omit<SnapshotManifest, "files" | "format">): Promise<SnapshotManifest> {
    this.tasksStream.end();
    await once(this.tasksStream, "finish");
    this.files["tasks.jsonl"] = this.tasksHash.digest("hex");
    await this.writeJson("invalid_tasks.json", invalid);
    const full = { format: SNAPSHOT_FORMAT, ...manifest, files: { ...this.files } } as SnapshotManifest;
    await writeFile(join(this.dir, "manifest.json"), `${JSON.stringify(full, null, 2)}\n`);
    return full;
  }

  /**
   * Stops writing after a failure (the folder is thrown away by the caller) and resolves once
   * tasks.jsonl is closed. A write may still be in flight: the stream then reports it as an
   * ERR_STREAM_DESTROYED 'error' that nobody listens for, which would crash the process, so
   * it is taken here; the failure that led to the abort is the one that matters.
   */
  async abort(): Promise<void> {
    if (this.tasksStream.closed) return;
    this.tasksStream.on("error", () => undefined);
    const closed = new Promise<void>((resolve) => this.tasksStream.once("close", () => resolve()));
    this.tasksStream.destroy();
    await closed;
  }
}
