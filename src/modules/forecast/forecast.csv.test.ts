import { describe, expect, it } from 'vitest';
import { readSeriesCsv } from './forecast.csv.js';
import { parseMonth } from './forecast.months.js';

// Series files as people make them, and the bad ones: each refused with its line and reason.

const csv = (text: string) => Buffer.from(text, 'utf8');
const months = (count: number, start = 1) =>
  Array.from({ length: count }, (_, i) => `2024-${String(start + i).padStart(2, '0')},${100 + i}`).join('\n');

describe('reading a series CSV', () => {
  it('reads UTF-8 with a header and a BOM, and GBK, alike', async () => {
    const text = `月份,参保人数\n${Array.from({ length: 8 }, (_, i) => `2024年${i + 1}月,${100 + i}`).join('\n')}\n`;
    const utf8 = await readSeriesCsv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), csv(text)]));
    const gbk = await readSeriesCsv(gbkOf(text));
    expect(utf8).toHaveLength(8);
    expect(utf8[0]).toEqual({ period: '2024-01', value: 100 });
    expect(gbk).toEqual(utf8);
  });

  it('reads months spelled 2024/3, 2024年3月 or 202403 and values with thousands separators', async () => {
    const points = await readSeriesCsv(
      csv('2024/1,"1,200"\n2024年2月,1300.5\n202403,-4\n2024.04,5\n2024-5,6\n2024-06,+7\n'),
    );
    expect(points.map((p) => p.period)).toEqual([
      '2024-01',
      '2024-02',
      '2024-03',
      '2024-04',
      '2024-05',
      '2024-06',
    ]);
    expect(points.map((p) => p.value)).toEqual([1200, 1300.5, -4, 5, 6, 7]);
  });

  it('refuses every bad row at once, each with its line and reason', async () => {
    const bad = csv('期间,数值\n2024-01,5\n2024-02,abc\n2024-13,3\n2024-04,1,2\n2024-05,\n2024-01,9\n');
    const error = await readSeriesCsv(bad).catch((e) => e);
    expect(error.code).toBe('FORECAST_CSV_ROW');
    expect(error.message).toContain('5 行无法读取');
    expect(error.message).toContain('第 3 行：数值“abc”不是数字');
    expect(error.message).toContain('第 4 行：月份“2024-13”不是 YYYY-MM 格式的月份');
    expect(error.message).toContain('第 5 行：应为两列（月份，数值），此行有 3 列');
    expect(error.message).toContain('第 6 行：数值“”不是数字');
    expect(error.message).toContain('第 7 行：月份 2024-01 与第 2 行重复');
  });

  it('names the missing months, refuses fewer than 6 and months out of order', async () => {
    const gap = await readSeriesCsv(
      csv('2024-01,1\n2024-02,2\n2024-05,3\n2024-06,4\n2024-07,5\n2024-09,6\n'),
    ).catch((e) => e);
    expect(gap.code).toBe('FORECAST_MONTHS_MISSING');
    expect(gap.message).toContain('缺少 3 个月：2024-03；2024-04；2024-08');
    const short = await readSeriesCsv(csv(months(5))).catch((e) => e);
    expect(short.code).toBe('FORECAST_TOO_SHORT');
    expect(short.message).toContain('只有 5 个月，至少需要 6 个月');
    const backwards = await readSeriesCsv(
      csv('2024-02,1\n2024-01,2\n2024-03,3\n2024-04,4\n2024-05,5\n2024-06,6\n'),
    ).catch((e) => e);
    expect(backwards.code).toBe('FORECAST_SERIES_INVALID');
    expect(backwards.message).toContain('第 2 行的 2024-01 早于第 1 行的 2024-02');
  });

  it('refuses an empty file and one past 5,000 rows', async () => {
    expect((await readSeriesCsv(Buffer.alloc(0)).catch((e) => e)).code).toBe('FORECAST_SERIES_INVALID');
    const many = Array.from({ length: 6000 }, (_, i) => `${2000 + Math.floor(i / 12)}-01,1`).join('\n');
    expect((await readSeriesCsv(csv(many)).catch((e) => e)).code).toMatch(/TOO_LARGE/);
  });
});

describe('months', () => {
  it('reads the usual spellings and refuses the rest', () => {
    expect(parseMonth('2024-3')).toBe('2024-03');
    expect(parseMonth(' 2024年12月 ')).toBe('2024-12');
    expect(parseMonth('2024-00')).toBeNull();
    expect(parseMonth('2024-03-01')).toBeNull();
    expect(parseMonth('March 2024')).toBeNull();
  });
});

/** GBK bytes of text, for the few Chinese characters used here (Node has no GBK encoder). */
const GBK: Record<string, number[]> = {
  月: [0xd4, 0xc2],
  份: [0xb7, 0xdd],
  参: [0xb2, 0xce],
  保: [0xb1, 0xa3],
  人: [0xc8, 0xcb],
  数: [0xca, 0xfd],
  年: [0xc4, 0xea],
};
function gbkOf(text: string): Buffer {
  const bytes = [...text].flatMap((char) => GBK[char] ?? [char.charCodeAt(0)]);
  for (const byte of bytes) if (byte > 0xff) throw new Error('character without a GBK code here');
  return Buffer.from(bytes);
}
