import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { CHECKS, type Property } from './check.rules.js';
import type { CheckStatus } from './check.tables.js';

// What other modules read of the four-property checks: each item's latest kept result (a transfer
// hands over only items whose latest check, made since their last change, passed).

export interface LatestCheck {
  runId: number;
  finishedAt: Date;
  /** Per property (真实性/完整性/可用性/安全性): fail if any of its checks failed, pass if any passed. */
  properties: Record<Property, CheckStatus>;
  /** The checks that failed, by id. */
  failed: string[];
}

/** The latest check run of each item that was ever checked (by item id). */
export async function latestChecksOf(db: Db, itemIds: readonly number[]): Promise<Map<number, LatestCheck>> {
  const out = new Map<number, LatestCheck>();
  if (itemIds.length === 0) return out;
  const { rows } = await sql<{
    item_id: number;
    run_id: number;
    finished_at: Date;
    check_id: string;
    status: CheckStatus;
  }>`with latest as (
      select r.item_id, max(r.run_id) as run_id from check_result r
      where r.item_id = any(${[...itemIds]}::bigint[]) group by r.item_id)
    select l.item_id, l.run_id, c.finished_at, r.check_id, r.status
    from latest l join check_run c on c.id = l.run_id
    join check_result r on r.run_id = l.run_id and r.item_id = l.item_id`.execute(db);
  const propertyOf = new Map<string, Property>(CHECKS.map((check) => [check.id, check.property]));
  for (const row of rows) {
    const itemId = Number(row.item_id);
    let entry = out.get(itemId);
    if (!entry) {
      entry = {
        runId: Number(row.run_id),
        finishedAt: new Date(row.finished_at),
        properties: {
          authenticity: 'skipped',
          integrity: 'skipped',
          usability: 'skipped',
          security: 'skipped',
        },
        failed: [],
      };
      out.set(itemId, entry);
    }
    const property = propertyOf.get(row.check_id);
    if (row.status === 'fail') entry.failed.push(row.check_id);
    if (!property) continue;
    if (row.status === 'fail') entry.properties[property] = 'fail';
    else if (row.status === 'pass' && entry.properties[property] === 'skipped')
      entry.properties[property] = 'pass';
  }
  return out;
}
