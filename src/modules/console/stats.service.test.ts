import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { findUserByName, type ScopeRow } from '../access/access.repo.js';
import { approveRequest, requestAccess } from '../access/grant.service.js';
import { accessContextOf, loadPrincipal, type Principal } from '../access/principal.js';
import type { Role } from '../access/roles.js';
import { createUser } from '../access/user.service.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { archiveOverview, overview, rate } from './stats.service.js';

// The dashboard's numbers on a small hand-made set, each checked by hand: the whole archive, a
// business user's slice (fonds J013, 江宁区, the 费用结算 branch) and a 参保人's own records.

let database: TestDatabase;
const db = () => database.db;

const OWN_ID = validId('32011519850312123');
const OTHER_ID = validId('32011619900101123');
const BUSINESS: ScopeRow[] = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: 'JS' }];
const EVERYTHING: ScopeRow[] = [{ fondsCode: null, regionCode: null, categoryCode: null }];
const SHELF = { warehouse: '一号库', cabinet: '3', shelf: '2', box: '15' };
const PASSWORD = 'Archive-Test-Passw0rd!';

/** 档号 by the number in the table below. */
const codes: string[] = [];

let counter = 0;
async function principal(roles: Role[], scope: ScopeRow[] = BUSINESS, idNumber?: string): Promise<Principal> {
  counter += 1;
  const username = `stats-${roles.join('-')}-${counter}`;
  await createUser(db(), { username, password: PASSWORD, roles, scope, idNumber }, 'test');
  const row = await findUserByName(db(), username);
  return (await loadPrincipal(db(), row?.id as number, 'session')) as Principal;
}

/** Scans page `pages` of an item behind the services' back: only the rows the counts read. */
async function scanned(code: string, pages: number): Promise<void> {
  await sql`
    insert into storage_blob (digest, size, stored_size, stored_digest, suite, key_id, wrapped_key)
    values ('sha256:stats-test', 1, 1, 'sha256:stats-test', 'aes-256-gcm', 'k', '\\x00')
    on conflict do nothing`.execute(db());
  const { id } = await db()
    .selectFrom('archive_item')
    .select('id')
    .where('archive_code', '=', code)
    .executeTakeFirstOrThrow();
  await db()
    .insertInto('item_file')
    .values({
      item_id: Number(id),
      file_number: 1,
      digest: 'sha256:stats-test',
      file_name: 'scan.pdf',
      media_type: 'application/pdf',
      size: 1,
      added_by: 'test',
    })
    .execute();
  for (let page = 1; page <= pages; page++)
    await sql`
      insert into scan_page (item_id, page, file_number, page_in_file, image_name, width, height, colour_mode)
      values (${Number(id)}, ${page}, 1, ${page}, ${`${code}-${page}`}, 2480, 3508, 'gray')`.execute(db());
}

