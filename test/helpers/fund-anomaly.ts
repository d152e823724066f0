import type { Db } from '../../src/db/database.js';
import { idNumberIndex, sealIdNumber } from '../../src/shared/field-cipher.js';
import { validId } from './fixtures.js';

// Settlements written straight into fund's tables for the anomaly and group tests: people with
// synthetic ID numbers, headers with their costs and lines with their unit prices, so a test knows
// every figure the measures are computed from.

export interface PlantedPerson {
  idNumber: string;
  key: string;
}

/** A synthetic person of a region: 18-digit ID from the region, a 1980s birthday and a sequence. */
export function plantedPerson(region: string, seq: number): PlantedPerson {
  const idNumber = validId(
    `${region}1980${String(1 + (seq % 12)).padStart(2, '0')}${String(1 + (seq % 28)).padStart(2, '0')}${String(seq % 1000).padStart(3, '0')}`,
  );
  return { idNumber, key: idNumberIndex(idNumber) as string };
}

export async function addPeople(
  db: Db,
  people: ReadonlyArray<PlantedPerson & { region: string }>,
): Promise<void> {
  for (let start = 0; start < people.length; start += 500)
    await db
      .insertInto('fund_person')
      .values(
        people.slice(start, start + 500).map((person) => ({
          person_key: person.key,
          id_number_sealed: sealIdNumber(person.idNumber) as string,
          sex: Number(person.idNumber[16]) % 2 === 1 ? ('男' as const) : ('女' as const),
          birth_date: `${person.idNumber.slice(6, 10)}-${person.idNumber.slice(10, 12)}-${person.idNumber.slice(12, 14)}`,
          region: person.region,
        })),
      )
      .onConflict((conflict) => conflict.column('person_key').doNothing())
      .execute();
}

export interface PlantedSettlement {
  serial: string;
  personKey: string;
  region: string;
  institution: string;
  /** The institution's name (default: its code and 医院). */
  institutionName?: string;
  level: '一级' | '二级' | '三级' | '未定级';
  type: '门诊' | '住院';
  admit: string;
  discharge?: string;
  total: number;
  /** Share of the amount billed at the high unit price (1,500 元; the rest at 50 元). */
  highShare?: number;
  fundShare?: number;
}

const money = (value: number) => value.toFixed(2);

export async function addSettlements(db: Db, settlements: readonly PlantedSettlement[]): Promise<void> {
  for (let start = 0; start < settlements.length; start += 400) {
    const chunk = settlements.slice(start, start + 400);
    const ids = await db
      .insertInto('fund_settlement')
      .values(
        chunk.map((row) => {
          const fund = row.total * (row.fundShare ?? 0.7);
          return {
            serial: row.serial,
            person_key: row.personKey,
            region: row.region,
            institution_code: row.institution,
            institution_name: row.institutionName ?? `${row.institution} 医院`,
            institution_level: row.level,
            visit_type: row.type,
            admit_date: row.admit,
            discharge_date: row.discharge ?? row.admit,
            primary_dx: 'J06.9',
            total_cost: money(row.total),
            fund_paid: money(fund),
            self_paid: money(row.total - fund),
            settled_on: row.discharge ?? row.admit,
            import_id: null,
          };
        }),
      )
      .returning('id')
      .execute();
    const lines = chunk.flatMap((row, index) => {
      const high = row.total * (row.highShare ?? 0.1);
      const low = row.total - high;
      const settlementId = Number(ids[index]?.id);
      const line = (no: number, amount: number, price: number) => ({
        settlement_id: settlementId,
        line_no: no,
        item_category: '诊疗' as const,
        item_code: no === 1 ? 'T-LOW' : 'T-HIGH',
        item_name: no === 1 ? '普通项目' : '高价项目',
        quantity: (amount / price).toFixed(3),
        unit_price: money(price),
        amount: money(amount),
        days_supply: null,
        line_date: row.admit,
      });
      return [line(1, low, 50), ...(high > 0 ? [line(2, high, 1500)] : [])];
    });
    await db.insertInto('fund_settlement_line').values(lines).execute();
  }
}

/** yyyy-mm-dd plus days. */
export const addDays = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
