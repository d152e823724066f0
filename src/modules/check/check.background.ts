import type { Db } from '../../db/database.js';
import { enqueueJob, type JobDefinition } from '../jobs/job.runtime.js';
import { type CheckContext, checkItemAfterIngest } from './check.service.js';

// The four-property check of each archive a filing path just committed (a push, a scan), as a job:
// enqueued in the filing's own transaction, so a crash after the commit cannot lose it, and run by
// the server's job workers after the response, so a business system is not kept waiting on file
// re-reads and the virus scan. One check at a time per server (each re-reads files and may start
// clamscan, which loads its whole database); an archive already waiting is not queued twice.

export const CHECK_AFTER_FILING = 'check.after-filing';

export interface CheckAfterFiling {
  archiveCode: string;
  actor: string;
}

/** Queues the check of an archive in the filing's transaction `trx`. */
export async function enqueueCheckAfterFiling(trx: Db, archiveCode: string, actor: string): Promise<void> {
  await enqueueJob(trx, {
    kind: CHECK_AFTER_FILING,
    payload: { archiveCode, actor } satisfies CheckAfterFiling,
    key: archiveCode,
    maxAttempts: 3,
  });
}

/** Whether a check after filing of this archive finished since `since` (the job's own, before a crash). */
async function checkedSince(db: Db, archiveCode: string, since: Date): Promise<boolean> {
  const row = await db
    .selectFrom('check_run')
    .select('id')
    .where('trigger', '=', 'ingest')
    .where('target_kind', '=', 'item')
    .where('target', '=', archiveCode)
    .where('started_at', '>=', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export function checkAfterFilingJob(context: CheckContext): JobDefinition<CheckAfterFiling> {
  return {
    kind: CHECK_AFTER_FILING,
    concurrency: 1,
    // A large archive's files with the virus scan: well within this.
    leaseSeconds: 1800,
    run: async ({ archiveCode, actor }, job) => {
      // The report commits before the job is marked done: a crash between the two must not check twice.
      if (await checkedSince(context.db, archiveCode, job.job.createdAt)) return;
      await checkItemAfterIngest(context, archiveCode, actor);
    },
  };
}
