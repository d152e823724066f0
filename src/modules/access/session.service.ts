import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import type { EventName, EventPayloads } from '../integrity/event-catalog.js';
import { logEvent, recordEvent } from '../integrity/event-log.js';
import {
  findApiToken,
  findUserByName,
  insertApiToken,
  insertSession,
  listApiTokens,
  recordFailedSignIn,
  recordSuccessfulSignIn,
  revokeApiToken,
  revokeSessions,
  rolesOf,
  touchApiToken,
  touchSession,
} from './access.repo.js';
import { burnPasswordCheck, verifyPassword } from './password.js';
import { loadPrincipal, type Principal, principalOf } from './principal.js';
import { findApiTokenWithUser, findSessionWithUser } from './principal.repo.js';
import { ADMIN_ROLES, isPermission, PERMISSIONS, type Permission } from './roles.js';
import { tokenState, tokenStateSubject } from './state.repo.js';
import { totpStep } from './totp.js';
import { changePassword, userSubject } from './user.service.js';

// Signing in (登录), sessions for the browser and API tokens (接口令牌) for business systems.
// Tokens are random, shown once and stored as SHA-256 hashes; every sign-in, failure, lockout and
// logout is an event in the log.

export const MAX_FAILED_ATTEMPTS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;
/** A session ends after 30 idle minutes, and after 12 hours whatever happens. */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;
const TOKEN_MAX_DAYS = 366;

const sha256 = (value: string) => crypto.createHash('sha256').update(value, 'utf8').digest();
const randomToken = (bytes = 32) => crypto.randomBytes(bytes).toString('base64url');

/**
 * One answer for every refused sign-in — unknown name, wrong password or code, disabled or locked
 * account — so it never tells whether an account exists; the lockout is stated for all alike.
 */
export const SIGN_IN_FAILED_MESSAGE = `用户名、口令或动态口令错误；连续错误 ${MAX_FAILED_ATTEMPTS} 次的账户将锁定 ${LOCKOUT_MS / 60000} 分钟`;
const badCredentials = () => new YidangError('SIGN_IN_FAILED', 'unauthorized', SIGN_IN_FAILED_MESSAGE);

export interface SignInInput {
  username: string;
  password: string;
  totp?: string;
  clientAddress?: string;
}

export interface SignedIn {
  sessionToken: string;
  csrfToken: string;
  expiresAt: Date;
  principal: Principal;
}

/** An event that must survive the refusal it explains, so it commits on its own. */
async function logAlone<Name extends EventName>(
  db: Db,
  actor: string,
  action: Name,
  subject: string,
  payload: EventPayloads[Name],
) {
  await logEvent(db, { actor, action, subject, payload });
}

/** Counts a failed attempt with its event, locks the account at the limit, and refuses. */
async function failSignIn(
  db: Db,
  userId: number,
  username: string,
  reason: string,
  address: string | null,
  now: Date,
): Promise<never> {
  await inTransaction(db, async (trx) => {
    const result = await recordFailedSignIn(
      trx,
      userId,
      MAX_FAILED_ATTEMPTS,
      new Date(now.getTime() + LOCKOUT_MS),
    );
    recordEvent(trx, {
      actor: username,
      action: 'auth.failed',
      subject: userSubject(username),
      payload: { reason, address },
    });
    if (result.lockedUntil && result.lockedUntil > now)
      recordEvent(trx, {
        actor: 'system:access',
        action: 'auth.locked',
        subject: userSubject(username),
        payload: { until: result.lockedUntil.toISOString(), attempts: MAX_FAILED_ATTEMPTS, address },
      });
  });
  throw badCredentials();
}

