import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../test/helpers/database.js';
import {
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../test/helpers/system.js';
import { type Database, openPostgres } from '../db/database.js';
import { listJobs } from '../modules/jobs/job.repo.js';
import type { Clock } from '../modules/jobs/job.runtime.js';
import { addFile } from '../modules/storage/file.service.js';
import { FIXITY_ACTOR, FIXITY_AUDIT_JOB } from '../modules/storage/fixity.background.js';
import { VERIFY_RUN_JOB } from '../modules/verify/verify-run.service.js';
import { systemJobRuntime } from './jobs.js';

// The server's background work as composed in src/system: the scheduled fixity audit runs once per
// period however many servers share the database (on PostgreSQL two connection pools stand for two
// servers), each run re-reads the batch of files checked longest ago, and 0 hours turns it off.

let system: TestSystem;
let second: Database | undefined;
let now = new Date('2027-01-04T02:00:00Z');
const clock: Clock = () => now;
const DAY = 24 * 3600 * 1000;

beforeAll(async () => {
  system = await openTestSystem({ env: { YIDANG_FIXITY_INTERVAL_HOURS: '24', YIDANG_FIXITY_BATCH: '2' } });
  const code = await fileOneItem(system);
  for (const name of ['a', 'b', 'c'])
    await addFile(
      storage(system),
      code,
      { stream: streamOf(`%PDF-1.4 ${name}`), fileName: `${name}.pdf` },
      'test',
    );
  if (onPostgres) second = openPostgres(system.database.url as string);
});
afterAll(async () => {
  await second?.close();
  await system?.dispose();
});

const checkedAt = async () =>
  new Map(
    (
      await sql<{ digest: string; checked: Date }>`select digest, min(checked_at) as checked
        from storage_copy group by digest`.execute(system.database.db)
    ).rows.map((row) => [row.digest, new Date(row.checked).getTime()]),
  );

describe('the scheduled fixity audit', () => {
  it('is not scheduled when its interval is 0 hours', async () => {
    const off = { ...system, config: { ...system.config, fixity: { intervalHours: 0, batch: 2 } } };
    const runtime = systemJobRuntime(off, { clock });
    expect(runtime.kinds).toEqual(expect.arrayContaining([FIXITY_AUDIT_JOB, VERIFY_RUN_JOB]));
    await runtime.saveSchedules();
    const names = await system.database.db.selectFrom('job_schedule').select('name').execute();
    expect(names.map((row) => row.name)).not.toContain(FIXITY_AUDIT_JOB);
  });

  it('runs once per period across two servers, each run the batch checked longest ago', async () => {
    const servers = [
      systemJobRuntime(system, { clock, worker: 'server-a:1' }),
      systemJobRuntime(second ? { ...system, database: second } : system, { clock, worker: 'server-b:2' }),
    ];
    for (const server of servers) await server.saveSchedules();
    const fixityJobs = async () => listJobs(system.database.db, { kind: FIXITY_AUDIT_JOB, limit: 20 });
    const runs = () => system.database.db.selectFrom('fixity_run').selectAll().orderBy('id').execute();
    await Promise.all(servers.map((server) => server.tickSchedules()));
    expect(await fixityJobs()).toHaveLength(0);
    const before = await checkedAt();
    expect(before.size).toBe(3);
    for (let period = 1; period <= 2; period++) {
      now = new Date(now.getTime() + DAY);
      await Promise.all(servers.map((server) => server.tickSchedules()));
      // An hour later nothing more is due: one run per period.
      now = new Date(now.getTime() + 3600_000);
      await Promise.all(servers.map((server) => server.tickSchedules()));
      expect(await fixityJobs()).toHaveLength(period);
      const done = await Promise.all(servers.map((server) => server.drain([FIXITY_AUDIT_JOB])));
      expect(done.reduce((sum, totals) => sum + totals.done, 0)).toBe(1);
      expect(await runs()).toHaveLength(period);
    }
    const recorded = await runs();
    for (const run of recorded)
      expect(run).toMatchObject({
        actor: FIXITY_ACTOR,
        sample: 2,
        blobs: 2,
        ok: 4,
        lost: 0,
        status: 'finished',
      });
    // Two runs of two files: all three files re-read, the first run's two before the third again.
    const after = await checkedAt();
    expect([...after].every(([digest, at]) => at > (before.get(digest) as number))).toBe(true);
    const events = await system.database.db
      .selectFrom('integrity_event')
      .select(['actor', 'subject'])
      .where('action', '=', 'fixity.run')
      .execute();
    expect(events).toEqual(recorded.map((run) => ({ actor: FIXITY_ACTOR, subject: `fixity:${run.id}` })));
  });
});
