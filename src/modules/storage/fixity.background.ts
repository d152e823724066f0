import type { Db } from '../../db/database.js';
import type { JobDefinition } from '../jobs/job.runtime.js';
import type { BlobStore } from './blob-store.js';
import { runFixity } from './fixity.service.js';

// The scheduled fixity audit (定期固定性检查) as a job: a recurring schedule of the job runtime makes
// one run per period, which one server takes, and the run re-reads the batch of files whose copies
// were checked longest ago, so every file comes round in turn. It records what `yidang storage
// fixity` records: a fixity run with its findings, repairs and their events.

export const FIXITY_AUDIT_JOB = 'storage.fixity';
export const FIXITY_ACTOR = 'system:fixity';

export function fixityAuditJob(context: { db: Db; store: BlobStore }, batch: number): JobDefinition {
  return {
    kind: FIXITY_AUDIT_JOB,
    concurrency: 1,
    // A batch of large files on a slow replica; a killed server on this host is released at once.
    leaseSeconds: 3600,
    run: async (_payload, job) => {
      await runFixity(context, FIXITY_ACTOR, {
        due: batch,
        onProgress: (done, total) => void job.progress(done, total).catch(() => {}),
      });
    },
  };
}
