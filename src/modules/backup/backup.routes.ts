import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponseSchema } from '../../http/errors.js';
import { isYidangError, YidangError } from '../../shared/errors.js';
import { tokenMatches } from '../../system/server-file.js';
import type { System } from '../../system/system.js';
import type { BackupLine } from './backup.line.js';
import { createBackup } from './backup.service.js';

// Online backup through the running server, which is the only process that can read an embedded
// database it holds open. The answer is a stream of JSON lines — progress, a heartbeat, then the
// result — so a long backup neither times out nor leaves the operator without news.

const HEARTBEAT_MS = 10_000;

export const backupRoutes: FastifyPluginAsyncTypebox<{ system: System; controlToken: string }> = async (
  app,
  { system, controlToken },
) => {
  app.post(
    '/admin/backup',
    {
      config: { public: true },
      schema: {
        tags: ['系统'],
        summary: '在线备份',
        description:
          '由运行中的服务做一次一致快照备份（yidang backup 在嵌入式数据库被服务占用时自动调用）。' +
          '需要本机控制令牌（数据目录 run/server.json）。响应为 application/x-ndjson：进度、心跳，最后一行为结果或错误。',
        headers: Type.Object({ authorization: Type.Optional(Type.String()) }),
        body: Type.Object({
          dir: Type.String({
            minLength: 1,
            maxLength: 4096,
            description: '备份目录（服务器上的绝对路径，须为新目录）',
          }),
          passphrase: Type.String({ minLength: 1, maxLength: 1024, description: '备份口令' }),
          actor: Type.Optional(
            Type.String({ minLength: 1, maxLength: 100, description: '发起备份的人（记入事件日志）' }),
          ),
        }),
        response: { 400: ErrorResponseSchema, 401: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!tokenMatches(controlToken, presented))
        throw new YidangError(
          'CONTROL_TOKEN_INVALID',
          'unauthorized',
          '本机控制令牌无效：在线备份只能由本机的 yidang backup 发起',
        );
      const actor = request.body.actor ?? 'system:backup';
      const out = new PassThrough();
      const send = (line: BackupLine) => out.write(`${JSON.stringify(line)}\n`);
      const heartbeat = setInterval(() => send({ type: 'heartbeat' }), HEARTBEAT_MS);
      createBackup(system, request.body.dir, request.body.passphrase, actor, (stage, done, total) =>
        send({ type: 'progress', stage, done, total }),
      )
        .then((manifest) => send({ type: 'done', manifest }))
        .catch((error: unknown) => {
          if (!isYidangError(error)) request.log.error({ err: error }, '在线备份失败');
          send(
            isYidangError(error)
              ? { type: 'error', code: error.code, message: error.message }
              : { type: 'error', code: 'INTERNAL', message: '服务器内部错误，备份未完成' },
          );
        })
        .finally(() => {
          clearInterval(heartbeat);
          out.end();
        });
      return reply.type('application/x-ndjson; charset=utf-8').send(out);
    },
  );
};