export async function signIn(db: Db, input: SignInInput, now: Date = new Date()): Promise<SignedIn> {
  const username = input.username.trim().toLowerCase().slice(0, 64);
  const address = input.clientAddress ?? null;
  const user = await findUserByName(db, username);
  if (!user || user.disabled) {
    await burnPasswordCheck(input.password);
    await logAlone(db, username || 'anonymous', 'auth.failed', userSubject(username), {
      reason: user ? 'disabled' : 'unknown_user',
      address,
    });
    throw badCredentials();
  }
  if (user.lockedUntil && user.lockedUntil > now) {
    // The same work and the same answer as a wrong password: a lock must not reveal the account.
    await verifyPassword(input.password, user.passwordHash);
    await logAlone(db, username, 'auth.refused_locked', userSubject(username), { address });
    throw badCredentials();
  }
  const passwordOk = await verifyPassword(input.password, user.passwordHash);
  const roles = (await rolesOf(db, [user.id])).get(user.id) ?? [];
  const needsTotp = user.totpSecret !== null || roles.some((role) => ADMIN_ROLES.includes(role as never));
  let step: number | null = null;
  let reason: string | undefined = passwordOk ? undefined : 'password';
  if (passwordOk && needsTotp) {
    if (!input.totp) {
      // Asking for the code is not a failed attempt; the password was right.
      throw new YidangError('TOTP_REQUIRED', 'unauthorized', '请输入动态口令（身份验证器中的 6 位数字）');
    }
    step = user.totpSecret ? (totpStep(user.totpSecret, input.totp.trim(), now.getTime()) ?? null) : null;
    if (step === null || (user.totpLastStep !== null && step <= user.totpLastStep)) reason = 'totp';
  }
  if (reason) await failSignIn(db, user.id, username, reason, address, now);
  const sessionToken = randomToken();
  const csrfToken = randomToken(24);
  const expiresAt = new Date(now.getTime() + SESSION_MAX_MS);
  const claimed = await inTransaction(db, async (trx) => {
    if (!(await recordSuccessfulSignIn(trx, user.id, step))) return false;
    await insertSession(trx, {
      tokenHash: sha256(sessionToken),
      userId: user.id,
      csrfToken,
      createdAt: now,
      expiresAt,
      clientAddress: address,
    });
    recordEvent(trx, {
      actor: username,
      action: 'auth.login',
      subject: userSubject(username),
      payload: { address, totp: step !== null },
    });
    return true;
  });
  // Another sign-in used this code first: a replay, counted like any wrong code.
  if (!claimed) await failSignIn(db, user.id, username, 'totp', address, now);
  const principal = (await loadPrincipal(db, user.id, 'session')) as Principal;
  return { sessionToken, csrfToken, expiresAt, principal };
}

/** The session's user and CSRF token, or undefined when it is unknown, revoked, idle or too old. */
export async function resolveSession(
  db: Db,
  sessionToken: string,
  now: Date = new Date(),
): Promise<{ principal: Principal; csrfToken: string } | undefined> {
  const hash = sha256(sessionToken);
  // The session, its account, roles and resolved scope in one statement.
  const found = await findSessionWithUser(db, hash);
  if (!found || found.session.revokedAt) return undefined;
  const { session, user } = found;
  if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > SESSION_IDLE_MS)
    return undefined;
  const principal = user ? principalOf(user, 'session') : undefined;
  if (!principal) return undefined;
  // Touching at most once a minute keeps a busy page from writing on every request.
  if (now.getTime() - session.lastSeenAt.getTime() > 60_000) await touchSession(db, hash, now);
  return { principal, csrfToken: session.csrfToken };
}

export async function signOut(
  db: Db,
  sessionToken: string,
  principal: Principal,
  now: Date = new Date(),
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await revokeSessions(trx, { tokenHash: sha256(sessionToken) }, now);
    recordEvent(trx, {
      actor: principal.username,
      action: 'auth.logout',
      subject: userSubject(principal.username),
      payload: {},
    });
  });
}

/**
 * The owner changes their own password in their session: the current one proves it is them (a wrong
 * one counts towards the lockout like a failed sign-in), this session stays open and every other
 * one ends. A password someone else set is no longer in force afterwards.
 */
export async function changeOwnPassword(
  db: Db,
  sessionToken: string,
  principal: Principal,
  passwords: { current: string; next: string },
  now: Date = new Date(),
): Promise<void> {
  const user = await findUserByName(db, principal.username);
  if (!user) throw notFound('USER_NOT_FOUND', '账户不存在');
  if (user.lockedUntil && user.lockedUntil > now)
    throw invalid('PASSWORD_CHANGE_LOCKED', '当前口令连续输错，账户已暂时锁定，请稍后再试');
  if (!(await verifyPassword(passwords.current, user.passwordHash))) {
    await failSignIn(db, user.id, user.username, 'password_change', null, now).catch(() => undefined);
    throw invalid('PASSWORD_WRONG', '当前口令不正确');
  }
  if (passwords.next === passwords.current) throw invalid('PASSWORD_UNCHANGED', '新口令不能与当前口令相同');
  await changePassword(db, user.username, passwords.next, user.username, {
    byOwner: true,
    keepSession: sha256(sessionToken),
  });
}

export interface NewApiToken {
  username: string;
  name: string;
  permissions: string[];
  days: number;
}

