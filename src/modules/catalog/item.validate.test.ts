import { describe, expect, it } from 'vitest';
import type { ExtraFieldSpec } from './catalog.tables.js';
import { idCheckChar } from './id-number.js';
import {
  charLength,
  checkDate,
  IssueCollector,
  normaliseAmount,
  parseDateTime,
  readExtra,
  readIdNumber,
  readPaperLocation,
  readText,
} from './item.validate.js';

const today = new Date('2026-11-22T00:00:00Z');

describe('normaliseAmount', () => {
  it('normalises numbers and numeric strings to two decimals', () => {
    expect(normaliseAmount(0)).toEqual({ amount: '0.00' });
    expect(normaliseAmount(0.5)).toEqual({ amount: '0.50' });
    expect(normaliseAmount('0.5')).toEqual({ amount: '0.50' });
    expect(normaliseAmount('0')).toEqual({ amount: '0.00' });
    expect(normaliseAmount(100)).toEqual({ amount: '100.00' });
    expect(normaliseAmount(1234.5)).toEqual({ amount: '1234.50' });
    expect(normaliseAmount(' 12.3 ')).toEqual({ amount: '12.30' });
    expect(normaliseAmount('999999999999.99')).toEqual({ amount: '999999999999.99' });
  });

  it('rejects a third decimal', () => {
    expect(normaliseAmount('1.005')).toEqual({ error: '最多两位小数（1.005）' });
    expect(normaliseAmount(1.005)).toEqual({ error: '最多两位小数（1.005）' });
    expect(normaliseAmount('0.000').error).toContain('最多两位小数');
  });

  it('rejects negatives', () => {
    expect(normaliseAmount(-5)).toEqual({ error: '不能为负数（-5）' });
    expect(normaliseAmount('-0.01')).toEqual({ error: '不能为负数（-0.01）' });
  });

  it('rejects NaN, infinities and non-numbers', () => {
    expect(normaliseAmount(Number.NaN)).toEqual({ error: '不是有效数字' });
    expect(normaliseAmount(Number.POSITIVE_INFINITY)).toEqual({ error: '不是有效数字' });
    expect(normaliseAmount(Number.NEGATIVE_INFINITY)).toEqual({ error: '不是有效数字' });
    expect(normaliseAmount(true)).toEqual({ error: '应为数字或数字文本' });
    expect(normaliseAmount({})).toEqual({ error: '应为数字或数字文本' });
    expect(normaliseAmount(null).error).toBe('应为数字或数字文本');
  });

  it('allows 12 integer digits, not 13', () => {
    expect(normaliseAmount('123456789012')).toEqual({ amount: '123456789012.00' });
    expect(normaliseAmount('1234567890123').error).toContain('12位整数');
    expect(normaliseAmount(1234567890123).error).toContain('12位整数');
    expect(normaliseAmount(1e21).amount).toBeUndefined();
  });

  it('rejects leading zeros, exponents, signs and malformed numbers', () => {
    for (const text of ['007', '00.5', '01', '1e3', '+5', '.5', '1.', '1,000', '', '  ', '12 3', '０']) {
      const result = normaliseAmount(text);
      expect(result.amount, text).toBeUndefined();
      expect(result.error, text).toMatch(/^应为非负金额/);
    }
  });
});

