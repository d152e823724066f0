import type { EmbeddedEngine } from './pglite-types.js';

// Kysely's PostgresDialect wants a pg-style pool. PGlite is one connection (in this thread or on its
// worker), so this "pool of one" hands it to one caller at a time; a transaction keeps it until
// release(). That is PGlite's one-writer guarantee: no two callers' statements ever interleave.

interface QueryResult {
  rows: unknown[];
  rowCount: number;
  command: 'UPDATE' | 'DELETE' | 'INSERT' | 'SELECT' | 'MERGE';
}

/** Runs one connection's statements (on a worker, all on the worker that ran its first). */
export interface Session {
  query(sql: string, parameters?: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }>;
}

const COMMAND = /^\s*(?:--[^\n]*\n\s*)*([a-zA-Z]+)/;

export class PGlitePool {
  private readonly waiters: Array<() => void> = [];
  private busy = false;

  constructor(
    private readonly engine: EmbeddedEngine,
    private readonly session: () => Session = () => engine,
  ) {}

  async connect() {
    if (this.busy) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.busy = true;
    let released = false;
    const session = this.session();
    return {
      query: (sql: string, parameters?: readonly unknown[]) => query(session, sql, parameters),
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
