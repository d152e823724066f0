import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import type { AccessContext, PrincipalContext } from '../../shared/access-context.js';
import { YidangError } from '../../shared/errors.js';
import { findUserByName, type ScopeRow } from '../access/access.repo.js';
import { accessContextOf, loadPrincipal } from '../access/principal.js';
import { createUser } from '../access/user.service.js';
import { createFonds } from '../catalog/fonds.service.js';
import { updateItem } from '../catalog/item.edit.service.js';
import { fileItems } from '../catalog/item.service.js';
import { catchUpIndex } from './indexer.js';
import { recordPageTexts } from './page-text.service.js';
import { type SearchRequest, type SearchResult, search } from './search.service.js';

// Hostile input that once broke search: text NFKC makes long, lexemes over PostgreSQL's limits,
// forged cursors, an index lagging an edit that hides an item, numbers in page text, and queries
// shaped like something they are not. Each must either work or be refused with a YidangError.

let database: TestDatabase;
const db = () => database.db;
const ID_A = validId('32011519800101001');
const JIANGNING: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }];

const ITEMS: Record<string, Record<string, unknown>> = {
  A: { title: '张三丰门诊费用报销审核表', name: '张三丰', idNumber: ID_A },
  B: { title: '张三峰住院费用报销审核表', name: '张三峰', idNumber: validId('32011519800101002') },
  C: { title: '章三丰门诊慢病报销审核表', name: '章三丰', idNumber: validId('32011519800101003') },
  D: { title: '李四医保结算通知', name: '李四', docNumber: 'JSYB-2024-15', date: '2023-03-15' },
  E: { title: '冯军住院费用报销审核表', name: '冯军', idNumber: validId('32011519800101005') },
};

const code: Record<string, string> = {};
const letterOf = new Map<string, string>();
let clerkScope: PrincipalContext;

async function file(letter: string, overrides: Record<string, unknown>): Promise<string> {
  const [filed] = await fileItems(db(), [reimbursement(overrides)], 'clerk', { access: SYSTEM });
  const archiveCode = (filed as { archiveCode: string }).archiveCode;
  code[letter] = archiveCode;
  letterOf.set(archiveCode, letter);
  return archiveCode;
}

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
  for (const [letter, overrides] of Object.entries(ITEMS)) await file(letter, overrides);
  await catchUpIndex(db());
  await createUser(
    db(),
    { username: 'clerk-1', password: 'Archive-Test-Passw0rd!', roles: ['clerk'], scope: JIANGNING },
    'test',
  );
  const row = await findUserByName(db(), 'clerk-1');
  const clerk = await loadPrincipal(db(), row?.id as number, 'session');
  if (!clerk) throw new Error('no principal for clerk-1');
  clerkScope = await accessContextOf(db(), clerk);
});
afterAll(() => database?.close());

// Without a principal's context the fixture searches as the system (every item, unmasked).
const find = (request: SearchRequest, scope: AccessContext = SYSTEM) =>
  search(db(), { limit: 100, ...request }, { access: scope });
const lettersOf = (result: SearchResult) =>
  result.hits
    .map((hit) => letterOf.get(hit.item.archiveCode) ?? hit.item.archiveCode)
    .sort()
    .join('');
const found = async (request: SearchRequest, scope?: AccessContext) => lettersOf(await find(request, scope));
const errorCode = async (request: SearchRequest) => (await failure(find(request))).code;
const cursorOf = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url');

describe('indexing hostile values', () => {
  it('indexes agency and 责任者 that NFKC makes long, and keeps indexing what comes after', async () => {
    const agency = 'ﷺ'.repeat(100); // one character, 18 after NFKC
    await file('F', { title: '圣名机构报销审核表', agency });
    await file('G', { title: '长责任者报销审核表', responsible: 'ﷺ'.repeat(200) });
    await expect(catchUpIndex(db())).resolves.toMatchObject({ backlog: 0 });
    await file('H', { title: '后来的题名' });
    await expect(catchUpIndex(db())).resolves.toMatchObject({ backlog: 0 });
    expect(await found({ q: '后来' })).toBe('H');
    expect(await found({ q: '圣名' })).toBe('F');
    expect(await found({ q: '责任者' })).toBe('G');
    expect(await found({ agency })).toBe('F');
  });

  it('indexes a title that lower-casing makes longer (İ) and finds it', async () => {
    await file('I', { title: `İ${'档'.repeat(499)}` });
    await expect(catchUpIndex(db())).resolves.toMatchObject({ backlog: 0 });
    expect(await found({ q: '档档' })).toBe('I');
  });
});

describe('queries that once reached PostgreSQL as errors', () => {
  const han497 = Array.from({ length: 497 }, (_, index) => String.fromCodePoint(0x4e00 + index)).join('');
  it.each([
    ['档号 of ㍿', `ABCD-${'㍿'.repeat(200)}-1`],
    ['a long name', `姓名:${'双'.repeat(420)}`],
    ['a name NFKC makes long', `姓名:${'㍿'.repeat(120)}`],
    ['497 distinct characters as a name', `姓名:${han497}`],
    ['an ID number, a name and a ㍿ 档号', `${ID_A} 张三丰 ABCD-${'㍿'.repeat(150)}-1`],
  ])('%s works or is refused with a YidangError', async (_what, q) => {
    expect([...q].length).toBeLessThanOrEqual(500);
    let outcome: unknown;
    try {
      const result = await find({ q });
      outcome = result.total;
      expect(result.hits.length).toBeLessThanOrEqual(result.total);
    } catch (error) {
      outcome = error;
      expect(error, String(error)).toBeInstanceOf(YidangError);
    }
    expect(outcome).toBeDefined();
  });
});

