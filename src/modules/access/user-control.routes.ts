import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { YidangError } from '../../shared/errors.js';
import { createUser, parseScope } from './user.service.js';

// `yidang user add` while the server runs on the embedded database, which only the server can open:
// the command hands the new account to the server, as `yidang backup` hands it the backup. This is
// how the first account comes to exist on a fresh `npm start` without stopping the server. Only the
// holder of the local control token (run/server.json in the data directory, mode 0600) may call it;
// it is the operator's channel, not part of the public API, so it is left out of the OpenAPI document.

export interface UserControlOptions {
  db: Db;
  /** Whether the presented bearer token is this server's control token (compared in constant time). */
  isControlToken: (presented: string | undefined) => boolean;
}

const Body = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    roles: Type.Array(Type.String({ maxLength: 40 }), { minItems: 1, maxItems: 20 }),
    scope: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
    displayName: Type.Optional(Type.String({ maxLength: 100 })),
    idNumber: Type.Optional(Type.String({ maxLength: 40 })),
    actor: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);

export const userControlRoutes: FastifyPluginAsyncTypebox<UserControlOptions> = async (
  app,
  { db, isControlToken },
) => {
  app.post(
    '/admin/users',
    { config: { public: true }, schema: { hide: true, body: Body } },
    async (request, reply) => {
      const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!isControlToken(presented))
        throw new YidangError(
          'CONTROL_TOKEN_INVALID',
          'unauthorized',
          '本机控制令牌无效：只有本机的 yidang user add 能通过运行中的服务创建账户',
        );
      const { actor, scope, ...input } = request.body;
      const created = await createUser(db, { ...input, scope: (scope ?? []).map(parseScope) }, actor);
      return reply.status(201).send(created);
    },
  );
};
