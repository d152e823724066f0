import { afterAll, beforeAll, expect, it } from 'vitest';
import { beijingIsoOf, beijingText } from '../../web/src/app/time.js';

// The console shows Beijing time even in a browser set to another zone (here New York), whatever
// offset the API wrote: +08:00 from most routes, Z from the integrity log.
let zone: string | undefined;
beforeAll(() => {
  zone = process.env.TZ;
  process.env.TZ = 'America/New_York';
});
afterAll(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

it('formats any ISO time as the Beijing wall clock, in a browser zone that is not Beijing', () => {
  expect(new Date('2026-12-07T03:33:05Z').getHours()).toBe(22);
  expect(beijingText('2026-12-07T03:33:05.120Z')).toBe('2026-12-07 11:33:05');
  expect(beijingText('2026-12-07T11:33:05.120+08:00')).toBe('2026-12-07 11:33:05');
  expect(beijingText('2026-12-31T16:00:00Z', 'minute')).toBe('2027-01-01 00:00');
  expect(beijingText('2026-12-31T16:00:00Z', 'day')).toBe('2027-01-01');
  expect(beijingText(null)).toBe('—');
  expect(beijingText(undefined, 'second', '')).toBe('');
  expect(beijingText('not a time')).toBe('not a time');
});

it('reads a time typed in Beijing time back as ISO 8601 with +08:00', () => {
  expect(beijingIsoOf('2026-12-07 11:33:05')).toBe('2026-12-07T11:33:05+08:00');
  expect(beijingIsoOf('2026-12-07 11:33')).toBe('2026-12-07T11:33:00+08:00');
  expect(Date.parse(beijingIsoOf('2026-12-08 00:00:00'))).toBe(Date.parse('2026-12-07T16:00:00Z'));
  expect(beijingIsoOf('2026/12/07 11:33')).toBe('2026-12-07T11:33:00+08:00');
  expect(beijingIsoOf('2026-12-07T03:33:05Z')).toBe('2026-12-07T11:33:05+08:00');
});
