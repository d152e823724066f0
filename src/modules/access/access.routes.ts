import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { principalOf, SESSION_COOKIE } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { notFound, YidangError } from '../../shared/errors.js';
import { PERMISSIONS } from './roles.js';
import { createApiToken, revokeToken, signIn, signOut, tokensOf } from './session.service.js';
import {
  confirmTotp,
  createUser,
  listUserViews,
  setAccess,
  setDisabled,
  totpEnrolment,
} from './user.service.js';

// Sign-in, the signed-in user, API tokens and account administration (账户管理).

const tags = ['账户与权限'];
const errors = {
  400: ErrorResponseSchema,
  401: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  423: ErrorResponseSchema,
};
const ScopeSchema = Type.Object({
  fonds: Type.Optional(Type.Union([Type.String({ maxLength: 4 }), Type.Null()])),
  region: Type.Optional(Type.Union([Type.String({ maxLength: 6 }), Type.Null()])),
  category: Type.Optional(Type.Union([Type.String({ maxLength: 16 }), Type.Null()])),
});
const UsernameParams = Type.Object({ username: Type.String({ maxLength: 64 }) });

const scopeRows = (
  scope: Array<{ fonds?: string | null; region?: string | null; category?: string | null }>,
) =>
  scope.map((row) => ({
    fondsCode: row.fonds ?? null,
    regionCode: row.region ?? null,
    categoryCode: row.category ?? null,
  }));

function me(principal: ReturnType<typeof principalOf>) {
  return {
    username: principal.username,
    displayName: principal.displayName,
    roles: principal.roles,
    permissions: [...principal.permissions].sort(),
    scope: principal.scope,
  };
}

export const accessRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags,
        summary: '登录（口令 + 三员及已开通者的动态口令），返回防跨站令牌并设置会话 Cookie',
        body: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
          totp: Type.Optional(Type.String({ maxLength: 10 })),
        }),
        response: errors,
      },
    },
    async (request, reply) => {
      const signedIn = await signIn(db, { ...request.body, clientAddress: request.ip });
      reply.setCookie(SESSION_COOKIE, signedIn.sessionToken, {
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        path: '/',
        expires: signedIn.expiresAt,
      });
      return {
        user: me(signedIn.principal),
        csrfToken: signedIn.csrfToken,
        expiresAt: signedIn.expiresAt.toISOString(),
      };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags, summary: '退出登录', response: errors } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await signOut(db, token, principalOf(request));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );

  app.get('/auth/me', { schema: { tags, summary: '当前用户、角色、权限与范围' } }, async (request) =>
    me(principalOf(request)),
  );

  // The second factor is a person's, so it is set up in a signed-in browser session, not with a token.
  const sessionOnly = (request: Parameters<typeof principalOf>[0]) => {
    const principal = principalOf(request);
    if (principal.via !== 'session')
      throw new YidangError('SESSION_REQUIRED', 'forbidden', '请在登录后的浏览器会话中开通动态口令');
    return principal;
  };

  app.post(
    '/auth/totp/new',
    { schema: { tags, summary: '生成动态口令密钥（扫码添加到身份验证器，确认后才生效）', response: errors } },
    async (request) => totpEnrolment(sessionOnly(request).username),
  );

  app.post(
    '/auth/totp',
    {
      schema: {
        tags,
        summary: '确认并开通动态口令（此后登录须输入动态口令）',
        body: Type.Object({
          secret: Type.String({ minLength: 16, maxLength: 64 }),
          code: Type.String({ minLength: 6, maxLength: 10 }),
        }),
        response: { ...errors, 409: ErrorResponseSchema },
      },
    },
    async (request) => {
      await confirmTotp(db, sessionOnly(request).username, request.body.secret, request.body.code);
      return { ok: true };
    },
  );

  app.get(
    '/auth/tokens',
    { config: { permission: 'token.own' }, schema: { tags, summary: '我的接口令牌' } },
    async (request) => ({ tokens: await tokensOf(db, principalOf(request).username) }),
  );

  app.post(
    '/auth/tokens',
    {
      config: { permission: 'token.own' },
      schema: {
        tags,
        summary: '为自己创建接口令牌（供业务系统推送档案；令牌只显示这一次）',
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 100 }),
          permissions: Type.Array(Type.String({ maxLength: 40 }), { minItems: 1, maxItems: 20 }),
          days: Type.Integer({ minimum: 1, maximum: 366 }),
        }),
        response: { 201: Type.Any(), ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await createApiToken(
        db,
        { ...request.body, username: principal.username },
        principal.username,
        {
          callerPermissions: principal.permissions,
        },
      );
      return reply.status(201).send({ ...created, expiresAt: created.expiresAt.toISOString() });
    },
  );

  app.delete(
    '/auth/tokens/:id',
    {
      config: { permission: 'token.own' },
      schema: {
        tags,
        summary: '撤销我的接口令牌',
        params: Type.Object({ id: Type.String({ maxLength: 16 }) }),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const own = await tokensOf(db, principal.username);
      if (!own.some((token) => token.id === request.params.id))
        throw notFound('TOKEN_NOT_FOUND', `令牌 ${request.params.id.slice(0, 16)} 不存在或已撤销`);
      await revokeToken(db, request.params.id, principal.username);
      return { ok: true };
    },
  );

  app.get(
    '/users',
    { config: { permission: 'user.manage' }, schema: { tags, summary: '账户列表', response: errors } },
    async () => ({ users: await listUserViews(db) }),
  );

  app.post(
    '/users',
    {
      config: { permission: 'user.manage' },
      schema: {
        tags,
        summary: '创建业务账户（系统管理员；角色与范围由安全保密员授予）',
        body: Type.Object({
          username: Type.String({ minLength: 2, maxLength: 64 }),
          displayName: Type.Optional(Type.String({ maxLength: 100 })),
          password: Type.String({ minLength: 1, maxLength: 256 }),
          idNumber: Type.Optional(Type.String({ maxLength: 18 })),
        }),
        response: { 201: Type.Any(), ...errors },
      },
    },
    async (request, reply) => {
      const created = await createUser(db, { ...request.body, roles: [] }, principalOf(request).username);
      return reply.status(201).send(created.user);
    },
  );

  app.put(
    '/users/:username/access',
    {
      config: { permission: 'access.grant' },
      schema: {
        tags,
        summary: '授予业务角色与范围（安全保密员；三员角色只能在服务器上分配）',
        params: UsernameParams,
        body: Type.Object({
          roles: Type.Array(Type.String({ maxLength: 20 }), { maxItems: 8 }),
          scope: Type.Array(ScopeSchema, { maxItems: 100 }),
        }),
        response: errors,
      },
    },
    async (request) =>
      setAccess(
        db,
        request.params.username,
        { roles: request.body.roles, scope: scopeRows(request.body.scope) },
        principalOf(request).username,
      ),
  );

  app.post(
    '/users/:username/disable',
    { config: { permission: 'user.manage' }, schema: { tags, summary: '停用账户', params: UsernameParams } },
    async (request) => setDisabled(db, request.params.username, true, principalOf(request).username),
  );

  app.post(
    '/users/:username/enable',
    { config: { permission: 'user.manage' }, schema: { tags, summary: '启用账户', params: UsernameParams } },
    async (request) => setDisabled(db, request.params.username, false, principalOf(request).username),
  );

  app.get('/permissions', { schema: { tags, summary: '权限清单' } }, async () => ({
    permissions: PERMISSIONS,
  }));
};
