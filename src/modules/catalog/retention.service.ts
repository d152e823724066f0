import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { notFound, ValidationError } from '../../shared/errors.js';
import { idNumberInTextProblem } from '../../shared/id-in-text.js';
import { recordEvent } from '../integrity/event-log.js';
import { isRegionCode, regionFullName } from '../regions/regions.js';
import {
  deleteRetentionOverride,
  listCategories,
  listRetentionOverrides,
  upsertRetentionOverride,
} from './catalog.repo.js';
import { charLength } from './item.validate.js';
import { isRetentionPeriod, RETENTION_LABELS, type RetentionPeriod } from './retention.js';

// The retention schedule (保管期限表): each category's default, and the overrides regions have set.

export interface RetentionScheduleEntry {
  category: string;
  categoryName: string;
  status: string;
  defaultRetention: RetentionPeriod;
  defaultLabel: string;
  basis: string;
  overrides: Array<{
    regionCode: string;
    regionName: string;
    retention: RetentionPeriod;
    reason: string;
    setBy: string;
  }>;
}

export async function retentionSchedule(db: Db): Promise<RetentionScheduleEntry[]> {
  const [categories, overrides] = await Promise.all([listCategories(db), listRetentionOverrides(db)]);
  return categories.map((category) => ({
    category: category.code,
    categoryName: category.name,
    status: category.status,
    defaultRetention: category.defaultRetention,
    defaultLabel: RETENTION_LABELS[category.defaultRetention],
    basis: category.retentionBasis,
    overrides: overrides
      .filter((rule) => rule.categoryId === category.id)
      .map((rule) => ({
        regionCode: rule.regionCode,
        regionName: regionFullName(rule.regionCode) ?? rule.regionCode,
        retention: rule.retention,
        reason: rule.reason,
        setBy: rule.createdBy,
      })),
  }));
}

export interface RetentionOverrideInput {
  category: string;
  regionCode: string;
  retention: string;
  reason: string;
}

/** Sets a region's period for a category; it applies to items filed from then on. */
export async function setRetentionOverride(
  db: Db,
  input: RetentionOverrideInput,
  actor: string,
): Promise<void> {
  const issues = [];
  if (!isRegionCode(input.regionCode)) {
    issues.push({ field: 'regionCode', message: '地区代码应为有效的6位行政区划代码（省、市或县）' });
  }
  if (!isRetentionPeriod(input.retention)) {
    issues.push({ field: 'retention', message: '保管期限应为 Y/D100/D50/D30/D15/D10 之一' });
  }
  if (typeof input.reason !== 'string' || input.reason.trim() === '' || charLength(input.reason) > 500) {
    issues.push({ field: 'reason', message: '调整保管期限须说明依据（1–500个字符）' });
  } else {
    const problem = idNumberInTextProblem('依据', input.reason);
    if (problem) issues.push({ field: 'reason', message: problem });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  await inTransaction(db, async (trx) => {
    const category = (await listCategories(trx)).find((row) => row.code === input.category);
    if (!category) throw notFound('CATEGORY_NOT_FOUND', `类别“${String(input.category).slice(0, 20)}”不存在`);
    await upsertRetentionOverride(trx, {
      categoryId: category.id,
      regionCode: input.regionCode,
      retention: input.retention as RetentionPeriod,
      reason: input.reason.trim(),
      createdBy: actor,
    });
    recordEvent(trx, {
      actor,
      action: 'retention.override_set',
      subject: `retention:${input.category}:${input.regionCode}`,
      payload: {
        category: input.category,
        regionCode: input.regionCode,
        retention: input.retention,
        reason: input.reason.trim(),
      },
    });
  });
}

export async function removeRetentionOverride(
  db: Db,
  category: string,
  regionCode: string,
  actor = 'system',
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const row = (await listCategories(trx)).find((candidate) => candidate.code === category);
    if (!row || !(await deleteRetentionOverride(trx, row.id, regionCode))) {
      throw notFound('OVERRIDE_NOT_FOUND', `类别“${category}”在地区“${regionCode}”没有单独设置的保管期限`);
    }
    recordEvent(trx, {
      actor,
      action: 'retention.override_removed',
      subject: `retention:${category}:${regionCode}`,
      payload: { category, regionCode },
    });
  });
}
