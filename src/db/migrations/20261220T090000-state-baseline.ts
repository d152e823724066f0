import { type Kysely, sql } from 'kysely';
import { appendEvents } from '../../modules/integrity/event-log.js';
import type { Db } from '../db.js';

// 状态基线: from this version every change to an account (roles, scope, disabled, password, second
// factor, bound ID number), an API token, an access request and a 档号 counter is an event carrying
// the digest of the record's new state, and `verify` compares each record with its latest digest.
// Records made before have no such event, so this migration appends one "state.baseline" event per
// existing record with the digest of its state as found now. Honestly stated: the baseline vouches
// for these records from this moment on; a change made behind the system's back before the upgrade is
// not detected by it (the older events of these records are kept and can still be read).
//
// The states are computed here with this migration's own queries and shapes, frozen as they were
// when it was written (src/modules/access/state.repo.ts and sequenceState in catalog/item.repo.ts
// must agree with them at this version); only the log's own append is shared, since the baseline must
// join the log exactly as any other event does.

const ACTOR = 'system';
const CHUNK = 2000;

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

function scopeSorted(rows: Array<{ fonds: string | null; region: string | null; category: string | null }>) {
  return rows
    .map((row) => ({ fonds: row.fonds, region: row.region, category: row.category }))
    .sort((a, b) => {
      const left = JSON.stringify([a.fonds, a.region, a.category]);
      const right = JSON.stringify([b.fonds, b.region, b.category]);
      return left < right ? -1 : left > right ? 1 : 0;
    });
}

async function accountStates(db: Kysely<unknown>): Promise<Array<[string, unknown]>> {
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
     from app_user order by username`.execute(db);
  const roles = await sql<{ user_id: number; role: string }>`select user_id, role from user_role`.execute(db);
  const scopes = await sql<{
    user_id: number;
    fonds: string | null;
    region: string | null;
    category: string | null;
  }>`
    select user_id, fonds_code as fonds, region_code as region, category_code as category from user_scope`.execute(
    db,
  );
  const rolesOf = new Map<number, string[]>();
  for (const row of roles.rows) rolesOf.set(row.user_id, [...(rolesOf.get(row.user_id) ?? []), row.role]);
  const scopeOf = new Map<number, typeof scopes.rows>();
  for (const row of scopes.rows) scopeOf.set(row.user_id, [...(scopeOf.get(row.user_id) ?? []), row]);
  return users.rows.map((user) => [
    `user:${user.username}`,
    {
      id: Number(user.id),
      username: user.username,
      disabled: user.disabled,
      roles: (rolesOf.get(user.id) ?? []).sort(),
      scope: scopeSorted(scopeOf.get(user.id) ?? []),
      idNumber: user.id_number,
      idNumberIndex: user.id_number_index,
      passwordHash: user.password_hash,
      totpSecret: user.totp_secret,
      // Whether the password and the second factor are still the ones an administrator saw.
      passwordMustChange: user.password_must_change,
      totpMustRenew: user.totp_must_renew,
    },
  ]);
}

async function tokenStates(db: Kysely<unknown>): Promise<Array<[string, unknown]>> {
  const rows = await sql<{
    id: string;
    user_id: number;
    secret_hash: Buffer;
    permissions: string[];
    expires_at: Date;
    revoked_at: Date | null;
  }>`select id, user_id, secret_hash, permissions, expires_at, revoked_at from api_token order by id`.execute(
    db,
  );
  return rows.rows.map((row) => [
    `token:${row.id}`,
    {
      id: row.id,
      userId: Number(row.user_id),
      secretHash: Buffer.from(row.secret_hash).toString('hex'),
      permissions: [...row.permissions],
      expiresAt: iso(row.expires_at),
      revokedAt: iso(row.revoked_at),
    },
  ]);
}

async function requestStates(db: Kysely<unknown>): Promise<Array<[string, unknown]>> {
  const requests = await sql<{
    id: number;
    requester_id: number;
    status: string;
    duration_hours: number;
    expires_at: Date | null;
    decided_by: number | null;
    revoked_by: number | null;
  }>`select id, requester_id, status, duration_hours, expires_at, decided_by, revoked_by
     from access_request order by id`.execute(db);
  const items = await sql<{ request_id: number; item_id: number }>`
    select request_id, item_id from access_request_item`.execute(db);
  const itemsOf = new Map<number, number[]>();
  for (const row of items.rows)
    itemsOf.set(row.request_id, [...(itemsOf.get(row.request_id) ?? []), Number(row.item_id)]);
  return requests.rows.map((row) => [
    `access-request:${row.id}`,
    {
      id: Number(row.id),
      requesterId: Number(row.requester_id),
      status: row.status,
      durationHours: Number(row.duration_hours),
      expiresAt: iso(row.expires_at),
      decidedBy: row.decided_by === null ? null : Number(row.decided_by),
      revokedBy: row.revoked_by === null ? null : Number(row.revoked_by),
      items: (itemsOf.get(row.id) ?? []).sort((a, b) => a - b),
    },
  ]);
}

async function sequenceStates(db: Kysely<unknown>): Promise<Array<[string, unknown]>> {
  const rows = await sql<{ fonds_code: string; sequence_key: string; last_number: number }>`
    select fonds_code, sequence_key, last_number from archive_sequence
    order by fonds_code, sequence_key`.execute(db);
  return rows.rows.map((row) => [
    `sequence:${row.fonds_code}:${row.sequence_key}`,
    { fonds: row.fonds_code, key: row.sequence_key, lastNumber: Number(row.last_number) },
  ]);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  // A database without a log has never recorded a change, so it has no records to vouch for either.
  const head = await sql`select 1 from integrity_log where id = 1`.execute(db);
  if (head.rows.length === 0) return;
  const states = [
    ...(await accountStates(db)),
    ...(await tokenStates(db)),
    ...(await requestStates(db)),
    ...(await sequenceStates(db)),
  ];
  const now = new Date();
  for (let start = 0; start < states.length; start += CHUNK)
    await appendEvents(
      db as unknown as Db,
      states.slice(start, start + CHUNK).map(([subject, state]) => ({
        actor: ACTOR,
        action: 'state.baseline',
        subject,
        payload: {},
        state,
      })),
      now,
    );
}

export async function down(): Promise<void> {
  // The log is append-only: baseline events stay, and older code simply does not read them.
}
