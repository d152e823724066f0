import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import type { ItemInput } from '../src/modules/catalog/item.schema.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { generateItemBatch } from '../src/modules/demo/items.js';
import { catchUpIndex, startIndexer } from '../src/modules/search/indexer.js';
import { type SearchRequest, search } from '../src/modules/search/search.service.js';
import { useFieldKey } from '../src/shared/field-cipher.js';
import { SYSTEM } from '../test/helpers/fixture-access.js';
import { onBenchPostgres } from './postgres.js';
import { median } from './stats.js';

// Search over generated archives: filing, then indexing with the index live (rate against filing
// alone), then a fixed mix of queries — common and rare words, phrases, names with slips, ID
// numbers, filters and facets — each timed over several rounds, p50/p95/p99 over all of them, and
// each query's median against a plain ILIKE '%…%' scan over the same items in the same run.

const ITEMS = Number(process.env.BENCH_SEARCH_ITEMS ?? 200_000);
/** PostgreSQL is loaded with ITEMS generated items, then grown to this many by copying them. */
const PG_ITEMS = Number(process.env.BENCH_SEARCH_PG_ITEMS ?? ITEMS);
const ROUNDS = Number(process.env.BENCH_SEARCH_ROUNDS ?? 5);
const BATCH = 5000;

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

interface BenchQuery {
  label: string;
  request: SearchRequest;
  /** The substring a plain scan would look for. */
  like: string;
}

function queryMix(sample: readonly ItemInput[]): BenchQuery[] {
  const person = sample.find((item) => item.name && [...item.name].length === 3) as ItemInput;
  const name = person.name as string;
  const withId = sample.find((item) => item.idNumber) as ItemInput;
  const hospital = sample
    .map((item) => item.extra?.hospital)
    .find((value) => typeof value === 'string') as string;
  const unit = sample
    .map((item) => item.extra?.unitName)
    .find((value) => typeof value === 'string') as string;
  const q = (label: string, request: SearchRequest, like: string): BenchQuery => ({ label, request, like });
  return [
    q('common 门诊', { q: '门诊' }, '门诊'),
    q('common 结算', { q: '结算' }, '结算'),
    q('common 住院 by date', { q: '住院', sort: 'date' }, '住院'),
    q('common 报销', { q: '报销' }, '报销'),
    q('common 医疗', { q: '医疗' }, '医疗'),
    q('single char 药', { q: '药' }, '药'),
    q('phrase 门诊费用', { q: '"门诊费用"' }, '门诊费用'),
    q('phrase 医疗救助', { q: '医疗救助' }, '医疗救助'),
    q('phrase 异地就医', { q: '异地就医' }, '异地就医'),
    q('rare 帕金森病', { q: '帕金森病' }, '帕金森病'),
    q('rare hospital', { q: hospital }, hospital),
    q('rare unit', { q: unit }, unit),
    q('AND 门诊 慢特病', { q: '门诊 慢特病' }, '慢特病'),
    q('OR 大病 OR 救助', { q: '大病 OR 救助' }, '救助'),
    q('NOT 住院 -异地', { q: '住院 -异地' }, '住院'),
    q('name exact', { q: name }, name),
    q('name field', { q: `姓名:${name}` }, name),
    q('name homophone', { q: `${[...name].slice(0, 2).join('')}峰` }, `${[...name].slice(0, 2).join('')}峰`),
    q('name typo', { q: `姓名:${[...name][0]}国${[...name][2]}` }, `${[...name][0]}国${[...name][2]}`),
    q('ID number', { q: withId.idNumber as string }, withId.idNumber as string),
    q('ID field', { q: `身份证号:${withId.idNumber}` }, withId.idNumber as string),
    q('insured number', { q: withId.insuredNumber as string }, withId.insuredNumber as string),
    q('title field', { q: '题名:审核表' }, '审核表'),
    q('门诊 + category', { q: '门诊', category: 'DY' }, '门诊'),
    q('结算 + year range', { q: '结算', yearFrom: 2018, yearTo: 2019 }, '结算'),
    q('住院 + region', { q: '住院', region: '320115' }, '住院'),
    q('门诊 + carrier 纸质', { q: '门诊', carrier: '纸质' }, '门诊'),
    q('报销 + amount range', { q: '报销', amountMin: 1000, amountMax: 5000 }, '报销'),
    q('救助 + date range', { q: '救助', dateFrom: '2020-01-01', dateTo: '2020-06-30' }, '救助'),
    q('filters only: category + year', { category: 'JS', yearFrom: 2024, yearTo: 2025 }, ''),
    q('filters only: region + carrier', { region: '3201', carrier: 'hybrid' }, ''),
    q('no match 不存在的词', { q: '量子纠缠' }, '量子纠缠'),
    q('门诊 page 2', { q: '门诊', sort: 'date' }, '门诊'),
  ];
}