describe('parseDateTime', () => {
  it('reads a time without an offset as China Standard Time', () => {
    expect(parseDateTime('2024-03-15T10:20:00')?.toISOString()).toBe('2024-03-15T02:20:00.000Z');
    expect(parseDateTime('2024-03-15 10:20')?.toISOString()).toBe('2024-03-15T02:20:00.000Z');
    expect(parseDateTime('2024-03-15')?.toISOString()).toBe('2024-03-14T16:00:00.000Z');
    expect(parseDateTime('2024-01-01T00:30:00')?.toISOString()).toBe('2023-12-31T16:30:00.000Z');
  });

  it('honours an explicit offset', () => {
    expect(parseDateTime('2024-03-15T10:20:00+08:00')?.toISOString()).toBe('2024-03-15T02:20:00.000Z');
    expect(parseDateTime('2024-03-15T10:20:00Z')?.toISOString()).toBe('2024-03-15T10:20:00.000Z');
    expect(parseDateTime('2024-03-15T10:20:00-05:00')?.toISOString()).toBe('2024-03-15T15:20:00.000Z');
    expect(parseDateTime('2024-03-15T10:20:00.5Z')?.toISOString()).toBe('2024-03-15T10:20:00.500Z');
  });

  it('rejects impossible dates and times and other formats', () => {
    for (const value of [
      '2024-02-30T10:00:00',
      '2023-02-29',
      '2024-13-01',
      '2024-03-15T25:00:00',
      '2024-03-15T10:60:00',
      '2024-03-15T10:20:61',
      '2024/03/15 10:20',
      '15.03.2024',
      '2024-3-5',
      '2024-03-15T10',
      '2024-03-15Z',
      'yesterday',
      '',
    ]) {
      expect(parseDateTime(value), value).toBeUndefined();
    }
  });
});

describe('checkDate', () => {
  it('accepts a real date up to one day ahead (time zones)', () => {
    expect(checkDate('2024-02-29', today)).toBeUndefined();
    expect(checkDate('1900-01-01', today)).toBeUndefined();
    expect(checkDate('2026-11-22', today)).toBeUndefined();
    expect(checkDate('2026-11-23', today)).toBeUndefined();
  });

  it('rejects bad formats, impossible dates, the far past and the future', () => {
    expect(checkDate('2024-3-15', today)).toBe('格式应为 YYYY-MM-DD');
    expect(checkDate('2024-03-15T10:00', today)).toBe('格式应为 YYYY-MM-DD');
    expect(checkDate('2023-02-29', today)).toBe('“2023-02-29”不是有效日期');
    expect(checkDate('2024-04-31', today)).toContain('不是有效日期');
    expect(checkDate('1899-12-31', today)).toBe('早于1900年');
    expect(checkDate('2026-11-24', today)).toBe('晚于今天');
    expect(checkDate('2099-01-01', today)).toBe('晚于今天');
    expect(checkDate('2099-01-01', today, true)).toBeUndefined();
    expect(checkDate('2099-02-30', today, true)).toContain('不是有效日期');
  });
});

describe('readText', () => {
  const read = (value: unknown, required = false, field: 'title' | 'name' | 'handler' = 'title') => {
    const out = new IssueCollector();
    return { value: readText(out, { [field]: value }, field, required), issues: out.issues };
  };

  it('trims, and treats blank as absent', () => {
    expect(read('  王建国 报销  ')).toEqual({ value: '王建国 报销', issues: [] });
    expect(read('   ')).toEqual({ value: undefined, issues: [] });
    expect(read(null, true).issues).toEqual([{ field: 'title', message: '题名为必填项' }]);
    expect(read(' \t ', true).issues[0]?.message).toBe('题名为必填项');
    expect(read(42).issues).toEqual([{ field: 'title', message: '题名应为文本' }]);
  });

  it('counts length in characters, not UTF-16 code units', () => {
    expect('😀'.repeat(500)).toHaveLength(1000);
    expect(charLength('😀'.repeat(500))).toBe(500);
    expect(read('😀'.repeat(500))).toEqual({ value: '😀'.repeat(500), issues: [] });
    expect(read('𠀀'.repeat(50), false, 'name').value).toBe('𠀀'.repeat(50));
    expect(read('档'.repeat(500)).issues).toEqual([]);
    expect(read('😀'.repeat(501)).issues).toEqual([
      { field: 'title', message: '题名过长：最多 500 个字符，实际 501 个' },
    ]);
    expect(read('档'.repeat(501)).issues[0]?.message).toContain('实际 501 个');
    expect(read('王'.repeat(51), false, 'name').issues[0]?.message).toBe(
      '姓名过长：最多 50 个字符，实际 51 个',
    );
  });

  it('rejects control characters', () => {
    for (const control of ['\u0000', '\u0007', '\u0008', '\u000b', '\u000c', '\u001b', '\u001f', '\u007f']) {
      const result = read(`报销${control}审核表`);
      expect(result.value, JSON.stringify(control)).toBeUndefined();
      expect(result.issues).toEqual([{ field: 'title', message: '题名含有控制字符' }]);
    }
    expect(read('第一行\n第二行\t附注').value).toBe('第一行\n第二行\t附注');
  });

  it('prefixes fields for batch items', () => {
    const out = new IssueCollector('items[3].');
    readText(out, {}, 'handler', true);
    expect(out.issues).toEqual([{ field: 'items[3].handler', message: '经办人为必填项' }]);
  });
});

