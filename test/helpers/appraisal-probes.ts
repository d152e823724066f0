import { sql } from 'kysely';
import { refreshAllExpiry } from '../../src/modules/disposition/expiry.job.js';
import { reimbursement, validId } from './fixtures.js';
import { type Call, type ScopeWorld, send } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of the appraisal routes (/appraisal, 到期档案与鉴定批次). An expired
// archive of a J013 person and one of a J014 person are on the expiry list; the other user's J014
// round must be found by every J013 caller exactly as a number never issued, and never listed. A
// caller who may appraise opens a J013 round with the due items and reads it back (titles masked).

const api = (path: string) => `/api/v1${path}`;
const get = (path: string): Call => ({ method: 'GET', url: api(path) });
const post = (path: string, body?: unknown): Call => ({ method: 'POST', url: api(path), body: body ?? {} });
const put = (path: string, body?: unknown): Call => ({ method: 'PUT', url: api(path), body: body ?? {} });
const MISSING_ROUND = 'JD-J099-2026-999';
const scenes = new WeakMap<ScopeWorld, Promise<string>>();

/** Expired items of both fonds, the list refreshed, and the other user's J014 round (once per world). */
function foreignRound(world: ScopeWorld): Promise<string> {
  let made = scenes.get(world);
  if (!made) {
    made = (async () => {
      const by = (call: Call) => send(world.app, world.other, call);
      for (const [fonds, person] of [
        ['J013', { name: '郑到期', id: validId('32011519500101301') }],
        ['J014', { name: '慕容到期', id: validId('32011619500101302') }],
      ] as const) {
        const filed = await by(
          post('/items', {
            ...reimbursement({
              name: person.name,
              idNumber: person.id,
              title: `${person.name} 1990年零星报销审核表`,
              date: '1990-03-15',
              handledAt: '1990-03-15T10:00:00+08:00',
              retention: 'D10',
            }),
            ...(fonds === 'J014'
              ? {
                  fonds,
                  poolingRegion: '320116',
                  responsible: '南京市六合区医疗保障局',
                  agency: '六合区医保服务中心',
                }
              : {}),
          }),
        );
        if (filed.statusCode !== 201) throw new Error(`expired item: ${filed.statusCode} ${filed.body}`);
      }
      const db = world.system.database.db;
      await refreshAllExpiry(db);
      const round = 'JD-J014-2026-801';
      const { rows } = await sql<{ id: number }>`insert into appraisal_round
          (code, fonds_code, year, number, title, lead, opened_by)
        values (${round}, 'J014', 2026, 801, '六合区到期档案鉴定', ${'other-archivist'}, ${'other-archivist'})
        returning id`.execute(db);
      await sql`insert into appraisal_member (round_id, username, is_lead, added_by)
        values (${rows[0]?.id}, 'other-archivist', true, 'test')`.execute(db);
      return round;
    })();
    scenes.set(world, made);
  }
  return made;
}

/** A J013 round this caller opened with the due items (undefined when it may not appraise). */
async function ownRound(
  world: ScopeWorld,
  username: string,
  call: (call: Call) => Promise<{ statusCode: number; json: () => unknown }>,
): Promise<string | undefined> {
  await foreignRound(world);
  const opened = await call(
    post('/appraisal/rounds', { fonds: 'J013', lead: username, members: ['other-archivist'] }),
  );
  if (opened.statusCode !== 200) return undefined;
  const { code } = opened.json() as { code: string };
  await call(post(`/appraisal/rounds/${code}/items`, { all: true }));
  return code;
}

/** A route on the foreign round and on one never issued: the same answer. */
const onRound =
  (method: 'GET' | 'POST' | 'PUT', suffix: string, body?: unknown): Probe =>
  async ({ world, as, call, sameAsMissing }) => {
    const foreign = await foreignRound(world);
    const make = (code: string): Call => {
      const url = `/appraisal/rounds/${code}${suffix}`;
      return method === 'GET' ? get(url) : method === 'PUT' ? put(url, body) : post(url, body);
    };
    const mine = await ownRound(world, as.username, call);
    if (mine) await call(make(mine));
    await sameAsMissing({ ...make(foreign), id: foreign }, { ...make(MISSING_ROUND), id: MISSING_ROUND });
  };

export const APPRAISAL_ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/appraisal/expiry': async ({ world, call, sameAsMissing }) => {
    await foreignRound(world);
    await call(get('/appraisal/expiry?fonds=J013'));
    await call(get('/appraisal/expiry?fonds=J013&year=1990&category=JS'));
    await sameAsMissing(
      { ...get('/appraisal/expiry?fonds=J014'), id: 'J014' },
      { ...get('/appraisal/expiry?fonds=J099'), id: 'J099' },
    );
  },
  'GET /api/v1/appraisal/due-count': async ({ world, call }) => {
    await foreignRound(world);
    await call(get('/appraisal/due-count'));
  },
  'GET /api/v1/appraisal/rounds': async ({ world, as, call }) => {
    await ownRound(world, as.username, call);
    await call(get('/appraisal/rounds'));
    await call(get('/appraisal/rounds?fonds=J014'));
  },
  'POST /api/v1/appraisal/rounds': async ({ world, as, call, sameAsMissing }) => {
    await ownRound(world, as.username, call);
    const open = (fonds: string) =>
      post('/appraisal/rounds', { fonds, lead: as.username, members: ['other-archivist'] });
    await sameAsMissing({ ...open('J014'), id: 'J014' }, { ...open('J099'), id: 'J099' });
  },
  'GET /api/v1/appraisal/rounds/{code}': onRound('GET', ''),
  'PUT /api/v1/appraisal/rounds/{code}/members': onRound('PUT', '/members', {
    lead: 'other-archivist',
    members: ['other-archivist', 'nobody-at-all'],
  }),
  'POST /api/v1/appraisal/rounds/{code}/items': onRound('POST', '/items', { all: true }),
  'POST /api/v1/appraisal/rounds/{code}/proposals': onRound('POST', '/proposals', {
    items: ['J014-JSLX·1990-D10-JSK-0001'],
    proposal: 'destroy',
    reason: '走查提出意见',
  }),
  'POST /api/v1/appraisal/rounds/{code}/decisions': onRound('POST', '/decisions', {
    decision: 'destroy',
    reason: '走查作出结论',
  }),
};
