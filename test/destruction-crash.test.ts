// test-engine: either (pglite) — a kill -9 mid carry-out and its recovery are the job's logic, the engine
// only stores it; run on the embedded default users start on (both engines: 52 s more on PostgreSQL's chain).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import type { Principal } from '../src/modules/access/principal.js';
import { findItemsByIds } from '../src/modules/catalog/item.queries.js';
import { scopedQuery } from '../src/modules/catalog/item.scope.js';
import { drawRegister } from '../src/modules/disposition/destruction.draw.js';
import {
  approveRegister,
  carryOutRegister,
  signRegister,
} from '../src/modules/disposition/destruction.service.js';
import { addFile, openFile } from '../src/modules/storage/file.service.js';
import { verifyAll } from '../src/modules/verify/verify.service.js';
import { openSystem, type System } from '../src/system/system.js';
import { addUser, apiToken, type CliEnv, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { account, roundDeciding } from './helpers/destruction.js';
import { SYSTEM } from './helpers/fixture-access.js';
import { validId } from './helpers/fixtures.js';
import { serve } from './helpers/servers.js';
import { fileOneItem, streamOf } from './helpers/system.js';

// Carrying out a register across kill -9, with the real server process: 120 electronic items, each
// with its own file, are destroyed by the destruction.carry job; the server is killed once the job
// reported progress. Every item is then either whole (its row pending, its file readable) or
// destroyed (tombstone, file unreadable) — none half — and after a restart the job finishes the rest,
// each item destroyed once, and verify passes.

const ITEMS = 120;
let database: TestDatabase | undefined;
let cli: CliEnv;
let admin: { authorization: string };
let register = '';

const openHome = () => openSystem(loadConfig({ ...cli.env, YIDANG_LOCK_TIMEOUT_MS: '30000' }, cli.home));

async function withSystem<T>(work: (system: System) => Promise<T>): Promise<T> {
  const system = await openHome();
  try {
    return await work(system);
  } finally {
    await system.close();
  }
}

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  expect((await run(cli, ['init'])).code).toBe(0);
  const { username } = await addUser(cli, ['sysadmin'], { username: 'crash-admin' });
  admin = await apiToken(cli, username, ['storage.manage']);
  register = await withSystem(async (system) => {
    const db = system.database.db;
    const storage = { db, store: system.store, access: SYSTEM };
    const codes: string[] = [];
    for (let index = 1; index <= ITEMS; index++) {
      const code = await fileOneItem(system, {
        date: '1990-03-15',
        handledAt: '1990-03-15T10:00:00+08:00',
        retention: 'D30',
        idNumber: validId(`32011519700101${String(index).padStart(3, '0')}`),
        title: `王建国 零星报销审核表 ${index}`,
      });
      await addFile(
        storage,
        code,
        { stream: streamOf(`%PDF-1.4\n单据 ${index}\n%%EOF\n`), fileName: `单据${index}.pdf` },
        'test',
      );
      codes.push(code);
    }
    const people: Record<string, Principal> = {};
    for (const [name, role] of [
      ['drawer', 'archivist'],
      ['lead', 'reviewer'],
      ['approver', 'manager'],
      ['witness1', 'reviewer'],
      ['witness2', 'archivist'],
      ['carrier', 'archivist'],
    ] as const)
      people[name] = await account(db, name, [role]);
    const p = (name: string) => people[name] as Principal;
    const round = await roundDeciding(db, codes, {
      lead: p('lead').username,
      members: [p('drawer').username],
    });
    const { code } = await drawRegister(db, p('drawer'), { round: round.code });
    await signRegister(db, p('lead'), code, 'lead');
    await approveRegister(db, p('approver'), code);
    await signRegister(db, p('witness1'), code, 'witness');
    await signRegister(db, p('witness2'), code, 'witness');
    await carryOutRegister(db, p('carrier'), code);
    return code;
  });
}, 300_000);
afterAll(() => database?.close());

