import { type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { FundRegions } from './settlement.scope.js';

// Reading settlements (fund_settlement, its lines and person) within the caller's regions, and the
// import records. The rules, anomalies and series of this module read these tables themselves.

export interface SettlementFilter {
  /** A 6-digit region or a prefix of one (3201). */
  region?: string;
  institution?: string;
  personKey?: string;
  from?: string;
  to?: string;
  visitType?: '门诊' | '住院';
  /** Settlements with ids below this (pages run newest first). */
  beforeId?: number;
  limit: number;
}

export interface SettlementHeaderRow {
  id: number;
  serial: string;
  personKey: string;
  idNumberSealed: string;
  sex: '男' | '女';
  birthDate: string;
  deathDate: string | null;
  region: string;
  institutionCode: string;
  institutionName: string;
  institutionLevel: string;
  visitType: '门诊' | '住院';
  admitDate: string;
  dischargeDate: string;
  primaryDx: string;
  otherDx: string[];
  totalCost: string;
  fundPaid: string;
  selfPaid: string;
  settledOn: string;
  importId: number | null;
  lineCount: number;
}

export interface SettlementLineRow {
  lineNo: number;
  itemCategory: string;
  itemCode: string;
  itemName: string;
  quantity: string;
  unitPrice: string;
  amount: string;
  daysSupply: number | null;
  lineDate: string;
}

/** The condition "region lies in the caller's regions" over a region column. */
export function inRegions(column: string, regions: FundRegions) {
  if (regions === null) return sql<SqlBool>`true`;
  if (regions.length === 0) return sql<SqlBool>`false`;
  return sql<SqlBool>`${sql.ref(column)} like any(${regions.map((prefix) => `${prefix}%`)}::text[])`;
}

const HEADER = sql`s.id, s.serial, s.person_key as "personKey", p.id_number_sealed as "idNumberSealed", p.sex,
  p.birth_date as "birthDate", p.death_date as "deathDate", s.region, s.institution_code as "institutionCode",
  s.institution_name as "institutionName", s.institution_level as "institutionLevel", s.visit_type as "visitType",
  s.admit_date as "admitDate", s.discharge_date as "dischargeDate", s.primary_dx as "primaryDx", s.other_dx as "otherDx",
  s.total_cost as "totalCost", s.fund_paid as "fundPaid", s.self_paid as "selfPaid", s.settled_on as "settledOn",
  s.import_id as "importId",
  (select count(*)::int from fund_settlement_line l where l.settlement_id = s.id) as "lineCount"`;

export async function listSettlementRows(
  db: Db,
  regions: FundRegions,
  filter: SettlementFilter,
): Promise<SettlementHeaderRow[]> {
  const conditions = [inRegions('s.region', regions)];
  if (filter.region) conditions.push(sql<SqlBool>`s.region like ${`${filter.region}%`}`);
  if (filter.institution) conditions.push(sql<SqlBool>`s.institution_code = ${filter.institution}`);
  if (filter.personKey) conditions.push(sql<SqlBool>`s.person_key = ${filter.personKey}`);
  if (filter.from) conditions.push(sql<SqlBool>`s.settled_on >= ${filter.from}::date`);
  if (filter.to) conditions.push(sql<SqlBool>`s.settled_on <= ${filter.to}::date`);
  if (filter.visitType) conditions.push(sql<SqlBool>`s.visit_type = ${filter.visitType}`);
  if (filter.beforeId !== undefined) conditions.push(sql<SqlBool>`s.id < ${filter.beforeId}`);
  const result = await sql<SettlementHeaderRow>`
    select ${HEADER} from fund_settlement s join fund_person p on p.person_key = s.person_key
    where ${sql.join(conditions, sql` and `)}
    order by s.id desc limit ${filter.limit}`.execute(db);
  return result.rows.map((row) => ({ ...row, id: Number(row.id) }));
}

export async function settlementRowBySerial(
  db: Db,
  regions: FundRegions,
  serial: string,
): Promise<SettlementHeaderRow | undefined> {
  const result = await sql<SettlementHeaderRow>`
    select ${HEADER} from fund_settlement s join fund_person p on p.person_key = s.person_key
    where s.serial = ${serial} and ${inRegions('s.region', regions)}`.execute(db);
  const row = result.rows[0];
  return row ? { ...row, id: Number(row.id) } : undefined;
}

export async function settlementLines(db: Db, settlementId: number): Promise<SettlementLineRow[]> {
  const result = await sql<SettlementLineRow>`
    select line_no as "lineNo", item_category as "itemCategory", item_code as "itemCode", item_name as "itemName",
      quantity::text as quantity, unit_price::text as "unitPrice", amount::text as amount,
      days_supply as "daysSupply", line_date as "lineDate"
    from fund_settlement_line where settlement_id = ${settlementId} order by line_no`.execute(db);
  return result.rows;
}

/** Serials among these that lie in the regions (the rest are not found). */
export async function serialsInRegions(
  db: Db,
  regions: FundRegions,
  serials: readonly string[],
): Promise<string[]> {
  if (serials.length === 0) return [];
  const result = await sql<{ serial: string }>`
    select serial from fund_settlement s where s.serial = any(${[...serials]}::text[]) and ${inRegions('s.region', regions)}`.execute(
    db,
  );
  return result.rows.map((row) => row.serial);
}

/** The settlements already stored under these serials, whole (header and lines), for comparison. */
export async function storedSettlements(
  db: Db,
  serials: readonly string[],
): Promise<Map<string, { importId: number | null; content: string }>> {
  const found = new Map<string, { importId: number | null; content: string }>();
  if (serials.length === 0) return found;
  const result = await sql<{ serial: string; importId: number | null; content: string }>`
    select s.serial, s.import_id as "importId",
      concat_ws('|', s.person_key, s.region, s.institution_code, s.institution_name, s.institution_level, s.visit_type,
        s.admit_date, s.discharge_date, s.primary_dx, array_to_string(s.other_dx, ','), s.total_cost::numeric(14,2),
        s.fund_paid::numeric(14,2), s.self_paid::numeric(14,2), s.settled_on) || '#' ||
      (select string_agg(concat_ws('|', l.line_no, l.item_category, l.item_code, l.item_name, l.quantity::numeric(12,3),
        l.unit_price::numeric(12,2), l.amount::numeric(14,2), coalesce(l.days_supply::text, ''), l.line_date), ';'
        order by l.line_no) from fund_settlement_line l where l.settlement_id = s.id) as content
    from fund_settlement s where s.serial = any(${[...serials]}::text[])`.execute(db);
  for (const row of result.rows) found.set(row.serial, { importId: row.importId, content: row.content });
  return found;
}

/** Whether any settlement came from an extract or a push (real data), as against the generator's (import_id null). */
export async function hasImportedSettlements(db: Db): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    select exists (select 1 from fund_settlement where import_id is not null) as found`.execute(db);
  return rows[0]?.found === true;
}
