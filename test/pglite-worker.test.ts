// test-engine: embedded (PGlite on its worker thread, whatever DATABASE_URL says)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { type Database, openDatabase, openMemoryDatabase } from '../src/db/database.js';
import { lockDirectory } from '../src/db/lock.js';
import { PGliteThread } from '../src/db/pglite-thread.js';
import { isYidangError } from '../src/shared/errors.js';

// PGlite on its own worker thread (src/db/pglite-thread.ts), for real: statements and rows crossing,
// a transaction's rollback, callers taking turns, PostgreSQL's error fields arriving intact, a worker
// that runs out of memory turning into a clean error, dumping the data directory, and closing before
// the directory's lock is released. Always the embedded engine, whatever DATABASE_URL says.

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-pglite-worker-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A home of its own: the embedded database on disk, PGlite on a worker. */
const homeConfig = (name: string, thread = 'worker') =>
  loadConfig({
    YIDANG_HOME: path.join(root, name),
    YIDANG_PGLITE_THREAD: thread,
    YIDANG_LOCK_TIMEOUT_MS: '0',
  });

const NOTE_TABLE = sql`create table note (
  id int8 generated always as identity primary key, body text not null unique,
  day date, amount numeric(12, 2), at timestamptz, data bytea, doc jsonb)`;

async function count(database: Database): Promise<number> {
  const result = await sql<{ n: number }>`select count(*) as n from note`.execute(database.db);
  return result.rows[0]?.n as number;
}

async function caught(work: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  return work.then(
    () => {
      throw new Error('expected an error');
    },
    (error: unknown) => error as Error & Record<string, unknown>,
  );
}

describe('PGlite on a worker thread', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase(homeConfig('main'), { migrate: false });
    await NOTE_TABLE.execute(database.db);
  });
  afterAll(() => database?.close());

  it('runs on the worker, and returns the same types as the main thread', async () => {
    expect(database.pglite).toBeInstanceOf(PGliteThread);
    const inserted = await sql`insert into note (body, day, amount, at, data, doc)
      values ('王建国 住院结算单', '2025-06-29', '1234.50', '2025-07-01T08:00:00Z', '\\x0102ff', '{"件": 3}')`.execute(
      database.db,
    );
    expect(inserted.numAffectedRows).toBe(1n);
    const [row] = (await sql`select * from note`.execute(database.db)).rows as Array<Record<string, unknown>>;
    expect(row).toEqual({
      id: 1,
      body: '王建国 住院结算单',
      day: '2025-06-29',
      amount: '1234.50',
      at: new Date('2025-07-01T08:00:00Z'),
      data: new Uint8Array([1, 2, 255]),
      doc: { 件: 3 },
    });
    const updated = await sql`update note set amount = amount + ${'0.25'} where body like ${'王%'}`.execute(
      database.db,
    );
    expect(updated.numAffectedRows).toBe(1n);
  });

  it('rolls a failed transaction back', async () => {
    const before = await count(database);
    const error = await caught(
      database.db.transaction().execute(async (trx) => {
        await sql`insert into note (body) values ('作废 1'), ('作废 2')`.execute(trx);
        expect((await sql<{ n: number }>`select count(*) as n from note`.execute(trx)).rows[0]?.n).toBe(
          before + 2,
        );
        throw new Error('中途失败');
      }),
    );
    expect(error.message).toBe('中途失败');
    expect(await count(database)).toBe(before);
  });

  it('serves one caller at a time: a transaction is never interleaved with another caller', async () => {
    const order: string[] = [];
    const before = await count(database);
    let inside!: () => void;
    const started = new Promise<void>((resolve) => {
      inside = resolve;
    });
    const writer = database.db.transaction().execute(async (trx) => {
      await sql`insert into note (body) values ('轮流 1')`.execute(trx);
      inside();
      await new Promise((resolve) => setTimeout(resolve, 150));
      await sql`insert into note (body) values ('轮流 2')`.execute(trx);
      order.push('writer committed');
    });
    await started;
    // Asked while the transaction holds the engine: answered after it, seeing both rows.
    const readers = Array.from({ length: 20 }, async () => {
      const n = await count(database);
      order.push('reader');
      return n;
    });
    const counts = await Promise.all(readers);
    await writer;
    expect(order[0]).toBe('writer committed');
    expect(counts).toEqual(Array(20).fill(before + 2));
  });

  it('rolls back what a connection given back left open, and lets the others go on', async () => {
    const engine = database.pglite as PGliteThread;
    const before = await count(database);
    const left = engine.session();
    await left.query('begin');
    await left.query("insert into note (body) values ('未提交')");
    // While that transaction is open, another caller's statement waits for it…
    let answered = false;
    const waiting = count(database).then((n) => {
      answered = true;
      return n;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    // …until the connection is given back without a commit: rolled back, the other answered.
    left.release?.();
    expect(await waiting).toBe(before);
    expect(await count(database)).toBe(before);
  });

  it('brings PostgreSQL errors across with their fields', async () => {
    const duplicate = await caught(
      sql`insert into note (body) values ('王建国 住院结算单')`.execute(database.db),
    );
    expect(duplicate).toBeInstanceOf(Error);
    expect(duplicate.code).toBe('23505');
    expect(duplicate.constraint).toBe('note_body_key');
    expect(duplicate.table).toBe('note');
    expect(duplicate.detail).toContain('already exists');
    expect(duplicate.message).toBe('duplicate key value violates unique constraint "note_body_key"');
    for (const code of ['40001', '55P03']) {
      const raised = await caught(
        sql`do $$ begin raise exception 'raised %', ${sql.lit(code)} using errcode = ${sql.lit(code)}, detail = 'why', hint = 'what'; end $$`.execute(
          database.db,
        ),
      );
      expect([raised.code, raised.message, raised.detail, raised.hint]).toEqual([
        code,
        `raised ${code}`,
        'why',
        'what',
      ]);
    }
    // The engine carries on after an error, also inside a transaction that was rolled back for it.
    expect(await count(database)).toBeGreaterThan(0);
  });

  it('dumps its data directory through the worker, and the dump opens elsewhere', async () => {
    await database.pglite?.exec('checkpoint');
    const dump = await database.pglite?.dumpDataDir('none');
    expect(dump).toBeInstanceOf(Blob);
    const copy = await openMemoryDatabase(dump, { thread: 'worker' });
    try {
      const rows = await sql<{ body: string }>`select body from note order by id`.execute(copy.db);
      expect(rows.rows.map((row) => row.body)).toContain('王建国 住院结算单');
      expect(await count(copy)).toBe(await count(database));
    } finally {
      await copy.close();
    }
  });
});

