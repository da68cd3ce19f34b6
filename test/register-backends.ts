import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import { RegisterStore } from "../src/register/store.js";
import { tmp } from "./helpers.js";

/**
 * Registers on every backend for the register tests. SQLite: a file in a fresh folder.
 * PostgreSQL: the real server when one answers (CAPEX_TEST_PG_URL, which CI sets, else the
 * local default), a fresh database per register dropped afterwards; else an in-process PGlite
 * (real PostgreSQL in WebAssembly) so the suite passes anywhere and skips nothing.
 * CAPEX_TEST_PG_URL=pglite forces PGlite, to check that path on a machine with a server.
 */

export type BackendName = "sqlite" | "postgres";
export type Engine = "sqlite" | "postgres-server" | "pglite";

export interface TestRegister {
  engine: Engine;
  /** What `--db` takes for this register; undefined for PGlite, which lives in this process only. */
  db: string | undefined;
  open(): Promise<RegisterStore>;
  /** Runs SQL on the register's database outside any store (to plant what a test needs). */
  exec(statement: string): Promise<Array<Record<string, unknown>>>;
  /** The tables of the register's database (its schema, for PostgreSQL). */
  tables(): Promise<string[]>;
  /** Returns once no other session is connected: a killed client's server session has rolled back and let go of its locks. */
  settle(): Promise<void>;
  dispose(): Promise<void>;
}

const PG_TABLES = "select table_name as name from information_schema.tables where table_schema = current_schema()";
const names = (rows: Array<Record<string, unknown>>) => rows.map((r) => String(r.name));

const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test";

let serverUrl: Promise<string | undefined> | undefined;

/** The server tests use, or undefined for PGlite. A CAPEX_TEST_PG_URL that does not answer fails loudly: CI must not quietly fall back. */
export function postgresServer(): Promise<string | undefined> {
  serverUrl ??= (async () => {
    const given = process.env.CAPEX_TEST_PG_URL;
    if (given === "pglite") return undefined;
    const url = given || DEFAULT_PG_URL;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query("select 1");
      return url;
    } catch (e) {
      if (given) throw new Error(`CAPEX_TEST_PG_URL=${given} does not answer: ${(e as Error).message}`);
      return undefined;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return serverUrl;
}

async function adminQuery(url: string, statement: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(statement)).rows;
  } finally {
    await client.end();
  }
}

async function serverRegister(base: string): Promise<TestRegister> {
  const name = `capex_t_${process.pid}_${randomBytes(4).toString("hex")}`;
  await adminQuery(base, `create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = url.toString();
  return {
    engine: "postgres-server",
    db,
    open: () => RegisterStore.open(db),
    exec: (statement) => adminQuery(db, statement),
    tables: async () => names(await adminQuery(db, PG_TABLES)),
    settle: async () => {
      // Bounded: the server notices a dead client at once, this only waits for it to finish.
      for (let i = 0; i < 200; i++) {
        const rows = await adminQuery(db, "select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()");
        if (rows[0]!.n === 0) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`sessions of a killed run are still connected to ${name}`);
    },
    dispose: async () => {
      await adminQuery(base, `drop database if exists ${name} with (force)`);
    },
  };
}

/**
 * One PGlite per test file: starting one takes seconds, so registers share it and each gets
 * an emptied public schema. The stores see it through a handle whose close() does nothing,
 * so a test can close and reopen its register.
 */
let pglite: Promise<PGlite> | undefined;

function sharedPglite(): Promise<PGlite> {
  pglite ??= PGlite.create();
  return pglite;
}

function unclosable(db: PGlite): PGlite {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "close") return async () => undefined;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

async function pgliteRegister(): Promise<TestRegister> {
  const db = await sharedPglite();
  await db.exec("drop schema if exists public cascade; create schema public;");
  return {
    engine: "pglite",
    db: undefined,
    open: () => RegisterStore.open({ location: "pglite (in-process PostgreSQL)", backend: "postgres", dialect: new PGliteDialect(unclosable(db)) }),
    exec: async (statement) => (await db.query<Record<string, unknown>>(statement)).rows,
    tables: async () => names((await db.query<Record<string, unknown>>(PG_TABLES)).rows),
    settle: async () => undefined,
    dispose: async () => undefined,
  };
}

function sqliteRegister(): TestRegister {
  const file = join(tmp("capex-reg-"), "capex.db");
  return {
    engine: "sqlite",
    db: file,
    open: () => RegisterStore.open(file),
    exec: async (statement) => {
      const { default: Database } = await import("better-sqlite3");
      const db = new Database(file);
      try {
        const st = db.prepare(statement);
        if (st.reader) return st.all() as Array<Record<string, unknown>>;
        st.run();
        return [];
      } finally {
        db.close();
      }
    },
    tables: async () => {
      const { default: Database } = await import("better-sqlite3");
      const db = new Database(file);
      try {
        return names(db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as Array<Record<string, unknown>>);
      } finally {
        db.close();
      }
    },
    settle: async () => undefined,
    dispose: async () => undefined,
  };
}

/** A fresh, empty register on `backend`. */
export async function freshRegister(backend: BackendName): Promise<TestRegister> {
  if (backend === "sqlite") return sqliteRegister();
  const server = await postgresServer();
  return server ? serverRegister(server) : pgliteRegister();
}

/** Closes the shared PGlite, if a test file started one. */
export async function closeBackends(): Promise<void> {
  if (pglite) await (await pglite).close();
  pglite = undefined;
}

export const BACKENDS: BackendName[] = ["sqlite", "postgres"];

/**
 * A PGlite register kept in a data folder, for the kill test: PGlite lives inside one process,
 * so the close to kill runs in a child (test/pglite-close.mjs) and this process opens the folder
 * only while no child does.
 */
export function pgliteFolder(): { dir: string; open(): Promise<RegisterStore> } {
  const dir = join(tmp("capex-pglite-"), "data");
  return {
    dir,
    open: async () => RegisterStore.open({ location: "pglite (in-process PostgreSQL)", backend: "postgres", dialect: new PGliteDialect(await PGlite.create(dir)) }),
  };
}
