import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { generateItemBatch } from '../src/modules/demo/items.js';
import { useFieldKey } from '../src/shared/field-cipher.js';
import { SYSTEM } from '../test/helpers/fixture-access.js';
import { onBenchPostgres } from './postgres.js';
import { median } from './stats.js';

// Filing throughput through the service (validation, 档号 numbering, insert, one transaction a batch)
// against a plain multi-row INSERT of the very same rows into a twin table with the same indexes,
// batch by batch in alternation so both see the same machine noise. Figures are medians.

const BATCH = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

async function measure(database: Database, label: string): Promise<void> {
  const db = database.db;
  await createFonds(db, { code: 'B001', name: '基准测试局', regionCode: '320115' });
  await sql`create table bench_plain (like archive_item including all)`.execute(db);
  // Warm up both paths (JIT, catalog caches, first pages) outside the measurement.
  await fileItems(db, generateItemBatch('warm', 'B001', '320115', 0, BATCH), 'bench', { access: SYSTEM });
  const serviceRates: number[] = [];
  const plainRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const inputs = generateItemBatch('bench', 'B001', '320115', round * BATCH, BATCH);
    let started = performance.now();
    const filed = await fileItems(db, inputs, 'bench', { access: SYSTEM });
    serviceRates.push(BATCH / ((performance.now() - started) / 1000));

    const rows = await db
      .selectFrom('archive_item')
      .selectAll()
      .where(
        'id',
        'in',
        filed.map((entry) => entry.id),
      )
      .execute();
    const plainRows = rows.map(({ id: _id, archive_code, paper_location, extra, ...row }) => ({
      ...row,
      archive_code: `P-${archive_code}`,
      paper_location: paper_location === null ? null : JSON.stringify(paper_location),
      extra: JSON.stringify(extra),
    }));
    started = performance.now();
    await db.transaction().execute((trx) =>
      trx
        .insertInto('bench_plain' as 'archive_item')
        .values(plainRows)
        .execute(),
    );
    plainRates.push(BATCH / ((performance.now() - started) / 1000));
  }
  const service = median(serviceRates);
  const plain = median(plainRates);
  console.log(
    `${label.padEnd(10)} service ${Math.round(service).toString().padStart(6)} items/s | ` +
      `plain multi-row INSERT ${Math.round(plain).toString().padStart(6)} rows/s | ratio ${(service / plain).toFixed(2)} ` +
      `(median of ${ROUNDS} batches of ${BATCH})`,
  );
}

// Filing encrypts ID numbers, as in production; a throwaway key stands in for YIDANG_HOME/keys/field.key.
useFieldKey(crypto.randomBytes(32));

async function onPGlite(): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-'));
  const database = await openDatabase(loadConfig({ YIDANG_HOME: home }));
  try {
    await measure(database, 'PGlite');
  } finally {
    await database.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function onPostgres(): Promise<void> {
  const measured = await onBenchPostgres('yidang_bench', (database) => measure(database, 'PostgreSQL'));
  if (!measured)
    console.log('PostgreSQL  not measured: no DATABASE_URL and no PostgreSQL server binaries here');
}

console.log(`Filing benchmark — ${os.cpus().length} cores, Node ${process.version}`);
await onPGlite();
await onPostgres();
