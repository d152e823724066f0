import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  sql,
} from 'kysely';
import type { Db } from '../../src/db/database.js';
import type { TestDatabase } from './database.js';

// Counts the statements a piece of work sends to the engine: every round trip, BEGIN and COMMIT
// included. The counting handle sits over the database's own handle and hands each statement to
// one of its connections (held for a transaction, as a pool does), so the real driver of either
// engine runs everything; only the counting is added.

export interface StatementLog {
  /** Every statement sent since the last reset, in order (its first line, trimmed). */
  readonly statements: string[];
  reset(): void;
}

/** A handle over `inner` that logs each statement it sends. */
export function countingHandle(inner: Db): { db: Db; log: StatementLog } {
  const statements: string[] = [];
  const note = (query: CompiledQuery) => statements.push(query.sql.replace(/\s+/g, ' ').trim());
  const driver: Driver = {
    init: async () => {},
    acquireConnection: () =>
      new Promise<DatabaseConnection>((resolve, reject) => {
        let release: () => void = () => {};
        const released = new Promise<void>((done) => {
          release = done;
        });
        inner
          .connection()
          .execute(async (connection) => {
            resolve({
              executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
                note(query);
                return connection.executeQuery<R>(query);
              },
              // biome-ignore lint/correctness/useYield: streaming is not used by the code under count
              streamQuery: async function* () {
                throw new Error('streaming is not counted');
              },
              [RELEASE]: release,
            } as DatabaseConnection);
            await released;
          })
          .catch(reject);
      }),
    beginTransaction: (connection) => connection.executeQuery(sql`begin`.compile(inner)).then(() => {}),
    commitTransaction: (connection) => connection.executeQuery(sql`commit`.compile(inner)).then(() => {}),
    rollbackTransaction: (connection) => connection.executeQuery(sql`rollback`.compile(inner)).then(() => {}),
    releaseConnection: async (connection) =>
      (connection as unknown as Record<symbol, () => void>)[RELEASE]?.(),
    destroy: async () => {},
  };
  const db = new Kysely({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (kysely) => new PostgresIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  }) as Db;
  return { db, log: { statements, reset: () => statements.splice(0) } };
}

const RELEASE = Symbol('release');

/** The test database with its handle replaced by a counting one (closing it closes the real one). */
export function countedDatabase(database: TestDatabase): { database: TestDatabase; log: StatementLog } {
  const { db, log } = countingHandle(database.db);
  return { database: { ...database, db }, log };
}
