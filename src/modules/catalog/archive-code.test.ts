import { describe, expect, it } from 'vitest';
import { isYidangError } from '../../shared/errors.js';
import {
  type ArchiveCodeValues,
  DEFAULT_ARCHIVE_CODE_PATTERN,
  parseArchiveCode,
  parseArchiveCodePattern,
  renderArchiveCode,
  sequenceKey,
} from './archive-code.js';
import { RETENTION_PERIODS } from './retention.js';

const VALUES: ArchiveCodeValues = {
  fonds: 'J013',
  category: 'JSLX',
  year: 2024,
  retention: 'D30',
  org: 'JSK',
};

function rejectionOf(source: string): string {
  try {
    parseArchiveCodePattern(source);
  } catch (error) {
    expect(isYidangError(error) && error.code).toBe('PATTERN_INVALID');
    expect(isYidangError(error) && error.kind).toBe('invalid');
    return (error as Error).message;
  }
  throw new Error(`pattern “${source}” was accepted`);
}

describe('rendering', () => {
  it('renders the default pattern as J013-JSLX·2024-D30-JSK-0001', () => {
    expect(DEFAULT_ARCHIVE_CODE_PATTERN).toBe('{fonds}-{category}·{year}-{retention}-{org}-{item:4}');
    const pattern = parseArchiveCodePattern(DEFAULT_ARCHIVE_CODE_PATTERN);
    expect(renderArchiveCode(pattern, VALUES, 1)).toBe('J013-JSLX·2024-D30-JSK-0001');
    expect(renderArchiveCode(pattern, { ...VALUES, retention: 'Y' }, 37)).toBe('J013-JSLX·2024-Y-JSK-0037');
    expect([...pattern.tokens].sort()).toEqual(['category', 'fonds', 'item', 'org', 'retention', 'year']);
    expect(pattern.source).toBe(DEFAULT_ARCHIVE_CODE_PATTERN);
  });

  it('pads {item:N} to N digits, defaulting to 4', () => {
    expect(renderArchiveCode(parseArchiveCodePattern('{fonds}-{item:6}'), VALUES, 42)).toBe('J013-000042');
    expect(renderArchiveCode(parseArchiveCodePattern('{fonds}-{item}'), VALUES, 42)).toBe('J013-0042');
    expect(renderArchiveCode(parseArchiveCodePattern('{fonds}-{item:1}'), VALUES, 7)).toBe('J013-7');
    expect(renderArchiveCode(parseArchiveCodePattern('{fonds}-{item:8}'), VALUES, 7)).toBe('J013-00000007');
  });

  it('still renders numbers wider than the width in full', () => {
    const pattern = parseArchiveCodePattern('{fonds}-{item:4}');
    expect(renderArchiveCode(pattern, VALUES, 9999)).toBe('J013-9999');
    expect(renderArchiveCode(pattern, VALUES, 10000)).toBe('J013-10000');
    expect(renderArchiveCode(pattern, VALUES, 1234567)).toBe('J013-1234567');
  });

  it('keeps literal prefixes and suffixes and renders only the tokens the pattern names', () => {
    const pattern = parseArchiveCodePattern('YB{fonds}/{year}/{item:3}号');
    expect(renderArchiveCode(pattern, VALUES, 5)).toBe('YBJ013/2024/005号');
    expect(renderArchiveCode(pattern, { ...VALUES, org: 'OTHER', category: 'CB' }, 5)).toBe(
      'YBJ013/2024/005号',
    );
  });
});

