import type { Db } from '../../src/db/database.js';
import { idNumberIndex, sealIdNumber } from '../../src/shared/field-cipher.js';
import { validId } from './fixtures.js';
import { rosterEntry, storeRoster } from './roster.js';

// Monthly series planted for the forecast tests: settlements written straight into fund's tables (one
// person per region, a known count and fund payment per month) and roster people whose enrollments
// start and end in known months, so every point of every series is known by the test.

const months = (from: string, count: number) =>
  Array.from({ length: count }, (_, i) => {
    const index = Number(from.slice(0, 4)) * 12 + Number(from.slice(5, 7)) - 1 + i;
    return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
  });

/** Settlements per month: a yearly wave on a slow rise, so the series is seasonal. */
export const plantedCount = (region: string, i: number) =>
  (region.startsWith('3201') ? 20 : 6) + Math.round(8 * Math.sin((2 * Math.PI * i) / 12)) + Math.floor(i / 6);
/** Every planted settlement's fund payment (元). */
export const FUND_PAID = 123.45;

export async function plantSettlementSeries(
  db: Db,
  options: { region: string; from: string; months: number; skip?: readonly string[] },
): Promise<void> {
  const idNumber = validId(
    `${options.region}19800101${String(Number(options.region.slice(-3)) % 1000).padStart(3, '0')}`,
  );
  const personKey = idNumberIndex(idNumber) as string;
  await db
    .insertInto('fund_person')
    .values({
      person_key: personKey,
      id_number_sealed: sealIdNumber(idNumber) as string,
      sex: Number(idNumber[16]) % 2 === 1 ? '男' : '女',
      birth_date: '1980-01-01',
      region: options.region,
    })
    .onConflict((conflict) => conflict.column('person_key').doNothing())
    .execute();
  const rows = months(options.from, options.months).flatMap((month, i) =>
    options.skip?.includes(month)
      ? []
      : Array.from({ length: plantedCount(options.region, i) }, (_, k) => {
          const day = `${month}-${String(1 + (k % 28)).padStart(2, '0')}`;
          return {
            serial: `FS${options.region}${month.replace('-', '')}${String(k).padStart(4, '0')}`,
            person_key: personKey,
            region: options.region,
            institution_code: 'H32010000001',
            institution_name: '示例人民医院',
            institution_level: '二级' as const,
            visit_type: '门诊' as const,
            admit_date: day,
            discharge_date: day,
            primary_dx: 'J06.9',
            total_cost: '200.00',
            fund_paid: FUND_PAID.toFixed(2),
            self_paid: (200 - FUND_PAID).toFixed(2),
            settled_on: day,
          };
        }),
  );
  for (let start = 0; start < rows.length; start += 500)
    await db
      .insertInto('fund_settlement')
      .values(rows.slice(start, start + 500))
      .execute();
}

/** Roster people of a region: person i enrolls in month (i mod span) of `from`; every third leaves 10 months later. */
export async function plantEnrollment(
  db: Db,
  options: { region: string; people: number; from: string; span: number },
): Promise<void> {
  const starts = months(options.from, options.span + 12);
  await storeRoster(
    db,
    Array.from({ length: options.people }, (_, i) => {
      const id = validId(
        `${options.region}1990${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}${String(i).padStart(3, '0')}`,
      );
      const entry = rosterEntry(`测试${i}`, id);
      const started = starts[i % options.span] as string;
      const ended = i % 3 === 0 ? (starts[(i % options.span) + 10] as string) : null;
      entry.enrollments = [
        {
          scheme: 'resident',
          employer: null,
          startedOn: `${started}-15`,
          paidThrough: null,
          endedOn: ended ? `${ended}-15` : null,
          endReason: ended ? 'exited' : null,
        },
      ];
      return entry;
    }),
  );
}
