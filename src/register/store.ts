import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, lstatSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Database from "better-sqlite3";
import { type Dialect, type Insertable, Kysely, Migrator, type Selectable, type Transaction, PostgresDialect, SqliteDialect, sql } from "kysely";
import type pg from "pg";
import type { AssetRecord } from "../capitalize/outcomes.js";
import { monthIndexOf } from "../dates.js";
import { fiscalYearOf } from "../depreciation/schedule.js";
import { PeriodOrderError, RegisterBusyError, RegisterError, RegisterOpenError } from "../errors.js";
import type { JournalEntry, JournalSource } from "../ledger/journal.js";
import type { Cents } from "../money.js";
import { type AssetBalance, type AssetRetirement, type AssetSource, type AssetStatus, type ClassBalance, type ClosedPeriod, type EarlierRetirementsTax, earlierMonthsOfTaxYear, emptyRegisterState, type EventKind, expensedKey, ledgerKey, type PeriodPosting,
  notClosedReason, type ReopenRecord, type PeriodReport, recordSummary, type RegisteredAsset, type RegisterState, retiredOf } from "./model.js";
import type { DisposalRow } from "./reconcile.js";
import { BALANCE_BLOCK, type Backend, migrations, REGISTER_MARK, type RegisterTables } from "./schema.js";

/**
 * The register store: the only module that touches the database. SQLite (a file, the
 * default) or PostgreSQL (a shared server), through one Kysely schema. A close runs inside
 * `exclusive`, which holds the register's close lock in one transaction: SQLite's write lock
 * (BEGIN IMMEDIATE, no waiting), PostgreSQL's transaction advisory lock. A killed process
 * releases either, and its transaction rolls back.
 */

type Db = Kysely<RegisterTables>;
type Tx = Transaction<RegisterTables> | Db;

export interface RegisterLocation {
  /** A file path or a postgres:// URL, as the user gave it (secrets never shown). */
  location: string;
  backend: Backend;
  dialect: Dialect;
  /** SQLite: the connection, once Kysely has opened it (the bulk path's prepared statements run on it). */
  sqlite?: SqliteConnection;
  /** SQLite: the file, resolved when the location was read. */
  file?: string;
}

/** One event of an asset's story, as `capex register asset` shows it. */
export interface AssetEventRow {
  period: string;
  kind: EventKind;
  status: AssetStatus;
  record: AssetRecord;
  costChange: Cents;
  accumulatedChange: Cents;
  catchUp: Cents;
  message: string;
}

/** An event of a period with the asset it belongs to. */
export interface PeriodEventRow extends AssetEventRow {
  assetId: string;
  project: string;
}

/** An asset's depreciation in one period, with its class then. */
export interface PeriodBalanceRow {
  assetId: string;
  project: string;
  faClass: string;
  depreciation: Cents;
  accumulated: Cents;
}

/** One period of an asset's GL book: accumulated = the period before's + amount + otherChanges. */
export interface GlBookRow {
  period: string;
  amount: Cents;
  otherChanges: Cents;
  accumulated: Cents;
  /** The asset's cost at the period's end (after its changes and retirements then): cost − accumulated is its net book value then. */
  cost: Cents;
}

/**
 * An asset's GL book by period: the periods it has a balance in, and those it had only events
 * in (the period it was withdrawn, say: no balance, its accumulated reversed). Other changes
 * are the events' (taken on, caught up, reversed, retired) and the accumulated the balance's,
 * so a row adds up from the one before exactly when every change of the asset is an event.
 */
function glBook(balances: Array<{ period: string; amount: Cents; accumulated: Cents }>, changes: ReadonlyMap<string, { cost: Cents; accumulated: Cents }>): GlBookRow[] {
  const byPeriod = new Map(balances.map((b) => [b.period, b]));
  const rows: GlBookRow[] = [];
  let accumulated = 0;
  // Every event's cost change, from the take-on or addition on, adds up to the cost as it stands.
  let cost = 0;
  for (const period of [...new Set([...byPeriod.keys(), ...changes.keys()])].sort()) {
    const b = byPeriod.get(period);
    const change = changes.get(period);
    const other = change?.accumulated ?? 0;
    accumulated = b ? b.accumulated : accumulated + other;
    cost += change?.cost ?? 0;
    rows.push({ period, amount: b?.amount ?? 0, otherChanges: other, accumulated, cost });
  }
  return rows;
}

export interface AssetHistory {
  assetId: string;
  source: AssetSource;
  project: string;
  taskId: number | undefined;
  firstPeriod: string;
  events: AssetEventRow[];
  /** By period: the GL depreciation, the other changes to the accumulated (taken on, caught up, reversed, retired; see glBook), and the accumulated after both. */
  depreciation: GlBookRow[];
  /** The journal entries of the periods and classes the asset reached (entries are per project and class). */
  journalIds: string[];
}

export interface LoadOptions {
  /**
   * The Render assets whose records may be loaded as their summary (see recordSummary), by
   * id and registered project and task: the month-end names those the snapshot holds now for
   * the same task. Records with a retired part load whole.
   */
  summarize?: (assetId: string, project: string, taskId: number | undefined) => boolean;
}

export interface OpenOptions {
  /**
   * Refuse a location that holds no register (a SQLite file not there or empty, a database
   * without one) instead of making an empty register: for commands that only look at one.
   */
  mustExist?: boolean;
}

/** What a period's posting put in the register: what a reopen of it removes. */
export interface PeriodContents {
  period: string;
  kind: "close" | "import";
  events: number;
  /** Assets the period brought into the register (they leave it with the period). */
  newAssets: number;
  balances: number;
  journalEntries: number;
  journalLines: number;
  outputFiles: number;
}

export interface RegisterStatus {
  location: string;
  backend: Backend;
  periods: ClosedPeriod[];
  /** The periods closed provisionally: before they had ended (--allow-open-period), so a later close may find more of their work. */
  provisional: string[];
  assetsByStatus: Record<AssetStatus, number>;
}

/** Password-free form of a database location, for messages: no password in the user part or the query. */
export function describeLocation(location: string): string {
  if (!/^postgres(ql)?:\/\//i.test(location)) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = "";
    for (const key of [...url.searchParams.keys()].filter((k) => /pass/i.test(k))) url.searchParams.set(key, "***");
    return url.toString();
  } catch {
    // Not a URL Node can parse: keep the scheme and host part only, which holds no secret.
    return location.replace(/\/\/.*@/, "//").replace(/\?.*$/, "");
  }
}

const SQLITE_HEADER = "SQLite format 3\u0000";

/** The SQLite connection a store opened (set on its first query). */
interface SqliteConnection {
  db?: Database.Database;
}

function sqliteDialect(file: string, opened: SqliteConnection): Dialect {
  if (existsSync(file)) {
    // A file that is not SQLite at all would otherwise fail on the first query with a vague message.
    const fd = openSync(file, "r");
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    closeSync(fd);
    if (n > 0 && head.toString("latin1", 0, n) !== SQLITE_HEADER.slice(0, n)) {
      throw new RegisterOpenError("REGISTER_INVALID", `${file} is not a fiber-capex register (not an SQLite database); name another file with --db or CAPEX_DB`);
    }
  }
  return new SqliteDialect({
    database: async () => {
      const db = new Database(file, { timeout: 0 });
      // 16 KB pages (SQLite's default is 4 KB): an event's record (about 900 bytes of JSON)
      // fills a 4 KB page four to one; a first close of 100,000 tasks is 0.3-0.4 s faster and
      // its register 13% smaller. SQLite applies it to a new file only: a register made
      // before keeps its size.
      db.pragma("page_size = 16384");
      // WAL, also for a new register's take-on, though a rollback journal would write its
      // pages once instead of twice (0.1-0.2 s at 100,000 tasks): with a rollback journal the
      // close holds SQLite's exclusive lock from its first spill to disk, and a second run or
      // capex register status meanwhile got "database is locked" instead of being told the
      // register is busy with a close. In WAL a reader never blocks and is never blocked.
      // (Set by RegisterStore.open once the file is known to be a register.)
      db.pragma("synchronous = NORMAL");
      db.defaultSafeIntegers(false);
      opened.db = db;
      return db;
    },
  });
}

