import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { countPendingRequests } from '../access/access.queries.js';
import { can, type Principal } from '../access/principal.js';
import { listCategories } from '../catalog/catalog.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { ocrQueueCounts } from '../scan/scan.queries.js';
import { listRuns } from '../storage/storage.queries.js';
import { latestVerifyRun } from '../verify/verify-run.service.js';
import { itemBreakdown } from './stats.repo.js';

// The 首页 dashboard: what the caller may see of the archives (counts only, within their scope),
// their approvals, and the system's health (fixity, verify, OCR queue), which names no archive.

export interface ArchiveOverview {
  total: number;
  byCategory: Array<{ code: string; name: string; count: number }>;
  byYear: Array<{ year: number; count: number }>;
  byCarrier: { paper: number; electronic: number; hybrid: number };
  electronic: { count: number; rate: number | null };
  digitization: { paper: number; digitized: number; rate: number | null };
}

export interface Overview {
  archive: (ArchiveOverview & { asOf: string }) | null;
  approvals: { scope: 'all' | 'mine'; pending: number };
  fixity: {
    id: number;
    status: string;
    startedAt: string;
    finishedAt: string | null;
    blobs: number;
    copies: number;
    ok: number;
    repaired: number;
    unrepaired: number;
    lost: number;
  } | null;
  verify: {
    id: number;
    status: string;
    startedAt: string;
    finishedAt: string | null;
    ok: boolean | null;
    problemCount: number | null;
    deep: boolean;
  } | null;
  ocr: { queued: number; running: number };
}

/** A share as a fraction with four decimals; null when there is nothing to share out. */
export const rate = (part: number, whole: number): number | null =>
  whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;

export async function archiveOverview(db: Db, access: AccessContext): Promise<ArchiveOverview> {
  const [breakdown, categories] = await Promise.all([
    itemBreakdown(db, scopedQuery(access)),
    listCategories(db),
  ]);
  const { digitized } = breakdown;
  const carrier = (name: string) => breakdown.byCarrier.get(name) ?? 0;
  const byCarrier = { paper: carrier('paper'), electronic: carrier('electronic'), hybrid: carrier('hybrid') };
  const total = byCarrier.paper + byCarrier.electronic + byCarrier.hybrid;
  const electronic = byCarrier.electronic + byCarrier.hybrid;
  return {
    total,
    // In the scheme's own order; a category without items in scope is left out.
    byCategory: categories.flatMap((category) => {
      const count = breakdown.byCategoryId.get(category.id);
      return count ? [{ code: category.code, name: category.name, count }] : [];
    }),
    byYear: [...breakdown.byYear].sort(([a], [b]) => a - b).map(([year, count]) => ({ year, count })),
    byCarrier,
    electronic: { count: electronic, rate: rate(electronic, total) },
    digitization: { paper: byCarrier.paper, digitized, rate: rate(digitized, byCarrier.paper) },
  };
}

async function lastFixity(db: Db): Promise<Overview['fixity']> {
  const [run] = await listRuns(db, 1);
  if (!run) return null;
  return {
    id: Number(run.id),
    status: run.status,
    startedAt: run.started_at.toISOString(),
    finishedAt: run.finished_at?.toISOString() ?? null,
    blobs: run.blobs,
    copies: run.copies,
    ok: run.ok,
    repaired: run.repaired,
    unrepaired: run.unrepaired,
    lost: run.lost,
  };
}

async function lastVerify(db: Db): Promise<Overview['verify']> {
  const run = await latestVerifyRun(db);
  // The first problem names records (档号): it is for those who may read the log, not the dashboard.
  return run
    ? {
        id: run.id,
        status: run.status,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        ok: run.ok,
        problemCount: run.problemCount,
        deep: run.deep,
      }
    : null;
}

/** The dashboard for this principal; their access is resolved only for a holder of item.read. */
export async function overview(
  db: Db,
  principal: Principal,
  accessOf: () => Promise<AccessContext>,
  // The route passes its cache; without one the counts are made now.
  countArchive: (access: AccessContext) => Promise<{ value: ArchiveOverview; asOf: Date }> = async (
    access,
  ) => ({
    value: await archiveOverview(db, access),
    asOf: new Date(),
  }),
): Promise<Overview> {
  const approver = can(principal, 'access.grant');
  const [archive, pending, fixity, verify, ocr] = await Promise.all([
    can(principal, 'item.read')
      ? accessOf()
          .then(countArchive)
          .then(({ value, asOf }) => ({ ...value, asOf: asOf.toISOString() }))
      : null,
    countPendingRequests(db, approver ? undefined : principal.userId),
    lastFixity(db),
    lastVerify(db),
    ocrQueueCounts(db),
  ]);
  return { archive, approvals: { scope: approver ? 'all' : 'mine', pending }, fixity, verify, ocr };
}
