import { type Insertable, type RawBuilder, type Selectable, sql, type Updateable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { LoanItemTable, LoanKind, LoanState, LoanTable } from './lending.tables.js';

// The lending module's SQL over its own tables (loan, loan_item, loan_sequence). Items are read
// through catalog's queries, accounts through access; nothing here names another module's table.

export type LoanRow = Selectable<LoanTable>;
export type LoanItemRow = Selectable<LoanItemTable>;

/** The next number of the year's sequence (JY2026-000001, …): the row's lock orders concurrent requests. */
export async function nextLoanNumber(trx: Db, year: number): Promise<string> {
  const { rows } = await sql<{ last_number: number }>`
    insert into loan_sequence (year, last_number) values (${year}, 1)
    on conflict (year) do update set last_number = loan_sequence.last_number + 1
    returning last_number`.execute(trx);
  const number = Number(rows[0]?.last_number);
  return `JY${year}-${String(number).padStart(6, '0')}`;
}

export type NewLoan = Omit<Insertable<LoanTable>, 'created_at' | 'updated_at'> & { created_at: Date };

export async function insertLoan(
  trx: Db,
  loan: NewLoan,
  items: ReadonlyArray<{ itemId: number; archiveCode: string }>,
): Promise<number> {
  const { id } = await trx
    .insertInto('loan')
    .values({ ...loan, updated_at: loan.created_at })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('loan_item')
    .values(items.map((item) => ({ loan_id: id, item_id: item.itemId, archive_code: item.archiveCode })))
    .execute();
  return id;
}

export async function findLoan(db: Db, loanNo: string, forUpdate = false): Promise<LoanRow | undefined> {
  let query = db.selectFrom('loan').selectAll().where('loan_no', '=', loanNo);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export function loanItems(db: Db, loanIds: readonly number[]): Promise<LoanItemRow[]> {
  if (loanIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('loan_item')
    .selectAll()
    .where('loan_id', 'in', [...loanIds])
    .orderBy('loan_id')
    .orderBy('archive_code')
    .execute();
}

/**
 * Moves a loan from one state to the next only if it is still in `from` (and at the approval level
 * read): a second archivist's or approver's click finds nothing to move.
 */
export async function moveLoan(
  trx: Db,
  id: number,
  from: { state: LoanState; approvedLevel?: number },
  change: Updateable<LoanTable> & { updated_at: Date },
): Promise<boolean> {
  let query = trx.updateTable('loan').set(change).where('id', '=', id).where('state', '=', from.state);
  if (from.approvedLevel !== undefined) query = query.where('approved_level', '=', from.approvedLevel);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Closes every item of a loan to the disposition guard (rejected, withdrawn, ended). */
export async function closeItems(trx: Db, loanId: number): Promise<void> {
  await trx.updateTable('loan_item').set({ open: false }).where('loan_id', '=', loanId).execute();
}

export async function markHandedOver(
  trx: Db,
  loanId: number,
  pages: ReadonlyMap<number, number>,
  at: Date,
  by: string,
): Promise<void> {
  for (const item of await loanItems(trx, [loanId]))
    await trx
      .updateTable('loan_item')
      .set({ handed_over_at: at, handed_over_by: by, pages_out: pages.get(item.item_id) ?? null })
      .where('loan_id', '=', loanId)
      .where('item_id', '=', item.item_id)
      .where('handed_over_at', 'is', null)
      .execute();
}

/**
 * Records the return check of these items, each only if it is out and not yet back; returns the
 * items it recorded (two archivists confirming at once: the second gets none).
 */
export async function markReturned(
  trx: Db,
  loanId: number,
  itemIds: readonly number[],
  check: {
    at: Date;
    by: string;
    pages: number | null;
    condition: LoanItemTable['condition'];
    damage: string | null;
  },
): Promise<number[]> {
  const rows = await trx
    .updateTable('loan_item')
    .set({
      returned_at: check.at,
      returned_by: check.by,
      pages_returned: check.pages,
      condition: check.condition,
      damage: check.damage,
      open: false,
    })
    .where('loan_id', '=', loanId)
    .where('item_id', 'in', [...itemIds])
    .where('handed_over_at', 'is not', null)
    .where('returned_at', 'is', null)
    .returning('item_id')
    .execute();
  return rows.map((row) => row.item_id);
}

export interface LoanFilter {
  /** Loans this user borrowed or asked for. */
  mine?: number;
  /** Loans waiting for an approver holding one of these roles (not their own). */
  awaiting?: { roles: readonly string[]; userId: number; username: string };
  /** Paper loans at the archivist's desk: approved (to hand over) or on loan (to take back). */
  desk?: boolean;
  states?: readonly LoanState[];
  kind?: LoanKind;
  /** Only loans whose items all lie within this condition over `li.archive_code`. */
  within?: (archiveCode: RawBuilder<unknown>) => RawBuilder<unknown>;
  beforeId?: number;
  limit: number;
}

export async function listLoans(db: Db, filter: LoanFilter): Promise<LoanRow[]> {
  let query = db.selectFrom('loan as l').selectAll('l');
  if (filter.mine !== undefined) {
    const me = filter.mine;
    query = query.where((eb) => eb.or([eb('l.borrower_id', '=', me), eb('l.requester_id', '=', me)]));
  }
  if (filter.awaiting) {
    const { roles, userId, username } = filter.awaiting;
    const list = sql`array[${sql.join(roles.length > 0 ? roles : [''])}]::text[]`;
    query = query
      .where('l.state', '=', 'requested')
      .where('l.requester_id', '<>', userId)
      .where((eb) => eb.or([eb('l.borrower_id', 'is', null), eb('l.borrower_id', '<>', userId)]))
      .where(
        sql<boolean>`((l.approved_level = 0 and l.level1_roles && ${list})
          or (l.approved_level = 1 and l.approval_levels = 2 and l.level2_roles && ${list}
            and l.level1_by <> ${username}))`,
      );
  }
  if (filter.desk)
    query = query.where('l.kind', '=', 'paper').where('l.state', 'in', ['approved', 'on_loan']);
  if (filter.states && filter.states.length > 0) query = query.where('l.state', 'in', [...filter.states]);
  if (filter.kind) query = query.where('l.kind', '=', filter.kind);
  if (filter.beforeId !== undefined) query = query.where('l.id', '<', filter.beforeId);
  if (filter.within) {
    const within = filter.within;
    query = query.where(
      sql<boolean>`not exists (select 1 from loan_item li where li.loan_id = l.id
        and not (${within(sql`li.archive_code`)}))`,
    );
  }
  return query.orderBy('l.id', 'desc').limit(filter.limit).execute();
}

/** The open paper loan holding each of these items (the item page's 借出 line). */
export async function paperLoansOfItems(
  db: Db,
  archiveCodes: readonly string[],
): Promise<Array<{ archiveCode: string; loan: LoanRow }>> {
  if (archiveCodes.length === 0) return [];
  const rows = await db
    .selectFrom('loan_item as li')
    .innerJoin('loan as l', 'l.id', 'li.loan_id')
    .selectAll('l')
    .select('li.archive_code as item_code')
    .where('li.archive_code', 'in', [...archiveCodes])
    .where('li.handed_over_at', 'is not', null)
    .where('li.returned_at', 'is', null)
    .execute();
  return rows.map(({ item_code, ...loan }) => ({ archiveCode: item_code, loan }));
}

/** Items of other open loans among these, that are out on paper now. */
export async function itemsOut(db: Db, itemIds: readonly number[]): Promise<string[]> {
  if (itemIds.length === 0) return [];
  const rows = await db
    .selectFrom('loan_item')
    .select('archive_code')
    .where('item_id', 'in', [...itemIds])
    .where('handed_over_at', 'is not', null)
    .where('returned_at', 'is', null)
    .execute();
  return rows.map((row) => row.archive_code);
}

/** The SQL the disposition guard composes: items on loan or with an open loan request. */
export function itemsOnLoanSql(): RawBuilder<{ item_id: number }> {
  // An electronic loan or copy past its due date (Beijing day) holds nothing back, closed or not.
  return sql<{ item_id: number }>`select li.item_id from loan_item li join loan l on l.id = li.loan_id
    where li.open and not (l.kind <> 'paper' and l.state = 'on_loan'
      and l.due_on < (now() at time zone 'Asia/Shanghai')::date)`;
}

/** A loan's state as its events carry it (the log keeps its digest; verify recomputes it). */
function stateOf(loan: LoanRow, items: readonly LoanItemRow[]): object {
  return {
    loanNo: loan.loan_no,
    kind: loan.kind,
    borrower: loan.borrower_username ?? null,
    // The ids are what reads under the loan and the own-loan rules decide by, so they are proved too.
    borrowerId: loan.borrower_id,
    requesterId: loan.requester_id,
    organisation: loan.borrower_org ?? null,
    state: loan.state,
    approvedLevel: loan.approved_level,
    due: loan.due_on,
    returnedOn: loan.returned_on,
    renewals: loan.renewals,
    items: items.map((item) => ({
      item: item.archive_code,
      itemId: item.item_id,
      open: item.open,
      out: item.handed_over_at !== null,
      back: item.returned_at !== null,
      condition: item.condition,
    })),
  };
}

/** The state a loan's events carry (its digest goes into the log). */
export async function loanState(db: Db, id: number): Promise<object> {
  const loan = await db.selectFrom('loan').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return stateOf(loan, await loanItems(db, [id]));
}

/** Every loan's state keyed loan:<借阅单号>, for verify to compare with the log's latest digests. */
export async function loanStates(db: Db): Promise<Map<string, unknown>> {
  const loans = await db.selectFrom('loan').selectAll().orderBy('id').execute();
  const items = await db
    .selectFrom('loan_item')
    .selectAll()
    .orderBy('loan_id')
    .orderBy('archive_code')
    .execute();
  const byLoan = new Map<number, LoanItemRow[]>();
  for (const item of items) byLoan.set(item.loan_id, [...(byLoan.get(item.loan_id) ?? []), item]);
  return new Map(loans.map((loan) => [`loan:${loan.loan_no}`, stateOf(loan, byLoan.get(loan.id) ?? [])]));
}
