import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { SystemContext } from '../../shared/access-context.js';
import { conflict, invalid, notFound, ValidationError, YidangError } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { listCategories, listFonds } from '../catalog/catalog.queries.js';
import { checkIdNumber } from '../catalog/id-number.js';
import { recordEvent, recordEvents } from '../integrity/event-log.js';
import {
  countEnabledWithRole,
  countUsers,
  findUserByName,
  insertUser,
  listUsers,
  replaceRoles,
  replaceScope,
  revokeSessions,
  revokeUserTokens,
  rolesOf,
  type ScopeRow,
  scopesOf,
  setUserFields,
  type UserRow,
} from './access.repo.js';
import { checkPasswordPolicy, hashPassword } from './password.js';
import { ADMIN_ROLES, checkRoles, ROLES, type Role } from './roles.js';
import type { Principal } from './principal.js';
import { checkGrantWithin } from './scope-grant.js';
import { tokenStates, userState } from './state.repo.js';
import { newTotpSecret, totpStep, totpUri } from './totp.js';

// Accounts (账户): created on the server by `yidang user add` (the first administrator) or by the
// system administrator; roles and scope are changed by the security administrator.

export interface UserView {
  username: string;
  displayName: string;
  roles: string[];
  scope: ScopeRow[];
  totpEnabled: boolean;
  disabled: boolean;
  locked: boolean;
  /** The password was set by someone else and its owner has not changed it yet. */
  mustChangePassword: boolean;
  createdBy: string;
  createdAt: string;
}

