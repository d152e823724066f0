import type { LightMyRequestResponse } from 'fastify';
import { PDFDocument } from 'pdf-lib';
import { expect } from 'vitest';
import { type App, buildApp } from '../../src/http/app.js';
import type { ScopeRow } from '../../src/modules/access/access.repo.js';
import { maskName } from '../../src/modules/catalog/item.mask.js';
import { permissionsOf, type Role } from '../../src/modules/access/roles.js';
import { createApiToken } from '../../src/modules/access/session.service.js';
import { createUser } from '../../src/modules/access/user.service.js';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { renderScanPage } from '../../src/modules/demo/scan-pages.js';
import type { RosterPerson } from '../../src/modules/demo/roster.js';
import { catchUpIndex } from '../../src/modules/search/indexer.js';
import { ALL_SCOPE, TEST_PASSWORD, type TestUser, testUser } from './access.js';
import { FONDS, reimbursement, validId } from './fixtures.js';
import { rosterEntry, storeRoster } from './roster.js';
import { openTestSystem, type TestSystem } from './system.js';

// The world of the scope-and-masking test (src/http/scope-and-masking.test.ts, test/cli-scope-and-masking.test.ts):
// fonds J013 (江宁区, in the callers' scope) and J014 (六合区, outside it), items with ID numbers,
// sensitive items, files, scans, duplicates, a roster in both districts, and a ledger, a
// reconciliation, an import, a check report and an access request made by ANOTHER user. Everything
// that is only outside the scope carries a marker (OUTSIDE_MARKERS) no output for the callers may hold.

export const OUT_FONDS = { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' };
/** The scope of every caller under test: all of J013, nothing else. */
export const J013_SCOPE: ScopeRow[] = [{ fondsCode: 'J013', regionCode: null, categoryCode: null }];

/** People of J013 (their names may be shown masked; their ID numbers never in the clear). */
export const IN_PEOPLE = {
  item: { name: '王建国', id: validId('32011519850312123') },
  sensitive: { name: '刘德明', id: validId('32011519700505211') },
  roster: { name: '张三丰', id: validId('32011519800101101') },
  rosterTwo: { name: '李秀英', id: validId('32011519660606222') },
};
/** People only outside the scope: distinctive names no in-scope record holds. */
export const OUT_PEOPLE = {
  item: { name: '慕容远郊', id: validId('32011619900101123') },
  sensitive: { name: '上官六合', id: validId('32011619751111345') },
  roster: { name: '司马外县', id: validId('32011619820202456') },
  rosterTwo: { name: '欧阳江北', id: validId('32011619580808567') },
};

/** What must never appear in an answer to a J013 caller: the other fonds, its district, its people (also masked). */
export const OUTSIDE_MARKERS: string[] = [
  'J014',
  '六合',
  ...Object.values(OUT_PEOPLE).flatMap((person) => [person.name, maskName(person.name) as string]),
];

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Call {
  method: Method;
  url: string;
  body?: unknown;
  /** A multipart upload in field `file`. */
  file?: { name: string; content: Buffer };
}

export function multipart(name: string, content: Buffer) {
  const boundary = '----yidang-scope-test';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  return {
    payload: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

export function send(app: App, user: TestUser, call: Call): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...user.headers };
  let payload: string | Buffer | undefined;
  if (call.file) {
    const form = multipart(call.file.name, call.file.content);
    headers['content-type'] = form.contentType;
    payload = form.payload;
  } else if (call.body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(call.body);
  }
  return app.inject({ method: call.method, url: call.url, headers, ...(payload ? { payload } : {}) });
}

/** An account whose API token holds the roles' permissions less some (the way to get "no unmask"). */
async function scopedUser(
  db: TestSystem['database']['db'],
  username: string,
  roles: Role[],
  scope: ScopeRow[],
  without: string[] = [],
): Promise<TestUser> {
  const created = await createUser(db, { username, password: TEST_PASSWORD, roles, scope }, 'test');
  const permissions = [...permissionsOf(roles)].filter((permission) => !without.includes(permission));
  const { token } = await createApiToken(db, { username, name: 'scope-test', permissions, days: 1 }, 'test');
  return { username, token, headers: { authorization: `Bearer ${token}` }, totpSecret: created.totpSecret };
}

export const code = (archiveCode: string) => encodeURIComponent(archiveCode);

export async function blankPdf(): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  pdf.addPage([595, 842]);
  return Buffer.from(await pdf.save());
}

