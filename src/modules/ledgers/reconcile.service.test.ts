import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { failure } from '../../../test/helpers/fixtures.js';
import {
  idOf,
  listWorkbook,
  rosterEntry,
  storeRoster,
  validNeighbours,
} from '../../../test/helpers/roster.js';
import { reconciliationReport } from './reconcile.reports.service.js';
import { type ReconcileResult, reconcileList } from './reconcile.service.js';

// Reconciliation against a hand-built roster: one list row for each way a department's list goes
// wrong, each with its expected outcome worked out by hand.

let database: TestDatabase;
const db = () => database.db;

const A = idOf('32011519800101101');
const B = idOf('32011519850202202');
const C = idOf('32011519900303304');
const D = idOf('32011519600606606');
const F = idOf('32011519700707111');
const G = idOf('32011519751212131');
const H = idOf('32011519660606151');
const P10 = idOf('32011519880808181');
const P11 = idOf('32011519920909202');
const P12 = idOf('32011519930101313');
const AMBIGUOUS_BASE = '32011519950505505';
const X = `${AMBIGUOUS_BASE}${idOf(AMBIGUOUS_BASE)[17] === '0' ? '1' : '0'}`;
const [N1, N2] = validNeighbours(X);

const swap = (id: string, at: number) => `${id.slice(0, at)}${id[at + 1]}${id[at]}${id.slice(at + 2)}`;
const replace = (id: string, at: number, digit: string) => `${id.slice(0, at)}${digit}${id.slice(at + 1)}`;

let result: ReconcileResult;
const outcomeOf = (line: number) => result.findings.find((finding) => finding.line === line);

beforeAll(async () => {
  database = await openTestDatabase();
  const ended = rosterEntry('王建国', D);
  ended.enrollments = [
    {
      scheme: 'employee',
      employer: '江宁示例机械有限公司',
      startedOn: '2015-01-01',
      paidThrough: '2020-05-31',
      endedOn: '2020-05-31',
      endReason: 'interrupted',
    },
  ];
  await storeRoster(db(), [
    rosterEntry('张三丰', A),
    rosterEntry('阿依古丽·买买提', B),
    rosterEntry('李娜', C, { enrolled: false }),
    ended,
    rosterEntry('陈伟', F),
    rosterEntry('刘洋', G),
    rosterEntry('周杰', H),
    rosterEntry('吴磊', P10),
    rosterEntry('孙丽华', P11),
    rosterEntry('郑强', P12),
    rosterEntry('赵敏', N1 as string),
    rosterEntry('赵敏', N2 as string),
  ]);
  const list = await listWorkbook([
    [1, '张三丰', A, '脱贫人口', '东山街道'],
    [2, '阿依古丽 买买提', B, '低保', null],
    [3, '李娜', C, '低保', null],
    [4, '王建国', D, '特困人员', null],
    [5, '陈伟', swap(F, 10), '脱贫人口', null],
    [6, '刘洋', replace(G, 12, '2'), '脱贫人口', null],
    [7, '周杰', swap(H, 5), '脱贫人口', null],
    [8, '吴垒', P10, '脱贫人口', null],
    [9, '孙丽梅', P11, '脱贫人口', null],
    [10, '郑强', Number(P12), '脱贫人口', null],
    [11, '赵敏', X, '脱贫人口', null],
    [12, '钱多多', idOf('32011520000101011'), '脱贫人口', null],
    [13, '马云', A, '脱贫人口', null],
    [14, '张三丰', A, '脱贫人口', '东山街道'],
    [15, '孙悟空', '', '脱贫人口', null],
    [
      16,
      '猪八戒',
      `${idOf('32011519991231999').slice(0, 17)}${idOf('32011519991231999')[17] === '1' ? '2' : '1'}`,
      '脱贫人口',
      null,
    ],
    [null, null, null, null, null],
    ['合计', '16人', null, null, null],
  ]);
  result = await reconcileList(db(), {
    content: list,
    fileName: '2026年6月脱贫人口名单.xlsx',
    source: '扶贫办',
    actor: 'clerk1',
    today: new Date('2026-06-30T10:00:00+08:00'),
  });
});
afterAll(() => database?.close());

// Title row 1, header row 2: list row k is on line k + 2.
const line = (row: number) => row + 2;

