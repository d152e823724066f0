import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { openText } from '../../shared/field-cipher.js';
import { listFonds } from '../catalog/fonds.service.js';
import { recordEvent } from '../integrity/event-log.js';
import { type Finding, OUTCOME_NAMES, type Outcome } from './reconcile.findings.js';
import { findRun } from './reconcile.repo.js';
import { REPORT_NAMES, type ReportKind, type RunHeader, renderReport } from './reconcile.report.js';

// Reading a recorded reconciliation back as one of its workbooks, for the user who ran it only. The
// findings hold names and ID numbers: masked unless the reader may unmask and asked to, with a
// purpose; each export is an event of its own.

const ZERO_COUNTS = Object.fromEntries(Object.keys(OUTCOME_NAMES).map((key) => [key, 0])) as Record<
  Outcome,
  number
>;

/** The agency named on reports: the fonds when there is one, else a plain title. */
export async function agencyName(db: Db): Promise<string> {
  const fonds = await listFonds(db);
  return fonds.length === 1 ? (fonds[0]?.name ?? '医疗保障经办机构') : '医疗保障经办机构';
}

export interface ReportReader {
  actor: string;
  displayName: string;
  /** Whether the reader holds item.unmask. */
  mayUnmask: boolean;
  /** Asked for the workbook in full (needs mayUnmask and a purpose); masked otherwise. */
  unmask?: boolean;
  purpose?: string;
}

export async function reconciliationReport(
  db: Db,
  runId: number,
  kind: ReportKind,
  reader: ReportReader,
  now = new Date(),
): Promise<{ content: Buffer; fileName: string }> {
  // A run is its maker's: run ids count up, so another user's answers exactly like one that does not exist.
  const run = await findRun(db, runId, reader.actor);
  if (!run) throw notFound('RECONCILIATION_NOT_FOUND', `第 ${runId} 次核对不存在`);
  let purpose: string | null = null;
  if (reader.unmask) {
    if (!reader.mayUnmask)
      throw new YidangError('FORBIDDEN', 'forbidden', '无权查看未脱敏的个人信息，核对结果只能以脱敏形式导出');
    purpose = reader.purpose?.trim().slice(0, 200) ?? '';
    if (purpose === '')
      throw invalid('PURPOSE_REQUIRED', '导出未脱敏的核对结果须写明用途（purpose），用途记入事件日志');
  }
  const findings = JSON.parse(openText(run.findings)) as Finding[];
  const summary = run.summary as { counts: Record<Outcome, number>; rows: number };
  const header: RunHeader = {
    runId,
    source: run.source,
    fileName: run.fileName,
    rows: summary.rows,
    // Runs recorded before an outcome was added count it as none.
    counts: { ...ZERO_COUNTS, ...summary.counts },
    madeAt: now,
    madeBy: reader.displayName,
    agency: await agencyName(db),
  };
  const content = await renderReport(kind, header, findings, { masked: purpose === null });
  await inTransaction(db, async (trx) =>
    recordEvent(trx, {
      actor: reader.actor,
      action: 'roster.report_exported',
      subject: `reconciliation:${runId}`,
      payload: { report: kind, bytes: content.length, unmasked: purpose !== null, purpose },
    }),
  );
  const base = run.fileName.replace(/\.[^.]*$/, '');
  return { content, fileName: `${base}.${REPORT_NAMES[kind]}.xlsx` };
}