describe('pattern validation', () => {
  it('requires {item} and {fonds}', () => {
    expect(rejectionOf('{fonds}-{category}-{year}')).toBe(
      '档号规则无效：缺少件号占位符 {item:N}，同一序列内的档号会重复',
    );
    expect(rejectionOf('{category}-{year}-{item:4}')).toBe(
      '档号规则无效：缺少全宗号占位符 {fonds}，不同全宗的档号会重复',
    );
    expect(rejectionOf('档号')).toContain('缺少件号占位符');
  });

  it('requires a separator between two tokens', () => {
    expect(rejectionOf('{fonds}{category}-{item}')).toBe(
      '档号规则无效：{fonds} 与 {category} 之间没有分隔符，档号无法区分',
    );
    expect(rejectionOf('{fonds}-{year}{item:4}')).toContain('{year} 与 {item} 之间没有分隔符');
  });

  it('refuses a separator made only of letters or digits', () => {
    expect(rejectionOf('{fonds}A{item}')).toBe('档号规则无效：分隔符“A”只含字母或数字，与代码值混淆');
    expect(rejectionOf('{fonds}-{category}x9{item}')).toContain('分隔符“x9”只含字母或数字');
    expect(rejectionOf('{fonds}-{year}0{item}')).toContain('分隔符“0”');
  });

  it('refuses unknown tokens, naming the ones available', () => {
    const message = rejectionOf('{fonds}-{month}-{item}');
    expect(message).toContain('未知的占位符 {month}');
    expect(message).toContain('{fonds} {category} {year} {retention} {org} {item}');
  });

  it('refuses a token used twice', () => {
    expect(rejectionOf('{fonds}-{item}-{item}')).toBe('档号规则无效：占位符 {item} 出现了不止一次');
    expect(rejectionOf('{fonds}-{year}-{year}-{item}')).toContain('占位符 {year} 出现了不止一次');
  });

  it('allows item widths 1–8 only', () => {
    expect(rejectionOf('{fonds}-{item:0}')).toBe('档号规则无效：{item} 的位数应为1–8');
    expect(rejectionOf('{fonds}-{item:9}')).toBe('档号规则无效：{item} 的位数应为1–8');
    expect(rejectionOf('{fonds}-{item:12}')).toContain('位数应为1–8');
  });

  it('allows a width on {item} only', () => {
    expect(rejectionOf('{fonds:4}-{item}')).toBe('档号规则无效：只有 {item} 可以指定位数，{fonds} 不可以');
    expect(rejectionOf('{fonds}-{year:2}-{item}')).toContain('{year} 不可以');
  });

  it('refuses stray braces and malformed tokens', () => {
    for (const source of [
      '{fonds}-{item}}',
      '{{fonds}-{item}',
      '{fonds}-{item:}',
      '{fonds}-{Item}',
      '{fonds}-{item',
      '{fonds}-item}',
      '{}{fonds}-{item}',
    ]) {
      expect(rejectionOf(source), source).toMatch(/^档号规则无效：无法识别的占位符“.*[{}].*”$/);
    }
  });

  it('limits the length to 1–100 characters', () => {
    expect(rejectionOf('')).toBe('档号规则无效：规则长度应为1–100个字符');
    const long = `{fonds}-{item}-${'档'.repeat(100)}`;
    expect(rejectionOf(long)).toBe('档号规则无效：规则长度应为1–100个字符');
    const exactly100 = `{fonds}-{item}-${'档'.repeat(100 - 15)}`;
    expect(exactly100).toHaveLength(100);
    expect(parseArchiveCodePattern(exactly100).tokens.has('item')).toBe(true);
  });
});

describe('sequenceKey', () => {
  const pattern = parseArchiveCodePattern(DEFAULT_ARCHIVE_CODE_PATTERN);

  it('differs when any token value differs', () => {
    const base = sequenceKey(pattern, VALUES);
    const variants: ArchiveCodeValues[] = [
      { ...VALUES, fonds: 'J014' },
      { ...VALUES, category: 'JSDD' },
      { ...VALUES, year: 2025 },
      { ...VALUES, retention: 'D10' },
      { ...VALUES, org: 'DYK' },
    ];
    const keys = variants.map((values) => sequenceKey(pattern, values));
    for (const key of keys) expect(key).not.toBe(base);
    expect(new Set(keys).size).toBe(variants.length);
  });

  it('is the same for items that differ only in their number', () => {
    const key = sequenceKey(pattern, VALUES);
    expect(key).toBe('J013-JSLX·2024-D30-JSK-{item}');
    expect(sequenceKey(pattern, { ...VALUES })).toBe(key);
    expect(renderArchiveCode(pattern, VALUES, 1)).not.toBe(renderArchiveCode(pattern, VALUES, 2));
  });

  it('ignores values of tokens the pattern does not use', () => {
    const short = parseArchiveCodePattern('{fonds}-{year}-{item:5}');
    expect(sequenceKey(short, VALUES)).toBe(sequenceKey(short, { ...VALUES, org: 'DYK', category: 'CB' }));
    expect(sequenceKey(short, VALUES)).not.toBe(sequenceKey(short, { ...VALUES, year: 2023 }));
  });
});