describe('reconciling a list against the roster', () => {
  it('counts every data row once, skipping the blank and 合计 rows', () => {
    expect(result.rows).toBe(16);
    expect(Object.values(result.counts).reduce((sum, count) => sum + count, 0)).toBe(16);
    expect(result.counts.matched).toBe(2);
  });

  it('matches exactly by ID, with a name written with a space instead of the dot', () => {
    expect(outcomeOf(line(1))).toBeUndefined();
    expect(outcomeOf(line(2))).toBeUndefined();
  });

  it('traces a wrong ID to the person it meant: swapped digits, one wrong digit, a swap across segments', () => {
    expect(outcomeOf(line(5))).toMatchObject({ outcome: 'id_corrected', proposedId: F, rosterName: '陈伟' });
    expect(outcomeOf(line(5))?.note).toContain('相邻两位颠倒');
    expect(outcomeOf(line(6))).toMatchObject({ outcome: 'id_corrected', proposedId: G });
    expect(outcomeOf(line(6))?.note).toContain('一位数字错误');
    expect(outcomeOf(line(7))).toMatchObject({ outcome: 'id_corrected', proposedId: H });
  });

  it('traces an ID Excel stored as a number by its trusted head and the name', () => {
    expect(outcomeOf(line(10))).toMatchObject({ outcome: 'id_corrected', proposedId: P12 });
  });

  it('classifies a different name under the right ID: homophone, typo, another person', () => {
    expect(outcomeOf(line(8))).toMatchObject({ outcome: 'name_homophone', rosterName: '吴磊' });
    expect(outcomeOf(line(9))).toMatchObject({ outcome: 'name_typo', rosterName: '孙丽华' });
    expect(outcomeOf(line(13))).toMatchObject({ outcome: 'id_other_person' });
    // The ID's real holder is a third party: not named in a list going to another department.
    expect(outcomeOf(line(13))?.rosterName).toBeUndefined();
  });

  it('proposes nobody when two people are equally near, or nobody is', () => {
    expect(outcomeOf(line(11))?.outcome).toBe('id_ambiguous');
    expect(outcomeOf(line(11))?.proposedId).toBeUndefined();
    expect(outcomeOf(line(16))?.outcome).toBe('id_unmatched');
  });

  it('reports duplicates and rows without an ID', () => {
    expect(outcomeOf(line(14))).toMatchObject({ outcome: 'duplicate' });
    expect(outcomeOf(line(14))?.note).toContain(`第${line(1)}行`);
    expect(outcomeOf(line(15))?.outcome).toBe('missing');
  });

  it('puts the unenrolled on the follow-up list: not in the roster, never enrolled, lapsed', () => {
    expect(outcomeOf(line(12))).toMatchObject({ outcome: 'not_in_roster' });
    expect(outcomeOf(line(3))).toMatchObject({ outcome: 'not_enrolled' });
    expect(outcomeOf(line(4))).toMatchObject({ outcome: 'not_enrolled' });
    const followed = result.findings.filter((finding) => finding.followUp).map((finding) => finding.line);
    expect(followed.sort((a, b) => a - b)).toEqual([line(3), line(4), line(12)]);
    expect(result.followUps).toBe(3);
  });

  it('records the run sealed, and its event without any name or ID number', async () => {
    const run = await db()
      .selectFrom('reconciliation_run')
      .selectAll()
      .where('id', '=', result.runId)
      .executeTakeFirstOrThrow();
    expect(run.findings).not.toContain(F);
    expect(run.findings).not.toContain('陈伟');
    const event = await db()
      .selectFrom('integrity_event')
      .select(['action', 'payload', 'actor'])
      .where('subject', '=', `reconciliation:${result.runId}`)
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ action: 'roster.reconciled', actor: 'clerk1' });
    const payload = typeof event.payload === 'string' ? event.payload : JSON.stringify(event.payload);
    for (const secret of [A, F, '张三丰', '陈伟']) expect(payload).not.toContain(secret);
    expect(payload).toContain('"rows":16');
  });
});

async function sheetRows(content: Buffer, sheetName: string): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(content as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet(sheetName);
  const rows: string[][] = [];
  sheet?.eachRow((row) =>
    rows.push((row.values as unknown[]).slice(1).map((value) => (value == null ? '' : String(value)))),
  );
  return rows;
}

