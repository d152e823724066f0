import type { PGlite } from '@electric-sql/pglite';

// Kysely's PostgresDialect wants a pg-style pool. PGlite is one in-process connection, so this
// "pool of one" hands it to one caller at a time; a transaction keeps it until release().

interface QueryResult {
  rows: unknown[];
  rowCount: number;
  command: 'UPDATE' | 'DELETE' | 'INSERT' | 'SELECT' | 'MERGE';
}

const COMMAND = /^\s*(?:--[^\n]*\n\s*)*([a-zA-Z]+)/;

export class PGlitePool {
  private readonly waiters: Array<() => void> = [];
  private busy = false;

  constructor(private readonly pglite: PGlite) {}

  async connect() {
    if (this.busy) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.busy = true;
    let released = false;
    return {
      query: (sql: string, parameters?: readonly unknown[]) => this.query(sql, parameters),
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
    if (!this.pglite.closed) await this.pglite.close();
  }

  private async query(sql: string, parameters?: readonly unknown[]): Promise<QueryResult> {
    const result = await this.pglite.query(sql, parameters ? [...parameters] : undefined);
    return {
      rows: result.rows,
      rowCount: result.affectedRows ?? result.rows.length,
      command: (COMMAND.exec(sql)?.[1] ?? '').toUpperCase() as QueryResult['command'],
    };
  }
}
