import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext, PrincipalContext } from '../../shared/access-context.js';
import { findUserByName, type ScopeRow } from '../access/access.repo.js';
import { approveRequest, requestAccess } from '../access/grant.service.js';
import { accessContextOf, loadPrincipal, type Principal } from '../access/principal.js';
import type { Role } from '../access/roles.js';
import { createUser } from '../access/user.service.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { appendEvent } from '../integrity/event-log.js';
import { insertPageTexts } from './index.repo.js';
import { catchUpIndex } from './indexer.js';
import { type SearchRequest, type SearchResult, search } from './search.service.js';

// What a search shows depends on who asks: only items in the user's scope (fonds, region, category),
// and sensitive (敏感) or restricted (限制) items only under an approved grant in force or when they
// are the user's own record. What is hidden is neither listed nor counted in totals or facets.

let database: TestDatabase;
const db = () => database.db;
const PASSWORD = 'Archive-Test-Passw0rd!';
const OWN_ID = validId('32011519850312123');
const OTHER_ID = validId('32011619900101123');
const JIANGNING: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }];
const EVERYTHING: ScopeRow[] = [{ fondsCode: null, regionCode: null, categoryCode: null }];
const DAY = 86_400_000;

/** Every item's title ends in 审核表; the letter before it names the item in expectations. */
const ITEMS: Record<string, Record<string, unknown>> = {
  N: { title: 'N普通报销审核表', date: '2024-03-01' },
  S: { title: 'S敏感报销审核表', date: '2024-04-01', sensitivity: 'sensitive' },
  R: { title: 'R限制报销审核表', date: '2023-05-01', sensitivity: 'restricted' },
  W: { title: 'W本人报销审核表', date: '2022-06-01', sensitivity: 'sensitive', idNumber: OWN_ID },
  X: { title: 'X门诊待遇审核表', date: '2024-07-01', category: 'DYMZ', extra: {} },
  O: { title: 'O六合报销审核表', date: '2024-08-01', poolingRegion: '320116' }, // other region
  P: { title: 'P全宗外报销审核表', date: '2023-09-01', fonds: 'J014', poolingRegion: '320116' },
  Q: { title: 'Q全宗外江宁报销审核表', date: '2021-10-01', fonds: 'J014' }, // other fonds, same region
};

const code: Record<string, string> = {};
const letterOf = new Map<string, string>();
let secadmin: Principal;
let clerk: Principal;
let clerkScope: PrincipalContext;

let counter = 0;
async function user(roles: Role[], scope: ScopeRow[], idNumber?: string): Promise<Principal> {
  counter += 1;
  const username = `${roles.join('-')}-${counter}`;
  await createUser(db(), { username, password: PASSWORD, roles, scope, idNumber }, 'test');
  const row = await findUserByName(db(), username);
  const principal = await loadPrincipal(db(), row?.id as number, 'session');
  if (!principal) throw new Error(`no principal for ${username}`);
  return principal;
}

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
  await createFonds(db(), { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
  const letters = Object.keys(ITEMS);
  const filed = await fileItems(
    db(),
    Object.values(ITEMS).map((overrides) => reimbursement({ idNumber: OTHER_ID, ...overrides })),
    'test',
    { access: SYSTEM },
  );
  for (const [index, item] of filed.entries()) {
    code[letters[index] as string] = item.archiveCode;
    letterOf.set(item.archiveCode, letters[index] as string);
  }
  await catchUpIndex(db());
  secadmin = await user(['secadmin'], EVERYTHING);
  clerk = await user(['clerk'], JIANGNING);
  clerkScope = await accessContextOf(db(), clerk);
});
afterAll(() => database?.close());

// Without a principal's context the fixture searches as the system (every item, unmasked).
const find = (request: SearchRequest, scope: AccessContext = SYSTEM, now?: Date) =>
  search(db(), { limit: 100, ...request }, { access: scope, now });