describe('forged cursors', () => {
  it.each<[string, unknown[], SearchRequest]>([
    ['an impossible date', ['date', false, null, 2024, '2024-13-45', 5], { sort: 'date' }],
    ['a date that is not a string', ['relevance', false, 0, 2024, ['2024-01-01'], 5], { q: '张三丰' }],
    ['a year out of range', ['date', false, null, 1e20, '2024-01-01', 5], { sort: 'date' }],
    ['too few fields', ['date', false, null, 2024, '2024-01-01'], { sort: 'date' }],
    ['the old five-field form', ['date', null, 2024, '2024-01-01', 5], { sort: 'date' }],
    ['too many fields', ['date', false, null, 2024, '2024-01-01', 5, 6], { sort: 'date' }],
  ])('refuses %s with CURSOR_INVALID', async (_what, key, request) => {
    expect(await errorCode({ ...request, cursor: cursorOf(key) })).toBe('CURSOR_INVALID');
  });

  it('still accepts a well-formed cursor', async () => {
    const result = await find({
      sort: 'date',
      cursor: cursorOf(['date', false, null, 2024, '2024-01-01', 5]),
    });
    expect(result.sort).toBe('date');
  });
});

describe('an index behind an edit', () => {
  it('does not show an item made restricted before the index catches up', async () => {
    await file('N', { title: 'N滞后报销审核表' });
    await catchUpIndex(db());
    expect(await found({ q: '滞后' }, clerkScope)).toBe('N');
    await updateItem(db(), code.N as string, { sensitivity: 'restricted', reason: '含病情' }, 'clerk', {
      access: SYSTEM,
    });
    const result = await find({ q: '滞后' }, clerkScope);
    expect(result.indexPending).toBeGreaterThan(0);
    expect(lettersOf(result)).toBe('');
    expect(await found({ q: '滞后' })).toBe('N'); // an internal caller still sees it
  });

  it('does not show an item moved out of the scope before the index catches up', async () => {
    await file('M', { title: 'M迁出报销审核表' });
    await catchUpIndex(db());
    expect(await found({ q: '迁出' }, clerkScope)).toBe('M');
    await updateItem(db(), code.M as string, { poolingRegion: '320116', reason: '统筹区录入有误' }, 'clerk', {
      access: SYSTEM,
    });
    const result = await find({ q: '迁出' }, clerkScope);
    expect(result.indexPending).toBeGreaterThan(0);
    expect(lettersOf(result)).toBe('');
    await catchUpIndex(db());
    expect(await find({ q: '迁出' }, clerkScope)).toMatchObject({ total: 0, hits: [] });
  });
});

describe('page text highlights', () => {
  it('masks an ID number in full-width digits and a 19-digit account number', async () => {
    const fullWidth = (digits: string) =>
      digits.replace(/[0-9]/g, (digit) => String.fromCharCode(digit.charCodeAt(0) + 0xfee0));
    const id = validId('32011519800101005');
    const account = '6222021234567890123';
    const text = `患者身份证号${fullWidth(id)}，银行账号${account}，骨科会诊意见`;
    await recordPageTexts(db(), code.E as string, [{ page: 1, text }], 'clerk', SYSTEM);
    await catchUpIndex(db());
    const [hit] = (await find({ q: '骨科' })).hits;
    expect(letterOf.get(hit?.item.archiveCode as string)).toBe('E');
    const page = hit?.highlights.find((highlight) => highlight.field === 'page.1');
    expect(page?.text).toContain(`${id.slice(0, 6)}${'*'.repeat(8)}${id.slice(-4)}`);
    expect(page?.text).toContain(`${account.slice(0, 4)}${'*'.repeat(11)}${account.slice(-4)}`);
    expect(page?.text).not.toContain(id);
    expect(page?.text).not.toContain(fullWidth(id));
    expect(page?.text).not.toContain(account);
    expect(page?.text.normalize('NFKC')).not.toMatch(/\d{7,}/);
  });
});

describe('queries shaped like something else', () => {
  it('finds a document number shaped like a 档号, and the 档号 itself', async () => {
    expect(await found({ q: 'JSYB-2024-15' })).toBe('D');
    expect(await found({ q: code.D as string })).toBe('D');
    expect(await found({ q: code.A as string })).toBe('A');
  });

  it('finds an ID number written straight after 身份证', async () => {
    // The label before the number says what it is; it is not a word the item must contain.
    expect(await found({ q: `身份证${ID_A}` })).toBe('A');
    expect(await found({ q: ID_A })).toBe('A');
  });

  it('reads a name followed by a Chinese comma as the name, homophones and slips included', async () => {
    expect(await found({ q: '姓名:张三丰' })).toBe('ABC');
    expect(await found({ q: '姓名:张三丰，' })).toBe('ABC');
    expect(await found({ q: '姓名:张三峰、' })).toBe('ABC');
  });

  it('does not take a trailing colon for an unclosed quote', async () => {
    const result = await find({ q: '门诊 abc:' });
    expect(result.notices.join()).not.toContain('引号未闭合');
  });
});
