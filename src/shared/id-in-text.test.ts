import { describe, expect, it } from 'vitest';
import { validId, wrongCheckId } from '../../test/helpers/fixtures.js';
import {
  findIdNumbers,
  holdsIdNumber,
  idNumberInTextProblem,
  maskIdNumbersInText,
  maskIdsDeep,
  refuseIdNumberInText,
} from './id-in-text.js';

const ID = validId('32010619800101123');
const MASKED = `${ID.slice(0, 6)}********${ID.slice(-4)}`;
const fullWidth = (text: string) =>
  text.replace(/[0-9X]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));

describe('ID numbers in free text', () => {
  it('finds a valid number wherever it stands, and only a valid one', () => {
    expect(findIdNumbers(`王建国${ID}报销`).map((found) => found.idNumber)).toEqual([ID]);
    expect(findIdNumbers(`身份证号:${ID}`)).toHaveLength(1);
    expect(findIdNumbers(wrongCheckId('32010619800101123'))).toEqual([]);
    // A region that is no province, a birth date that is no date, and one in the future.
    expect(findIdNumbers(validId('99010619800101123'))).toEqual([]);
    expect(findIdNumbers(validId('32010619801301123'))).toEqual([]);
    expect(findIdNumbers(validId('32010630000101123'))).toEqual([]);
    expect(findIdNumbers('发票号 123456789012345678 金额')).toEqual([]);
  });

  it('folds full-width digits, a lower-case x, and single spaces or hyphens between digits', () => {
    const withX = validId('11010519491231002');
    expect(withX.endsWith('X')).toBe(true);
    expect(findIdNumbers(`档案${fullWidth(ID)}`).map((found) => found.idNumber)).toEqual([ID]);
    expect(findIdNumbers(withX.toLowerCase()).map((found) => found.idNumber)).toEqual([withX]);
    expect(findIdNumbers(`${ID.slice(0, 6)} ${ID.slice(6, 14)}-${ID.slice(14)}`)).toHaveLength(1);
    expect(findIdNumbers(`${ID.slice(0, 6)}  ${ID.slice(6)}`)).toEqual([]);
  });

  it('finds a number with digits added on either side, but leaves hex digests alone', () => {
    expect(findIdNumbers(`7${ID}9`).map((found) => found.idNumber)).toEqual([ID]);
    const digest = `abcdef${ID}abcdef0123456789`;
    expect(digest.length).toBeGreaterThanOrEqual(32);
    expect(findIdNumbers(digest)).toEqual([]);
    expect(findIdNumbers(`ab${ID}`)).toHaveLength(1);
  });

  it('masks each number in place and leaves other text as it was', () => {
    expect(maskIdNumbersInText(`（${ID}）王建国`)).toBe(`（${MASKED}）王建国`);
    expect(maskIdNumbersInText(`全角${fullWidth(ID)}。`)).toBe(`全角${MASKED}。`);
    expect(maskIdNumbersInText(`${ID}、${validId('11010519491231002')}`)).toBe(
      `${MASKED}、110105********002X`,
    );
    const plain = '（２０２４）医保发１２号';
    expect(maskIdNumbersInText(plain)).toBe(plain);
  });

  it('masks deep values, keys and numbers, and returns the same value when nothing is found', () => {
    const clean = { a: ['x', { b: 1 }], c: null };
    expect(maskIdsDeep(clean)).toBe(clean);
    expect(holdsIdNumber(clean)).toBe(false);
    const masked = maskIdsDeep({ list: [`名单${ID}`], [ID]: 1, nested: { n: 2 } });
    expect(JSON.stringify(masked)).not.toContain(ID);
    expect(masked).toEqual({ list: [`名单${MASKED}`], [MASKED]: 1, nested: { n: 2 } });
    expect(holdsIdNumber({ deep: [[`x${ID}`]] })).toBe(true);
  });

  it('says which field holds one and quotes it masked', () => {
    const message = idNumberInTextProblem('题名', `王建国 ${ID} 报销`);
    expect(message).toBe(
      `题名中含有身份证号（${MASKED}），请将身份证号填入“身份证号”字段，不要写在题名、备注或理由中`,
    );
    expect(idNumberInTextProblem('题名', '王建国 报销')).toBeUndefined();
    expect(() => refuseIdNumberInText('查阅目的', `核实${ID}`)).toThrow(/查阅目的中含有身份证号/);
    try {
      refuseIdNumberInText('查阅目的', `核实${ID}`);
    } catch (error) {
      expect((error as { code: string }).code).toBe('ID_NUMBER_IN_TEXT');
      expect((error as Error).message).not.toContain(ID);
    }
  });
});
