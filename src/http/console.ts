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

// Read per request: a rebuild while the server runs renames the assets the old page pointed at.
async function sendIndex(reply: FastifyReply) {
  const page = await fs.promises.readFile(path.join(CONSOLE_DIR, 'index.html'));
  return reply
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .type('text/html; charset=utf-8')
    .send(page);
}

// A missing built file (/assets/…) is a plain 404, not the page: a stale tab must not run HTML as script.
// Any spelling of an API path (/API/V1/…, //api/…) keeps the API's JSON 404.
const isConsolePage = (request: FastifyRequest) =>
  (request.method === 'GET' || request.method === 'HEAD') &&
  !/^\/+api(\/|$)/i.test(request.url) &&
  !request.url.startsWith('/assets/');

/** Whether a console build is there to serve. */
export const consoleBuilt = () => fs.existsSync(path.join(CONSOLE_DIR, 'index.html'));

/** The 404 handler when the console is served: its pages get index.html, the rest the API's 404. */
export function consoleOrNotFound(request: FastifyRequest, reply: FastifyReply) {
  if (isConsolePage(request)) return sendIndex(reply);
  return notFoundHandler(request, reply);
}

export async function registerConsole(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: CONSOLE_DIR,
    index: false,
    wildcard: false,
    // Only the built assets are files to fetch; their names carry their content's hash, so they
    // never change and browsers may keep them. The page itself is sendIndex's, never cached.
    allowedPath: (pathName) => pathName.startsWith('/assets/'),
    maxAge: 365 * 24 * 3600 * 1000,
    immutable: true,
    setHeaders: (response) => response.setHeader('x-content-type-options', 'nosniff'),
  });
  app.get('/', { schema: { hide: true } }, (_request, reply) => sendIndex(reply));
}
