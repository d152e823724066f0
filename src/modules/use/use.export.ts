import type { Db } from '../../db/database.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { cpuTask, runCpuTask } from '../../shared/cpu-pool/cpu-pool.js';
import { listUses, type UseQuery, type UseEntry } from './use.service.js';
import { STATS_DIMENSIONS, STATS_PERIODS, useStats } from './use.stats.js';
import type { UseWorkbook } from './use.xlsx.js';

// The 利用统计 workbook: counted and listed on the server thread (scoped, titles gated as everywhere),
// rendered on a CPU pool thread like the ledgers (a 10,000-row sheet holds a thread for about a second).

const renderTask = cpuTask<UseWorkbook, Uint8Array>(import.meta.url, './use.xlsx.task', 'renderOnThread', {
  label: '生成利用统计表',
  timeLimitMs: 300_000,
});

/** Register rows in the workbook at most (the counts cover every row). */
export const MAX_EXPORT_ROWS = 10_000;

export async function exportUseXlsx(
  db: Db,
  access: AccessContext,
  query: UseQuery & { period?: string; by?: string },
): Promise<{ xlsx: Buffer; fileBase: string; total: number }> {
  const stats = await useStats(db, access, query);
  const uses: UseEntry[] = [];
  let before: string | undefined;
  while (uses.length < MAX_EXPORT_ROWS) {
    const page = await listUses(db, access, {
      ...query,
      before,
      limit: Math.min(1000, MAX_EXPORT_ROWS - uses.length),
    });
    uses.push(...page.uses);
    if (page.nextBefore === null) break;
    before = page.nextBefore;
  }
  const bytes = await runCpuTask(renderTask, {
    stats,
    dimensionName: STATS_DIMENSIONS[stats.by],
    periodName: STATS_PERIODS[stats.period],
    uses,
    omitted: Math.max(0, stats.total.uses - uses.length),
    madeBy: actorIn(access),
    madeAt: stats.asOf,
  });
  const range = `${stats.from ?? ''}${stats.to ? `至${stats.to}` : ''}`;
  return {
    xlsx: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    fileBase: `利用统计${range ? `（${range}）` : ''}`,
    total: stats.total.uses,
  };
}
