import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../../db/database.js';
import { accessOf } from '../../http/auth.js';
import { ErrorResponseSchema } from '../../http/errors.js';
import { requestActor } from '../../http/request.js';
import { Nullable } from '../../http/schemas.js';
import { checkpoints, logVerifier, type SigningKey, writeCheckpoint } from './checkpoint.service.js';
import { formatVerifierKey } from './checkpoint-note.js';
import { currentTreeHead } from './event-log.js';
import { eventTrail } from './events.service.js';
import { proveConsistency, proveInclusion } from './proof.service.js';

// The event log over HTTP: events, the tree head, signed checkpoints and proofs. Verifying a proof
// needs no server at all (see `yidang proof verify`).

const tags = ['完整性'];
const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 404: ErrorResponseSchema };

const EventSchema = Type.Object({
  seq: Type.Integer(),
  recordedAt: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  action: Type.String(),
  actionLabel: Type.String({ description: '事件名称' }),
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

const Algorithm = Type.Union([Type.Literal('sha256'), Type.Literal('sm3')], {
  description: '日志的哈希算法',
});
const HashList = Type.Array(Type.String(), { description: '证明路径上的哈希（十六进制）' });
const InclusionProofSchema = Type.Object(
  {
    type: Type.Literal('yidang-inclusion-proof/1'),
    origin: Type.String({ description: '日志标识' }),
    algorithm: Algorithm,
    treeSize: Type.Integer({ description: '证明所针对的树大小' }),
    entry: Type.Object(
      {
        seq: Type.Integer(),
        recordedAt: Type.String({ format: 'date-time' }),
        actor: Type.String(),
        action: Type.String(),
        subject: Type.String(),
        payload: Type.String({ description: '事件内容（JSON 原文，参与哈希）' }),
        prevHash: Type.String({ description: '前一事件的哈希；第一条为空' }),
      },
      { description: '事件原文（用于重新计算叶哈希）' },
    ),
    leafHash: Type.String({ description: '事件的叶哈希（十六进制）' }),
    proof: HashList,
    checkpoint: Nullable(Type.String({ description: '该树大小的签名检查点原文；尚无检查点为 null' })),
  },
  { description: '包含证明（可用 yidang proof verify 离线验证）' },
);
const ConsistencyProofSchema = Type.Object(
  {
    type: Type.Literal('yidang-consistency-proof/1'),
    origin: Type.String({ description: '日志标识' }),
    algorithm: Algorithm,
    oldSize: Type.Integer({ description: '旧树大小' }),
    newSize: Type.Integer({ description: '新树大小' }),
    oldRoot: Type.String({ description: '旧树根哈希（十六进制）' }),
    newRoot: Type.String({ description: '新树根哈希（十六进制）' }),
    proof: HashList,
    oldCheckpoint: Nullable(Type.String({ description: '旧树大小的签名检查点原文；没有为 null' })),
    newCheckpoint: Nullable(Type.String({ description: '新树大小的签名检查点原文；没有为 null' })),
  },
  { description: '一致性证明（可用 yidang proof verify 离线验证）' },
);

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
      // Masked for everyone: the log is for who did what, not for reading personal data.
      const events = await eventTrail(
        db,
        {
          subject: request.query.subject,
          action: request.query.action,
          beforeSeq: request.query.before,
          limit: request.query.limit ?? 50,
        },
        await accessOf(request, db),
      );
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
        response: { 200: InclusionProofSchema, ...errors },
      },
    },
    async (request) =>
      proveInclusion(db, request.params.seq, request.query.treeSize, await accessOf(request, db)),
  );

  app.get(
    '/integrity/consistency',
    {
      config: { permission: 'integrity.read' },
      schema: {
        tags,
        summary: '两个树大小之间的一致性证明',
        querystring: Type.Object({ from: Type.Integer({ minimum: 1 }), to: Type.Integer({ minimum: 1 }) }),
        response: { 200: ConsistencyProofSchema, ...errors },
      },
    },
    async (request) => proveConsistency(db, request.query.from, request.query.to),
  );
};