async function jobProgress(base: string): Promise<{ state: string; done: number } | undefined> {
  const answer = await fetch(`${base}/api/v1/jobs?kind=destruction.carry&limit=5`, { headers: admin });
  expect(answer.status).toBe(200);
  const { jobs } = (await answer.json()) as {
    jobs: Array<{ state: string; progress: { done: number } | null }>;
  };
  const job = jobs[0];
  return job ? { state: job.state, done: job.progress?.done ?? 0 } : undefined;
}

/** Each row of the register against its item: pending ⇔ whole and readable; otherwise a tombstone, unreadable. */
async function audit(system: System): Promise<{ destroyed: number; pending: number }> {
  const db = system.database.db;
  const rows = await db
    .selectFrom('destruction_row')
    .innerJoin('destruction_register', 'destruction_register.id', 'destruction_row.register_id')
    .select(['destruction_row.item_id', 'destruction_row.state', 'destruction_row.archive_code'])
    .where('destruction_register.code', '=', register)
    .execute();
  expect(rows).toHaveLength(ITEMS);
  const items = new Map(
    (
      await findItemsByIds(
        db,
        rows.map((row) => row.item_id),
        scopedQuery(SYSTEM),
      )
    ).map((item) => [item.id, item]),
  );
  const storage = { db, store: system.store, access: SYSTEM };
  let destroyed = 0;
  for (const row of rows) {
    const item = items.get(row.item_id);
    const read = await openFile(storage, row.archive_code, 1, 'test').then(
      async (opened) => {
        opened.stream.destroy();
        return 'readable';
      },
      (error: { code?: string }) => error.code,
    );
    if (row.state === 'pending') {
      expect(item?.name, row.archive_code).toBe('王建国');
      expect(read, row.archive_code).toBe('readable');
    } else {
      destroyed += 1;
      expect(item?.name, row.archive_code).toBeNull();
      expect(item?.changeReason, row.archive_code).toContain(register);
      expect(read, row.archive_code).toBe('BLOB_SHREDDED');
    }
  }
  return { destroyed, pending: ITEMS - destroyed };
}

describe('a register carried out across kill -9', { timeout: 400_000 }, () => {
  it('leaves no item half-destroyed and finishes after a restart', async () => {
    const first = await serve(cli, {
      YIDANG_JOB_POLL_MS: '100',
      YIDANG_OCR_CONCURRENCY: '0',
      YIDANG_PGLITE_THREAD: 'worker',
    });
    try {
      const deadline = Date.now() + 180_000;
      for (;;) {
        const progress = await jobProgress(first.base);
        if (progress && progress.done >= 20) break;
        if (progress?.state === 'done') throw new Error('the job finished before the kill');
        if (Date.now() > deadline) throw new Error(`no progress:\n${first.log()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await first.stop('SIGKILL');
    }
    const killed = await withSystem(audit);
    expect(killed.destroyed).toBeGreaterThanOrEqual(20);
    expect(killed.pending).toBeGreaterThan(0);

    const second = await serve(cli, { YIDANG_JOB_POLL_MS: '100', YIDANG_OCR_CONCURRENCY: '0' });
    try {
      const deadline = Date.now() + 240_000;
      for (;;) {
        const progress = await jobProgress(second.base);
        if (progress?.state === 'done') break;
        if (Date.now() > deadline) throw new Error(`not finished:\n${second.log()}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    } finally {
      await second.stop();
    }
    await withSystem(async (system) => {
      expect(await audit(system)).toEqual({ destroyed: ITEMS, pending: 0 });
      const events = await system.database.db
        .selectFrom('integrity_event')
        .select('subject')
        .where('action', '=', 'item.destroyed')
        .execute();
      expect(events).toHaveLength(ITEMS);
      expect(new Set(events.map((event) => event.subject)).size).toBe(ITEMS);
      const state = await system.database.db
        .selectFrom('destruction_register')
        .select('state')
        .where('code', '=', register)
        .executeTakeFirstOrThrow();
      expect(state.state).toBe('filed');
      const report = await verifyAll({
        db: system.database.db,
        store: system.store,
        signingKey: system.signingKey,
      });
      expect(report.problems).toEqual([]);
      expect(report.destroyed.find((entry) => entry.register === register)?.items).toHaveLength(ITEMS);
    });
  });
});
