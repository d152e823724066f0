// test-engine: either
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testUser } from '../../../test/helpers/access.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, validId } from '../../../test/helpers/fixtures.js';
import { buildKpiHome, contextOf, type KpiHome, READER, YEAR } from '../../../test/helpers/kpi-home.js';
import { openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { type App, buildApp } from '../../http/app.js';
import { listEvents } from '../integrity/event.queries.js';
import { verifyAll } from '../verify/verify.service.js';
import { recordIncident, withdrawIncident } from './kpi.incident.js';
import { assessmentIndicators } from './kpi.service.js';

// 考核指标 over a home whose numbers are known (test/helpers/kpi-home.ts): each indicator's numerator
// and denominator per unit, 统筹区 and in total; the caller's scope; incidents recorded and withdrawn.

let system: TestSystem;
let home: KpiHome;
let app: App;
const db = () => system.database.db;

beforeAll(async () => {
  system = await openTestSystem();
  home = await buildKpiHome(system);
  app = await buildApp({ database: system.database });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

describe('the indicators', () => {
  it('counts each indicator as its definition says', async () => {
    const auditor = await testUser(db(), { roles: ['auditor'] });
    const auditorAccess = await contextOf(system, auditor.username);
    await recordIncident(db(), auditorAccess, {
      fonds: 'J013',
      kind: 'alert',
      occurredAt: new Date().toISOString(),
      description: '集中查阅敏感档案，经核实无业务需要',
      alertActor: READER,
      alertHour: home.alertHour.toISOString(),
    });
    await recordIncident(db(), auditorAccess, {
      fonds: 'J013',
      kind: 'leak',
      occurredAt: new Date().toISOString(),
      description: '报销材料复印件遗失于服务大厅',
    });
    // The same upheld alert counts once.
    const again = await failure(
      recordIncident(db(), auditorAccess, {
        fonds: 'J013',
        kind: 'alert',
        occurredAt: new Date().toISOString(),
        description: '同一告警再次登记',
        alertActor: READER,
        alertHour: home.alertHour.toISOString(),
      }),
    );
    expect([again.code, again.message]).toEqual([
      'KPI_INCIDENT_INVALID',
      expect.stringContaining('不能重复登记'),
    ]);
    const wuxiLeak = await recordIncident(db(), auditorAccess, {
      fonds: 'J014',
      kind: 'leak',
      occurredAt: new Date().toISOString(),
      description: '误将材料发送至外单位',
    });
    const answer = await assessmentIndicators(db(), SYSTEM, { year: YEAR });
    const j013 = answer.units.find((unit) => unit.code === 'J013');
    expect(j013).toMatchObject({
      items: 8,
      // verified, scanned and paper: the damaged copy, the failing check, no file, never checked and
      // the missing amount each keep an item out.
      completeness: { numerator: 3, denominator: 8, percent: '37.50%' },
      // verified, damaged, failing, unchecked, incomplete: electronic with a file (bare has none).
      electronic: { numerator: 5, denominator: 8 },
      digitised: { numerator: 1, denominator: 2, percent: '50.00%' },
      // handled: verified (2 days, timely), damaged and paper (40 days, late).
      timely: { numerator: 1, denominator: 3 },
      uses: { uses: 1, items: 1 },
      incidents: { alerts: 1, leaks: 1, total: 2, reads: 3, per10k: 6666.67 },
    });
    expect(answer.timelyDays).toBe(30);
    expect(answer.total).toMatchObject({ items: 9, incidents: { total: 3, reads: 4 } });
    expect(answer.regions.map((region) => region.code)).toEqual(['320115', '320205']);
    expect(answer.definitions.map((definition) => definition.name)).toEqual([
      '档案完整率',
      '电子归档率',
      '数字化率',
      '归档及时率',
      '利用次数',
      '安全事故率',
    ]);
    // The timely window is a setting.
    const wide = await assessmentIndicators(
      db(),
      SYSTEM,
      { year: YEAR },
      { env: { YIDANG_KPI_TIMELY_DAYS: '60' } },
    );
    expect(wide.units.find((unit) => unit.code === 'J013')?.timely.numerator).toBe(3);
    const refused = await failure(
      assessmentIndicators(db(), SYSTEM, { year: YEAR }, { env: { YIDANG_KPI_TIMELY_DAYS: 'ten' } }),
    );
    expect(refused.code).toBe('CONFIG_INVALID');

    // Withdrawn, an incident stops counting; both steps are events.
    await withdrawIncident(db(), auditorAccess, wuxiLeak.code, '经核实为误报');
    expect((await failure(withdrawIncident(db(), auditorAccess, wuxiLeak.code, '再次撤销'))).code).toBe(
      'KPI_INCIDENT_INVALID',
    );
    expect((await failure(withdrawIncident(db(), auditorAccess, 'AQ-2000-1', '不存在'))).code).toBe(
      'KPI_INCIDENT_NOT_FOUND',
    );
    // An ID number typed into the account of an incident is refused, never stored or logged.
    const typedId = await failure(
      recordIncident(db(), auditorAccess, {
        fonds: 'J013',
        kind: 'leak',
        occurredAt: new Date().toISOString(),
        description: `参保人 ${validId()} 的材料遗失`,
      }),
    );
    expect([typedId.code, typedId.message.includes(validId())]).toEqual(['KPI_INCIDENT_INVALID', false]);
    const after = await assessmentIndicators(db(), SYSTEM, { year: YEAR, fonds: 'J014' });
    expect(after.units.map((unit) => [unit.code, unit.incidents.total])).toEqual([['J014', 0]]);
    const events = await listEvents(db(), { subject: `incident:${wuxiLeak.code}` } as never);
    expect(events.map((event) => event.action).sort()).toEqual([
      'kpi.incident_recorded',
      'kpi.incident_withdrawn',
    ]);
  });

  it('keeps to the caller scope: another unit is not found, its numbers never counted', async () => {
    const manager = await testUser(db(), {
      roles: ['manager'],
      scope: [{ fondsCode: 'J013', regionCode: null, categoryCode: null }],
    });
    const access = await contextOf(system, manager.username);
    const answer = await assessmentIndicators(db(), access, { year: YEAR });
    expect(answer.units.map((unit) => unit.code)).toEqual(['J013']);
    expect(answer.regions.map((unit) => unit.code)).toEqual(['320115']);
    expect(answer.total).toMatchObject({ items: 8, incidents: { reads: 3 } });
    const hidden = await failure(assessmentIndicators(db(), access, { year: YEAR, fonds: 'J014' }));
    expect(hidden.code).toBe('KPI_UNIT_NOT_FOUND');
    const nothing = await failure(assessmentIndicators(db(), access, { year: YEAR, fonds: 'Z999' }));
    expect([nothing.code, nothing.message]).toEqual([
      'KPI_UNIT_NOT_FOUND',
      hidden.message.replace('J014', 'Z999'),
    ]);
    // A region outside the scope counts nothing of it.
    const wuxi = await assessmentIndicators(db(), access, { year: YEAR, region: '3202' });
    expect(wuxi.total.items).toBe(0);
    const clerk = await testUser(db(), { roles: ['clerk'] });
    expect(
      (await failure(assessmentIndicators(db(), await contextOf(system, clerk.username), {}))).code,
    ).toBe('FORBIDDEN');
  });

  it('refuses bad input with a stable code and a Chinese message', async () => {
    for (const [query, code] of [
      [{ year: '20x6' }, 'KPI_QUERY_INVALID'],
      [{ year: '1999' }, 'KPI_QUERY_INVALID'],
      [{ fonds: "J0'; drop" }, 'KPI_QUERY_INVALID'],
      [{ region: '32a' }, 'KPI_QUERY_INVALID'],
      [{ region: '990000' }, 'KPI_UNIT_NOT_FOUND'],
    ] as const) {
      const error = await failure(assessmentIndicators(db(), SYSTEM, query));
      expect([error.code, /[\u4e00-\u9fff]/.test(error.message)], JSON.stringify(query)).toEqual([
        code,
        true,
      ]);
    }
    const auditor = await testUser(db(), { roles: ['auditor'] });
    const access = await contextOf(system, auditor.username);
    for (const input of [
      { fonds: 'J013', kind: 'fire', occurredAt: '2026-01-01', description: '四个字以上' },
      { fonds: 'J013', kind: 'leak', occurredAt: 'yesterday', description: '四个字以上' },
      { fonds: 'J013', kind: 'leak', occurredAt: '2026-01-01', description: '短' },
      { fonds: 'J013', kind: 'leak', occurredAt: '2099-01-01', description: '四个字以上' },
      // An alert the log does not hold is not upheld.
      {
        fonds: 'J013',
        kind: 'alert',
        occurredAt: '2026-01-01',
        description: '四个字以上',
        alertActor: 'nobody',
        alertHour: '2026-01-01T09:00',
      },
    ]) {
      const error = await failure(recordIncident(db(), access, input));
      expect(error.code, JSON.stringify(input)).toBe('KPI_INCIDENT_INVALID');
    }
    expect((await failure(recordIncident(db(), access, { fonds: 'Z9', kind: 'leak' }))).code).toBe(
      'KPI_UNIT_NOT_FOUND',
    );
    const manager = await testUser(db(), { roles: ['manager'] });
    const refused = await failure(
      recordIncident(db(), await contextOf(system, manager.username), {
        fonds: 'J013',
        kind: 'leak',
        occurredAt: '2026-01-01',
        description: '四个字以上',
      }),
    );
    expect(refused.code).toBe('FORBIDDEN');
  });
});

describe('over HTTP', () => {
  it('answers the indicators, the report as XLSX and PDF, and records an incident', async () => {
    const manager = await testUser(db(), {
      roles: ['manager'],
      scope: [{ fondsCode: 'J013', regionCode: null, categoryCode: null }],
    });
    const get = (url: string) =>
      app.inject({ method: 'GET', url: `/api/v1${url}`, headers: manager.headers });
    const answer = await get(`/kpi?year=${YEAR}`);
    expect(answer.statusCode).toBe(200);
    expect(answer.json().units.map((unit: { code: string }) => unit.code)).toEqual(['J013']);
    expect(answer.json().units[0].completeness.numerator).toBe(3);
    for (const [url, status, code] of [
      ['/kpi?year=abc', 400, 'KPI_QUERY_INVALID'],
      ['/kpi?fonds=J014', 404, 'KPI_UNIT_NOT_FOUND'],
      ['/kpi/report?format=doc', 400, 'KPI_QUERY_INVALID'],
    ] as const) {
      const refused = await get(url);
      expect([refused.statusCode, refused.json().error.code], url).toEqual([status, code]);
    }
    const xlsx = await get(`/kpi/report?year=${YEAR}&format=xlsx`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-disposition']).toContain(encodeURIComponent(`考核报告-${YEAR}`));
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as never);
    const text = book.worksheets
      .flatMap((sheet) => sheet.getSheetValues().flat())
      .map((value) => String(value ?? ''))
      .join('\n');
    expect(text).toContain('档案完整率');
    expect(text).toContain('3/8');
    expect(text).toContain('计算方法');
    expect(text).not.toContain('J014');
    const pdf = await get(`/kpi/report?year=${YEAR}&format=pdf&fonds=J013`);
    expect([pdf.statusCode, pdf.headers['content-type'], pdf.rawPayload.subarray(0, 5).toString()]).toEqual([
      200,
      'application/pdf',
      '%PDF-',
    ]);
    const auditor = await testUser(db(), { roles: ['auditor'] });
    const posted = await app.inject({
      method: 'POST',
      url: '/api/v1/kpi/incidents',
      headers: auditor.headers,
      payload: {
        fonds: 'J013',
        kind: 'leak',
        occurredAt: `${YEAR}-01-02T10:00`,
        description: '档案袋遗失于运送途中',
      },
    });
    expect(posted.statusCode, posted.body).toBe(201);
    expect(posted.json()).toMatchObject({ fonds: 'J013', kind: 'leak', kindName: '泄密事件' });
    const listed = await get(`/kpi/incidents?year=${YEAR}`);
    expect(listed.json().incidents.map((incident: { code: string }) => incident.code)).toContain(
      posted.json().code,
    );
    const forbidden = await app.inject({
      method: 'POST',
      url: '/api/v1/kpi/incidents',
      headers: manager.headers,
      payload: {
        fonds: 'J013',
        kind: 'leak',
        occurredAt: `${YEAR}-01-02`,
        description: '档案袋遗失于运送途中',
      },
    });
    expect(forbidden.statusCode).toBe(403);
  });
});

describe('verify', () => {
  it('finds the incidents as the log carries them, and one altered behind its back', async () => {
    const context = { db: db(), store: system.store, signingKey: system.signingKey };
    const before = await verifyAll(context);
    expect(before.problems.filter((problem) => problem.kind.startsWith('incident.'))).toEqual([]);
    await sql`update kpi_incident set kind = 'leak', alert_actor = null, alert_hour = null
      where kind = 'alert'`.execute(db());
    const after = await verifyAll(context);
    expect(after.problems.map((problem) => problem.kind)).toContain('incident.altered');
  });
});
