import { type Generated, type Kysely, type Migration, sql } from "kysely";

/**
 * The register's tables, one schema for SQLite and PostgreSQL. Money is integer cents in
 * BIGINT, never floating point. Rows are only ever inserted by a close (and deleted by a
 * reopen of the latest period): a posted row is never updated in place.
 */
export interface RegisterTables {
  capex_register: { key: string; value: string };
  periods: {
    period: string;
    kind: string;
    closed_at: string;
    closed_by: string;
    snapshot_sha256: string;
    rules_sha256: string;
    rules_version: string;
    tool_version: string;
    state_digest_before: string;
    control_totals: string;
    output_hashes: string;
    inputs: string;
  };
  assets: { asset_no: number; asset_id: string; source: string; project: string; task_id: number | null; first_period: string };
  asset_events: {
    event_no: number;
    asset_no: number;
    period: string;
    kind: string;
    status: string;
    record: string;
    cost: number;
    fa_class: string;
    rebase_period: string | null;
    rebase_accumulated: number | null;
    rebase_year_opening_period: string | null;
    rebase_year_opening: number | null;
    cost_change: number;
    accumulated_change: number;
    catch_up: number;
    message: string;
  };
  /** A row per asset per closed period. On PostgreSQL a view over asset_balance_blocks. */
  asset_balances: { period_no: number; asset_no: number; depreciation: number; accumulated: number };
  /** PostgreSQL only: a period's balances of up to BALANCE_BLOCK assets in one row, as arrays (asset_balances unnests them). */
  asset_balance_blocks: { period_no: number; block_no: number; asset_no: string; depreciation: string; accumulated: string };
  journal_lines: {
    period: string;
    journal_id: string;
    line: number;
    date: string;
    source: string;
    project: string;
    currency: string;
    account: string;
    account_name: string;
    debit: number;
    credit: number;
    memo: string;
    fa_class: string;
  };
  class_balances: { period: string; fa_class: string; cost: number; accumulated: number; reserve: number };
  opening_balances: { period: string; account: string; fa_class: string; balance: number };
  expensed_postings: { period: string; project: string; task_id: number; amount: number; account: string; fa_class: string; take_on: number };
  period_reports: { period: string; report: string };
  /** Each reopen: the period's row as it stood (the close it removed), and who reopened it, when and why. */
  reopened_periods: {
    reopen_no: Generated<number>;
    period: string;
    reopened_at: string;
    reopened_by: string;
    reason: string;
    kind: string;
    closed_at: string;
    closed_by: string;
    snapshot_sha256: string;
    rules_sha256: string;
    tool_version: string;
    control_totals: string;
    output_hashes: string;
  };
}

/**
 * Assets per row of asset_balance_blocks: the asset numbers `block_no * BALANCE_BLOCK` up to the
 * next block's first. The register's state is read a whole number of blocks at a time.
 */
export const BALANCE_BLOCK = 1000;

/** Identifies a database as a fiber-capex register (and which kind of file it is not). */
export const REGISTER_MARK = "fiber-capex register";

export type Backend = "sqlite" | "postgres";

