// test-engine: either
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { validId, wrongCheckId } from '../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { buildZip, rowsXml, sheetXml, workbookParts } from '../../test/helpers/xlsx-zip.js';
import { type App, buildApp } from './app.js';

// Batch import over a real socket, as the web console's 导入 page will call it.

let system: TestSystem;
let app: App;
let base: string;
let clerk: TestUser;

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
  clerk = await testUser(system.database.db, { roles: ['clerk'] });
  app = await buildApp({ database: system.database, store: system.store });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const ledger = (rows: string[]) =>
  Buffer.from(['全宗号,类别,机构,题名,日期,责任者,姓名,身份证号,金额,extra.hospital', ...rows].join('\n'));
const row = (name: string, id: string) =>
  `J013,JSLX,JSK,${name} 门诊费用报销审核表,2024-04-01,江宁区医保局,${name},${id},50,江宁医院`;

function upload(content: Buffer, query = '', user: TestUser = clerk) {
  const form = new FormData();
  form.append('file', new Blob([content]), '报销台账.csv');
  return fetch(`${base}/api/v1/imports${query}`, { method: 'POST', body: form, headers: user.headers });
}

describe('POST /api/v1/imports', () => {
  it('answers row by row in JSON, and with the XLSX report when asked', async () => {
    const content = ledger([
      row('甲一', validId('32011519900202001')),
      row('乙二', wrongCheckId('32011519900202002')),
    ]);
    const response = await upload(content);
    expect(response.status).toBe(200);
    const result = (await response.json()) as {
      filed: number;
      rejected: number;
      lines: Array<{ status: string; issues: Array<{ field: string }> }>;
    };
    expect(result).toMatchObject({ filed: 1, rejected: 1 });
    expect(result.lines[1]?.issues[0]?.field).toBe('idNumber');
    const report = await upload(content, '?report=xlsx');
    expect(report.status).toBe(200);
    expect(report.headers.get('content-disposition')).toContain(encodeURIComponent('报销台账.导入报告.xlsx'));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await report.arrayBuffer());
    const reasons: string[] = [];
    workbook.getWorksheet('逐行结果')?.eachRow((line) => reasons.push(String(line.getCell(4).value)));
    expect(reasons).toContain('身份证号');
  });

  it('saves a mapping, lists it, and imports with it by name', async () => {
    const saved = await fetch(`${base}/api/v1/import-mappings/${encodeURIComponent('医保结算')}`, {
      method: 'PUT',
      headers: { ...clerk.headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        columns: { 标题: 'title' },
        defaults: {
          fonds: 'J013',
          category: 'JSLX',
          org: 'JSK',
          date: '2024-06-01',
          responsible: '江宁区医保局',
        },
      }),
    });
    expect(saved.status).toBe(200);
    const list = (await (
      await fetch(`${base}/api/v1/import-mappings`, { headers: clerk.headers })
    ).json()) as {
      mappings: Array<{ name: string }>;
    };
    expect(list.mappings.map((mapping) => mapping.name)).toContain('医保结算');
    const content = Buffer.from(
      `标题,姓名,身份证号,金额,extra.hospital\n丙三 住院结算单,丙三,${validId('32011519900202003')},10,江宁医院\n`,
    );
    const response = await upload(content, `?mapping=${encodeURIComponent('医保结算')}`);
    expect(await response.json()).toMatchObject({ filed: 1, rejected: 0 });
    const bad = await fetch(`${base}/api/v1/import-mappings/x`, {
      method: 'PUT',
      headers: { ...clerk.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ columns: { 标题: 'titel' } }),
    });
    expect(bad.status).toBe(400);
  });

  it('refuses a request without a file, a bad file and a role that may not file', async () => {
    const notMultipart = await fetch(`${base}/api/v1/imports`, {
      method: 'POST',
      headers: { ...clerk.headers, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(notMultipart.status).toBe(400);
    const xls = await upload(Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), Buffer.alloc(64)]));
    expect(xls.status).toBe(400);
    expect(((await xls.json()) as { error: { message: string } }).error.message).toContain('.xls');
    const manager = await testUser(system.database.db, { roles: ['manager'] });
    expect((await upload(ledger([]), '', manager)).status).toBe(403);
  });

  it('keeps answering /health while a 200,000-row XLSX is read, and refuses a zip that lies at once', async () => {
    // Columns no mapping knows: the import stops right after the whole file has been read. Ten
    // numbers a row: two million cells, which the server thread once built in one go.
    const header = rowsXml([
      ['姓名', '身份证号', '备注', '金额', '天数', '科室', '病区', '床号', '医师', '批次'],
    ]);
    const parts = [header];
    for (let line = 2; line <= 200_001; line++) {
      let cells = '';
      for (const column of 'ABCDEFGHIJ') cells += `<c r="${column}${line}"><v>${line}</v></c>`;
      parts.push(`<row r="${line}">${cells}</row>`);
    }
    const pending = upload(buildZip(workbookParts({ data: sheetXml(parts.join('')) })));
    let done = false;
    void pending.finally(() => {
      done = true;
    });
    const latencies: number[] = [];
    while (!done) {
      const started = performance.now();
      const health = await fetch(`${base}/api/v1/health`);
      expect(health.status).toBe(200);
      await health.arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const response = await pending;
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'IMPORT_COLUMNS_MISSING',
    );
    // The read took a while and /health was asked throughout; no answer waited for it.
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(1000);

    const liar = buildZip(
      workbookParts({
        data: `<worksheet><sheetData>${' '.repeat(32 * 1024 * 1024)}</sheetData></worksheet>`,
        declare: { uncompressed: 4096 },
        level: 9,
      }),
    );
    const started = performance.now();
    const refused = await upload(liar);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('IMPORT_UNSAFE');
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
