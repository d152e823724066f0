import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { gbk } from '../../../test/helpers/gbk.js';
import { checkIdNumber, idCheckChar } from '../catalog/id-number.js';
import { normaliseIdNumber, normaliseName } from './list.person.js';
import { BUILTIN_CATEGORIES } from '../catalog/builtin-categories.js';
import { IDENTITY_NAMES } from './reconcile.findings.js';
import { identityOf, type ListRow, readList } from './reconcile.list.js';

// Lists as other departments send them: title rows over the header, GBK or BOM-prefixed CSV, IDs that
// Excel turned into numbers or scientific notation, merged address cells, repeated page headers, 合计
// rows, and the same person written twice. All people and ID numbers are made up.

const TODAY = new Date('2026-06-15T00:00:00+08:00');
const id = (birth: string, sequence: string) => {
  const first17 = `320115${birth}${sequence}`;
  return `${first17}${idCheckChar(first17)}`;
};
const wrongCheck = (valid: string) => `${valid.slice(0, 17)}${valid.endsWith('1') ? '2' : '1'}`;
const fullWidth = (text: string) =>
  text.replace(/[0-9X]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));

function idEndingInX(): string {
  for (let sequence = 100; sequence < 1000; sequence++) {
    const candidate = id('19880512', String(sequence));
    if (candidate.endsWith('X')) return candidate;
  }
  throw new Error('no sequence gives check character X');
}

const byLine = (rows: ListRow[], line: number): ListRow => {
  const row = rows.find((candidate) => candidate.line === line);
  if (!row) throw new Error(`no row for line ${line}`);
  return row;
};

describe('normaliseName', () => {
  it('removes all whitespace, including the ideographic space', () => {
    for (const raw of ['张 三', '张\u3000三', ' 张三 ', '张\t三']) expect(normaliseName(raw)).toBe('张三');
  });

  it('unifies the ways a minority name’s middle dot is typed', () => {
    const variants = ['·', '・', '•', '‧', '･', '．', '.', '。', '\u0387'].map((dot) =>
      normaliseName(`阿依古丽${dot}买买提`),
    );
    expect(new Set(variants)).toEqual(new Set(['阿依古丽·买买提']));
    expect(normaliseName(' 阿依古丽 · 买买提 ')).toBe('阿依古丽·买买提');
    expect(normaliseName('·阿依古丽··买买提.')).toBe('阿依古丽·买买提');
  });

  it('folds full-width letters to ASCII', () => {
    expect(normaliseName('ＡＢＣ')).toBe('ABC');
  });
});

describe('normaliseIdNumber', () => {
  const valid = id('19900307', '123');

  it('folds full-width digits, drops spaces and hyphens, upper-cases x', () => {
    expect(normaliseIdNumber(fullWidth(valid)).idNumber).toBe(valid);
    expect(normaliseIdNumber(`${valid.slice(0, 6)} ${valid.slice(6, 14)}-${valid.slice(14)}`).idNumber).toBe(
      valid,
    );
    const endsInX = idEndingInX();
    expect(normaliseIdNumber(endsInX.toLowerCase()).idNumber).toBe(endsInX);
    expect(normaliseIdNumber(`="${valid}"`).idNumber).toBe(valid);
    expect(normaliseIdNumber(`'${valid}`).idNumber).toBe(valid);
  });

  it('converts a valid 15-digit first-generation number to 18 digits', () => {
    expect(normaliseIdNumber('320115900307123')).toEqual({ idNumber: valid, converted15: true });
    // Month 13 is no date: left as it is, for readList to report.
    expect(normaliseIdNumber('320115901307123')).toEqual({ idNumber: '320115901307123' });
  });
});

