import { describe, expect, it } from 'vitest';
import { breakLines, pieces, widestPiece } from './ledger.pdf.wrap.js';

// Line breaking on its own, with a font where a Chinese character is 1 wide and anything else ½.

const width = (text: string) =>
  [...text].reduce((sum, char) => sum + (char.charCodeAt(0) >= 0x2e80 ? 1 : 0.5), 0);
const wrap = (text: string, max: number) => breakLines(text, max, width);

describe('pieces', () => {
  it('keeps dates, amounts, codes and masked ID numbers whole, Chinese one character each', () => {
    expect(pieces('2025-06-20至2025-06-29')).toEqual(['2025-06-20', '至', '2025-06-29']);
    expect(pieces('已缴 1,200.00 元')).toEqual(['已', '缴', ' ', '1,200.00', ' ', '元']);
    expect(pieces('320115********123X')).toEqual(['320115********123X']);
    expect(pieces('档号J013-FPTZ·2026-D30-FP-0001')).toEqual(['档', '号', 'J013-FPTZ·2026-D30-FP-0001']);
  });

  it('glues brackets and stops to what they belong to', () => {
    expect(pieces('脱贫人口（建档立卡）')).toEqual(['脱', '贫', '人', '口', '（建', '档', '立', '卡）']);
    expect(pieces('已缴 2026-03-01（1,200.00 元，资助 600.00 元）')).toEqual([
      '已',
      '缴',
      ' ',
      '2026-03-01',
      '（1,200.00',
      ' ',
      '元，',
      '资',
      '助',
      ' ',
      '600.00',
      ' ',
      '元）',
    ]);
  });
});

describe('breakLines', () => {
  it('breaks a visit span between its dates, never inside one', () => {
    expect(wrap('2025-06-20至2025-06-29', 6)).toEqual(['2025-06-20至', '2025-06-29']);
  });

  it('moves a short bracketed qualifier to the next line whole', () => {
    expect(wrap('脱贫人口（建档立卡）', 6)).toEqual(['脱贫人口', '（建档立卡）']);
    expect(widestPiece('脱贫人口（建档立卡）', width, { groups: true })).toBe(6);
  });

  it('breaks a qualifier too long for a line between its Chinese characters, keeping the brackets on', () => {
    const lines = wrap('脱贫人口（建档立卡）', 5);
    expect(lines).toEqual(['脱贫人口', '（建档立', '卡）']);
    for (const line of lines) {
      expect(line.startsWith('）')).toBe(false);
      expect(line.endsWith('（')).toBe(false);
    }
  });

  it('breaks at spaces and Chinese characters, dropping the space at the break', () => {
    expect(wrap('已缴 2026-03-01 元', 7)).toEqual(['已缴', '2026-03-01 元']);
    expect(wrap('甲乙丙丁戊己', 4)).toEqual(['甲乙丙丁', '戊己']);
  });

  it('breaks a piece by character only when it is wider than a whole line', () => {
    expect(widestPiece('至2025-06-29', width)).toBe(5);
    expect(wrap('2025-06-29', 3)).toEqual(['2025-0', '6-29']);
  });
});