export interface NewUser {
  username: string;
  displayName?: string;
  password: string;
  roles: string[];
  scope?: ScopeRow[];
  /** For the 参保人 role. */
  idNumber?: string;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;

export const userSubject = (username: string) => `user:${username}`;

/** Scope rows must name fonds, regions and categories that exist, so a typo does not grant nothing silently. */
async function checkScope(db: Db, scope: readonly ScopeRow[]): Promise<ScopeRow[]> {
  const fonds = new Set((await listFonds(db)).map((row) => row.code));
  const categories = new Set((await listCategories(db)).map((row) => row.code));
  const issues = scope.flatMap((row, index) => {
    const found = [];
    if (row.fondsCode !== null && !fonds.has(row.fondsCode))
      found.push({ field: `scope[${index}].fonds`, message: `全宗“${row.fondsCode.slice(0, 8)}”不存在` });
    if (row.categoryCode !== null && !categories.has(row.categoryCode))
      found.push({
        field: `scope[${index}].category`,
        message: `类别“${row.categoryCode.slice(0, 16)}”不存在`,
      });
    if (row.regionCode !== null && !/^\d{6}$/.test(row.regionCode))
      found.push({ field: `scope[${index}].region`, message: '统筹区应为 6 位行政区划代码' });
    return found;
  });
  if (issues.length > 0) throw new ValidationError(issues);
  return scope.map((row) => ({ ...row }));
}

/** Parses `fonds/region/category` with `*` for any part, as the CLI takes it: J013/320115/*. */
export function parseScope(text: string): ScopeRow {
  const parts = text.split('/').map((part) => part.trim());
  if (parts.length !== 3)
    throw invalid('SCOPE_INVALID', `范围“${text.slice(0, 40)}”应写成 全宗/统筹区/类别，任意部分可用 *`);
  const [fonds, region, category] = parts.map((part) => (part === '*' || part === '' ? null : part)) as [
    string | null,
    string | null,
    string | null,
  ];
  return { fondsCode: fonds, regionCode: region, categoryCode: category };
}

export async function createUser(
  db: Db,
  input: NewUser,
  actor: string,
): Promise<{ user: UserView; totpSecret: string | null; totpUri: string | null }> {
  const username = input.username.trim().toLowerCase();
  if (!USERNAME.test(username))
    throw invalid('USERNAME_INVALID', '用户名为 2–64 位小写字母、数字、点、下划线或连字符，以字母或数字开头');
  // The username is the actor of every event the account causes: an ID number as a name would put
  // it in the log in the clear (a 参保人 often signs in by it elsewhere).
  refuseIdNumberInText('用户名', username, '用户名会写入审计日志，请勿使用身份证号（可用姓名拼音或编号）');
  const roles = checkRoles(input.roles);
  checkPasswordPolicy(input.password, username);
  let idNumber: string | null = null;
  if (roles.includes('insured')) {
    if (!input.idNumber) throw invalid('ID_NUMBER_REQUIRED', '参保人账户须登记本人身份证号');
    idNumber = input.idNumber.trim().toUpperCase();
    const problem = checkIdNumber(idNumber);
    if (problem) throw invalid('ID_NUMBER_INVALID', `身份证号无效：${problem}`);
  }
  // Administrative accounts always sign in with a second factor; the secret is shown once, here, to
  // whoever creates the account, so its owner replaces it after changing the password.
  const totpSecret = roles.some((role) => ADMIN_ROLES.includes(role)) ? newTotpSecret() : null;
  const passwordHash = await hashPassword(input.password);
  return inTransaction(db, async (trx) => {
    if (await findUserByName(trx, username)) throw conflict('USER_EXISTS', `用户名“${username}”已存在`);
    const scope = await checkScope(trx, input.scope ?? []);
    const userId = await insertUser(trx, {
      username,
      display_name: (input.displayName?.trim() || username).slice(0, 100),
      password_hash: passwordHash,
      id_number: idNumber,
      totp_secret: totpSecret,
      created_by: actor,
      // Whoever creates an account chose its password: the owner changes it at the first sign-in.
      password_must_change: true,
      totp_must_renew: totpSecret !== null,
    }).catch((error: { code?: string }) => {
      // Two creations racing past the check above: the unique index decides, the loser is told plainly.
      if (error.code === '23505') throw conflict('USER_EXISTS', `用户名“${username}”已存在`);
      throw error;
    });
    await replaceRoles(trx, userId, roles);
    await replaceScope(trx, userId, scope);
    recordEvent(trx, {
      actor,
      action: 'user.created',
      subject: userSubject(username),
      payload: { roles, scope, totp: totpSecret !== null },
      state: await userState(trx, userId),
    });
    const user = (await viewUsers(trx, [(await findUserByName(trx, username)) as UserRow]))[0] as UserView;
    return { user, totpSecret, totpUri: totpSecret ? totpUri(totpSecret, username) : null };
  });
}

async function viewUsers(db: Db, users: UserRow[], now = new Date()): Promise<UserView[]> {
  const ids = users.map((user) => user.id);
  const [roles, scopes] = await Promise.all([rolesOf(db, ids), scopesOf(db, ids)]);
  return users.map((user) => ({
    username: user.username,
    displayName: user.displayName,
    roles: roles.get(user.id) ?? [],
    scope: scopes.get(user.id) ?? [],
    totpEnabled: user.totpSecret !== null,
    disabled: user.disabled,
    locked: user.lockedUntil !== null && user.lockedUntil > now,
    mustChangePassword: user.passwordMustChange,
    createdBy: user.createdBy,
    createdAt: user.createdAt.toISOString(),
  }));
}

export async function listUserViews(db: Db): Promise<UserView[]> {
  return viewUsers(db, await listUsers(db));
}

async function requireUser(db: Db, username: string): Promise<UserRow> {
  const user = await findUserByName(db, username.trim().toLowerCase());
  if (!user) throw notFound('USER_NOT_FOUND', `用户“${username.slice(0, 64)}”不存在`);
  return user;
}

/**
 * Sets an account's roles and scope. Business roles are the security administrator's to grant; the
 * administrative roles are assigned only on the server (`yidang user`), never through the API.
 */
export async function setAccess(
  db: Db,
  username: string,
  access: { roles: string[]; scope: ScopeRow[] },
  actor: string,
  options: {
    allowAdminRoles?: boolean;
    /**
     * Who grants: an administrator grants only inside their own scope (the grant and the account's
     * current scope must lie in it); the server's shell (`yidang user access`) names itself as the
     * system and may grant anything. Required: no caller grants without saying which it is.
     */
    granter: Pick<Principal, 'scope'> | SystemContext;
    /** Told the TOTP secret made for an account that just received an administrative role. */
    onNewTotpSecret?: (secret: string, uri: string) => void;
  },
): Promise<UserView> {
  const roles = checkRoles(access.roles);
  return inTransaction(db, async (trx) => {
    const user = await requireUser(trx, username);
    const before = (await rolesOf(trx, [user.id])).get(user.id) ?? [];
    const touchesAdmin = [...roles, ...before].some((role) => ADMIN_ROLES.includes(role as Role));
    if (touchesAdmin && !options.allowAdminRoles)
      throw invalid('ADMIN_ROLE_SERVER_ONLY', '三员角色只能在服务器上用 yidang user 命令分配或撤销');
    const scope = await checkScope(trx, access.scope);
    const granter = options.granter;
    if (!('kind' in granter))
      await checkGrantWithin(trx, granter.scope, {
        next: scope,
        current: (await scopesOf(trx, [user.id])).get(user.id) ?? [],
        username: user.username,
      });
    await replaceRoles(trx, user.id, roles);
    await replaceScope(trx, user.id, scope);
    if (roles.some((role) => ADMIN_ROLES.includes(role)) && !user.totpSecret) {
      const secret = newTotpSecret();
      // Shown to whoever ran the command: the owner enrols their own after the first sign-in.
      await setUserFields(trx, user.id, { totp_secret: secret, totp_must_renew: true });
      options.onNewTotpSecret?.(secret, totpUri(secret, user.username));
    }
    recordEvent(trx, {
      actor,
      action: 'user.access_changed',
      subject: userSubject(user.username),
      payload: { roles, scope, previousRoles: before },
      state: await userState(trx, user.id),
    });
    return (await viewUsers(trx, [(await findUserByName(trx, user.username)) as UserRow]))[0] as UserView;
  });
}

/**
 * Disables or enables an account. Nobody disables their own account; the accounts of the three
 * administrators are disabled or enabled only on the server's shell (`yidang user disable/enable`),
 * as their roles are assigned there, so none of the three can shut out another; and the last enabled
 * holder of an administrative role is kept, so no duty is left without anyone to do it.
 */
export async function setDisabled(
  db: Db,
  username: string,
  disabled: boolean,
  actor: string,
  options: {
    /** Set by the server's shell; through the API the actor is the signed-in administrator. */
    fromServer?: boolean;
  } = {},
): Promise<UserView> {
  return inTransaction(db, async (trx) => {
    const user = await requireUser(trx, username);
    await checkMayDisable(trx, user, disabled, actor, options.fromServer === true);
    await setUserFields(trx, user.id, { disabled });
    // Re-enabling must not bring back credentials issued before (a stolen cookie or token included).
    const ended = disabled
      ? {
          sessions: await revokeSessions(trx, { userId: user.id }, new Date()),
          tokens: await revokeUserTokens(trx, user.id, new Date()),
        }
      : {};
    recordEvent(trx, {
      actor,
      action: disabled ? 'user.disabled' : 'user.enabled',
      subject: userSubject(user.username),
      payload: { ...ended, tokens: ended.tokens?.length },
      state: await userState(trx, user.id),
    });
    // Each token ended with the account is a changed token: its new state goes to the log too.
    const tokens = await tokenStates(trx, ended.tokens ?? []);
    recordEvents(
      trx,
      [...tokens].map(([subject, state]) => ({
        actor,
        action: 'token.revoked',
        subject,
        payload: { reason: 'user.disabled' },
        state,
      })),
    );
    return (await viewUsers(trx, [{ ...user, disabled }]))[0] as UserView;
  });
}

async function checkMayDisable(
  db: Db,
  user: UserRow,
  disabled: boolean,
  actor: string,
  fromServer: boolean,
): Promise<void> {
  if (!fromServer && user.username === actor)
    throw new YidangError('SELF_DISABLE', 'forbidden', '不能停用或启用自己的账户');
  const roles = (await rolesOf(db, [user.id])).get(user.id) ?? [];
  const admin = roles.find((role): role is Role => ADMIN_ROLES.includes(role as Role));
  if (!admin) return;
  const verb = disabled ? '停用' : '启用';
  if (!fromServer)
    throw new YidangError(
      'ADMIN_ACCOUNT_SERVER_ONLY',
      'forbidden',
      `${ROLES[admin]}账户只能在服务器上用 yidang user ${disabled ? 'disable' : 'enable'} 命令${verb}`,
    );
  if (disabled && !user.disabled && (await countEnabledWithRole(db, admin)) <= 1)
    throw invalid(
      'LAST_ADMIN',
      `“${user.username}”是唯一启用的${ROLES[admin]}，停用后将无人履行该职责；请先添加另一名${ROLES[admin]}`,
    );
}

/**
 * Sets an account's password. Chosen by its owner (in their own session, which stays open while
 * every other one ends) it is final; set by anyone else (an administrator on the server) the owner
 * must change it at the next sign-in before anything else is allowed.
 */
export async function changePassword(
  db: Db,
  username: string,
  password: string,
  actor: string,
  options: { byOwner?: boolean; keepSession?: Buffer } = {},
): Promise<void> {
  const user = await requireUser(db, username);
  checkPasswordPolicy(password, user.username);
  const passwordHash = await hashPassword(password);
  const byOwner = options.byOwner === true;
  await inTransaction(db, async (trx) => {
    await setUserFields(trx, user.id, {
      password_hash: passwordHash,
      password_changed_at: new Date(),
      password_must_change: !byOwner,
    });
    const keep = byOwner && options.keepSession ? { except: options.keepSession } : {};
    await revokeSessions(trx, { userId: user.id, ...keep }, new Date());
    recordEvent(trx, {
      actor,
      action: 'user.password_changed',
      subject: userSubject(user.username),
      payload: { byOwner },
      state: await userState(trx, user.id),
    });
  });
}

export { countUsers };

/** A fresh secret for an authenticator app; nothing is stored until a code from it is confirmed. */
export function totpEnrolment(username: string): { secret: string; uri: string } {
  const secret = newTotpSecret();
  return { secret, uri: totpUri(secret, username) };
}

/**
 * Turns on the second factor for an account that has none, or replaces one whose secret was shown
 * to whoever created the account, once the user proves their app holds the secret by sending a
 * current code from it. Afterwards every sign-in asks for a code.
 */
export async function confirmTotp(
  db: Db,
  username: string,
  secret: string,
  code: string,
  now: Date = new Date(),
): Promise<void> {
  if (!/^[A-Z2-7]{16,64}$/.test(secret)) throw invalid('TOTP_SECRET_INVALID', '动态口令密钥格式不正确');
  await inTransaction(db, async (trx) => {
    const user = await requireUser(trx, username);
    if (user.passwordMustChange)
      throw new YidangError('PASSWORD_CHANGE_REQUIRED', 'forbidden', '请先修改口令，再开通动态口令');
    if (user.totpSecret && !user.totpMustRenew)
      throw conflict('TOTP_ALREADY_ENABLED', '该账户已开通动态口令');
    const step = totpStep(secret, code.trim(), now.getTime());
    if (step === undefined)
      throw invalid(
        'TOTP_CODE_WRONG',
        '动态口令不正确：请确认手机时间准确，并输入身份验证器当前显示的 6 位数字',
      );
    await setUserFields(trx, user.id, { totp_secret: secret, totp_last_step: step, totp_must_renew: false });
    recordEvent(trx, {
      actor: user.username,
      action: 'user.totp_enabled',
      subject: userSubject(user.username),
      payload: { renewed: user.totpSecret !== null },
      state: await userState(trx, user.id),
    });
  });
}