async function load(
  database: Database,
): Promise<{ filingRate: number; indexRate: number; sample: ItemInput[] }> {
  const db = database.db;
  await createFonds(db, { code: 'B001', name: '检索基准测试局', regionCode: '320115' }, 'bench');
  let filingSeconds = 0;
  let indexSeconds = 0;
  const sample: ItemInput[] = [];
  for (let start = 0; start < ITEMS; start += BATCH) {
    const inputs = generateItemBatch('search', 'B001', '320115', start, Math.min(BATCH, ITEMS - start));
    if (start === 0) sample.push(...inputs.slice(0, 500));
    let started = performance.now();
    await fileItems(db, inputs, 'bench', { access: SYSTEM });
    filingSeconds += (performance.now() - started) / 1000;
    // The index taken in batch by batch, as the server's indexer does: both run with it live.
    started = performance.now();
    await catchUpIndex(db);
    indexSeconds += (performance.now() - started) / 1000;
    if ((start + BATCH) % 100_000 === 0)
      console.error(
        `  … ${start + BATCH} items: filing ${Math.round((start + BATCH) / filingSeconds)}/s, indexing ${Math.round((start + BATCH) / indexSeconds)}/s`,
      );
  }
  await sql`analyze`.execute(db);
  return { filingRate: ITEMS / filingSeconds, indexRate: ITEMS / indexSeconds, sample };
}

async function measure(database: Database, label: string, grow?: () => Promise<void>): Promise<void> {
  const started = performance.now();
  const loaded = await database.db.selectFrom('search_doc').select('item_id').limit(1).execute();
  if (loaded.length > 0) {
    console.log(`${label}: reusing the ${ITEMS} items already loaded`);
    await queries(database, label, generateItemBatch('search', 'B001', '320115', 0, 500));
    return;
  }
  const { filingRate, indexRate, sample } = await load(database);
  const combined = 1 / (1 / filingRate + 1 / indexRate);
  console.log(
    `${label}: ${ITEMS} items loaded in ${((performance.now() - started) / 1000).toFixed(0)} s | filing ${Math.round(filingRate)} items/s, ` +
      `indexing ${Math.round(indexRate)} items/s, filing + indexing ${Math.round(combined)} items/s (ratio to filing alone ${(combined / filingRate).toFixed(2)})`,
  );
  await grow?.();
  await queries(database, label, sample);
}

async function queries(database: Database, label: string, sample: ItemInput[]): Promise<void> {
  const all: number[] = [];
  const mix = queryMix(sample);
  // The index caught up first, and kept so by the server's background indexer while the queries run:
  // the reads each search logs would otherwise pile up as a backlog every later search counts.
  await catchUpIndex(database.db);
  const indexer = startIndexer(database.db);
  // One untimed pass over the whole mix first, so every query meets a warm cache, as in daily use.
  const cursors = new Map<string, string | undefined>();
  for (const query of mix) {
    const result = await search(database.db, query.request, { access: SYSTEM });
    cursors.set(query.label, result.nextCursor ?? undefined);
  }
  const timed: Array<{ query: BenchQuery; times: number[]; total: number; exact: boolean }> = [];
  for (const query of mix) {
    const times: number[] = [];
    let total = 0;
    let exact = true;
    const cursor = query.label.endsWith('page 2') ? cursors.get(query.label) : undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const begun = performance.now();
      const result = await search(database.db, { ...query.request, cursor }, { access: SYSTEM });
      times.push(performance.now() - begun);
      total = result.total;
      exact = result.exact;
    }
    all.push(...times);
    timed.push({ query, times, total, exact });
  }
  await indexer.stop();
  // The scans come after every search is timed: a full scan evicts the cache the next search needs.
  for (const { query, times, total, exact } of timed) {
    let scan = Number.NaN;
    if (query.like !== '' && process.env.BENCH_SEARCH_SCAN !== '0') {
      const begun = performance.now();
      await sql`select id from archive_item where title ilike ${`%${query.like}%`} or person_name ilike ${`%${query.like}%`}
        or business_type ilike ${`%${query.like}%`} or extra::text ilike ${`%${query.like}%`}
        order by year desc, doc_date desc, id desc limit 20`.execute(database.db);
      scan = performance.now() - begun;
    }
    const search50 = median(times);
    console.log(
      `  ${query.label.padEnd(32)} ${search50.toFixed(1).padStart(7)} ms (max ${Math.max(...times)
        .toFixed(0)
        .padStart(
          4,
        )})  (${exact ? '' : '约'}${total} hits) | ILIKE scan ${Number.isNaN(scan) ? '   —' : `${scan.toFixed(0).padStart(5)} ms, ratio ${(scan / search50).toFixed(0)}×`}`,
    );
  }
  console.log(
    `${label} search over ${label === 'PostgreSQL' ? Math.max(PG_ITEMS, ITEMS) : ITEMS} items, ${all.length} runs: p50 ${percentile(all, 50).toFixed(1)} ms, p95 ${percentile(all, 95).toFixed(1)} ms, p99 ${percentile(all, 99).toFixed(1)} ms`,
  );
}

