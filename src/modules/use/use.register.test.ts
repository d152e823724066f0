import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import type { AccessContext } from '../../shared/access-context.js';
import { findUserByName, type ScopeRow } from '../access/access.repo.js';
import { accessContextOf, loadPrincipal } from '../access/principal.js';
import type { Role } from '../access/roles.js';
import { createUser } from '../access/user.service.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { listEvents } from '../integrity/event.queries.js';
import { logEvent } from '../integrity/event-log.js';
import { exportUseXlsx } from './use.export.js';
import { namedLease } from '../jobs/job.runtime.js';
import { catchUpUses, rebuildUses, startUseFollower } from './use.follower.js';
import { listUses, recordEffect } from './use.service.js';
import { useStats } from './use.stats.js';
import { useSummary } from './use.summary.js';

// The 利用登记簿 as a projection of the log: loan and insured-window events become rows (a hand-over
// of two items two rows), read again it changes nothing, a batch that fails leaves neither rows nor
// position, and what each reader sees is cut by their scope. Statistics agree with the rows, in
// Beijing time, and the workbook's totals read back the same.

let database: TestDatabase;
const db = () => database.db;
const PASSWORD = 'Archive-Test-Passw0rd!';
const J013: ScopeRow[] = [{ fondsCode: 'J013', regionCode: null, categoryCode: null }];
const EVERYTHING: ScopeRow[] = [{ fondsCode: null, regionCode: null, categoryCode: null }];
const codes: Record<'a' | 'b' | 'c' | 'secret', string> = { a: '', b: '', c: '', secret: '' };

async function account(username: string, roles: Role[], scope: ScopeRow[]): Promise<AccessContext> {
  const idNumber = roles.includes('insured') ? validId('32011519700101123') : undefined;
  if (!(await findUserByName(db(), username)))
    await createUser(db(), { username, password: PASSWORD, roles, scope, idNumber }, 'test');
  const row = await findUserByName(db(), username);
  return accessContextOf(db(), (await loadPrincipal(db(), row?.id as number, 'session')) as never);
}

const loan = (number: string) => `loan:${number}`;

async function useEvents(): Promise<void> {
  await logEvent(db(), {
    actor: 'use-clerk',
    action: 'loan.requested',
    subject: loan('JY2026-000001'),
    payload: {
      kind: 'paper',
      items: [codes.a, codes.b],
      purpose: '核对报销材料',
      days: 10,
      borrower: { user: 'use-clerk' },
    },
  });
  await logEvent(db(), {
    actor: 'use-archivist',
    action: 'loan.handed_over',
    subject: loan('JY2026-000001'),
    payload: { items: [codes.a, codes.b], due: '2026-12-20' },
  });
  await logEvent(db(), {
    actor: 'use-archivist',
    action: 'loan.requested',
    subject: loan('JY2026-000002'),
    payload: {
      kind: 'electronic',
      items: [codes.c, codes.secret],
      purpose: '案件调查取证',
      days: 5,
      borrower: { organisation: '南京市中级人民法院', letterNo: '宁中法函〔2026〕12号' },
    },
  });
  await logEvent(db(), {
    actor: 'use-archivist',
    action: 'loan.read',
    subject: loan('JY2026-000002'),
    payload: { item: codes.c },
  });
  await logEvent(db(), {
    actor: 'use-archivist',
    action: 'loan.copied',
    subject: loan('JY2026-000002'),
    payload: { item: codes.secret, file: 1, copyCode: 'FZ-TEST-1' },
  });
  await logEvent(db(), {
    actor: 'use-insured',
    action: 'insured.copy_requested',
    subject: 'insured_copy:FZ2026-000001',
    payload: { item: codes.b, purpose: '办理异地就医备案' },
  });
  await logEvent(db(), {
    actor: 'use-insured',
    action: 'insured.copy_issued',
    subject: 'insured_copy:FZ2026-000001',
    payload: { item: codes.b, fileNumber: 1, digest: 'sha256:x', mediaType: 'application/pdf' },
  });
  await logEvent(db(), {
    actor: 'use-insured',
    action: 'insured.query_answered',
    subject: 'user:use-insured',
    payload: { kind: 'archives', rows: 2 },
  });
}

