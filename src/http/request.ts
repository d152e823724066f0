import type { FastifyRequest } from 'fastify';
import { principalOf } from './auth.js';

// What a route asks of its request, kept apart from app.ts so that route files, which app.ts
// composes, never import the app back (a circle that made every module depend on every other).

/** Who the log records as acting: the signed-in user (or the owner of the API token). */
export function requestActor(request: FastifyRequest): string {
  return principalOf(request).username;
}
