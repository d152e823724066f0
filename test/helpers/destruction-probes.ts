import { sql } from 'kysely';
import { reimbursement, validId } from './fixtures.js';
import { type Call, type ScopeWorld, send } from './scope-fixture.js';
import type { Probe, ProbeContext } from './scope-probes.js';

// The scope-and-masking probes of the destruction-register routes (/destruction/registers, 销毁清册).
// The other user (all fonds) draws a register of a J014 person's expired archive: every J013 caller
// must find it exactly as a number never issued (show, sign, approve, carry, paper, XLSX, PDF) and
// never see it listed; a register of a J013 person's archive is shown and its files searched.

const api = (path: string) => `/api/v1${path}`;
const get = (path: string): Call => ({ method: 'GET', url: api(path) });
const post = (path: string, body?: unknown): Call => ({ method: 'POST', url: api(path), body: body ?? {} });
const registers = new WeakMap<ScopeWorld, Promise<{ own: string; foreign: string; foreignRound: string }>>();
const missingOf = (code: string) => code.replace(/\d+$/, '999');

let rounds = 0;
async function registerOf(
  world: ScopeWorld,
  fonds: 'J013' | 'J014',
): Promise<{ code: string; round: string }> {
  const by = (call: Call) => send(world.app, world.other, call);
  // People of their own: the hold probes freeze IN_PEOPLE's and OUT_PEOPLE's archives.
  const person =
    fonds === 'J013'
      ? { name: '周立新', id: validId('32011519600101201') }
      : { name: '吴海燕', id: validId('32011619600101202') };
  const filed = await by(
    post('/items', {
      ...reimbursement({
        name: person.name,
        idNumber: person.id,
        title: `${person.name} 已到期的零星报销审核表`,
        date: '1990-03-15',
        handledAt: '1990-03-15T10:00:00+08:00',
        retention: 'D30',
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
  if (filed.statusCode !== 201) throw new Error(`expired item: ${filed.statusCode} ${filed.body}`);
  const item = filed.json() as { id: number; archiveCode: string; version: number; category: string };
  rounds += 1;
  const round = `JD-${fonds}-2026-${900 + rounds}`;
  const db = world.system.database.db;
  // The round as the appraisal service leaves it: the group decided 销毁.
  const { rows } = await sql<{ id: number }>`insert into appraisal_round
      (code, fonds_code, year, number, title, lead, opened_by)
    values (${round}, ${fonds}, 2026, ${900 + rounds}, '走查鉴定批次', 'appraisal-lead', 'appraisal-lead') returning id`.execute(
    db,
  );
  const roundId = Number(rows[0]?.id);
  await sql`insert into appraisal_member (round_id, username, is_lead, added_by)
    values (${roundId}, 'appraisal-lead', true, 'appraisal-lead'), (${roundId}, 'appraisal-member', false, 'appraisal-lead')`.execute(
    db,
  );
  await sql`insert into appraisal_item (round_id, item_id, archive_code, category_id, year, added_by, decision,
      decision_reason, decided_by, decided_at, item_version, item_retention)
    select ${roundId}, i.id, i.archive_code, i.category_id, i.year, 'appraisal-lead', 'destroy',
      '已过保管期限', 'appraisal-lead', now(), i.version, i.retention
    from archive_item i where i.archive_code = ${item.archiveCode}`.execute(db);
  const drawn = await by(post('/destruction/registers', { round }));
  if (drawn.statusCode !== 201) throw new Error(`register: ${drawn.statusCode} ${drawn.body}`);
  return { code: (drawn.json() as { code: string }).code, round };
}

function worldRegisters(world: ScopeWorld) {
  let made = registers.get(world);
  if (!made) {
    made = (async () => {
      const own = await registerOf(world, 'J013');
      const foreign = await registerOf(world, 'J014');
      return { own: own.code, foreign: foreign.code, foreignRound: foreign.round };
    })();
    registers.set(world, made);
  }
  return made;
}

/** A route on one register: the caller's own fonds' register shown, the other fonds' as a missing one. */
const onRegister =
  (method: Call['method'], tail: string, body?: unknown): Probe =>
  async ({ world, call, sameAsMissing }: ProbeContext) => {
    const { own, foreign } = await worldRegisters(world);
    const at = (code: string): Call => ({
      method,
      url: api(`/destruction/registers/${code}${tail}`),
      ...(body !== undefined ? { body } : method === 'POST' ? { body: {} } : {}),
    });
    await call(at(own));
    await sameAsMissing(
      { ...at(foreign), id: foreign },
      { ...at(missingOf(foreign)), id: missingOf(foreign) },
    );
  };

export const DESTRUCTION_ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/destruction/registers': async ({ world, call }) => {
    await worldRegisters(world);
    await call(get('/destruction/registers'));
    await call(get('/destruction/registers?state=drawn&limit=10'));
  },
  'POST /api/v1/destruction/registers': async ({ world, call, sameAsMissing }) => {
    const { foreignRound } = await worldRegisters(world);
    await call(post('/destruction/registers', { round: 'JD-J013-2026-1' }));
    const missing = missingOf(foreignRound);
    await sameAsMissing(
      { ...post('/destruction/registers', { round: foreignRound }), id: foreignRound },
      { ...post('/destruction/registers', { round: missing }), id: missing },
    );
  },
  'GET /api/v1/destruction/registers/{code}': onRegister('GET', ''),
  'POST /api/v1/destruction/registers/{code}/sign': onRegister('POST', '/sign', { role: 'witness' }),
  'POST /api/v1/destruction/registers/{code}/approve': onRegister('POST', '/approve'),
  'POST /api/v1/destruction/registers/{code}/carry': onRegister('POST', '/carry'),
  'POST /api/v1/destruction/registers/{code}/paper': onRegister('POST', '/paper', {
    archiveCode: 'J013-JSLX·2010-D10-JSK-0001',
    method: '粉碎',
    place: '局档案室',
    at: '2026-01-01T10:00:00+08:00',
    witnesses: ['a', 'b'],
  }),
  'POST /api/v1/destruction/registers/{code}/withdraw': onRegister('POST', '/withdraw', {
    reason: '走查撤销清册',
  }),
  'GET /api/v1/destruction/registers/{code}/xlsx': onRegister('GET', '/xlsx'),
  'GET /api/v1/destruction/registers/{code}/pdf': onRegister('GET', '/pdf'),
};
