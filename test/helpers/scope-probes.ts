import type { LightMyRequestResponse } from 'fastify';
import { renderScanPage } from '../../src/modules/demo/scan-pages.js';
import type { TestUser } from './access.js';
import { reimbursement, validId } from './fixtures.js';
import { CASE_ROUTES } from './case-probes.js';
import { DESTRUCTION_ROUTES } from './destruction-probes.js';
import { FHIR_ROUTES } from './fhir-probes.js';
import { FORECAST_ROUTES } from './forecast-probes.js';
import { FUND_ANOMALY_ROUTES } from './fund-anomaly-probes.js';
import { FUND_RULE_ROUTES } from './fund-rule-probes.js';
import { APPRAISAL_ROUTES } from './appraisal-probes.js';
import { HOLD_ROUTES } from './hold-probes.js';
import { KPI_ROUTES } from './kpi-probes.js';
import { LOAN_ROUTES } from './loan-probes.js';
import { RECEIVE_ROUTES } from './receive-probes.js';
import { SETTLEMENT_ROUTES } from './settlement-probes.js';
import { blankPdf, type Call, code, IN_PEOPLE, OUT_PEOPLE, type ScopeWorld } from './scope-fixture.js';
import { TRANSFER_ROUTES } from './transfer-probes.js';
import { USE_ROUTES } from './use-probes.js';

// How the scope-and-masking test exercises each route of the OpenAPI document (keyed "METHOD /path"):
// either a probe, which makes its calls through the context (every answer is then searched for leaks),
// or a one-line reason why the route returns no personal data. A route in neither fails the test.

export interface ProbeContext {
  world: ScopeWorld;
  /** The caller under test. */
  as: TestUser;
  /** Calls the route as the caller; the answer is searched for leaks. */
  call(call: Call): Promise<LightMyRequestResponse>;
  /**
   * Calls with an id outside the scope and with one that does not exist: the two answers must be
   * the same (status and body, the id itself set aside), and neither may leak.
   */
  sameAsMissing(
    outside: Call & { id: string | number },
    missing: Call & { id: string | number },
  ): Promise<void>;
}

export type Probe = (context: ProbeContext) => Promise<void>;

const api = (path: string) => `/api/v1${path}`;
const MISSING = 999_999;
/** A 档号 of the out-of-scope fonds that was never issued. */
const missingCode = (like: string) => like.replace(/\d+$/, '9999');
const UNMASK = `unmask=true&purpose=${encodeURIComponent('核查待遇申报材料')}`;
const get = (path: string): Call => ({ method: 'GET', url: api(path) });
const post = (path: string, body?: unknown): Call => ({ method: 'POST', url: api(path), body: body ?? {} });

/** One route taking an archive code: inside (answer searched), outside and missing (must answer alike). */
const byCode =
  (method: Call['method'], tail: string, extra: Omit<Call, 'method' | 'url'> = {}, query = ''): Probe =>
  async ({ world, call, sameAsMissing }) => {
    const at = (archiveCode: string) => ({
      method,
      url: api(`/items/${code(archiveCode)}${tail}${query}`),
      ...extra,
    });
    await call(at(world.inside.item));
    await call(at(world.inside.sensitive));
    await sameAsMissing(
      { ...at(world.outside.item), id: world.outside.item },
      { ...at(missingCode(world.outside.item)), id: missingCode(world.outside.item) },
    );
    await sameAsMissing(
      { ...at(world.outside.sensitive), id: world.outside.sensitive },
      { ...at(missingCode(world.outside.sensitive)), id: missingCode(world.outside.sensitive) },
    );
  };

