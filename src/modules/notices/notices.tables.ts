import type { ColumnType, Generated } from 'kysely';

// Row shape of the table the notices module owns (see the notices migration).

export type NoticeDelivery = 'none' | 'pending' | 'delivered' | 'failed';

export interface NoticeTable {
  id: Generated<string>;
  recipient_id: number;
  /** The recipient's account name, for the gateway and the log. */
  recipient_name: string;
  /** What the notice is about, e.g. loan.due_soon (NOTICE_KINDS names it). */
  kind: string;
  title: string;
  body: string;
  /** A console path to open (/lending/mine), never an outside address. */
  link: string | null;
  /** The subject it concerns, as the log names subjects (loan:JY2026-000123). */
  about: string | null;
  /** The sender's key: a notice under the same key reaches its recipient once. */
  dedupe_key: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  read_at: Date | null;
  delivery: ColumnType<NoticeDelivery, NoticeDelivery | undefined, NoticeDelivery>;
  delivered_at: Date | null;
  delivery_error: string | null;
}

export interface NoticeTables {
  notice: NoticeTable;
}
