// test-engine: either
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { gbk } from '../../../test/helpers/gbk.js';
import { multipart } from '../../../test/helpers/scope-fixture.js';
import { extractCsv, inpatient, outpatient, personId } from '../../../test/helpers/settlement-extract.js';
import { openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { type App, buildApp } from '../../http/app.js';
import { MAX_EXTRACT_BYTES } from './settlement.import.js';

// 结算数据 over HTTP as a 基金监管人员 imports it: a GBK extract uploaded as multipart with its report
// (JSON and XLSX, no ID number in either), the push API, the imports and the 医保目录; callers
// without fund.import refused; a file past the limit refused with a Chinese message.

let system: TestSystem;
let app: App;
let supervisor: TestUser;
let manager: TestUser;
const PERSON = personId('32011519580808071');

beforeAll(async () => {
  system = await openTestSystem();
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  supervisor = await testUser(system.database.db, { roles: ['supervisor'] });
  manager = await testUser(system.database.db, { roles: ['manager'] });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const upload = (user: TestUser, name: string, content: Buffer, query = '') => {
  const body = multipart(encodeURIComponent(name) === name ? name : 'extract.csv', content);
  return app.inject({
    method: 'POST',
    url: `/api/v1/fund/imports${query}`,
    headers: { ...user.headers, 'content-type': body.contentType },
    payload: body.payload,
  });
};
const get = (user: TestUser, url: string) =>
  app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user.headers });

async function xlsxText(content: Buffer): Promise<string> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(content as unknown as ArrayBuffer);
  const cells: string[] = [];
  book.eachSheet((sheet) => sheet.eachRow((row) => row.eachCell((cell) => cells.push(String(cell.value)))));
  return cells.join('\n');
}

describe('/api/v1/fund', () => {
  it('imports a GBK extract uploaded as multipart and reports each refused row, without the ID number', async () => {
    const text = extractCsv([
      outpatient('H001', { idNumber: PERSON }),
      inpatient('H002', { idNumber: PERSON }),
      outpatient('H003', { idNumber: PERSON, dx: '糖尿病' }),
    ]);
    const response = await upload(supervisor, '一月结算.csv', gbk(text), '?encoding=gbk');
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json();
    expect(report).toMatchObject({ imported: 2, refused: 1, settlements: 3 });
    expect(report.refusedRows[0]).toMatchObject({ serial: 'H003', field: 'primaryDx', code: 'diagnosis' });
    expect(response.body).not.toContain(PERSON);
    const again = await upload(supervisor, '一月结算.csv', gbk(text), '?report=xlsx');
    expect(again.statusCode).toBe(200);
    expect(again.headers['content-type']).toContain('spreadsheetml');
    const sheet = await xlsxText(again.rawPayload);
    expect(sheet).toContain('诊断编码不是ICD-10');
    expect(sheet).not.toContain(PERSON);
    const imports = await get(supervisor, '/fund/imports');
    expect(imports.json().imports[0]).toMatchObject({
      via: 'file',
      totalSettlements: 3,
      imported: 2,
      refused: 1,
    });
    const id = imports.json().imports[0].id;
    const one = await get(supervisor, `/fund/imports/${id}`);
    expect(one.json().report.map((row: { code: string }) => row.code)).toEqual(['diagnosis', 'sibling']);
    const download = await get(supervisor, `/fund/imports/${id}?report=xlsx`);
    expect(await xlsxText(download.rawPayload)).toContain('H003');
    expect((await get(supervisor, '/fund/imports/99999')).json().error.code).toBe('FUND_IMPORT_NOT_FOUND');
  });

  it('reads what was imported: list, one settlement, the 医保目录', async () => {
    const list = await get(manager, `/fund/settlements?idNumber=${PERSON}`);
    expect(
      list
        .json()
        .settlements.map((row: { serial: string }) => row.serial)
        .sort(),
    ).toEqual(['H001', 'H002']);
    expect(list.body).not.toContain(PERSON);
    const one = await get(manager, '/fund/settlements/H002');
    expect(one.json()).toMatchObject({ visitType: '住院', stayDays: 3, lineCount: 7 });
    const items = await get(manager, '/fund/items?q=床位');
    expect(items.json().items.every((item: { name: string }) => item.name.includes('床位'))).toBe(true);
    expect((await get(manager, '/fund/settlements?visitType=急诊')).json().error.code).toBe(
      'FUND_FILTER_INVALID',
    );
  });

  it('pushes JSON batches idempotently; refuses callers without fund.import', async () => {
    const body = {
      settlements: [
        {
          serial: 'H100',
          idNumber: PERSON,
          region: '320115',
          institutionCode: 'H32011500004',
          institutionName: '南京市江宁区东山街道社区卫生服务中心',
          institutionLevel: '一级',
          visitType: '门诊',
          admitDate: '2025-07-01',
          primaryDx: 'M54.500',
          totalCost: 23.5,
          fundPaid: 16.45,
          selfPaid: 7.05,
          settledOn: '2025-07-01',
          lines: [
            { itemCode: '110100001000000', quantity: 1, unitPrice: 10, amount: 10, lineDate: '2025-07-01' },
            {
              itemCode: 'XM01AEB014',
              quantity: 15,
              unitPrice: 0.9,
              amount: 13.5,
              daysSupply: 7,
              lineDate: '2025-07-01',
            },
          ],
        },
      ],
    };
    const push = () =>
      app.inject({
        method: 'POST',
        url: '/api/v1/fund/settlements',
        headers: supervisor.headers,
        payload: body,
      });
    expect((await push()).json()).toMatchObject({ imported: 1, skipped: 0, refused: 0 });
    expect((await push()).json()).toMatchObject({ imported: 0, skipped: 1, refused: 0 });
    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/fund/settlements',
      headers: manager.headers,
      payload: body,
    });
    expect(refused.statusCode).toBe(403);
    const empty = await app.inject({
      method: 'POST',
      url: '/api/v1/fund/settlements',
      headers: supervisor.headers,
      payload: { settlements: [] },
    });
    expect(empty.statusCode).toBe(400);
  });

  it('refuses an upload past the limit with a Chinese message, and an upload without a file', async () => {
    const big = Buffer.alloc(MAX_EXTRACT_BYTES + 1024, 0x41);
    const response = await upload(supervisor, 'big.csv', big);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'IMPORT_TOO_LARGE' });
    expect(response.json().error.message).toContain('MB');
    const none = await app.inject({
      method: 'POST',
      url: '/api/v1/fund/imports',
      headers: { ...supervisor.headers, 'content-type': 'application/json' },
      payload: {},
    });
    expect(none.statusCode).toBe(400);
    expect((await upload(manager, 'x.csv', Buffer.from('a'))).statusCode).toBe(403);
  });
});