describe('injectivity', () => {
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state * 1_664_525 + 1_013_904_223) >>> 0;
      return state / 2 ** 32;
    };
  }

  // Small alphabets and short values make accidental collisions likely if a pattern were ambiguous.
  const patterns = [
    DEFAULT_ARCHIVE_CODE_PATTERN,
    '{fonds}-{year}-{category}-{item:5}',
    'A{fonds}A-{category}-A{org}A·{year}/{retention}.{item:2}B',
    '{category}-{org}--{fonds}-{retention}_{year}#{item:1}',
  ];

  it.each(patterns)('renders distinct values as distinct codes for %s', (source) => {
    const pattern = parseArchiveCodePattern(source);
    const next = random(source.length * 7919);
    const pick = (alphabet: string, min: number, max: number) =>
      Array.from(
        { length: min + Math.floor(next() * (max - min + 1)) },
        () => alphabet[Math.floor(next() * alphabet.length)],
      ).join('');
    const codeToCombo = new Map<string, string>();
    const used = (name: string) => pattern.tokens.has(name as never);
    for (let round = 0; round < 5000; round++) {
      const values: ArchiveCodeValues = {
        fonds: pick('AD1', 4, 4),
        category: pick('AD1Y', 1, 3),
        year: 2000 + Math.floor(next() * 3),
        retention: RETENTION_PERIODS[Math.floor(next() * RETENTION_PERIODS.length)] as string,
        org: pick('AD1Y', 1, 3),
      };
      const item = 1 + Math.floor(next() * 12);
      const combo = JSON.stringify([
        values.fonds,
        used('category') ? values.category : '',
        used('year') ? values.year : 0,
        used('retention') ? values.retention : '',
        used('org') ? values.org : '',
        item,
      ]);
      const code = renderArchiveCode(pattern, values, item);
      const previous = codeToCombo.get(code);
      if (previous !== undefined) expect(previous, `${code} rendered twice`).toBe(combo);
      codeToCombo.set(code, combo);
    }
    expect(codeToCombo.size).toBeGreaterThan(1000);
  });
});

describe('parseArchiveCode', () => {
  it('reads back every value and the item number of codes it rendered', () => {
    for (const source of [
      DEFAULT_ARCHIVE_CODE_PATTERN,
      'YB{fonds}/{year}/{item:3}号',
      '{org}_{fonds}.{item:1}',
    ]) {
      const pattern = parseArchiveCodePattern(source);
      for (const number of [1, 42, 123456]) {
        const parsed = parseArchiveCode(pattern, renderArchiveCode(pattern, VALUES, number));
        expect(parsed?.itemNumber, source).toBe(number);
        for (const token of pattern.tokens)
          if (token !== 'item') expect(parsed?.values[token], `${source} ${token}`).toBe(VALUES[token]);
      }
    }
  });

  it('refuses codes that do not fit the pattern or pad the number differently', () => {
    const pattern = parseArchiveCodePattern(DEFAULT_ARCHIVE_CODE_PATTERN);
    for (const code of [
      'J013-JSLX·2024-D30-JSK-001',
      'J013-JSLX·2024-D30-JSK-00001',
      'J013-JSLX-2024-D30-JSK-0001',
      'J013-JSLX·24-D30-JSK-0001',
      'j013-JSLX·2024-D30-JSK-0001',
      'J013-JSLX·2024-D30-JSK-0001x',
      '',
    ])
      expect(parseArchiveCode(pattern, code), code).toBeUndefined();
  });
});