/** BENCH_SEARCH_HOME keeps the loaded database (and its field key) for another run of the queries. */
async function onPGlite(): Promise<void> {
  const keptHome = process.env.BENCH_SEARCH_HOME;
  const home = keptHome ?? fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-search-bench-'));
  const keyFile = path.join(home, 'bench-field.key');
  fs.mkdirSync(home, { recursive: true });
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, crypto.randomBytes(32));
  useFieldKey(fs.readFileSync(keyFile));
  try {
    const database = await openDatabase(loadConfig({ YIDANG_HOME: home }));
    try {
      await measure(database, 'PGlite');
    } finally {
      await database.close();
    }
  } finally {
    if (!keptHome) fs.rmSync(home, { recursive: true, force: true });
  }
}

if (process.env.BENCH_SEARCH_PGLITE !== '0') await onPGlite();

/**
 * Grows a loaded database to `target` items by copying the generated ones under new ids and 档号
 * (same text, names and numbers, so each ID number then matches target/ITEMS items). The word and
 * date indexes are rebuilt after the copy, as after any bulk load.
 */
async function replicate(database: Database, target: number): Promise<void> {
  const db = database.db;
  const columns = (
    await sql<{ name: string }>`select column_name as name from information_schema.columns
      where table_name = 'archive_item' order by ordinal_position`.execute(db)
  ).rows.map((row) => row.name);
  await sql`drop index search_doc_terms`.execute(db);
  await sql`drop index search_doc_date`.execute(db);
  await sql`drop index search_doc_doc_date`.execute(db);
  for (let copy = 1; copy * ITEMS < target; copy++) {
    const offset = copy * ITEMS;
    const select = columns.map((column) =>
      column === 'id' ? `id + ${offset}` : column === 'archive_code' ? `archive_code || '~${copy}'` : column,
    );
    await sql
      .raw(`insert into archive_item (${columns.join(', ')})
      select ${select.join(', ')} from archive_item where id <= ${ITEMS}`)
      .execute(db);
    await sql
      .raw(`insert into search_doc select item_id + ${offset}, fonds_code, category_id, year, retention,
      pooling_region, carrier, sensitivity, doc_date, amount, version, title, terms, body
      from search_doc where item_id <= ${ITEMS}`)
      .execute(db);
  }
  await sql`create index search_doc_terms on search_doc using gin (terms)`.execute(db);
  await sql`create index search_doc_date on search_doc (year, doc_date, item_id)`.execute(db);
  await sql`create index search_doc_doc_date on search_doc (doc_date)`.execute(db);
  await sql`analyze`.execute(db);
}

if (process.env.BENCH_SEARCH_POSTGRES !== '0') {
  // A kept database needs the field key it was loaded with, kept beside the PGlite one.
  const keep = process.env.BENCH_SEARCH_PG_KEEP === '1';
  const keyFile =
    process.env.BENCH_SEARCH_HOME && path.join(process.env.BENCH_SEARCH_HOME, 'bench-pg-field.key');
  if (keep && keyFile && !fs.existsSync(keyFile)) {
    fs.mkdirSync(path.dirname(keyFile), { recursive: true });
    fs.writeFileSync(keyFile, crypto.randomBytes(32));
  }
  useFieldKey(keep && keyFile ? fs.readFileSync(keyFile) : crypto.randomBytes(32));
  const measured = await onBenchPostgres(
    'yidang_search_bench',
    async (database) => {
      await measure(database, 'PostgreSQL', async () => {
        if (PG_ITEMS <= ITEMS) return;
        const started = performance.now();
        await replicate(database, PG_ITEMS);
        console.log(
          `PostgreSQL: grown to ${PG_ITEMS} items by copying the ${ITEMS} generated ones, indexes rebuilt, in ${((performance.now() - started) / 1000).toFixed(0)} s`,
        );
      });
    },
    { keep },
  );
  if (!measured)
    console.log('PostgreSQL not measured: no DATABASE_URL and no PostgreSQL server binaries here');
}
