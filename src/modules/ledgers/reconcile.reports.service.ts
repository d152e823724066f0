import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { notFound, YidangError } from '../../shared/errors.js';
import { openText } from '../access/field-cipher.js';
import { listFonds } from '../catalog/fonds.service.js';
import { appendEvent } from '../integrity/event-log.js';
import type { Finding, Outcome } from './reconcile.findings.js';
import { findRun } from './reconcile.repo.js';
import { REPORT_NAMES, type ReportKind, type RunHeader, renderReport } from './reconcile.report.js';

// Reading a recorded reconciliation back as one of its workbooks. The findings hold names and ID
// numbers, so each export is an event of its own.

/** The agency named on reports: the fonds when there is one, else a plain title. */
export async function agencyName(db: Db): Promise<string> {
  const fonds = await listFonds(db);
  return fonds.length === 1 ? (fonds[0]?.name ?? '医疗保障经办机构') : '医疗保障经办机构';
}

export async function reconciliationReport(
  db: Db,
  runId: number,
  kind: ReportKind,
  reader: { actor: string; displayName: string; mayUnmask: boolean },
  now = new Date(),
): Promise<{ content: Buffer; fileName: string }> {
  const run = await findRun(db, runId);
  if (!run) throw notFound('RECONCILIATION_NOT_FOUND', `第 ${runId} 次核对不存在`);
  // The workbooks hold whole ID numbers, addresses and phones: another user's run is for those who
  // may see personal data unmasked.
  if (run.actor !== reader.actor && !reader.mayUnmask)
    throw new YidangError(
      'FORBIDDEN',
      'forbidden',
      `第 ${runId} 次核对由他人发起，其结果含未脱敏的个人信息，无权导出`,
    );
  const findings = JSON.parse(openText(run.findings)) as Finding[];
  const summary = run.summary as { counts: Record<Outcome, number>; rows: number };
  const header: RunHeader = {
    runId,
    source: run.source,
    fileName: run.fileName,
    rows: summary.rows,
    counts: summary.counts,
    madeAt: now,
    madeBy: reader.displayName,
    agency: await agencyName(db),
  };
  const content = await renderReport(kind, header, findings);
  await inTransaction(db, (trx) =>
    appendEvent(trx, {
      actor: reader.actor,
      action: 'roster.report_exported',
      subject: `reconciliation:${runId}`,
      payload: { report: kind, bytes: content.length },
    }),
  );
  const base = run.fileName.replace(/\.[^.]*$/, '');
  return { content, fileName: `${base}.${REPORT_NAMES[kind]}.xlsx` };
}
