import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../test/helpers/database.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { FONDS, failure, reimbursement, validId, wrongCheckId } from '../../test/helpers/fixtures.js';
import { openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { loadConfig } from '../config/config.js';
import { accessContextOf, loadPrincipal } from '../modules/access/principal.js';
import { createUser } from '../modules/access/user.service.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { itemHistory, updateItem } from '../modules/catalog/item.edit.service.js';
import { fileItems, getItem, listItems } from '../modules/catalog/item.service.js';
import { hasSealedItemIdNumbers, sealPlainItemIdNumbers } from '../modules/catalog/item.queries.js';
import { importFieldKey, loadFieldKey } from '../modules/storage/field-key.js';
import { openFieldEncryption } from '../system/system.js';
import { idNumberIndex, isSealed, openIdNumber, sealIdNumber, useFieldKey } from './field-cipher.js';

// ID numbers at rest: ciphertext in every table and kept version, a blind index for exact look-up,
// the key in YIDANG_HOME/keys/field.key, never re-created over data that needs it.

const PERSON = validId('32011519790101001');
const OTHER = validId('32011519800202002');

let system: TestSystem;
const db = () => system.database.db;

beforeAll(async () => {
  system = await openTestSystem();
  await createFonds(db(), FONDS, 'test');
});
afterAll(async () => system?.dispose());

describe('sealing one value', () => {
  it('encrypts with a fresh nonce each time and opens it again', () => {
    const one = sealIdNumber(PERSON) as string;
    const two = sealIdNumber(PERSON) as string;
    expect(one).toMatch(/^v1:[A-Za-z0-9_-]+$/);
    expect(one).not.toBe(two);
    expect(one).not.toContain(PERSON.slice(6, 14));
    expect(openIdNumber(one)).toBe(PERSON);
    expect(isSealed(one)).toBe(true);
    expect(sealIdNumber(null)).toBeNull();
    expect(openIdNumber(null)).toBeNull();
    // A value from before encryption reads as it is.
    expect(openIdNumber(PERSON)).toBe(PERSON);
  });

  it('gives the same blind index for the same number in either case, and a different one otherwise', () => {
    const lower = `${PERSON.slice(0, 17)}x`;
    const upper = `${PERSON.slice(0, 17)}X`;
    expect(idNumberIndex(lower)).toBe(idNumberIndex(upper));
    expect(idNumberIndex(PERSON)).toMatch(/^[0-9a-f]{32}$/);
    expect(idNumberIndex(PERSON)).not.toBe(idNumberIndex(OTHER));
    expect(idNumberIndex('')).toBeNull();
  });

  it('refuses altered ciphertext without echoing it', async () => {
    const sealed = sealIdNumber(PERSON) as string;
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[14] = (raw[14] as number) ^ 1;
    const altered = `v1:${raw.toString('base64url')}`;
    let message = '';
    try {
      openIdNumber(altered);
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code?: string }).code).toBe('FIELD_KEY_MISMATCH');
    }
    expect(message).toMatch(/字段密钥/);
    expect(message).not.toContain(altered.slice(3, 20));
  });
});