beforeAll(async () => {
  database = await openTestDatabase();
  await createFonds(db(), FONDS, 'test');
  await createFonds(db(), { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
  const j014 = { fonds: 'J014', poolingRegion: '320116', responsible: '南京市六合区医疗保障局' };
  const dymz = { category: 'DYMZ', extra: {} };
  const rows = [
    // 1–4 in fonds J013 / 江宁区; 1–3 in the 费用结算 branch, 4 in 门诊待遇审核.
    { date: '2023-05-10', carrier: 'paper', paperLocation: SHELF },
    { date: '2024-02-01', carrier: 'paper', paperLocation: SHELF, idNumber: OWN_ID },
    { date: '2024-06-30', carrier: 'electronic', sensitivity: 'sensitive' },
    { date: '2024-07-01', carrier: 'hybrid', paperLocation: SHELF, ...dymz },
    // 5–6 in fonds J014 / 六合区.
    { date: '2022-11-11', carrier: 'electronic', ...j014 },
    { date: '2024-03-03', carrier: 'paper', paperLocation: SHELF, idNumber: OWN_ID, ...j014, ...dymz },
  ];
  for (const row of rows) {
    const [filed] = await fileItems(db(), [reimbursement({ idNumber: OTHER_ID, ...row })], 'test', {
      access: SYSTEM,
    });
    codes.push(filed?.archiveCode as string);
  }
  await scanned(codes[0] as string, 3);
  await scanned(codes[5] as string, 1);
});
afterAll(() => database?.close());

describe('the archive counts', () => {
  it('count the whole archive by category, year and carrier, with both rates', async () => {
    const all = await archiveOverview(
      db(),
      await accessContextOf(db(), await principal(['manager'], EVERYTHING)),
    );
    expect(all.total).toBe(6);
    expect(all.byCategory.map(({ code, count }) => [code, count]).sort()).toEqual([
      ['DYMZ', 2],
      ['JSLX', 4],
    ]);
    expect(all.byCategory.find((entry) => entry.code === 'JSLX')?.name).toBe('个人零星报销');
    expect(all.byYear).toEqual([
      { year: 2022, count: 1 },
      { year: 2023, count: 1 },
      { year: 2024, count: 4 },
    ]);
    expect(all.byCarrier).toEqual({ paper: 3, electronic: 2, hybrid: 1 });
    // Electronic or hybrid: 3 of 6. Paper items with scans: 1 and 6 of the paper 1, 2 and 6.
    expect(all.electronic).toEqual({ count: 3, rate: 0.5 });
    expect(all.digitization).toEqual({ paper: 3, digitized: 2, rate: 0.6667 });
  });

  it('count only the slice a scoped user may see (the sensitive item counted, as in lists)', async () => {
    const clerk = await principal(['clerk']);
    const slice = await archiveOverview(db(), await accessContextOf(db(), clerk));
    expect(slice.total).toBe(3);
    expect(slice.byCategory.map(({ code, count }) => [code, count])).toEqual([['JSLX', 3]]);
    expect(slice.byYear).toEqual([
      { year: 2023, count: 1 },
      { year: 2024, count: 2 },
    ]);
    expect(slice.byCarrier).toEqual({ paper: 2, electronic: 1, hybrid: 0 });
    expect(slice.electronic).toEqual({ count: 1, rate: 0.3333 });
    expect(slice.digitization).toEqual({ paper: 2, digitized: 1, rate: 0.5 });
  });

  it('count a 参保人 only their own records, across fonds', async () => {
    const insured = await principal(['insured'], [], OWN_ID);
    const own = await archiveOverview(db(), await accessContextOf(db(), insured));
    expect(own.total).toBe(2);
    expect(own.byYear).toEqual([{ year: 2024, count: 2 }]);
    expect(own.digitization).toEqual({ paper: 2, digitized: 1, rate: 0.5 });
  });

  it('give no rate rather than a division by zero when there is nothing to count', async () => {
    // Fonds J014 holds nothing from 江宁区.
    const nobody = await principal(
      ['clerk'],
      [{ fondsCode: 'J014', regionCode: '320115', categoryCode: null }],
    );
    const empty = await archiveOverview(db(), await accessContextOf(db(), nobody));
    expect(empty).toMatchObject({ total: 0, byCategory: [], byYear: [] });
    expect(empty.electronic.rate).toBeNull();
    expect(empty.digitization.rate).toBeNull();
    expect(rate(1, 3)).toBe(0.3333);
    expect(rate(2, 3)).toBe(0.6667);
  });
});

describe('the rest of the dashboard', () => {
  it('counts every pending request for a 安全保密员 and only their own for anyone else', async () => {
    const secadmin = await principal(['secadmin'], EVERYTHING);
    const first = await principal(['clerk']);
    const second = await principal(['clerk']);
    const purpose = '复核报销材料是否齐全';
    const asked = await requestAccess(db(), first, { items: [codes[2] as string], purpose });
    await requestAccess(db(), first, { items: [codes[2] as string], purpose });
    await requestAccess(db(), second, { items: [codes[2] as string], purpose });
    const pending = async (who: Principal) =>
      (await overview(db(), who, () => accessContextOf(db(), who))).approvals;
    expect(await pending(secadmin)).toEqual({ scope: 'all', pending: 3 });
    expect(await pending(first)).toEqual({ scope: 'mine', pending: 2 });
    expect(await pending(second)).toEqual({ scope: 'mine', pending: 1 });
    await approveRequest(db(), secadmin, asked.id, { hours: 1 });
    expect(await pending(secadmin)).toEqual({ scope: 'all', pending: 2 });
    expect(await pending(first)).toEqual({ scope: 'mine', pending: 1 });
  });

  it('shows no archive counts to a role without item.read, but the health parts to everyone', async () => {
    const sysadmin = await principal(['sysadmin'], EVERYTHING);
    const seen = await overview(db(), sysadmin, () => accessContextOf(db(), sysadmin));
    expect(seen.archive).toBeNull();
    expect(seen.fixity).toBeNull();
    expect(seen.verify).toBeNull();
    // The scan pages were never queued through the OCR service: they default to queued.
    expect(seen.ocr).toEqual({ queued: 4, running: 0 });
  });
});
