import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFoundHandler } from './errors.js';

// The web console (web/, built by Vite into dist/web) is served at `/`. Any other path that is not
// the API is one of the console's own pages, so it gets index.html and the browser's router takes over.

/**
 * dist/web from both src/http (tests) and dist/http (the built server); YIDANG_CONSOLE_DIR serves
 * another build (a developer's or a test's own, so it does not overwrite the shared one).
 */
export const CONSOLE_DIR =
  process.env.YIDANG_CONSOLE_DIR ?? path.resolve(import.meta.dirname, '..', '..', 'dist', 'web');

// antd writes its styles at run time, hence 'unsafe-inline' for styles only; copies of files are
// shown from blob: URLs.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "frame-src 'self' blob:",
  "object-src 'self' blob:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

function sendIndex(reply: FastifyReply) {
  return reply
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .type('text/html; charset=utf-8')
    .sendFile('index.html', CONSOLE_DIR, { cacheControl: false });
}

// A missing built file (/assets/…) is a plain 404, not the page: a stale tab must not run HTML as script.
const isConsolePage = (request: FastifyRequest) =>
  (request.method === 'GET' || request.method === 'HEAD') &&
  !request.url.startsWith('/api/') &&
  !request.url.startsWith('/assets/');

/** Whether a console build is there to serve. */
export const consoleBuilt = (directory = CONSOLE_DIR) => fs.existsSync(path.join(directory, 'index.html'));

/** The 404 handler when the console is served: its pages get index.html, the rest the API's 404. */
export function consoleOrNotFound(request: FastifyRequest, reply: FastifyReply) {
  if (isConsolePage(request)) return sendIndex(reply);
  return notFoundHandler(request, reply);
}

export async function registerConsole(app: FastifyInstance, directory = CONSOLE_DIR): Promise<void> {
  await app.register(fastifyStatic, {
    root: directory,
    index: false,
    wildcard: false,
    // Built file names carry their content's hash: they never change, so browsers may keep them.
    setHeaders: (response, file) => {
      response.setHeader('x-content-type-options', 'nosniff');
      if (file.includes(`${path.sep}assets${path.sep}`))
        response.setHeader('cache-control', 'public, max-age=31536000, immutable');
    },
  });
  app.get('/', { schema: { hide: true } }, (_request, reply) => sendIndex(reply));
}
