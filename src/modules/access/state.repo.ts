import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

// What the event log fingerprints of the records that decide who sees what: an account with its
// roles, scope, second factor, password hash and bound ID number; an API token; an access request
// (a grant once approved). Every change appends an event carrying the digest of the state read back
// here, and `verify` recomputes the same states for every row in one query per table.
// The shapes are raw stored values (sealed ID numbers stay sealed), so no key is needed to check them.

export const userStateSubject = (username: string) => `user:${username}`;
export const tokenStateSubject = (id: string) => `token:${id}`;
export const requestStateSubject = (id: number) => `access-request:${id}`;

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();
const hex = (value: Buffer | Uint8Array | null): string | null =>
  value === null ? null : Buffer.from(value).toString('hex');

/** Scope rows sorted by their content: replacing a scope renumbers its rows without changing it. */
function sortedScope(rows: Array<{ fonds: string | null; region: string | null; category: string | null }>) {
  return rows
    .map((row) => ({ fonds: row.fonds, region: row.region, category: row.category }))
    .sort((a, b) => {
      const left = JSON.stringify([a.fonds, a.region, a.category]);
      const right = JSON.stringify([b.fonds, b.region, b.category]);
      return left < right ? -1 : left > right ? 1 : 0;
    });
}

/** Accounts' states by subject (user:<name>); every account, or only these ids. */
export async function userStates(db: Db, ids?: readonly number[]): Promise<Map<string, unknown>> {
  const states = new Map<string, unknown>();
  if (ids && ids.length === 0) return states;
  const only = (column: string) => (ids ? sql`where ${sql.ref(column)} in (${sql.join(ids)})` : sql``);
  const users = await sql<{
    id: number;
    username: string;
    disabled: boolean;
    id_number: string | null;
    id_number_index: string | null;
    password_hash: string;
    totp_secret: string | null;
    password_must_change: boolean;
    totp_must_renew: boolean;
  }>`select id, username, disabled, id_number, id_number_index, password_hash, totp_secret,
            password_must_change, totp_must_renew
     from app_user ${only('id')}`.execute(db);
  const roles = await sql<{ user_id: number; role: string }>`
    select user_id, role from user_role ${only('user_id')}`.execute(db);
  const scopes = await sql<{
    user_id: number;
    fonds: string | null;
    region: string | null;
    category: string | null;
  }>`select user_id, fonds_code as fonds, region_code as region, category_code as category
     from user_scope ${only('user_id')}`.execute(db);
  const rolesOf = new Map<number, string[]>();
  for (const row of roles.rows) rolesOf.set(row.user_id, [...(rolesOf.get(row.user_id) ?? []), row.role]);
  const scopeOf = new Map<number, typeof scopes.rows>();
  for (const row of scopes.rows) scopeOf.set(row.user_id, [...(scopeOf.get(row.user_id) ?? []), row]);
  for (const user of users.rows)
    states.set(userStateSubject(user.username), {
      id: Number(user.id),
      username: user.username,
      disabled: user.disabled,
      roles: (rolesOf.get(user.id) ?? []).sort(),
      scope: sortedScope(scopeOf.get(user.id) ?? []),
      idNumber: user.id_number,
      idNumberIndex: user.id_number_index,
      passwordHash: user.password_hash,
      totpSecret: user.totp_secret,
      // Whether the password and the second factor are still the ones an administrator saw.
      passwordMustChange: user.password_must_change,
      totpMustRenew: user.totp_must_renew,
    });
  return states;
}

/** One account's state, read back inside the transaction that changed it. */
export async function userState(db: Db, userId: number): Promise<unknown> {
  const [state] = (await userStates(db, [userId])).values();
  if (state === undefined) throw new Error(`account ${userId} vanished within its own change`);
  return state;
}

/** API tokens' states by subject (token:<id>): whose, what they may do, until when, whether revoked. */
export async function tokenStates(db: Db, ids?: readonly string[]): Promise<Map<string, unknown>> {
  const states = new Map<string, unknown>();
  if (ids && ids.length === 0) return states;
  const rows = await sql<{
    id: string;
    user_id: number;
    secret_hash: Buffer;
    permissions: string[];
    expires_at: Date;
    revoked_at: Date | null;
  }>`select id, user_id, secret_hash, permissions, expires_at, revoked_at from api_token
     ${ids ? sql`where id in (${sql.join(ids)})` : sql``}`.execute(db);
  for (const row of rows.rows)
    states.set(tokenStateSubject(row.id), {
      id: row.id,
      userId: Number(row.user_id),
      secretHash: hex(row.secret_hash),
      permissions: [...row.permissions],
      expiresAt: iso(row.expires_at),
      revokedAt: iso(row.revoked_at),
    });
  return states;
}

/** Access requests' states by subject (access-request:<id>): who may read which items until when. */
export async function requestStates(db: Db, ids?: readonly number[]): Promise<Map<string, unknown>> {
  const states = new Map<string, unknown>();
  if (ids && ids.length === 0) return states;
  const only = (column: string) => (ids ? sql`where ${sql.ref(column)} in (${sql.join(ids)})` : sql``);
  const requests = await sql<{
    id: number;
    requester_id: number;
    status: string;
    duration_hours: number;
    expires_at: Date | null;
    decided_by: number | null;
    revoked_by: number | null;
  }>`select id, requester_id, status, duration_hours, expires_at, decided_by, revoked_by
     from access_request ${only('id')}`.execute(db);
  const items = await sql<{ request_id: number; item_id: number }>`
    select request_id, item_id from access_request_item ${only('request_id')}`.execute(db);
  const itemsOf = new Map<number, number[]>();
  for (const row of items.rows)
    itemsOf.set(row.request_id, [...(itemsOf.get(row.request_id) ?? []), Number(row.item_id)]);
  for (const row of requests.rows)
    states.set(requestStateSubject(row.id), {
      id: Number(row.id),
      requesterId: Number(row.requester_id),
      status: row.status,
      durationHours: Number(row.duration_hours),
      expiresAt: iso(row.expires_at),
      decidedBy: row.decided_by === null ? null : Number(row.decided_by),
      revokedBy: row.revoked_by === null ? null : Number(row.revoked_by),
      items: (itemsOf.get(row.id) ?? []).sort((a, b) => a - b),
    });
  return states;
}

export async function requestState(db: Db, id: number): Promise<unknown> {
  const [state] = (await requestStates(db, [id])).values();
  if (state === undefined) throw new Error(`access request ${id} vanished within its own change`);
  return state;
}

export async function tokenState(db: Db, id: string): Promise<unknown> {
  const [state] = (await tokenStates(db, [id])).values();
  if (state === undefined) throw new Error(`token ${id} vanished within its own change`);
  return state;
}
