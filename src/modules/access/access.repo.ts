import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { idNumberIndex, openIdNumber, sealIdNumber } from '../../shared/field-cipher.js';
import type { AppUserTable } from './access.tables.js';

// The only SQL of the access module: accounts, roles, scopes, sessions and API tokens.

export interface UserRow {
  id: number;
  username: string;
  displayName: string;
  passwordHash: string;
  idNumber: string | null;
  totpSecret: string | null;
  totpLastStep: number | null;
  failedAttempts: number;
  lockedUntil: Date | null;
  disabled: boolean;
  passwordMustChange: boolean;
  totpMustRenew: boolean;
  createdBy: string;
  createdAt: Date;
}

export interface ScopeRow {
  fondsCode: string | null;
  regionCode: string | null;
  categoryCode: string | null;
}

const userColumns = [
  'id',
  'username',
  'display_name as displayName',
  'password_hash as passwordHash',
  'id_number as idNumber',
  'totp_secret as totpSecret',
  'totp_last_step as totpLastStep',
  'failed_attempts as failedAttempts',
  'locked_until as lockedUntil',
  'disabled',
  'password_must_change as passwordMustChange',
  'totp_must_renew as totpMustRenew',
  'created_by as createdBy',
  'created_at as createdAt',
] as const;

export async function insertUser(
  db: Db,
  row: Pick<
    AppUserTable,
    'username' | 'display_name' | 'password_hash' | 'id_number' | 'totp_secret' | 'created_by'
  > & { password_must_change?: boolean; totp_must_renew?: boolean },
): Promise<number> {
  const inserted = await db
    .insertInto('app_user')
    .values({ ...row, id_number: sealIdNumber(row.id_number), id_number_index: idNumberIndex(row.id_number) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

const openUser = <T extends { idNumber: string | null } | undefined>(user: T): T =>
  user && { ...user, idNumber: openIdNumber(user.idNumber) };

export async function findUserByName(db: Db, username: string): Promise<UserRow | undefined> {
  return openUser(
    await db.selectFrom('app_user').select(userColumns).where('username', '=', username).executeTakeFirst(),
  );
}

export async function findUserById(db: Db, id: number): Promise<UserRow | undefined> {
  return openUser(
    await db.selectFrom('app_user').select(userColumns).where('id', '=', id).executeTakeFirst(),
  );
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return (await db.selectFrom('app_user').select(userColumns).orderBy('username').execute()).map(openUser);
}

export async function rolesOf(db: Db, userIds: readonly number[]): Promise<Map<number, string[]>> {
  const roles = new Map<number, string[]>();
  if (userIds.length === 0) return roles;
  const rows = await db
    .selectFrom('user_role')
    .select(['user_id', 'role'])
    .where('user_id', 'in', userIds)
    .orderBy('role')
    .execute();
  for (const row of rows) roles.set(row.user_id, [...(roles.get(row.user_id) ?? []), row.role]);
  return roles;
}

export async function scopesOf(db: Db, userIds: readonly number[]): Promise<Map<number, ScopeRow[]>> {
  const scopes = new Map<number, ScopeRow[]>();
  if (userIds.length === 0) return scopes;
  const rows = await db
    .selectFrom('user_scope')
    .select(['user_id', 'fonds_code', 'region_code', 'category_code'])
    .where('user_id', 'in', userIds)
    .orderBy('id')
    .execute();
  for (const row of rows)
    scopes.set(row.user_id, [
      ...(scopes.get(row.user_id) ?? []),
      { fondsCode: row.fonds_code, regionCode: row.region_code, categoryCode: row.category_code },
    ]);
  return scopes;
}

export async function replaceRoles(db: Db, userId: number, roles: readonly string[]): Promise<void> {
  await db.deleteFrom('user_role').where('user_id', '=', userId).execute();
  if (roles.length > 0)
    await db
      .insertInto('user_role')
      .values(roles.map((role) => ({ user_id: userId, role })))
      .execute();
}

export async function replaceScope(db: Db, userId: number, scope: readonly ScopeRow[]): Promise<void> {
  await db.deleteFrom('user_scope').where('user_id', '=', userId).execute();
  if (scope.length > 0)
    await db
      .insertInto('user_scope')
      .values(
        scope.map((row) => ({
          user_id: userId,
          fonds_code: row.fondsCode,
          region_code: row.regionCode,
          category_code: row.categoryCode,
        })),
      )
      .execute();
}

/** Counts a failed sign-in atomically; locks the account when the count reaches the limit. */
export async function recordFailedSignIn(
  db: Db,
  userId: number,
  limit: number,
  lockUntil: Date,
): Promise<{ failedAttempts: number; lockedUntil: Date | null }> {
  const row = await db
    .updateTable('app_user')
    .set((eb) => ({
      failed_attempts: sql<number>`case when ${eb.ref('failed_attempts')} + 1 >= ${limit} then 0 else ${eb.ref('failed_attempts')} + 1 end`,
      locked_until: sql<Date | null>`case when ${eb.ref('failed_attempts')} + 1 >= ${limit} then ${lockUntil}::timestamptz else ${eb.ref('locked_until')} end`,
    }))
    .where('id', '=', userId)
    .returning(['failed_attempts as failedAttempts', 'locked_until as lockedUntil'])
    .executeTakeFirstOrThrow();
  return row;
}

/**
 * Clears the failure count and, with a TOTP step, claims it: false when another sign-in already used
 * this or a later step (two sign-ins racing with one code), checked in the same statement.
 */
export async function recordSuccessfulSignIn(
  db: Db,
  userId: number,
  totpStep: number | null,
): Promise<boolean> {
  let query = db
    .updateTable('app_user')
    .set({
      failed_attempts: 0,
      locked_until: null,
      ...(totpStep === null ? {} : { totp_last_step: totpStep }),
    })
    .where('id', '=', userId);
  if (totpStep !== null)
    query = query.where((eb) =>
      eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', totpStep)]),
    );
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setUserFields(
  db: Db,
  userId: number,
  fields: {
    disabled?: boolean;
    password_hash?: string;
    totp_secret?: string | null;
    display_name?: string;
    password_changed_at?: Date;
    password_must_change?: boolean;
    totp_must_renew?: boolean;
    totp_last_step?: number | null;
  },
): Promise<void> {
  await db.updateTable('app_user').set(fields).where('id', '=', userId).execute();
}

export async function insertSession(
  db: Db,
  row: {
    tokenHash: Buffer;
    userId: number;
    csrfToken: string;
    createdAt: Date;
    expiresAt: Date;
    clientAddress: string | null;
  },
): Promise<void> {
  await db
    .insertInto('user_session')
    .values({
      token_hash: row.tokenHash,
      user_id: row.userId,
      csrf_token: row.csrfToken,
      // The caller's clock, the same one resolveSession measures idle time with.
      created_at: row.createdAt,
      last_seen_at: row.createdAt,
      expires_at: row.expiresAt,
      client_address: row.clientAddress,
    })
    .execute();
}

export interface SessionRow {
  userId: number;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export function findSession(db: Db, tokenHash: Buffer): Promise<SessionRow | undefined> {
  return db
    .selectFrom('user_session')
    .select([
      'user_id as userId',
      'csrf_token as csrfToken',
      'created_at as createdAt',
      'last_seen_at as lastSeenAt',
      'expires_at as expiresAt',
      'revoked_at as revokedAt',
    ])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function touchSession(db: Db, tokenHash: Buffer, now: Date): Promise<void> {
  await db
    .updateTable('user_session')
    .set({ last_seen_at: now })
    .where('token_hash', '=', tokenHash)
    .execute();
}

export async function revokeSessions(
  db: Db,
  where: { tokenHash: Buffer } | { userId: number; except?: Buffer },
  now: Date,
): Promise<number> {
  const query = db.updateTable('user_session').set({ revoked_at: now }).where('revoked_at', 'is', null);
  let scoped =
    'tokenHash' in where
      ? query.where('token_hash', '=', where.tokenHash)
      : query.where('user_id', '=', where.userId);
  // A password changed in a session keeps that session and ends every other one.
  if ('userId' in where && where.except) scoped = scoped.where('token_hash', '<>', where.except);
  const result = await scoped.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertApiToken(
  db: Db,
  row: {
    id: string;
    userId: number;
    name: string;
    secretHash: Buffer;
    permissions: string[];
    createdBy: string;
    expiresAt: Date;
  },
): Promise<void> {
  await db
    .insertInto('api_token')
    .values({
      id: row.id,
      user_id: row.userId,
      name: row.name,
      secret_hash: row.secretHash,
      permissions: row.permissions,
      created_by: row.createdBy,
      expires_at: row.expiresAt,
    })
    .execute();
}

export interface ApiTokenRow {
  id: string;
  userId: number;
  name: string;
  secretHash: Buffer;
  permissions: string[];
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const tokenColumns = [
  'id',
  'user_id as userId',
  'name',
  'secret_hash as secretHash',
  'permissions',
  'created_at as createdAt',
  'expires_at as expiresAt',
  'last_used_at as lastUsedAt',
  'revoked_at as revokedAt',
] as const;

export function findApiToken(db: Db, id: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_token').select(tokenColumns).where('id', '=', id).executeTakeFirst();
}

export function listApiTokens(db: Db, userId: number): Promise<ApiTokenRow[]> {
  return db
    .selectFrom('api_token')
    .select(tokenColumns)
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
}

export async function touchApiToken(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('api_token').set({ last_used_at: now }).where('id', '=', id).execute();
}

export async function revokeApiToken(db: Db, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('api_token')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('app_user')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Ends every API token of an account (when it is disabled); returns the ids ended, for their events. */
export async function revokeUserTokens(db: Db, userId: number, now: Date): Promise<string[]> {
  const rows = await db
    .updateTable('api_token')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

/** How many enabled accounts hold a role (so the last holder of an administrative role is kept). */
export async function countEnabledWithRole(db: Db, role: string): Promise<number> {
  const row = await db
    .selectFrom('user_role')
    .innerJoin('app_user', 'app_user.id', 'user_role.user_id')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('user_role.role', '=', role)
    .where('app_user.disabled', '=', false)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
