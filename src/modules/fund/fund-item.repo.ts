import type { Db } from '../../db/database.js';

// 医保目录 (fund_item): seeded by the migration, read by the import's checks, the generator and the
// items listing.

export interface FundItem {
  code: string;
  name: string;
  category: '药品' | '诊疗' | '耗材' | '床位';
  unitPrice: string;
  sexLimit: '男' | '女' | null;
  ageMin: number | null;
  ageMax: number | null;
  perDay: boolean;
  permittedDx: string[];
  includes: string[];
  parts: string[];
}

export async function listFundItems(
  db: Db,
  filter: { category?: string; q?: string } = {},
): Promise<FundItem[]> {
  let query = db
    .selectFrom('fund_item')
    .select([
      'code',
      'name',
      'category',
      'unit_price as unitPrice',
      'sex_limit as sexLimit',
      'age_min as ageMin',
      'age_max as ageMax',
      'per_day as perDay',
      'permitted_dx as permittedDx',
      'includes',
      'parts',
    ])
    .orderBy('code');
  if (filter.category) query = query.where('category', '=', filter.category as FundItem['category']);
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('code', 'like', pattern), eb('name', 'like', pattern)]));
  }
  return query.execute();
}
