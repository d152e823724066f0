import type { EmbeddedEngine } from './pglite-types.js';

// Kysely's PostgresDialect wants a pg-style pool. PGlite is one connection, so no statement of another
// caller may come between a transaction's statements. In this thread the pool is a "pool of one": it
// hands the engine to one caller at a time, and a transaction keeps it until release(). On its worker
// thread the worker keeps transactions apart itself (pglite.worker.ts), and every caller gets a
// session at once, so statements queue there instead of waiting here for a round trip each.

interface QueryResult {
  rows: unknown[];
  rowCount: number;
  command: 'UPDATE' | 'DELETE' | 'INSERT' | 'SELECT' | 'MERGE';
}

/** Runs one connection's statements. */
export interface Session {
  query(sql: string, parameters?: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }>;
  /** The connection is given back (a worker's session lets the engine go if it still held it). */
  release?(): void;
}

const COMMAND = /^\s*(?:--[^\n]*\n\s*)*([a-zA-Z]+)/;

export class PGlitePool {
  private readonly waiters: Array<() => void> = [];
  private busy = false;

  /** sessions: the engine's own, when it keeps transactions apart itself (on its worker). */
  constructor(
    private readonly engine: EmbeddedEngine,
    private readonly sessions?: () => Session,
  ) {}

  async connect() {
    if (this.sessions) {
      const session = this.sessions();
      let released = false;
      return {
        query: (sql: string, parameters?: readonly unknown[]) => query(session, sql, parameters),
        release: () => {
          if (released) return;
          released = true;
          session.release?.();
        },
      };
    }
    if (this.busy) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.busy = true;
    let released = false;
    const engine = this.engine;
    return {
      query: (sql: string, parameters?: readonly unknown[]) => query(engine, sql, parameters),
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) next();
        else this.busy = false;
      },
    };
  }

  async end(): Promise<void> {
    if (!this.engine.closed) await this.engine.close();
  }
}

async function query(session: Session, sql: string, parameters?: readonly unknown[]): Promise<QueryResult> {
  const result = await session.query(sql, parameters ? [...parameters] : undefined);
  return {
    rows: result.rows,
    rowCount: result.affectedRows ?? result.rows.length,
    command: (COMMAND.exec(sql)?.[1] ?? '').toUpperCase() as QueryResult['command'],
  };
}
