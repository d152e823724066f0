import { afterEach, describe, expect, it, vi } from 'vitest';
import { printJson, printRawJson, printTable } from './context.js';

// What a command prints for people: every UTC time reaches the terminal as Beijing time.

function captured(print: () => void): string {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    print();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

afterEach(() => vi.restoreAllMocks());

describe('CLI output times', () => {
  it('shows a UTC time in a table as the Beijing wall clock, without Z', () => {
    const out = captured(() =>
      printTable(
        ['序号', '时间', '备注'],
        [
          [1, '2026-12-07T03:33:05.120Z', '2026-12-07'],
          [2, '2026-12-31T16:00:00.000Z', null],
        ],
      ),
    );
    expect(out).toContain('2026-12-07 11:33:05');
    expect(out).toContain('2027-01-01 00:00:00');
    expect(out).toContain('2026-12-07\n');
    expect(out).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/);
  });

  it('writes times in JSON for people with +08:00, nested and from Dates', () => {
    const out = captured(() =>
      printJson({
        requests: [{ expiresAt: '2026-12-07T03:33:05.120Z', decidedAt: null }],
        recordedAt: new Date('2026-12-07T16:00:00Z'),
      }),
    );
    expect(JSON.parse(out)).toEqual({
      requests: [{ expiresAt: '2026-12-07T11:33:05+08:00', decidedAt: null }],
      recordedAt: '2026-12-08T00:00:00+08:00',
    });
    expect(out).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/);
  });

  it('leaves a proof document exactly as hashed', () => {
    const proof = { entry: { recordedAt: '2026-12-07T03:33:05.120Z' } };
    expect(JSON.parse(captured(() => printRawJson(proof)))).toEqual(proof);
  });
});