/**
 * An API token for a business system, limited to some of its account's permissions. The token is
 * `ydt_<id>_<secret>`; only the hash of the secret is kept, so it is shown this once.
 */
export async function createApiToken(
  db: Db,
  input: NewApiToken,
  actor: string,
  options: { now?: Date; callerPermissions?: ReadonlySet<Permission> } = {},
): Promise<{ token: string; id: string; expiresAt: Date; permissions: Permission[] }> {
  const now = options.now ?? new Date();
  const user = await findUserByName(db, input.username.trim().toLowerCase());
  if (!user) throw notFound('USER_NOT_FOUND', `用户“${input.username.slice(0, 64)}”不存在`);
  const principal = await loadPrincipal(db, user.id, 'token');
  if (!principal) throw invalid('USER_DISABLED', '账户已停用，不能创建令牌');
  const unknown = input.permissions.filter((permission) => !isPermission(permission));
  if (unknown.length > 0)
    throw invalid('PERMISSION_UNKNOWN', `未知权限：${unknown.join('、').slice(0, 100)}`);
  const permissions = [...new Set(input.permissions)] as Permission[];
  if (permissions.length === 0) throw invalid('PERMISSION_REQUIRED', '令牌至少要有一项权限');
  // A token never carries more than its account's roles, nor more than the token or session asking for it.
  const beyond = permissions.filter(
    (permission) =>
      !principal.permissions.has(permission) ||
      (options.callerPermissions && !options.callerPermissions.has(permission)),
  );
  if (beyond.length > 0)
    throw invalid(
      'PERMISSION_BEYOND_ROLE',
      `账户的角色没有这些权限：${beyond.map((p) => PERMISSIONS[p]).join('、')}`,
    );
  if (!Number.isInteger(input.days) || input.days < 1 || input.days > TOKEN_MAX_DAYS)
    throw invalid('TOKEN_DAYS_INVALID', `有效期应为 1–${TOKEN_MAX_DAYS} 天`);
  const name = input.name.trim().slice(0, 100);
  if (!name) throw invalid('TOKEN_NAME_REQUIRED', '请为令牌命名（例如调用它的业务系统）');
  const id = crypto.randomBytes(8).toString('hex');
  const secret = randomToken();
  const expiresAt = new Date(now.getTime() + input.days * 24 * 60 * 60 * 1000);
  await inTransaction(db, async (trx) => {
    await insertApiToken(trx, {
      id,
      userId: user.id,
      name,
      secretHash: sha256(secret),
      permissions,
      createdBy: actor,
      expiresAt,
    });
    recordEvent(trx, {
      actor,
      action: 'token.created',
      subject: userSubject(user.username),
      // The state is the token's (stateOf), though the event is filed under its account.
      payload: {
        tokenId: id,
        name,
        permissions,
        expiresAt: expiresAt.toISOString(),
        stateOf: tokenStateSubject(id),
      },
      state: await tokenState(trx, id),
    });
  });
  return { token: `ydt_${id}_${secret}`, id, expiresAt, permissions };
}

export async function resolveApiToken(
  db: Db,
  token: string,
  now: Date = new Date(),
): Promise<Principal | undefined> {
  const match = /^ydt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  const found = await findApiTokenWithUser(db, match[1] as string);
  if (!found) return undefined;
  const { token: row, user } = found;
  if (row.revokedAt || row.expiresAt <= now) return undefined;
  if (!crypto.timingSafeEqual(sha256(match[2] as string), row.secretHash)) return undefined;
  const principal = user ? principalOf(user, 'token', row.permissions) : undefined;
  if (!principal) return undefined;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000)
    await touchApiToken(db, row.id, now);
  return { ...principal, tokenId: row.id };
}

export async function revokeToken(db: Db, id: string, actor: string, now: Date = new Date()): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = await findApiToken(trx, id);
    if (!row || !(await revokeApiToken(trx, id, now)))
      throw notFound('TOKEN_NOT_FOUND', `令牌 ${id.slice(0, 16)} 不存在或已撤销`);
    recordEvent(trx, {
      actor,
      action: 'token.revoked',
      subject: tokenStateSubject(id),
      payload: {},
      state: await tokenState(trx, id),
    });
  });
}

export async function tokensOf(db: Db, username: string) {
  const user = await findUserByName(db, username.trim().toLowerCase());
  if (!user) throw notFound('USER_NOT_FOUND', `用户“${username.slice(0, 64)}”不存在`);
  return (await listApiTokens(db, user.id)).map(({ secretHash: _secret, userId: _user, ...token }) => token);
}
