import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { requestActor } from '../../http/app.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { checkpoints, logVerifier, type SigningKey, writeCheckpoint } from './checkpoint.service.js';
import { formatVerifierKey } from './checkpoint-note.js';
import { currentTreeHead } from './event-log.js';
import { eventTrail } from './events.service.js';
import { proveConsistency, proveInclusion } from './proof.service.js';

// The event log over HTTP: events, the tree head, signed checkpoints and proofs. Verifying a proof
// needs no server at all (see `yidang proof verify`).

const tags = ['完整性'];
const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema };

const EventSchema = Type.Object({
  seq: Type.Integer(),
  recordedAt: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  action: Type.String(),
  subject: Type.String(),
  payload: Type.Unknown(),
  hash: Type.String(),
});
const CheckpointSchema = Type.Object({
  id: Type.Integer(),
  treeSize: Type.Integer(),
  rootHash: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  note: Type.String({ description: 'C2SP 签名检查点原文' }),
});

export const integrityRoutes: FastifyPluginAsyncTypebox<{ db: Db; signingKey: SigningKey }> = async (
  app,
  { db, signingKey },
) => {
  app.get(
    '/integrity/tree',
    {
      config: { permission: 'integrity.read' },
      schema: {
        tags,
        summary: '日志当前的树大小与根哈希',
        response: {
          200: Type.Object({
            origin: Type.String(),
            algorithm: Type.String(),
            size: Type.Integer(),
            rootHash: Type.String(),
            verifierKey: Type.String(),
          }),
        },
      },
    },
    async () => {
      const head = await currentTreeHead(db);
      return {
        origin: head.origin,
        algorithm: head.algorithm,
        size: head.size,
        rootHash: head.rootHash.toString('hex'),
        verifierKey: formatVerifierKey(await logVerifier(db, signingKey)),
      };
    },
  );

  app.get(
    '/integrity/events',
    {
      config: { permission: 'integrity.read' },
      schema: {
        tags,
        summary: '事件日志（新的在前）',
        querystring: Type.Object({
          subject: Type.Optional(Type.String({ maxLength: 300, description: '如 item:<档号>' })),
          action: Type.Optional(Type.String({ maxLength: 64 })),
          before: Type.Optional(Type.Integer({ minimum: 0, description: '只列序号小于此值的事件（翻页）' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: { 200: Type.Object({ events: Type.Array(EventSchema) }) },
      },
    },
    async (request) => {
      const events = await eventTrail(db, {
        subject: request.query.subject,
        action: request.query.action,
        beforeSeq: request.query.before,
        limit: request.query.limit ?? 50,
      });
      return { events };
    },
  );

  app.get(
    '/integrity/checkpoints',
    {
      config: { permission: 'integrity.read' },
      schema: {
        tags,
        summary: '签名检查点',
        querystring: Type.Object({ latest: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: { 200: Type.Object({ checkpoints: Type.Array(CheckpointSchema) }) },
      },
    },
    async (request) => ({ checkpoints: await checkpoints(db, request.query.latest) }),
  );

  app.post(
    '/integrity/checkpoints',
    {
      config: { permission: 'integrity.sign' },
      schema: { tags, summary: '立即签发检查点', response: { 201: CheckpointSchema } },
    },
    async (request, reply) =>
      reply.status(201).send(await writeCheckpoint(db, signingKey, requestActor(request))),
  );

  app.get(
    '/integrity/events/:seq/proof',
    {
      config: { permission: 'integrity.read' },
      schema: {
        tags,
        summary: '事件的包含证明（默认针对包含它的最新检查点）',
        params: Type.Object({ seq: Type.Integer({ minimum: 0 }) }),
        querystring: Type.Object({ treeSize: Type.Optional(Type.Integer({ minimum: 1 })) }),
        response: errors,
      },
    },
    async (request) => proveInclusion(db, request.params.seq, request.query.treeSize),
  );

  app.get(
    '/integrity/consistency',
    {
      config: { permission: 'integrity.read' },
      schema: {
        tags,
        summary: '两个树大小之间的一致性证明',
        querystring: Type.Object({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) }),
        response: errors,
      },
    },
    async (request) => proveConsistency(db, request.query.from, request.query.to),
  );
};
