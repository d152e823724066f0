import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { until } from '../../../test/helpers/wait.js';
import { type App, buildApp } from '../../http/app.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { logEvent } from '../integrity/event-log.js';
import { namedLease } from '../jobs/job.runtime.js';
import { catchUpViews, lookOf, startViewsFollower } from './views.follow.js';
import { viewsOfPerson } from './views.read.js';

// The follower behind 谁查看了我的档案 on a real database: loan readings and copies, ID-number search
// hits through the search route, events that name no one, two followers at once, the server's
// follower under its lease, and the policy on staff names.

const P1 = validId('32011519850312105');
let system: TestSystem;
let app: App;
let clerk: TestUser;
let own = '';
let nobodys = '';
const db = () => system.database.db;
const person = () => ({ personKey: idNumberIndex(P1) as string, username: 'insured-self' });

beforeAll(async () => {
  system = await openTestSystem();
  await createFonds(db(), FONDS, 'test');
  const filed = await fileItems(
    db(),
    [reimbursement({ idNumber: P1, name: '张三', title: '张三 报销审核表' })],
    'test',
    { access: SYSTEM },
  );
  own = filed[0]?.archiveCode as string;
  // An item the catalog does not hold (gone, or never filed): its looks name no one.
  nobodys = own.replace(/\d+$/, '9999');
  clerk = await testUser(db(), { roles: ['clerk'], username: 'clerk-follow' });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const rows = async () =>
  db()
    .selectFrom('insured_view')
    .select(['person_key', 'seq', 'action', 'archive_code', 'approval', 'via'])
    .execute();

describe('the follower', () => {
  it('files a reading under a loan once, with the loan number as the approval', async () => {
    // What lending writes for one electronic reading: the delivered file, then the loan's own entry.
    await logEvent(db(), {
      actor: clerk.username,
      action: 'file.read',
      subject: `item:${own}`,
      payload: {
        fileNumber: 1,
        digest: 'sha256:00',
        grantId: null,
        purpose: '借阅单JY2026-000001 核对缴费',
        traceId: 'YD-0000-0000-01',
        loan: 'JY2026-000001',
      },
    });
    // A file read the ordinary way whose purpose only claims a loan is an ordinary look.
    await logEvent(db(), {
      actor: clerk.username,
      action: 'file.read',
      subject: `item:${own}`,
      payload: {
        fileNumber: 1,
        digest: 'sha256:00',
        grantId: null,
        purpose: '借阅单JY2026-000003 冒充',
        traceId: 'YD-0000-0000-02',
      },
    });
    await logEvent(db(), {
      actor: clerk.username,
      action: 'loan.read',
      subject: 'loan:JY2026-000001',
      payload: { item: own, file: 1 },
    });
    // A loan entry that names no file is a look of its own.
    await logEvent(db(), {
      actor: clerk.username,
      action: 'loan.read',
      subject: 'loan:JY2026-000002',
      payload: { item: own },
    });
    await catchUpViews(db());
    const page = await viewsOfPerson(db(), person());
    expect(page.entries.map((entry) => [entry.action, entry.approval, entry.purpose, entry.role])).toEqual([
      ['loan.read', '借阅单 JY2026-000002', null, '经办人员'],
      ['file.read', null, '借阅单JY2026-000003 冒充', '经办人员'],
      ['file.read', '借阅单 JY2026-000001', '核对缴费', '经办人员'],
    ]);
    expect(page.entries.map((entry) => entry.actionLabel)).toEqual(['借阅阅览', '调阅文件', '调阅文件']);
  });

  it('files an ID-number search hit through the search route, never the number itself', async () => {
    const search = await app.inject({ method: 'GET', url: `/api/v1/search?q=${P1}`, headers: clerk.headers });
    expect(search.statusCode, search.body).toBe(200);
    await catchUpViews(db());
    const hit = (await viewsOfPerson(db(), person())).entries.find(
      (entry) => entry.action === 'search.id_lookup',
    );
    expect(hit).toMatchObject({ archiveCode: own, actionLabel: '按身份证号检索到', via: 'id_lookup' });
    const events = await db()
      .selectFrom('integrity_event')
      .select('payload')
      .where('action', '=', 'search.id_lookup')
      .execute();
    expect(events.map((event) => event.payload).join('')).not.toContain(P1);
    expect(events.map((event) => event.payload).join('')).toContain(own);
  });

  it('passes over events about items naming no one and events that are not looks, and moves past them', async () => {
    const before = (await rows()).length;
    await logEvent(db(), {
      actor: clerk.username,
      action: 'item.viewed',
      subject: `item:${nobodys}`,
      payload: { purpose: null },
    });
    await logEvent(db(), {
      actor: clerk.username,
      action: 'search.unsaved',
      subject: `user:${clerk.username}`,
      payload: { name: 'x' },
    });
    const run = await catchUpViews(db());
    expect(run).toMatchObject({ events: 2, looks: 0, backlog: false });
    expect((await rows()).length).toBe(before);
    const state = await db().selectFrom('insured_view_state').select('last_seq').executeTakeFirstOrThrow();
    const last = await db()
      .selectFrom('integrity_event')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirstOrThrow();
    expect(Number(state.last_seq)).toBe(Number(last.seq));
  });

  it('files each look once when two followers run at once', async () => {
    for (let n = 0; n < 5; n++)
      await logEvent(db(), {
        actor: clerk.username,
        action: 'item.viewed',
        subject: `item:${own}`,
        payload: { purpose: `核对 ${n}` },
      });
    const before = (await rows()).length;
    const runs = await Promise.all([catchUpViews(db(), { batch: 2 }), catchUpViews(db(), { batch: 2 })]);
    expect(runs.reduce((sum, run) => sum + run.looks, 0)).toBe(5);
    expect((await rows()).length).toBe(before + 5);
  });

  it('runs in the server under its lease and takes in new looks', async () => {
    const follower = startViewsFollower(db(), { idleMs: 50, lease: namedLease(db(), 'insured.views') });
    try {
      await logEvent(db(), {
        actor: clerk.username,
        action: 'file.read',
        subject: `item:${own}`,
        payload: { fileNumber: 1, digest: 'sha256:00', grantId: 7, purpose: '复核', traceId: null },
      });
      await until(async () => (await rows()).some((row) => row.action === 'file.read'), 'the views follower');
    } finally {
      await follower.stop();
    }
    const read = (await viewsOfPerson(db(), person())).entries.find((entry) => entry.action === 'file.read');
    expect(read).toMatchObject({ purpose: '复核', approval: '查阅申请 #7', staff: null });
  });

  it('names the staff account only when the policy says so', async () => {
    const shown = await viewsOfPerson(db(), person(), {}, { showStaffNames: true });
    expect(shown.entries.every((entry) => entry.staff === clerk.username)).toBe(true);
  });
});

describe('lookOf', () => {
  it('reads the item, purpose and approval of each kind of look, and nothing of a bad payload', () => {
    expect(
      lookOf({ action: 'item.read', subject: 'item:A-1', payload: '{"grantId":3,"purpose":"审计"}' }),
    ).toEqual({
      codes: ['A-1'],
      purpose: '审计',
      approval: '查阅申请 #3',
      via: null,
    });
    expect(
      lookOf({ action: 'search.id_lookup', subject: 'user:x', payload: '{"items":["A-1",5,"A-2"]}' })?.codes,
    ).toEqual(['A-1', 'A-2']);
    expect(
      lookOf({ action: 'search.id_lookup', subject: 'user:x', payload: '{"lookups":1}' })?.codes,
    ).toEqual([]);
    expect(lookOf({ action: 'item.read', subject: 'item:A-1', payload: 'not json' })).toBeNull();
    expect(lookOf({ action: 'loan.read', subject: 'loan:JY2026-000002', payload: '{}' })).toBeNull();
    expect(
      lookOf({ action: 'loan.handed_over', subject: 'loan:JY2026-000009', payload: '{"items":["A-1",2]}' }),
    ).toEqual({ codes: ['A-1'], purpose: null, approval: '借阅单 JY2026-000009', via: 'loan' });
  });

  it('files the paper file handed out under a loan as a look, under the loan number', async () => {
    await logEvent(db(), {
      actor: clerk.username,
      action: 'loan.handed_over',
      subject: 'loan:JY2026-000003',
      payload: { items: [own, nobodys], due: '2026-12-31' },
    });
    await catchUpViews(db());
    const [latest] = (await viewsOfPerson(db(), person())).entries;
    expect(latest).toMatchObject({
      action: 'loan.handed_over',
      actionLabel: '借阅出库',
      archiveCode: own,
      approval: '借阅单 JY2026-000003',
      role: '经办人员',
    });
  });
});