const lettersOf = (result: SearchResult) =>
  result.hits
    .map((hit) => letterOf.get(hit.item.archiveCode) ?? hit.item.archiveCode)
    .sort()
    .join('');
const counts = (values: Array<{ value: string; count: number }>) =>
  Object.fromEntries(values.map((facet) => [facet.value, facet.count]));

async function readEvents(letter: string) {
  const rows = await db()
    .selectFrom('integrity_event')
    .selectAll()
    .where('action', '=', 'item.read')
    .where('subject', '=', `item:${code[letter]}`)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({
    actor: row.actor,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  }));
}

describe('scope', () => {
  it('shows an internal caller (no scope) everything', async () => {
    const result = await find({ q: '审核表' });
    expect(lettersOf(result)).toBe('NOPQRSWX');
    expect(result.total).toBe(8);
  });

  it('limits a user to their fonds and region, in hits, totals and facets', async () => {
    expect(clerkScope.scope.rows).toEqual([{ fondsCode: 'J013', regionPrefix: '320115', categoryIds: null }]);
    const result = await find({ q: '审核表' }, clerkScope);
    expect(lettersOf(result)).toBe('NX');
    expect(result.total).toBe(2);
    expect(counts(result.facets.region)).toEqual({ 320115: 2 });
    expect(counts(result.facets.category)).toEqual({ JSLX: 1, DYMZ: 1 });
    expect(counts(result.facets.year)).toEqual({ 2024: 2 });
    expect(counts(result.facets.carrier)).toEqual({ electronic: 2 });
  });

  it('finds nothing outside the scope, not even by 档号 or region filter', async () => {
    expect((await find({ q: code.O }, clerkScope)).total).toBe(0);
    expect((await find({ q: code.Q }, clerkScope)).total).toBe(0);
    const filtered = await find({ region: '320116' }, clerkScope);
    expect(filtered).toMatchObject({ total: 0, hits: [] });
    expect(filtered.facets).toEqual({ category: [], year: [], region: [], carrier: [] });
    expect(lettersOf(await find({ region: '320116' }))).toBe('OP');
  });

  it('applies the scope alone when grantsFor is not set, and limits by category', async () => {
    const { grantsFor: _grantsFor, ...ungated } = clerkScope.scope;
    expect(lettersOf(await find({ q: '审核表' }, { ...clerkScope, scope: ungated }))).toBe('NRSWX');
    // A scope limited to a category branch (待遇审核 DY) in every fonds and region.
    const reviewer = await user(['clerk'], [{ fondsCode: null, regionCode: null, categoryCode: 'DY' }]);
    const byCategory = await find({ q: '审核表' }, await accessContextOf(db(), reviewer));
    expect(lettersOf(byCategory)).toBe('X');
    expect(counts(byCategory.facets.category)).toEqual({ DYMZ: 1 });
  });
});

