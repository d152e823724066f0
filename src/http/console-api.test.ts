// test-engine: either
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPE, type TestUser, testUser } from '../../test/helpers/access.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { FONDS, reimbursement } from '../../test/helpers/fixtures.js';
import { openTestSystem, storage, streamOf, type TestSystem } from '../../test/helpers/system.js';
import type { ScopeRow } from '../modules/access/access.repo.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { fileItems } from '../modules/catalog/item.service.js';
import { addFile } from '../modules/storage/file.service.js';
import { VERIFY_RUN_JOB } from '../modules/verify/verify-run.service.js';
import { systemJobRuntime } from '../system/jobs.js';
import { type App, buildApp } from './app.js';

// The console's server side over HTTP: the dashboard within the caller's scope, the caller's own
// saved searches, verify runs started in the background, and the system status for the 系统管理员.

let system: TestSystem;
let app: App;
let clerk: TestUser;
let otherClerk: TestUser;
let manager: TestUser;
let sysadmin: TestUser;
let auditor: TestUser;

const BUSINESS: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: 'JS' }];

const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, user?: TestUser, payload?: object) =>
  app.inject({
    method,
    url: `/api/v1${url}`,
    headers: user?.headers ?? {},
    ...(payload ? { payload } : {}),
  });
const searchUrl = (name: string) => `/saved-searches/${encodeURIComponent(name)}`;