describe('readIdNumber', () => {
  const read = (value: unknown) => {
    const out = new IssueCollector();
    return { value: readIdNumber(out, { idNumber: value }, today), issues: out.issues };
  };

  it('trims and upper-cases before checking', () => {
    expect(read(' 11010519491231002x ')).toEqual({ value: '11010519491231002X', issues: [] });
    const digitId = `32011519850312123${idCheckChar('32011519850312123')}`;
    expect(read(digitId).value).toBe(digitId);
  });

  it('reports what is wrong, naming the field', () => {
    expect(read('110105194912310021').issues).toEqual([
      { field: 'idNumber', message: '身份证号校验码错误（末位与前17位不符）' },
    ]);
    expect(read('11010519491231002').issues[0]?.message).toContain('应为18位');
    expect(read(11010519491231002).issues).toEqual([{ field: 'idNumber', message: '身份证号应为文本' }]);
    expect(read('')).toEqual({ value: undefined, issues: [] });
    expect(read(null)).toEqual({ value: undefined, issues: [] });
  });
});

describe('readPaperLocation', () => {
  const read = (value: unknown) => {
    const out = new IssueCollector();
    return { value: readPaperLocation(out, value), issues: out.issues };
  };
  const place = { warehouse: '一号库', cabinet: 'A03', shelf: '2', box: '0157' };

  it('accepts the four parts, trimmed', () => {
    expect(read(place)).toEqual({ value: place, issues: [] });
    expect(read({ ...place, warehouse: ' 一号库 ' }).value?.warehouse).toBe('一号库');
    expect(read({ ...place, box: '盒'.repeat(20) }).issues).toEqual([]);
    expect(read(undefined)).toEqual({ value: undefined, issues: [] });
  });

  it('names the missing or bad part', () => {
    expect(read({ ...place, box: undefined }).issues).toEqual([
      { field: 'paperLocation', message: '纸质存放位置的“盒”（box）应为1–20个字符的文本' },
    ]);
    expect(read({ ...place, shelf: 2 }).issues[0]?.message).toContain('“层”（shelf）');
    expect(read({ ...place, cabinet: ' ' }).issues[0]?.message).toContain('“柜”（cabinet）');
    expect(read({ ...place, box: '盒'.repeat(21) }).issues[0]?.message).toContain('“盒”（box）');
    expect(read({ ...place, warehouse: '库\u0000' }).issues[0]?.message).toContain('“库房”（warehouse）');
  });

  it('rejects non-objects and unknown keys', () => {
    for (const value of ['一号库', 3, [place]]) {
      expect(read(value).issues[0]?.message, JSON.stringify(value)).toContain('应为对象');
      expect(read(value).value).toBeUndefined();
    }
    expect(read({ ...place, row: 1, column: 2 }).issues).toEqual([
      { field: 'paperLocation', message: '纸质存放位置含有不认识的字段：row、column' },
    ]);
  });
});

