import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { payloadOf } from '../../../test/helpers/events.js';
import { validId } from '../../../test/helpers/fixtures.js';
import { inTransaction } from '../../db/transaction.js';
import { isYidangError } from '../../shared/errors.js';
import { findUserByName } from '../access/access.repo.js';
import { createUser } from '../access/user.service.js';
import {
  markAllNoticesRead,
  markNoticeRead,
  myNotices,
  NOTICE_DELIVER_JOB,
  type NoticeToSend,
  sendNotice,
  unreadCount,
} from './notice.service.js';

// The inbox: a notice sent in the sender's transaction with its event (and its delivery job only when
// a hook is configured), listed to its recipient alone, newest first, read one by one or all at once;
// a key reaches a recipient once; bad notices are refused in Chinese.

let database: TestDatabase;
const db = () => database.db;
let alice: { userId: number };
let bob: { userId: number };

async function account(username: string) {
  await createUser(db(), { username, password: 'Archive-Test-Passw0rd!', roles: ['clerk'] }, 'test');
  return { userId: (await findUserByName(db(), username))?.id as number };
}

const note = (over: Partial<NoticeToSend> = {}): NoticeToSend => ({
  recipientId: alice.userId,
  recipientName: 'alice',
  kind: 'loan.due_soon',
  title: '借阅即将到期',
  text: '借阅单 JY2026-000001 将于 2026-12-30 到期，请按时归还。',
  link: '/lending/mine',
  about: 'loan:JY2026-000001',
  ...over,
});

const send = (notice: NoticeToSend, deliver = false, now?: Date) =>
  inTransaction(db(), (trx) => sendNotice(trx, notice, { actor: 'system:reminders', deliver, now }));

async function refused(notice: NoticeToSend): Promise<string> {
  try {
    await send(notice);
  } catch (error) {
    expect(isYidangError(error) && ['NOTICE_INVALID', 'ID_NUMBER_IN_TEXT'].includes(error.code)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('the notice was accepted');
}

const jobsOf = async (kind: string) =>
  db().selectFrom('job').select(['payload', 'idempotency_key']).where('kind', '=', kind).execute();

beforeAll(async () => {
  database = await openTestDatabase();
  alice = await account('alice');
  bob = await account('bob');
});
afterAll(() => database?.close());

describe('sending', () => {
  it('puts a notice in the inbox with its event and no delivery job when no hook is set', async () => {
    const id = await send(note(), false, new Date('2026-12-27T01:00:00Z'));
    expect(id).toBeGreaterThan(0);
    const inbox = await myNotices(db(), alice);
    expect(inbox.unread).toBe(1);
    expect(inbox.notices[0]).toMatchObject({
      id,
      kind: 'loan.due_soon',
      kindLabel: '借阅即将到期',
      title: '借阅即将到期',
      link: '/lending/mine',
      about: 'loan:JY2026-000001',
      createdAt: '2026-12-27T09:00:00+08:00',
      read: false,
      readAt: null,
    });
    const events = await db()
      .selectFrom('integrity_event')
      .select(['actor', 'subject', 'payload'])
      .where('action', '=', 'notice.sent')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'system:reminders', subject: 'user:alice' });
    expect(payloadOf(events[0]?.payload as string)).toMatchObject({
      notice: id,
      kind: 'loan.due_soon',
      about: 'loan:JY2026-000001',
      delivery: false,
    });
    // The log keeps what the notice was about, not its words.
    expect(events[0]?.payload).not.toContain('请按时归还');
    expect(await jobsOf(NOTICE_DELIVER_JOB)).toHaveLength(0);
  });

  it('queues its delivery in the same transaction when a hook is set, and nothing if it rolls back', async () => {
    const id = await send(note({ title: '投递测试' }), true);
    expect(await jobsOf(NOTICE_DELIVER_JOB)).toEqual([
      { payload: expect.anything(), idempotency_key: `notice:${id}` },
    ]);
    await expect(
      inTransaction(db(), async (trx) => {
        await sendNotice(trx, note({ title: '回滚' }), { actor: 'x', deliver: true });
        throw new Error('the sender failed');
      }),
    ).rejects.toThrow('the sender failed');
    expect(await jobsOf(NOTICE_DELIVER_JOB)).toHaveLength(1);
    expect((await myNotices(db(), alice)).notices.map((n) => n.title)).not.toContain('回滚');
  });

  it('sends a keyed notice once per recipient', async () => {
    const key = 'loan:JY2026-000002:-3';
    expect(await send(note({ key }))).toBeGreaterThan(0);
    expect(await send(note({ key }))).toBeUndefined();
    expect(await send(note({ key, recipientId: bob.userId, recipientName: 'bob' }))).toBeGreaterThan(0);
    const keyed = await db()
      .selectFrom('notice')
      .select('recipient_id')
      .where('dedupe_key', '=', key)
      .execute();
    expect(keyed.map((row) => row.recipient_id).sort()).toEqual([alice.userId, bob.userId].sort());
  });

  it('refuses bad notices in Chinese', async () => {
    expect(await refused(note({ title: '' }))).toMatch(/标题/);
    expect(await refused(note({ title: '一'.repeat(61) }))).toMatch(/标题/);
    expect(await refused(note({ title: '两\n行' }))).toMatch(/标题/);
    expect(await refused(note({ text: 'a\u0007b' }))).toMatch(/正文/);
    expect(await refused(note({ kind: 'Loan Overdue' }))).toMatch(/类型/);
    expect(await refused(note({ link: 'https://evil.example/' }))).toMatch(/链接/);
    expect(await refused(note({ link: '//evil.example/' }))).toMatch(/链接/);
    expect(await refused(note({ about: 'no subject' }))).toMatch(/所涉对象/);
    // An ID number never goes out to a gateway: refused, and quoted masked.
    const message = await refused(note({ text: `参保人 ${validId()} 的档案已逾期` }));
    expect(message).toMatch(/身份证号/);
    expect(message).not.toContain(validId());
  });
});

