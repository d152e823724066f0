// test-engine: either
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { FONDS } from '../../test/helpers/fixtures.js';
import { idOf, rosterEntry, storeRoster } from '../../test/helpers/roster.js';
import { openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { type App, buildApp } from './app.js';

// 医保扶贫 over a real socket: a list reconciled from a multipart upload, its three workbooks, and a
// ledger made, filed and read back through the item's file route; each refused to the wrong roles.

let system: TestSystem;
let app: App;
let base: string;
let clerk: TestUser;
let auditor: TestUser;
let manager: TestUser;
let reviewer: TestUser;

const A = idOf('32011519800101101');
const B = idOf('32011519850202202');

beforeAll(async () => {
  system = await openTestSystem();
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  const assisted = rosterEntry('张三丰', A);
  assisted.statuses = [{ identity: 'poverty', source: '扶贫办', includedOn: '2020-01-01', exitedOn: null }];
  assisted.certificates = [
    { kind: 'hypertension', disease: '高血压', issuedOn: '2021-05-01', revokedOn: null },
  ];
  await storeRoster(db, [assisted, rosterEntry('李娜', B, { enrolled: false })]);
  clerk = await testUser(db, { roles: ['clerk'] });
  auditor = await testUser(db, { roles: ['auditor'] });
  manager = await testUser(db, { roles: ['manager'] });
  reviewer = await testUser(db, { roles: ['reviewer'] });
  app = await buildApp({ database: system.database, store: system.store });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

function upload(content: Buffer, source: string, user: TestUser = clerk) {
  const form = new FormData();
  form.append('file', new Blob([content]), '民政低保名单.csv');
  return fetch(`${base}/api/v1/reconciliations?source=${encodeURIComponent(source)}`, {
    method: 'POST',
    body: form,
    headers: user.headers,
  });
}

const list = Buffer.from(`姓名,身份证号,人员类别\n张三丰,${A},低保\n张三峰,${A},低保\n李娜,${B},低保\n`);

describe('reconciliation over HTTP', () => {
  it('answers the counts and links to its three workbooks', async () => {
    const response = await upload(list, '民政');
    expect(response.status).toBe(200);
    const run = (await response.json()) as {
      runId: number;
      rows: number;
      counts: Record<string, number>;
      followUps: number;
      reports: Array<{ kind: string; href: string }>;
      findings?: unknown;
    };
    expect(run).toMatchObject({ rows: 3, followUps: 1 });
    expect(run.counts).toMatchObject({ matched: 1, duplicate: 0, not_enrolled: 1 });
    expect(run.findings).toBeUndefined();
    expect(JSON.stringify(run)).not.toContain(A);
    const corrections = run.reports.find((report) => report.kind === 'corrections');
    const workbook = await fetch(`${base}${corrections?.href}`, { headers: clerk.headers });
    expect(workbook.status).toBe(200);
    expect(workbook.headers.get('content-disposition')).toContain(encodeURIComponent('返回更正清单'));
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await workbook.arrayBuffer());
    const rows: string[] = [];
    book.getWorksheet('更正清单')?.eachRow((row) => rows.push(String(row.getCell(5).value)));
    expect(rows).toContain('姓名同音字');
    const listed = (await (
      await fetch(`${base}/api/v1/reconciliations`, { headers: clerk.headers })
    ).json()) as {
      runs: Array<{ id: number; source: string }>;
    };
    expect(listed.runs[0]).toMatchObject({ id: run.runId, source: '民政' });
  });

  it('refuses an unknown department, a missing file and a run that does not exist', async () => {
    expect((await upload(list, '教育局')).status).toBe(400);
    const empty = await fetch(`${base}/api/v1/reconciliations?source=${encodeURIComponent('民政')}`, {
      method: 'POST',
      headers: { ...clerk.headers, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(empty.status).toBe(400);
    const missing = await fetch(`${base}/api/v1/reconciliations/99999/summary.xlsx`, {
      headers: clerk.headers,
    });
    expect(missing.status).toBe(404);
  });

  it('is closed to roles without the 医保扶贫 permission', async () => {
    expect((await upload(list, '民政', auditor)).status).toBe(403);
    expect((await upload(list, '民政', manager)).status).toBe(403);
    expect((await fetch(`${base}/api/v1/reconciliations`, { headers: auditor.headers })).status).toBe(403);
  });
});

describe('roster import over HTTP', () => {
  const importRoster = (content: Buffer, query = '', user: TestUser = clerk) => {
    const form = new FormData();
    form.append('file', new Blob([content]), '参保名册.csv');
    return fetch(`${base}/api/v1/roster/imports${query}`, {
      method: 'POST',
      body: form,
      headers: user.headers,
    });
  };
  const C = idOf('32011519900303304');
  const extract = Buffer.from(
    `姓名,身份证号,参保类别,参保时间\n王五,${C},居民,2021-01-01\n赵六,${C.slice(0, 17)},居民,2021-01-01\n`,
  );

  it('counts a dry run, imports, and names refused rows by line without their ID', async () => {
    const dry = await importRoster(extract, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({ dryRun: true, people: { added: 1 } });
    const response = await importRoster(extract);
    const result = (await response.json()) as {
      people: unknown;
      rejected: Array<{ line: number; reasons: string[] }>;
    };
    expect(result.people).toEqual({ added: 1, updated: 0, unchanged: 0 });
    expect(result.rejected).toEqual([{ line: 3, reasons: [expect.stringContaining('身份证号')] }]);
    expect(JSON.stringify(result)).not.toContain(C.slice(0, 14));
    const again = (await (await importRoster(extract)).json()) as { people: unknown };
    expect(again.people).toEqual({ added: 0, updated: 0, unchanged: 1 });
  });

  it('refuses an unreadable file and roles without the 医保扶贫 permission', async () => {
    const bad = await importRoster(Buffer.from('PK\u0003\u0004 not a workbook'));
    expect(bad.status).toBe(400);
    expect((await importRoster(extract, '', auditor)).status).toBe(403);
  });
});

describe('ledgers over HTTP', () => {
  const post = (body: unknown, user: TestUser = clerk, query = '') =>
    fetch(`${base}/api/v1/ledgers${query}`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('makes a 两病台账, files it as a sensitive archive, and hands its maker the PDF', async () => {
    const response = await post({ kind: 'two-disease', asOf: '2026-06-30' });
    expect(response.status).toBe(200);
    const made = (await response.json()) as {
      archiveCode: string;
      cover: Array<{ label: string; value: string }>;
      files: Array<{ fileName: string; href: string }>;
    };
    expect(made.archiveCode).toMatch(/^J013-FPTZ/);
    expect(made.cover).toContainEqual({ label: '办理人数', value: '1 人' });
    // Filed, it holds ID numbers and diagnoses: reading it later needs an approved request.
    const pdf = made.files.find((file) => file.fileName.endsWith('.pdf'));
    expect((await fetch(`${base}${pdf?.href}`, { headers: clerk.headers })).status).toBe(403);
    const direct = await post({ kind: 'two-disease', asOf: '2026-06-30' }, clerk, '?format=pdf');
    expect(direct.status).toBe(200);
    expect(direct.headers.get('content-type')).toBe('application/pdf');
    expect(decodeURIComponent(direct.headers.get('x-archive-code') ?? '')).toMatch(/^J013-FPTZ/);
    expect(
      Buffer.from(await direct.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    const bundled = (await (
      await post({ kind: 'chronic', asOf: '2026-06-30' }, clerk, '?content=true')
    ).json()) as {
      files: Array<{ fileName: string; size: number; contentBase64: string }>;
    };
    // The copies handed back are masked (size is the filed copy's, which holds the ID numbers).
    for (const file of bundled.files) {
      const content = Buffer.from(file.contentBase64, 'base64');
      expect(content.length).toBeGreaterThan(0);
      expect(content.subarray(0, 2).toString()).toBe(file.fileName.endsWith('.pdf') ? '%P' : 'PK');
    }
    expect(made.files.every((file) => !('contentBase64' in file))).toBe(true);
  });

  it('refuses a wrong period and an unknown kind with 400, and other roles with 403', async () => {
    const wrong = await post({ kind: 'dynamic', month: '2026-13' });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toContain('YYYY-MM');
    expect((await post({ kind: 'poverty', asOf: '2026-06-30' })).status).toBe(400);
    expect((await post({ kind: 'chronic', asOf: '2026-06-30' }, auditor)).status).toBe(403);
  });

  const preview = (body: unknown, user: TestUser = clerk, query = '') =>
    fetch(`${base}/api/v1/ledgers/preview${query}`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const ledgersFiled = async () =>
    Number(
      (
        await sql<{
          n: string;
        }>`select count(*) as n from archive_item i join category c on c.id = i.category_id
          where c.code = 'FPTZ'`.execute(system.database.db)
      ).rows[0]?.n,
    );
  const previewEvents = () =>
    system.database.db
      .selectFrom('integrity_event')
      .select(['actor', 'subject', 'payload'])
      .where('action', '=', 'ledger.previewed')
      .orderBy('seq')
      .execute();
  const pdfText = (content: Buffer) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-preview-'));
    try {
      fs.writeFileSync(path.join(dir, 'p.pdf'), content);
      return execFileSync('pdftotext', ['-layout', path.join(dir, 'p.pdf'), '-'], { encoding: 'utf8' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it('previews a ledger without filing it: masked rows, marked files, and the showing logged', async () => {
    const filedBefore = await ledgersFiled();
    const eventsBefore = (await previewEvents()).length;
    const response = await preview({ kind: 'two-disease', asOf: '2026-06-30' });
    expect(response.status).toBe(200);
    const shown = (await response.json()) as {
      preview: boolean;
      digest: string;
      mark: string;
      cover: Array<{ label: string; value: string }>;
      sections: Array<{
        rows: number;
        columns: Array<{ key: string }>;
        sample: Array<Record<string, unknown>>;
      }>;
      files: unknown[];
    };
    expect(shown).toMatchObject({ preview: true, mark: '预览 · 未归档', files: [] });
    expect(shown.digest).toMatch(/^[0-9a-f]{32}$/);
    expect(shown.cover).toContainEqual({ label: '办理人数', value: '1 人' });
    expect(shown.sections[0]?.rows).toBe(1);
    // Masked like every output: the name keeps its first and last character, the ID 6 + 4.
    expect(shown.sections[0]?.sample[0]).toMatchObject({
      name: '张*丰',
      idNumber: `${A.slice(0, 6)}********${A.slice(-4)}`,
    });
    const pdf = await preview({ kind: 'two-disease', asOf: '2026-06-30' }, clerk, '?format=pdf');
    expect(pdf.headers.get('x-ledger-digest')).toBe(shown.digest);
    expect(decodeURIComponent(pdf.headers.get('content-disposition') ?? '')).toContain(
      '两病台账-截至2026-06-30-预览.pdf',
    );
    const text = pdfText(Buffer.from(await pdf.arrayBuffer()));
    expect(text).toContain('【预览 · 未归档】');
    expect(text).not.toContain(A);
    const bundled = (await (
      await preview({ kind: 'two-disease', asOf: '2026-06-30' }, clerk, '?content=true')
    ).json()) as { files: Array<{ fileName: string; contentBase64: string }> };
    const book = new ExcelJS.Workbook();
    const xlsx = bundled.files.find((file) => file.fileName.endsWith('-预览.xlsx'));
    await book.xlsx.load(Buffer.from(xlsx?.contentBase64 ?? '', 'base64') as unknown as ArrayBuffer);
    expect(book.getWorksheet('封面')?.getCell('A2').value).toBe('（预览 · 未归档）');
    // Nothing filed; each showing is an event of its own, with no name or ID number in it.
    expect(await ledgersFiled()).toBe(filedBefore);
    const events = (await previewEvents()).slice(eventsBefore);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ actor: clerk.username, subject: 'ledger:J013' });
    const payload = JSON.parse(String(events[0]?.payload)) as Record<string, unknown>;
    expect(payload).toMatchObject({ kind: 'two-disease', rows: 1, digest: shown.digest, unmasked: false });
    expect(JSON.stringify(events)).not.toContain(A);
  });

  it('files exactly what was previewed, and nothing when the data changed since', async () => {
    const shown = (await (await preview({ kind: 'chronic', asOf: '2026-06-30' })).json()) as {
      digest: string;
    };
    const filed = await post({ kind: 'chronic', asOf: '2026-06-30', previewDigest: shown.digest });
    expect(filed.status).toBe(200);
    expect(((await filed.json()) as { digest: string }).digest).toBe(shown.digest);
    // Another preview, then a certificate is issued before filing: the ledger would differ.
    const before = (await (await preview({ kind: 'two-disease', asOf: '2026-06-30' })).json()) as {
      digest: string;
    };
    await sql`insert into disease_certificate (person_id, kind, disease, issued_on)
      select id, 'diabetes', '糖尿病', '2022-03-01' from insured_person where name = '张三丰'`.execute(
      system.database.db,
    );
    const count = await ledgersFiled();
    const stale = await post({ kind: 'two-disease', asOf: '2026-06-30', previewDigest: before.digest });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'LEDGER_PREVIEW_STALE',
      message: expect.stringContaining('重新预览'),
    });
    // So is a digest of another order.
    expect((await post({ kind: 'chronic', asOf: '2026-06-29', previewDigest: shown.digest })).status).toBe(
      409,
    );
    expect(await ledgersFiled()).toBe(count);
  });

  it('lets a reviewer preview in full with a purpose (logged), but not file; other roles not at all', async () => {
    const full = await preview(
      { kind: 'two-disease', asOf: '2026-06-30', unmask: true, purpose: '核对台账' },
      reviewer,
    );
    expect(full.status).toBe(200);
    const shown = (await full.json()) as { sections: Array<{ sample: Array<Record<string, unknown>> }> };
    expect(shown.sections[0]?.sample[0]).toMatchObject({ name: '张三丰', idNumber: A });
    const [last] = (await previewEvents()).slice(-1);
    expect(JSON.parse(String(last?.payload))).toMatchObject({ unmasked: true, purpose: '核对台账' });
    expect((await preview({ kind: 'two-disease', asOf: '2026-06-30', unmask: true }, reviewer)).status).toBe(
      400,
    );
    expect(
      (await preview({ kind: 'two-disease', asOf: '2026-06-30', unmask: true, purpose: '看看' })).status,
    ).toBe(403);
    expect((await post({ kind: 'two-disease', asOf: '2026-06-30' }, reviewer)).status).toBe(403);
    expect((await preview({ kind: 'two-disease', asOf: '2026-06-30' }, auditor)).status).toBe(403);
    expect((await preview({ kind: 'two-disease', asOf: '2026-06-30', previewDigest: 'x' })).status).toBe(400);
  });
});
