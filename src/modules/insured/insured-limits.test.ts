import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { inTransaction } from '../../db/transaction.js';
import { type App, buildApp } from '../../http/app.js';
import { accessContextOf, accountOf } from '../access/principal.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { appendEvents } from '../integrity/event-log.js';
import { addFile } from '../storage/file.service.js';
import { verifyAll } from '../verify/verify.service.js';
import { requestCopy } from './copy.service.js';
import { PAGE_CATCH_UP_BOUND } from './views.read.js';
import { catchUpViews } from './views.follow.js';

// What one insured person's phone may cost the server: a page of 谁查看了我的档案 never scans the log
// nor queues behind the follower, a page view is not a new 查询答复 each time, and copies are capped.

const P1 = validId('32011519850312105');
let system: TestSystem;
let app: App;
let insured1: TestUser;
let ownCode = '';

const get = (url: string, user: TestUser) => app.inject({ method: 'GET', url, headers: user.headers });
const post = (url: string, user: TestUser, payload: object) =>
  app.inject({ method: 'POST', url, headers: user.headers, payload });
const db = () => system.database.db;

beforeAll(async () => {
  system = await openTestSystem();
  await createFonds(db(), FONDS, 'test');
  const [filed] = await fileItems(
    db(),
    [reimbursement({ idNumber: P1, name: '张三', title: '张三 报销审核表' })],
    'test',
    { access: SYSTEM },
  );
  ownCode = filed?.archiveCode ?? '';
  const pdf = await PDFDocument.create();
  pdf.addPage([300, 400]);
  const bytes = Buffer.from(await pdf.save());
  for (const fileName of ['审核表.pdf', '发票.pdf', '清单.pdf', '证明.pdf'])
    await addFile(
      { db: db(), store: system.store, access: SYSTEM },
      ownCode,
      { stream: streamOf(bytes), fileName },
      'test',
    );
  insured1 = await testUser(db(), { roles: ['insured'], scope: [], idNumber: P1, username: 'insured-lim' });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

/** Looks at the person's record logged straight into the log (as many staff reads would be). */
async function logLooks(count: number): Promise<void> {
  await inTransaction(db(), (trx) =>
    appendEvents(
      trx,
      Array.from({ length: count }, () => ({
        actor: 'clerk-many',
        action: 'item.viewed' as const,
        subject: `item:${ownCode}`,
        payload: { purpose: null },
      })),
    ),
  );
}

const viewsTotal = async () => {
  const response = await get('/api/v1/insured/views', insured1);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { total: number; pending: boolean };
};

describe('谁查看了我的档案 on the request path', () => {
  it('takes in a few waiting looks itself, and leaves a long backlog to the follower, saying it may lag', async () => {
    await logLooks(3);
    expect(await viewsTotal()).toMatchObject({ total: 3, pending: false });
    await logLooks(PAGE_CATCH_UP_BOUND + 1);
    // Not read by the page: answered from the projection as it stands.
    expect(await viewsTotal()).toMatchObject({ total: 3, pending: true });
    await catchUpViews(db());
    expect(await viewsTotal()).toMatchObject({ total: 3 + PAGE_CATCH_UP_BOUND + 1, pending: false });
  });

  it('never waits on the follower’s position: while it is held the page answers at once (PostgreSQL)', async () => {
    await logLooks(1);
    let answered: { total: number; pending: boolean } | undefined;
    if (process.env.DATABASE_URL) {
      // Another connection holds the position, as the follower does mid-batch.
      await db()
        .transaction()
        .execute(async (trx) => {
          await trx.selectFrom('insured_view_state').select('last_seq').forUpdate().execute();
          answered = await viewsTotal();
        });
      expect(answered).toMatchObject({ pending: true });
    }
    expect(await viewsTotal()).toMatchObject({ total: 3 + PAGE_CATCH_UP_BOUND + 2, pending: false });
  });
});

describe('查询答复 per page view', () => {
  it('is noted once per kind in its window, not for each refresh nor each next page', async () => {
    const answers = async () =>
      (
        await db()
          .selectFrom('integrity_event')
          .select('payload')
          .where('action', '=', 'insured.query_answered')
          .where('subject', '=', 'user:insured-lim')
          .execute()
      ).map((row) => (JSON.parse(row.payload) as { kind: string }).kind);
    const before = await answers();
    for (let refresh = 0; refresh < 3; refresh += 1) {
      expect((await get('/api/v1/insured/archives', insured1)).statusCode).toBe(200);
      expect((await get('/api/v1/insured/records', insured1)).statusCode).toBe(200);
    }
    const first = (await get('/api/v1/insured/views?limit=1', insured1)).json() as { nextCursor: string };
    const next = await get(
      `/api/v1/insured/views?limit=1&cursor=${encodeURIComponent(first.nextCursor)}`,
      insured1,
    );
    expect(next.statusCode, next.body).toBe(200);
    const added = (await answers()).slice(before.length);
    // The views were answered earlier in this file (within the window): none more of that kind.
    expect(before).toContain('views');
    expect(added.sort()).toEqual(['archives', 'records']);
  });
});

describe('查询答复 window', () => {
  it('notes an answer again once the last of its kind is older than the window, not before', async () => {
    const other = await testUser(db(), {
      roles: ['insured'],
      scope: [],
      idNumber: validId('32011519900101123'),
      username: 'insured-window',
    });
    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    // Answers logged earlier: records 11 minutes ago (outside the window), archives 5 (inside).
    for (const [kind, at] of [
      ['records', minutesAgo(11)],
      ['archives', minutesAgo(5)],
    ] as const)
      await inTransaction(db(), (trx) =>
        appendEvents(
          trx,
          [
            {
              actor: 'insured-window',
              action: 'insured.query_answered',
              subject: 'user:insured-window',
              payload: { kind, rows: 0 },
            },
          ],
          at,
        ),
      );
    expect((await get('/api/v1/insured/records', other)).statusCode).toBe(200);
    expect((await get('/api/v1/insured/archives', other)).statusCode).toBe(200);
    const kinds = (
      await db()
        .selectFrom('integrity_event')
        .select('payload')
        .where('subject', '=', 'user:insured-window')
        .where('action', '=', 'insured.query_answered')
        .orderBy('seq')
        .execute()
    ).map((row) => (JSON.parse(row.payload) as { kind: string }).kind);
    expect(kinds).toEqual(['records', 'archives', 'records']);
  });
});

describe('复制件 allowance', () => {
  const errorOf = (response: { json(): unknown }) =>
    (response.json() as { error: { code: string; message: string } }).error;

  it('refuses a second copy of the same file the same day, naming the first', async () => {
    const first = await post('/api/v1/insured/copies', insured1, {
      archiveCode: ownCode,
      fileNumber: 1,
      purpose: '办理退休',
    });
    expect(first.statusCode, first.body).toBe(201);
    const again = await post('/api/v1/insured/copies', insured1, {
      archiveCode: ownCode,
      fileNumber: 1,
      purpose: '另一用途',
    });
    expect(again.statusCode, again.body).toBe(409);
    expect(errorOf(again).code).toBe('INSURED_COPY_LIMIT');
    expect(errorOf(again).message).toContain((first.json() as { copyNo: string }).copyNo);
  });

  it('refuses copies over the day’s allowance, decided by the database when two come at once', async () => {
    const account = await accountOf(db(), { username: 'insured-lim' });
    if (!account?.principal) throw new Error('no principal');
    const access = await accessContextOf(db(), account.principal);
    const context = { db: db(), store: system.store, access, copiesPerDay: 3 };
    const reader = { displayName: '张三' };
    // One copy so far today (file 1): file 2 makes two; files 3 and 4 at once, one of them the third.
    await requestCopy(context, { archiveCode: ownCode, fileNumber: 2, purpose: '办理退休' }, reader);
    const both = await Promise.allSettled(
      [3, 4].map((fileNumber) =>
        requestCopy(context, { archiveCode: ownCode, fileNumber, purpose: '办理退休' }, reader),
      ),
    );
    expect(both.filter((one) => one.status === 'fulfilled')).toHaveLength(1);
    const refused = both.find((one) => one.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'INSURED_COPY_LIMIT' });
    expect((refused.reason as Error).message).toContain('每日上限（3 份）');
    const stored = await db().selectFrom('insured_copy').select('copy_no').execute();
    expect(stored).toHaveLength(3);
    const issued = await db()
      .selectFrom('integrity_event')
      .select('seq')
      .where('action', '=', 'insured.copy_issued')
      .execute();
    expect(issued).toHaveLength(3);
  });
});

describe('verify over the certified copies', () => {
  it('finds a copy altered or planted in insured_copy, which the public check would call genuine', async () => {
    const { sql } = await import('kysely');
    const verify = async () =>
      (await verifyAll({ db: db(), store: system.store, signingKey: system.signingKey })).problems.filter(
        (problem) => problem.kind.startsWith('insured_copy.'),
      );
    expect(await verify()).toEqual([]);
    const [first] = await db().selectFrom('insured_copy').selectAll().orderBy('id').limit(1).execute();
    if (!first) throw new Error('no copy');
    // A forged file's digest put on a genuine code, and a whole copy written past the system.
    await sql`update insured_copy set digest = ${'f'.repeat(64)} where id = ${first.id}`.execute(db());
    await sql`insert into insured_copy (copy_no, code, username, person_key, archive_code, file_number, purpose,
      digest, media_type, file_name, content)
      values ('FZ2026-999999', 'HY-00000-00000-00000-00000', ${first.username}, ${first.person_key},
        ${first.archive_code}, 1, '伪造', ${'e'.repeat(64)}, 'application/pdf', 'x.pdf', '\\x00'::bytea)`.execute(
      db(),
    );
    const check = await app.inject({ method: 'GET', url: '/api/v1/copy-checks/HY-00000-00000-00000-00000' });
    expect((check.json() as { genuine: boolean }).genuine).toBe(true);
    const found = await verify();
    expect(found.map((problem) => [problem.kind, problem.record]).sort()).toEqual([
      ['insured_copy.altered', `复制件 ${first.copy_no}`],
      ['insured_copy.unlogged', '复制件 FZ2026-999999'],
    ]);
  });
});
