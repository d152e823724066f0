import type { Db } from '../../db/database.js';
import { systemContext } from '../../shared/access-context.js';
import { createFonds, findFonds } from '../catalog/fonds.service.js';
import { countItems, fileItems, listItems } from '../catalog/item.service.js';
import { type GenerateOptions, type GenerateResult, generateSettlements } from '../fund/generate.js';
import { generateItemBatch } from './items.js';

// Loads synthetic archives through the same filing service real data uses, in batches that each
// commit on their own: an interrupted load keeps every finished batch and loses no half batch.

export const DEMO_FONDS = { code: 'D001', name: '示例县医疗保障局（演示数据）', regionCode: '320115' };
export const DEMO_ACTOR = '演示数据生成器';
// Large batches: per-transaction costs (locks, the catalog context, the log head) are paid 5,000 times
// less often for a million items, and an interruption still loses at most one batch.
const BATCH = 5000;
// The loader files synthetic archives into its own fonds, as the system (no person is shown anything).
const DEMO = systemContext('demo', DEMO_ACTOR);

export interface DemoProgress {
  done: number;
  total: number;
}

export interface DemoOptions {
  items: number;
  seed?: string | number;
  onProgress?: (progress: DemoProgress) => void;
}

export async function loadDemo(db: Db, options: DemoOptions): Promise<{ filed: number; startIndex: number }> {
  if (!(await findFonds(db, DEMO_FONDS.code))) await createFonds(db, DEMO_FONDS);
  const seed = options.seed ?? 1;
  // Continuing after the items already there keeps a repeated run from re-filing the same people.
  const startIndex = await countItems(db, DEMO, DEMO_FONDS.code);
  let done = 0;
  while (done < options.items) {
    const size = Math.min(BATCH, options.items - done);
    const batch = generateItemBatch(seed, DEMO_FONDS.code, DEMO_FONDS.regionCode, startIndex + done, size);
    await fileItems(db, batch, DEMO_ACTOR, { access: DEMO });
    done += size;
    options.onProgress?.({ done, total: options.items });
  }
  return { filed: done, startIndex };
}

/** True when nothing has been filed yet: the first start loads a small demo set. */
export async function catalogIsEmpty(db: Db): Promise<boolean> {
  return (await listItems(db, { limit: 1 }, DEMO)).items.length === 0;
}

/**
 * Synthetic settlements for a demo home (yidang settle generate), as the demo loader: the operator of the
 * data directory, no account. The fund generator itself refuses a home holding imported settlements.
 */
export function loadDemoSettlements(db: Db, options: GenerateOptions): Promise<GenerateResult> {
  return generateSettlements(db, DEMO, options);
}
