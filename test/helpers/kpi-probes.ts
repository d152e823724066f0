import { recordIncident } from '../../src/modules/kpi/kpi.incident.js';
import { SYSTEM } from './fixture-access.js';
import type { Call, ScopeWorld } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of 考核指标 (/kpi): the indicators, the 考核报告 (XLSX and PDF) and the
// 安全事件. A J014 leak is recorded (by the system, once per world) with 六合 in its account: no J013
// caller holding kpi.read may see it counted, listed or named, and asking for J014 answers exactly as a
// fonds that does not exist. The 安全审计员 records incidents from the whole log's alerts, so it lists
// every incident (counts and accounts, no archive content): for it only ID numbers in the clear count.

const api = (path: string) => `/api/v1${path}`;
const get = (path: string): Call => ({ method: 'GET', url: api(path) });
const recorded = new WeakMap<ScopeWorld, Promise<string>>();

function foreignIncident(world: ScopeWorld): Promise<string> {
  let made = recorded.get(world);
  if (!made) {
    made = recordIncident(world.system.database.db, SYSTEM, {
      fonds: 'J014',
      kind: 'leak',
      occurredAt: new Date().toISOString(),
      description: '六合区服务大厅报销材料复印件遗失（走查）',
    }).then((incident) => incident.code);
    recorded.set(world, made);
  }
  return made;
}

export const KPI_ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/kpi': async ({ world, call, sameAsMissing }) => {
    await foreignIncident(world);
    await call(get('/kpi'));
    await call(get('/kpi?region=3201'));
    await sameAsMissing({ ...get('/kpi?fonds=J014'), id: 'J014' }, { ...get('/kpi?fonds=J099'), id: 'J099' });
  },
  'GET /api/v1/kpi/report': async ({ world, call, sameAsMissing }) => {
    await foreignIncident(world);
    await call(get('/kpi/report?format=xlsx'));
    await call(get('/kpi/report?format=pdf'));
    await sameAsMissing(
      { ...get('/kpi/report?format=pdf&fonds=J014'), id: 'J014' },
      { ...get('/kpi/report?format=pdf&fonds=J099'), id: 'J099' },
    );
  },
  'GET /api/v1/kpi/incidents': async ({ world, call }) => {
    await foreignIncident(world);
    await call(get('/kpi/incidents'));
    await call(get('/kpi/incidents?fonds=J014'));
  },
  'POST /api/v1/kpi/incidents': async ({ call }) => {
    await call({
      method: 'POST',
      url: api('/kpi/incidents'),
      body: {
        fonds: 'J013',
        kind: 'leak',
        occurredAt: '2026-01-05T09:00:00+08:00',
        description: '走查登记的泄密事件',
      },
    });
  },
  'POST /api/v1/kpi/incidents/{code}/withdraw': async ({ call }) => {
    await call({
      method: 'POST',
      url: api('/kpi/incidents/AQ-2026-999999/withdraw'),
      body: { reason: '走查' },
    });
  },
};
