import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.js';
import {
  authorize,
  can,
  type ItemScope,
  itemScopeOf,
  type Principal,
  principalContext,
} from '../modules/access/principal.js';
import type { Permission } from '../modules/access/roles.js';
import { resolveApiToken, resolveSession } from '../modules/access/session.service.js';
import type { Disclosure, PrincipalContext } from '../shared/access-context.js';
import { YidangError } from '../shared/errors.js';

// The one access layer of the API: every route is closed unless marked public, the caller is
// resolved from a session cookie (with a CSRF token for changes) or an API token, and the route's
// permission is checked before its handler runs. Archive scope is applied in the queries.

export const SESSION_COOKIE = 'yidang_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No sign-in needed (health, sign-in itself, the API documents). */
    public?: boolean;
    /** What the caller must be allowed to do (any one of a list will do). */
    permission?: Permission | readonly Permission[];
    /** Steps still owed by the account (see Principal.pending) during which a session may call the route. */
    allowWhilePending?: readonly ('password' | 'totp')[];
  }
  interface FastifyRequest {
    principal: Principal | null;
    itemScope: ItemScope | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

export async function registerAuth(app: FastifyInstance, db: Db): Promise<void> {
  await app.register(cookie);
  app.decorateRequest('principal', null);
  app.decorateRequest('itemScope', null);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    // Unknown routes fall through to the 404 handler; the API documents and public routes need nobody.
    // The FHIR interface (/fhir/R4) takes the same accounts.
    const url = request.routeOptions.url;
    if (!(url?.startsWith('/api/v1/') || url?.startsWith('/fhir/')) || config.public) return;
    const token = bearerToken(request);
    if (token?.startsWith('ydt_')) {
      request.principal = (await resolveApiToken(db, token)) ?? null;
      if (!request.principal)
        throw new YidangError('TOKEN_INVALID', 'unauthorized', '接口令牌无效、已过期或已撤销');
      return;
    }
    const sessionToken = request.cookies[SESSION_COOKIE];
    const session = sessionToken ? await resolveSession(db, sessionToken) : undefined;
    if (!session)
      throw new YidangError(
        'AUTH_REQUIRED',
        'unauthorized',
        sessionToken ? '登录已过期，请重新登录' : '请先登录（或使用接口令牌）',
      );
    // A cookie is sent by the browser on any site's request; a change also needs the token only our page knows.
    if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== session.csrfToken) {
      request.log.warn(
        { route: request.routeOptions.url, user: session.principal.username },
        'CSRF token missing or wrong',
      );
      throw new YidangError('CSRF_INVALID', 'forbidden', '请求缺少有效的防跨站令牌（X-CSRF-Token），已拒绝');
    }
    // An account whose password someone else chose (or whose second factor someone else saw) may
    // only put that right, see who it is and sign out, until its owner has done so.
    const pending = session.principal.pending;
    if (pending && !config.allowWhilePending?.includes(pending))
      throw pending === 'password'
        ? new YidangError(
            'PASSWORD_CHANGE_REQUIRED',
            'forbidden',
            '该账户的口令由他人设定，请先修改口令，之后才能使用其他功能',
          )
        : new YidangError(
            'TOTP_ENROLMENT_REQUIRED',
            'forbidden',
            '请先用本人的身份验证器开通动态口令，之后才能使用其他功能',
          );
    request.principal = session.principal;
  });
  app.addHook('preHandler', async (request) => {
    const permission = request.routeOptions.config.permission;
    if (!permission || !request.principal) return;
    const principal = request.principal;
    const anyOf = typeof permission === 'string' ? [permission] : permission;
    if (!anyOf.some((one) => can(principal, one))) authorize(principal, anyOf[0] as Permission);
  });
}

/** The signed-in caller; routes behind the access layer always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal)
    throw new YidangError('AUTH_REQUIRED', 'unauthorized', '请先登录（或使用接口令牌）');
  return request.principal;
}

/** The caller's archive scope for the queries, resolved once per request. */
export async function scopeOf(request: FastifyRequest, db: Db): Promise<ItemScope> {
  request.itemScope ??= await itemScopeOf(db, principalOf(request));
  return request.itemScope;
}

/**
 * The caller's access context for the services: the principal, their scope (resolved once per
 * request) and the disclosure the request asks for (masked unless unmasked with a purpose).
 */
export async function accessOf(
  request: FastifyRequest,
  db: Db,
  disclosure: Partial<Disclosure> = {},
): Promise<PrincipalContext> {
  return principalContext(principalOf(request), await scopeOf(request, db), disclosure);
}
