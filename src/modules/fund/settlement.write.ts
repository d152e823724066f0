import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

// Writing settlements in bulk, shared by the import, the push API and the generator: each table is
// written with one statement per batch whose columns are arrays (insert … select from unnest), so a
// batch of thousands of rows is one round trip and a handful of parameters on both engines.

export interface PersonRow {
  personKey: string;
  idNumberSealed: string;
  sex: '男' | '女';
  birthDate: string;
  deathDate: string | null;
  region: string;
}

export interface SettlementRow {
  serial: string;
  personKey: string;
  region: string;
  institutionCode: string;
  institutionName: string;
  institutionLevel: '一级' | '二级' | '三级' | '未定级';
  visitType: '门诊' | '住院';
  admitDate: string;
  dischargeDate: string;
  primaryDx: string;
  otherDx: string[];
  totalCost: string;
  fundPaid: string;
  selfPaid: string;
  settledOn: string;
  lines: LineRow[];
}

export interface LineRow {
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

/**
 * New people are added; a person already known keeps their row, except that a death date learnt now
 * is recorded (the first one reported stands).
 */
export async function upsertPersons(db: Db, persons: readonly PersonRow[]): Promise<void> {
  if (persons.length === 0) return;
  await sql`
    insert into fund_person (person_key, id_number_sealed, sex, birth_date, death_date, region)
    select * from unnest(${persons.map((row) => row.personKey)}::text[], ${persons.map((row) => row.idNumberSealed)}::text[],
      ${persons.map((row) => row.sex)}::text[], ${persons.map((row) => row.birthDate)}::date[],
      ${persons.map((row) => row.deathDate)}::date[], ${persons.map((row) => row.region)}::text[])
    on conflict (person_key) do update set death_date = coalesce(fund_person.death_date, excluded.death_date)`.execute(
    db,
  );
}

/**
 * Inserts settlements with their lines; returns the ids by serial. A serial already stored (another
 * import committed it meanwhile) is left alone and missing from the answer.
 */
export async function insertSettlements(
  db: Db,
  settlements: readonly SettlementRow[],
  importId: number | null,
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  if (settlements.length === 0) return ids;
  const column = <T>(pick: (row: SettlementRow) => T) => settlements.map(pick);
  const inserted = await sql<{ id: number; serial: string }>`
    insert into fund_settlement (serial, person_key, region, institution_code, institution_name, institution_level,
      visit_type, admit_date, discharge_date, primary_dx, other_dx, total_cost, fund_paid, self_paid, settled_on, import_id)
    select u.serial, u.person_key, u.region, u.institution_code, u.institution_name, u.institution_level, u.visit_type,
      u.admit_date, u.discharge_date, u.primary_dx,
      case when u.other_dx = '' then '{}'::text[] else string_to_array(u.other_dx, '|') end,
      u.total_cost, u.fund_paid, u.self_paid, u.settled_on, ${importId}::integer
    from unnest(${column((row) => row.serial)}::text[], ${column((row) => row.personKey)}::text[],
      ${column((row) => row.region)}::text[], ${column((row) => row.institutionCode)}::text[],
      ${column((row) => row.institutionName)}::text[], ${column((row) => row.institutionLevel)}::text[],
      ${column((row) => row.visitType)}::text[], ${column((row) => row.admitDate)}::date[],
      ${column((row) => row.dischargeDate)}::date[], ${column((row) => row.primaryDx)}::text[],
      ${column((row) => row.otherDx.join('|'))}::text[], ${column((row) => row.totalCost)}::numeric[],
      ${column((row) => row.fundPaid)}::numeric[], ${column((row) => row.selfPaid)}::numeric[],
      ${column((row) => row.settledOn)}::date[])
      as u(serial, person_key, region, institution_code, institution_name, institution_level, visit_type, admit_date,
        discharge_date, primary_dx, other_dx, total_cost, fund_paid, self_paid, settled_on)
    on conflict (serial) do nothing
    returning id, serial`.execute(db);
  for (const row of inserted.rows) ids.set(row.serial, Number(row.id));
  const lines = settlements.flatMap((settlement) => {
    const id = ids.get(settlement.serial);
    return id === undefined ? [] : settlement.lines.map((line) => ({ id, line }));
  });
  const of = <T>(pick: (row: LineRow) => T) => lines.map((row) => pick(row.line));
  await sql`
    insert into fund_settlement_line (settlement_id, line_no, item_category, item_code, item_name, quantity, unit_price,
      amount, days_supply, line_date)
    select * from unnest(${lines.map((row) => row.id)}::bigint[], ${of((row) => row.lineNo)}::integer[],
      ${of((row) => row.itemCategory)}::text[], ${of((row) => row.itemCode)}::text[], ${of((row) => row.itemName)}::text[],
      ${of((row) => row.quantity)}::numeric[], ${of((row) => row.unitPrice)}::numeric[], ${of((row) => row.amount)}::numeric[],
      ${of((row) => row.daysSupply)}::integer[], ${of((row) => row.lineDate)}::date[])`.execute(db);
  return ids;
}
