import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { NoticeDelivery } from './notices.tables.js';

// The only SQL for notices: the inbox is one recipient's rows, newest first.

export interface NoticeRow {
  id: number;
  recipientId: number;
  recipientName: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  about: string | null;
  createdAt: Date;
  readAt: Date | null;
  delivery: NoticeDelivery;
}

const columns = [
  'id',
  'recipient_id as recipientId',
  'recipient_name as recipientName',
  'kind',
  'title',
  'body',
  'link',
  'about',
  'created_at as createdAt',
  'read_at as readAt',
  'delivery',
] as const;

const toRow = (row: Omit<NoticeRow, 'id'> & { id: string | number }): NoticeRow => ({
  ...row,
  id: Number(row.id),
});

export interface NewNoticeRow {
  recipientId: number;
  recipientName: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  about: string | null;
  key: string | null;
  delivery: NoticeDelivery;
  createdAt: Date;
}

/** Adds a notice; undefined when one under the same key already reached this recipient. */
export async function insertNotice(db: Db, notice: NewNoticeRow): Promise<number | undefined> {
  const row = await db
    .insertInto('notice')
    .values({
      recipient_id: notice.recipientId,
      recipient_name: notice.recipientName,
      kind: notice.kind,
      title: notice.title,
      body: notice.body,
      link: notice.link,
      about: notice.about,
      dedupe_key: notice.key,
      delivery: notice.delivery,
      created_at: notice.createdAt,
    })
    .onConflict((oc) =>
      oc.columns(['recipient_id', 'dedupe_key']).where('dedupe_key', 'is not', null).doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

export async function listNotices(
  db: Db,
  recipientId: number,
  options: { unreadOnly: boolean; before?: number; limit: number },
): Promise<NoticeRow[]> {
  let query = db.selectFrom('notice').select(columns).where('recipient_id', '=', recipientId);
  if (options.unreadOnly) query = query.where('read_at', 'is', null);
  if (options.before !== undefined) query = query.where('id', '<', String(options.before));
  const rows = await query.orderBy('id', 'desc').limit(options.limit).execute();
  return rows.map(toRow);
}

export async function countUnread(db: Db, recipientId: number): Promise<number> {
  const { count } = await db
    .selectFrom('notice')
    .where('recipient_id', '=', recipientId)
    .where('read_at', 'is', null)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** Marks one of the recipient's notices read (kept read if it was); false when it is not theirs. */
export async function markRead(db: Db, recipientId: number, id: number, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('notice')
    .set({ read_at: sql<Date>`coalesce(read_at, ${now})` })
    .where('id', '=', String(id))
    .where('recipient_id', '=', recipientId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function markAllRead(db: Db, recipientId: number, now: Date): Promise<number> {
  const result = await db
    .updateTable('notice')
    .set({ read_at: now })
    .where('recipient_id', '=', recipientId)
    .where('read_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function noticeById(db: Db, id: number): Promise<NoticeRow | undefined> {
  const row = await db.selectFrom('notice').select(columns).where('id', '=', String(id)).executeTakeFirst();
  return row ? toRow(row) : undefined;
}

export async function setDelivery(
  db: Db,
  id: number,
  delivery: NoticeDelivery,
  at: Date,
  error: string | null,
): Promise<void> {
  await db
    .updateTable('notice')
    .set({ delivery, delivered_at: delivery === 'delivered' ? at : null, delivery_error: error })
    .where('id', '=', String(id))
    .execute();
}
