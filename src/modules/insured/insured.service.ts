import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext, PrincipalContext } from '../../shared/access-context.js';
import { YidangError } from '../../shared/errors.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { listItems } from '../catalog/item.service.js';
import type { Item } from '../catalog/item.schema.js';
import { destroyedOfPerson } from '../catalog/tombstone.js';
import { recordEvent } from '../integrity/event-log.js';
import { listEvents } from '../integrity/event.queries.js';
import { type OwnRosterRecords, ownRosterRecords } from '../ledgers/roster.queries.js';
import { type ViewsPage, type ViewsPolicy, type ViewsQuery, viewsOfPerson } from './views.read.js';

// 参保人自助查询: what an insured person sees of their own records. Whose records is never a parameter:
// it is the ID number of the signed-in account (the 参保人 role's scope), so no id in a URL, a query
// string or a body can point this window at someone else.

/** The person the window answers: the caller's own ID number and its blind index. */
export interface InsuredSelf {
  access: PrincipalContext;
  idNumber: string;
  personKey: string;
}

/** The caller as an insured person, or 403 INSURED_ONLY (staff, system, an account with no ID number). */
export function insuredSelf(access: AccessContext): InsuredSelf {
  const idNumber = access.kind === 'principal' ? access.scope.idNumber : null;
  if (access.kind !== 'principal' || !access.roles.includes('insured') || !idNumber)
    throw new YidangError(
      'INSURED_ONLY',
      'forbidden',
      '自助查询仅供参保人本人使用：请以登记了本人身份证号的参保人账户登录',
    );
  return { access, idNumber, personKey: idNumberIndex(idNumber) as string };
}

/** How long one 查询答复 of a kind stands for the same person's repeated page views. */
export const ANSWER_WINDOW_MS = 10 * 60_000;

/**
 * Notes the answer as a 查询答复 (insured.query_answered) — once per person and kind per
 * ANSWER_WINDOW_MS, and only for a first page: each entry takes the log head's lock and becomes a row
 * of the 利用登记簿, so a refresh or "load more" on a phone must not take the lock again nor inflate
 * 利用统计. The last answers are found through the log's (subject, seq) index; two page views at the
 * same instant may both note one (harmless: the window only bounds the rate).
 */
async function answered(
  db: Db,
  self: InsuredSelf,
  kind: 'archives' | 'views' | 'records' | 'copies',
  rows: number,
  firstPage = true,
  now: Date = new Date(),
) {
  if (!firstPage) return;
  const subject = `user:${self.access.username}`;
  const recent = await listEvents(db, { subject, action: 'insured.query_answered', limit: 20 });
  const since = now.getTime() - ANSWER_WINDOW_MS;
  const noted = recent.some((event) => {
    if (event.recordedAt.getTime() <= since) return false;
    try {
      return (JSON.parse(event.payload) as { kind?: unknown }).kind === kind;
    } catch {
      return false;
    }
  });
  if (noted) return;
  await inTransaction(db, async (trx) =>
    recordEvent(trx, {
      actor: self.access.username,
      action: 'insured.query_answered',
      subject,
      payload: { kind, rows },
    }),
  );
}

export interface OwnArchive {
  archiveCode: string;
  title: string;
  categoryName: string;
  year: number;
  date: string;
  businessType: string | null;
  agency: string | null;
  name: string | null;
  idNumber: string | null;
  sensitivity: string;
  retention: string;
}

const ownArchive = (item: Item): OwnArchive => ({
  archiveCode: item.archiveCode,
  title: item.title,
  categoryName: item.categoryName,
  year: item.year,
  date: item.date,
  businessType: item.businessType,
  agency: item.agency,
  name: item.name,
  idNumber: item.idNumber,
  sensitivity: item.sensitivity,
  retention: item.retention,
});

/** A record of the caller's destroyed under a 销毁清册: listed with the register and the date, no content. */
export interface OwnDestroyedArchive {
  archiveCode: string;
  /** 题名 as the register shows it (masked). */
  title: string;
  categoryName: string;
  year: number;
  retention: string;
  state: 'destroyed';
  stateLabel: string;
  register: string;
  destroyedAt: string;
}

/**
 * The caller's own archives, masked (a phone screen is read over shoulders), a page at a time; on
 * the first page also those destroyed since, each as 已销毁 with its register and date.
 */
export async function ownArchives(
  db: Db,
  access: AccessContext,
  page: { cursor?: number; limit?: number } = {},
): Promise<{ items: OwnArchive[]; nextCursor: number | null; destroyed: OwnDestroyedArchive[] }> {
  const self = insuredSelf(access);
  const masked: AccessContext = { ...self.access, disclosure: { unmask: false } };
  // Their own number: the listing's look-up by ID number, which is not a search of someone else.
  const { items, nextCursor } = await listItems(
    db,
    { idNumber: self.idNumber, cursor: page.cursor, limit: Math.min(page.limit ?? 20, 100) },
    masked,
  );
  const destroyed = page.cursor === undefined ? await destroyedOfPerson(db, self.access) : [];
  await answered(db, self, 'archives', items.length, page.cursor === undefined);
  return {
    items: items.map(ownArchive),
    nextCursor,
    destroyed: destroyed.map((item) => ({
      archiveCode: item.archiveCode,
      title: item.title,
      categoryName: item.categoryName,
      year: item.year,
      retention: item.retention,
      state: 'destroyed',
      stateLabel: '已销毁',
      register: item.register,
      destroyedAt: item.destroyedAt.toISOString(),
    })),
  };
}

/** The caller's enrollment, contributions, settlements and assistance status in the roster, where it holds them. */
export async function ownRecords(db: Db, access: AccessContext): Promise<OwnRosterRecords> {
  const self = insuredSelf(access);
  const records = await ownRosterRecords(db, self.access);
  await answered(
    db,
    self,
    'records',
    records.enrollments.length + records.contributions.length + records.settlements.length,
  );
  return records;
}

/**
 * 谁查看了我的档案: every look at the caller's records, newest first, from the projection keyed by
 * their blind index (the log is not read here beyond what the projection has yet to take in).
 */
export async function whoViewedMe(
  db: Db,
  access: AccessContext,
  query: ViewsQuery = {},
  policy: ViewsPolicy = {},
): Promise<ViewsPage> {
  const self = insuredSelf(access);
  const page = await viewsOfPerson(
    db,
    { personKey: self.personKey, username: self.access.username },
    query,
    policy,
  );
  await answered(db, self, 'views', page.entries.length, query.cursor === undefined);
  return page;
}