/** One route taking a numeric id: own (answer searched), foreign and missing (must answer alike). */
const byId =
  (
    method: Call['method'],
    path: (id: number) => string,
    pick: (world: ScopeWorld) => { own?: number; foreign: number },
    body?: unknown,
  ): Probe =>
  async ({ world, call, sameAsMissing }) => {
    const at = (id: number): Call => ({
      method,
      url: api(path(id)),
      ...(body === undefined ? {} : { body }),
    });
    const { own, foreign } = pick(world);
    if (own) await call(at(own));
    await sameAsMissing({ ...at(foreign), id: foreign }, { ...at(MISSING), id: MISSING });
  };

const inJ013 = (overrides: Record<string, unknown> = {}) =>
  reimbursement({ ...overrides, title: `${IN_PEOPLE.item.name} 门诊费用报销审核表（走查）` });
const inJ014 = (overrides: Record<string, unknown> = {}) =>
  reimbursement({
    fonds: 'J014',
    poolingRegion: '320116',
    name: OUT_PEOPLE.item.name,
    idNumber: OUT_PEOPLE.item.id,
    title: `${OUT_PEOPLE.item.name} 门诊费用报销审核表（走查）`,
    ...overrides,
  });

let serial = 0;
let png: Promise<Buffer> | undefined;
const scanPng = () => {
  png ??= renderScanPage({ lines: ['门诊费用报销审核表'], colour: 'bitonal' });
  return png;
};
const LEDGER = {
  enrollment: { kind: 'enrollment', asOf: '2026-06-30' },
  dynamic: { kind: 'dynamic', month: '2026-03' },
  benefits: { kind: 'benefits', from: '2026-01-01', to: '2026-06-30' },
  chronic: { kind: 'chronic', asOf: '2026-06-30' },
  'two-disease': { kind: 'two-disease', asOf: '2026-06-30' },
};

const ADMIN = '账户管理（系统管理员、安全保密员）：改动账户，回答不含档案内容';
const CATALOG = '全宗、分类方案与保管期限：目录结构，不含个人信息';
const PROOF = '日志的哈希、树大小与签名：不含事件内容';