describe('readList: XLSX', () => {
  const lin = id('19780214', '031');
  const linYu = id('20050611', '042');
  const linShan = '320115196505061234'; // made up; only its first 15 digits survive as a number
  const ayigul = id('19920808', '064');
  const headers = ['序号', '姓名', '身份证号码（18位）', '人员类别', '家庭住址', '联系电话'];

  async function sample(): Promise<Buffer> {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('名单');
    sheet.addRow(['2026年6月建档立卡贫困人员名单']);
    sheet.mergeCells('A1:F1');
    sheet.addRow(['填报单位：江宁区乡村振兴局']);
    sheet.addRow(headers);
    sheet.addRow([1, '林 晓 峰', lin, '脱贫人口', '江宁区秣陵街道某村1组', '13900000001']);
    sheet.addRow([2, '林晓雨', linYu, '监测对象', null, '13900000002']);
    sheet.addRow([3, '林大山', Number(linShan), '脱贫人口']);
    sheet.mergeCells('E4:E6');
    sheet.addRow(headers); // 7: the page header an export repeats
    sheet.addRow([4, '阿依古丽・买买提', ayigul, '低保户', '江宁区湖熟街道']);
    sheet.addRow([5]); // 9: only a 序号
    sheet.addRow(['2026年6月建档立卡贫困人员名单']);
    sheet.mergeCells('A10:F10');
    sheet.addRow(['合计：4人']);
    sheet.mergeCells('A11:C11');
    return Buffer.from(await workbook.xlsx.writeBuffer());
  }

  it('finds the header under a merged title and a subtitle, and reads each row', async () => {
    const list = await readList(await sample(), { today: TODAY });
    expect(list).toMatchObject({ format: 'xlsx', source: '名单', headerLine: 3 });
    expect(list.columns).toEqual({
      name: '姓名',
      idNumber: '身份证号码（18位）',
      identity: '人员类别',
      address: '家庭住址',
      phone: '联系电话',
    });
    expect(list.rows.map((row) => row.line)).toEqual([4, 5, 6, 8]);
    expect(byLine(list.rows, 4)).toEqual({
      line: 4,
      rawName: '林 晓 峰',
      name: '林晓峰',
      rawId: lin,
      idNumber: lin,
      idTrustedDigits: 18,
      identity: 'poverty',
      address: '江宁区秣陵街道某村1组',
      phone: '13900000001',
      problems: [],
    });
    expect(byLine(list.rows, 5).identity).toBe('monitored');
    expect(byLine(list.rows, 8)).toMatchObject({ name: '阿依古丽·买买提', identity: 'subsistence' });
  });

  it('carries a vertically merged 地址 to every row of the merge', async () => {
    const list = await readList(await sample(), { today: TODAY });
    expect([4, 5, 6].map((line) => byLine(list.rows, line).address)).toEqual(
      Array(3).fill('江宁区秣陵街道某村1组'),
    );
    expect(byLine(list.rows, 8).address).toBe('江宁区湖熟街道');
  });

  it('says which IDs Excel stored as numbers and trusts only their first 15 digits', async () => {
    const row = byLine((await readList(await sample(), { today: TODAY })).rows, 6);
    expect(row.idProblem).toBe('身份证号被 Excel 存为数字，第15位之后已失真，请将该列设为文本后重新录入');
    expect(row.idTrustedDigits).toBe(15);
    expect(row.idNumber.slice(0, 15)).toBe(linShan.slice(0, 15));
    expect(row.duplicateOf).toBeUndefined();
  });

  it('skips the repeated header, the 序号-only row, the repeated title and the 合计 row', async () => {
    const list = await readList(await sample(), { today: TODAY });
    expect(list.skipped).toEqual([
      { line: 7, reason: '重复的表头行' },
      { line: 9, reason: '姓名和身份证号均为空' },
      { line: 10, reason: '重复的标题行' },
      { line: 11, reason: '合计行' },
    ]);
  });

  it('reads a two-row header whose 姓名 and 身份证号 are merged down', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Sheet1');
    sheet.addRow(['特困人员名单']);
    sheet.addRow(['序号', '姓名', '身份证号', '家庭信息']);
    sheet.addRow([null, null, null, '住址', '电话']);
    for (const range of ['A2:A3', 'B2:B3', 'C2:C3', 'D2:E2']) sheet.mergeCells(range);
    sheet.addRow([1, '何秀英', ayigul, '江宁区横溪街道', '13900000003']);
    const list = await readList(Buffer.from(await workbook.xlsx.writeBuffer()), { today: TODAY });
    expect(list.headerLine).toBe(3);
    expect(list.columns).toEqual({ name: '姓名', idNumber: '身份证号', address: '住址', phone: '电话' });
    expect(list.rows).toHaveLength(1);
    expect(list.rows[0]).toMatchObject({ line: 4, address: '江宁区横溪街道', phone: '13900000003' });
    expect(list.skipped).toEqual([]);
  });
});

