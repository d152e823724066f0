import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { openIdNumber } from '../../shared/field-cipher.js';
import { categoryBranchSql } from '../catalog/catalog.queries.js';
import type { ApiTokenRow, ScopeRow, SessionRow } from './access.repo.js';

// Who is asking, in one statement per request: the session (or API token), its account, the
// account's roles and its scope with each category resolved to the ids of its branch. Every request
// behind the access layer starts here, so it reads everything at once, as it stands at that moment
// (nothing is kept between requests: a disabled account or a changed scope counts from the next one).

/** An account as a request acts for it. */
export interface PrincipalUserRow {
  id: number;
  username: string;
  displayName: string;
  idNumber: string | null;
  disabled: boolean;
  passwordMustChange: boolean;
  totpMustRenew: boolean;
  /** Whether a second factor is enrolled (the secret itself is not read). */
  totpEnrolled: boolean;
  roles: string[];
  /** The scope rows, each with its category's branch (null: any category). */
  scope: Array<ScopeRow & { categoryIds: number[] | null }>;
}

interface Joined {
  user_id: number | null;
  username: string | null;
  display_name: string;
  id_number: string | null;
  disabled: boolean;
  password_must_change: boolean;
  totp_must_renew: boolean;
  totp_enrolled: boolean;
  roles: string[] | null;
  scope: Array<ScopeRow & { categoryIds: number[] | null }> | null;
}

/** The account columns over `app_user u`, with its roles and resolved scope as subqueries. */
const accountColumns = sql`u.id as user_id, u.username, u.display_name, u.id_number, u.disabled,
  u.password_must_change, u.totp_must_renew, u.totp_secret is not null as totp_enrolled,
  array(select r.role from user_role r where r.user_id = u.id order by r.role) as roles,
  (select coalesce(json_agg(json_build_object(
      'fondsCode', s.fonds_code, 'regionCode', s.region_code, 'categoryCode', s.category_code,
      'categoryIds', case when s.category_code is null then null
        else ${categoryBranchSql(sql`s.category_code`)} end) order by s.id), '[]'::json)
    from user_scope s where s.user_id = u.id) as scope`;

function userOf(row: Joined): PrincipalUserRow | null {
  if (row.user_id === null || row.username === null) return null;
  return {
    id: Number(row.user_id),
    username: row.username,
    displayName: row.display_name,
    idNumber: openIdNumber(row.id_number),
    disabled: row.disabled,
    passwordMustChange: row.password_must_change,
    totpMustRenew: row.totp_must_renew,
    totpEnrolled: row.totp_enrolled,
    roles: row.roles ?? [],
    scope: (row.scope ?? []).map((entry) => ({
      fondsCode: entry.fondsCode,
      regionCode: entry.regionCode,
      categoryCode: entry.categoryCode,
      categoryIds: entry.categoryIds === null ? null : entry.categoryIds.map(Number),
    })),
  };
}

async function one<T>(db: Db, query: RawBuilder<T>): Promise<T | undefined> {
  return (await query.execute(db)).rows[0];
}

/** An account by id, with its roles and resolved scope. */
export async function findPrincipalUser(db: Db, userId: number): Promise<PrincipalUserRow | undefined> {
  const row = await one(db, sql<Joined>`select ${accountColumns} from app_user u where u.id = ${userId}`);
  return row ? (userOf(row) ?? undefined) : undefined;
}

/** An account by user name, with its roles and resolved scope (a borrower named in a loan). */
export async function findPrincipalUserByName(
  db: Db,
  username: string,
): Promise<PrincipalUserRow | undefined> {
  const row = await one(
    db,
    sql<Joined>`select ${accountColumns} from app_user u where u.username = ${username}`,
  );
  return row ? (userOf(row) ?? undefined) : undefined;
}

/** A session by its token's hash, with its account (null when the account is gone). */
export async function findSessionWithUser(
  db: Db,
  tokenHash: Buffer,
): Promise<{ session: SessionRow; user: PrincipalUserRow | null } | undefined> {
  const row = await one(
    db,
    sql<
      Joined & {
        session_user: number;
        csrf_token: string;
        created_at: Date;
        last_seen_at: Date;
        expires_at: Date;
        revoked_at: Date | null;
      }
    >`
      select t.user_id as session_user, t.csrf_token, t.created_at, t.last_seen_at, t.expires_at,
        t.revoked_at, ${accountColumns}
      from user_session t left join app_user u on u.id = t.user_id
      where t.token_hash = ${tokenHash}`,
  );
  if (!row) return undefined;
  return {
    session: {
      userId: Number(row.session_user),
      csrfToken: row.csrf_token,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
    },
    user: userOf(row),
  };
}

/** An API token by id, with its account (null when the account is gone). */
export async function findApiTokenWithUser(
  db: Db,
  id: string,
): Promise<{ token: ApiTokenRow; user: PrincipalUserRow | null } | undefined> {
  const row = await one(
    db,
    sql<
      Joined & {
        token_id: string;
        token_user: number;
        name: string;
        secret_hash: Buffer;
        permissions: string[];
        created_at: Date;
        expires_at: Date;
        last_used_at: Date | null;
        revoked_at: Date | null;
      }
    >`
      select t.id as token_id, t.user_id as token_user, t.name, t.secret_hash, t.permissions,
        t.created_at, t.expires_at, t.last_used_at, t.revoked_at, ${accountColumns}
      from api_token t left join app_user u on u.id = t.user_id
      where t.id = ${id}`,
  );
  if (!row) return undefined;
  return {
    token: {
      id: row.token_id,
      userId: Number(row.token_user),
      name: row.name,
      secretHash: row.secret_hash,
      permissions: row.permissions,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      lastUsedAt: row.last_used_at,
      revokedAt: row.revoked_at,
    },
    user: userOf(row),
  };
}

/** An account as a person whose record it looked at is told of it: its roles and the fonds of its scope. */
export interface ActorProfile {
  displayName: string;
  roles: string[];
  /** The fonds codes of its scope; null in the list: a scope row over every fonds. */
  fonds: Array<string | null>;
}

/** The profiles of these accounts (absent: no such account), in one statement. */
export async function actorProfiles(
  db: Db,
  usernames: readonly string[],
): Promise<Map<string, ActorProfile>> {
  if (usernames.length === 0) return new Map();
  const result = await sql<{
    username: string;
    display_name: string;
    roles: string[];
    fonds: Array<string | null>;
  }>`
    select u.username, u.display_name,
      array(select r.role from user_role r where r.user_id = u.id order by r.role) as roles,
      array(select distinct s.fonds_code from user_scope s where s.user_id = u.id) as fonds
    from app_user u where u.username in (${sql.join([...new Set(usernames)])})`.execute(db);
  return new Map(
    result.rows.map((row) => [
      row.username,
      { displayName: row.display_name, roles: row.roles ?? [], fonds: row.fonds ?? [] },
    ]),
  );
}
