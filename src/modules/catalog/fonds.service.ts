import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { conflict, invalid, notFound, ValidationError } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import { isRegionCode } from '../regions/regions.js';
import { DEFAULT_ARCHIVE_CODE_PATTERN, parseArchiveCodePattern } from './archive-code.js';
import {
  type FondsRow,
  findFonds,
  fondsHasItems,
  insertFonds,
  listFonds,
  lockFonds,
  updateFonds,
} from './catalog.repo.js';
import { charLength } from './item.validate.js';

// 全宗 fonds: the agency's whole archive, with its 4-character code and its 档号 pattern.

export interface FondsInput {
  code: string;
  name: string;
  regionCode: string;
  archiveCodePattern?: string;
}

function checkFonds(input: Partial<FondsInput>, creating: boolean): void {
  const issues = [];
  if (creating && (typeof input.code !== 'string' || !/^[A-Z0-9]{4}$/.test(input.code))) {
    issues.push({ field: 'code', message: '全宗号应为4位大写字母或数字，如 J013' });
  }
  if (creating || input.name !== undefined) {
    if (typeof input.name !== 'string' || input.name.trim() === '' || charLength(input.name) > 100) {
      issues.push({ field: 'name', message: '全宗名称为必填项，最多100个字符' });
    }
  }
  if (creating || input.regionCode !== undefined) {
    if (typeof input.regionCode !== 'string' || !isRegionCode(input.regionCode)) {
      issues.push({ field: 'regionCode', message: '地区代码应为有效的6位行政区划代码（GB/T 2260）' });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  if (input.archiveCodePattern !== undefined) parseArchiveCodePattern(input.archiveCodePattern);
}

export async function createFonds(db: Db, input: FondsInput, actor = 'system'): Promise<FondsRow> {
  checkFonds(input, true);
  const row: FondsRow = {
    code: input.code,
    name: input.name.trim(),
    regionCode: input.regionCode,
    archiveCodePattern: input.archiveCodePattern ?? DEFAULT_ARCHIVE_CODE_PATTERN,
  };
  return inTransaction(db, async (trx) => {
    if (await findFonds(trx, row.code)) throw conflict('FONDS_EXISTS', `全宗号“${row.code}”已存在`);
    await insertFonds(trx, row);
    recordEvent(trx, {
      actor,
      action: 'fonds.created',
      subject: `fonds:${row.code}`,
      payload: { ...row },
    });
    return row;
  });
}

/** The 档号 pattern can change only before anything is filed, so assigned codes stay unambiguous. */
export async function changeFonds(
  db: Db,
  code: string,
  change: Partial<Omit<FondsInput, 'code'>>,
  actor = 'system',
): Promise<FondsRow> {
  checkFonds(change, false);
  return inTransaction(db, async (trx) => {
    await lockFonds(trx, [code], 'update');
    const current = await findFonds(trx, code);
    if (!current) throw notFound('FONDS_NOT_FOUND', `全宗号“${code}”不存在`);
    if (
      change.archiveCodePattern !== undefined &&
      change.archiveCodePattern !== current.archiveCodePattern &&
      (await fondsHasItems(trx, code))
    ) {
      throw invalid('PATTERN_LOCKED', `全宗“${code}”已有归档档案，档号规则不能再修改`);
    }
    await updateFonds(trx, code, { ...change, name: change.name?.trim() });
    const changed = (await findFonds(trx, code)) as FondsRow;
    recordEvent(trx, {
      actor,
      action: 'fonds.changed',
      subject: `fonds:${code}`,
      payload: { ...changed },
    });
    return changed;
  });
}

export { findFonds, listFonds };