describe('the workbooks handed back', () => {
  // Its maker, who may unmask and asked to, with a purpose: the workbooks in full.
  const reader = {
    actor: 'clerk1',
    displayName: '张科员',
    mayUnmask: true,
    unmask: true,
    purpose: '返回民政更正',
  };

  it('lists every correction with the proposed ID, as text', async () => {
    const report = await reconciliationReport(db(), result.runId, 'corrections', reader);
    expect(report.fileName).toBe('2026年6月脱贫人口名单.返回更正清单.xlsx');
    const rows = await sheetRows(report.content, '更正清单');
    const corrections = rows.filter((row) => /^\d+$/.test(row[0] ?? ''));
    expect(corrections).toHaveLength(11);
    const traced = corrections.find((row) => row[2] === '陈伟');
    expect(traced?.[6]).toBe(F);
  });

  it('masks names, ID numbers and quoted names unless its maker may unmask and asks to, with a purpose', async () => {
    const masked = { actor: 'clerk1', displayName: '张科员', mayUnmask: false };
    for (const kind of ['corrections', 'follow-ups'] as const) {
      const { content } = await reconciliationReport(db(), result.runId, kind, masked);
      const text = (await sheetRows(content, kind === 'corrections' ? '更正清单' : '待办清单'))
        .flat()
        .join('|');
      for (const secret of [A, B, C, F, '陈伟', '张三丰', '李娜']) expect(text).not.toContain(secret);
    }
    const rows = await sheetRows(
      (await reconciliationReport(db(), result.runId, 'corrections', masked)).content,
      '更正清单',
    );
    expect(rows.find((row) => row[2] === '陈*')?.[6]).toBe(`${F.slice(0, 6)}********${F.slice(-4)}`);
    expect(
      (await failure(reconciliationReport(db(), result.runId, 'corrections', { ...masked, unmask: true })))
        .code,
    ).toBe('FORBIDDEN');
    expect(
      (await failure(reconciliationReport(db(), result.runId, 'corrections', { ...reader, purpose: ' ' })))
        .code,
    ).toBe('PURPOSE_REQUIRED');
  });

  it('lists the three people to follow up and a summary adding up to the list', async () => {
    const followUps = await sheetRows(
      (await reconciliationReport(db(), result.runId, 'follow-ups', reader)).content,
      '待办清单',
    );
    expect(followUps.filter((row) => /^\d+$/.test(row[0] ?? '')).map((row) => row[2])).toEqual([
      '李娜',
      '王建国',
      '钱多多',
    ]);
    const summary = await sheetRows(
      (await reconciliationReport(db(), result.runId, 'summary', reader)).content,
      '核对结果汇总',
    );
    const total = summary.find((row) => row[0] === '合计');
    expect(total?.[1]).toBe('16');
  });

  it('logs each export, and refuses a run that does not exist', async () => {
    const exports = await db()
      .selectFrom('integrity_event')
      .select('action')
      .where('subject', '=', `reconciliation:${result.runId}`)
      .where('action', '=', 'roster.report_exported')
      .execute();
    expect(exports.length).toBeGreaterThanOrEqual(3);
    expect((await failure(reconciliationReport(db(), 999_999, 'summary', reader))).code).toBe(
      'RECONCILIATION_NOT_FOUND',
    );
  });

  it("answers another user's run exactly like a missing one, whoever may unmask", async () => {
    const stranger = { actor: 'clerk2', displayName: '李科员', mayUnmask: false };
    const reviewer = { ...stranger, mayUnmask: true, unmask: true, purpose: '核对' };
    for (const who of [stranger, reviewer]) {
      const error = await failure(reconciliationReport(db(), result.runId, 'corrections', who));
      expect(error.code).toBe('RECONCILIATION_NOT_FOUND');
      expect(error.message).toBe(`第 ${result.runId} 次核对不存在`);
    }
  });
});

