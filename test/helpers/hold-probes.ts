import { type Call, IN_PEOPLE, OUT_PEOPLE, type ScopeWorld, send } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of the legal-hold routes (/holds, 冻结). The other user (all fonds)
// holds a J014 person's archives: every J013 caller must find that hold exactly as a number never
// issued (show, lift) and never see it listed. Each caller that may places a hold on a J013 person
// by ID number, whose answer is searched for the number in the clear.

const api = (path: string) => `/api/v1${path}`;
const get = (path: string): Call => ({ method: 'GET', url: api(path) });
const post = (path: string, body?: unknown): Call => ({ method: 'POST', url: api(path), body: body ?? {} });
const MISSING_HOLD = 'DJ-2026-999999';
const foreignHolds = new WeakMap<ScopeWorld, Promise<string>>();

/** The other user's hold on a J014 person (made once per world). */
function foreignHold(world: ScopeWorld): Promise<string> {
  let made = foreignHolds.get(world);
  if (!made) {
    made = send(
      world.app,
      world.other,
      post('/holds', {
        fonds: 'J014',
        idNumber: OUT_PEOPLE.item.id,
        reason: '六合区骗保线索核查',
        caseRef: '六合稽〔2026〕1号',
      }),
    ).then((response) => {
      if (response.statusCode !== 201)
        throw new Error(`foreign hold: ${response.statusCode} ${response.body}`);
      return (response.json() as { code: string }).code;
    });
    foreignHolds.set(world, made);
  }
  return made;
}

/** A hold this caller placed on a J013 person by ID number (undefined when it may not). */
async function ownHold(call: (call: Call) => Promise<{ statusCode: number; json: () => unknown }>) {
  const placed = await call(
    post('/holds', {
      fonds: 'J013',
      kind: 'query',
      idNumber: IN_PEOPLE.item.id,
      reason: '走查冻结参保人档案',
    }),
  );
  return placed.statusCode === 201 ? (placed.json() as { code: string }).code : undefined;
}

export const HOLD_ROUTES: Record<string, Probe | string> = {
  'POST /api/v1/holds': async ({ world, call, sameAsMissing }) => {
    await ownHold(call);
    await call(
      post('/holds', {
        fonds: 'J013',
        items: [world.inside.item, world.inside.sensitive],
        reason: '走查按档号冻结',
      }),
    );
    await call(
      post('/holds', {
        fonds: 'J013',
        kind: 'category_year',
        category: 'JSLX',
        year: 2024,
        reason: '走查按年度冻结',
      }),
    );
    const missing = world.outside.item.replace(/\d+$/, '9999');
    const byItem = (item: string) =>
      post('/holds', { fonds: 'J013', items: [item], reason: '走查范围外档号' });
    await sameAsMissing(
      { ...byItem(world.outside.item), id: world.outside.item },
      { ...byItem(missing), id: missing },
    );
    const byFonds = (fonds: string) => post('/holds', { fonds, year: 2024, reason: '走查范围外全宗' });
    await sameAsMissing({ ...byFonds('J014'), id: 'J014' }, { ...byFonds('J099'), id: 'J099' });
  },
  'GET /api/v1/holds': async ({ world, call }) => {
    await foreignHold(world);
    await call(get('/holds?limit=200'));
    await call(get('/holds?state=active&limit=200'));
  },
  'GET /api/v1/holds/{code}': async ({ world, call, sameAsMissing }) => {
    const foreign = await foreignHold(world);
    const mine = await ownHold(call);
    if (mine) await call(get(`/holds/${mine}`));
    await sameAsMissing(
      { ...get(`/holds/${foreign}`), id: foreign },
      { ...get(`/holds/${MISSING_HOLD}`), id: MISSING_HOLD },
    );
  },
  'POST /api/v1/holds/{code}/lift': async ({ world, call, sameAsMissing }) => {
    const foreign = await foreignHold(world);
    const mine = await ownHold(call);
    if (mine) await call(post(`/holds/${mine}/lift`, { reason: '走查解除冻结' }));
    const lift = (hold: string) => post(`/holds/${hold}/lift`, { reason: '走查越权解除' });
    await sameAsMissing({ ...lift(foreign), id: foreign }, { ...lift(MISSING_HOLD), id: MISSING_HOLD });
  },
};
