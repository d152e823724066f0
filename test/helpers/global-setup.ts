import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { openMemoryDatabase, openPostgres } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrator.js';

// Runs once per test run: migrates one database that every test file then copies.

// YIDANG_TEST_TAG keeps the templates of several test runs on one machine apart.
const tag = (process.env.YIDANG_TEST_TAG ?? '').replace(/[^a-z0-9]/gi, '').toLowerCase();
export const TEMPLATE_DUMP = path.resolve(`.tmp/test-template${tag ? `-${tag}` : ''}.tar`);
export const TEMPLATE_DATABASE = `yidang_test_template${tag ? `_${tag}` : ''}`;

export default async function setup(): Promise<void> {
  // scripts/test.mjs: the unit lane opens no database (`none`); the browser lane reuses the dump the
  // PGlite lane of the same `npm test` has just made (`reuse`), as making one costs a fresh initdb.
  const wanted = process.env.YIDANG_TEST_TEMPLATE;
  if (wanted === 'none') return;
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl && wanted === 'reuse' && fs.existsSync(TEMPLATE_DUMP)) return;
  if (!adminUrl) {
    const database = await openMemoryDatabase();
    await migrateToLatest(database.db);
    const dump = await database.pglite?.dumpDataDir('none');
    if (!dump) throw new Error('the embedded database could not be dumped');
    fs.mkdirSync(path.dirname(TEMPLATE_DUMP), { recursive: true });
    // Written whole, then renamed: the browser lane, started beside this one, waits for the name.
    fs.writeFileSync(`${TEMPLATE_DUMP}.part`, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(`${TEMPLATE_DUMP}.part`, TEMPLATE_DUMP);
    await database.close();
    return;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
  await admin.query(`create database ${TEMPLATE_DATABASE}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${TEMPLATE_DATABASE}`;
  const database = openPostgres(url.toString());
  await migrateToLatest(database.db);
  await database.close();
}