describe('closing', () => {
  it('closes the engine in the worker, then releases the lock; what was committed is there', async () => {
    const config = homeConfig('closing');
    const database = await openDatabase(config, { migrate: false });
    // The process holds the directory's lock while the worker has the engine open.
    const second = await caught(lockDirectory(config.embeddedDbDir, 0));
    expect(isYidangError(second) && second.code).toBe('DATABASE_BUSY');
    await NOTE_TABLE.execute(database.db);
    await sql`insert into note (body) values ('关闭前写入')`.execute(database.db);
    await database.close();
    expect(database.pglite?.closed).toBe(true);
    expect(fs.existsSync(`${config.embeddedDbDir}.lock`)).toBe(false);
    const error = await caught(database.pglite?.query('select 1') ?? Promise.resolve());
    expect(error.message).toBe('嵌入式数据库已关闭');
    // Opened again, on the main thread this time: the same directory, the same row.
    const again = await openDatabase(homeConfig('closing', 'main'), { migrate: false });
    try {
      expect(again.pglite).not.toBeInstanceOf(PGliteThread);
      expect((await sql<{ body: string }>`select body from note`.execute(again.db)).rows).toEqual([
        { body: '关闭前写入' },
      ]);
    } finally {
      await again.close();
    }
  });
});

describe('a worker that dies', () => {
  // A small heap, and a statement whose rows do not fit it: the worker runs out of memory.
  const resourceLimits = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 };
  const TOO_BIG = "select repeat('x', 1000000) as page from generate_series(1, 100)";

  it('fails what was asked of it with DATABASE_ENGINE_FAILED, and the process lives on', async () => {
    const engine = await PGliteThread.start({ resourceLimits });
    await engine.exec('create table t (n int); insert into t values (1)');
    const asked = [engine.query(TOO_BIG), engine.query('select n from t'), engine.query('select 2 as n')];
    const errors = await Promise.all(asked.map((query) => caught(query)));
    for (const error of errors) {
      expect(isYidangError(error) && error.code, String(error)).toBe('DATABASE_ENGINE_FAILED');
      expect(error.message).toContain('嵌入式数据库线程意外退出（内存不足）');
    }
    // In memory there is nothing to start again from: every later statement fails the same way.
    const later = await caught(engine.query('select 1'));
    expect(isYidangError(later) && later.code).toBe('DATABASE_ENGINE_FAILED');
    await engine.close();
  });

  it('on disk, starts a new worker for the next caller; a transaction it was in fails whole', async () => {
    const dataDir = path.join(root, 'dies');
    const lock = await lockDirectory(dataDir, 0);
    const engine = await PGliteThread.start({ dataDir, resourceLimits });
    try {
      await engine.exec('create table t (n int); insert into t values (1)');
      const open = engine.session();
      await open.query('begin');
      await open.query('insert into t values (2)');
      // Another statement of the same connection runs the worker out of memory.
      const failed = await caught(open.query(TOO_BIG));
      expect(isYidangError(failed) && failed.code).toBe('DATABASE_ENGINE_FAILED');
      // The rest of that transaction must not run on the new engine outside a transaction.
      const rest = await caught(open.query('insert into t values (3)'));
      expect(isYidangError(rest) && rest.code).toBe('DATABASE_ENGINE_FAILED');
      await caught(open.query('commit'));
      // The next caller gets a new worker on the same directory: the committed row, nothing else.
      const next = engine.session();
      expect((await next.query('select n from t order by n')).rows).toEqual([{ n: 1 }]);
    } finally {
      await engine.close();
      lock.release();
    }
  });
});
