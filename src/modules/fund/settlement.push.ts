import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import { listFundItems } from './fund-item.repo.js';
import { authorizeFund } from './settlement.access.js';
import type { RawRow } from './settlement.fields.js';
import { finalReport, type ImportReport, storePrepared } from './settlement.import.js';
import { createPushImport, finishImport } from './settlement.import.repo.js';
import { checkSettlementRows } from './settlement.validate.js';

// The push API (POST /api/v1/fund/settlements): a JSON batch of settlements, checked exactly as an
// extract's rows are, written in one transaction with its import record and event. Idempotent by
// serial: a settlement pushed again with the same content is skipped; with other content, refused.

export const MAX_PUSH = 1000;

export interface PushedLine {
  lineNo?: number;
  itemCategory?: string;
  itemCode: string;
  itemName?: string;
  quantity: number | string;
  unitPrice: number | string;
  amount: number | string;
  daysSupply?: number | null;
  lineDate: string;
}

export interface PushedSettlement {
  serial: string;
  idNumber: string;
  region: string;
  institutionCode: string;
  institutionName: string;
  institutionLevel: string;
  visitType: string;
  admitDate: string;
  dischargeDate?: string;
  primaryDx: string;
  otherDx?: string[];
  totalCost: number | string;
  fundPaid: number | string;
  selfPaid: number | string;
  settledOn: string;
  lines: PushedLine[];
}

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));

/**
 * A pushed settlement as rows, the header on each line; rows are numbered through the batch (the
 * n-th line pushed is row n), so a report names the very line refused.
 */
function rowsOf(settlement: PushedSettlement, first: number): RawRow[] {
  const header = {
    serial: text(settlement.serial),
    idNumber: text(settlement.idNumber),
    region: text(settlement.region),
    institutionCode: text(settlement.institutionCode),
    institutionName: text(settlement.institutionName),
    institutionLevel: text(settlement.institutionLevel),
    visitType: text(settlement.visitType),
    admitDate: text(settlement.admitDate),
    dischargeDate: text(settlement.dischargeDate),
    primaryDx: text(settlement.primaryDx),
    otherDx: (settlement.otherDx ?? []).join(';'),
    totalCost: text(settlement.totalCost),
    fundPaid: text(settlement.fundPaid),
    selfPaid: text(settlement.selfPaid),
    settledOn: text(settlement.settledOn),
  };
  if (!Array.isArray(settlement.lines) || settlement.lines.length === 0)
    return [{ row: first, fields: { ...header, itemCode: '' } }];
  return settlement.lines.map((line, position) => ({
    row: first + position,
    fields: {
      ...header,
      lineNo: text(line.lineNo ?? position + 1),
      itemCategory: text(line.itemCategory),
      itemCode: text(line.itemCode),
      itemName: text(line.itemName),
      quantity: text(line.quantity),
      unitPrice: text(line.unitPrice),
      amount: text(line.amount),
      daysSupply: text(line.daysSupply),
      lineDate: text(line.lineDate),
    },
  }));
}

export async function pushSettlements(
  db: Db,
  access: AccessContext,
  settlements: readonly PushedSettlement[],
): Promise<ImportReport> {
  authorizeFund(access, 'fund.import');
  if (settlements.length === 0 || settlements.length > MAX_PUSH)
    throw invalid('FUND_PUSH_INVALID', `一次推送 1 至 ${MAX_PUSH} 个结算`);
  const rows: RawRow[] = [];
  for (const settlement of settlements) rows.push(...rowsOf(settlement, rows.length + 1));
  const items = new Map((await listFundItems(db)).map((item) => [item.code, item]));
  const checked = checkSettlementRows(rows, items);
  const actor = actorIn(access);
  const digest = `sha256:${crypto.createHash('sha256').update(JSON.stringify(settlements)).digest('hex')}`;
  return inTransaction(db, async (trx) => {
    const importId = await createPushImport(trx, { digest, settlements: checked.settlements }, actor);
    const stored = await storePrepared(trx, access, checked.good, {
      importId,
      mode: 'push',
      batchSize: MAX_PUSH,
    });
    const report = finalReport([...checked.refusals, ...stored.refusals]);
    await finishImport(
      trx,
      importId,
      { imported: stored.imported.length, refused: report.refused },
      report.rows,
    );
    recordEvent(trx, {
      actor,
      action: 'fund.settlements_imported',
      subject: `fund-import:${importId}`,
      payload: {
        via: 'push',
        fileDigest: digest,
        rows: rows.length,
        settlements: checked.settlements,
        imported: stored.imported.length,
        refused: report.refused,
        skipped: stored.skipped.length,
        serialsDigest: `sha256:${crypto.createHash('sha256').update(stored.imported.join('\n')).digest('hex')}`,
      },
    });
    return {
      importId,
      fileName: '推送',
      format: 'json' as const,
      source: 'json',
      resumed: false,
      rows: rows.length,
      settlements: checked.settlements,
      imported: stored.imported.length,
      skipped: stored.skipped.length,
      refused: report.refused,
      refusedRows: report.rows,
      truncated: report.truncated,
    };
  });
}