function rosterPerson(
  person: { name: string; id: string },
  district: string,
  disease?: string,
): RosterPerson {
  const entry = rosterEntry(person.name, person.id);
  entry.address = `南京市${district}示例街道1号`;
  entry.statuses = [{ identity: 'poverty', source: '扶贫办', includedOn: '2020-01-01', exitedOn: null }];
  entry.contributions = [
    { scheme: 'resident', periodYear: 2026, paidOn: '2025-10-01', amount: 380, subsidy: 380 },
  ];
  entry.settlements = [
    {
      visitType: 'inpatient',
      institution: `${district}人民医院`,
      visitStart: '2026-03-01',
      visitEnd: '2026-03-08',
      settledOn: '2026-03-08',
      totalCost: 8000,
      insurancePaid: 5000,
      assistancePaid: 1500,
      criticalPaid: 0,
      reassistancePaid: 0,
    },
  ];
  if (disease)
    entry.certificates = [{ kind: 'hypertension', disease, issuedOn: '2021-05-01', revokedOn: null }];
  return entry;
}

export interface ScopeWorld {
  system: TestSystem;
  app: App;
  /** The callers under test, all scoped to J013/*\/* and none allowed to unmask. */
  clerk: TestUser;
  /** Every business role (经办、审核、档案员、管理), token without item.unmask: reaches the most routes. */
  reader: TestUser;
  /** A 安全审计员 of J013 only. */
  auditor: TestUser;
  /** Another user who may see everything and unmask: made the things the callers must not see. */
  other: TestUser;
  inside: { item: string; sensitive: string; ledger: string };
  outside: { item: string; sensitive: string };
  /** Ids of things made by the other user about J014 (or about everybody). */
  foreign: {
    request: number;
    run: number;
    check: number;
    batch: number;
    duplicate: number;
    importJob: number;
  };
  /** Ids of the J013 counterparts, where the route's answer may be shown. */
  own: { request: number; batch: number; duplicate: number; check: number };
  /** Reconciliation runs each caller made during the walk. */
  runsBy: Map<string, number[]>;
  setupProblems: string[];
}

/** Things of the fixture that could not be made (a module being changed): the walk still runs, the test names them. */
const setupProblems: string[] = [];

async function soft(what: string, response: LightMyRequestResponse, fallback: unknown): Promise<unknown> {
  if (response.statusCode === 200 || response.statusCode === 201) return response.json();
  setupProblems.push(`${what}: ${response.statusCode} ${response.body.slice(0, 200)}`);
  return fallback;
}

async function ok(response: LightMyRequestResponse, status = [200, 201]): Promise<Record<string, unknown>> {
  expect(status, `${response.statusCode} ${response.body.slice(0, 300)}`).toContain(response.statusCode);
  return response.json();
}

