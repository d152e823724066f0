import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { loadRosterDemo, ROSTER_REFERENCE_DATE } from '../demo/roster.js';
import { buildLedger, type LedgerPeriod } from './ledger.data.js';
import type { LedgerDocument } from './ledger.document.js';
import { maskDocument } from './ledger.mask.js';
import { renderLedgerPdf } from './ledger.pdf.js';
import { cellText } from './ledger.xlsx.js';
import type { LedgerKind } from './ledger-category.js';
import { IDENTITY_NAMES } from './reconcile.findings.js';

// The printed ledgers read back as a reviewer reads them: every date, amount, ID number and code a
// ledger holds is found whole in the text pdftotext takes out of its PDF, and every bracketed label
// (脱贫人口（建档立卡）'s （建档立卡）) too. A cell that broke 2025-06-29 over two lines would leave
// 2025-06-2 and 9 in the text, one 2025-06-29 short.

let database: TestDatabase;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-tokens-'));

beforeAll(async () => {
  database = await openTestDatabase();
  await loadRosterDemo(
    database.db,
    { people: 1500, seed: 'pdf-tokens', regionCode: '320115', referenceDate: ROSTER_REFERENCE_DATE },
    'test',
  );
}, 120_000);
afterAll(async () => {
  await database?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs of digits and Latin letters with the marks inside them: what must never be split. */
const WORDS = /[0-9A-Za-z*＊]+(?:[-.,:/+_~'@#&·][0-9A-Za-z*＊]+)*%?/g;
const BRACKETED = /[（(【〔][^（）()【】〔〕]{1,10}[）)】〕]/g;

function tally(texts: Iterable<string>, pattern: RegExp): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts)
    for (const match of text.matchAll(pattern)) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1);
  return counts;
}

/** Every text the PDF prints from the document: cover values and each cell as formatted. */
function printed(document: LedgerDocument): string[] {
  const texts = document.cover.flatMap((line) => [line.label, line.value]);
  for (const section of document.sections)
    for (const row of [...section.rows, ...(section.totals ? [section.totals] : [])])
      for (const column of section.columns) texts.push(cellText(row[column.key], column.kind));
  return texts;
}

function pdfText(content: Buffer, name: string): string {
  const file = path.join(dir, `${name}.pdf`);
  fs.writeFileSync(file, content);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8', maxBuffer: 256 << 20 });
}

/** Tokens the document holds more often than the PDF's text shows them whole. */
function split(document: LedgerDocument, text: string): string[] {
  const lines = text.split('\n');
  const problems: string[] = [];
  for (const pattern of [WORDS, BRACKETED]) {
    const inPdf = tally(lines, pattern);
    for (const [token, count] of tally(printed(document), pattern))
      if ((inPdf.get(token) ?? 0) < count)
        problems.push(`${token}: ${count} in the ledger, ${inPdf.get(token) ?? 0} whole in the PDF`);
  }
  return problems;
}

const ORDERS: Array<[LedgerKind, LedgerPeriod]> = [
  ['benefits', { from: '2025-07-01', to: '2026-06-30' }],
  ['enrollment', { asOf: '2026-06-30' }],
  ['dynamic', { month: '2026-03' }],
  ['chronic', { asOf: '2026-06-30' }],
  ['two-disease', { asOf: '2026-06-30' }],
];

describe('the printed ledgers split no date, number, code or bracketed label', () => {
  it.each(ORDERS)(
    '%s, in full and masked',
    async (kind, period) => {
      const document = await buildLedger(database.db, {
        kind,
        period,
        agency: '南京市江宁区医疗保障局',
        madeBy: '张科员',
        madeAt: new Date('2026-07-05T09:30:00+08:00'),
        regions: null,
      });
      const rows = document.sections.reduce((sum, section) => sum + section.rows.length, 0);
      expect(rows).toBeGreaterThan(0);
      for (const [variant, shown] of [
        ['full', document],
        ['masked', maskDocument(document)],
      ] as const) {
        const text = pdfText(await renderLedgerPdf(shown), `${kind}-${variant}`);
        expect(split(shown, text), `${kind} ${variant}`).toEqual([]);
        // The labels the ledgers print for each identity, whole (the cover counts them per identity).
        if (kind === 'enrollment')
          for (const label of Object.values(IDENTITY_NAMES)) expect(text).toContain(label);
      }
      if (kind === 'benefits') {
        // The case a reviewer reported: a visit spanning two days, in a column narrower than the span.
        const spans = document.sections[0]?.rows.filter((row) => String(row.visit).includes('至')) ?? [];
        expect(spans.length).toBeGreaterThan(0);
      }
    },
    120_000,
  );

  it('holds in columns far too narrow for their text: smaller type, then breaks between Chinese characters', async () => {
    const labels = Object.values(IDENTITY_NAMES);
    const document: LedgerDocument = {
      title: '窄列测试',
      period: '截至 2026年6月30日',
      agency: '示例医疗保障局',
      madeAt: new Date('2026-07-05T09:30:00+08:00'),
      madeBy: '张科员',
      cover: [{ label: '统计期间（按结算日期）', value: '2025年7月1日至2026年6月30日' }],
      sections: [
        {
          title: '窄列',
          columns: [
            { key: 'identity', header: '人员类别', width: 3 },
            { key: 'visit', header: '就诊时间', width: 4 },
            { key: 'amount', header: '金额', width: 3, kind: 'money' },
            { key: 'payment', header: '缴费情况', width: 6 },
            { key: 'code', header: '档号', width: 8 },
            { key: 'rest', header: '其余', width: 38 },
          ],
          rows: Array.from({ length: 40 }, (_, index) => ({
            identity: labels[index % labels.length] as string,
            visit: `2025-06-${String(20 + (index % 10)).padStart(2, '0')}至2025-07-0${(index % 9) + 1}`,
            amount: 123_456.78 + index,
            payment: `已缴 2026-03-${String((index % 28) + 1).padStart(2, '0')}（1,200.00 元，资助 600.00 元）`,
            code: `J013-FPTZ·2026-D30-FP-${String(index + 1).padStart(4, '0')}`,
            rest: '',
          })),
        },
      ],
    };
    const text = pdfText(await renderLedgerPdf(document), 'narrow');
    const problems = split(document, text);
    // Brackets too wide for a column even at the smallest type may break inside, never off their text.
    expect(problems.filter((problem) => !/^[（(【〔]/.test(problem))).toEqual([]);
    expect(text).not.toMatch(/^\s*[）)】〕]/m);
  });
});
