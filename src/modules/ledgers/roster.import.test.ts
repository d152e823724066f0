import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { failure } from '../../../test/helpers/fixtures.js';
import { gbk } from '../../../test/helpers/gbk.js';
import { idOf, listWorkbook } from '../../../test/helpers/roster.js';
import { reconcileList } from './reconcile.service.js';
import { readDay } from './roster.import.js';
import { importRoster } from './roster.import.service.js';

// Importing the bureau's roster extract: each row below is worked out by hand — what is stored, what is
// rejected and why — and importing again, or a newer extract, changes exactly what it should.

const TODAY = new Date('2026-06-15T00:00:00+08:00');
const A = idOf('32011519800101101');
const B = idOf('32011519850202202');
const C = idOf('32011519900303304');
const D = idOf('32011519600606606');
const E = idOf('32011519700707111');
const wrongCheck = (valid: string) => `${valid.slice(0, 17)}${valid.endsWith('1') ? '2' : '1'}`;
const fullWidth = (text: string) =>
  text.replace(/[0-9]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));
const HEADER = [
  '序号',
  '姓名',
  '身份证号码',
  '户籍地址',
  '险种',
  '参保日期',
  '单位名称',
  '缴费截至',
  '停保日期',
  '停保原因',
];

async function extract(rows: Array<Array<string | number | null>>): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('参保人员');
  sheet.addRow(['江宁区参保人员名册（2026年6月）']);
  sheet.mergeCells(1, 1, 1, HEADER.length);
  sheet.addRow(HEADER);
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const FIRST: Array<Array<string | number | null>> = [
  [
    1,
    '王建国',
    A,
    '江宁区东山街道上坊社区',
    '职工基本医疗保险',
    '2010-03-01',
    '南京某某机械有限公司',
    '2026-06-30',
    null,
    null,
  ],
  // Switched to resident insurance: two rows, one person.
  [
    2,
    '李秀英',
    B,
    '江宁区秣陵街道',
    '职工医保',
    '2012-01-01',
    '江宁区某某商店',
    '2020-12-31',
    '2021-01-01',
    '转居民',
  ],
  [3, '李秀英', B, '江宁区秣陵街道', '城乡居民基本医疗保险', '2021-01-01', null, null, null, null],
  [4, '阿依古丽· 买买提', fullWidth(C), null, '居民', '2019/7/1', null, null, null, null],
  [5, '张伟', wrongCheck(D), null, '居民', '2018-01-01', null, null, null, null],
  [6, '赵敏', E, null, '新农合', '2031-01-01', null, null, null, null],
  [7, '钱多多', idOf('32011519720808123'), null, '公费医疗', '2015-01-01', null, null, null, null],
  [8, '孙丽', idOf('32011519730909131'), null, '居民', '2016-01-01', null, null, '2015-06-01', null],
  // The same enrollment twice, as exports repeat a page: kept once, not an error.
  [
    9,
    '王建国',
    A,
    '江宁区东山街道上坊社区',
    '职工基本医疗保险',
    '2010-03-01',
    '南京某某机械有限公司',
    '2026-06-30',
    null,
    null,
  ],
  [10, '郑长', idOf('32011519740101141'), null, '职工', '2015-01-01', '某'.repeat(101), null, null, null],
  ['合计', null, null, null, null, null, null, null, null, null],
];