describe('sensitive items', () => {
  it('hides a sensitive match without a grant from hits, total and facets', async () => {
    for (const q of ['S敏感', '敏感报销', code.S as string]) {
      const result = await find({ q }, clerkScope);
      expect(result).toMatchObject({ total: 0, hits: [], exact: true });
      expect(result.facets).toEqual({ category: [], year: [], region: [], carrier: [] });
    }
    expect((await find({ sensitivity: '敏感' }, clerkScope)).total).toBe(0);
    expect((await find({ q: OWN_ID }, clerkScope)).total).toBe(0);
    expect(lettersOf(await find({ q: '敏感报销' }))).toBe('S');
  });

  it('shows it under an approved grant in force, logs the read, and hides it again once expired', async () => {
    const before = (await readEvents('S')).length;
    const restrictedBefore = (await readEvents('R')).length;
    const request = await requestAccess(db(), clerk, { items: [code.S as string], purpose: '核对报销材料' });
    expect((await find({ q: '审核表' }, clerkScope)).total).toBe(2); // pending opens nothing
    const approved = await approveRequest(db(), secadmin, request.id);
    const result = await find({ q: '审核表' }, clerkScope);
    expect(lettersOf(result)).toBe('NSX');
    expect(result.total).toBe(3);
    expect(counts(result.facets.category)).toEqual({ JSLX: 2, DYMZ: 1 });
    expect(counts(result.facets.year)).toEqual({ 2024: 3 });
    const events = (await readEvents('S')).slice(before);
    expect(events).toEqual([
      {
        actor: clerk.username,
        payload: expect.objectContaining({
          via: 'search',
          sensitivity: 'sensitive',
          grantId: approved.id,
          purpose: '核对报销材料',
        }),
      },
    ]);
    // Normal items shown are not reads to log; gated items not shown leave no read either.
    expect(await readEvents('N')).toEqual([]);
    expect((await readEvents('R')).length).toBe(restrictedBefore);
    const later = new Date(Date.now() + 400 * DAY);
    expect(lettersOf(await find({ q: '审核表' }, clerkScope, later))).toBe('NX');
  });

  it('does not open an item for a user whose colleague holds the grant', async () => {
    const colleague = await user(['clerk'], JIANGNING);
    const request = await requestAccess(db(), colleague, {
      items: [code.R as string],
      purpose: '稽核抽查材料',
    });
    await approveRequest(db(), secadmin, request.id);
    expect(lettersOf(await find({ q: '审核表' }, clerkScope))).toBe('NSX');
    expect(lettersOf(await find({ q: '审核表' }, await accessContextOf(db(), colleague)))).toBe('NRX');
  });

  it('shows a 参保人 their own sensitive record, and nothing else, logging the read', async () => {
    const insured = await user(['insured'], [], OWN_ID);
    const scope = await accessContextOf(db(), insured);
    const result = await find({ q: '审核表' }, scope);
    expect(lettersOf(result)).toBe('W');
    expect(result.total).toBe(1);
    expect(counts(result.facets.year)).toEqual({ 2022: 1 });
    expect((await find({ q: 'N普通' }, scope)).total).toBe(0);
    const events = await readEvents('W');
    expect(events.at(-1)).toEqual({
      actor: insured.username,
      payload: expect.objectContaining({ via: 'search', sensitivity: 'sensitive', grantId: null }),
    });
  });

  it('opens the own record alongside a scope', async () => {
    const scope: PrincipalContext = { ...clerkScope, scope: { ...clerkScope.scope, idNumber: OWN_ID } };
    expect(lettersOf(await find({ q: '审核表' }, scope))).toBe('NSWX');
    expect((await find({ q: '审核表' }, scope)).total).toBe(4);
  });

  it('takes as own record only an item filed under the ID number, not one whose page text mentions it', async () => {
    // Someone else's sensitive record whose scanned page names the 参保人 (as the one who collected it).
    const [filed] = await fileItems(
      db(),
      [
        reimbursement({
          idNumber: OTHER_ID,
          sensitivity: 'sensitive',
          title: 'Y代办报销审核表',
          date: '2024-09-01',
        }),
      ],
      'test',
      { access: SYSTEM },
    );
    const other = filed as { id: number; archiveCode: string };
    letterOf.set(other.archiveCode, 'Y');
    await insertPageTexts(db(), other.id, [{ page: 1, text: `代办人身份证号 ${OWN_ID}`, confidence: 0.9 }]);
    await inTransaction(db(), (trx) =>
      appendEvent(trx, {
        actor: 'test',
        action: 'item.text_recorded',
        subject: `item:${other.archiveCode}`,
        payload: { pages: [1], characters: 0 },
      }),
    );
    await catchUpIndex(db());
    expect(lettersOf(await find({ q: OWN_ID }))).toBe('WY'); // the number in page text is findable
    const insured = await user(['insured'], [], OWN_ID);
    // Only the record's own ID number (pid:) makes it theirs; a number mentioned in its text does not.
    const result = await find({ q: '审核表' }, await accessContextOf(db(), insured));
    expect(lettersOf(result)).toBe('W');
  });
});
