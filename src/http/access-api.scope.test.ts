// test-engine: either
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import {
  app,
  BUSINESS_SCOPE,
  call,
  codeUrl,
  db,
  errorOf,
  fileDirectly,
  login,
  multipartFile,
  OTHER_ID,
  useAccessApi,
} from '../../test/helpers/access-api.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { reimbursement } from '../../test/helpers/fixtures.js';
import { countItems } from '../modules/catalog/item.service.js';

// The access layer over HTTP on a real database, part 2: hostile input. The shared set-up is in
// test/helpers/access-api.ts; the other parts are access-api.sign-in.test.ts,
// access-api.accounts.test.ts and access-api.matrix.test.ts (what every role may do to which item:
// role × action × sensitivity × scope × grant).

useAccessApi();

// ---- hostile input ------------------------------------------------------------------------------

describe('hostile input', () => {
  let clerk: TestUser;
  let insideCode: string;
  let outsideCode: string;
  beforeAll(async () => {
    clerk = await testUser(db(), { roles: ['clerk'], scope: BUSINESS_SCOPE });
    insideCode = await fileDirectly({ title: '注入测试 范围内' });
    outsideCode = await fileDirectly({ fonds: 'J014', idNumber: OTHER_ID, title: '注入测试 范围外' });
  });

  const INJECTIONS = [
    "x' or '1'='1",
    "J013' OR 1=1 --",
    "'; drop table archive_item; --",
    "' union select * from app_user --",
    '1 or 1=1',
    '%',
    '*',
  ];

  it('refuses injection-looking list filters and never widens the list', async () => {
    const inScopeOnly = (
      items: Array<{ archiveCode: string; fonds: string; poolingRegion: string | null }>,
    ) => items.every((item) => item.fonds === 'J013' && item.poolingRegion === '320115');
    for (const parameter of ['fonds', 'category', 'year', 'cursor', 'limit']) {
      for (const value of INJECTIONS) {
        const response = await call(
          'GET',
          `/api/v1/items?${parameter}=${encodeURIComponent(value)}`,
          clerk.headers,
        );
        const label = `${parameter}=${value}`;
        if (value.length > 4 || parameter !== 'fonds')
          expect([400, 404], label).toContain(response.statusCode);
        else {
          // A short string fits the fonds code's length and simply names no fonds.
          expect([200, 400, 404], label).toContain(response.statusCode);
          if (response.statusCode === 200) expect(response.json().items, label).toEqual([]);
        }
        expect(response.body, label).not.toContain(outsideCode);
        expect(response.body, label).not.toContain(insideCode);
      }
    }
    // The same parameter twice is not a way round the filter or the scope.
    const twice = await call('GET', '/api/v1/items?fonds=J013&fonds=J014&limit=1000', clerk.headers);
    expect(twice.body).not.toContain(outsideCode);
    const otherFonds = await call('GET', '/api/v1/items?fonds=J014&limit=1000', clerk.headers);
    expect(otherFonds.statusCode).toBe(200);
    expect(otherFonds.json().items).toEqual([]);
    const all = await call('GET', '/api/v1/items?limit=1000', clerk.headers);
    expect(all.statusCode).toBe(200);
    expect(inScopeOnly(all.json().items)).toBe(true);
    expect(all.body).toContain(insideCode);
    expect(all.body).not.toContain(outsideCode);
  });

  it('refuses injection-looking ID numbers and never matches an item through them', async () => {
    for (const value of [...INJECTIONS, `${OTHER_ID}' or '1'='1`, `${OTHER_ID.slice(0, 17)}%`]) {
      const response = await call(
        'GET',
        `/api/v1/items?idNumber=${encodeURIComponent(value)}`,
        clerk.headers,
      );
      expect(response.statusCode, value).toBe(400);
      expect(response.body, value).not.toContain(outsideCode);
      expect(response.body, value).not.toContain(insideCode);
    }
    // A well-formed number outside the clerk's scope finds nothing, exactly like an unknown one.
    const outside = await call('GET', `/api/v1/items?idNumber=${OTHER_ID}`, clerk.headers);
    expect(outside.statusCode).toBe(200);
    expect(outside.json().items).toEqual([]);
  });

  it('takes injection-looking audit filters as plain values, finding nothing and failing nothing', async () => {
    const auditor = await testUser(db(), { roles: ['auditor'] });
    for (const parameter of ['actor', 'action', 'subject', 'trace', 'grant', 'from', 'to']) {
      for (const value of INJECTIONS) {
        const response = await call(
          'GET',
          `/api/v1/audit/events?${parameter}=${encodeURIComponent(value)}`,
          auditor.headers,
        );
        const label = `${parameter}=${value}`;
        expect([200, 400], label).toContain(response.statusCode);
        if (response.statusCode === 200) expect(response.json().entries, label).toEqual([]);
      }
    }
    const all = await call('GET', '/api/v1/audit/events?limit=5', auditor.headers);
    expect(all.json().entries.length).toBeGreaterThan(0);
  });

  it('answers 404 for injection-looking 档号 in paths', async () => {
    for (const value of [...INJECTIONS, `${insideCode.slice(0, 6)}%`, `${outsideCode}' or '1'='1`]) {
      for (const suffix of ['', '/versions', '/files']) {
        const response = await call('GET', `${codeUrl(value)}${suffix}`, clerk.headers);
        expect(response.statusCode, `${value}${suffix}`).toBe(404);
        expect(errorOf(response).code).toBe('ITEM_NOT_FOUND');
        expect(response.body).not.toContain(insideCode);
      }
    }
    const archivist = await testUser(db(), { roles: ['archivist'], scope: BUSINESS_SCOPE });
    const patched = await call('PATCH', codeUrl("x' or '1'='1"), archivist.headers, {
      title: '改',
      reason: '注入',
    });
    expect(patched.statusCode).toBe(404);
    const versions = await call('GET', `${codeUrl(insideCode)}/versions`, archivist.headers);
    expect(versions.json().versions).toHaveLength(1);
  });

  it('answers injection-looking 档号 in an access request like unknown ones, and refuses odd request ids', async () => {
    const sensitive = await fileDirectly({ title: '注入测试 敏感', sensitivity: 'sensitive' });
    const outsideSensitive = await fileDirectly({
      fonds: 'J014',
      idNumber: OTHER_ID,
      title: '注入测试 范围外敏感',
      sensitivity: 'sensitive',
    });
    for (const value of [...INJECTIONS, `${sensitive}' or '1'='1`, outsideSensitive]) {
      const response = await call('POST', '/api/v1/access-requests', clerk.headers, {
        items: [value],
        purpose: '注入测试用途',
      });
      expect(response.statusCode, value).toBe(404);
      expect(errorOf(response).code, value).toBe('ITEM_NOT_FOUND');
      expect(response.body, value).not.toContain(insideCode);
      expect(response.body, value).not.toContain('注入测试');
    }
    for (const id of ["1' or '1'='1", '1 or 1=1', '0', '-1', '1.5', '99999999999', '%27'])
      for (const suffix of ['', '/withdraw']) {
        const url = `/api/v1/access-requests/${encodeURIComponent(id)}${suffix}`;
        const response = await call(suffix ? 'POST' : 'GET', url, clerk.headers, suffix ? {} : undefined);
        expect(response.statusCode, url).toBe(400);
      }
    const listed = await call('GET', '/api/v1/access-requests?status=pending%27%20or%201%3D1', clerk.headers);
    expect(listed.statusCode).toBe(400);
    const mine = await call('GET', '/api/v1/access-requests', clerk.headers);
    expect(mine.json().requests).toEqual([]);
  });

  it("refuses an edit that would move an item out of the editor's scope", async () => {
    const archivist = await testUser(db(), { roles: ['archivist'], scope: BUSINESS_SCOPE });
    const moved = await call('PATCH', codeUrl(insideCode), archivist.headers, {
      poolingRegion: '320116',
      reason: '移出范围',
    });
    expect(moved.statusCode).toBe(400);
    expect(JSON.stringify(moved.json())).toMatch(/授权范围/);
    const shown = await call('GET', codeUrl(insideCode), archivist.headers);
    expect(shown.json()).toMatchObject({ poolingRegion: '320115', version: 1 });
  });

  it('refuses injection-looking usernames at sign-in like any unknown user', async () => {
    const reference = errorOf(await login('nobody-at-all', 'Wrong-Passw0rd!'));
    for (const username of [
      "admin' --",
      "' OR '1'='1",
      `${clerk.username}' --`,
      `${clerk.username}' or '1'='1`,
    ]) {
      const response = await login(username, "' OR '1'='1");
      expect(response.statusCode, username).toBe(401);
      expect(errorOf(response)).toEqual(reference);
      expect(response.cookies).toEqual([]);
    }
  });

  it('refuses a 40 MB body with 413 (and an anonymous one before reading it)', async () => {
    const huge = JSON.stringify(reimbursement({ title: 'x'.repeat(40 * 1024 * 1024) }));
    const before = await countItems(db(), SYSTEM);
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: huge,
      headers: { ...clerk.headers, 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(413);
    expect(errorOf(response).code).toBe('BODY_TOO_LARGE');
    const anonymous = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      payload: huge,
      headers: { 'content-type': 'application/json' },
    });
    expect(anonymous.statusCode).toBe(401);
    const signIn = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: JSON.stringify({ username: clerk.username, password: 'x'.repeat(40 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(signIn.statusCode).toBe(413);
    expect(await countItems(db(), SYSTEM)).toBe(before);
  });

  it('refuses path tricks in uploaded file names', async () => {
    for (const name of [
      '../x.pdf',
      '..\\x.pdf',
      'a/../../x.pdf',
      '/etc/passwd',
      '..',
      'C:\\Windows\\x.pdf',
    ]) {
      const { payload, contentType } = multipartFile(name);
      const response = await app.inject({
        method: 'POST',
        url: `${codeUrl(insideCode)}/files`,
        payload,
        headers: { ...clerk.headers, 'content-type': contentType },
      });
      expect(response.statusCode, name).toBe(400);
      expect(errorOf(response).code, name).toBe('FILE_NAME_INVALID');
    }
    const files = await call('GET', `${codeUrl(insideCode)}/files`, clerk.headers);
    expect(files.json().files).toEqual([]);
    const { payload, contentType } = multipartFile('门诊发票.pdf');
    const good = await app.inject({
      method: 'POST',
      url: `${codeUrl(insideCode)}/files`,
      payload,
      headers: { ...clerk.headers, 'content-type': contentType },
    });
    expect(good.statusCode).toBe(201);
    expect(good.json()).toMatchObject({ fileName: '门诊发票.pdf', addedBy: clerk.username });
  });
});