beforeAll(async () => {
  // A missing OCR engine, so its status is known whatever this machine has installed.
  system = await openTestSystem({ env: { YIDANG_TESSERACT: '/nonexistent/tesseract' } });
  app = await buildApp({
    database: system.database,
    store: system.store,
    signingKey: system.signingKey,
    control: { system, token: 'console-api-test' },
  });
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  await createFonds(db, { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
  const [filed] = await fileItems(
    db,
    [
      reimbursement({ date: '2023-04-01' }),
      reimbursement({ date: '2024-04-01' }),
      reimbursement({ fonds: 'J014', poolingRegion: '320116', date: '2024-05-01' }),
    ],
    'test',
    { access: SYSTEM },
  );
  const code = filed?.archiveCode as string;
  // One stored file, so a verify reads replicas (where the 409 test holds it).
  await addFile(storage(system), code, { stream: streamOf('%PDF-1.4 发票'), fileName: 'a.pdf' }, 'test');
  clerk = await testUser(db, { roles: ['clerk'], scope: BUSINESS });
  otherClerk = await testUser(db, { roles: ['clerk'], scope: BUSINESS });
  manager = await testUser(db, { roles: ['manager'], scope: ALL_SCOPE });
  sysadmin = await testUser(db, { roles: ['sysadmin'] });
  auditor = await testUser(db, { roles: ['auditor'] });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

describe('GET /stats/overview', () => {
  it('counts only what lies in the caller’s scope', async () => {
    const scoped = await call('GET', '/stats/overview', clerk);
    expect(scoped.statusCode, scoped.body).toBe(200);
    expect(scoped.json().archive).toMatchObject({
      total: 2,
      byCategory: [{ code: 'JSLX', name: '个人零星报销', count: 2 }],
      byYear: [
        { year: 2023, count: 1 },
        { year: 2024, count: 1 },
      ],
      byCarrier: { paper: 0, electronic: 2, hybrid: 0 },
      electronic: { count: 2, rate: 1 },
      digitization: { paper: 0, digitized: 0, rate: null },
    });
    expect(scoped.json().approvals).toEqual({ scope: 'mine', pending: 0 });
    const everything = await call('GET', '/stats/overview', manager);
    expect(everything.json().archive.total).toBe(3);
    expect(everything.json().archive.byYear).toEqual([
      { year: 2023, count: 1 },
      { year: 2024, count: 2 },
    ]);
  });

  it('leaves the archive out for a role that may not read it, and needs a sign-in', async () => {
    const admin = await call('GET', '/stats/overview', sysadmin);
    expect(admin.statusCode).toBe(200);
    expect(admin.json()).toMatchObject({ archive: null, ocr: { queued: 0, running: 0 } });
    expect((await call('GET', '/stats/overview')).statusCode).toBe(401);
  });
});

describe('saved searches', () => {
  it('saves, lists, replaces and deletes the caller’s own searches', async () => {
    const saved = await call('PUT', searchUrl('江宁零星报销'), clerk, {
      query: '零星报销',
      filters: { fonds: 'J013', yearFrom: 2023, sort: 'date' },
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({
      name: '江宁零星报销',
      query: '零星报销',
      filters: { fonds: 'J013', yearFrom: 2023, sort: 'date' },
    });
    expect(saved.json().createdAt).toEqual(expect.any(String));
    const listed = await call('GET', '/saved-searches', clerk);
    expect(listed.json().searches.map((search: { name: string }) => search.name)).toEqual(['江宁零星报销']);
    // Another user has none of them, and cannot delete them.
    expect((await call('GET', '/saved-searches', otherClerk)).json()).toEqual({ searches: [] });
    const foreign = await call('DELETE', searchUrl('江宁零星报销'), otherClerk);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('SAVED_SEARCH_NOT_FOUND');

    const replaced = await call('PUT', searchUrl('江宁零星报销'), clerk, { query: '住院' });
    expect(replaced.json()).toMatchObject({ query: '住院', filters: {} });
    // Any characters a name may hold travel URL-encoded, a slash included.
    const slashed = await call('PUT', searchUrl('门诊/住院 100%'), clerk, { query: '门诊' });
    expect(slashed.json().name).toBe('门诊/住院 100%');
    expect((await call('DELETE', searchUrl('门诊/住院 100%'), clerk)).statusCode).toBe(204);
    expect((await call('DELETE', searchUrl('江宁零星报销'), clerk)).statusCode).toBe(204);
    expect((await call('GET', '/saved-searches', clerk)).json()).toEqual({ searches: [] });
  });

  it('refuses bad input with Chinese 400s, and callers without item.read', async () => {
    const long = await call('PUT', searchUrl('长'.repeat(41)), clerk, { query: '' });
    expect(long.statusCode).toBe(400);
    expect(long.json().error.message).toContain('最多 40 个字符');
    const unknown = await call('PUT', searchUrl('方案'), clerk, { query: '', filters: { colour: 'red' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain('colour');
    const noQuery = await call('PUT', searchUrl('方案'), clerk, { filters: {} });
    expect(noQuery.statusCode).toBe(400);
    expect((await call('GET', '/saved-searches', sysadmin)).statusCode).toBe(403);
  });
});

describe('verify runs', () => {
  const runs = async () => (await call('GET', '/integrity/verify-runs', auditor)).json();
  // The server's job workers take the run (verify.run); here the test is the worker.
  const work = () => systemJobRuntime(system).drain([VERIFY_RUN_JOB]);

  it('starts a verify in the background (202) that is then listed as finished and whole', async () => {
    const started = await call('POST', '/integrity/verify-runs', sysadmin, {});
    expect(started.statusCode, started.body).toBe(202);
    const { id, status } = started.json();
    expect(status).toBe('running');
    expect(await work()).toMatchObject({ done: 1 });
    const listed = await runs();
    expect(listed.running).toBe(false);
    expect(listed.runs[0], JSON.stringify(listed.runs[0])).toMatchObject({
      id,
      status: 'finished',
      via: 'api',
      ok: true,
      problemCount: 0,
      items: 3,
      deep: false,
      firstProblem: null,
    });
    // The dashboard shows the verdict to anyone signed in.
    const overview = await call('GET', '/stats/overview', clerk);
    expect(overview.json().verify).toMatchObject({ id, status: 'finished', ok: true, problemCount: 0 });
  });

  it('refuses a second run while one is going (409), and callers without the permission', async () => {
    const first = await call('POST', '/integrity/verify-runs', sysadmin, { deep: true });
    expect(first.statusCode, first.body).toBe(202);
    const second = await call('POST', '/integrity/verify-runs', sysadmin, { deep: true });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('VERIFY_RUNNING');
    const during = await runs();
    expect(during.running).toBe(true);
    expect(during.runs[0]).toMatchObject({
      id: first.json().id,
      status: 'running',
      ok: null,
      finishedAt: null,
    });
    expect(await work()).toMatchObject({ done: 1 });
    expect((await runs()).running).toBe(false);
    expect((await runs()).runs[0]).toMatchObject({ status: 'finished', deep: true, ok: true });
    expect((await call('POST', '/integrity/verify-runs', clerk, {})).statusCode).toBe(403);
    expect((await call('POST', '/integrity/verify-runs', auditor, {})).statusCode).toBe(403);
    expect((await call('GET', '/integrity/verify-runs', clerk)).statusCode).toBe(403);
  });
});

describe('GET /system/status', () => {
  it('is for the 系统管理员 only', async () => {
    const refused = await call('GET', '/system/status', clerk);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('FORBIDDEN');
  });

  it('lists the replicas, the keys, OCR and ClamAV, and never a key itself', async () => {
    const response = await call('GET', '/system/status', sysadmin);
    expect(response.statusCode, response.body).toBe(200);
    const status = response.json();
    expect(status.database).toBe(system.database.kind);
    expect(status.replicas).toEqual([
      {
        name: 'r1',
        kind: 'directory',
        location: path.join(system.home, 'replica-1'),
        endpoint: null,
        required: true,
      },
      {
        name: 'r2',
        kind: 'directory',
        location: path.join(system.home, 'replica-2'),
        endpoint: null,
        required: true,
      },
    ]);
    expect(status.keys).toMatchObject({
      source: 'file',
      currentMasterKey: system.keyring.current.id,
      masterKeys: [{ id: system.keyring.current.id, current: true, dataKeys: 1 }],
      pendingRotation: 0,
      signingAlgorithm: 'ed25519',
    });
    expect(status.keys.verifierKey).toMatch(/^yidang\.local\/log-[0-9a-f]+\+[0-9a-f]{8}\+/);
    expect(status.ocr).toMatchObject({ available: false, command: '/nonexistent/tesseract' });
    expect(status.ocr.problem).toContain('未找到 OCR 引擎');
    expect(status.clamav).toEqual({
      available: expect.any(Boolean),
      problem: status.clamav.available ? null : expect.stringContaining('ClamAV'),
      database: null,
    });
    expect(response.body).not.toContain('PRIVATE KEY');
  });

  it('works without the server’s configuration, telling only what it has', async () => {
    const bare = await buildApp({ database: system.database, store: system.store });
    try {
      const response = await bare.inject({
        method: 'GET',
        url: '/api/v1/system/status',
        headers: sysadmin.headers,
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({
        ocr: null,
        keys: { signingAlgorithm: null, verifierKey: null },
      });
      expect(response.json().replicas.map((replica: { name: string }) => replica.name)).toEqual(['r1', 'r2']);
    } finally {
      await bare.close();
    }
  });
});