/**
 * The pg client each `exclusive` run checked out, so the bulk path can COPY on the
 * transaction's own connection (Kysely does not expose it). Set by the pool below.
 */
const checkedOut = new AsyncLocalStorage<{ client?: pg.PoolClient }>();

/** BIGINT (20) and NUMERIC sums (1700) arrive as strings; cents are safe integers, anything else is refused. */
function centsFromText(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RegisterError("REGISTER_INVALID", `the register holds an amount (${v}) beyond what fiber-capex can represent exactly in cents`);
  return n;
}

function postgresDialect(url: string): Dialect {
  return new PostgresDialect({
    // pg is loaded with the first PostgreSQL register a run opens: a command on an SQLite
    // register (most of them) does not pay for compiling it at start-up.
    pool: async () => {
      const { default: pg } = await import("pg");
      const types = { getTypeParser: (oid: number, format?: string) => (oid === 20 || oid === 1700 ? centsFromText : pg.types.getTypeParser(oid, format as "text")) };
      // A server that never answers (a firewall dropping packets) must not hang the close.
      const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000, types: types as pg.CustomTypesConfig });
      return {
        async connect() {
          const client = await pool.connect();
          const box = checkedOut.getStore();
          if (box) box.client = client;
          return client;
        },
        end: () => pool.end(),
      };
    },
  });
}

