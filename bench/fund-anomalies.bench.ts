import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Database, Db } from '../src/db/database.js';
import { openMemoryDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrator.js';
import { findAnomalies } from '../src/modules/fund/anomaly.service.js';
import { generateSettlements } from '../src/modules/fund/generate.js';
import { findGroups } from '../src/modules/fund/group.service.js';
import { ensureLog } from '../src/modules/integrity/event-log.js';
import { systemContext } from '../src/shared/access-context.js';
import { useFieldKey } from '../src/shared/field-cipher.js';
import { onBenchPostgres } from './postgres.js';

// 异常机构与高风险群体 over generated settlements (src/modules/fund/generate.ts): the anomaly look-up
// of institutions and of people over every measure, and the grouping of people, each timed against one
// sequential scan of fund_settlement_line in the same run (the measures read the headers and the lines
// once each, so their sum is the yardstick: a few scans). Sizes: BENCH_FUND_SETTLEMENTS (default
// 100,000); BENCH_FUND_ENGINE=pglite|postgres|both (default pglite).

useFieldKey(crypto.randomBytes(32));
const SYSTEM = systemContext('fixture', 'bench');
const ENGINE = process.env.BENCH_FUND_ENGINE ?? 'pglite';
const COUNT = Number(process.env.BENCH_FUND_SETTLEMENTS ?? 100_000);

async function median3(work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[1] as number;
}

async function bench(engine: string, database: Database): Promise<void> {
  const db: Db = database.db;
  await ensureLog(db, { algorithm: 'sha256' });
  const generated = await generateSettlements(db, SYSTEM, { count: COUNT, seed: 2027 });
  await sql`analyze`.execute(db);
  const period = { from: generated.from, to: generated.to };
  console.log(
    `\n[${engine}] ${generated.settlements.toLocaleString()} settlements, ${generated.lines.toLocaleString()} lines, ${generated.persons.toLocaleString()} people (${generated.seconds.toFixed(0)} s to generate)`,
  );
  const scan = await median3(() => sql`select count(*), sum(amount) from fund_settlement_line`.execute(db));
  const rows: Array<[string, number, string]> = [];
  let flags = '';
  const institutions = await median3(async () => {
    const report = await findAnomalies(db, SYSTEM, { ...period, kind: 'institution' });
    flags = `${report.subjects} institutions, ${report.flagged} flags, ${report.unscored.length} groups unscored`;
  });
  rows.push(['anomalies, institutions, 4 measures', institutions, flags]);
  const people = await median3(async () => {
    const report = await findAnomalies(db, SYSTEM, { ...period, kind: 'person' });
    flags = `${report.subjects} people, ${report.flagged} flags`;
  });
  rows.push(['anomalies, people, 4 measures', people, flags]);
  const groups = await median3(async () => {
    const report = await findGroups(db, SYSTEM, period);
    flags = `${report.persons} people, k = ${report.k}, sizes ${report.clusters.map((cluster) => cluster.size).join('/')}`;
  });
  rows.push(['groups (k-means, k = 2..6)', groups, flags]);
  console.log(`  one scan of fund_settlement_line: ${scan.toFixed(0)} ms`);
  for (const [what, ms, note] of rows)
    console.log(
      `  ${what.padEnd(38)} ${ms.toFixed(0).padStart(7)} ms  ${(ms / scan).toFixed(2).padStart(6)}× scan  ${note}`,
    );
}

if (ENGINE === 'pglite' || ENGINE === 'both') {
  const database = await openMemoryDatabase();
  try {
    await migrateToLatest(database.db);
    await bench('pglite', database);
  } finally {
    await database.close();
  }
}
if (ENGINE === 'postgres' || ENGINE === 'both') {
  const ran = await onBenchPostgres('yidang_bench_fund_anomalies', (database) => bench('postgres', database));
  if (!ran) console.log('\n[postgres] no server (set DATABASE_URL or install PostgreSQL): skipped');
}
