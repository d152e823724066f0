import { expect } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { executeRun, startRun } from '../../src/modules/fund/run.service.js';
import { systemContext } from '../../src/shared/access-context.js';
import { addPerson, addSettlement, addTestItems } from './fund-rules.js';
import type { ScopeWorld } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of 智能审核规则与线索. The walk plants a 性别不符 settlement in 江宁
// (320115, the callers' fonds J013) and one in 六合 (320116, J014's district, at an institution named
// after it) and runs the rules over each district as the system. The J013 callers holding fund.read
// see 江宁's run and clue (the person as a key prefix, never an ID number), never 六合's; the others are
// refused; a run or clue of 六合 answers exactly like one that does not exist.

const api = (path: string) => `/api/v1${path}`;
const get = (path: string) => ({ method: 'GET' as const, url: api(path) });
const post = (path: string, body: unknown) => ({ method: 'POST' as const, url: api(path), body });
const mayRead = (world: ScopeWorld, username: string) => username === world.reader.username;

export interface Planted {
  inRun: number;
  outRun: number;
  inClue: number;
  outClue: number;
}
const planted = new WeakMap<ScopeWorld, Promise<Planted>>();
const MISSING = 987_654;

/** Plants the two districts' settlements and runs 性别不符 over each as the system (also for the CLI test). */
export async function plantRuleClues(
  db: Db,
  regions: readonly string[] = ['320115', '320116'],
): Promise<Planted> {
  const system = systemContext('fixture', 'probes');
  await addTestItems(db);
  const run = async (region: string, institutionName: string) => {
    const person = `probe${region}`;
    await addPerson(db, person, { sex: '女', region });
    await addSettlement(db, {
      serial: `RP-${region}`,
      person,
      region,
      institution: `RP${region}`,
      institutionName,
      admit: '2026-03-03',
      lines: [{ code: 'TMALE', date: '2026-03-03' }],
    });
    const started = await startRun(
      db,
      system,
      { region, from: '2026-03-03', to: '2026-03-03', rules: ['sex_mismatch'] },
      { background: false },
    );
    await executeRun(db, started.id, 'probes');
    const clue = await db
      .selectFrom('fund_clue')
      .select('id')
      .where('run_id', '=', started.id)
      .executeTakeFirstOrThrow();
    return { run: started.id, clue: Number(clue.id) };
  };
  const inside = regions.includes('320115') ? await run('320115', '江宁测试医院') : { run: 0, clue: 0 };
  const outside = await run('320116', '六合测试医院');
  return { inRun: inside.run, outRun: outside.run, inClue: inside.clue, outClue: outside.clue };
}

const once = (world: ScopeWorld) => {
  let promise = planted.get(world);
  if (!promise) {
    promise = plantRuleClues(world.system.database.db);
    planted.set(world, promise);
  }
  return promise;
};

export const FUND_RULE_ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/fund/rules': async ({ world, as, call }) => {
    const answer = await call(get('/fund/rules'));
    expect(answer.statusCode).toBe(mayRead(world, as.username) ? 200 : 403);
  },
  'GET /api/v1/fund/rules/{code}': async ({ call }) => void (await call(get('/fund/rules/split_admission'))),
  'PUT /api/v1/fund/rules/{code}':
    '修改审核规则的设置：回答是规则本身（说明、参数、版本），不含个人信息或档案内容',
  'POST /api/v1/fund/runs': async ({ world, as, call, sameAsMissing }) => {
    await once(world);
    const own = await call(post('/fund/runs', { region: '320115', from: '2026-03-01', to: '2026-03-31' }));
    await sameAsMissing(
      { ...post('/fund/runs', { region: '320116', from: '2026-03-01', to: '2026-03-31' }), id: '320116' },
      { ...post('/fund/runs', { region: '320199', from: '2026-03-01', to: '2026-03-31' }), id: '320199' },
    );
    // Starting a run takes fund.rules (the 基金监管人员's); the readers here hold fund.read at most.
    if (mayRead(world, as.username)) expect([200, 403]).toContain(own.statusCode);
    else expect(own.statusCode).toBe(403);
  },
  'GET /api/v1/fund/runs': async ({ world, as, call }) => {
    const { inRun } = await once(world);
    const runs = await call(get('/fund/runs?limit=200'));
    if (mayRead(world, as.username)) {
      expect(runs.json().runs.map((run: { id: number }) => run.id)).toContain(inRun);
      expect(runs.body).not.toContain('320116');
    } else expect(runs.statusCode).toBe(403);
  },
  'GET /api/v1/fund/runs/{id}': async ({ world, call, sameAsMissing }) => {
    const { inRun, outRun } = await once(world);
    await call(get(`/fund/runs/${inRun}`));
    await sameAsMissing(
      { ...get(`/fund/runs/${outRun}`), id: outRun },
      { ...get(`/fund/runs/${MISSING}`), id: MISSING },
    );
  },
  'GET /api/v1/fund/clues': async ({ world, as, call }) => {
    const { inClue } = await once(world);
    const clues = await call(get('/fund/clues?rule=sex_mismatch&limit=500'));
    await call(get('/fund/clues?institution=RP320116'));
    if (mayRead(world, as.username)) {
      expect(clues.json().clues.map((clue: { id: number }) => clue.id)).toContain(inClue);
      expect(clues.body).toContain('江宁测试医院');
    } else expect(clues.statusCode).toBe(403);
  },
  'GET /api/v1/fund/clues/{id}': async ({ world, as, call, sameAsMissing }) => {
    const { inClue, outClue } = await once(world);
    const clue = await call(get(`/fund/clues/${inClue}`));
    if (mayRead(world, as.username)) expect(clue.json().serials).toEqual(['RP-320115']);
    await sameAsMissing(
      { ...get(`/fund/clues/${outClue}`), id: outClue },
      { ...get(`/fund/clues/${MISSING}`), id: MISSING },
    );
  },
  'POST /api/v1/fund/clues/{id}/dismiss': async ({ world, sameAsMissing }) => {
    const { outClue } = await once(world);
    const dismiss = { reason: '核实为正常就诊' };
    await sameAsMissing(
      { ...post(`/fund/clues/${outClue}/dismiss`, dismiss), id: outClue },
      { ...post(`/fund/clues/${MISSING}/dismiss`, dismiss), id: MISSING },
    );
  },
};
