import { noteCase, openCase } from '../../src/modules/cases/case.service.js';
import { SYSTEM } from './fixture-access.js';
import type { Call, ScopeWorld } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of 核查案件 (/cases). The system opens a J014 case (六合区, J014
// evidence) and a J013 case (江宁区, a J013 person's ordinary and sensitive archives as evidence, a
// note, concluded and closed so its case file is filed): every J013 caller must find the J014 case
// exactly as a code never issued and never see it listed; what they see of the J013 case is scanned
// for ID numbers in the clear and anything of J014.

const api = (path: string) => `/api/v1${path}`;
const get = (path: string): Call => ({ method: 'GET', url: api(path) });
const post = (path: string, body?: unknown): Call => ({ method: 'POST', url: api(path), body: body ?? {} });
const MISSING = 'HC20269999';
const made = new WeakMap<ScopeWorld, Promise<{ foreign: string; own: string; open: string }>>();

function cases(world: ScopeWorld) {
  let promise = made.get(world);
  if (!promise) {
    const db = world.system.database.db;
    promise = (async () => {
      const foreign = await openCase(db, SYSTEM, {
        title: '六合区某医院重复收费',
        fonds: 'J014',
        region: '320116',
        reason: '六合区群众举报重复收费',
        items: [world.outside.item, world.outside.sensitive],
      });
      const own = await openCase(db, SYSTEM, {
        title: '江宁区某医院挂床住院',
        fonds: 'J013',
        region: '320115',
        reason: '江宁区群众举报挂床住院',
        items: [world.inside.item, world.inside.sensitive],
      });
      await noteCase(db, SYSTEM, own, '调取病历与床位费明细核对');
      const open = await openCase(db, SYSTEM, {
        title: '江宁区某药店超量开药',
        fonds: 'J013',
        region: '320115',
        reason: '江宁区智能审核外人工发现',
      });
      return { foreign, own, open };
    })();
    made.set(world, promise);
  }
  return promise;
}

const changes = ['assign', 'notes', 'attach', 'conclude', 'close'] as const;
const bodies: Record<(typeof changes)[number], (world: ScopeWorld) => unknown> = {
  assign: (world) => ({ assignee: world.reader.username }),
  notes: () => ({ text: '走查核查记录' }),
  attach: (world) => ({ items: [world.inside.item] }),
  conclude: () => ({ conclusion: 'no_violation', reason: '走查不违规结论' }),
  close: () => ({}),
};

export const CASE_ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/cases': async ({ world, call }) => {
    await cases(world);
    await call(get('/cases?limit=200'));
    await call(get('/cases?state=open&region=3201&limit=200'));
  },
  'GET /api/v1/cases/{code}': async ({ world, call, sameAsMissing }) => {
    const { foreign, own } = await cases(world);
    await call(get(`/cases/${own}`));
    await sameAsMissing(
      { ...get(`/cases/${foreign}`), id: foreign },
      { ...get(`/cases/${MISSING}`), id: MISSING },
    );
  },
  'POST /api/v1/cases': async ({ world, call, sameAsMissing }) => {
    await call(
      post('/cases', {
        title: '走查人工立案',
        fonds: 'J013',
        region: '320115',
        reason: '走查举报内容',
        items: [world.inside.item, world.inside.sensitive],
      }),
    );
    const withItem = (item: string) =>
      post('/cases', {
        title: '走查范围外证据',
        fonds: 'J013',
        region: '320115',
        reason: '走查举报',
        items: [item],
      });
    const missing = world.outside.item.replace(/\d+$/, '9999');
    await sameAsMissing(
      { ...withItem(world.outside.item), id: world.outside.item },
      { ...withItem(missing), id: missing },
    );
  },
  ...Object.fromEntries(
    changes.map((step) => [
      `POST /api/v1/cases/{code}/${step}`,
      (async ({ world, call, sameAsMissing }) => {
        const { foreign, open } = await cases(world);
        await call(post(`/cases/${open}/${step}`, bodies[step](world)));
        const at = (code: string) => post(`/cases/${code}/${step}`, bodies[step](world));
        await sameAsMissing({ ...at(foreign), id: foreign }, { ...at(MISSING), id: MISSING });
      }) satisfies Probe,
    ]),
  ),
};
