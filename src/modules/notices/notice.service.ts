import type { Db } from '../../db/database.js';
import { beijingIso } from '../../shared/beijing-time.js';
import { invalid, notFound } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { recordEvent } from '../integrity/event-log.js';
import { enqueueJob } from '../jobs/job.runtime.js';
import {
  countUnread,
  insertNotice,
  listNotices,
  markAllRead,
  markRead,
  type NoticeRow,
} from './notice.repo.js';

// The console inbox (站内通知): notices to one account, listed newest first, read or not. Any module
// sends one inside its own transaction (sendNotice); the inbox is only ever its recipient's.

export const NOTICE_DELIVER_JOB = 'notices.deliver';

/** Kinds of notice and their names; a kind not listed is shown as 通知. */
export const NOTICE_KINDS: Readonly<Record<string, string>> = {
  'loan.due_soon': '借阅即将到期',
  'loan.due_today': '借阅今日到期',
  'loan.overdue': '借阅逾期',
  'loan.overdue_staff': '借阅逾期（档案员）',
  general: '通知',
};

export const MAX_TITLE = 60;
export const MAX_TEXT = 500;
/** A control character other than a line break (a notice's text may run over lines). */
const hasControl = (text: string) =>
  [...text].some((char) => {
    const code = char.codePointAt(0) as number;
    return (code < 0x20 && char !== '\n') || (code >= 0x7f && code <= 0x9f);
  });
const KIND = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;
// A console path, never another site: one leading slash, no scheme, no backslash.
const LINK = /^\/(?![/\\])[^\s\\]{0,299}$/;
const ABOUT = /^[a-z_-]+:[^\s]{1,120}$/;

export interface NoticeToSend {
  recipientId: number;
  /** The recipient's account name (the log's subject user:<name>, the gateway's addressee). */
  recipientName: string;
  kind: string;
  title: string;
  /** Plain words: loan numbers and 档号 only — never an ID number, a name of an insured person or a diagnosis. */
  text: string;
  link?: string;
  /** The subject it concerns as the log names it (loan:JY2026-000123). */
  about?: string;
  /** Sent once per recipient under this key (a loan's reminder at one offset). */
  key?: string;
}

export interface SendOptions {
  actor: string;
  /** Whether a delivery hook is configured (config.notices): a delivery job then commits with the notice. */
  deliver: boolean;
  now?: Date;
}

function checkNotice(notice: NoticeToSend): void {
  const bad = (what: string) => invalid('NOTICE_INVALID', `通知${what}`);
  if (!KIND.test(notice.kind) || notice.kind.length > 40) throw bad(`类型“${notice.kind.slice(0, 40)}”无效`);
  const title = notice.title.trim();
  if (!title || [...title].length > MAX_TITLE || hasControl(title) || title.includes('\n'))
    throw bad(`标题应为 1–${MAX_TITLE} 个字符的一行文字`);
  if (!notice.text.trim() || [...notice.text].length > MAX_TEXT || hasControl(notice.text))
    throw bad(`正文应为 1–${MAX_TEXT} 个字符，不含控制字符`);
  if (notice.link !== undefined && !LINK.test(notice.link)) throw bad('链接应为本系统内以 / 开头的路径');
  if (notice.about !== undefined && !ABOUT.test(notice.about)) throw bad('所涉对象应形如 loan:借阅单号');
  if (notice.key !== undefined && (notice.key.length === 0 || notice.key.length > 200))
    throw bad('去重键应为 1–200 个字符');
  // What leaves the system by mail or SMS must never carry an ID number.
  refuseIdNumberInText('通知', { title: notice.title, text: notice.text });
}

/**
 * Puts a notice in its recipient's inbox inside the caller's transaction, with its event and (when a
 * hook is configured) its delivery job: the sender never waits on a gateway. Returns the notice's id,
 * or undefined when its key already reached this recipient.
 */
export async function sendNotice(
  trx: Db,
  notice: NoticeToSend,
  options: SendOptions,
): Promise<number | undefined> {
  checkNotice(notice);
  const id = await insertNotice(trx, {
    recipientId: notice.recipientId,
    recipientName: notice.recipientName,
    kind: notice.kind,
    title: notice.title.trim(),
    body: notice.text.trim(),
    link: notice.link ?? null,
    about: notice.about ?? null,
    key: notice.key ?? null,
    delivery: options.deliver ? 'pending' : 'none',
    createdAt: options.now ?? new Date(),
  });
  if (id === undefined) return undefined;
  if (options.deliver)
    await enqueueJob(trx, { kind: NOTICE_DELIVER_JOB, payload: { notice: id }, key: `notice:${id}` });
  recordEvent(trx, {
    actor: options.actor,
    action: 'notice.sent',
    subject: `user:${notice.recipientName}`,
    payload: { notice: id, kind: notice.kind, about: notice.about ?? null, delivery: options.deliver },
  });
  return id;
}

export interface NoticeView {
  id: number;
  kind: string;
  kindLabel: string;
  title: string;
  text: string;
  link: string | null;
  about: string | null;
  createdAt: string;
  read: boolean;
  readAt: string | null;
}

export const noticeKindLabel = (kind: string) => NOTICE_KINDS[kind] ?? NOTICE_KINDS.general ?? kind;

export function toNoticeView(row: NoticeRow): NoticeView {
  return {
    id: row.id,
    kind: row.kind,
    kindLabel: noticeKindLabel(row.kind),
    title: row.title,
    text: row.body,
    link: row.link,
    about: row.about,
    createdAt: beijingIso(row.createdAt),
    read: row.readAt !== null,
    readAt: beijingIso(row.readAt),
  };
}

/** Who is asking: the inbox is always the caller's own, never one named in the request. */
export interface Reader {
  userId: number;
}

export const MAX_PAGE = 100;

export async function myNotices(
  db: Db,
  reader: Reader,
  options: { unread?: boolean; before?: number; limit?: number } = {},
): Promise<{ notices: NoticeView[]; unread: number; nextBefore: number | null }> {
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw invalid('NOTICE_INVALID', `每页条数应为 1–${MAX_PAGE}`);
  const [rows, unread] = await Promise.all([
    listNotices(db, reader.userId, {
      unreadOnly: options.unread === true,
      before: options.before,
      limit: limit + 1,
    }),
    countUnread(db, reader.userId),
  ]);
  const page = rows.slice(0, limit);
  return {
    notices: page.map(toNoticeView),
    unread,
    nextBefore: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

export function unreadCount(db: Db, reader: Reader): Promise<number> {
  return countUnread(db, reader.userId);
}

export async function markNoticeRead(db: Db, reader: Reader, id: number, now = new Date()): Promise<void> {
  // Another's notice is answered exactly like a missing one: ids are not a way to learn who got what.
  if (!(await markRead(db, reader.userId, id, now))) throw notFound('NOTICE_NOT_FOUND', `通知 ${id} 不存在`);
}

export function markAllNoticesRead(db: Db, reader: Reader, now = new Date()): Promise<number> {
  return markAllRead(db, reader.userId, now);
}