describe('readExtra', () => {
  const specs: ExtraFieldSpec[] = [
    { key: 'hospital', label: '医院', type: 'text', required: true, maxLength: 5 },
    { key: 'admitted', label: '入院日期', type: 'date', required: false },
    { key: 'cost', label: '费用', type: 'amount', required: false },
    { key: 'days', label: '天数', type: 'integer', required: false },
    { key: 'region', label: '就医地', type: 'region', required: false },
    { key: 'kind', label: '类型', type: 'enum', required: false, options: ['甲', '乙'] },
  ];
  const read = (value: unknown) => {
    const out = new IssueCollector();
    return { value: readExtra(out, value, specs, today), issues: out.issues };
  };
  const issueFor = (value: Record<string, unknown>, key: string) =>
    read({ hospital: '江宁医院', ...value }).issues.find((issue) => issue.field === `extra.${key}`)?.message;

  it('accepts valid values, normalises amounts and keeps other keys', () => {
    const good = {
      hospital: '江宁医院',
      admitted: '2024-03-01',
      cost: 12.5,
      days: 3,
      region: '440305',
      kind: '乙',
      note: '业务系统附加信息',
    };
    expect(read(good)).toEqual({ value: { ...good, cost: '12.50' }, issues: [] });
  });

  it('requires required fields and drops empty optional ones', () => {
    expect(read({}).issues).toEqual([{ field: 'extra.hospital', message: '医院为该类别的必填项' }]);
    expect(read(undefined).issues.map((issue) => issue.field)).toEqual(['extra.hospital']);
    expect(read({ hospital: '江宁医院', admitted: '', cost: null })).toEqual({
      value: { hospital: '江宁医院' },
      issues: [],
    });
  });

  it('checks each type', () => {
    expect(issueFor({ hospital: 5 }, 'hospital')).toBe('医院应为文本');
    expect(issueFor({ hospital: '六个字的医院' }, 'hospital')).toBe('医院过长：最多 5 个字符');
    expect(issueFor({ hospital: '😀😀😀😀😀' }, 'hospital')).toBeUndefined();
    expect(issueFor({ hospital: '医\u0007院' }, 'hospital')).toBe('医院含有控制字符');
    expect(issueFor({ admitted: '2024-02-30' }, 'admitted')).toBe('入院日期“2024-02-30”不是有效日期');
    expect(issueFor({ admitted: 20240301 }, 'admitted')).toBe('入院日期应为 YYYY-MM-DD 格式的日期');
    // category dates may look ahead (a benefit valid until next year), but not before 1900
    expect(issueFor({ admitted: '2030-01-01' }, 'admitted')).toBeUndefined();
    expect(issueFor({ admitted: '1899-12-31' }, 'admitted')).toBe('入院日期早于1900年');
    expect(issueFor({ cost: '-1' }, 'cost')).toBe('费用不能为负数（-1）');
    expect(issueFor({ cost: '1.234' }, 'cost')).toBe('费用最多两位小数（1.234）');
    expect(issueFor({ days: '3' }, 'days')).toBe('天数应为整数');
    expect(issueFor({ days: 2.5 }, 'days')).toBe('天数应为整数');
    expect(issueFor({ days: 2 ** 53 }, 'days')).toBe('天数应为整数');
    expect(issueFor({ region: '999999' }, 'region')).toBe('就医地应为有效的6位行政区划代码');
    expect(issueFor({ region: 440305 }, 'region')).toBe('就医地应为有效的6位行政区划代码');
    expect(issueFor({ kind: '丙' }, 'kind')).toBe('类型取值无效，可选：甲、乙');
  });

  it('rejects a non-object and an oversized object', () => {
    expect(read([1]).issues).toEqual([{ field: 'extra', message: '类别专属字段应为对象' }]);
    expect(read('text').value).toEqual({});
    const huge = read({ hospital: '江宁医院', blob: 'x'.repeat(9000) });
    expect(huge.value).toEqual({});
    expect(huge.issues[0]?.message).toMatch(/^类别专属字段过大：最多 8192 字节，实际 \d+ 字节$/);
    // size is in bytes: 3000 CJK characters are 9000 bytes of UTF-8
    expect(read({ hospital: '江宁医院', blob: '档'.repeat(3000) }).issues[0]?.message).toContain('过大');
  });
});