const allRows = () =>
  db().selectFrom('use_register').selectAll().orderBy('event_seq').orderBy('ordinal').execute();

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
  await createFonds(db(), { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
  const j014 = {
    fonds: 'J014',
    poolingRegion: '320116',
    responsible: '南京市六合区医疗保障局',
    category: 'DYMZ',
    extra: {},
  };
  const filed = await fileItems(
    db(),
    [
      reimbursement({ date: '2024-02-01' }),
      reimbursement({ date: '2024-02-02', idNumber: validId('32011519900101123') }),
      reimbursement({ date: '2024-02-03', ...j014 }),
      reimbursement({ date: '2024-02-04', sensitivity: 'sensitive', title: '某某 住院病历（敏感）' }),
    ],
    'test',
    { access: SYSTEM },
  );
  [codes.a, codes.b, codes.c, codes.secret] = filed.map((item) => item.archiveCode) as [
    string,
    string,
    string,
    string,
  ];
  await useEvents();
});
afterAll(() => database?.close());

describe('the register follows the log', () => {
  it('makes a row per use: a hand-over of two items two rows, a reading, copies and a query answered', async () => {
    const run = await catchUpUses(db());
    expect(run.rows).toBe(6);
    const rows = await allRows();
    expect(rows.map((row) => [row.kind, row.item_code])).toEqual([
      ['paper', codes.a],
      ['paper', codes.b],
      ['electronic', codes.c],
      ['copy', codes.secret],
      ['copy', codes.b],
      ['query', null],
    ]);
    const [paper, , reading, , insuredCopy, query] = rows;
    expect(paper).toMatchObject({
      user_name: 'use-clerk',
      actor: 'use-archivist',
      department: '南京市江宁区医疗保障局',
      purpose: '核对报销材料',
      loan_number: 'JY2026-000001',
      fonds_code: 'J013',
    });
    expect(reading).toMatchObject({
      organisation: '南京市中级人民法院',
      letter_no: '宁中法函〔2026〕12号',
      department: '南京市中级人民法院',
      purpose: '案件调查取证',
      fonds_code: 'J014',
    });
    expect(insuredCopy).toMatchObject({
      user_name: 'use-insured',
      department: '参保人',
      purpose: '办理异地就医备案',
    });
    expect(query).toMatchObject({ department: '参保人', detail: 'archives', fonds_code: null });
  });

  it('reads nothing twice: a second run and a rebuild from the first event give the same rows', async () => {
    const before = await allRows();
    expect((await catchUpUses(db())).rows).toBe(0);
    expect(await allRows()).toEqual(before);
    const rebuilt = await rebuildUses(db());
    expect(rebuilt.rows).toBe(6);
    expect(await allRows()).toEqual(before);
  });

  it('a batch that fails leaves neither its rows nor its position; the next run takes it in once', async () => {
    await logEvent(db(), {
      actor: 'use-archivist',
      action: 'loan.read',
      subject: loan('JY2026-000002'),
      payload: { item: codes.c },
    });
    await logEvent(db(), {
      actor: 'use-archivist',
      action: 'loan.read',
      subject: loan('JY2026-000002'),
      payload: { item: codes.c, file: 2 },
    });
    const position = async () =>
      Number((await db().selectFrom('use_state').select('last_seq').executeTakeFirstOrThrow()).last_seq);
    const at = await position();
    // A failure in the middle of the batch's writes, as a crash would leave it.
    await sql`create function use_test_fail() returns trigger language plpgsql as $$
      begin if (select count(*) from use_register) >= 7 then raise exception 'crash'; end if; return new; end $$`.execute(
      db(),
    );
    await sql`create trigger use_test_fail before insert on use_register for each row execute function use_test_fail()`.execute(
      db(),
    );
    await expect(catchUpUses(db())).rejects.toThrow();
    expect(await position()).toBe(at);
    expect((await allRows()).length).toBe(6);
    await sql`drop trigger use_test_fail on use_register`.execute(db());
    await sql`drop function use_test_fail()`.execute(db());
    // Resumed in small batches (as the server's follower does after a restart): each use once.
    const run = await catchUpUses(db(), { batch: 1 });
    expect(run.rows).toBe(2);
    expect((await allRows()).length).toBe(8);
    expect(await position()).toBeGreaterThan(at);
  });
});

describe('an entry the register cannot place', () => {
  it('is passed over, and the follower goes on past it', async () => {
    const before = (await allRows()).length;
    await logEvent(db(), {
      actor: 'use-archivist',
      action: 'use.effect_recorded',
      subject: 'use:not-a-number',
      payload: { item: null, effect: 'other', note: null },
    });
    await logEvent(db(), {
      actor: 'use-archivist',
      action: 'loan.handed_over',
      subject: loan('JY2026-000003'),
      payload: { items: [codes.c, 42 as unknown as string], due: '2026-12-31' },
    });
    const run = await catchUpUses(db());
    // The hand-over's one readable item is a row; the number among its items and the odd effect are not.
    expect(run.rows).toBe(1);
    expect((await allRows()).length).toBe(before + 1);
    expect((await catchUpUses(db())).events).toBe(0);
  });
});

