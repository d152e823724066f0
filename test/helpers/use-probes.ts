import { logEvent } from '../../src/modules/integrity/event-log.js';
import { catchUpUses } from '../../src/modules/use/use.follower.js';
import { OUT_PEOPLE, type ScopeWorld } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of the 利用登记簿's routes. The register holds who used which archive:
// the walk logs uses of an item of each fonds (an outside person borrowing a J014 record, a court
// reading a J013 one) and takes them in, then every J013 caller lists, counts and exports.

const api = (path: string) => `/api/v1${path}`;
const MISSING = 999_999_999;
const taken = new WeakMap<ScopeWorld, Promise<{ inside: number; outside: number }>>();

async function logUses(world: ScopeWorld): Promise<{ inside: number; outside: number }> {
  const db = world.system.database.db;
  const loan = async (number: string, items: string[], borrower: Record<string, string>) => {
    await logEvent(db, {
      actor: world.other.username,
      action: 'loan.requested',
      subject: `loan:${number}`,
      payload: { kind: 'paper', items, purpose: '走查借阅', days: 5, borrower },
    });
    await logEvent(db, {
      actor: world.other.username,
      action: 'loan.handed_over',
      subject: `loan:${number}`,
      payload: { items, due: '2026-12-31' },
    });
  };
  await loan('JY2026-900001', [world.inside.item, world.inside.sensitive], {
    organisation: '南京市中级人民法院',
    letterNo: '宁中法函〔2026〕走查1号',
  });
  await loan('JY2026-900002', [world.outside.item, world.outside.sensitive], {
    person: OUT_PEOPLE.item.name,
  });
  await catchUpUses(db);
  const seqOf = async (item: string) =>
    Number(
      (
        await db
          .selectFrom('use_register')
          .select('event_seq')
          .where('item_code', '=', item)
          .executeTakeFirstOrThrow()
      ).event_seq,
    );
  return { inside: await seqOf(world.inside.item), outside: await seqOf(world.outside.item) };
}

const uses = (world: ScopeWorld) => {
  let promise = taken.get(world);
  if (!promise) {
    promise = logUses(world);
    taken.set(world, promise);
  }
  return promise;
};

const get = (path: string) => ({ method: 'GET' as const, url: api(path) });

export const USE_ROUTES: Record<string, Probe | string> = {
  'GET /api/v1/use/entries': async ({ world, call }) => {
    await uses(world);
    await call(get('/use/entries?limit=1000'));
    await call(get('/use/entries?fonds=J014'));
    await call(get(`/use/entries?item=${encodeURIComponent(world.outside.item)}`));
  },
  'POST /api/v1/use/entries/{seq}/effect': async ({ world, sameAsMissing }) => {
    const { outside } = await uses(world);
    const effect = (seq: number) => ({
      method: 'POST' as const,
      url: api(`/use/entries/${seq}/effect`),
      body: { effect: 'audit', note: '走查' },
    });
    await sameAsMissing({ ...effect(outside), id: outside }, { ...effect(MISSING), id: MISSING });
  },
  'GET /api/v1/use/stats': async ({ world, call }) => {
    await uses(world);
    for (const by of ['kind', 'category', 'department']) await call(get(`/use/stats?period=year&by=${by}`));
    await call(get('/use/stats?fonds=J014&by=department'));
  },
  'GET /api/v1/use/stats.xlsx': async ({ world, call }) => {
    await uses(world);
    await call(get('/use/stats.xlsx?by=department'));
  },
  'GET /api/v1/use/summary': async ({ world, call }) => {
    await uses(world);
    await call(get('/use/summary'));
  },
};
