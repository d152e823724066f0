import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { principalOf, SESSION_COOKIE } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { Nullable } from '../../http/schemas.js';
import { notFound, ValidationError, YidangError } from '../../shared/errors.js';
import { PERMISSIONS } from './roles.js';
import {
  changeOwnPassword,
  createApiToken,
  revokeToken,
  signIn,
  signOut,
  tokensOf,
} from './session.service.js';
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
// Null first: with type coercion on, ajv would turn a null into "" when trying the string branch.
const ScopeSchema = Type.Object({
  fonds: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 4 })])),
  region: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 6 })])),
  category: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 16 })])),
});
const UsernameParams = Type.Object({ username: Type.String({ maxLength: 64 }) });

const ROLE_TEXT =
  'clerk 经办人员 / reviewer 审核人员 / archivist 档案员 / manager 管理人员 / insured 参保人 / sysadmin 系统管理员 / secadmin 安全保密员 / auditor 安全审计员';
const OkSchema = Type.Object({ ok: Type.Boolean() });
const ScopeRowSchema = Type.Object(
  {
    fondsCode: Nullable(Type.String({ description: '全宗号；null 为任意全宗' })),
    regionCode: Nullable(Type.String({ description: '统筹区（6位行政区划代码）；null 为任意地区' })),
    categoryCode: Nullable(Type.String({ description: '类别代码；null 为任意类别' })),
  },
  { description: '范围：各项均须符合，null 表示不限' },
);
const MeSchema = Type.Object({
  username: Type.String({ description: '用户名' }),
  displayName: Type.String({ description: '姓名' }),
  roles: Type.Array(Type.String(), { description: `角色：${ROLE_TEXT}` }),
  permissions: Type.Array(Type.String(), { description: '拥有的权限代码（见 GET /permissions）' }),
  scope: Type.Array(ScopeRowSchema, { description: '可访问的档案范围；空为不限' }),
  mustChangePassword: Type.Boolean({
    description: '口令由他人设定，须先修改（POST /auth/password），此前其他功能一律拒绝',
  }),
  mustEnrolTotp: Type.Boolean({
    description: '须先开通本人的动态口令（POST /auth/totp/new、/auth/totp），此前其他功能一律拒绝',
  }),
});
const UserSchema = Type.Object({
  username: Type.String({ description: '用户名' }),
  displayName: Type.String({ description: '姓名' }),
  roles: Type.Array(Type.String(), { description: `角色：${ROLE_TEXT}` }),
  scope: Type.Array(ScopeRowSchema, { description: '可访问的档案范围' }),
  totpEnabled: Type.Boolean({ description: '已开通动态口令' }),
  disabled: Type.Boolean({ description: '已停用' }),
  locked: Type.Boolean({ description: '因连续登录失败暂时锁定' }),
  mustChangePassword: Type.Boolean({ description: '口令由他人设定，本人尚未修改' }),
  createdBy: Type.String({ description: '创建人' }),
  createdAt: Type.String({ format: 'date-time', description: '创建时间' }),
});
const TokenSchema = Type.Object({
  id: Type.String({ description: '令牌编号' }),
  name: Type.String({ description: '令牌名称' }),
  permissions: Type.Array(Type.String(), { description: '令牌可用的权限' }),
  createdAt: Type.String({ format: 'date-time', description: '创建时间' }),
  expiresAt: Type.String({ format: 'date-time', description: '到期时间' }),
  lastUsedAt: Nullable(Type.String({ format: 'date-time', description: '最近使用时间；未用过为 null' })),
  revokedAt: Nullable(Type.String({ format: 'date-time', description: '撤销时间；未撤销为 null' })),
});

/**
 * Scope rows as the API takes them: "*" (or null, or nothing) for any part, but a row must name at
 * least one part — an empty object is a form left blank, not "everything".
 */
function scopeRows(
  scope: Array<{ fonds?: string | null; region?: string | null; category?: string | null }>,
) {
  const any = (part: string | null | undefined) =>
    part === undefined || part === null || part === '*' ? null : part;
  const empty = scope.flatMap((row, index) =>
    [row.fonds, row.region, row.category].every((part) => part === undefined || part === null)
      ? [
          {
            field: `scope[${index}].fonds`,
            message: `范围第 ${index + 1} 行没有任何条件：不限全宗请明确写 "*"，否则请填写全宗、统筹区或类别`,
          },
        ]
      : [],
  );
  if (empty.length > 0) throw new ValidationError(empty);
  return scope.map((row) => ({
    fondsCode: any(row.fonds),
    regionCode: any(row.region),
    categoryCode: any(row.category),
  }));
}

function me(principal: ReturnType<typeof principalOf>) {
  return {
    username: principal.username,
    displayName: principal.displayName,
    roles: principal.roles,
    permissions: [...principal.permissions].sort(),
    scope: principal.scope,
    mustChangePassword: principal.pending === 'password',
    mustEnrolTotp: principal.pending === 'totp',
  };
}

