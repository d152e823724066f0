import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { GrantInForceJson } from '../../shared/access-context.js';
import { itemLabels } from '../catalog/item.queries.js';
import type { AccessRequestTable } from './access.tables.js';

// The only SQL for access requests (查阅申请) and the grants (授权) they become once approved.

export type RequestStatus = AccessRequestTable['status'];

export interface RequestRow {
  id: number;
  requesterId: number;
  requester: string;
  requesterName: string;
  purpose: string;
  durationHours: number;
  status: RequestStatus;
  createdAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  expiresAt: Date | null;
  revokedBy: string | null;
  revokedAt: Date | null;
  revokeNote: string | null;
}

export interface RequestItemRow {
  requestId: number;
  itemId: number;
  archiveCode: string;
  category: string;
  categoryName: string;
  sensitivity: string;
}

export interface ActiveGrant {
  id: number;
  purpose: string;
  expiresAt: Date;
}

export async function insertRequest(
  db: Db,
  request: {
    requesterId: number;
    purpose: string;
    durationHours: number;
    createdAt: Date;
    itemIds: number[];
  },
): Promise<number> {
  const { id } = await db
    .insertInto('access_request')
    .values({
      requester_id: request.requesterId,
      purpose: request.purpose,
      duration_hours: request.durationHours,
      status: 'pending',
      created_at: request.createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('access_request_item')
    .values(request.itemIds.map((itemId) => ({ request_id: id, item_id: itemId })))
    .execute();
  return id;
}

function requestQuery(db: Db) {
  return db
    .selectFrom('access_request as r')
    .innerJoin('app_user as u', 'u.id', 'r.requester_id')
    .leftJoin('app_user as d', 'd.id', 'r.decided_by')
    .leftJoin('app_user as v', 'v.id', 'r.revoked_by')
    .select([
      'r.id',
      'r.requester_id as requesterId',
      'u.username as requester',
      'u.display_name as requesterName',
      'r.purpose',
      'r.duration_hours as durationHours',
      'r.status',
      'r.created_at as createdAt',
      'd.username as decidedBy',
      'r.decided_at as decidedAt',
      'r.decision_note as decisionNote',
      'r.expires_at as expiresAt',
      'v.username as revokedBy',
      'r.revoked_at as revokedAt',
      'r.revoke_note as revokeNote',
    ]);
}

export async function findRequest(db: Db, id: number, forUpdate = false): Promise<RequestRow | undefined> {
  let query = requestQuery(db).where('r.id', '=', id);
  if (forUpdate) query = query.forUpdate('r');
  return query.executeTakeFirst();
}

export interface RequestFilter {
  requesterId?: number;
  status?: RequestStatus;
  beforeId?: number;
  limit: number;
}

/** Newest first, keyset-paged by id. */
export function listRequests(db: Db, filter: RequestFilter): Promise<RequestRow[]> {
  return requestQuery(db)
    .$if(filter.requesterId !== undefined, (query) =>
      query.where('r.requester_id', '=', filter.requesterId ?? 0),
    )
    .$if(filter.status !== undefined, (query) => query.where('r.status', '=', filter.status ?? 'pending'))
    .$if(filter.beforeId !== undefined, (query) => query.where('r.id', '<', filter.beforeId ?? 0))
    .orderBy('r.id', 'desc')
    .limit(filter.limit)
    .execute();
}

export async function requestItems(db: Db, requestIds: readonly number[]): Promise<RequestItemRow[]> {
  if (requestIds.length === 0) return [];
  // The items' 档号, category and sensitivity are the catalog's: its itemLabels fragment, joined here.
  const result = await sql<RequestItemRow>`
    select ri.request_id as "requestId", ri.item_id as "itemId", i.archive_code as "archiveCode",
      i.category, i.category_name as "categoryName", i.sensitivity
    from access_request_item ri
    join ${itemLabels()} i on i.id = ri.item_id
    where ri.request_id in (${sql.join(requestIds.map((id) => sql`${id}`))})
    order by ri.request_id, i.archive_code`.execute(db);
  return result.rows;
}

/** Moves a request on from `from`; false when someone else moved it first. */
export async function decideRequest(
  db: Db,
  id: number,
  from: RequestStatus,
  change: {
    status: RequestStatus;
    decidedBy?: number;
    decidedAt: Date;
    note: string | null;
    expiresAt?: Date | null;
    durationHours?: number;
  },
): Promise<boolean> {
  const revoking = change.status === 'revoked';
  const result = await db
    .updateTable('access_request')
    .set({
      status: change.status,
      ...(revoking
        ? { revoked_by: change.decidedBy ?? null, revoked_at: change.decidedAt, revoke_note: change.note }
        : {
            decision_note: change.note,
            ...(change.decidedBy !== undefined
              ? { decided_by: change.decidedBy, decided_at: change.decidedAt }
              : {}),
          }),
      ...(change.expiresAt !== undefined ? { expires_at: change.expiresAt } : {}),
      ...(change.durationHours !== undefined ? { duration_hours: change.durationHours } : {}),
    })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Approved requests of this user still in force at `now`, joined to their items. */
const grantsInForce = (db: Db, userId: number, now: Date) =>
  db
    .selectFrom('access_request_item as ri')
    .innerJoin('access_request as r', 'r.id', 'ri.request_id')
    .where('r.requester_id', '=', userId)
    .where('r.status', '=', 'approved')
    .where('r.expires_at', '>', now);

/** The user's grants in force at `now` for these items: the one lasting longest per item. */
export async function activeGrants(
  db: Db,
  userId: number,
  itemIds: readonly number[],
  now: Date,
): Promise<Map<number, ActiveGrant>> {
  const grants = new Map<number, ActiveGrant>();
  if (itemIds.length === 0) return grants;
  const rows = await grantsInForce(db, userId, now)
    .where('ri.item_id', 'in', [...itemIds])
    .select(['ri.item_id as itemId', 'r.id', 'r.purpose', 'r.expires_at as expiresAt'])
    .orderBy('r.expires_at', 'asc')
    .execute();
  for (const row of rows)
    grants.set(row.itemId, { id: row.id, purpose: row.purpose, expiresAt: row.expiresAt as Date });
  return grants;
}

/** Every item a user holds a grant in force for (a search may show these sensitive items). */
export async function grantedItemIds(db: Db, userId: number, now: Date): Promise<number[]> {
  const rows = await grantsInForce(db, userId, now).select('ri.item_id as itemId').distinct().execute();
  return rows.map((row) => Number(row.itemId));
}

/**
 * The same as an SQL subquery (`select item_id …`), for a search that puts the gate on sensitive items
 * in its own statement instead of reading the ids first.
 */
export function grantedItemIdsSql(userId: number, now: Date): RawBuilder<unknown> {
  return sql`select ri.item_id from access_request_item ri
    join access_request r on r.id = ri.request_id
    where r.requester_id = ${userId} and r.status = 'approved' and r.expires_at > ${now}`;
}

/** The user's grant in force at `now` for the item `itemId` (SQL), the one lasting longest, as json or null. */
export function grantInForceSql(
  userId: number,
  itemId: RawBuilder<unknown>,
  now: Date,
): RawBuilder<GrantInForceJson | null> {
  return sql<GrantInForceJson | null>`(select json_build_object('id', r.id, 'purpose', r.purpose, 'expiresAt', r.expires_at)
    from access_request_item ri join access_request r on r.id = ri.request_id
    where ri.item_id = ${itemId} and r.requester_id = ${userId} and r.status = 'approved' and r.expires_at > ${now}
    order by r.expires_at desc limit 1)`;
}

/** Requests awaiting a decision: everyone's (the approvals inbox) or one requester's own. */
export async function countPendingRequests(db: Db, requesterId?: number): Promise<number> {
  const { count } = await db
    .selectFrom('access_request')
    .where('status', '=', 'pending')
    .$if(requesterId !== undefined, (query) => query.where('requester_id', '=', requesterId ?? 0))
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}
