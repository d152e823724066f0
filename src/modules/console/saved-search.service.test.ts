import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, validId } from '../../../test/helpers/fixtures.js';
import { findUserByName } from '../access/access.repo.js';
import { loadPrincipal, type Principal } from '../access/principal.js';
import { createUser } from '../access/user.service.js';
import { eventTrail } from '../integrity/events.service.js';
import { MAX_SAVED_SEARCHES } from './saved-search.schema.js';
import { mySavedSearches, saveSearch, unsaveSearch } from './saved-search.service.js';

// Saved searches belong to one user: saved, replaced, listed and removed with an event each, within
// the name and count limits.

let database: TestDatabase;
const db = () => database.db;
let alice: Principal;
let bob: Principal;

async function principal(username: string): Promise<Principal> {
  await createUser(db(), { username, password: 'Archive-Test-Passw0rd!', roles: ['clerk'] }, 'test');
  const row = await findUserByName(db(), username);
  return (await loadPrincipal(db(), row?.id as number, 'session')) as Principal;
}

beforeAll(async () => {
  database = await openTestDatabase();
  alice = await principal('alice');
  bob = await principal('bob');
});
afterAll(() => database?.close());

describe('saved searches', () => {
  it('saves, replaces and removes a search, each with its event', async () => {
    const saved = await saveSearch(db(), alice, '江宁 报销', {
      query: '零星报销 王建国',
      filters: { fonds: 'J013', yearFrom: 2020, carrier: 'paper', sort: 'date' },
    });
    expect(saved).toMatchObject({
      name: '江宁 报销',
      query: '零星报销 王建国',
      filters: { fonds: 'J013', yearFrom: 2020, carrier: 'paper', sort: 'date' },
    });
    const replaced = await saveSearch(db(), alice, '  江宁 报销 ', { query: '住院', filters: {} });
    expect(replaced).toMatchObject({ name: '江宁 报销', query: '住院', filters: {} });
    expect(replaced.createdAt).toBe(saved.createdAt);
    expect(await mySavedSearches(db(), alice)).toHaveLength(1);

    await unsaveSearch(db(), alice, '江宁 报销');
    expect(await mySavedSearches(db(), alice)).toEqual([]);
    // Read unmasked: the trail masks any payload key called name as a person's name.
    const events = (
      await eventTrail(db(), { subject: 'user:alice', limit: 10 }, SYSTEM, { unmasked: true })
    ).filter((event) => event.action.startsWith('search.'));
    expect(events.map((event) => event.action)).toEqual(['search.unsaved', 'search.saved', 'search.saved']);
    expect(events[2]?.payload).toMatchObject({ name: '江宁 报销', replaced: false });
    expect(events[1]?.payload).toMatchObject({ name: '江宁 报销', replaced: true });
    // The log keeps a digest of what was searched for, not the words (a name, an ID number).
    expect(JSON.stringify(events[2]?.payload)).not.toContain('王建国');
    expect(events[2]?.payload).toMatchObject({ state: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('refuses to keep a search by ID number (in its name, words or filters), quoting the number masked', async () => {
    const id = validId('32011519850312123');
    const before = await eventTrail(db(), { subject: 'user:alice', limit: 100 }, SYSTEM);
    for (const [name, search] of [
      [`查 ${id}`, { query: '报销' }],
      ['按人查', { query: id }],
      ['按人查', { query: '', filters: { handler: `经办 ${id}` } }],
    ] as const) {
      const refused = await failure(saveSearch(db(), alice, name, search));
      expect(refused.code).toBe('ID_NUMBER_IN_TEXT');
      expect(refused.message).toContain(`检索方案中含有身份证号（${id.slice(0, 6)}********${id.slice(-4)}）`);
      expect(refused.message).not.toContain(id);
    }
    expect(await mySavedSearches(db(), alice)).toEqual([]);
    expect(await eventTrail(db(), { subject: 'user:alice', limit: 100 }, SYSTEM)).toHaveLength(before.length);
  });

  it('keeps each user to their own searches', async () => {
    await saveSearch(db(), alice, '我的方案', { query: '甲' });
    await saveSearch(db(), bob, '我的方案', { query: '乙' });
    expect((await mySavedSearches(db(), alice)).map((search) => search.query)).toEqual(['甲']);
    expect((await mySavedSearches(db(), bob)).map((search) => search.query)).toEqual(['乙']);
    await unsaveSearch(db(), bob, '我的方案');
    expect(await mySavedSearches(db(), alice)).toHaveLength(1);
    const missing = await failure(unsaveSearch(db(), bob, '我的方案'));
    expect(missing.code).toBe('SAVED_SEARCH_NOT_FOUND');
    await unsaveSearch(db(), alice, '我的方案');
  });

  it('refuses bad names, long queries and unknown filters in Chinese', async () => {
    for (const name of ['', '   ', 'x'.repeat(41), '换\n行']) {
      const refused = await failure(saveSearch(db(), alice, name, { query: 'a' }));
      expect(refused.code).toBe('SAVED_SEARCH_NAME_INVALID');
      expect(refused.message).toMatch(/检索方案名称/);
    }
    expect((await saveSearch(db(), alice, '名'.repeat(40), { query: 'a' })).name).toHaveLength(40);
    expect((await failure(saveSearch(db(), alice, 'q', { query: '字'.repeat(501) }))).code).toBe(
      'QUERY_TOO_LONG',
    );
    const unknown = await failure(saveSearch(db(), alice, 'f', { query: '', filters: { colour: 'red' } }));
    expect(unknown.message).toContain('筛选条件');
    const wrongType = await failure(
      saveSearch(db(), alice, 'f', { query: '', filters: { yearFrom: '二〇' } }),
    );
    expect(wrongType.message).toContain('yearFrom');
    await unsaveSearch(db(), alice, '名'.repeat(40));
  });

  it(`stops a user at ${MAX_SAVED_SEARCHES} searches, though replacing one still works`, async () => {
    for (let index = 1; index <= MAX_SAVED_SEARCHES; index++)
      await saveSearch(db(), bob, `方案${index}`, { query: String(index) });
    const over = await failure(saveSearch(db(), bob, '再来一个', { query: 'x' }));
    expect(over.code).toBe('SAVED_SEARCH_LIMIT');
    expect(over.message).toContain('最多 50 个');
    expect((await saveSearch(db(), bob, '方案7', { query: '七' })).query).toBe('七');
    expect(await mySavedSearches(db(), bob)).toHaveLength(MAX_SAVED_SEARCHES);
    // Others are not held back by bob's searches.
    expect((await saveSearch(db(), alice, '再来一个', { query: 'x' })).name).toBe('再来一个');
  });
});