export const ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/health': '运行状态：版本与数据库种类',
  'POST /api/v1/auth/login': '登录：回答是本人账户与防跨站令牌',
  'POST /api/v1/auth/password': '修改本人口令：回答不含档案内容',
  'POST /api/v1/auth/logout': '退出登录：无内容',
  'GET /api/v1/auth/me': async ({ call }) => void (await call(get('/auth/me'))),
  'POST /api/v1/auth/totp/new': '本人动态口令的开通：回答是本人的密钥',
  'POST /api/v1/auth/totp': '本人动态口令的确认',
  'GET /api/v1/auth/tokens': async ({ call }) => void (await call(get('/auth/tokens'))),
  'POST /api/v1/auth/tokens': '为自己创建令牌：回答是令牌本身',
  'DELETE /api/v1/auth/tokens/{id}': '撤销自己的令牌：无内容',
  'GET /api/v1/users': async ({ call }) => void (await call(get('/users'))),
  'POST /api/v1/users': ADMIN,
  'PUT /api/v1/users/{username}/access': ADMIN,
  'POST /api/v1/users/{username}/disable': ADMIN,
  'POST /api/v1/users/{username}/enable': ADMIN,
  'GET /api/v1/permissions': '权限清单：固定文本',
  'GET /api/v1/vocabulary': '词汇表：字段、代码取值、事件类型与错误代码的中文名称，固定文本',

  'POST /api/v1/access-requests': async ({ world, call, sameAsMissing }) => {
    const ask = (items: string[]) =>
      post('/access-requests', { items, purpose: '核查待遇申报材料', hours: 2 });
    await call(ask([world.inside.sensitive]));
    await sameAsMissing(
      { ...ask([world.outside.sensitive]), id: world.outside.sensitive },
      { ...ask([missingCode(world.outside.sensitive)]), id: missingCode(world.outside.sensitive) },
    );
  },
  'GET /api/v1/access-requests': async ({ call }) => {
    await call(get('/access-requests'));
    await call(get('/access-requests?mine=false&limit=200'));
  },
  'GET /api/v1/access-requests/{id}': byId(
    'GET',
    (id) => `/access-requests/${id}`,
    (w) => ({ own: w.own.request, foreign: w.foreign.request }),
  ),
  'POST /api/v1/access-requests/{id}/approve': byId(
    'POST',
    (id) => `/access-requests/${id}/approve`,
    (w) => ({ foreign: w.foreign.request }),
    {},
  ),
  'POST /api/v1/access-requests/{id}/reject': byId(
    'POST',
    (id) => `/access-requests/${id}/reject`,
    (w) => ({ foreign: w.foreign.request }),
    { note: '不符合规定' },
  ),
  'POST /api/v1/access-requests/{id}/revoke': byId(
    'POST',
    (id) => `/access-requests/${id}/revoke`,
    (w) => ({ foreign: w.foreign.request }),
    { note: '提前收回' },
  ),
  'POST /api/v1/access-requests/{id}/withdraw': byId(
    'POST',
    (id) => `/access-requests/${id}/withdraw`,
    (w) => ({ foreign: w.foreign.request }),
    {},
  ),

  'GET /api/v1/audit/events': async ({ world, call }) => {
    await call(get('/audit/events?limit=500'));
    await call(get(`/audit/events?limit=500&subject=${encodeURIComponent(`item:${world.outside.item}`)}`));
    await call(get(`/audit/events?limit=500&actor=${world.other.username}`));
  },
  'GET /api/v1/audit/export': async ({ world, call }) => {
    await call(get('/audit/export'));
    await call(get(`/audit/export?actor=${world.other.username}`));
  },
  'GET /api/v1/audit/alerts': async ({ call }) => void (await call(get('/audit/alerts?days=30&threshold=1'))),

  'GET /api/v1/fonds': CATALOG,
  'POST /api/v1/fonds': CATALOG,
  'PATCH /api/v1/fonds/{code}': CATALOG,
  'GET /api/v1/categories': CATALOG,
  'POST /api/v1/categories': CATALOG,
  'PATCH /api/v1/categories/{code}': CATALOG,
  'DELETE /api/v1/categories/{code}': CATALOG,
  'GET /api/v1/retention-schedule': CATALOG,
  'PUT /api/v1/retention-schedule/{category}/{regionCode}': CATALOG,
  'DELETE /api/v1/retention-schedule/{category}/{regionCode}': CATALOG,
  'GET /api/v1/fonds/{code}/scan-policy': '全宗的扫描分辨率要求：目录设置',
  'PUT /api/v1/fonds/{code}/scan-policy': '设置全宗的扫描分辨率要求：目录设置',

  'POST /api/v1/items': async ({ call }) => {
    await call(post('/items', inJ013({ idNumber: validId('32011519910909001') })));
    await call(post('/items', inJ014()));
  },
  'GET /api/v1/items': async ({ call }) => {
    await call(get('/items?limit=1000'));
    await call(get(`/items?limit=1000&${UNMASK}`));
    await call(get('/items?fonds=J014&limit=1000'));
    await call(get(`/items?idNumber=${IN_PEOPLE.sensitive.id}`));
    await call(get(`/items?idNumber=${IN_PEOPLE.sensitive.id}&${UNMASK}`));
    await call(get(`/items?idNumber=${OUT_PEOPLE.item.id}`));
    await call(get(`/items?idNumber=${OUT_PEOPLE.sensitive.id}&${UNMASK}`));
  },
  'POST /api/v1/items/batch': async ({ call }) => {
    await call(post('/items/batch', { items: [inJ013({ idNumber: validId('32011519920101002') })] }));
    await call(
      post('/items/batch', { items: [inJ013({ idNumber: validId('32011519920101003') }), inJ014()] }),
    );
  },
  'GET /api/v1/items/{archiveCode}': async (context) => {
    await byCode('GET', '')(context);
    await byCode('GET', '', {}, `?${UNMASK}`)(context);
  },
  'POST /api/v1/items/{archiveCode}/classification': byCode('POST', '/classification', {
    body: { sensitivity: 'sensitive', reason: '走查：提高敏感级别' },
  }),
  'PATCH /api/v1/items/{archiveCode}': byCode('PATCH', '', {
    body: { title: '门诊费用报销审核表（走查修改）', reason: '走查' },
  }),
  'GET /api/v1/items/{archiveCode}/versions': async (context) => {
    await byCode('GET', '/versions')(context);
    await byCode('GET', '/versions', {}, `?${UNMASK}`)(context);
  },

  'GET /api/v1/search': async ({ call }) => {
    for (const q of [
      OUT_PEOPLE.item.name,
      OUT_PEOPLE.sensitive.name,
      OUT_PEOPLE.item.id,
      IN_PEOPLE.item.id,
      IN_PEOPLE.sensitive.id,
      IN_PEOPLE.item.name,
      '精神分裂',
      '六合',
      'J014',
      '报销',
    ]) {
      await call(get(`/search?limit=100&q=${encodeURIComponent(q)}`));
      await call(get(`/search?limit=100&q=${encodeURIComponent(q)}&${UNMASK}`));
    }
    await call(get('/search?limit=100&fonds=J014'));
    await call(get('/search?limit=100&region=320116'));
  },

  'POST /api/v1/imports': async ({ call }) => {
    const csv = Buffer.from(
      [
        '全宗号,类别,机构,题名,日期,责任者,姓名,身份证号,金额,extra.hospital',
        `J013,JSLX,JSK,${IN_PEOPLE.item.name} 门诊费用报销审核表,2024-04-01,江宁区医保局,${IN_PEOPLE.item.name},${validId(`320115199303030${String(serial++ % 90).padStart(2, '0')}`)},50,江宁医院`,
        `J014,JSLX,JSK,${OUT_PEOPLE.roster.name} 门诊费用报销审核表,2024-04-01,六合区医保局,${OUT_PEOPLE.roster.name},${OUT_PEOPLE.roster.id},50,六合人民医院`,
        `J013,JSLX,JSK,错号 门诊费用报销审核表,2024-04-01,江宁区医保局,错号,${IN_PEOPLE.rosterTwo.id.slice(0, 17)}0,50,江宁医院`,
      ].join('\n'),
    );
    await call({ method: 'POST', url: api('/imports'), file: { name: '报销台账.csv', content: csv } });
    await call({
      method: 'POST',
      url: api('/imports?report=xlsx'),
      file: { name: '报销台账2.csv', content: csv },
    });
  },
  'GET /api/v1/import-mappings': async ({ call }) => void (await call(get('/import-mappings'))),
  'PUT /api/v1/import-mappings/{name}': '保存列映射：回答是映射本身',

  'GET /api/v1/duplicates': async ({ call }) => {
    await call(get('/duplicates?limit=200'));
    await call(get('/duplicates?limit=200&status=open'));
  },
  'POST /api/v1/duplicates/{id}/resolve': byId(
    'POST',
    (id) => `/duplicates/${id}/resolve`,
    (w) => ({ foreign: w.foreign.duplicate }),
    { decision: 'keep_both', reason: '两次报销各有发票' },
  ),

  'GET /api/v1/scan-batches': async ({ call }) => void (await call(get('/scan-batches'))),
  'POST /api/v1/scan-batches': async ({ call, sameAsMissing }) => {
    await call(post('/scan-batches', { fondsCode: 'J013', name: '江宁区走查批次' }));
    await sameAsMissing(
      { ...post('/scan-batches', { fondsCode: 'J014', name: '走查批次' }), id: 'J014' },
      { ...post('/scan-batches', { fondsCode: 'J099', name: '走查批次' }), id: 'J099' },
    );
  },
  'GET /api/v1/scan-batches/{id}/qc': byId(
    'GET',
    (id) => `/scan-batches/${id}/qc`,
    (w) => ({ own: w.own.batch, foreign: w.foreign.batch }),
  ),
  'POST /api/v1/scan-batches/{id}/qc/rounds': byId(
    'POST',
    (id) => `/scan-batches/${id}/qc/rounds`,
    (w) => ({ foreign: w.foreign.batch }),
    {},
  ),
  'PUT /api/v1/scan-batches/{id}/qc/pages': async ({ world, sameAsMissing }) => {
    const body = { archiveCode: world.outside.item, page: 1, verdict: 'wrong', reason: '歪斜' };
    const at = (id: number): Call => ({ method: 'PUT', url: api(`/scan-batches/${id}/qc/pages`), body });
    await sameAsMissing(
      { ...at(world.foreign.batch), id: world.foreign.batch },
      { ...at(MISSING), id: MISSING },
    );
  },
  'POST /api/v1/scan-batches/{id}/qc/decision': byId(
    'POST',
    (id) => `/scan-batches/${id}/qc/decision`,
    (w) => ({ foreign: w.foreign.batch }),
    {},
  ),
  'GET /api/v1/stats/overview': async ({ call }) => void (await call(get('/stats/overview'))),
  'GET /api/v1/saved-searches': async ({ call }) => void (await call(get('/saved-searches'))),
  'PUT /api/v1/saved-searches/{name}': '保存本人的检索方案：回答是检索条件',
  'DELETE /api/v1/saved-searches/{name}': '删除本人的检索方案：无内容',
  'GET /api/v1/system/status': async ({ call }) => void (await call(get('/system/status'))),
  // The caller's own inbox: no route names a recipient; another's notice answers as a missing one.
  'GET /api/v1/notices': async ({ call }) => {
    await call(get('/notices'));
    await call(get('/notices?unread=true&limit=5'));
  },
  'GET /api/v1/notices/unread-count': async ({ call }) => void (await call(get('/notices/unread-count'))),
  'POST /api/v1/notices/{id}/read': async ({ call }) => void (await call(post(`/notices/${MISSING}/read`))),
  'POST /api/v1/notices/read-all': async ({ call }) => void (await call(post('/notices/read-all'))),
  // Loans past due: 档号 and account names, no titles; within the archivist's scope.
  'GET /api/v1/loans/overdue': async ({ call }) => {
    await call(get('/loans/overdue'));
    await call(get('/loans/overdue?minDays=7&limit=10'));
  },
  // Background jobs are the 系统管理员's: payloads name archives by 档号 and never a person.
  'GET /api/v1/jobs': async ({ call }) => {
    await call(get('/jobs'));
    await call(get('/jobs?state=queued&kind=check.after-filing'));
  },
  'GET /api/v1/jobs/{id}': async ({ call }) => {
    await call(get('/jobs/1'));
    await call(get(`/jobs/${MISSING}`));
  },
  'POST /api/v1/jobs/{id}/retry': async ({ call }) => void (await call(post(`/jobs/${MISSING}/retry`))),

  'POST /api/v1/checks': async ({ world, call, sameAsMissing }) => {
    await call(post('/checks', { archiveCode: world.inside.item }));
    await call(post('/checks', { fonds: 'J013', year: 2024 }));
    await sameAsMissing(
      { ...post('/checks', { archiveCode: world.outside.item }), id: world.outside.item },
      {
        ...post('/checks', { archiveCode: missingCode(world.outside.item) }),
        id: missingCode(world.outside.item),
      },
    );
    await sameAsMissing(
      { ...post('/checks', { batchId: world.foreign.batch }), id: world.foreign.batch },
      { ...post('/checks', { batchId: MISSING }), id: MISSING },
    );
    await call(post('/checks', { fonds: 'J014', year: 2024 }));
  },
  'GET /api/v1/checks/{id}': byId(
    'GET',
    (id) => `/checks/${id}`,
    (w) => ({ own: w.own.check, foreign: w.foreign.check }),
  ),
  'GET /api/v1/checks/{id}/report.xlsx': byId(
    'GET',
    (id) => `/checks/${id}/report.xlsx`,
    (w) => ({ own: w.own.check, foreign: w.foreign.check }),
  ),

  'POST /api/v1/items/{archiveCode}/files': async (context) =>
    byCode('POST', '/files', { file: { name: '走查附件.pdf', content: await blankPdf() } })(context),
  'GET /api/v1/items/{archiveCode}/files': byCode('GET', '/files'),
  'GET /api/v1/items/{archiveCode}/files/{fileNumber}': async (context) => {
    await byCode('GET', '/files/1', {}, `?purpose=${encodeURIComponent('核查')}`)(context);
    // The other user's ledger: filed under J013, holding the whole roster.
    if (context.world.inside.ledger)
      for (const number of [1, 2])
        await context.call(
          get(
            `/items/${code(context.world.inside.ledger)}/files/${number}?purpose=${encodeURIComponent('核查')}`,
          ),
        );
  },
  'POST /api/v1/fixity': async ({ call }) => void (await call(post('/fixity', {}))),
  'GET /api/v1/fixity/runs': async ({ call }) => void (await call(get('/fixity/runs'))),
  'POST /api/v1/ingest': async ({ call }) => {
    serial += 1;
    const handled = { handledAt: '2024-05-01T10:00:00+08:00' };
    await call(
      post('/ingest', {
        source: '结算系统',
        serial: `scope-${serial}`,
        item: inJ013({ ...handled, idNumber: validId('32011519940404004') }),
      }),
    );
    await call(post('/ingest', { source: '结算系统', serial: `scope-out-${serial}`, item: inJ014(handled) }));
  },
  'GET /api/v1/ingest/lag': async ({ call }) => void (await call(get('/ingest/lag'))),

  'POST /api/v1/reconciliations': async ({ world, as, call }) => {
    const list = Buffer.from(
      [
        '姓名,身份证号,人员类别',
        `${IN_PEOPLE.roster.name},${IN_PEOPLE.roster.id},低保`,
        `${IN_PEOPLE.rosterTwo.name},${IN_PEOPLE.rosterTwo.id.slice(0, 16)}99,低保`,
        // Someone else's ID under a made-up name: the answer must not name the person the roster holds.
        `某某,${OUT_PEOPLE.roster.id},低保`,
      ].join('\n'),
    );
    const response = await call({
      method: 'POST',
      url: api(`/reconciliations?source=${encodeURIComponent('民政')}`),
      file: { name: '江宁区低保名单.csv', content: list },
    });
    if (response.statusCode === 200)
      world.runsBy.set(as.username, [...(world.runsBy.get(as.username) ?? []), response.json().runId]);
  },
  'GET /api/v1/reconciliations': async ({ call }) => void (await call(get('/reconciliations?limit=200'))),
  'GET /api/v1/reconciliations/{id}/{report}': async ({ world, call, sameAsMissing }) => {
    for (const report of ['corrections.xlsx', 'follow-ups.xlsx', 'summary.xlsx']) {
      // Its own runs, and another caller's runs (also in scope, but not theirs).
      for (const run of [...world.runsBy.values()].flat())
        await call(get(`/reconciliations/${run}/${report}`));
      await sameAsMissing(
        { ...get(`/reconciliations/${world.foreign.run}/${report}`), id: world.foreign.run },
        { ...get(`/reconciliations/${MISSING}/${report}`), id: MISSING },
      );
    }
  },
  'POST /api/v1/roster/imports': async ({ call }) => {
    const extract = Buffer.from(
      `姓名,身份证号,参保类别,参保时间\n${IN_PEOPLE.roster.name},${IN_PEOPLE.roster.id},居民,2018-01-01\n错号,${IN_PEOPLE.roster.id.slice(0, 17)},居民,2021-01-01\n`,
    );
    await call({
      method: 'POST',
      url: api('/roster/imports?dryRun=true'),
      file: { name: '参保名册.csv', content: extract },
    });
  },
  // Each ledger is made as XLSX and PDF whatever is asked (both are filed), and takes seconds: the five
  // kinds are shared between the two callers who may make them, each answer form used once or more.
  'POST /api/v1/ledgers': async ({ world, as, call, sameAsMissing }) => {
    const byClerk = as === world.clerk;
    const orders: Array<[string, Record<string, string>]> = byClerk
      ? [
          ['?content=true', { ...LEDGER.enrollment, fonds: 'J013' }],
          ['?content=true', { ...LEDGER.chronic, fonds: 'J013' }],
          ['?format=pdf', { ...LEDGER.benefits, fonds: 'J013' }],
        ]
      : [
          ['?content=true', { ...LEDGER['two-disease'], fonds: 'J013' }],
          ['?format=xlsx', LEDGER.dynamic],
        ];
    for (const [query, order] of orders) {
      const made = await call(post(`/ledgers${query}`, order));
      if (made.statusCode !== 200 || query !== '?content=true') continue;
      for (const file of (made.json() as { files: Array<{ href: string }> }).files)
        await call({ method: 'GET', url: file.href });
    }
    if (byClerk)
      await sameAsMissing(
        { ...post('/ledgers?format=xlsx', { ...LEDGER.enrollment, fonds: 'J014' }), id: 'J014' },
        { ...post('/ledgers?format=xlsx', { ...LEDGER.enrollment, fonds: 'J099' }), id: 'J099' },
      );
  },
  // A preview shows the same people as the ledger without filing it: each kind, as JSON with its files
  // and as a PDF, asked in full by callers who may not unmask, and for a fonds outside the scope.
  'POST /api/v1/ledgers/preview': async ({ world, as, call, sameAsMissing }) => {
    const byClerk = as === world.clerk;
    const kinds = byClerk
      ? (['enrollment', 'benefits', 'chronic'] as const)
      : (['dynamic', 'two-disease'] as const);
    for (const kind of kinds) {
      await call(post('/ledgers/preview?content=true', { ...LEDGER[kind], fonds: 'J013' }));
      await call(post('/ledgers/preview?format=pdf', LEDGER[kind]));
    }
    await call(post('/ledgers/preview', { ...LEDGER.enrollment, unmask: true, purpose: '走查' }));
    if (byClerk)
      await sameAsMissing(
        { ...post('/ledgers/preview', { ...LEDGER.enrollment, fonds: 'J014' }), id: 'J014' },
        { ...post('/ledgers/preview', { ...LEDGER.enrollment, fonds: 'J099' }), id: 'J099' },
      );
  },

  'POST /api/v1/items/{archiveCode}/scans': async (context) =>
    byCode('POST', '/scans', {
      file: { name: '走查扫描.png', content: await scanPng() },
    })(context),
  'GET /api/v1/items/{archiveCode}/scans': byCode('GET', '/scans'),
  'GET /api/v1/scans/rescan': async ({ world, call }) => {
    await call(get('/scans/rescan?limit=200'));
    await call(get(`/scans/rescan?limit=200&batch=${world.foreign.batch}`));
  },
  'GET /api/v1/ocr/progress': async ({ world, call, sameAsMissing }) => {
    await call(get('/ocr/progress'));
    await sameAsMissing(
      { ...get(`/ocr/progress?batch=${world.foreign.batch}`), id: world.foreign.batch },
      { ...get(`/ocr/progress?batch=${MISSING}`), id: MISSING },
    );
  },
  'POST /api/v1/ocr/retry': async ({ world, call, sameAsMissing }) => {
    await call(post('/ocr/retry', { archiveCode: world.inside.item }));
    await sameAsMissing(
      { ...post('/ocr/retry', { archiveCode: world.outside.item }), id: world.outside.item },
      {
        ...post('/ocr/retry', { archiveCode: missingCode(world.outside.item) }),
        id: missingCode(world.outside.item),
      },
    );
  },

  'GET /api/v1/integrity/tree': PROOF,
  'GET /api/v1/integrity/events': async ({ world, call }) => {
    await call(get('/integrity/events?limit=1000'));
    await call(
      get(`/integrity/events?limit=1000&subject=${encodeURIComponent(`item:${world.outside.item}`)}`),
    );
    await call(get('/integrity/events?limit=1000&action=roster.report_exported'));
  },
  'GET /api/v1/integrity/checkpoints': PROOF,
  'POST /api/v1/integrity/checkpoints': PROOF,
  'GET /api/v1/integrity/events/{seq}/proof': PROOF,
  'GET /api/v1/integrity/consistency': PROOF,
  'GET /api/v1/integrity/verify-runs': async ({ call }) => void (await call(get('/integrity/verify-runs'))),
  'POST /api/v1/integrity/verify-runs': '开始一次完整性校验：回答只有校验编号与状态',
  'POST /api/v1/admin/backup': '在线备份：只凭本机控制令牌，不对账户开放',
  // 参保人自助查询: only for the signed-in 参保人's own ID number (staff are refused); whose records
  // is never a parameter. src/modules/insured/insured-idor.test.ts tries every route as a 参保人.
  'GET /api/v1/insured/archives': async ({ call }) => void (await call(get('/insured/archives'))),
  'GET /api/v1/insured/records': async ({ call }) => void (await call(get('/insured/records'))),
  'GET /api/v1/insured/views': async ({ call }) => void (await call(get('/insured/views'))),
  'GET /api/v1/insured/copies': async ({ call }) => void (await call(get('/insured/copies'))),
  'POST /api/v1/insured/copies': async ({ world, call }) => {
    await call(post('/insured/copies', { archiveCode: world.outside.item, purpose: '办理退休' }));
  },
  'GET /api/v1/insured/copies/{copyNo}/content': async ({ call }) =>
    void (await call(get('/insured/copies/FZ2026-000001/content'))),
  'GET /api/v1/copy-checks/{code}':
    '复制件公开核验（无需登录）：只回答档号、复制件摘要与真伪，核验码为 100 位随机数，无法猜测',
  // 利用登记与统计 (test/helpers/use-probes.ts).
  ...USE_ROUTES,
  // 考核指标 (test/helpers/kpi-probes.ts).
  ...KPI_ROUTES,
  // 异常机构与高风险群体 (test/helpers/fund-anomaly-probes.ts).
  ...FUND_ANOMALY_ROUTES,
  // 智能审核规则与线索 (test/helpers/fund-rule-probes.ts).
  ...FUND_RULE_ROUTES,
  // 结算数据 (test/helpers/settlement-probes.ts).
  ...SETTLEMENT_ROUTES,
  // 基金月度序列与趋势预测 (test/helpers/forecast-probes.ts).
  ...FORECAST_ROUTES,
  ...LOAN_ROUTES,
  // 冻结 (test/helpers/hold-probes.ts).
  ...HOLD_ROUTES,
  // 核查案件 (test/helpers/case-probes.ts).
  ...CASE_ROUTES,
  // 只读 FHIR R4 接口 (test/helpers/fhir-probes.ts).
  ...FHIR_ROUTES,
  // 到期档案与鉴定批次 (test/helpers/appraisal-probes.ts).
  ...APPRAISAL_ROUTES,
  ...DESTRUCTION_ROUTES,
  // 移交批次 (test/helpers/transfer-probes.ts).
  ...TRANSFER_ROUTES,
  // 接收 (test/helpers/receive-probes.ts).
  ...RECEIVE_ROUTES,
};
