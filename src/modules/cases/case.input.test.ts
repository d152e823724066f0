import { describe, expect, it } from 'vitest';
import { amountCents, centsOf, yuan } from './case.input.js';

// Amounts typed by a person (the input rule: at least 0.01 元) against amounts the database stored (a clue
// of 0.00 元 exists by design), so a case from such a clue can still be concluded (review G18).
describe('case amounts', () => {
  it('reads stored amounts as they are, 0.00 included', () => {
    expect(centsOf('0.00')).toBe(0);
    expect(centsOf('1280.50')).toBe(128050);
    expect(centsOf('7.5')).toBe(750);
    expect(centsOf('12')).toBe(1200);
    expect(centsOf(null)).toBe(0);
    expect(yuan(centsOf('1280.50'))).toBe('1280.50');
    expect(() => centsOf('abc')).toThrow();
  });

  it('holds typed amounts to the input rule', () => {
    expect(amountCents('1280.5')).toBe(128050);
    for (const bad of ['0', '0.00', '0.001', '-1', '1e9', 'NaN', ''])
      expect(() => amountCents(bad), bad).toThrow(/追回金额/);
  });
});