/** The migrations, in order. Applied on open; a register with one this list lacks is from a newer fiber-capex. */
export const migrations = (backend: Backend): Record<string, Migration> => ({
  "001_register": {
    async up(db: Kysely<unknown>) {
      const isPostgres = backend === "postgres";
      // Auto-numbered keys differ by backend: SQLite's INTEGER PRIMARY KEY, PostgreSQL's identity.
      const key = sql.raw(isPostgres ? "bigint generated always as identity primary key" : "integer primary key");
      await db.schema.createTable("capex_register").addColumn("key", "text", (c) => c.primaryKey()).addColumn("value", "text", (c) => c.notNull()).execute();
      await db.schema
        .createTable("periods")
        .addColumn("period", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("closed_at", "text", (c) => c.notNull())
        .addColumn("closed_by", "text", (c) => c.notNull())
        .addColumn("snapshot_sha256", "text", (c) => c.notNull())
        .addColumn("rules_sha256", "text", (c) => c.notNull())
        .addColumn("rules_version", "text", (c) => c.notNull())
        .addColumn("tool_version", "text", (c) => c.notNull())
        .addColumn("state_digest_before", "text", (c) => c.notNull())
        .addColumn("control_totals", "text", (c) => c.notNull())
        .addColumn("output_hashes", "text", (c) => c.notNull())
        .addColumn("inputs", "text", (c) => c.notNull())
        .execute();
      await sql`create table assets (asset_no ${key}, asset_id text not null unique, source text not null, project text not null, task_id bigint, first_period text not null)`.execute(db);
      await sql`create table asset_events (event_no ${key}, asset_no bigint not null, period text not null, kind text not null, status text not null, record text not null,
        cost bigint not null, fa_class text not null, rebase_period text, rebase_accumulated bigint, cost_change bigint not null, accumulated_change bigint not null,
        catch_up bigint not null, message text not null)`.execute(db);
      await db.schema.createIndex("asset_events_by_asset").on("asset_events").columns(["asset_no", "event_no"]).execute();
      await db.schema.createIndex("asset_events_by_period").on("asset_events").column("period").execute();
      // One row per asset per closed period: the register's bulk, kept narrow (about 25 bytes).
      await sql`create table asset_balances (period_no integer not null, asset_no bigint not null, depreciation bigint not null, accumulated bigint not null,
        primary key (period_no, asset_no))${sql.raw(isPostgres ? "" : " without rowid")}`.execute(db);
      await db.schema
        .createTable("journal_lines")
        .addColumn("period", "text", (c) => c.notNull())
        .addColumn("journal_id", "text", (c) => c.notNull())
        .addColumn("line", "integer", (c) => c.notNull())
        .addColumn("date", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("project", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("account", "text", (c) => c.notNull())
        .addColumn("account_name", "text", (c) => c.notNull())
        .addColumn("debit", "bigint", (c) => c.notNull())
        .addColumn("credit", "bigint", (c) => c.notNull())
        .addColumn("memo", "text", (c) => c.notNull())
        .addColumn("fa_class", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("journal_lines_pk", ["period", "journal_id", "line"])
        .execute();
      await db.schema
        .createTable("class_balances")
        .addColumn("period", "text", (c) => c.notNull())
        .addColumn("fa_class", "text", (c) => c.notNull())
        .addColumn("cost", "bigint", (c) => c.notNull())
        .addColumn("accumulated", "bigint", (c) => c.notNull())
        .addColumn("reserve", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("class_balances_pk", ["period", "fa_class"])
        .execute();
      await db.schema
        .createTable("opening_balances")
        .addColumn("period", "text", (c) => c.notNull())
        .addColumn("account", "text", (c) => c.notNull())
        .addColumn("fa_class", "text", (c) => c.notNull())
        .addColumn("balance", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("expensed_postings")
        .addColumn("period", "text", (c) => c.notNull())
        .addColumn("project", "text", (c) => c.notNull())
        .addColumn("task_id", "bigint", (c) => c.notNull())
        .addColumn("amount", "bigint", (c) => c.notNull())
        .addColumn("account", "text", (c) => c.notNull())
        .addColumn("fa_class", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("expensed_postings_by_period").on("expensed_postings").column("period").execute();
      await sql`insert into capex_register (key, value) values ('kind', ${REGISTER_MARK})`.execute(db);
    },
  },
  // What each close found and proved, for the audit report written from the register alone.
  "002_period_reports": {
    async up(db: Kysely<unknown>) {
      await db.schema.createTable("period_reports").addColumn("period", "text", (c) => c.primaryKey()).addColumn("report", "text", (c) => c.notNull()).execute();
    },
  },
  // A first close's expensed history is recorded as posted but reached no journal: marked, so
  // a trace of that close's expense entry sums only what the entry posted.
  "003_expensed_take_on": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("expensed_postings").addColumn("take_on", "integer", (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  // PostgreSQL: a period's balances a block of assets to a row, as arrays. A heap row costs
  // PostgreSQL 28 bytes of header and pointer and its primary key as much again, so a row per
  // asset per period was about 96 bytes where SQLite's WITHOUT ROWID table takes 25; a block's
  // arrays are stored once, compressed. asset_balances stays, as a view, for every reader
  // (and every auditor's query). SQLite keeps its narrow table: nothing to do there.
  "004_balance_blocks": {
    async up(db: Kysely<unknown>) {
      if (backend !== "postgres") return;
      await sql`create table asset_balance_blocks (period_no integer not null, block_no integer not null,
        asset_no integer[] not null, depreciation bigint[] not null, accumulated bigint[] not null, primary key (period_no, block_no))`.execute(db);
      await sql`insert into asset_balance_blocks
        select period_no, asset_no / ${sql.lit(BALANCE_BLOCK)}, array_agg(asset_no::integer order by asset_no), array_agg(depreciation order by asset_no), array_agg(accumulated order by asset_no)
        from asset_balances group by period_no, asset_no / ${sql.lit(BALANCE_BLOCK)}`.execute(db);
      await sql`drop table asset_balances`.execute(db);
      await sql`create view asset_balances as
        select b.period_no, u.asset_no::bigint as asset_no, u.depreciation, u.accumulated
        from asset_balance_blocks b cross join lateral unnest(b.asset_no, b.depreciation, b.accumulated) as u(asset_no, depreciation, accumulated)`.execute(db);
    },
  },
  // A rebase inside a fiscal year keeps what was posted when the year began (Rebase.yearOpening):
  // the year's book depreciation counted only the months since the rebase.
  "005_rebase_year_opening": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("asset_events").addColumn("rebase_year_opening_period", "text").execute();
      await db.schema.alterTable("asset_events").addColumn("rebase_year_opening", "bigint").execute();
    },
  },
  // A reopen removes a close: the log keeps that it was there, who removed it, when and why.
  "006_reopen_log": {
    async up(db: Kysely<unknown>) {
      const key = sql.raw(backend === "postgres" ? "bigint generated always as identity primary key" : "integer primary key");
      await sql`create table reopened_periods (reopen_no ${key}, period text not null, reopened_at text not null, reopened_by text not null, reason text not null,
        kind text not null, closed_at text not null, closed_by text not null, snapshot_sha256 text not null, rules_sha256 text not null, tool_version text not null,
        control_totals text not null, output_hashes text not null)`.execute(db);
    },
  },
});