export async function openScopeWorld(): Promise<ScopeWorld> {
  const system = await openTestSystem();
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  await createFonds(db, OUT_FONDS, 'test');
  const app = await buildApp({
    database: system.database,
    store: system.store,
    signingKey: system.signingKey,
    control: { system, token: 'scope-test-control-token' },
    console: false,
    // SCOPE_TEST_LOG=1 shows the server's log (a 500's stack) while the walk runs.
    logger: Boolean(process.env.SCOPE_TEST_LOG),
  });
  const clerk = await scopedUser(db, 'scope-clerk', ['clerk'], J013_SCOPE);
  const reader = await scopedUser(
    db,
    'scope-reader',
    ['clerk', 'reviewer', 'archivist', 'manager'],
    J013_SCOPE,
    ['item.unmask'],
  );
  const auditor = await scopedUser(db, 'scope-auditor', ['auditor'], J013_SCOPE);
  const other = await testUser(db, { roles: ['archivist'], scope: ALL_SCOPE, username: 'other-archivist' });
  const by = (call: Call) => send(app, other, call);

  // Items: one ordinary and one sensitive (by diagnosis) on each side, plus a duplicate pair on each side.
  const file = async (overrides: Record<string, unknown>) =>
    (
      (await ok(await by({ method: 'POST', url: '/api/v1/items', body: reimbursement(overrides) }))) as {
        archiveCode: string;
      }
    ).archiveCode;
  const liuhe = {
    fonds: 'J014',
    poolingRegion: '320116',
    responsible: '南京市六合区医疗保障局',
    agency: '六合区医保服务中心',
    extra: { hospital: '六合人民医院' },
  };
  const person = (p: { name: string; id: string }, title: string) => ({
    name: p.name,
    idNumber: p.id,
    title: `${p.name} ${title}`,
    businessType: '零星报销',
  });
  const inside = {
    item: await file({
      ...person(IN_PEOPLE.item, '个人零星医疗费用报销审核表'),
      insuredNumber: '3201150000001',
    }),
    sensitive: await file({
      ...person(IN_PEOPLE.sensitive, '门诊特殊病种待遇审核表'),
      insuredNumber: '3201150000002',
      extra: { hospital: '江宁医院', diagnosis: '精神分裂症（F20.0）' },
    }),
    ledger: '',
  };
  const outside = {
    item: await file({
      ...liuhe,
      ...person(OUT_PEOPLE.item, '住院费用报销审核表'),
      insuredNumber: '3201160000001',
    }),
    sensitive: await file({
      ...liuhe,
      ...person(OUT_PEOPLE.sensitive, '门诊特殊病种待遇审核表'),
      insuredNumber: '3201160000002',
      extra: { hospital: '六合人民医院', diagnosis: '艾滋病（B20）' },
    }),
  };
  // Pushed again by the settlement system (same 参保号 and 业务类型 within 72 hours): flagged as duplicates.
  const push = async (serial: string, item: Record<string, unknown>) =>
    ok(
      await by({
        method: 'POST',
        url: '/api/v1/ingest',
        body: { source: '结算系统', serial, item: reimbursement(item) },
      }),
    );
  await push('dup-j013', {
    ...person(IN_PEOPLE.item, '个人零星医疗费用报销审核表（重报）'),
    insuredNumber: '3201150000001',
  });
  await push('dup-j014', {
    ...liuhe,
    ...person(OUT_PEOPLE.item, '住院费用报销审核表（重报）'),
    insuredNumber: '3201160000001',
  });
  // An edit with a reason, so there are versions and change events.
  await ok(
    await by({
      method: 'PATCH',
      url: `/api/v1/items/${code(outside.item)}`,
      body: {
        title: `${OUT_PEOPLE.item.name} 住院费用报销审核表（补正）`,
        reason: `${OUT_PEOPLE.item.name}补交发票`,
      },
    }),
  );

  // Electronic files and scans, named after their people as clerks name them.
  const pdf = await blankPdf();
  for (const [archiveCode, owner] of [
    [inside.item, IN_PEOPLE.item.name],
    [outside.item, OUT_PEOPLE.item.name],
  ] as const)
    await ok(
      await by({
        method: 'POST',
        url: `/api/v1/items/${code(archiveCode)}/files`,
        file: { name: `${owner}-出院小结.pdf`, content: pdf },
      }),
    );
  const batchOf = async (fondsCode: string, name: string) =>
    (
      (await ok(await by({ method: 'POST', url: '/api/v1/scan-batches', body: { fondsCode, name } }))) as {
        id: number;
      }
    ).id;
  const ownBatch = await batchOf('J013', '江宁区2024年第一批');
  const foreignBatch = await batchOf('J014', '六合区2024年第一批');
  const scan = await renderScanPage({ lines: ['住院费用结算单'], colour: 'bitonal' });
  await ok(
    await by({
      method: 'POST',
      url: `/api/v1/items/${code(inside.item)}/scans?batch=${ownBatch}`,
      file: { name: '江宁-0001.png', content: scan },
    }),
  );
  await ok(
    await by({
      method: 'POST',
      url: `/api/v1/items/${code(outside.item)}/scans?batch=${foreignBatch}`,
      file: { name: `${OUT_PEOPLE.item.name}-0001.png`, content: scan },
    }),
  );
  await ok(await by({ method: 'POST', url: `/api/v1/scan-batches/${foreignBatch}/qc/rounds`, body: {} }));

  // The roster: two people in each district, one of each with a two-disease certificate.
  await storeRoster(db, [
    rosterPerson(IN_PEOPLE.roster, '江宁区', '高血压'),
    rosterPerson(IN_PEOPLE.rosterTwo, '江宁区'),
    rosterPerson(OUT_PEOPLE.roster, '六合区', '高血压'),
    rosterPerson(OUT_PEOPLE.rosterTwo, '六合区'),
  ]);

  // The other user's ledger (filed under J013: its rows are the whole roster), reconciliation, import, check.
  inside.ledger = (
    (await soft(
      "the other user's ledger",
      await by({
        method: 'POST',
        url: '/api/v1/ledgers',
        body: { kind: 'enrollment', asOf: '2026-06-30', fonds: 'J013' },
      }),
      { archiveCode: '' },
    )) as { archiveCode: string }
  ).archiveCode;
  const list = Buffer.from(
    [
      '姓名,身份证号,人员类别,家庭住址',
      ...Object.values(OUT_PEOPLE).map((p) => `${p.name},${p.id},低保,南京市六合区`),
    ].join('\n'),
  );
  const run = (await soft(
    "the other user's reconciliation",
    await by({
      method: 'POST',
      url: `/api/v1/reconciliations?source=${encodeURIComponent('民政')}`,
      file: { name: '六合区低保名单.csv', content: list },
    }),
    { runId: 0 },
  )) as { runId: number };
  const importCsv = Buffer.from(
    [
      '全宗号,类别,机构,题名,日期,责任者,姓名,身份证号,金额,extra.hospital',
      `J014,JSLX,JSK,${OUT_PEOPLE.rosterTwo.name} 门诊费用报销审核表,2024-04-01,六合区医保局,${OUT_PEOPLE.rosterTwo.name},${OUT_PEOPLE.rosterTwo.id},50,六合人民医院`,
    ].join('\n'),
  );
  const imported = (await soft(
    "the other user's import",
    await by({
      method: 'POST',
      url: '/api/v1/imports',
      file: { name: '六合区报销台账.csv', content: importCsv },
    }),
    { jobId: 0 },
  )) as { jobId: number };
  const foreignCheck = (await soft(
    "the other user's check of J014",
    await by({ method: 'POST', url: '/api/v1/checks', body: { fonds: 'J014', year: 2024 } }),
    { id: 0 },
  )) as { id: number };
  const ownCheck = (await soft(
    "the other user's check of a J013 item",
    await by({ method: 'POST', url: '/api/v1/checks', body: { archiveCode: inside.item } }),
    { id: 0 },
  )) as { id: number };

  // Access requests: the other user's for the J014 sensitive item, the clerk's own for the J013 one.
  const foreignRequest = (await ok(
    await by({
      method: 'POST',
      url: '/api/v1/access-requests',
      body: { items: [outside.sensitive], purpose: `核查${OUT_PEOPLE.sensitive.name}的待遇`, hours: 4 },
    }),
  )) as { id: number };
  const ownRequest = (await ok(
    await send(app, clerk, {
      method: 'POST',
      url: '/api/v1/access-requests',
      body: { items: [inside.sensitive], purpose: '核查本人待遇申报材料', hours: 4 },
    }),
  )) as { id: number };

  const flags = (await ok(await by({ method: 'GET', url: '/api/v1/duplicates?limit=100' }))) as {
    duplicates: Array<{ flag: { id: number }; item: { fonds: string } }>;
  };
  const duplicateOf = (fonds: string) =>
    flags.duplicates.find((pair) => pair.item.fonds === fonds)?.flag.id ?? 0;
  const flagList = JSON.stringify(flags.duplicates.map((pair) => pair.flag));
  const world: ScopeWorld = {
    system,
    app,
    clerk,
    reader,
    auditor,
    other,
    inside,
    outside,
    foreign: {
      request: foreignRequest.id,
      run: run.runId,
      check: foreignCheck.id,
      batch: foreignBatch,
      duplicate: duplicateOf('J014'),
      importJob: imported.jobId,
    },
    own: { request: ownRequest.id, batch: ownBatch, duplicate: duplicateOf('J013'), check: ownCheck.id },
    runsBy: new Map(),
    setupProblems,
  };
  expect(world.foreign.duplicate, flagList.slice(0, 300)).toBeGreaterThan(0);
  expect(world.own.duplicate, flagList.slice(0, 300)).toBeGreaterThan(0);
  await catchUpIndex(db);
  return world;
}

export async function closeScopeWorld(world: ScopeWorld | undefined): Promise<void> {
  await world?.app.close();
  await world?.system.dispose();
}
