import { describe, expect, it } from 'vitest';
import { validId } from '../../../test/helpers/fixtures.js';
import { idCheckChar } from '../catalog/id-number.js';
import { idRelation, nameRelation } from './reconcile.match.js';
import { blockKeys, namePinyin } from './roster.keys.js';
import '../../../test/helpers/field-key.js';

// The rules behind the correction list, checked by hand: how names and ID numbers differ.

describe('names', () => {
  it('reads a name written with spaces or another dot as the same name', () => {
    expect(nameRelation('阿依古丽·买买提', '阿依古丽买买提')).toBe('same');
    expect(nameRelation('张 三', '张三')).toBe('same');
  });

  it('tells homophones (same pinyin) from typos (one character) from other people', () => {
    expect(nameRelation('张三峰', '张三丰')).toBe('homophone');
    expect(nameRelation('章三丰', '张三丰')).toBe('homophone');
    expect(nameRelation('孙丽梅', '孙丽华')).toBe('typo');
    expect(nameRelation('孙丽', '孙丽华')).toBe('typo');
    expect(nameRelation('马云', '张三丰')).toBe('different');
    expect(nameRelation('王', '李')).toBe('different');
  });

  it('spells a name in toneless pinyin without separators', () => {
    expect(namePinyin('张三丰')).toBe('zhangsanfeng');
    expect(namePinyin('阿依古丽·买买提')).toBe(namePinyin('阿依古丽买买提'));
  });
});

describe('ID numbers', () => {
  const id = validId('32011519850312123');

  it('finds one wrong digit, two neighbours swapped, and a digit too many or too few', () => {
    expect(idRelation(id, id)).toBe('same');
    expect(idRelation(`${id.slice(0, 9)}7${id.slice(10)}`, id)).toBe('substitution');
    expect(idRelation(`${id.slice(0, 8)}${id[9]}${id[8]}${id.slice(10)}`, id)).toBe('transposition');
    expect(idRelation(id.slice(0, 17), id)).toBe('one_edit');
    expect(idRelation(`${id.slice(0, 3)}${id.slice(5, 7)}${id.slice(3, 5)}${id.slice(7)}`, id)).toBe('far');
  });

  it('compares only the trusted head of a number Excel shortened', () => {
    const rounded = `${id.slice(0, 15)}000`;
    expect(idRelation(rounded, id, 15)).toBe('prefix');
    expect(idRelation(`320116${id.slice(6)}`, id, 15)).toBe('far');
  });

  it('keeps at least one blocking key for every single-digit error and adjacent swap', () => {
    const name = namePinyin('周杰');
    const right = blockKeys(id, name);
    for (let position = 0; position < 18; position++) {
      for (const wrong of [position < 17 ? String((Number(id[position]) + 3) % 10) : 'X']) {
        const broken = `${id.slice(0, position)}${wrong}${id.slice(position + 1)}`;
        const keys = blockKeys(broken, name);
        const shared = Object.keys(right).filter(
          (key) => keys[key as keyof typeof keys] === right[key as keyof typeof right],
        );
        expect(shared.length, `digit ${position + 1}`).toBeGreaterThan(0);
      }
      if (position === 17) continue;
      const swapped = `${id.slice(0, position)}${id[position + 1]}${id[position]}${id.slice(position + 2)}`;
      if (swapped === id) continue;
      const keys = blockKeys(swapped, name);
      const shared = Object.keys(right).filter(
        (key) => keys[key as keyof typeof keys] === right[key as keyof typeof right],
      );
      expect(shared.length, `swap ${position + 1}/${position + 2}`).toBeGreaterThan(0);
    }
  });

  it('gives keyed hashes, not ID segments, and the same keys for the same input', () => {
    const keys = blockKeys(id, 'zhouji');
    expect(blockKeys(id, 'zhouji')).toEqual(keys);
    for (const value of Object.values(keys)) {
      expect(Number.isSafeInteger(value)).toBe(true);
      expect(String(value)).not.toContain(id.slice(6, 14));
    }
    expect(idCheckChar(id.slice(0, 17))).toBe(id[17]);
  });
});
