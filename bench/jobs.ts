import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { enqueueJob, JobRuntime } from '../src/modules/jobs/job.runtime.js';
import { onBenchPostgres } from './postgres.js';

// The job runtime's throughput on each engine: jobs enqueued per second (one insert each, with the
// idempotency check), and jobs claimed, run (a no-op handler) and finished per second with one and
// four workers, each beside its baseline in the same run: a plain INSERT of the same rows into a
// twin table, and a plain claim loop (UPDATE … RETURNING of the next row, no lease, no SKIP LOCKED,
// no fencing) — what the runtime costs over the least a database queue can do.

const JOBS = Number(process.env.BENCH_JOBS ?? 2000);
const rate = (count: number, started: number) => Math.round(count / ((performance.now() - started) / 1000));

async function measure(database: Database, label: string): Promise<void> {
  const { db } = database;
  await sql`create table bench_plain_job (like job including all)`.execute(db);
  const payload = (index: number) => ({
    archiveCode: `B001-JSLX-2024-D30-${String(index).padStart(7, '0')}`,
  });

  let started = performance.now();
  for (let index = 0; index < JOBS; index++)
    await enqueueJob(db, { kind: 'bench.noop', payload: payload(index), key: String(index), maxAttempts: 3 });
  const enqueue = rate(JOBS, started);
  started = performance.now();
  for (let index = 0; index < JOBS; index++)
    await sql`insert into bench_plain_job (kind, payload, max_attempts, idempotency_key)
      values ('bench.noop', ${JSON.stringify(payload(index))}, 3, ${String(index)})`.execute(db);
  const plainInsert = rate(JOBS, started);

  const runtime = new JobRuntime(db).register({ kind: 'bench.noop', concurrency: 4, run: async () => {} });
  const half = JOBS / 2;
  await sql`update job set run_at = now() + interval '1 hour' where kind = 'bench.noop' and id > (
    select min(id) + ${half} - 1 from job where kind = 'bench.noop')`.execute(db);
  started = performance.now();
  const one = await runtime.drain(['bench.noop'], { concurrency: 1 });
  const drainOne = rate(one.done, started);
  await sql`update job set run_at = now() where kind = 'bench.noop' and state = 'queued'`.execute(db);
  started = performance.now();
  const four = await runtime.drain(['bench.noop'], { concurrency: 4 });
  const drainFour = rate(four.done, started);

  started = performance.now();
  let claimed = 0;
  for (;;) {
    const row = await sql`update bench_plain_job set state = 'done' where id = (
      select id from bench_plain_job where state = 'queued' order by id limit 1) returning id`.execute(db);
    if (row.rows.length === 0) break;
    claimed++;
  }
  const plainClaim = rate(claimed, started);

  console.log(`${label}: ${JOBS} jobs`);
  console.log(`  enqueue            ${String(enqueue).padStart(6)} jobs/s   (plain INSERT ${plainInsert}/s)`);
  console.log(
    `  run, 1 worker      ${String(drainOne).padStart(6)} jobs/s   (plain claim loop ${plainClaim}/s)`,
  );
  console.log(`  run, 4 workers     ${String(drainFour).padStart(6)} jobs/s`);
  if (one.done + four.done !== JOBS) throw new Error(`ran ${one.done + four.done} of ${JOBS} jobs`);
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-jobs-'));
const embedded = await openDatabase(loadConfig({ YIDANG_HOME: home }));
try {
  await measure(embedded, 'PGlite');
} finally {
  await embedded.close();
  fs.rmSync(home, { recursive: true, force: true });
}
if (!(await onBenchPostgres('jobs', (database) => measure(database, 'PostgreSQL'))))
  console.log('PostgreSQL: skipped (no DATABASE_URL and no PostgreSQL installed)');
