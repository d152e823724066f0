import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type PostgresPool, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/config.js';
import { YidangError } from '../shared/errors.js';
import { type DirectoryLock, lockDirectory } from './lock.js';
import { migrateToLatest } from './migrator.js';
import { PGlitePool } from './pglite-pool.js';
import { PGliteThread } from './pglite-thread.js';
import { DATE, type EmbeddedEngine, identity, INT8, NUMERIC, PGLITE_PARSERS } from './pglite-types.js';
import type { Db } from './db.js';
import type { DatabaseSchema } from './schema.js';

// Db is declared in db.ts (the log's files name it there); most code imports it from here.
export type { Db } from './db.js';

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** The embedded engine itself (in this thread or on its worker), for dumping its data directory. */
  pglite?: EmbeddedEngine;
  close(): Promise<void>;
}

/** Where PGlite runs: on a worker thread of its own, or in the calling thread. */
export type EngineThread = 'worker' | 'main';

function wrapPGlite(engine: PGlite | PGliteThread, afterClose: () => void = () => {}): Database {
  // The adapter answers plain queries only; Kysely's cursor streaming is not used on PGlite.
  const session = engine instanceof PGliteThread ? () => engine.session() : undefined;
  const pool = new PGlitePool(engine, session) as unknown as PostgresPool;
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'pglite',
    pglite: engine,
    close: async () => {
      try {
        await db.destroy();
      } finally {
        afterClose();
      }
    },
  };
}

/**
 * An embedded database in memory, optionally started from a dumped data directory (tests). In this
 * thread unless asked: a test's few statements would not pay for starting a worker.
 */
export async function openMemoryDatabase(
  loadDataDir?: Blob,
  options: { thread?: EngineThread } = {},
): Promise<Database> {
  if (options.thread === 'worker') return wrapPGlite(await PGliteThread.start({ loadDataDir }));
  return wrapPGlite(await PGlite.create({ parsers: PGLITE_PARSERS, loadDataDir }));
}

async function openPGlite(config: Config, thread: EngineThread): Promise<Database> {
  const lock: DirectoryLock = await lockDirectory(config.embeddedDbDir, config.lockTimeoutMs);
  try {
    fs.mkdirSync(config.embeddedDbDir, { recursive: true, mode: 0o700 });
    const dataDir = config.embeddedDbDir;
    // The lock stays with this process; close() releases it only after the engine has closed.
    const engine =
      thread === 'main'
        ? await PGlite.create({ dataDir, parsers: PGLITE_PARSERS })
        : await PGliteThread.start({ dataDir });
    return wrapPGlite(engine, () => lock.release());
  } catch (error) {
    lock.release();
    throw new YidangError(
      'DATABASE_OPEN_FAILED',
      'invalid',
      `无法打开嵌入式数据库（${config.embeddedDbDir}）：${(error as Error).message}`,
    );
  }
}

export function openPostgres(databaseUrl: string): Database {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8) return Number;
        if (oid === DATE || oid === NUMERIC) return identity;
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server drops (restart, admin command) must not crash the process: the
  // pool replaces it, and the next query reports any real outage.
  pool.on('error', () => {});
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: 'postgres', close: () => db.destroy() };
}

async function checkReachable(database: Database, databaseUrl: string): Promise<void> {
  try {
    await sql`select 1`.execute(database.db);
  } catch (error) {
    await database.close().catch(() => {});
    const url = new URL(databaseUrl);
    // The message names the server but never the password.
    throw new YidangError(
      'DATABASE_UNAVAILABLE',
      'busy',
      `无法连接 PostgreSQL（${url.hostname}:${url.port || 5432}${url.pathname}）：${(error as Error).message}`,
    );
  }
}

export interface OpenDatabaseOptions {
  migrate?: boolean;
  /**
   * Where PGlite runs unless YIDANG_PGLITE_THREAD says: the server asks for a worker (queries leave
   * its HTTP thread free); one-shot commands stay on the main thread, which opens faster.
   */
  thread?: EngineThread;
}

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(config: Config, options: OpenDatabaseOptions = {}): Promise<Database> {
  const thread = config.pgliteThread ?? options.thread ?? 'main';
  const database = config.databaseUrl ? openPostgres(config.databaseUrl) : await openPGlite(config, thread);
  if (config.databaseUrl) await checkReachable(database, config.databaseUrl);
  if (options.migrate !== false) {
    try {
      await migrateToLatest(database.db);
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  return database;
}
