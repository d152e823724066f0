import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { invalid, notFound } from '../../shared/errors.js';
import { openIdNumber } from '../../shared/field-cipher.js';
import { maskIdNumber, maskIdNumbersInText } from '../catalog/id-number.js';
import { archivesBySettlementSerials, type SettlementArchive } from '../catalog/settlement-link.service.js';
import { recordEvent } from '../integrity/event-log.js';
import { ageAt, idNumberProblem, personKeyOf } from './fund-person.js';
import { authorizeFund } from './settlement.access.js';
import {
  listSettlementRows,
  type SettlementHeaderRow,
  type SettlementLineRow,
  serialsInRegions,
  settlementLines,
  settlementRowBySerial,
} from './settlement.repo.js';
import { fundRegions } from './settlement.scope.js';
import { normaliseDate } from './settlement.validate.js';

// Reading settlements for fund supervision: fund.read and the caller's regions (a settlement of
// another region is "not found"). The person is shown by the masked ID number (as catalog masks it)
// and a short prefix of the blind index; diagnoses by ICD-10 code only. The archive items filed for a
// settlement come through catalog with the caller's own context (scoped, masked, grants applied).

export interface SettlementView {
  serial: string;
  person: { idNumber: string; key: string; sex: '男' | '女'; ageAtAdmission: number };
  region: string;
  institution: { code: string; name: string; level: string };
  visitType: '门诊' | '住院';
  admitDate: string;
  dischargeDate: string;
  stayDays: number;
  primaryDx: string;
  otherDx: string[];
  totalCost: string;
  fundPaid: string;
  selfPaid: string;
  settledOn: string;
  importId: number | null;
  lineCount: number;
}

export interface SettlementDetail extends SettlementView {
  lines: SettlementLineRow[];
  archives: SettlementArchive[];
}

export interface SettlementQuery {
  region?: string;
  institution?: string;
  idNumber?: string;
  from?: string;
  to?: string;
  visitType?: string;
  cursor?: string;
  limit?: number;
}

const filterError = (message: string) => invalid('FUND_FILTER_INVALID', message);

function view(row: SettlementHeaderRow): SettlementView {
  return {
    serial: row.serial,
    person: {
      idNumber: maskIdNumber(openIdNumber(row.idNumberSealed)) ?? '',
      key: row.personKey.slice(0, 8),
      sex: row.sex,
      ageAtAdmission: ageAt(row.birthDate, row.admitDate),
    },
    region: row.region,
    institution: { code: row.institutionCode, name: row.institutionName, level: row.institutionLevel },
    visitType: row.visitType,
    admitDate: row.admitDate,
    dischargeDate: row.dischargeDate,
    stayDays: Math.round((Date.parse(row.dischargeDate) - Date.parse(row.admitDate)) / 86_400_000),
    primaryDx: row.primaryDx,
    otherDx: row.otherDx,
    totalCost: row.totalCost,
    fundPaid: row.fundPaid,
    selfPaid: row.selfPaid,
    settledOn: row.settledOn,
    importId: row.importId,
    lineCount: Number(row.lineCount),
  };
}

export async function listSettlements(
  db: Db,
  access: AccessContext,
  query: SettlementQuery,
): Promise<{ settlements: SettlementView[]; nextCursor: string | null }> {
  authorizeFund(access, 'fund.read');
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  if (query.region !== undefined && !/^\d{2,6}$/.test(query.region))
    throw filterError('地区应为2至6位行政区划代码');
  if (query.visitType !== undefined && query.visitType !== '门诊' && query.visitType !== '住院')
    throw filterError('医疗类别应为门诊或住院');
  const from = query.from === undefined ? undefined : normaliseDate(query.from);
  const to = query.to === undefined ? undefined : normaliseDate(query.to);
  if ((query.from !== undefined && !from) || (query.to !== undefined && !to))
    throw filterError('结算期间应为 YYYY-MM-DD 日期');
  if (query.cursor !== undefined && !/^\d{1,15}$/.test(query.cursor)) throw filterError('翻页游标无效');
  if (query.institution !== undefined && !/^[0-9A-Za-z_-]{1,32}$/.test(query.institution))
    throw filterError('定点医药机构编码无效');
  let personKey: string | undefined;
  if (query.idNumber !== undefined) {
    const problem = idNumberProblem(query.idNumber);
    if (problem) throw invalid('ID_NUMBER_INVALID', `身份证号有误：${problem}`);
    personKey = personKeyOf(query.idNumber);
  }
  const rows = await listSettlementRows(db, await fundRegions(db, access), {
    region: query.region?.replace(/(00)+$/, '') || query.region,
    institution: query.institution,
    personKey,
    from,
    to,
    visitType: query.visitType as '门诊' | '住院' | undefined,
    beforeId: query.cursor === undefined ? undefined : Number(query.cursor),
    limit,
  });
  // A look-up by ID number is noted (never the number): who looked for a person, and how many found.
  if (personKey !== undefined && access.kind === 'principal')
    await inTransaction(db, async (trx) =>
      recordEvent(trx, {
        actor: access.username,
        action: 'search.id_lookup',
        subject: `user:${access.username}`,
        payload: { lookups: 1, results: rows.length, items: [] },
      }),
    );
  return {
    settlements: rows.map(view),
    nextCursor: rows.length === limit ? String(rows.at(-1)?.id) : null,
  };
}

export async function readSettlement(
  db: Db,
  access: AccessContext,
  serial: string,
): Promise<SettlementDetail> {
  authorizeFund(access, 'fund.read');
  const row = /^[0-9A-Za-z_-]{1,64}$/.test(serial)
    ? await settlementRowBySerial(db, await fundRegions(db, access), serial)
    : undefined;
  if (!row)
    throw notFound(
      'FUND_SETTLEMENT_NOT_FOUND',
      `结算流水号“${maskIdNumbersInText(serial.slice(0, 64))}”不存在`,
    );
  return {
    ...view(row),
    lines: await settlementLines(db, row.id),
    archives: await archivesBySettlementSerials(db, access, [row.serial]),
  };
}

/**
 * The archive items filed for these settlements (by 结算流水号), as the caller may see them: only
 * settlements in the caller's regions are looked up, and the items come through catalog with the
 * caller's context (in scope, masked, sensitive ones without a grant withheld).
 */
export async function archivesOfSettlements(
  db: Db,
  access: AccessContext,
  serials: readonly string[],
): Promise<SettlementArchive[]> {
  authorizeFund(access, 'fund.read');
  const reachable = await serialsInRegions(db, await fundRegions(db, access), serials);
  return archivesBySettlementSerials(db, access, reachable);
}

export type { SettlementArchive };