describe('ID numbers in the database', () => {
  let code: string;
  beforeAll(async () => {
    const filed = await fileItems(
      db(),
      [reimbursement({ idNumber: PERSON }), reimbursement({ idNumber: OTHER, name: '李秀英' })],
      'test',
      { access: SYSTEM },
    );
    code = filed[0]?.archiveCode as string;
    await updateItem(db(), code, { title: '更正后的题名', reason: '测试' }, 'test', { access: SYSTEM });
  });

  it('stores only ciphertext in items, kept versions and accounts', async () => {
    await createUser(
      db(),
      { username: 'insured-wang', password: 'Insured-Passw0rd!x', roles: ['insured'], idNumber: PERSON },
      'test',
    );
    const tables = await sql<{ dump: string }>`
      select (select string_agg(id_number || ' ' || coalesce(id_number_index, ''), ',') from archive_item)
        || (select string_agg(snapshot::text, ',') from archive_item_version)
        || (select string_agg(id_number, ',') from app_user where id_number is not null) as dump`.execute(
      db(),
    );
    const dump = tables.rows[0]?.dump ?? '';
    expect(dump).toContain('v1:');
    for (const id of [PERSON, OTHER]) {
      expect(dump).not.toContain(id);
      // Not even the birth date part is visible.
      expect(dump).not.toContain(id.slice(6, 14));
    }
  });

  it('reads back in the clear through the services, current and kept versions alike', async () => {
    expect((await getItem(db(), code, SYSTEM)).idNumber).toBe(PERSON);
    const versions = await itemHistory(db(), code, SYSTEM);
    expect(versions.map((version) => version.item.idNumber)).toEqual([PERSON, PERSON]);
  });

  it('finds items by exact ID number through the blind index, and refuses a wrong check digit', async () => {
    const found = await listItems(db(), { idNumber: PERSON.toLowerCase() }, SYSTEM);
    expect(found.items.map((item) => item.archiveCode)).toEqual([code]);
    expect((await listItems(db(), { idNumber: validId('11010519491231002') }, SYSTEM)).items).toEqual([]);
    const wrong = wrongCheckId('32011519790101001');
    const refused = await failure(listItems(db(), { idNumber: wrong }, SYSTEM));
    expect(refused.code).toBe('ID_NUMBER_INVALID');
    expect(refused.message).not.toContain(wrong);
  });

  it('lets the insured person see their own records through the index', async () => {
    const user = await db()
      .selectFrom('app_user')
      .select('id')
      .where('username', '=', 'insured-wang')
      .executeTakeFirst();
    const principal = await loadPrincipal(db(), user?.id as number, 'session');
    expect(principal?.idNumber).toBe(PERSON);
    const scope = await accessContextOf(db(), principal as NonNullable<typeof principal>);
    const seen = await listItems(db(), {}, scope);
    expect(seen.items.map((item) => item.archiveCode)).toEqual([code]);
  });

  it('encrypts values stored in the clear before encryption existed, once', async () => {
    const [legacy] = await fileItems(db(), [reimbursement({ idNumber: OTHER })], 'test', { access: SYSTEM });
    // As a database from before this change holds it: the number in the clear, no index.
    await sql`update archive_item set id_number = ${OTHER}, id_number_index = null
      where archive_code = ${legacy?.archiveCode}`.execute(db());
    expect((await getItem(db(), legacy?.archiveCode as string, SYSTEM)).idNumber).toBe(OTHER);
    expect(await sealPlainItemIdNumbers(db())).toBe(1);
    expect(await sealPlainItemIdNumbers(db())).toBe(0);
    const row = await sql<{ id_number: string; id_number_index: string }>`
      select id_number, id_number_index from archive_item where archive_code = ${legacy?.archiveCode}`.execute(
      db(),
    );
    expect(isSealed(row.rows[0]?.id_number)).toBe(true);
    expect(row.rows[0]?.id_number_index).toBe(idNumberIndex(OTHER));
    expect((await getItem(db(), legacy?.archiveCode as string, SYSTEM)).idNumber).toBe(OTHER);
  });
});

describe('the field key', () => {
  it('is created with the home (mode 0600) and loaded again, the same', () => {
    const file = path.join(system.home, 'keys', 'field.key');
    expect(fs.existsSync(file)).toBe(true);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(loadFieldKey(system.home, {})?.length).toBe(32);
  });

  it('is never re-created over encrypted data: a lost key is an error asking for the backup', async () => {
    expect(await hasSealedItemIdNumbers(db())).toBe(true);
    const file = path.join(system.home, 'keys', 'field.key');
    const saved = fs.readFileSync(file);
    fs.rmSync(file);
    try {
      const config = loadConfig({ YIDANG_HOME: system.home }, system.home);
      const error = await failure(openFieldEncryption(config, system.database));
      expect(error.code).toBe('FIELD_KEY_MISSING');
      expect(error.message).toContain('密钥备份');
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      fs.writeFileSync(file, saved, { mode: 0o600 });
    }
  });

  it('with another key, reading refuses instead of returning garbage', async () => {
    const [item] = (await listItems(db(), { limit: 1 }, SYSTEM)).items;
    useFieldKey(crypto.randomBytes(32));
    try {
      const error = await failure(getItem(db(), item?.archiveCode as string, SYSTEM));
      expect(error.code).toBe('FIELD_KEY_MISMATCH');
    } finally {
      useFieldKey(loadFieldKey(system.home, {}) as Buffer);
    }
    expect((await getItem(db(), item?.archiveCode as string, SYSTEM)).idNumber).toMatch(/^\d{17}[\dX]$/);
  });

  it('is imported from a backup only into a home without a different one', () => {
    const key = loadFieldKey(system.home, {}) as Buffer;
    importFieldKey(system.home, key.toString('base64'));
    const other = crypto.randomBytes(32).toString('base64');
    expect(() => importFieldKey(system.home, other)).toThrow(/已有不同的字段密钥/);
    expect(() => importFieldKey(system.home, 'not-a-key')).toThrow(/字段密钥数据不正确/);
    expect(loadFieldKey(system.home, {})?.equals(key)).toBe(true);
  });
});
