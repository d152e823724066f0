import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type RawBuilder, sql } from 'kysely';
import type {
  AccessContext,
  GrantInForce,
  GrantInForceJson,
  PrincipalContext,
} from '../../shared/access-context.js';
import { YidangError } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import type { Item } from './item.schema.js';
import { itemSubject } from './item.state.js';

// The gate in front of sensitive (敏感/限制) content: a user sees it only under an approved request
// of their own that is still in force, or when it is their own record (参保人). Scope is already in
// the query; this decides what of an in-scope item may be shown. The grants are looked up through
// the context (the access module owns them), so the catalog needs nothing from above it.

function ownRecord(item: Pick<Item, 'idNumber'>, access: PrincipalContext): boolean {
  const own = access.scope.idNumber;
  return own !== null && own !== '' && item.idNumber === own;
}

function gated(
  item: Pick<Item, 'sensitivity' | 'idNumber'>,
  access: AccessContext,
): access is PrincipalContext {
  return (
    access.kind === 'principal' &&
    access.scope.grantsFor !== undefined &&
    item.sensitivity !== 'normal' &&
    !ownRecord(item, access)
  );
}

export const grantRequired = (archiveCode: string, _sensitivity?: string) =>
  new YidangError(
    'GRANT_REQUIRED',
    'forbidden',
    // Says that the record is withheld, not how sensitive it is: that alone can give away what it holds.
    `档案“${archiveCode.slice(0, 200)}”须提出查阅申请（写明目的与期限）并经安全保密员批准后方可查阅。`,
  );

/**
 * The grant under which this in-scope item may be read: null when none is needed, else the grant in
 * force (the one lasting longest); refused (403) without one.
 */
export async function grantToRead(
  db: Db,
  item: Item,
  access: AccessContext,
  now = new Date(),
): Promise<GrantInForce | null> {
  if (!gated(item, access)) return null;
  const grant = (await access.grants.inForce(db, [item.id], now)).get(item.id);
  if (grant) return grant;
  // A refused look at a sensitive record is itself worth an auditor's attention.
  await inTransaction(db, async (trx) =>
    recordEvent(trx, {
      actor: access.scope.actor ?? `user#${access.scope.grantsFor}`,
      action: 'item.read_refused',
      subject: itemSubject(item.archiveCode),
      payload: { sensitivity: item.sensitivity, reason: 'no_grant' },
    }),
  );
  throw grantRequired(item.archiveCode, item.sensitivity);
}

/**
 * How long the account that filed a sensitive item may add its files without a grant. Filing in the
 * console is two steps (the item, then its files): the filer supplied the content a moment ago, and
 * adding a file shows nothing of what the item holds. Afterwards a grant is needed as for reading.
 */
export const FILER_WINDOW_MS = 24 * 60 * 60 * 1000;

function filedByCallerLately(
  item: Pick<Item, 'createdBy' | 'createdAt'>,
  access: PrincipalContext,
  now: Date,
) {
  const actor = access.scope.actor;
  const filedAt = Date.parse(item.createdAt);
  return (
    actor !== undefined &&
    actor !== '' &&
    item.createdBy === actor &&
    Number.isFinite(filedAt) &&
    now.getTime() - filedAt >= 0 &&
    now.getTime() - filedAt < FILER_WINDOW_MS
  );
}

/** The grant under which files may be added to this in-scope item: as for reading, but the filer needs none within FILER_WINDOW_MS. */
export async function grantToAttach(
  db: Db,
  item: Item,
  access: AccessContext,
  now = new Date(),
): Promise<GrantInForce | null> {
  if (gated(item, access) && filedByCallerLately(item, access, now)) return null;
  return grantToRead(db, item, access, now);
}

/**
 * What a list, a search hit or the CLI shows of an item the user may not read: its 档号 and that it
 * is withheld, nothing more. Category, 业务类型, sensitivity or dates of a record someone may not read
 * can give away what it holds (a record marked sensitive in an ordinary category names a diagnosis).
 */
export function withheldItem(item: Item): Item {
  return {
    id: item.id,
    archiveCode: item.archiveCode,
    // These parts are written in the 档号 itself; everything else is blanked.
    fonds: item.fonds,
    year: item.year,
    org: item.org,
    itemNumber: item.itemNumber,
    category: '',
    categoryName: '',
    retention: '',
    retentionExpiresOn: null,
    title: '（内容已隐去，须经审批后查阅）',
    docNumber: null,
    responsible: '',
    date: '',
    securityLevel: '',
    insuredNumber: null,
    idNumber: null,
    name: null,
    businessType: null,
    handledAt: null,
    handler: null,
    agency: null,
    poolingRegion: null,
    amount: null,
    carrier: '',
    paperLocation: null,
    sensitivity: '',
    extra: {},
    version: 0,
    changeReason: null,
    createdBy: '',
    createdAt: '',
    updatedBy: '',
    updatedAt: '',
    withheld: true,
  };
}

/**
 * The gate over a page of in-scope items: the grants in force for the gated ones (one query, or none
 * when the page's statement read them: `known`), and the ids of those the user may not read.
 */
export async function gateItems(
  db: Db,
  items: readonly Item[],
  access: AccessContext,
  now = new Date(),
  known?: ReadonlyMap<number, GrantInForce>,
): Promise<{ grants: Map<number, GrantInForce>; ungranted: Set<number> }> {
  if (access.kind === 'system') return { grants: new Map(), ungranted: new Set() };
  const needing = items.filter((item) => gated(item, access));
  if (needing.length === 0 || !access.scope.grantsFor) return { grants: new Map(), ungranted: new Set() };
  const grants = known
    ? new Map(
        needing.flatMap((item) =>
          known.has(item.id) ? [[item.id, known.get(item.id) as GrantInForce]] : [],
        ),
      )
    : await access.grants.inForce(
        db,
        needing.map((item) => item.id),
        now,
      );
  return {
    grants,
    ungranted: new Set(needing.filter((item) => !grants.has(item.id)).map((item) => item.id)),
  };
}

/** A page of in-scope items with the content of ungranted sensitive ones withheld (one query at most). */
export async function withholdUngranted(
  db: Db,
  items: Item[],
  access: AccessContext,
  now = new Date(),
  known?: ReadonlyMap<number, GrantInForce>,
): Promise<Item[]> {
  const { ungranted } = await gateItems(db, items, access, now, known);
  return ungranted.size === 0
    ? items
    : items.map((item) => (ungranted.has(item.id) ? withheldItem(item) : item));
}

/**
 * The grants in force of a page's items, as the page's statement read them (grantColumn), or
 * undefined when it did not (a system context, or a look without the grant gate).
 */
export function grantColumn(
  access: AccessContext,
  itemId: RawBuilder<unknown>,
  sensitivity: RawBuilder<unknown>,
  now: Date,
) {
  if (access.kind === 'system' || access.scope.grantsFor === undefined || !access.grants.inForceSql)
    return null;
  return sql<GrantInForceJson | null>`case when ${sensitivity} <> 'normal' then ${access.grants.inForceSql(itemId, now)} end`;
}

/** The grants read by grantColumn, by item. */
export function grantsRead(
  rows: ReadonlyArray<{ id: number; grant: GrantInForceJson | null }>,
): Map<number, GrantInForce> {
  const grants = new Map<number, GrantInForce>();
  for (const { id, grant } of rows)
    if (grant)
      grants.set(id, { id: Number(grant.id), purpose: grant.purpose, expiresAt: new Date(grant.expiresAt) });
  return grants;
}
