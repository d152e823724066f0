import { describe, expect, it } from 'vitest';
import { parseTesseractTsv, removeCjkSpaces } from './ocr.engine.js';

// Rebuilding text from Tesseract's TSV: words joined line by line, no spaces left between Chinese
// characters, spaces between Latin words and numbers kept, confidence weighted by characters.

const HEADER =
  'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';
const word = (block: number, line: number, conf: number, text: string) =>
  `5\t1\t${block}\t1\t${line}\t1\t0\t0\t10\t10\t${conf}\t${text}`;

describe('parseTesseractTsv', () => {
  it('joins words, drops spaces between Chinese characters only, and weights confidence by length', () => {
    const tsv = [
      HEADER,
      '1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t',
      word(1, 1, 90, '门诊'),
      word(1, 1, 80, '费用'),
      word(1, 1, 70, '报销'),
      word(1, 2, 60, 'ICD-10'),
      word(1, 2, 100, 'I10'),
      word(1, 2, 50, '高血压'),
      word(2, 1, 95, '（2024年）'),
      word(2, 1, -1, ''),
    ].join('\n');
    const result = parseTesseractTsv(tsv);
    expect(result.text).toBe('门诊费用报销\nICD-10 I10 高血压\n\n（2024年）');
    const characters = 2 + 2 + 2 + 6 + 3 + 3 + 7;
    const weighted = 90 * 2 + 80 * 2 + 70 * 2 + 60 * 6 + 100 * 3 + 50 * 3 + 95 * 7;
    expect(result.confidence).toBeCloseTo(Math.round((weighted / characters) * 10) / 10, 5);
    expect(result.characters).toBe(characters);
  });

  it('gives no confidence and no characters for a page without words', () => {
    expect(parseTesseractTsv(`${HEADER}\n1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n`)).toEqual({
      text: '',
      confidence: null,
      characters: 0,
    });
  });

  it('removes runs of spaces between Chinese characters and full-width punctuation', () => {
    expect(removeCjkSpaces('参 保 人 ： 王 建 国 ， 金额 12.50 元')).toBe('参保人：王建国，金额 12.50 元');
  });
});