const WHILE_PENDING = { allowWhilePending: ['password', 'totp'] } as const;

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
        response: {
          200: Type.Object({
            user: MeSchema,
            csrfToken: Type.String({ description: '防跨站令牌：之后的写请求放在 x-csrf-token 头中' }),
            expiresAt: Type.String({ format: 'date-time', description: '会话到期时间' }),
          }),
          ...errors,
        },
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
    { config: WHILE_PENDING, schema: { tags, summary: '退出登录', response: { 200: OkSchema, ...errors } } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await signOut(db, token, principalOf(request));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );

  app.get(
    '/auth/me',
    {
      config: WHILE_PENDING,
      schema: { tags, summary: '当前用户、角色、权限与范围', response: { 200: MeSchema } },
    },
    async (request) => me(principalOf(request)),
  );

  // The second factor is a person's, so it is set up in a signed-in browser session, not with a token.
  const sessionOnly = (request: Parameters<typeof principalOf>[0]) => {
    const principal = principalOf(request);
    if (principal.via !== 'session')
      throw new YidangError('SESSION_REQUIRED', 'forbidden', '请在登录后的浏览器会话中开通动态口令');
    return principal;
  };

  app.post(
    '/auth/password',
    {
      config: WHILE_PENDING,
      schema: {
        tags,
        summary: '修改本人口令（须提供当前口令；本会话保留，其他会话全部结束）',
        body: Type.Object({
          currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
          newPassword: Type.String({ minLength: 1, maxLength: 256 }),
        }),
        response: { 200: OkSchema, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.via !== 'session')
        throw new YidangError('SESSION_REQUIRED', 'forbidden', '请在登录后的浏览器会话中修改口令');
      await changeOwnPassword(db, request.cookies[SESSION_COOKIE] as string, principal, {
        current: request.body.currentPassword,
        next: request.body.newPassword,
      });
      return { ok: true };
    },
  );

  app.post(
    '/auth/totp/new',
    {
      config: { allowWhilePending: ['totp'] },
      schema: {
        tags,
        summary: '生成动态口令密钥（扫码添加到身份验证器，确认后才生效）',
        response: {
          200: Type.Object({
            secret: Type.String({ description: '动态口令密钥（Base32），确认时原样提交' }),
            uri: Type.String({ description: 'otpauth:// 地址，可生成二维码供身份验证器扫描' }),
          }),
          ...errors,
        },
      },
    },
    async (request) => totpEnrolment(sessionOnly(request).username),
  );

  app.post(
    '/auth/totp',
    {
      config: { allowWhilePending: ['totp'] },
      schema: {
        tags,
        summary: '确认并开通动态口令（此后登录须输入动态口令）',
        body: Type.Object({
          secret: Type.String({ minLength: 16, maxLength: 64 }),
          code: Type.String({ minLength: 6, maxLength: 10 }),
        }),
        response: { 200: OkSchema, ...errors, 409: ErrorResponseSchema },
      },
    },
    async (request) => {
      await confirmTotp(db, sessionOnly(request).username, request.body.secret, request.body.code);
      return { ok: true };
    },
  );

  app.get(
    '/auth/tokens',
    {
      config: { permission: 'token.own' },
      schema: {
        tags,
        summary: '我的接口令牌',
        response: { 200: Type.Object({ tokens: Type.Array(TokenSchema) }) },
      },
    },
    async (request) => ({
      tokens: (await tokensOf(db, principalOf(request).username)).map((token) => ({
        ...token,
        createdAt: token.createdAt.toISOString(),
        expiresAt: token.expiresAt.toISOString(),
        lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
        revokedAt: token.revokedAt?.toISOString() ?? null,
      })),
    }),
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
        response: { 200: OkSchema },
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
    {
      // The security administrator grants roles and scope, so needs to see whom to grant them to.
      config: { permission: ['user.manage', 'access.grant'] },
      schema: {
        tags,
        summary: '账户列表（系统管理员、安全保密员）',
        response: { 200: Type.Object({ users: Type.Array(UserSchema) }), ...errors },
      },
    },
    async () => ({ users: await listUserViews(db) }),
  );

  app.post(
    '/users',
    {
      config: { permission: 'user.manage' },
      schema: {
        tags,
        summary: '创建业务账户（系统管理员；角色与范围由安全保密员授予；初始口令须由本人首次登录后修改）',
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
        response: { 200: UserSchema, ...errors },
      },
    },
    async (request) =>
      setAccess(
        db,
        request.params.username,
        { roles: request.body.roles, scope: scopeRows(request.body.scope) },
        principalOf(request).username,
        // Only within the granter's own scope (the server's `yidang user access` has no such bound).
        { granter: principalOf(request) },
      ),
  );

  app.post(
    '/users/:username/disable',
    {
      config: { permission: 'user.manage' },
      schema: {
        tags,
        summary: '停用业务账户（不能停用自己；三员账户只能在服务器上用 yidang user disable 停用）',
        params: UsernameParams,
        response: { 200: UserSchema, ...errors },
      },
    },
    async (request) => setDisabled(db, request.params.username, true, principalOf(request).username),
  );

  app.post(
    '/users/:username/enable',
    {
      config: { permission: 'user.manage' },
      schema: {
        tags,
        summary: '启用业务账户（三员账户只能在服务器上用 yidang user enable 启用）',
        params: UsernameParams,
        response: { 200: UserSchema, ...errors },
      },
    },
    async (request) => setDisabled(db, request.params.username, false, principalOf(request).username),
  );

  app.get(
    '/permissions',
    {
      schema: {
        tags,
        summary: '权限清单',
        response: {
          200: Type.Object({
            permissions: Type.Record(Type.String(), Type.String(), {
              description: '权限代码 → 中文名称，如 item.read → 查阅档案',
            }),
          }),
        },
      },
    },
    async () => ({ permissions: PERMISSIONS }),
  );
};
