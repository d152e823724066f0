import { describe, expect, it } from 'vitest';
import { compileQuery, provenTerms } from './query.js';
import { matchShareBound, splitRarest, type TermStats } from './selectivity.js';

// Bounds from the planner's statistics decide whether a query may skip the sample, and which of its
// words the word index reads. A wrong bound costs speed only, but a wrong split would change results:
// the parts must AND back to the same query.

const stats: TermStats = {
  shares: new Map([
    ['医院', 0.19],
    ['公司', 0.2],
    ['有限', 0.2],
    ['北京', 0.014],
    ['协和', 0.0047],
    ['门诊', 0.36],
    ["it's", 0.05],
  ]),
  floor: 0.003,
};

describe('the bound on matches', () => {
  it('takes the least of an AND, the sum of an OR, and the floor for an unlisted word', () => {
    expect(matchShareBound("'北京' & '协和' & '医院'", stats)).toEqual({ share: 0.0047, unlisted: false });
    expect(matchShareBound("('北京' | '协和')", stats).share).toBeCloseTo(0.0187);
    expect(matchShareBound("'德润' & '医院'", stats)).toEqual({ share: 0.003, unlisted: false });
    expect(matchShareBound("('nf:王英婷' | 'py:wan-yin-tin')", stats)).toEqual({
      share: 0.006,
      unlisted: true,
    });
  });

  it('knows no bound for a prefix, a NOT alone or text it cannot read', () => {
    expect(matchShareBound("'药':*", stats).share).toBe(1);
    expect(matchShareBound("!'医院'", stats).share).toBe(1);
    expect(matchShareBound("'门诊' & !'医院'", stats).share).toBe(0.36);
    expect(matchShareBound("'unclosed", stats).share).toBe(1);
    expect(matchShareBound("'a' 'b'", stats).share).toBe(1);
  });

  it('reads escaped quotes and backslashes inside a lexeme', () => {
    expect(matchShareBound("'it''s' & '门诊'", stats).share).toBe(0.05);
    expect(matchShareBound("'it\\'s'", stats).share).toBe(0.05);
  });

  it('bounds a compiled name query by adding up its variants', () => {
    const query = compileQuery('姓名:王国婷').indexQuery as string;
    const bound = matchShareBound(query, stats);
    expect(bound.unlisted).toBe(true);
    expect(bound.share).toBeCloseTo(0.003 * query.split('|').length);
  });
});

describe('terms a phrase check proves', () => {
  it('counts the pairs of Han phrases an item must hold, and nothing under OR or NOT', () => {
    const proven = (query: string) => [...provenTerms(compileQuery(query).exact)];
    expect(proven('北京协和医院')).toEqual(["'北京'", "'京协'", "'协和'", "'和医'", "'医院'"]);
    expect(proven('题名:审核表')).toEqual(["'审核':A", "'核表':A"]);
    // abc found in a title may be part of abcd: the word itself is not proven.
    expect(proven('题名:abc')).toEqual([]);
    expect(proven('北京协和医院 OR 门诊')).toEqual([]);
    expect(proven('门诊 -北京协和医院')).toEqual([]);
  });
});

describe('splitting an AND by rarity', () => {
  it('leaves the rare words to the index and checks the common ones per row', () => {
    expect(splitRarest("('北京' & '协和' & '医院')", stats)).toEqual({
      indexed: "'协和'",
      checked: "'北京' & '医院'",
    });
    expect(splitRarest("('江宁' & '德润' & '有限' & '公司') & 'c:12'", stats)).toEqual({
      indexed: "'江宁' & '德润' & 'c:12'",
      checked: "'有限' & '公司'",
    });
  });

  it('drops the common words a phrase check proves, and checks the rest per row', () => {
    const proven = new Set(["'北京'", "'协和'", "'医院'"]);
    expect(splitRarest("('北京' & '协和' & '医院')", stats, proven)).toEqual({
      indexed: "'协和'",
      checked: null,
    });
    expect(splitRarest("('北京' & '协和' & '医院') & '门诊'", stats, proven)).toEqual({
      indexed: "'协和'",
      checked: "'门诊'",
    });
    // What the index reads is never dropped, proven or not.
    expect(splitRarest("'门诊' & '医院'", stats, proven)).toEqual({
      indexed: "'门诊' & '医院'",
      checked: null,
    });
  });

  it('keeps groups whole and leaves a query alone when nothing is much commoner', () => {
    expect(splitRarest("('北京' | '协和') & '门诊'", stats)).toEqual({
      indexed: "('北京' | '协和')",
      checked: "'门诊'",
    });
    expect(splitRarest("'门诊' & '医院'", stats)).toEqual({ indexed: "'门诊' & '医院'", checked: null });
    expect(splitRarest("'门诊'", stats)).toEqual({ indexed: "'门诊'", checked: null });
    expect(splitRarest('not a query', stats)).toEqual({ indexed: 'not a query', checked: null });
  });
});
