// test-engine: either
import { once } from 'node:events';
import net from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { FONDS } from '../../test/helpers/fixtures.js';
import { openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { isErrorCode } from '../shared/error-codes.js';
import { type App, buildApp } from './app.js';
import { MAX_JSON_DEPTH } from './input-guard.js';

// Issue 23: every error the API gives — its own, the framework's (body parsing, content types, size
// limits, unknown routes and methods, schema validation, upload forms) and the HTTP parser's — is
// Chinese with a stable code from the catalog, never the engine's English.

let system: TestSystem;
let app: App;
let clerk: TestUser;
const BODY_LIMIT = 64 * 1024;

beforeAll(async () => {
  system = await openTestSystem();
  app = await buildApp({
    database: system.database,
    store: system.store,
    signingKey: system.signingKey,
    bodyLimit: BODY_LIMIT,
    console: false,
  });
  await createFonds(system.database.db, FONDS, 'test');
  clerk = await testUser(system.database.db, { roles: ['clerk'] });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

// What Fastify, ajv, busboy and Node say in English when nobody translates them.
const ENGINE_ENGLISH =
  /Unexpected token|Unexpected end|Body cannot be empty|is not valid JSON|must have required property|must be |must NOT|must match|must equal|Unsupported Media Type|Request body|too large|Not Found|Bad Request|Client Error|did not match|reach \w+ limit|Boundary not found|Malformed|not multipart|Route \w+:|Method Not Allowed|Exceeded maximum/i;
const CJK = /[\u4e00-\u9fff]/;

interface ErrorBody {
  error: { code: string; message: string; issues?: Array<{ field: string; message: string }> };
}

function expectChinese(text: string, status: number, code: string, actual: number): ErrorBody['error'] {
  expect(actual, text).toBe(status);
  const { error } = JSON.parse(text) as ErrorBody;
  expect(error.code).toBe(code);
  expect(isErrorCode(error.code), `${error.code} is in the catalog`).toBe(true);
  expect(error.message).toMatch(CJK);
  expect(error.message).not.toMatch(ENGINE_ENGLISH);
  for (const issue of error.issues ?? []) {
    expect(issue.message).toMatch(CJK);
    expect(issue.message).not.toMatch(ENGINE_ENGLISH);
  }
  return error;
}

const expectAnswer = (response: LightMyRequestResponse, status: number, code: string) => {
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return expectChinese(response.body, status, code, response.statusCode);
};

const login = (payload: string | undefined, headers: Record<string, string>) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload, headers });

describe('request bodies', () => {
  it('answers malformed, empty and over-deep JSON in Chinese', async () => {
    const json = { 'content-type': 'application/json' };
    for (const body of ['{"username": ', '{bad', '[1,]', '{"a":1}{'])
      expectAnswer(await login(body, json), 400, 'INVALID_JSON');
    const empty = expectAnswer(await login('', json), 400, 'INVALID_JSON');
    expect(empty.message).toContain('为空');
    // A "__proto__" key is refused as the parser refuses it, not passed on.
    expectAnswer(
      await login('{"__proto__":{"x":1},"username":"a","password":"b"}', json),
      400,
      'INVALID_JSON',
    );
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 5)}${']'.repeat(MAX_JSON_DEPTH + 5)}`;
    expectAnswer(await login(deep, json), 400, 'JSON_TOO_DEEP');
  });

  it('refuses other content types with 415, naming the type received', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const error = expectAnswer(
        await login('username=a', { 'content-type': type }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expect(error.message).toContain(`“${type}”`);
      expect(error.message).toContain('application/json');
    }
    const untyped = expectAnswer(await login('x', {}), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(untyped.message).toContain('未注明');
  });

  it('answers a body over the limit with 413 and one that disagrees with its length with 400', async () => {
    const big = JSON.stringify({ username: 'x'.repeat(BODY_LIMIT), password: 'y' });
    expectAnswer(await login(big, { 'content-type': 'application/json' }), 413, 'BODY_TOO_LARGE');
    const short = await login('{}', { 'content-type': 'application/json', 'content-length': '100' });
    expect(expectAnswer(short, 400, 'BAD_REQUEST').message).toContain('Content-Length');
  });
});

describe('routes', () => {
  it('answers an unknown route with 404 ROUTE_NOT_FOUND', async () => {
    const error = expectAnswer(
      await app.inject({ method: 'GET', url: '/api/v1/no-such-thing' }),
      404,
      'ROUTE_NOT_FOUND',
    );
    expect(error.message).toBe('没有这个接口：GET /api/v1/no-such-thing');
  });

  it('answers a known path asked with the wrong method with 405 and the methods it takes', async () => {
    const health = await app.inject({ method: 'DELETE', url: '/api/v1/health' });
    expect(expectAnswer(health, 405, 'METHOD_NOT_ALLOWED').message).toContain('GET、HEAD');
    expect(health.headers.allow).toBe('GET, HEAD');
    // A path with parameters: /items/{档号} is read (GET) and changed (PATCH), never PUT.
    const item = await app.inject({
      method: 'PUT',
      url: '/api/v1/items/J013-X-0001',
      headers: clerk.headers,
    });
    expectAnswer(item, 405, 'METHOD_NOT_ALLOWED');
    expect(String(item.headers.allow).split(', ')).toEqual(expect.arrayContaining(['GET', 'PATCH']));
    expect(String(item.headers.allow)).not.toContain('PUT');
    // A path no method serves stays a 404.
    expectAnswer(await app.inject({ method: 'DELETE', url: '/api/v1/nothing/here' }), 404, 'ROUTE_NOT_FOUND');
  });

  it('answers an undecodable path and an overlong parameter in Chinese', async () => {
    expectAnswer(
      await app.inject({ method: 'GET', url: '/api/v1/items/%E0%A4%A', headers: clerk.headers }),
      400,
      'BAD_URL',
    );
    const long = await app.inject({
      method: 'GET',
      url: `/api/v1/items/${'J'.repeat(300)}`,
      headers: clerk.headers,
    });
    expectAnswer(long, 414, 'PATH_TOO_LONG');
  });
});

describe('schema validation', () => {
  const post = (url: string, body: unknown) =>
    app.inject({
      method: 'POST',
      url,
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });

  it('says each failed rule in Chinese, with the field, never ajv’s words', async () => {
    const missing = expectAnswer(await post('/api/v1/auth/login', {}), 400, 'VALIDATION_FAILED');
    expect(missing.issues).toEqual([
      { field: 'username', message: '为必填项' },
      { field: 'password', message: '为必填项' },
    ]);
    expect(missing.message).toBe('请求不符合要求：username：为必填项；password：为必填项');
    const wrongType = expectAnswer(
      await post('/api/v1/auth/login', { username: 'a', password: { x: 1 } }),
      400,
      'VALIDATION_FAILED',
    );
    expect(wrongType.issues).toEqual([{ field: 'password', message: '应为文字' }]);
    const notObject = expectAnswer(await post('/api/v1/auth/login', ['a']), 400, 'VALIDATION_FAILED');
    expect(notObject.message).toContain('请求体应为对象');
  });

  it('names query parameters as such, with integers, bounds and choices in Chinese', async () => {
    const get = (url: string) => app.inject({ method: 'GET', url, headers: clerk.headers });
    const query = expectAnswer(await get('/api/v1/items?limit=abc&year=x'), 400, 'VALIDATION_FAILED');
    expect(query.issues).toEqual(
      expect.arrayContaining([
        { field: 'query.limit', message: '应为整数' },
        { field: 'query.year', message: '应为整数' },
      ]),
    );
    expect(query.message).toContain('查询参数 limit：应为整数');
    const bound = expectAnswer(await get('/api/v1/items?limit=0'), 400, 'VALIDATION_FAILED');
    expect(bound.issues?.[0]?.message).toBe('不能小于 1');
    const choice = expectAnswer(await get('/api/v1/search?sort=sideways'), 400, 'VALIDATION_FAILED');
    expect(choice.issues?.[0]?.message).toMatch(/^取值应为 .*之一$|不符合任何允许的形式/);
  });
});

describe('upload forms', () => {
  const importWith = (contentType: string, payload: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/imports',
      payload,
      headers: { ...clerk.headers, 'content-type': contentType },
    });

  it('refuses a form the parser cannot read, and a request that is not a form, in Chinese', async () => {
    expectAnswer(await importWith('multipart/form-data', 'abc'), 400, 'MULTIPART_INVALID');
    expectAnswer(await importWith('application/json', '{}'), 400, 'MULTIPART_REQUIRED');
    const cut = '--B\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nabc';
    expectAnswer(await importWith('multipart/form-data; boundary=B', cut), 400, 'UPLOAD_INCOMPLETE');
  });
});

describe('requests the HTTP parser cannot read', () => {
  let port: number;
  beforeAll(async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as net.AddressInfo).port;
  });

  /** Sends raw bytes and reads the whole answer (the server closes the connection after it). */
  function raw(request: string): Promise<{ status: number; body: string; head: string }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('error', () => {});
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const [head = '', body = ''] = text.split('\r\n\r\n');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
        if (!status) reject(new Error(`no answer: ${text}`));
        else resolve({ status, body, head });
      });
      socket.end(request);
    });
  }

  it('answers a malformed request line with a Chinese 400', async () => {
    const answer = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(answer.head).toMatch(/content-type: application\/json; charset=utf-8/i);
    expectChinese(answer.body, 400, 'BAD_REQUEST', answer.status);
    // Content-Length counts bytes, so the Chinese body arrives whole.
    expect(Number(/content-length: (\d+)/i.exec(answer.head)?.[1])).toBe(Buffer.byteLength(answer.body));
  });

  it('answers headers over the size limit with 431 HEADERS_TOO_LARGE', async () => {
    const answer = await raw(
      `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expectChinese(answer.body, 431, 'HEADERS_TOO_LARGE', answer.status);
  });
});

describe('a server that is stopping', () => {
  it('answers a request arriving on a kept-alive connection with a Chinese 503 SERVER_STOPPING', async () => {
    const stopping = await buildApp({ database: system.database, console: false });
    await stopping.listen({ port: 0, host: '127.0.0.1' });
    const { port } = stopping.server.address() as net.AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    const ended = once(socket, 'close');
    // A first request still sending its body keeps the connection busy while the server stops…
    socket.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = stopping.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // …then it finishes, and a second request follows on the same connection.
    socket.write('{}GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    socket.destroy();
    await closed;
    const answers = Buffer.concat(chunks)
      .toString('utf8')
      .split(/(?=HTTP\/1\.1 )/);
    const last = answers.at(-1) as string;
    const [head = '', body = ''] = last.split('\r\n\r\n');
    expectChinese(body, 503, 'SERVER_STOPPING', Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]));
    expect(head).toMatch(/connection: close/i);
  });
});
