import type { FastifyInstance } from 'fastify';
import { withBeijingTimes } from '../shared/beijing-time.js';

// The API answers with times as the people it serves read them: ISO 8601 with the Beijing offset
// (2026-12-07T11:33:05.120+08:00, milliseconds kept so a client can send a time back unchanged).
// The integrity log's own documents are the exception: events, checkpoints, the tree and proofs are
// served exactly as hashed and signed (`…Z`), so anyone can verify them offline byte for byte.

const AS_HASHED = /^\/api\/v1\/integrity\/(events|checkpoints|tree|consistency)(\/|\?|$)/;

export function registerBeijingTimes(app: FastifyInstance): void {
  app.addHook('preSerialization', async (request, _reply, payload: unknown) =>
    AS_HASHED.test(request.url) ? payload : withBeijingTimes(payload, { precise: true }),
  );
}
