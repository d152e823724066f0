import { sql } from 'kysely';
import { reimbursement, validId } from './fixtures.js';
import { type Call, type ScopeWorld, send } from './scope-fixture.js';
import type { Probe, ProbeContext } from './scope-probes.js';

// The scope-and-masking probes of the transfer-batch routes (/transfer/batches, 移交批次). The other
// user (all fonds) draws a batch of a J014 person's archive: every J013 caller must find it exactly as
// a code never issued (show, export, bag, accept, withdraw, 登记表) and never see it listed; a batch of
// a J013 person's archive is shown with 题名 masked and its 登记表 searched.

const api = (path: string) => `/api/v1${path}`;
const get = (path: string): Call => ({ method: 'GET', url: api(path) });
const post = (path: string, body?: unknown): Call => ({ method: 'POST', url: api(path), body: body ?? {} });
const batches = new WeakMap<ScopeWorld, Promise<{ own: string; foreign: string }>>();
const missingOf = (code: string) => code.replace(/\d+$/, '999');

async function batchOf(world: ScopeWorld, fonds: 'J013' | 'J014'): Promise<string> {
  const by = (call: Call) => send(world.app, world.other, call);
  const person =
    fonds === 'J013'
      ? { name: '郑晓梅', id: validId('32011519600101301') }
      : { name: '冯国强', id: validId('32011619600101302') };
  const filed = await by(
    post('/items', {
      ...reimbursement({
        name: person.name,
        idNumber: person.id,
        title: `${person.name} 待移交的零星报销审核表`,
        // Not 2024: the hold probes (run first in one world) hold a whole fonds-year of 2024.
        date: '2019-06-18',
        handledAt: '2019-06-18T10:00:00+08:00',
      }),
      ...(fonds === 'J014'
        ? {
            fonds: 'J014',
            poolingRegion: '320116',
            responsible: '南京市六合区医疗保障局',
            agency: '六合区医保服务中心',
          }
        : {}),
    }),
  );
  if (filed.statusCode !== 201) throw new Error(`item to transfer: ${filed.statusCode} ${filed.body}`);
  const item = filed.json() as { archiveCode: string };
  // Its four-property check as the check service keeps a passed run (the probes do not read files).
  const db = world.system.database.db;
  const { rows } = await sql<{ id: number }>`insert into check_run
      (trigger, target_kind, target, run_by, started_at, items, failed_items, passed, failed, skipped)
    values ('transfer', 'item', ${item.archiveCode}, 'other-archivist', now(), 1, 0, 1, 0, 0) returning id`.execute(
    db,
  );
  await sql`insert into check_result (run_id, item_id, check_id, status, detail)
    select ${Number(rows[0]?.id)}, i.id, 'digest', 'pass', '走查' from archive_item i
    where i.archive_code = ${item.archiveCode}`.execute(db);
  const drawn = await by(
    post('/transfer/batches', { fonds, items: [item.archiveCode], receiver: '南京市档案馆' }),
  );
  if (drawn.statusCode !== 201) throw new Error(`batch: ${drawn.statusCode} ${drawn.body}`);
  return (drawn.json() as { code: string }).code;
}

function worldBatches(world: ScopeWorld) {
  let made = batches.get(world);
  if (!made) {
    made = (async () => ({ own: await batchOf(world, 'J013'), foreign: await batchOf(world, 'J014') }))();
    batches.set(world, made);
  }
  return made;
}

/** A route on one batch: the caller's own fonds' batch shown, the other fonds' as a missing one. */
const onBatch =
  (method: Call['method'], tail: string, body?: unknown): Probe =>
  async ({ world, call, sameAsMissing }: ProbeContext) => {
    const { own, foreign } = await worldBatches(world);
    const at = (code: string): Call => ({
      method,
      url: api(`/transfer/batches/${code}${tail}`),
      ...(body !== undefined ? { body } : method === 'POST' ? { body: {} } : {}),
    });
    await call(at(own));
    await sameAsMissing(
      { ...at(foreign), id: foreign },
      { ...at(missingOf(foreign)), id: missingOf(foreign) },
    );
  };

export const TRANSFER_ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/transfer/batches': async ({ world, call }) => {
    await worldBatches(world);
    await call(get('/transfer/batches'));
    await call(get('/transfer/batches?state=drawn&limit=10'));
  },
  'POST /api/v1/transfer/batches': async ({ world, call, sameAsMissing }) => {
    await worldBatches(world);
    await call(post('/transfer/batches', { fonds: 'J013', year: 2024, receiver: '南京市档案馆' }));
    // By a query that J014's items match too: only the caller's scope is drawn (or refused).
    await call(post('/transfer/batches', { fonds: 'J013', query: '审核表', receiver: '南京市档案馆' }));
    await call(
      post('/transfer/batches', {
        fonds: 'J013',
        kind: 'person',
        idNumber: validId('32011619600101302'),
        receiver: '苏州市医疗保障局',
      }),
    );
    await sameAsMissing(
      { ...post('/transfer/batches', { fonds: 'J014', receiver: '南京市档案馆' }), id: 'J014' },
      { ...post('/transfer/batches', { fonds: 'J099', receiver: '南京市档案馆' }), id: 'J099' },
    );
  },
  'GET /api/v1/transfer/batches/{code}': onBatch('GET', ''),
  'POST /api/v1/transfer/batches/{code}/export': onBatch('POST', '/export'),
  'GET /api/v1/transfer/batches/{code}/bag.tar': onBatch('GET', '/bag.tar'),
  'POST /api/v1/transfer/batches/{code}/accept': onBatch('POST', '/accept', { receipt: '{}' }),
  'GET /api/v1/transfer/batches/{code}/form.xlsx': onBatch('GET', '/form.xlsx'),
  'GET /api/v1/transfer/batches/{code}/form.pdf': onBatch('GET', '/form.pdf'),
  'POST /api/v1/transfer/batches/{code}/withdraw': onBatch('POST', '/withdraw', { reason: '走查撤销批次' }),
};
