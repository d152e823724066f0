import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { type App, buildApp } from '../../src/http/app.js';
import { CSRF_HEADER, SESSION_COOKIE } from '../../src/http/auth.js';
import type { ScopeRow } from '../../src/modules/access/access.repo.js';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { TEST_PASSWORD } from './access.js';
import { SYSTEM } from './fixture-access.js';
import { FONDS, reimbursement, validId } from './fixtures.js';
import { openTestSystem, type TestSystem } from './system.js';

// Shared set-up for the src/http/access-api.*.test.ts files: the access layer over HTTP on a real
// database. The file and log routes need a blob store and a signing key, so the app is built over a
// whole test system (its database comes from openTestDatabase like any other). Each test file calls
// useAccessApi() once at its top level and gets its own system and app.

let system: TestSystem;
/** The app of the current test file, set by useAccessApi's beforeAll (an ESM live binding). */
export let app: App;

const OTHER_FONDS = { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' };
/** The 参保人's own ID number, and somebody else's. */
export const OWN_ID = validId('32011519850312123');
export const OTHER_ID = validId('32011619900101123');
/** A business user's slice: fonds J013, 江宁区, the 费用结算 branch (JSLX lies in it). */
export const BUSINESS_SCOPE: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: 'JS' }];

/** Opens the test system and builds the app before the file's tests, and closes both after them. */
export function useAccessApi(): void {
  beforeAll(async () => {
    system = await openTestSystem();
    app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
    await createFonds(system.database.db, FONDS, 'test');
    await createFonds(system.database.db, OTHER_FONDS, 'test');
  });
  afterAll(async () => {
    await app?.close();
    await system?.dispose();
  });
}

export const db = () => system.database.db;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Headers = Record<string, string>;

export function call(method: Method, url: string, headers: Headers = {}, payload?: unknown) {
  return app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

export const codeUrl = (code: string) => `/api/v1/items/${encodeURIComponent(code)}`;
export const errorOf = (response: LightMyRequestResponse) =>
  (response.json() as { error: { code: string; message: string } }).error;

export function login(username: string, password = TEST_PASSWORD, totp?: string) {
  return call('POST', '/api/v1/auth/login', {}, { username, password, ...(totp ? { totp } : {}) });
}

export interface Session {
  cookie: string;
  csrfToken: string;
  /** Headers for a read (cookie only). */
  read: Headers;
  /** Headers for a change (cookie and the CSRF token). */
  write: Headers;
}

export function sessionFrom(response: LightMyRequestResponse): Session {
  expect(response.statusCode, response.body).toBe(200);
  const cookie = response.cookies.find((entry) => entry.name === SESSION_COOKIE);
  expect(cookie?.value).toBeTruthy();
  const csrfToken = (response.json() as { csrfToken: string }).csrfToken;
  const read = { cookie: `${SESSION_COOKIE}=${cookie?.value}` };
  return { cookie: cookie?.value as string, csrfToken, read, write: { ...read, [CSRF_HEADER]: csrfToken } };
}

export async function signIn(username: string): Promise<Session> {
  return sessionFrom(await login(username));
}

export async function fileDirectly(overrides: Record<string, unknown> = {}): Promise<string> {
  const [filed] = await fileItems(db(), [reimbursement(overrides)], 'test', { access: SYSTEM });
  return filed?.archiveCode as string;
}

export function multipartFile(fileName: string, content = 'PDF') {
  const boundary = '----yidang-access-test';
  const payload = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n` +
      `Content-Type: application/pdf\r\n\r\n${content}\r\n--${boundary}--\r\n`,
  );
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}
