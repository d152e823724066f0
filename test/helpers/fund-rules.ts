import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { SYSTEM } from './fixture-access.js';
import { reimbursement } from './fixtures.js';

// Hand-built settlements for the audit rules' tests: test items (codes T…) beside the seeded
// catalogue, people with a sex, birth and death date, and settlements with their lines.

export const TEST_ITEMS: Array<{
  code: string;
  category: '药品' | '诊疗' | '耗材' | '床位';
  price: number;
  sex?: '男' | '女';
  ageMin?: number;
  ageMax?: number;
  perDay?: boolean;
  permitted?: string[];
  includes?: string[];
  parts?: string[];
}> = [
  { code: 'TBED', category: '床位', price: 50, perDay: true },
  { code: 'TNURSE', category: '诊疗', price: 30, perDay: true },
  { code: 'TDRUG', category: '药品', price: 20 },
  { code: 'TEXAM', category: '诊疗', price: 15 },
  { code: 'TINC_A', category: '诊疗', price: 80, includes: ['TINC_B'] },
  { code: 'TINC_B', category: '诊疗', price: 25 },
  { code: 'TBUNDLE', category: '诊疗', price: 100, parts: ['TP1', 'TP2', 'TP3'] },
  { code: 'TP1', category: '诊疗', price: 40 },
  { code: 'TP2', category: '诊疗', price: 40 },
  { code: 'TP3', category: '诊疗', price: 40 },
  { code: 'TMALE', category: '诊疗', price: 60, sex: '男' },
  { code: 'TFEMALE', category: '诊疗', price: 60, sex: '女' },
  { code: 'TCHILD', category: '药品', price: 12, ageMax: 6 },
  { code: 'TADULT', category: '药品', price: 12, ageMin: 18 },
  { code: 'TRDRUG', category: '药品', price: 90, permitted: ['E10', 'E11'] },
];

const arr = (values: string[] | undefined) =>
  values && values.length > 0
    ? sql`array[${sql.join(values.map((v) => sql`${v}::text`))}]`
    : sql`'{}'::text[]`;

export async function addTestItems(db: Db): Promise<void> {
  for (const item of TEST_ITEMS)
    await sql`insert into fund_item (code, name, category, unit_price, sex_limit, age_min, age_max, per_day,
        permitted_dx, includes, parts)
      values (${item.code}, ${`测试项目${item.code}`}, ${item.category}, ${String(item.price)}::numeric,
        ${item.sex ?? null}, ${item.ageMin ?? null}::integer, ${item.ageMax ?? null}::integer, ${item.perDay ?? false},
        ${arr(item.permitted)}, ${arr(item.includes)}, ${arr(item.parts)})
      on conflict (code) do nothing`.execute(db);
}

export const personKey = (name: string) => `k${name}`.padEnd(32, '0').slice(0, 32);

export async function addPerson(
  db: Db,
  name: string,
  person: { sex?: '男' | '女'; birth?: string; death?: string | null; region?: string } = {},
): Promise<string> {
  const key = personKey(name);
  await sql`insert into fund_person (person_key, id_number_sealed, sex, birth_date, death_date, region)
    values (${key}, 'sealed-test', ${person.sex ?? '男'}, ${person.birth ?? '1970-01-01'}::date,
      ${person.death ?? null}::date, ${person.region ?? '320115'})
    on conflict (person_key) do nothing`.execute(db);
  return key;
}

export interface TestLine {
  code: string;
  date: string;
  qty?: number;
  price?: number;
  days?: number;
}

export interface TestSettlement {
  serial: string;
  person: string;
  region: string;
  institution?: string;
  institutionName?: string;
  visit?: '门诊' | '住院';
  admit: string;
  discharge?: string;
  dx?: string;
  otherDx?: string[];
  lines?: TestLine[];
}

export async function addSettlement(db: Db, s: TestSettlement): Promise<number> {
  const lines = (s.lines ?? []).map((line) => {
    const item = TEST_ITEMS.find((candidate) => candidate.code === line.code);
    if (!item) throw new Error(`unknown test item ${line.code}`);
    const qty = line.qty ?? 1;
    const price = line.price ?? item.price;
    return { ...line, category: item.category, qty, price, amount: qty * price };
  });
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  const institution = s.institution ?? 'H001';
  const discharge = s.discharge ?? s.admit;
  const { rows } = await sql<{ id: number }>`
    insert into fund_settlement (serial, person_key, region, institution_code, institution_name, institution_level,
      visit_type, admit_date, discharge_date, primary_dx, other_dx, total_cost, fund_paid, self_paid, settled_on)
    values (${s.serial}, ${personKey(s.person)}, ${s.region}, ${institution}, ${s.institutionName ?? `测试医院${institution}`}, '二级',
      ${s.visit ?? '门诊'}, ${s.admit}::date, ${discharge}::date, ${s.dx ?? 'J06.9'}, ${arr(s.otherDx)},
      ${String(total)}::numeric, ${String(Math.round(total * 70) / 100)}::numeric,
      ${String(Math.round(total * 30) / 100)}::numeric, ${discharge}::date)
    returning id`.execute(db);
  const id = Number(rows[0]?.id);
  let lineNo = 0;
  for (const line of lines) {
    lineNo += 1;
    await sql`insert into fund_settlement_line (settlement_id, line_no, item_category, item_code, item_name, quantity,
        unit_price, amount, days_supply, line_date)
      values (${id}, ${lineNo}, ${line.category}, ${line.code}, ${`测试项目${line.code}`}, ${String(line.qty)}::numeric,
        ${String(line.price)}::numeric, ${String(line.amount)}::numeric, ${line.days ?? null}::integer, ${line.date}::date)`.execute(
      db,
    );
  }
  return id;
}

/** The 规则与线索 page's world: a 性别不符 settlement in 江宁 and the archive filed for it (its 档号). */
export async function plantRuleScreen(db: Db, idNumber: string): Promise<string> {
  await addTestItems(db);
  await addPerson(db, 'web320115', { sex: '女', region: '320115' });
  await addSettlement(db, {
    serial: 'WEB-320115-1',
    person: 'web320115',
    region: '320115',
    institution: 'WEB01',
    institutionName: '江宁测试医院',
    admit: '2026-03-04',
    lines: [
      { code: 'TEXAM', date: '2026-03-04' },
      { code: 'TMALE', date: '2026-03-04' },
    ],
  });
  const [filed] = await fileItems(
    db,
    [
      reimbursement({
        idNumber,
        title: '零星报销 WEB',
        extra: { hospital: '江宁测试医院', settlementSerial: 'WEB-320115-1' },
      }),
    ],
    'test',
    { access: SYSTEM },
  );
  return filed?.archiveCode as string;
}