describe('two followers', () => {
  it('at once (two servers, or the CLI beside a server) register each use once', async () => {
    const before = (await allRows()).length;
    for (let n = 0; n < 5; n++)
      await logEvent(db(), {
        actor: 'use-archivist',
        action: 'loan.read',
        subject: loan('JY2026-000002'),
        payload: { item: codes.c, file: n + 10 },
      });
    const runs = await Promise.all([catchUpUses(db(), { batch: 2 }), catchUpUses(db(), { batch: 3 })]);
    expect(runs[0].rows + runs[1].rows).toBe(5);
    expect((await allRows()).length).toBe(before + 5);
  });

  it('under a lease, only the holder follows; the other takes over when it is released', async () => {
    const first = namedLease(db(), 'use.register', { holder: 'server-a' });
    const second = namedLease(db(), 'use.register', { holder: 'server-b' });
    expect(await first.hold()).toBe(true);
    const before = (await allRows()).length;
    await logEvent(db(), {
      actor: 'use-archivist',
      action: 'loan.read',
      subject: loan('JY2026-000002'),
      payload: { item: codes.c, file: 99 },
    });
    const follower = startUseFollower(db(), { lease: second, idleMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await allRows()).length).toBe(before);
    await first.release();
    for (let waited = 0; waited < 100 && (await allRows()).length === before; waited++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await follower.stop();
    expect((await allRows()).length).toBe(before + 1);
  });
});

describe('who sees the register', () => {
  it('an archivist or manager sees the uses in their scope; rows without an item only with the whole archive', async () => {
    const whole = await listUses(db(), await account('use-manager-all', ['manager'], EVERYTHING), {});
    expect(whole.uses).toHaveLength((await allRows()).length);
    expect(whole.uses.some((use) => use.kind === 'query')).toBe(true);
    const j013 = await listUses(db(), await account('use-manager-j013', ['manager'], J013), {});
    expect(new Set(j013.uses.map((use) => use.fonds))).toEqual(new Set(['J013']));
    expect(j013.uses.map((use) => use.archiveCode).sort()).toEqual(
      [codes.a, codes.b, codes.b, codes.secret].sort(),
    );
    // The court's reading of a J014 item is not there, nor its existence.
    expect(
      j013.uses.some((use) => use.organisation === '南京市中级人民法院' && use.archiveCode === codes.c),
    ).toBe(false);
  });

  it('shows titles as the reader may see them: a sensitive item without a grant is withheld, names masked', async () => {
    const { uses } = await listUses(db(), await account('use-manager-all', ['manager'], EVERYTHING), {});
    const secret = uses.find((use) => use.archiveCode === codes.secret);
    expect(secret?.title).toBe('（内容已隐去，须经审批后查阅）');
    expect(secret?.categoryName).toBeNull();
    const open = uses.find((use) => use.archiveCode === codes.a);
    expect(open?.title).toContain('王*国');
    expect(open?.title).not.toContain('王建国');
  });

  it('a borrower sees only their own uses; a 参保人 and an administrator are refused', async () => {
    const clerk = await account('use-clerk', ['clerk'], J013);
    const own = await listUses(db(), clerk, {});
    expect(own.uses.map((use) => use.archiveCode).sort()).toEqual([codes.a, codes.b].sort());
    expect(own.uses.every((use) => use.user === 'use-clerk' && use.mayRecordEffect)).toBe(true);
    const insured = await account('use-insured', ['insured'], []);
    expect((await failure(listUses(db(), insured, {}))).kind).toBe('forbidden');
    const sysadmin = await account('use-sysadmin', ['sysadmin'], []);
    expect((await failure(listUses(db(), sysadmin, {}))).kind).toBe('forbidden');
  });

  it('bad filters are Chinese errors with stable codes', async () => {
    const manager = await account('use-manager-all', ['manager'], EVERYTHING);
    expect((await failure(listUses(db(), manager, { kind: 'burn' }))).code).toBe('USE_QUERY_INVALID');
    expect((await failure(listUses(db(), manager, { from: '2026-13-01' }))).code).toBe('TIME_INVALID');
    expect((await failure(listUses(db(), manager, { from: '2026-05-01', to: '2026-04-01' }))).code).toBe(
      'USE_QUERY_INVALID',
    );
    expect((await failure(listUses(db(), manager, { before: 'x' }))).code).toBe('USE_QUERY_INVALID');
    expect((await failure(listUses(db(), manager, { category: 'NOPE' }))).code).toBe('CATEGORY_NOT_FOUND');
  });
});

describe('利用效果', () => {
  it('the borrower records it (its own event); the follower replaying the event keeps it', async () => {
    const clerk = await account('use-clerk', ['clerk'], J013);
    const { uses } = await listUses(db(), clerk, {});
    const use = uses.find((entry) => entry.archiveCode === codes.b) as (typeof uses)[number];
    const entry = await recordEffect(db(), clerk, {
      seq: use.seq,
      item: codes.b,
      effect: '凭证作用',
      note: '补发待遇的依据',
    });
    expect(entry).toMatchObject({
      effect: 'voucher',
      effectName: '凭证作用',
      effectNote: '补发待遇的依据',
      effectBy: 'use-clerk',
    });
    const [event] = await listEvents(db(), { subject: `use:${use.seq}`, limit: 1 });
    expect(event?.action).toBe('use.effect_recorded');
    await rebuildUses(db());
    const row = await db()
      .selectFrom('use_register')
      .selectAll()
      .where('event_seq', '=', use.seq)
      .where('item_code', '=', codes.b)
      .executeTakeFirstOrThrow();
    expect([row.effect, row.effect_note, row.effect_by]).toEqual(['voucher', '补发待遇的依据', 'use-clerk']);
  });

  it('only the borrower or an archivist; others are refused or find nothing; bad values are refused', async () => {
    const all = await listUses(db(), await account('use-manager-all', ['manager'], EVERYTHING), {});
    const court = all.uses.find((use) => use.kind === 'electronic') as (typeof all.uses)[number];
    const manager = await account('use-manager-all', ['manager'], EVERYTHING);
    expect((await failure(recordEffect(db(), manager, { seq: court.seq, effect: 'audit' }))).code).toBe(
      'USE_EFFECT_FORBIDDEN',
    );
    const otherClerk = await account('use-clerk-2', ['clerk'], J013);
    expect((await failure(recordEffect(db(), otherClerk, { seq: court.seq, effect: 'audit' }))).code).toBe(
      'USE_NOT_FOUND',
    );
    const archivist = await account('use-archivist', ['archivist'], EVERYTHING);
    expect(
      (await recordEffect(db(), archivist, { seq: court.seq, effect: 'rights', note: null })).effect,
    ).toBe('rights');
    expect((await failure(recordEffect(db(), archivist, { seq: court.seq, effect: '好' }))).code).toBe(
      'USE_EFFECT_INVALID',
    );
    expect(
      (
        await failure(
          recordEffect(db(), archivist, { seq: court.seq, effect: 'other', note: `身份证 ${validId()}` }),
        )
      ).code,
    ).toBe('ID_NUMBER_IN_TEXT');
    expect((await failure(recordEffect(db(), archivist, { seq: 99_999_999, effect: 'other' }))).code).toBe(
      'USE_NOT_FOUND',
    );
  });
});

describe('利用统计', () => {
  it('counts by period in Beijing time: a use at 00:30 on 1 April in Beijing is April', async () => {
    // 2026-03-31T16:30Z is 2026-04-01 00:30 in Beijing; 2026-03-31T15:59Z is still 31 March there;
    // 2025-12-31T16:00Z is already 2026 (1 January, 00:00).
    const rows = await allRows();
    const times = ['2026-03-31T16:30:00Z', '2026-03-31T15:59:00Z', '2025-12-31T16:00:00Z'];
    for (const [index, time] of times.entries()) {
      const row = rows[index] as (typeof rows)[number];
      await db()
        .updateTable('use_register')
        .set({ used_at: new Date(time) })
        .where('event_seq', '=', row.event_seq)
        .where('ordinal', '=', row.ordinal)
        .execute();
    }
    const manager = await account('use-manager-all', ['manager'], EVERYTHING);
    const spring = await useStats(db(), manager, {
      period: 'month',
      by: 'none',
      from: '2026-03',
      to: '2026-04',
    });
    expect(spring.rows.map((row) => [row.period, row.uses])).toEqual([
      ['2026-03', 1],
      ['2026-04', 1],
    ]);
    const quarters = await useStats(db(), manager, {
      period: 'quarter',
      by: 'none',
      from: '2026-01-01',
      to: '2026-06-30',
    });
    expect(quarters.rows.map((row) => [row.periodName, row.uses])).toEqual([
      ['2026年第1季度', 2],
      ['2026年第2季度', 1],
    ]);
    const years = await useStats(db(), manager, { period: 'year', by: 'none', to: '2026-12-31' });
    expect(years.rows.find((row) => row.period === '2026')?.uses).toBeGreaterThanOrEqual(2);
    expect(years.rows.find((row) => row.period === '2025')?.uses).toBeUndefined();
    // A range by months: December 2025 ends at midnight Beijing time, where January 2026 begins.
    const december = await useStats(db(), manager, {
      period: 'month',
      by: 'none',
      from: '2025-12',
      to: '2025-12',
    });
    expect(december.total.uses).toBe(0);
    const january = await useStats(db(), manager, {
      period: 'month',
      by: 'none',
      from: '2026-01',
      to: '2026-01',
    });
    expect(january.rows.map((row) => [row.period, row.uses])).toEqual([['2026-01', 1]]);
    const newYearsDay = await useStats(db(), manager, { by: 'none', from: '2026-01-01', to: '2026-01-01' });
    expect(newYearsDay.total.uses).toBe(1);
  });

  it('totals agree with the rows, by kind, category and department, within the scope', async () => {
    for (const [username, scope] of [
      ['use-manager-all', EVERYTHING],
      ['use-manager-j013', J013],
    ] as const) {
      const manager = await account(username, ['manager'], [...scope]);
      const listed = (await listUses(db(), manager, { limit: 1000 })).uses;
      for (const by of ['kind', 'category', 'department'] as const) {
        const stats = await useStats(db(), manager, { period: 'year', by });
        expect(stats.total.uses).toBe(listed.length);
        expect(stats.rows.reduce((sum, row) => sum + row.uses, 0)).toBe(listed.length);
      }
      const byKind = await useStats(db(), manager, { period: 'year', by: 'kind' });
      for (const kind of ['paper', 'electronic', 'copy', 'query'])
        expect(byKind.rows.filter((row) => row.key === kind).reduce((sum, row) => sum + row.uses, 0)).toBe(
          listed.filter((use) => use.kind === kind).length,
        );
      const byDepartment = await useStats(db(), manager, { period: 'year', by: 'department' });
      expect(byDepartment.rows.every((row) => row.label === row.key)).toBe(true);
    }
    const clerk = await account('use-clerk', ['clerk'], J013);
    expect((await failure(useStats(db(), clerk, {}))).kind).toBe('forbidden');
    const manager = await account('use-manager-all', ['manager'], EVERYTHING);
    expect((await failure(useStats(db(), manager, { period: 'week' }))).code).toBe('USE_QUERY_INVALID');
    expect((await failure(useStats(db(), manager, { by: 'colour' }))).code).toBe('USE_QUERY_INVALID');
  });

  it('the dashboard summary counts this month and year', async () => {
    const manager = await account('use-manager-all', ['manager'], EVERYTHING);
    const now = new Date();
    const summary = await useSummary(db(), manager, now);
    const year = await useStats(db(), manager, {
      period: 'year',
      by: 'none',
      from: `${summary.month.slice(0, 4)}-01`,
      to: `${summary.month.slice(0, 4)}-12`,
    });
    expect(summary.yearUses).toBe(year.total.uses);
    expect(summary.byKind.reduce((sum, kind) => sum + kind.uses, 0)).toBe(summary.yearUses);
  });

  it('the workbook reads back with the same totals and rows', async () => {
    const manager = await account('use-manager-j013', ['manager'], J013);
    const { xlsx, total } = await exportUseXlsx(db(), manager, { period: 'month', by: 'kind' });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx as never);
    const summary = workbook.getWorksheet('利用统计');
    const register = workbook.getWorksheet('利用登记簿');
    let counted = 0;
    let totalCell: unknown;
    summary?.eachRow((row, number) => {
      if (number <= 3) return;
      if (row.getCell(1).value === '合计') totalCell = row.getCell(3).value;
      else counted += Number(row.getCell(3).value);
    });
    expect(counted).toBe(total);
    expect(totalCell).toBe(total);
    expect((register?.rowCount ?? 0) - 1).toBe(total);
    const codesShown = new Set<string>();
    register?.eachRow((row, number) => {
      if (number > 1) codesShown.add(String(row.getCell(6).value));
    });
    expect(codesShown.has(codes.c)).toBe(false);
  });
});
