import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { closeCpuPool } from '../../shared/cpu-pool/cpu-pool.js';
import type { LedgerDocument } from './ledger.document.js';
import { renderLedgerFiles } from './ledger.files.js';
import { renderLedgerPdf } from './ledger.pdf.js';
import { renderLedgerXlsx } from './ledger.xlsx.js';

// A ledger's files rendered on a CPU pool thread are the files rendered in place: the same cells in
// the XLSX, the same text on the same pages of the PDF; and rendering them leaves the server thread free.

afterAll(() => closeCpuPool());

function ledger(rows: number): LedgerDocument {
  const columns = [
    { key: 'name', header: '姓名', width: 6 },
    { key: 'category', header: '人员类别', width: 14 },
    { key: 'settledOn', header: '结算日期', width: 10, kind: 'date' as const },
    { key: 'amount', header: '统筹支付', width: 10, kind: 'money' as const },
  ];
  return {
    title: '医保扶贫待遇享受台账',
    period: '2026年7月1日至2026年7月31日（按结算日期）',
    agency: '测试县医疗保障局',
    cover: [{ label: '人次', value: String(rows) }],
    sections: [
      {
        title: '待遇享受',
        columns,
        rows: Array.from({ length: rows }, (_, n) => ({
          name: `张${n}`,
          category: '脱贫人口（建档立卡）',
          settledOn: '2026-07-15',
          amount: 100 + n / 4,
        })),
        totals: { name: '合计', amount: rows * 100 },
      },
    ],
    madeAt: new Date('2026-08-01T02:00:00Z'),
    madeBy: '王五',
  };
}

async function cells(xlsx: Buffer): Promise<unknown[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(xlsx as unknown as ArrayBuffer);
  return workbook.worksheets.flatMap((sheet) =>
    sheet.getSheetValues().map((row) => (Array.isArray(row) ? [sheet.name, ...row] : [sheet.name])),
  );
}

function pdfText(pdf: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-ledger-'));
  try {
    fs.writeFileSync(path.join(dir, 'l.pdf'), pdf);
    return execFileSync('pdftotext', ['-layout', path.join(dir, 'l.pdf'), '-'], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('ledger files rendered on the pool', () => {
  it('are the files rendered in place', async () => {
    const document = ledger(120);
    const pooled = await renderLedgerFiles(document, ['xlsx', 'pdf']);
    const [xlsx, pdf] = await Promise.all([renderLedgerXlsx(document), renderLedgerPdf(document)]);
    expect(Buffer.isBuffer(pooled.xlsx) && Buffer.isBuffer(pooled.pdf)).toBe(true);
    expect(await cells(pooled.xlsx)).toEqual(await cells(xlsx));
    const text = pdfText(pooled.pdf);
    expect(text).toBe(pdfText(pdf));
    expect(text).toContain('脱贫人口（建档立卡）');
  });

  it('render only the formats asked for', async () => {
    const only = await renderLedgerFiles(ledger(3), ['xlsx']);
    expect(only.pdf.length).toBe(0);
    expect(only.xlsx.length).toBeGreaterThan(0);
  });

  it('leave the server thread free while a large ledger is rendered', async () => {
    const document = ledger(3000);
    await renderLedgerFiles(ledger(1), ['pdf']); // the thread is up
    const stall = async (render: () => Promise<unknown>) => {
      let last = performance.now();
      let longest = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }, 5);
      await render();
      clearInterval(timer);
      return Math.max(longest, performance.now() - last);
    };
    const inline = await stall(() => renderLedgerPdf(document));
    const pooled = await stall(() => renderLedgerFiles(document, ['pdf']));
    expect(inline).toBeGreaterThan(200);
    expect(pooled).toBeLessThan(inline / 3);
  }, 120_000);
});
