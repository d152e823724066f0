import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { addPerson, addSettlement, addTestItems } from '../../../test/helpers/fund-rules.js';
import type { AccessContext } from '../../shared/access-context.js';
import type { ScopeRow } from '../access/access.repo.js';
import { findUserByName } from '../access/access.repo.js';
import { accessContextOf, loadPrincipal } from '../access/principal.js';
import { createUser } from '../access/user.service.js';
import { listClues, readClue } from './clue.service.js';
import { executeRun, startRun } from './run.service.js';

// A clue pairing settlements of two regions (a run over a wider prefix) carries both in its evidence, so
// only a caller whose regions reach every one of them finds it (review G1): to a supervisor of either
// region alone it does not exist.

let database: TestDatabase;
const db = () => database.db;
async function supervisor(name: string, scope: ScopeRow[]): Promise<AccessContext> {
  await createUser(
    db(),
    { username: name, password: 'Archive-Test-Passw0rd!', roles: ['supervisor'], scope },
    'test',
  );
  const row = await findUserByName(db(), name);
  const principal = await loadPrincipal(db(), row?.id as number, 'session');
  if (!principal) throw new Error(name);
  return accessContextOf(db(), principal);
}
const region = (regionCode: string | null): ScopeRow[] => [
  { fondsCode: null, regionCode, categoryCode: null },
];

beforeAll(async () => {
  database = await openTestDatabase();
  await addTestItems(db());
}, 120_000);
afterAll(() => database?.close());

describe('clues across regions', () => {
  it('are found only by a caller reaching every settlement of the clue', async () => {
    await addPerson(db(), 'XR', { region: '320115' });
    const stay = { visit: '住院', dx: 'K35.8' } as const;
    await addSettlement(db(), {
      serial: 'XR-1',
      person: 'XR',
      region: '320116',
      institution: 'LH01',
      admit: '2026-05-01',
      discharge: '2026-05-10',
      ...stay,
    });
    await addSettlement(db(), {
      serial: 'XR-2',
      person: 'XR',
      region: '320115',
      institution: 'JN01',
      admit: '2026-05-03',
      discharge: '2026-05-12',
      ...stay,
    });
    const all = await supervisor('clue.all', region(null));
    const run = await startRun(
      db(),
      all,
      { region: '32', from: '2026-05-01', to: '2026-05-31', rules: ['concurrent_stay'] },
      { background: false },
    );
    await executeRun(db(), run.id, 'clue.all');
    const found = (await listClues(db(), all, {})).clues;
    expect(found.map((clue) => [...clue.serials].sort())).toEqual([['XR-1', 'XR-2']]);
    const id = found[0]?.id as number;
    const both = await supervisor('clue.both', [...region('320115'), ...region('320116')]);
    expect((await readClue(db(), both, id)).serials.sort()).toEqual(['XR-1', 'XR-2']);
    for (const [name, code] of [
      ['clue.jn', '320115'],
      ['clue.lh', '320116'],
    ] as const) {
      const one = await supervisor(name, region(code));
      expect((await listClues(db(), one, {})).clues).toEqual([]);
      await expect(readClue(db(), one, id)).rejects.toMatchObject({ code: 'FUND_CLUE_NOT_FOUND' });
    }
  });
});