let database: TestDatabase;
const db = () => database.db;
const countOf = async (table: 'insured_person' | 'enrollment') =>
  Number(
    (
      await db()
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe('readDay', () => {
  it('reads the ways a date is written and refuses the impossible', () => {
    expect(
      ['2024-03-05', '2024/3/5', '2024.3.5', '20240305', '2024年3月5日', '２０２４-03-05'].map(readDay),
    ).toEqual(Array(6).fill('2024-03-05'));
    expect(['2024-02-30', '2024-13-01', '03/05/2024', '', '明年'].map(readDay)).toEqual(
      Array(5).fill(undefined),
    );
  });
});

describe('importing a roster extract', () => {
  it('stores whole people and enrollments, and rejects each bad row with its reason', async () => {
    const dry = await importRoster(db(), {
      content: await extract(FIRST),
      fileName: 'r.xlsx',
      actor: 'test',
      dryRun: true,
      today: TODAY,
    });
    expect(await countOf('insured_person')).toBe(0);
    const result = await importRoster(db(), {
      content: await extract(FIRST),
      fileName: 'r.xlsx',
      actor: 'test',
      today: TODAY,
    });
    expect({ ...dry, dryRun: false }).toEqual(result);
    expect(result.headerLine).toBe(2);
    expect(result.columns).toMatchObject({ scheme: '险种', startedOn: '参保日期', employer: '单位名称' });
    expect(result.people).toEqual({ added: 3, updated: 0, unchanged: 0 });
    expect(result.enrollments).toEqual({ added: 4, updated: 0, unchanged: 0 });
    expect(result.skipped.map((row) => row.reason)).toEqual(['合计行']);
    const reasons = Object.fromEntries(result.rejected.map((row) => [row.line, row.reasons.join('；')]));
    expect(Object.keys(reasons).map(Number)).toEqual([7, 8, 9, 10, 12]);
    expect(reasons[12]).toBe('参保单位过长（最多100字）');
    expect(reasons[7]).toContain('校验码错误');
    expect(reasons[8]).toContain('参保时间2031-01-01晚于今天一年以上');
    expect(reasons[9]).toContain('参保类别“公费医疗”无法识别');
    expect(reasons[10]).toContain('停保时间2015-06-01早于参保时间2016-01-01');
    // The report names lines, never the people on them.
    expect(JSON.stringify(result.rejected)).not.toMatch(/\d{17}[\dX]|张伟|赵敏/);

    const people = await db()
      .selectFrom('insured_person')
      .select(['name', 'address', 'id_number'])
      .orderBy('id')
      .execute();
    expect(people.map((person) => person.name)).toEqual(['王建国', '李秀英', '阿依古丽·买买提']);
    expect(people.every((person) => !person.id_number.includes(A.slice(0, 10)))).toBe(true);
    const enrollments = await db()
      .selectFrom('enrollment')
      .select(['scheme', 'employer', 'started_on', 'paid_through', 'ended_on', 'end_reason'])
      .orderBy('id')
      .execute();
    expect(enrollments).toEqual([
      {
        scheme: 'employee',
        employer: '南京某某机械有限公司',
        started_on: '2010-03-01',
        paid_through: '2026-06-30',
        ended_on: null,
        end_reason: null,
      },
      {
        scheme: 'employee',
        employer: '江宁区某某商店',
        started_on: '2012-01-01',
        paid_through: '2020-12-31',
        ended_on: '2021-01-01',
        end_reason: 'switched',
      },
      {
        scheme: 'resident',
        employer: null,
        started_on: '2021-01-01',
        paid_through: null,
        ended_on: null,
        end_reason: null,
      },
      {
        scheme: 'resident',
        employer: null,
        started_on: '2019-07-01',
        paid_through: null,
        ended_on: null,
        end_reason: null,
      },
    ]);
    const events = await db()
      .selectFrom('integrity_event')
      .select(['action', 'payload'])
      .where('action', '=', 'roster.imported')
      .execute();
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0]?.payload)).not.toContain(A);
  });

  it('changes nothing when the same extract comes again', async () => {
    const result = await importRoster(db(), {
      content: await extract(FIRST),
      fileName: 'r.xlsx',
      actor: 'test',
      today: TODAY,
    });
    expect(result.people).toEqual({ added: 0, updated: 0, unchanged: 3 });
    expect(result.enrollments).toEqual({ added: 0, updated: 0, unchanged: 4 });
    expect(await countOf('insured_person')).toBe(3);
    expect(await countOf('enrollment')).toBe(4);
  });

  it('stores new people once when two imports of them run at once', async () => {
    const rows = Array.from({ length: 40 }, (_, index) => {
      const idNumber = idOf(`32011519900101${100 + index}`);
      return [
        index + 1,
        `吴${'一二三四五六七八九十'[index % 10]}${'甲乙丙丁'[Math.floor(index / 10)]}`,
        idNumber,
        null,
        '居民',
        '2022-01-01',
        null,
        null,
        null,
        null,
      ];
    });
    const content = await extract(rows);
    const results = await Promise.all(
      [1, 2].map(() => importRoster(db(), { content, fileName: 'twice.xlsx', actor: 'test', today: TODAY })),
    );
    expect(results.map((result) => result.people.added).sort()).toEqual([0, 40]);
    expect(results.map((result) => result.enrollments.added).sort()).toEqual([0, 40]);
    expect(await countOf('insured_person')).toBe(43);
    expect(await countOf('enrollment')).toBe(44);
  });

  it('takes a newer extract: a corrected name, a new address, an ended enrollment, a new person', async () => {
    const csv = [
      '姓名,身份证号,地址,参保类别,参保时间,参保单位,保期截至,停保时间,停保原因',
      `王建华,${A},江宁区东山街道新址,职工,2010-03-01,南京某某机械有限公司,2026-03-31,2026-04-01,中断`,
      `周芳,${D},,居民,2020-01-01,,,,`,
      // Resident insurance paid in the autumn for the next year: an enrollment that starts ahead.
      `周芳,${D},,居民,2027-01-01,,,,`,
    ].join('\r\n');
    const result = await importRoster(db(), {
      content: gbk(csv),
      fileName: 'r.csv',
      actor: 'test',
      today: TODAY,
    });
    expect(result.source).toBe('gb18030');
    expect(result.rejected).toEqual([]);
    expect(result.people).toEqual({ added: 1, updated: 1, unchanged: 0 });
    expect(result.enrollments).toEqual({ added: 2, updated: 1, unchanged: 0 });
    const wang = await db()
      .selectFrom('insured_person')
      .select(['name', 'address'])
      .where('name', '=', '王建华')
      .execute();
    expect(wang).toEqual([{ name: '王建华', address: '江宁区东山街道新址' }]);

    // The new name is the one reconciliation knows now, and the interrupted enrollment is followed up.
    const run = await reconcileList(db(), {
      content: await listWorkbook([
        [1, '王建华', A, '低保', null],
        [2, '周芳', D, '低保', null],
      ]),
      fileName: 'list.xlsx',
      source: '民政',
      actor: 'test',
      today: TODAY,
    });
    expect(run.counts.matched).toBe(1);
    expect(run.findings.map((finding) => [finding.line, finding.outcome])).toEqual([[3, 'not_enrolled']]);
  });

  it('refuses every line of an ID under two names, and both lines of one enrollment told two ways, naming nobody', async () => {
    const [P, Q, R] = ['32011519770101161', '32011519780101171', '32011519790101181'].map(idOf) as [
      string,
      string,
      string,
    ];
    const csv = [
      '姓名,身份证号,地址,参保类别,参保时间,停保时间',
      `冯一,${P},,居民,2020-01-01,`,
      `冯二,${P},,居民,2020-01-01,`,
      `冯一,${P},,居民,2020-01-01,`,
      `陈三,${Q},,居民,2020-01-01,`,
      `陈三,${Q},,居民,2020-01-01,2024-01-01`,
      `褚四,${R},江宁区\u0000某路,居民,2020-01-01,`,
    ].join('\n');
    const before = await countOf('insured_person');
    const result = await importRoster(db(), {
      content: Buffer.from(csv),
      fileName: 'x.csv',
      actor: 'test',
      today: TODAY,
    });
    expect(result.rows).toBe(6);
    expect(result.people.added).toBe(0);
    expect(result.rejected.map((row) => [row.line, row.reasons.join('；')])).toEqual([
      [2, '身份证号在第2行另有不同姓名'],
      [3, '身份证号在第2行另有不同姓名'],
      [4, '身份证号在第2行另有不同姓名'],
      [5, '与第6行是同一参保记录，但内容不同'],
      [6, '与第5行是同一参保记录，但内容不同'],
      [7, '地址含有控制字符'],
    ]);
    expect(JSON.stringify(result.rejected)).not.toMatch(/冯|陈|褚|320115/);
    expect(await countOf('insured_person')).toBe(before);
  });

  it('keeps what an extract without some columns, or an older one, would take back', async () => {
    // 王建华 was stored with 单位, 保期截至 2026-03-31 and 停保时间 2026-04-01 (中断); this extract has
    // no 单位 or 保期 column and an empty 停保时间.
    const older = `姓名,身份证号,参保类别,参保时间,停保时间\n王建华,${A},职工,2010-03-01,\n`;
    const result = await importRoster(db(), {
      content: Buffer.from(older),
      fileName: 'old.csv',
      actor: 'test',
      today: TODAY,
    });
    expect(result.enrollments).toEqual({ added: 0, updated: 0, unchanged: 1 });
    const stored = await db()
      .selectFrom('enrollment')
      .innerJoin('insured_person', 'insured_person.id', 'enrollment.person_id')
      .select(['employer', 'paid_through', 'ended_on', 'end_reason'])
      .where('insured_person.name', '=', '王建华')
      .execute();
    expect(stored).toEqual([
      {
        employer: '南京某某机械有限公司',
        paid_through: '2026-03-31',
        ended_on: '2026-04-01',
        end_reason: 'interrupted',
      },
    ]);
  });

  it('refuses a file it cannot read as a roster, storing nothing', async () => {
    const before = await countOf('insured_person');
    const error = await failure(
      importRoster(db(), {
        content: Buffer.from('编号,金额\n1,2\n'),
        fileName: 'x.csv',
        actor: 'test',
        today: TODAY,
      }),
    );
    expect(error.message).toMatch(/表头/);
    // A list of people is not a roster: without 参保类别 and 参保时间 it would register everyone.
    const list = Buffer.from(`姓名,身份证号,人员类别\n冯五,${idOf('32011519800505151')},低保\n`);
    const notRoster = await failure(
      importRoster(db(), { content: list, fileName: 'l.csv', actor: 'test', today: TODAY }),
    );
    expect(notRoster.code).toBe('ROSTER_COLUMN_MISSING');
    expect(notRoster.message).toContain('参保类别');
    expect(await countOf('insured_person')).toBe(before);
  });
});