describe('readList: CSV', () => {
  const zhou = id('19700101', '015');
  const zhouX = idEndingInX();
  const wu = id('19580101', '123');
  const ayigul = id('19850909', '026');
  const qian = id('19660606', '037');
  const wang = id('19930303', '058');

  const lines = [
    '2026年6月低保、特困人员名单,,,,',
    '',
    '序号,姓名,身份证号,类别,住址',
    `1,周 明,${fullWidth(zhou)},低保,`,
    `2,周明明,${zhouX.toLowerCase()},特困供养人员,`,
    ',,,,',
    '3,,,,',
    '4,吴建华,320115580101123,农村低保,',
    '5,郑 小 红,3.20115E+17,低保,',
    `6,阿依古丽•买买提,${ayigul},特困,`,
    `7,阿依古丽.买买提,${ayigul},特困,`,
    `8,钱多多,${qian},低保边缘,`,
    `9,孙悦,${qian},低保,`,
    `10,王2强,${wrongCheck(wang)},低保,`,
    '合  计,,,,',
    '制表人：李某,,,,',
  ];
  const utf8 = () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\r\n'))]);

  it('reads UTF-8 with a BOM, finding the header under a title and a blank line', async () => {
    const list = await readList(utf8(), { today: TODAY });
    expect(list).toMatchObject({ format: 'csv', source: 'utf-8', headerLine: 3 });
    expect(list.columns).toEqual({ name: '姓名', idNumber: '身份证号', identity: '类别', address: '住址' });
    expect(list.rows.map((row) => row.line)).toEqual([4, 5, 8, 9, 10, 11, 12, 13, 14]);
    expect(list.skipped).toEqual([
      { line: 7, reason: '姓名和身份证号均为空' },
      { line: 15, reason: '合计行' },
      { line: 16, reason: '表尾说明行' },
    ]);
  });

  it('normalises full-width digits, a lower-case x and a 15-digit old number', async () => {
    const { rows } = await readList(utf8(), { today: TODAY });
    expect(byLine(rows, 4)).toMatchObject({
      name: '周明',
      idNumber: zhou,
      idTrustedDigits: 18,
      problems: [],
    });
    expect(byLine(rows, 4).idProblem).toBeUndefined();
    expect(byLine(rows, 5)).toMatchObject({
      rawId: zhouX.toLowerCase(),
      idNumber: zhouX,
      identity: 'destitute',
    });
    expect(byLine(rows, 8)).toMatchObject({ rawId: '320115580101123', idNumber: wu, idTrustedDigits: 18 });
    expect(byLine(rows, 8).idProblem).toBeUndefined();
    expect(byLine(rows, 8).identity).toBe('subsistence');
  });

  it('reports an ID in scientific notation and trusts only the digits really there', async () => {
    const row = byLine((await readList(utf8(), { today: TODAY })).rows, 9);
    expect(row).toMatchObject({ name: '郑小红', idNumber: '320115', idTrustedDigits: 6 });
    expect(row.idProblem).toContain('科学计数法');
  });

  it('marks the same person written with another dot as a duplicate of the first', async () => {
    const { rows } = await readList(utf8(), { today: TODAY });
    expect(byLine(rows, 10).name).toBe('阿依古丽·买买提');
    expect(byLine(rows, 11)).toMatchObject({
      name: '阿依古丽·买买提',
      duplicateOf: 10,
      problems: ['与第10行重复'],
    });
    expect(byLine(rows, 10).duplicateOf).toBeUndefined();
    expect(byLine(rows, 10).problems).toEqual([]);
  });

  it('keeps both rows when one ID has two names, and says so on each', async () => {
    const { rows } = await readList(utf8(), { today: TODAY });
    expect(byLine(rows, 12).conflictsWith).toBe(13);
    expect(byLine(rows, 13).conflictsWith).toBe(12);
    expect(byLine(rows, 13).problems).toEqual(['身份证号与第12行相同，但姓名不同（第12行为“钱多多”）']);
    expect(byLine(rows, 12).problems).toContain('身份证号与第13行相同，但姓名不同（第13行为“孙悦”）');
  });

  it('reports an identity it does not know, a name with digits and a wrong check digit', async () => {
    const { rows } = await readList(utf8(), { today: TODAY });
    expect(byLine(rows, 12).identity).toBeUndefined();
    expect(byLine(rows, 12).problems).toContain('人员类别“低保边缘”无法识别');
    const wrong = byLine(rows, 14);
    expect(wrong.problems).toContain('姓名含数字');
    expect(wrong.idProblem).toBe(checkIdNumber(wrongCheck(wang), TODAY));
    expect(wrong.idProblem).toBe('校验码错误（末位与前17位不符）');
  });

  it('reads GBK (GB 18030) and recognises identities by their usual names', async () => {
    const zhao = id('19600229', '079');
    const content = gbk(
      [
        '姓名,身份证号码,人员类别',
        `赵 立 新,${zhao},建档立卡贫困人口`,
        `刘．芳,${wu},防返贫监测对象`,
        '李四,,特困人员',
      ].join('\r\n'),
    );
    const list = await readList(content, { today: TODAY });
    expect(list).toMatchObject({ format: 'csv', source: 'gb18030', headerLine: 1 });
    expect(list.rows.map(({ line, name, identity }) => ({ line, name, identity }))).toEqual([
      { line: 2, name: '赵立新', identity: 'poverty' },
      { line: 3, name: '刘·芳', identity: 'monitored' },
      { line: 4, name: '李四', identity: 'destitute' },
    ]);
    expect(list.rows[2]).toMatchObject({ idNumber: '', idTrustedDigits: 0, problems: ['缺少身份证号'] });
  });

  it('refuses a file without a recognisable header, naming the columns it looked for', async () => {
    const noHeader = readList(Buffer.from('编号,内容\n1,某某\n2,某某\n'));
    await expect(noHeader).rejects.toMatchObject({ code: 'LIST_NO_HEADER' });
    await expect(noHeader).rejects.toThrow(/姓名.*身份证号/);
  });

  it('refuses a header with a name column but no ID column', async () => {
    const noId = readList(Buffer.from('名单\n序号,姓名,住址\n1,张三,某地\n'));
    await expect(noId).rejects.toMatchObject({ code: 'LIST_NO_ID_COLUMN' });
    await expect(noId).rejects.toThrow(/第2行.*没有身份证号列/);
  });
});