/** Where `--db` / CAPEX_DB points: a postgres:// URL, else a SQLite file (capex.db by default). */
export function registerLocation(db: string | undefined): RegisterLocation {
  const location = db ?? process.env.CAPEX_DB ?? "capex.db";
  // The URL goes to the dialect only: `location` is what may be shown, without its password.
  if (/^postgres(ql)?:\/\//i.test(location)) return { location: describeLocation(location), backend: "postgres", dialect: postgresDialect(location) };
  const file = resolve(location);
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    throw new RegisterOpenError("REGISTER_INVALID", `${location} is a folder, not a register file; name the register file with --db or CAPEX_DB, for example ${join(location, "capex.db")}`);
  }
  const sqlite: SqliteConnection = {};
  return { location, backend: "sqlite", dialect: sqliteDialect(file, sqlite), sqlite, file };
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const CHUNK_PARAMS = 30_000;
/** Assets read per query when the register's state is loaded: whole blocks of balances. */
const LOAD_PAGE = 50 * BALANCE_BLOCK;

async function insertChunked<T extends keyof RegisterTables>(tx: Tx, table: T, rows: Array<Record<string, unknown>>): Promise<void> {
  if (rows.length === 0) return;
  const per = Math.max(1, Math.floor(CHUNK_PARAMS / Object.keys(rows[0]!).length));
  for (let i = 0; i < rows.length; i += per) {
    await tx.insertInto(table).values(rows.slice(i, i + per) as never).execute();
  }
}

/** One value in COPY's text format: \\N for null, backslash escapes for the separators. */
function copyText(v: unknown): string {
  if (v === null || v === undefined) return "\\N";
  if (typeof v === "number") return String(v);
  return String(v).replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"));
}

/**
 * The bulk path for the big tables (a row per asset per period): COPY on PostgreSQL through
 * the transaction's own client, a prepared statement on SQLite's connection, multi-row inserts
 * elsewhere (PGlite). `valuesOf` gives a row's values in the order of `columns`: on SQLite
 * they are bound as they are, with no row object to build and look each column up in (a
 * first close of 100,000 tasks spent 0.1-0.2 s on those). Row order is kept, so identity keys
 * follow it as with inserts. On SQLite, `rowids` (when given) receives each row's rowid, in
 * order: a table's INTEGER PRIMARY KEY, which the caller then need not read back.
 */
async function insertBulk<T extends keyof RegisterTables, X>(
  tx: Tx,
  bulk: BulkPath,
  table: T,
  columns: ReadonlyArray<keyof RegisterTables[T] & string>,
  items: readonly X[],
  valuesOf: (x: X) => unknown[],
  rowids?: number[],
): Promise<void> {
  if (items.length === 0) return;
  // Rows are made one at a time as they are written: a big close's rows (each event with its
  // record as JSON) never all exist at once, at the close's high-water mark of memory.
  if (bulk?.sqlite) {
    // One prepared statement run per row inside the open transaction: no 30,000-parameter
    // statements to build and parse, which cost more time and memory than the inserts.
    const insert = bulk.sqlite.prepare(`insert into ${table} (${columns.join(", ")}) values (${columns.map(() => "?").join(", ")})`);
    for (const x of items) {
      const { lastInsertRowid } = insert.run(valuesOf(x));
      rowids?.push(Number(lastInsertRowid));
    }
    return;
  }
  const client = bulk?.copy;
  if (!client) {
    const rowOf = (x: X) => {
      const values = valuesOf(x);
      return Object.fromEntries(columns.map((c, i) => [c, values[i]]));
    };
    return insertChunked(tx, table, items.map(rowOf));
  }
  function* text(): Generator<string> {
    const lines: string[] = [];
    for (const x of items) {
      lines.push(valuesOf(x).map(copyText).join("\t"));
      if (lines.length === 5_000) yield `${lines.splice(0).join("\n")}\n`;
    }
    if (lines.length) yield `${lines.join("\n")}\n`;
  }
  const { from: copyFrom } = await import("pg-copy-streams");
  await pipeline(Readable.from(text()), client.query(copyFrom(`copy ${table} (${columns.join(", ")}) from stdin`)));
}

/** How the big tables are written: COPY on a PostgreSQL server, prepared statements on SQLite, else chunked inserts (PGlite). */
type BulkPath = { copy?: pg.PoolClient; sqlite?: Database.Database } | undefined;

export class RegisterStore {
  private constructor(
    readonly db: Db,
    readonly location: string,
    readonly backend: Backend,
    private readonly sqlite: SqliteConnection | undefined,
  ) {}

  /** The SQLite file this store made when it opened (nothing was at its path), by inode: see close(). */
  private made: { file: string; ino: number } | undefined;

  /** Whether this store made the SQLite file it opened (nothing was at the path). */
  get madeNew(): boolean {
    return this.made !== undefined;
  }
  /** Whether a transaction of this store committed (set the moment it did, even if what followed failed). */
  private wrote = false;

  /**
   * Opens (and creates, or migrates) a register. Refuses files that are not registers and
   * registers of a newer fiber-capex. An SQLite file it creates, into which nothing is
   * committed, is removed again by close().
   */
  static async open(where: string | RegisterLocation | undefined, options: OpenOptions = {}): Promise<RegisterStore> {
    const loc = typeof where === "object" ? where : registerLocation(where);
    const shown = describeLocation(loc.location);
    // Looking at a register must not leave an empty capex.db behind a mistyped --db.
    if (options.mustExist && loc.backend === "sqlite" && !existsSync(resolve(loc.location))) {
      throw new RegisterOpenError(
        "REGISTER_INVALID",
        `there is no register at ${shown}; name the register with --db or CAPEX_DB (the default is capex.db in the working folder). A register is made by the first capex close or capex register import.`,
      );
    }
    // Nothing at all at the path, not even a dangling symbolic link: this store makes the file.
    const making = loc.file !== undefined && lstatSync(loc.file, { throwIfNoEntry: false }) === undefined ? loc.file : undefined;
    const db = new Kysely<RegisterTables>({ dialect: loc.dialect });
    const store = new RegisterStore(db, shown, loc.backend, loc.sqlite);
    try {
      await store.checkAndMigrate(options.mustExist ?? false);
      // Only now, on a file known to be a register: journal_mode is written into the file, and
      // another program's SQLite file, refused above, is left exactly as it was.
      loc.sqlite?.db?.pragma("journal_mode = WAL");
    } catch (e) {
      await db.destroy().catch(() => undefined);
      throw store.openError(e);
    }
    const made = making === undefined ? undefined : lstatSync(making, { throwIfNoEntry: false });
    if (made?.isFile()) store.made = { file: making!, ino: made.ino };
    return store;
  }

  /**
   * Opens a register that must exist already, for commands that only read it (verify,
   * trace): a mistyped SQLite path is refused instead of becoming an empty register.
   */
  static async openExisting(where: string | undefined): Promise<RegisterStore> {
    const loc = registerLocation(where);
    if (loc.backend === "sqlite" && !existsSync(resolve(loc.location))) {
      throw new RegisterOpenError("REGISTER_INVALID", `there is no register at ${loc.location}; name the register the periods were closed into with --db or CAPEX_DB`);
    }
    return RegisterStore.open(loc, { mustExist: true });
  }

  private openError(e: unknown): Error {
    if (e instanceof RegisterOpenError) return e;
    const err = e as NodeJS.ErrnoException & { code?: string };
    const text = String(err?.message ?? e);
    // A database the server does not have is a register that is not there (exit 2, as a SQLite
    // file that is not there): PostgreSQL registers are made in a database someone created.
    if (err?.code === "3D000") {
      return new RegisterOpenError(
        "REGISTER_INVALID",
        `there is no PostgreSQL register at ${this.location}: the server has no such database. Create it (createdb NAME, or CREATE DATABASE) or name another in --db or CAPEX_DB.`,
        { cause: e },
      );
    }
    if (["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "28P01", "28000"].includes(String(err?.code))) {
      return new RegisterOpenError(
        "REGISTER_UNREACHABLE",
        `cannot reach the PostgreSQL register ${this.location}: ${err.code === "28P01" || err.code === "28000" ? "the server refused the user or password" : `${err.code}`}. Check the URL in --db or CAPEX_DB and that the server is running.`,
        { cause: e },
      );
    }
    if (err?.code === "SQLITE_NOTADB" || /file is not a database/i.test(text)) {
      return new RegisterOpenError("REGISTER_INVALID", `${this.location} is not a fiber-capex register (not an SQLite database); name another file with --db or CAPEX_DB`, { cause: e });
    }
    if (err?.code === "SQLITE_CANTOPEN" || err?.code === "SQLITE_READONLY") {
      return new RegisterOpenError("REGISTER_INVALID", `cannot open the register ${this.location} for writing (${err.code}); check the folder exists and is writable`, { cause: e });
    }
    return new RegisterOpenError("REGISTER_INVALID", `cannot open the register ${this.location}: ${text}`, { cause: e });
  }

  private async checkAndMigrate(mustExist: boolean): Promise<void> {
    const names = new Set(await this.tableNames());
    const known = Object.keys(migrations(this.backend));
    if (names.has("capex_register")) {
      const mark = await this.db.selectFrom("capex_register").select("value").where("key", "=", "kind").executeTakeFirst();
      if (mark?.value !== REGISTER_MARK) throw new RegisterOpenError("REGISTER_INVALID", `${this.location} is not a fiber-capex register; name another database with --db or CAPEX_DB`);
      const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(this.db);
      const newer = applied.rows.map((r) => r.name).filter((n) => !known.includes(n));
      if (newer.length) {
        throw new RegisterOpenError(
          "REGISTER_NEWER",
          `the register ${this.location} was written by a newer fiber-capex (schema ${newer.join(", ")}); upgrade fiber-capex to use it. Nothing was changed.`,
        );
      }
    } else if ([...names].some((n) => !n.startsWith("kysely_") && !n.startsWith("sqlite_"))) {
      throw new RegisterOpenError("REGISTER_INVALID", `${this.location} holds other tables and is not a fiber-capex register; name another database with --db or CAPEX_DB`);
    } else if (mustExist) {
      throw new RegisterOpenError(
        "REGISTER_INVALID",
        `there is no register at ${this.location}: it is empty; name the register with --db or CAPEX_DB. A register is made by the first capex close or capex register import.`,
      );
    }
    // A file with no tables yet becomes a register now: WAL first, so that each migration's
    // commit is not three fsyncs of a rollback journal.
    if (names.size === 0) this.sqlite?.db?.pragma("journal_mode = WAL");
    const migrator = new Migrator({ db: this.db, provider: { getMigrations: async () => migrations(this.backend) } });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
  }

  /**
   * The tables where the register lives: the SQLite file, or the PostgreSQL connection's
   * current schema (other schemas of a shared database belong to others, and a register may
   * live in its own schema through the URL's search_path).
   */
  private async tableNames(): Promise<string[]> {
    if (this.backend === "sqlite") return (await this.db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name);
    const rows = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(this.db);
    return rows.rows.map((r) => r.name);
  }

  /**
   * Closes the connection. A register file this store made, into which it committed nothing
   * (a close refused before its commit, an import that loaded nothing), is removed if it
   * still holds no period: a failed run leaves nothing behind where there was nothing.
   */
  async close(): Promise<void> {
    await this.db.destroy();
    if (this.made && !this.wrote) removeIfUnused(this.made.file, this.made.ino);
  }

  /**
   * For a process about to stop (Ctrl-C): at once, and synchronously, closes the SQLite
   * connection (a transaction still open rolls back) and removes the file this store made
   * if it holds no period, as close() would. A PostgreSQL server rolls back by itself when
   * the connection drops. Says whether a transaction had committed already.
   */
  abandon(): { committed: boolean } {
    this.sqlite?.db?.close();
    if (this.made && !this.wrote) removeIfUnused(this.made.file, this.made.ino);
    return { committed: this.wrote };
  }

  /**
   * Runs `fn` holding the register's close lock inside one transaction. `fn` commits by
   * calling `commit` (before it renames its outputs into place); if it returns without
   * committing, or throws, everything rolls back. A second run meanwhile gets RegisterBusyError.
   */
  async exclusive<T>(fn: (tx: RegisterTransaction) => Promise<T>): Promise<T> {
    const box: { client?: pg.PoolClient } = {};
    return checkedOut.run(box, () => this.runExclusive(box, fn));
  }

  private async runExclusive<T>(box: { client?: pg.PoolClient }, fn: (tx: RegisterTransaction) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (conn) => {
      try {
        if (this.backend === "sqlite") await sql`begin immediate`.execute(conn);
        else {
          await sql`begin`.execute(conn);
          const got = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(7320114, 1) as ok`.execute(conn);
          if (!got.rows[0]?.ok) {
            await sql`rollback`.execute(conn);
            throw new RegisterBusyError(this.location);
          }
        }
      } catch (e) {
        if (e instanceof RegisterBusyError) throw e;
        const code = String((e as { code?: string }).code);
        if (code.startsWith("SQLITE_BUSY") || code === "SQLITE_LOCKED") throw new RegisterBusyError(this.location);
        throw e;
      }
      const bulk = box.client ? { copy: box.client } : this.sqlite?.db ? { sqlite: this.sqlite.db } : undefined;
      const tx = new RegisterTransaction(conn as unknown as Db, this.backend, bulk, () => {
        this.wrote = true;
      });
      try {
        const out = await fn(tx);
        if (!tx.committed) await sql`rollback`.execute(conn);
        return out;
      } catch (e) {
        if (!tx.committed) await sql`rollback`.execute(conn).catch(() => undefined);
        throw e;
      }
    });
  }

  /** The register's state after `asOf` (by default its latest closed period). */
  loadState(asOf?: string, options?: LoadOptions): Promise<RegisterState> {
    return loadState(this.db, this.backend, asOf, options);
  }

  async status(): Promise<RegisterStatus> {
    const periods = await closedPeriods(this.db);
    const assetsByStatus: Record<AssetStatus, number> = { active: 0, withdrawn: 0, retired: 0 };
    const rows = await sql<{ status: AssetStatus; n: number }>`
      select e.status as status, count(*) as n from asset_events e
      join (select asset_no, max(event_no) as last from asset_events group by asset_no) l on e.event_no = l.last
      group by e.status`.execute(this.db);
    for (const r of rows.rows) assetsByStatus[r.status] = num(r.n);
    const reports = await this.db.selectFrom("period_reports").select(["period", reportField<number | string | null>(this.backend, "openPeriod").as("open")]).orderBy("period").execute();
    // SQLite gives a JSON true as 1, PostgreSQL's ->> as the text "true".
    const provisional = reports.filter((r) => r.open === 1 || r.open === "true").map((r) => r.period);
    return { location: this.location, backend: this.backend, periods, provisional, assetsByStatus };
  }

  /** Every asset id the register holds, sorted (for suggesting the one a mistyped id meant). */
  async assetIds(): Promise<string[]> {
    const rows = await this.db.selectFrom("assets").select("asset_id").orderBy("asset_id").execute();
    return rows.map((r) => r.asset_id);
  }

  async closedPeriod(period: string): Promise<ClosedPeriod | undefined> {
    return (await closedPeriods(this.db)).find((p) => p.period === period);
  }

  /** Every reopen the register logged (of `period`, when given), oldest first. */
  async reopenLog(period?: string): Promise<ReopenRecord[]> {
    let q = this.db.selectFrom("reopened_periods").selectAll().orderBy("reopen_no");
    if (period !== undefined) q = q.where("period", "=", period);
    return (await q.execute()).map(reopenRecord);
  }

  /**
   * The closed period `period`, or a PeriodOrderError saying why it is not closed and what to
   * do (notClosedReason), then `onlyClosed`: what the caller does with closed periods only.
   */
  async requireClosed(period: string, onlyClosed: string): Promise<ClosedPeriod> {
    const periods = await closedPeriods(this.db);
    const closed = periods.find((p) => p.period === period);
    if (!closed) throw new PeriodOrderError(`${notClosedReason(period, this.location, periods.map((p) => p.period))}. ${onlyClosed}`);
    return closed;
  }

  async assetHistory(assetId: string): Promise<AssetHistory | undefined> {
    const a = await this.db.selectFrom("assets").selectAll().where("asset_id", "=", assetId).executeTakeFirst();
    if (!a) return undefined;
    const events = await this.db.selectFrom("asset_events").selectAll().where("asset_no", "=", a.asset_no).orderBy("event_no").execute();
    const balances = await assetBalances(this.db, this.backend, num(a.asset_no));
    const changes = new Map<string, { cost: Cents; accumulated: Cents }>();
    for (const e of events) {
      const c = changes.get(e.period) ?? { cost: 0, accumulated: 0 };
      changes.set(e.period, { cost: c.cost + num(e.cost_change), accumulated: c.accumulated + num(e.accumulated_change) });
    }
    const periods = new Set(balances.map((b) => periodOf(num(b.period_no))).concat(events.map((e) => e.period)));
    const classes = new Set(events.map((e) => e.fa_class));
    const journalIds: string[] = [];
    if (periods.size) {
      const lines = await this.db
        .selectFrom("journal_lines")
        .select(["journal_id", "period", "fa_class"])
        .distinct()
        .where("project", "=", a.project)
        .where("period", "in", [...periods])
        .orderBy("period")
        .orderBy("journal_id")
        .execute();
      for (const l of lines) if (classes.has(l.fa_class) && !journalIds.includes(l.journal_id)) journalIds.push(l.journal_id);
    }
    return {
      assetId,
      source: a.source as AssetSource,
      project: a.project,
      taskId: a.task_id === null ? undefined : num(a.task_id),
      firstPeriod: a.first_period,
      events: events.map(eventRow),
      depreciation: glBook(balances.map((b) => ({ period: periodOf(num(b.period_no)), amount: num(b.depreciation), accumulated: num(b.accumulated) })), changes),
      journalIds,
    };
  }

  /** What the close of `period` found and proved (undefined for an import, or a period not closed). */
  periodReport(period: string): Promise<PeriodReport | undefined> {
    return periodReport(this.db, period);
  }

  /** The tax deduction of the retirements posted in `period`'s tax year before it (see EarlierRetirementsTax). */
  earlierRetirementsTax(period: string, fiscalYearStartMonth: number): Promise<EarlierRetirementsTax | undefined> {
    return earlierRetirementsTax(this.db, this.backend, period, fiscalYearStartMonth);
  }

  /** The register's id (see RegisterTransaction.registerId); undefined until a commit of fiber-capex 0.5.0 or later. */
  registerId(): Promise<string | undefined> {
    return readRegisterId(this.db);
  }

  /** The reports of every closed period up to `period`, oldest first. */
  async periodReports(upTo: string): Promise<Array<{ period: string; report: PeriodReport }>> {
    const rows = await this.db.selectFrom("period_reports").selectAll().where("period", "<=", upTo).orderBy("period").execute();
    return rows.map((r) => ({ period: r.period, report: JSON.parse(r.report) as PeriodReport }));
  }

  /** One journal entry as posted (its id names the source, period and project), or undefined. */
  async journalEntry(journalId: string): Promise<JournalEntry | undefined> {
    const rows = await this.db.selectFrom("journal_lines").selectAll().where("journal_id", "=", journalId).orderBy("line").execute();
    return journalFromRows(rows)[0];
  }

  /** Every journal id the register posted, for suggestions when an id is mistyped. */
  async journalIds(): Promise<string[]> {
    return (await this.db.selectFrom("journal_lines").select("journal_id").distinct().orderBy("journal_id").execute()).map((r) => r.journal_id);
  }


  /** The events the close of `period` posted, with each asset's id, in posting order; one project's only when given. */
  async eventsIn(period: string, project?: string): Promise<PeriodEventRow[]> {
    let q = this.db.selectFrom("asset_events as e").innerJoin("assets as a", "a.asset_no", "e.asset_no").selectAll("e").select(["a.asset_id", "a.project"]).where("e.period", "=", period);
    if (project !== undefined) q = q.where("a.project", "=", project);
    const rows = await q.orderBy("e.event_no").execute();
    return rows.map((e) => ({ assetId: e.asset_id, project: e.project, ...eventRow(e) }));
  }

  /**
   * Each asset's depreciation for `period` and accumulated at its end, with the asset's class
   * then (its latest event up to the period): what the period's depreciation journal sums.
   */
  async balancesIn(period: string, project?: string): Promise<PeriodBalanceRow[]> {
    const rows = await sql<{ asset_id: string; project: string; fa_class: string; depreciation: number; accumulated: number }>`
      select a.asset_id, a.project, e.fa_class, b.depreciation, b.accumulated
      from asset_balances b
      join assets a on a.asset_no = b.asset_no
      join (select asset_no, max(event_no) as last from asset_events where period <= ${period} group by asset_no) l on l.asset_no = b.asset_no
      join asset_events e on e.event_no = l.last
      where b.period_no = ${monthIndexOf(period)} ${project === undefined ? sql`` : sql`and a.project = ${project}`}
      order by a.asset_id`.execute(this.db);
    return rows.rows.map((r) => ({ assetId: r.asset_id, project: r.project, faClass: r.fa_class, depreciation: num(r.depreciation), accumulated: num(r.accumulated) }));
  }

  /** The expense the close of `period` posted per task (the change since what was posted before). */
  async expensedIn(period: string, project?: string): Promise<Array<{ project: string; taskId: number; amount: Cents; account: string; faClass: string }>> {
    let q = this.db.selectFrom("expensed_postings").selectAll().where("period", "=", period).where("take_on", "=", 0);
    if (project !== undefined) q = q.where("project", "=", project);
    const rows = await q.orderBy("project").orderBy("task_id").execute();
    return rows.map((x) => ({ project: x.project, taskId: num(x.task_id), amount: num(x.amount), account: x.account, faClass: x.fa_class }));
  }

  /** How the given assets stood at the end of the period before `period`: record as posted and accumulated depreciation. */
  async assetsBefore(period: string, assetIds: readonly string[]): Promise<Map<string, { record: AssetRecord; accumulated: Cents }>> {
    const out = new Map<string, { record: AssetRecord; accumulated: Cents }>();
    // A change of rules can reclassify a whole project: ids go in chunks within the bound-parameter limits.
    for (let i = 0; i < assetIds.length; i += 10_000) {
      const rows = await sql<{ asset_id: string; record: string; accumulated: number | null }>`
        select a.asset_id, e.record, b.accumulated
        from assets a
        join (select asset_no, max(event_no) as last from asset_events where period < ${period} group by asset_no) l on l.asset_no = a.asset_no
        join asset_events e on e.event_no = l.last
        left join asset_balances b on b.asset_no = a.asset_no and b.period_no = ${monthIndexOf(period) - 1}
        where a.asset_id in (${sql.join(assetIds.slice(i, i + 10_000))})`.execute(this.db);
      for (const r of rows.rows) out.set(r.asset_id, { record: JSON.parse(r.record) as AssetRecord, accumulated: num(r.accumulated) });
    }
    return out;
  }

  /** The journal lines the register posted for a period, in journal order. */
  async journal(period: string): Promise<JournalEntry[]> {
    const rows = await this.db.selectFrom("journal_lines").selectAll().where("period", "=", period).orderBy("journal_id").orderBy("line").execute();
    return journalFromRows(rows);
  }

  /** Each account's name as the latest journal line posted to it up to `period` names it (the rules' name then). */
  async accountNames(period: string): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom("journal_lines")
      .select((e) => ["account", "account_name", e.fn.max("period").as("latest")])
      .where("period", "<=", period)
      .groupBy(["account", "account_name"])
      .orderBy("latest")
      .execute();
    return new Map(rows.map((r) => [r.account, r.account_name]));
  }
}

/** The register's own transaction while a close holds its lock. */
export class RegisterTransaction {
  committed = false;
  constructor(
    private readonly tx: Db,
    readonly backend: Backend,
    /** The transaction's pg client when the store made the pool itself (COPY), or the SQLite connection. */
    private readonly bulk?: BulkPath,
    /** Told at once when the transaction commits. */
    private readonly onCommit: () => void = () => undefined,
  ) {}

  loadState(asOf?: string, options?: LoadOptions): Promise<RegisterState> {
    return loadState(this.tx, this.backend, asOf, options);
  }

  async closedPeriods(): Promise<ClosedPeriod[]> {
    return closedPeriods(this.tx);
  }

  periodReport(period: string): Promise<PeriodReport | undefined> {
    return periodReport(this.tx, period);
  }

  /** The inputs a closed period's report names (see PeriodInputs), read without the rest of it. */
  periodInputs(period: string): Promise<PeriodInputs | undefined> {
    return periodInputs(this.tx, this.backend, period);
  }

  /** The tax deduction of the retirements posted in `period`'s tax year before it (see EarlierRetirementsTax). */
  earlierRetirementsTax(period: string, fiscalYearStartMonth: number): Promise<EarlierRetirementsTax | undefined> {
    return earlierRetirementsTax(this.tx, this.backend, period, fiscalYearStartMonth);
  }

  /**
   * The register's id, which each close's manifest records so that a close never replaces
   * another register's outputs. A register made before fiber-capex 0.5.0 has none until its
   * next commit: one made up here is kept by that commit.
   */
  async registerId(): Promise<string> {
    if (!this.id) {
      const stored = await readRegisterId(this.tx);
      this.id = { value: stored ?? randomUUID(), stored: stored !== undefined };
    }
    return this.id.value;
  }
  private id: { value: string; stored: boolean } | undefined;

  /** Inserts a period's posting and commits: after this returns the period is closed. */
  async commit(posting: PeriodPosting): Promise<void> {
    const id = await this.registerId();
    if (!this.id!.stored) await this.tx.insertInto("capex_register").values({ key: REGISTER_ID_KEY, value: id }).execute();
    await writePosting(this.tx, this.backend, posting, this.bulk);
    await sql`commit`.execute(this.tx);
    this.committed = true;
    this.onCommit();
  }

  /** What `period`'s posting holds, counted (undefined when the period is not closed). */
  async periodContents(period: string): Promise<PeriodContents | undefined> {
    const t = this.tx;
    const p = (await closedPeriods(t)).find((x) => x.period === period);
    if (!p) return undefined;
    const count = async (q: Promise<{ n: unknown } | undefined>) => num((await q)?.n);
    return {
      period,
      kind: p.kind,
      events: await count(t.selectFrom("asset_events").select((e) => e.fn.countAll().as("n")).where("period", "=", period).executeTakeFirst()),
      newAssets: await count(t.selectFrom("assets").select((e) => e.fn.countAll().as("n")).where("first_period", "=", period).executeTakeFirst()),
      balances: await count(t.selectFrom("asset_balances").select((e) => e.fn.countAll().as("n")).where("period_no", "=", monthIndexOf(period)).executeTakeFirst()),
      journalEntries: await count(t.selectFrom("journal_lines").select((e) => e.fn.count("journal_id").distinct().as("n")).where("period", "=", period).executeTakeFirst()),
      journalLines: await count(t.selectFrom("journal_lines").select((e) => e.fn.countAll().as("n")).where("period", "=", period).executeTakeFirst()),
      outputFiles: Object.keys(p.outputHashes).length,
    };
  }

  /**
   * Removes the latest closed period (it must be `period`), logs the close it removes with who
   * reopened it, when and why (reopenLog), and commits.
   */
  async reopen(period: string, log: { at: string; by: string; reason: string }): Promise<ReopenRecord> {
    const t = this.tx;
    // Removing any other period would leave later postings standing on a history that is gone.
    const latest = (await closedPeriods(t)).at(-1);
    if (latest?.period !== period) throw new PeriodOrderError(`${period} is not the register's latest closed period (${latest?.period ?? "none is closed"}); only the latest can be reopened`);
    const { kind, closedAt, closedBy, snapshotSha256, rulesSha256, toolVersion, controlTotals, outputHashes } = latest;
    const logged: ReopenRecord = { period, reopenedAt: log.at, reopenedBy: log.by, reason: log.reason, removed: { kind, closedAt, closedBy, snapshotSha256, rulesSha256, toolVersion, controlTotals, outputHashes } };
    await t.insertInto("reopened_periods").values(reopenRow(logged)).execute();
    await t.deleteFrom(this.backend === "postgres" ? "asset_balance_blocks" : "asset_balances").where("period_no", "=", monthIndexOf(period)).execute();
    await t.deleteFrom("asset_events").where("period", "=", period).execute();
    await t.deleteFrom("assets").where("first_period", "=", period).execute();
    for (const table of ["journal_lines", "class_balances", "opening_balances", "expensed_postings", "period_reports", "periods"] as const) {
      await t.deleteFrom(table).where("period", "=", period).execute();
    }
    await sql`commit`.execute(t);
    this.committed = true;
    this.onCommit();
    return logged;
  }
}

/** A reopen as the log's row holds it, and back. */
function reopenRow(r: ReopenRecord): Insertable<RegisterTables["reopened_periods"]> {
  const x = r.removed;
  return {
    period: r.period,
    reopened_at: r.reopenedAt,
    reopened_by: r.reopenedBy,
    reason: r.reason,
    kind: x.kind,
    closed_at: x.closedAt,
    closed_by: x.closedBy,
    snapshot_sha256: x.snapshotSha256,
    rules_sha256: x.rulesSha256,
    tool_version: x.toolVersion,
    control_totals: JSON.stringify(x.controlTotals),
    output_hashes: JSON.stringify(x.outputHashes),
  };
}
function reopenRecord(r: Selectable<RegisterTables["reopened_periods"]>): ReopenRecord {
  return {
    period: r.period,
    reopenedAt: r.reopened_at,
    reopenedBy: r.reopened_by,
    reason: r.reason,
    removed: closeFields(r),
  };
}

/** What the periods table and the reopen log both keep of a close, as the store hands it out. */
function closeFields(r: Pick<Selectable<RegisterTables["periods"]>, "kind" | "closed_at" | "closed_by" | "snapshot_sha256" | "rules_sha256" | "tool_version" | "control_totals" | "output_hashes">): ReopenRecord["removed"] {
  return {
    kind: r.kind as "close" | "import",
    closedAt: r.closed_at,
    closedBy: r.closed_by,
    snapshotSha256: r.snapshot_sha256,
    rulesSha256: r.rules_sha256,
    toolVersion: r.tool_version,
    controlTotals: JSON.parse(r.control_totals) as Record<string, string>,
    outputHashes: JSON.parse(r.output_hashes) as Record<string, string>,
  };
}

function eventRow(e: RegisterTables["asset_events"]): AssetEventRow {
  return {
    period: e.period,
    kind: e.kind as EventKind,
    status: e.status as AssetStatus,
    record: JSON.parse(e.record) as AssetRecord,
    costChange: num(e.cost_change),
    accumulatedChange: num(e.accumulated_change),
    catchUp: num(e.catch_up),
    message: e.message,
  };
}

function periodOf(monthIndex: number): string {
  const y = Math.floor(monthIndex / 12);
  return `${String(y).padStart(4, "0")}-${String(monthIndex - y * 12 + 1).padStart(2, "0")}`;
}

async function closedPeriods(db: Tx): Promise<ClosedPeriod[]> {
  const rows = await db.selectFrom("periods").selectAll().orderBy("period").execute();
  return rows.map((r) => ({
    period: r.period,
    ...closeFields(r),
    rulesVersion: r.rules_version,
    stateDigestBefore: r.state_digest_before,
    inputs: JSON.parse(r.inputs) as Record<string, string>,
  }));
}

function journalFromRows(rows: Array<RegisterTables["journal_lines"]>): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const r of rows) {
    let e = out[out.length - 1];
    if (!e || e.journalId !== r.journal_id) {
      e = { journalId: r.journal_id, date: r.date, period: r.period, source: r.source as JournalSource, project: r.project, currency: r.currency, postings: [] };
      out.push(e);
    }
    e.postings.push({ account: r.account, accountName: r.account_name, debit: num(r.debit), credit: num(r.credit), memo: r.memo, project: r.project, faClass: r.fa_class });
  }
  return out;
}

/**
 * The tax deduction of the retirements posted in the months of `period`'s tax year before it
 * that the register closed, from each period's report (see reportField); undefined when
 * `period` is its tax year's first month or the register closed none of those months.
 */
async function earlierRetirementsTax(db: Tx, backend: Backend, period: string, fiscalYearStartMonth: number): Promise<EarlierRetirementsTax | undefined> {
  const months = earlierMonthsOfTaxYear(period, fiscalYearStartMonth);
  // Only the months this register closed: before its first it knows nothing of retirements
  // (a register begun in September says nothing of January to August, not that there were none).
  const first = (await db.selectFrom("periods").select((p) => p.fn.min("period").as("first")).executeTakeFirst())?.first ?? undefined;
  if (!months || first === undefined || first > months.to) return undefined;
  const from = first > months.from ? first : months.from;
  const { to } = months;
  const rows = await db.selectFrom("period_reports").select(reportField<string | null>(backend, "disposals").as("disposals")).where("period", ">=", from).where("period", "<=", to).execute();
  const out: EarlierRetirementsTax = { from, to, amount: 0, retirements: 0, withoutFigures: 0 };
  const taxYear = fiscalYearOf(monthIndexOf(period), fiscalYearStartMonth);
  for (const r of rows) {
    for (const d of r.disposals === null ? [] : (JSON.parse(r.disposals) as DisposalRow[])) {
      out.retirements++;
      // None figured (before 0.4.0), or figured for another tax year (the rules' fiscal year start changed since): counted apart.
      if (d.tax?.taxYear === taxYear) out.amount += d.tax.amount;
      else out.withoutFigures++;
    }
  }
  return out;
}

const REGISTER_ID_KEY = "id";
async function readRegisterId(db: Tx): Promise<string | undefined> {
  return (await db.selectFrom("capex_register").select("value").where("key", "=", REGISTER_ID_KEY).executeTakeFirst())?.value;
}

/**
 * One top-level field of a period's report, read by the database's own JSON functions: a
 * report holds every exception and adjustment of its period (megabytes after a big month),
 * which a caller wanting one field should not have to parse. An array or object comes back as
 * its JSON text from either database.
 */
function reportField<T = unknown>(backend: Backend, name: string) {
  if (backend === "sqlite") return sql<T>`json_extract(report, ${`$.${name}`})`;
  // PostgreSQL's JSON refuses \u0000 and a lone surrogate's escape (high or low), which
  // JSON.stringify writes for such characters in Render's free text (an exception quotes it):
  // read as U+FFFD instead. An escape is a \u after an even run of backslashes (\\u0000 is a
  // backslash and the letters u0000); the regex runs only on a report holding a \u at all.
  const escapes = "(?<!\\\\)((?:\\\\\\\\)*)\\\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})";
  const text = sql`(case when strpos(report, ${"\\u"}) > 0 then regexp_replace(report, ${escapes}, ${"\\1\\\\ufffd"}, 'g') else report end)`;
  return sql<T>`(${text}::jsonb)->>${name}`;
}

/** What a period was closed from, as its report names it. */
export type PeriodInputs = Pick<PeriodReport, "rulesFile" | "snapshotPath" | "snapshotFetchedAt" | "coveredProjects">;

/** A period's inputs out of its report, without parsing the rest of it (see reportField). */
async function periodInputs(db: Tx, backend: Backend, period: string): Promise<PeriodInputs | undefined> {
  const field = (name: string) => reportField<string | null>(backend, name);
  const row = await db
    .selectFrom("period_reports")
    .select([field("rulesFile").as("rules_file"), field("snapshotPath").as("snapshot_path"), field("snapshotFetchedAt").as("fetched_at"), field("coveredProjects").as("covered")])
    .where("period", "=", period)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    rulesFile: row.rules_file ?? "",
    snapshotPath: row.snapshot_path ?? undefined,
    snapshotFetchedAt: row.fetched_at ?? "",
    coveredProjects: row.covered === null ? undefined : (JSON.parse(row.covered) as string[]),
  };
}

async function periodReport(db: Tx, period: string): Promise<PeriodReport | undefined> {
  const row = await db.selectFrom("period_reports").select("report").where("period", "=", period).executeTakeFirst();
  return row ? (JSON.parse(row.report) as PeriodReport) : undefined;
}

/** One asset's balance in every period, oldest first. */
async function assetBalances(db: Tx, backend: Backend, assetNo: number): Promise<Array<{ period_no: number; depreciation: number; accumulated: number }>> {
  if (backend === "sqlite") return db.selectFrom("asset_balances").select(["period_no", "depreciation", "accumulated"]).where("asset_no", "=", assetNo).orderBy("period_no").execute();
  // Straight to the asset's block: the view would unnest every block of every period.
  const rows = await sql<{ period_no: number; depreciation: number; accumulated: number }>`
    select period_no, depreciation[i] as depreciation, accumulated[i] as accumulated
    from (select period_no, depreciation, accumulated, array_position(asset_no, ${assetNo}) as i from asset_balance_blocks where block_no = ${Math.floor(assetNo / BALANCE_BLOCK)}) b
    where i is not null order by period_no`.execute(db);
  return rows.rows;
}

/** Accumulated depreciation at the end of period `periodNo` of the assets numbered lo to hi - 1 (lo and hi whole blocks). */
async function accumulatedIn(db: Tx, backend: Backend, periodNo: number, lo: number, hi: number): Promise<Array<{ asset_no: number; accumulated: number }>> {
  if (backend === "sqlite") {
    return db.selectFrom("asset_balances").select(["asset_no", "accumulated"]).where("period_no", "=", periodNo).where("asset_no", ">=", lo).where("asset_no", "<", hi).execute();
  }
  const rows = await sql<{ asset_no: number; accumulated: number }>`
    select u.asset_no, u.accumulated from asset_balance_blocks b cross join lateral unnest(b.asset_no, b.accumulated) as u(asset_no, accumulated)
    where b.period_no = ${periodNo} and b.block_no >= ${lo / BALANCE_BLOCK} and b.block_no < ${hi / BALANCE_BLOCK}`.execute(db);
  return rows.rows;
}

async function loadState(db: Tx, backend: Backend, asOf?: string, options: LoadOptions = {}): Promise<RegisterState> {
  const summarize = options.summarize ?? (() => false);
  // Every row's texts are new strings, and a register repeats a few (source, status, class,
  // project, method) for each of its assets: one copy of each is kept instead.
  const texts = new Map<string, string>();
  const text = <T extends string | undefined>(s: T): T => {
    if (s === undefined) return s;
    const kept = texts.get(s);
    if (kept !== undefined) return kept as T;
    texts.set(s, s);
    return s;
  };
  const state = emptyRegisterState();
  const periods = (await closedPeriods(db)).filter((p) => asOf === undefined || p.period <= asOf);
  const last = periods[periods.length - 1];
  if (!last) return state;
  const upTo = last.period;
  state.lastClosed = upTo;
  state.firstClosed = periods[0]!.period;
  state.closes = periods.filter((p) => p.kind === "close").length;
  // A page of assets at a time: the rows' record texts (about 900 bytes an asset) become
  // garbage page by page instead of all sitting beside the parsed records of a big register.
  const lastAssetNo = num((await db.selectFrom("assets").select((eb) => eb.fn.max("asset_no").as("n")).executeTakeFirst())?.n);
  const periodNo = monthIndexOf(upTo);
  for (let lo = 0; lo <= lastAssetNo; lo += LOAD_PAGE) {
    const hi = lo + LOAD_PAGE;
    const events = await sql<{
      asset_id: string;
      source: string;
      status: string;
      record: string;
      rebase_period: string | null;
      rebase_accumulated: number | null;
      rebase_year_opening_period: string | null;
      rebase_year_opening: number | null;
      asset_no: number;
    }>`
      select a.asset_id, a.source, e.status, e.record, e.rebase_period, e.rebase_accumulated, e.rebase_year_opening_period, e.rebase_year_opening, a.asset_no
      from asset_events e
      join (select asset_no, max(event_no) as last from asset_events where period <= ${upTo} and asset_no >= ${lo} and asset_no < ${hi} group by asset_no) l on e.event_no = l.last
      join assets a on a.asset_no = e.asset_no`.execute(db);
    const balances = await accumulatedIn(db, backend, periodNo, lo, hi);
    const accumulated = new Map<number, number>();
    for (const b of balances) accumulated.set(num(b.asset_no), num(b.accumulated));
    const retiredFrom = new Map<number, RegisteredAsset>();
    for (const e of events.rows) {
      const record = JSON.parse(e.record) as AssetRecord;
      const asset: RegisteredAsset = {
        source: text(e.source) as AssetSource,
        record: e.source === "render" && retiredOf(record) === undefined && summarize(e.asset_id, record.project, record.taskId) ? recordSummary(record, text) : record,
        status: text(e.status) as AssetStatus,
        accumulated: accumulated.get(num(e.asset_no)) ?? 0,
        rebase: e.rebase_period === null ? undefined : { period: e.rebase_period, accumulatedBefore: num(e.rebase_accumulated) },
      };
      if (asset.rebase && e.rebase_year_opening_period !== null) asset.rebase.yearOpening = { period: e.rebase_year_opening_period, accumulated: num(e.rebase_year_opening) };
      state.assets.set(e.asset_id, asset);
      // Only an asset retired from, wholly or in part, has retirement events: read for those alone.
      if (asset.status === "retired" || retiredOf(record) !== undefined) retiredFrom.set(num(e.asset_no), asset);
    }
    for (const [assetNo, retirements] of await retirementsOf(db, [...retiredFrom.keys()], upTo)) retiredFrom.get(assetNo)!.retirements = retirements;
  }
  const expensed = await db.selectFrom("expensed_postings").selectAll().where("period", "<=", upTo).orderBy("period").execute();
  for (const x of expensed) {
    const key = expensedKey(x.project, num(x.task_id));
    const cur = state.expensed.get(key);
    state.expensed.set(key, { amount: (cur?.amount ?? 0) + num(x.amount), account: x.account, faClass: x.fa_class });
  }
  const classes = await db.selectFrom("class_balances").selectAll().where("period", "=", upTo).execute();
  for (const c of classes) state.classes.set(c.fa_class, { faClass: c.fa_class, cost: num(c.cost), accumulated: num(c.accumulated), reserve: num(c.reserve) } satisfies ClassBalance);
  const ledger = await sql<{ account: string; fa_class: string; balance: number }>`
    select account, fa_class, sum(balance) as balance from (
      select account, fa_class, debit - credit as balance from journal_lines where period <= ${upTo}
      union all
      select account, fa_class, balance from opening_balances where period <= ${upTo}
    ) t group by account, fa_class`.execute(db);
  for (const l of ledger.rows) state.ledger.set(ledgerKey(l.account, l.fa_class), num(l.balance));
  return state;
}

/** The retirements posted through `upTo` of each of `assetNos` that has any, in order, by asset number. */
async function retirementsOf(db: Db, assetNos: readonly number[], upTo: string): Promise<Map<number, AssetRetirement[]>> {
  const byAsset = new Map<number, AssetRetirement[]>();
  for (let i = 0; i < assetNos.length; i += 500) {
    const rows = await db
      .selectFrom("asset_events")
      .select(["asset_no", "period", "cost_change"])
      .where("kind", "=", "retirement")
      .where("period", "<=", upTo)
      .where("asset_no", "in", assetNos.slice(i, i + 500))
      .orderBy("event_no")
      .execute();
    for (const r of rows) {
      const no = num(r.asset_no);
      let list = byAsset.get(no);
      if (!list) byAsset.set(no, (list = []));
      list.push({ period: r.period, cost: -num(r.cost_change) });
    }
  }
  return byAsset;
}

async function writePosting(tx: Tx, backend: Backend, p: PeriodPosting, bulk: BulkPath): Promise<void> {
  await tx
    .insertInto("periods")
    .values({
      period: p.period,
      kind: p.kind,
      closed_at: p.closedAt,
      closed_by: p.closedBy,
      snapshot_sha256: p.snapshotSha256,
      rules_sha256: p.rulesSha256,
      rules_version: p.rulesVersion,
      tool_version: p.toolVersion,
      state_digest_before: p.stateDigestBefore,
      control_totals: JSON.stringify(p.controlTotals),
      output_hashes: JSON.stringify(p.outputHashes),
      inputs: JSON.stringify(p.inputs),
    })
    .execute();
  if (p.report) await tx.insertInto("period_reports").values({ period: p.period, report: JSON.stringify(p.report) }).execute();
  // Asset numbers: the narrow key the per-period rows use instead of the asset id.
  const numbers = new Map<string, number>();
  for (const r of await tx.selectFrom("assets").select(["asset_id", "asset_no"]).execute()) numbers.set(r.asset_id, num(r.asset_no));
  const fresh = new Map<string, { asset_id: string; source: string; project: string; task_id: number | null; first_period: string }>();
  for (const e of p.events) {
    if (!numbers.has(e.assetId) && !fresh.has(e.assetId)) {
      fresh.set(e.assetId, { asset_id: e.assetId, source: e.source, project: e.record.project, task_id: e.source === "render" ? e.record.taskId : null, first_period: p.period });
    }
  }
  const freshAssets = [...fresh.values()];
  const rowids: number[] = [];
  await insertBulk(tx, bulk, "assets", ["asset_id", "source", "project", "task_id", "first_period"], freshAssets, (a) => [a.asset_id, a.source, a.project, a.task_id, a.first_period], rowids);
  // SQLite told each new asset's number as it was inserted (100 ms less than reading 100,000 back).
  if (rowids.length === freshAssets.length) {
    for (let i = 0; i < rowids.length; i++) numbers.set(freshAssets[i]!.asset_id, rowids[i]!);
  } else {
    for (const r of await tx.selectFrom("assets").select(["asset_id", "asset_no"]).where("first_period", "=", p.period).execute()) numbers.set(r.asset_id, num(r.asset_no));
  }
  await insertBulk(
    tx,
    bulk,
    "asset_events",
    ["asset_no", "period", "kind", "status", "record", "cost", "fa_class", "rebase_period", "rebase_accumulated", "rebase_year_opening_period", "rebase_year_opening", "cost_change", "accumulated_change", "catch_up", "message"],
    p.events,
    (e) => [
      numbers.get(e.assetId)!,
      p.period,
      e.kind,
      e.status,
      JSON.stringify(e.record),
      e.record.cost,
      e.record.faClass,
      e.rebase?.period ?? null,
      e.rebase?.accumulatedBefore ?? null,
      e.rebase?.yearOpening?.period ?? null,
      e.rebase?.yearOpening?.accumulated ?? null,
      e.costChange,
      e.accumulatedChange,
      e.catchUp,
      e.message,
    ],
  );
  const periodNo = monthIndexOf(p.period);
  if (backend === "sqlite") {
    await insertBulk(tx, bulk, "asset_balances", ["period_no", "asset_no", "depreciation", "accumulated"], p.balances, (b) => [
      periodNo,
      numbers.get(b.assetId)!,
      b.depreciation,
      b.accumulated,
    ]);
  } else {
    await insertBulk(tx, bulk, "asset_balance_blocks", ["period_no", "block_no", "asset_no", "depreciation", "accumulated"], balanceBlocks(p.balances, numbers), (b) => [
      periodNo,
      b.blockNo,
      `{${b.assetNo.join(",")}}`,
      `{${b.depreciation.join(",")}}`,
      `{${b.accumulated.join(",")}}`,
    ]);
  }
  await insertBulk(
    tx,
    bulk,
    "journal_lines",
    ["period", "journal_id", "line", "date", "source", "project", "currency", "account", "account_name", "debit", "credit", "memo", "fa_class"],
    p.journal.flatMap((e) => e.postings.map((l, i) => ({ e, l, line: i + 1 }))),
    ({ e, l, line }) => [p.period, e.journalId, line, e.date, e.source, e.project, e.currency, l.account, l.accountName, l.debit, l.credit, l.memo, l.faClass],
  );
  await insertChunked(tx, "class_balances", p.classes.map((c) => ({ period: p.period, fa_class: c.faClass, cost: c.cost, accumulated: c.accumulated, reserve: c.reserve })));
  await insertChunked(tx, "opening_balances", p.openingBalances.map((o) => ({ period: p.period, account: o.account, fa_class: o.faClass, balance: o.balance })));
  await insertBulk(
    tx,
    bulk,
    "expensed_postings",
    ["period", "project", "task_id", "amount", "account", "fa_class", "take_on"],
    p.expensed,
    (x) => [p.period, x.project, x.taskId, x.amount, x.account, x.faClass, x.takeOn ? 1 : 0],
  );
}

/** A period's balances by block of asset numbers (PostgreSQL's asset_balance_blocks), each in asset number order. */
function balanceBlocks(balances: readonly AssetBalance[], numbers: ReadonlyMap<string, number>) {
  const rows = balances.map((b) => ({ no: numbers.get(b.assetId)!, b })).sort((x, y) => x.no - y.no);
  const blocks: Array<{ blockNo: number; assetNo: number[]; depreciation: Cents[]; accumulated: Cents[] }> = [];
  for (const { no, b } of rows) {
    const blockNo = Math.floor(no / BALANCE_BLOCK);
    let block = blocks[blocks.length - 1];
    if (block?.blockNo !== blockNo) blocks.push((block = { blockNo, assetNo: [], depreciation: [], accumulated: [] }));
    block.assetNo.push(no);
    block.depreciation.push(b.depreciation);
    block.accumulated.push(b.accumulated);
  }
  return blocks;
}

/**
 * Removes a register file if it is still the one made (same inode, a plain file) and holds no
 * period, deciding under SQLite's exclusive locking mode: it is refused while any other
 * connection has the file open (a run that may commit into it), and keeps new ones out until
 * the file is gone. Anything in doubt keeps the file.
 */
function removeIfUnused(file: string, ino: number): void {
  const now = lstatSync(file, { throwIfNoEntry: false });
  if (!now?.isFile() || now.ino !== ino) return;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 0, fileMustExist: true });
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("begin exclusive");
    const { n } = db.prepare("select count(*) as n from periods").get() as { n: number };
    db.exec("commit");
    if (n !== 0) return;
    // Out of WAL, still holding the lock: SQLite folds in and deletes the -wal file itself
    // (the journal it keeps instead goes when this connection closes).
    db.pragma("journal_mode = DELETE");
    rmSync(file);
  } catch {
    // Busy (another connection) or unreadable: kept.
  } finally {
    db?.close();
  }
}

/** Who ran a close, for the period's record (no secrets: the OS user and host). */
export function closedBy(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `pid ${process.pid}@${hostname()}`;
  }
}