describe('IDs Excel damaged, and one person written two ways', () => {
  it('traces a …000 ID that passes its check by its head, proposes nobody from a region alone, and sees a dot and a space as one name', async () => {
    // A roster person whose ID, rounded by Excel to …000, still passes the check digit.
    let head = '';
    for (let day = 1; day <= 28 && !head; day++) {
      const first15 = `320115199302${String(day).padStart(2, '0')}1`;
      if (idOf(`${first15}00`).endsWith('0')) head = first15;
    }
    expect(head).toHaveLength(15);
    const rounded = idOf(`${head}12`);
    await storeRoster(db(), [rosterEntry('钱学森', rounded)]);
    const csv = [
      '姓名,身份证号',
      `钱学森,${head}000`,
      '张三丰,3.20115E+17',
      `阿依古丽·买买提,${B}`,
      `阿依古丽 买买提,${B}`,
    ].join('\n');
    const done = await reconcileList(db(), {
      content: Buffer.from(csv),
      fileName: 'excel.csv',
      source: '民政',
      actor: 'clerk1',
      today: new Date('2026-06-30T10:00:00+08:00'),
    });
    const at = (line: number) => done.findings.find((finding) => finding.line === line);
    expect(at(2)).toMatchObject({ outcome: 'id_corrected', proposedId: rounded });
    expect(at(3)?.outcome).toBe('id_unmatched');
    expect(at(3)?.proposedId).toBeUndefined();
    expect(at(5)?.outcome).toBe('duplicate');
    expect(done.counts.matched).toBe(1);
  });
});

describe('the follow-up list counts people', () => {
  it('urges a person named on two lines once, with both lines, and keeps the ledgers’ own identity label', async () => {
    // 李娜 is registered but not enrolled; the list names her twice (once misspelt), as the ledgers print her.
    const done = await reconcileList(db(), {
      content: Buffer.from(
        `姓名,身份证号,人员类别\n李娜,${C},脱贫人口（建档立卡）\n李纳,${C},脱贫人口(建档立卡)\n`,
      ),
      fileName: '重复点名.csv',
      source: '扶贫办',
      actor: 'clerk1',
      today: new Date('2026-06-30T10:00:00+08:00'),
    });
    expect(done.findings.filter((finding) => finding.followUp).map((finding) => finding.line)).toEqual([
      2, 3,
    ]);
    expect(done.followUps).toBe(1);
    const book = (
      await reconciliationReport(db(), done.runId, 'follow-ups', {
        actor: 'clerk1',
        displayName: '张科员',
        mayUnmask: false,
      })
    ).content;
    const rows = (await sheetRows(book, '待办清单')).filter((row) => /^\d+$/.test(row[0] ?? ''));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.[1]).toBe('2、3');
    expect(rows[0]?.[4]).toBe('脱贫人口（建档立卡）');
    expect((await sheetRows(book, '封面')).find((row) => row[0] === '待督促参保缴费')?.[1]).toBe('1 人');
  });
});

describe('a list named after a person', () => {
  it('keeps the run under the file name with the ID number masked', async () => {
    const done = await reconcileList(db(), {
      content: Buffer.from(`姓名,身份证号\n钱学森,${B}`),
      fileName: `${B}的名单.csv`,
      source: '民政',
      actor: 'clerk1',
      today: new Date('2026-06-30T10:00:00+08:00'),
    });
    const stored = await db()
      .selectFrom('reconciliation_run')
      .select('file_name')
      .where('id', '=', done.runId)
      .executeTakeFirstOrThrow();
    expect(stored.file_name).toBe(`${B.slice(0, 6)}********${B.slice(-4)}的名单.csv`);
  });
});

describe('bad input', () => {
  const request = { fileName: 'x.csv', source: '扶贫办', actor: 'clerk1' };
  const runs = async () =>
    Number(
      (
        await db()
          .selectFrom('reconciliation_run')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('refuses an unknown department, a PDF and a list without an ID column, recording nothing', async () => {
    const before = await runs();
    const csv = Buffer.from(`姓名,身份证号\n张三丰,${A}\n`);
    expect((await failure(reconcileList(db(), { ...request, source: '教育局', content: csv }))).code).toBe(
      'RECONCILE_SOURCE',
    );
    expect(
      (await failure(reconcileList(db(), { ...request, content: Buffer.from('%PDF-1.7\n') }))).code,
    ).toBe('IMPORT_FORMAT');
    expect(
      (await failure(reconcileList(db(), { ...request, content: Buffer.from('姓名,电话\n张三丰,1\n') })))
        .message,
    ).toContain('身份证');
    expect(await runs()).toBe(before);
  });

  it('matches an ID typed with full-width digits and a lower-case x', async () => {
    const id = idOf('32011519800101101');
    const fullWidth = [...id]
      .map((char) =>
        /\d/.test(char) ? String.fromCharCode(char.charCodeAt(0) + 0xfee0) : char.toLowerCase(),
      )
      .join('');
    const text = `姓名,身份证号\n张三丰,${fullWidth}\n`;
    const done = await reconcileList(db(), { ...request, content: Buffer.from(text) });
    expect(done.counts.matched).toBe(1);
  });
});