describe('identity categories as written', () => {
  // The labels Yidang prints itself: the ledgers' and the reports' 人员类别 (IDENTITY_NAMES), and the
  // options of the 医保扶贫 category's 人员类别 field, taken from the code that prints them.
  const printedByLedgers = Object.entries(IDENTITY_NAMES);
  const categoryOptions =
    BUILTIN_CATEGORIES.find((category) => category.code === 'FP')?.extraFields?.find(
      (field) => field.label === '人员类别',
    )?.options ?? [];

  it('recognises every label the ledgers print, read back from a list', async () => {
    expect(printedByLedgers.map(([, label]) => label)).toContain('脱贫人口（建档立卡）');
    const lines = printedByLedgers.map(([, label], index) => `张${'一二三四五六'[index]},,${label}`);
    const { rows } = await readList(Buffer.from(`姓名,身份证号,人员类别\n${lines.join('\n')}\n`), {
      today: TODAY,
    });
    expect(rows.map((row) => row.identity)).toEqual(printedByLedgers.map(([identity]) => identity));
    for (const row of rows)
      expect(row.problems.filter((problem) => problem.startsWith('人员类别'))).toEqual([]);
  });

  it('recognises the 医保扶贫 category’s own 人员类别 options', () => {
    expect(categoryOptions.length).toBeGreaterThan(3);
    for (const option of categoryOptions) expect(identityOf(option), option).toBeDefined();
  });

  it('reads any kind of bracket and any spacing around the qualifier', () => {
    for (const written of [
      '脱贫人口（建档立卡）',
      '脱贫人口(建档立卡)',
      '脱贫人口【建档立卡】',
      '脱贫人口〔建档立卡〕',
      '脱贫人口[建档立卡]',
      '脱贫人口 （ 建档立卡 ）',
      '脱贫人口\u3000（建档立卡）',
      ' 脱 贫 人 口(建档立卡) ',
      '（建档立卡）脱贫户',
      '（建档立卡）',
      '脱贫人口（建档立卡',
    ])
      expect(identityOf(written), written).toBe('poverty');
    expect(identityOf('低保对象（A类）')).toBe('subsistence');
    expect(identityOf('特困人员【分散供养】')).toBe('destitute');
    expect(identityOf('防止返贫监测对象')).toBe('monitored');
  });

  it('still refuses what is not an identity, or names two at once', () => {
    for (const written of [
      '低保边缘家庭',
      '低保边缘家庭（低保）',
      '脱贫人口（低保）',
      '（其他）',
      '（）',
      '其他',
    ])
      expect(identityOf(written), written).toBeUndefined();
  });
});