describe('the inbox', () => {
  it('shows each recipient only their own notices, pages newest first and marks them read', async () => {
    for (let n = 1; n <= 3; n++)
      await send(note({ recipientId: bob.userId, recipientName: 'bob', title: `第${n}条` }));
    const bobs = await myNotices(db(), bob, { limit: 2 });
    expect(bobs.notices.map((n) => n.title)).toEqual(['第3条', '第2条']);
    expect(bobs.unread).toBe(4);
    const next = await myNotices(db(), bob, { limit: 2, before: bobs.nextBefore as number });
    expect(next.notices.map((n) => n.title)).toEqual(['第1条', '借阅即将到期']);
    expect(next.nextBefore).toBeNull();

    // Alice cannot mark Bob's notice read: it answers as a missing one.
    const bobsFirst = bobs.notices[0]?.id as number;
    await expect(markNoticeRead(db(), alice, bobsFirst)).rejects.toMatchObject({ code: 'NOTICE_NOT_FOUND' });
    await expect(markNoticeRead(db(), alice, 999_999)).rejects.toMatchObject({ code: 'NOTICE_NOT_FOUND' });
    expect(await unreadCount(db(), bob)).toBe(4);

    await markNoticeRead(db(), bob, bobsFirst, new Date('2026-12-28T02:00:00Z'));
    await markNoticeRead(db(), bob, bobsFirst, new Date('2026-12-29T02:00:00Z'));
    const after = await myNotices(db(), bob, { limit: 1 });
    expect(after.notices[0]).toMatchObject({ read: true, readAt: '2026-12-28T10:00:00+08:00' });
    expect(after.unread).toBe(3);
    expect((await myNotices(db(), bob, { unread: true })).notices.map((n) => n.id)).not.toContain(bobsFirst);

    expect(await markAllNoticesRead(db(), bob)).toBe(3);
    expect(await unreadCount(db(), bob)).toBe(0);
    expect(await unreadCount(db(), alice)).toBeGreaterThan(0);
    await expect(myNotices(db(), bob, { limit: 0 })).rejects.toMatchObject({ code: 'NOTICE_INVALID' });
  });
});
