import type { Db } from '../../db/database.js';
import { systemContext } from '../../shared/access-context.js';
import { listFonds } from '../catalog/catalog.queries.js';
import { refreshExpiry } from '../catalog/expiry.queries.js';
import type { JobDefinition } from '../jobs/job.runtime.js';

// The expiry list's refresh: src/system/jobs.ts runs it on a schedule (every fonds) and an appraisal
// that keeps items enqueues it for its fonds. It reads every item, so it acts as the system.

export const EXPIRY_REFRESH_JOB = 'expiry.refresh';
const ACTOR = 'system:expiry';

/** Refreshes the list of one fonds, or of every fonds; the number of items counted. */
export async function refreshAllExpiry(
  db: Db,
  fonds?: string,
  now: Date = new Date(),
): Promise<{ fonds: number; items: number; changed: number }> {
  const access = systemContext('jobs', ACTOR);
  const codes = fonds ? [fonds] : (await listFonds(db)).map((row) => row.code);
  let items = 0;
  let changed = 0;
  for (const code of codes) {
    const refresh = await refreshExpiry(db, access, code, ACTOR, now);
    items += refresh.items;
    if (refresh.changed) changed++;
  }
  return { fonds: codes.length, items, changed };
}

export function expiryRefreshJob(db: Db, clock: () => Date = () => new Date()): JobDefinition {
  return {
    kind: EXPIRY_REFRESH_JOB,
    leaseSeconds: 600,
    async run(payload, context) {
      const fonds = typeof payload.fonds === 'string' ? payload.fonds : undefined;
      const run = await refreshAllExpiry(db, fonds, clock());
      await context.progress(
        run.fonds,
        run.fonds,
        `刷新到期清单：${run.fonds} 个全宗，${run.items} 件，${run.changed} 个全宗有变化`,
      );
    },
  };
}
