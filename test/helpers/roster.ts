import ExcelJS from 'exceljs';
import type { Db } from '../../src/db/database.js';
import { checkIdNumber, idCheckChar } from '../../src/modules/catalog/id-number.js';
import type { RosterPerson } from '../../src/modules/demo/roster.js';
import { storePeople } from '../../src/modules/ledgers/roster.service.js';

// Hand-built roster people and lists for reconciliation tests: each person says exactly what the
// test needs (enrolled or not, under assistance or not), so expected outcomes can be checked by hand.

export const idOf = (first17: string) => `${first17}${idCheckChar(first17)}`;

export function rosterEntry(
  name: string,
  idNumber: string,
  options: { enrolled?: boolean } = {},
): RosterPerson {
  return {
    name,
    gender: Number(idNumber[16]) % 2 === 1 ? 'male' : 'female',
    birthDate: `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`,
    regionCode: idNumber.slice(0, 6),
    idNumber,
    insuredNumber: '3201000001',
    address: '南京市江宁区东山街道示例路1号',
    enrollments:
      options.enrolled === false
        ? []
        : [
            {
              scheme: 'resident',
              employer: null,
              startedOn: '2018-01-01',
              paidThrough: null,
              endedOn: null,
              endReason: null,
            },
          ],
    statuses: [],
    contributions: [],
    settlements: [],
    certificates: [],
  };
}

export const storeRoster = (db: Db, people: RosterPerson[]) => storePeople(db, people, 'test', 'test');

/** Valid IDs one substitution away from `wrong` (an invalid ID), keeping its region and birth date. */
export function validNeighbours(wrong: string): string[] {
  const found: string[] = [];
  for (let position = 14; position < 17; position++)
    for (let digit = 0; digit <= 9; digit++) {
      const candidate = `${wrong.slice(0, position)}${digit}${wrong.slice(position + 1)}`;
      if (candidate !== wrong && checkIdNumber(candidate, new Date('2026-06-30')) === undefined)
        found.push(candidate);
    }
  return found;
}

/** An XLSX list as departments send them: a merged title row above the header. */
export async function listWorkbook(
  rows: Array<Array<string | number | null>>,
  header = ['序号', '姓名', '身份证号', '人员类别', '家庭住址'],
): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('名单');
  sheet.addRow(['2026年6月建档立卡脱贫人口名单']);
  sheet.mergeCells(1, 1, 1, header.length);
  sheet.addRow(header);
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
