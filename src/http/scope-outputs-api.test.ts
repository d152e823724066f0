// test-engine: either
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { FONDS, reimbursement } from '../../test/helpers/fixtures.js';
import { clearIdNumbers } from '../../test/helpers/leak-scan.js';
import { idOf, rosterEntry, storeRoster } from '../../test/helpers/roster.js';
import { openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { type App, buildApp } from './app.js';

// Every generated output as a scoped clerk without the right to unmask sees it (issue 21): a ledger,
// the reconciliation workbooks, the event log, a withheld item. Each holds only in-scope people and
// no ID number in the clear (checked in the bytes of the XLSX sheets and the text of the PDF); another
// user's reconciliation run answers like a missing one; an archivist of one fonds sees none of
// another fonds' events.

let system: TestSystem;
let app: App;
let base: string;
let clerk: TestUser;
let otherClerk: TestUser;
let archivist: TestUser;
let archivistB: TestUser;
let auditor: TestUser;

const OTHER_FONDS = { code: 'J014', name: '南京市溧水区医疗保障局', regionCode: '320117' };
const A = idOf('32011519800101101');
const B = idOf('32011519850202202');
/** Registered in 320117, outside the clerk's region. */
const C = idOf('32011719700303303');
const J013_ONLY = [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }];

/** Every run of 17 digits and a check character that is right: an ID number in the clear. */
// The leak scanner's detector: a valid check character alone matches one random 18-digit run in
// eleven (a digest's digits did, once); a real birth date as well makes a false alarm rare.
const clearIds = clearIdNumbers;

/** The text of every part of an XLSX (shared strings, sheets), as stored. */
function xlsxText(content: Buffer): string {
  return Object.values(unzipSync(new Uint8Array(content)))
    .map((part) => Buffer.from(part).toString('utf8'))
    .join('\n');
}

function pdfText(content: Buffer): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-scope-')), 'ledger.pdf');
  fs.writeFileSync(file, content);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

beforeAll(async () => {
  system = await openTestSystem();
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  await createFonds(db, OTHER_FONDS, 'test');
  const people = [rosterEntry('张三丰', A), rosterEntry('李四光', B), rosterEntry('王五岳', C)];
  for (const person of people)
    person.statuses = [{ identity: 'poverty', source: '扶贫办', includedOn: '2020-01-01', exitedOn: null }];
  await storeRoster(db, people);
  clerk = await testUser(db, { roles: ['clerk'], scope: J013_ONLY });
  otherClerk = await testUser(db, { roles: ['clerk'], scope: J013_ONLY });
  archivist = await testUser(db, { roles: ['archivist'], scope: J013_ONLY });
  archivistB = await testUser(db, {
    roles: ['archivist'],
    scope: [{ fondsCode: 'J014', regionCode: null, categoryCode: null }],
  });
  auditor = await testUser(db, { roles: ['auditor'] });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const send = (user: TestUser, method: string, url: string, body?: unknown) =>
  fetch(`${base}/api/v1${url}`, {
    method,
    headers: { ...user.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('a ledger', () => {
  const order = { kind: 'enrollment', asOf: '2026-06-30', fonds: 'J013' };

  it('lists only the people of the clerk’s region, masked, in the XLSX and the PDF handed back', async () => {
    for (const format of ['xlsx', 'pdf'] as const) {
      const response = await send(clerk, 'POST', `/ledgers?format=${format}`, order);
      expect(response.status).toBe(200);
      const content = Buffer.from(await response.arrayBuffer());
      const text = format === 'xlsx' ? xlsxText(content) : pdfText(content);
      expect(clearIds(text)).toEqual([]);
      for (const secret of ['张三丰', '李四光', '王五岳', '王*岳', `${C.slice(0, 6)}********`]) {
        expect(text, secret).not.toContain(secret);
      }
      // The two in 320115 are there, masked; the one in 320117 is not.
      expect(text).toContain('张*丰');
      expect(text).toContain(`${A.slice(0, 6)}********${A.slice(-4)}`);
    }
    const json = (await (await send(clerk, 'POST', '/ledgers?content=true', order)).json()) as {
      cover: Array<{ label: string; value: string }>;
      files: Array<{ fileName: string; contentBase64: string }>;
    };
    expect(json.cover).toContainEqual({ label: '在册人数', value: '2 人' });
    for (const file of json.files) {
      const content = Buffer.from(file.contentBase64, 'base64');
      const text = file.fileName.endsWith('.pdf') ? pdfText(content) : xlsxText(content);
      expect(clearIds(text), file.fileName).toEqual([]);
    }
  });

  it('answers a fonds outside the scope exactly like one that does not exist', async () => {
    const outside = await send(clerk, 'POST', '/ledgers', { ...order, fonds: 'J014' });
    const missing = await send(clerk, 'POST', '/ledgers', { ...order, fonds: 'J099' });
    expect(outside.status).toBe(400);
    const message = (body: unknown) => (body as { error: { code: string; message: string } }).error;
    expect(message(await outside.json())).toEqual({
      ...message(await missing.json()),
      message: '全宗“J014”不存在',
    });
  });

  it('is handed in full only to someone who may unmask and asks to, with a purpose', async () => {
    const refused = await send(clerk, 'POST', '/ledgers?format=xlsx', {
      ...order,
      unmask: true,
      purpose: '核对',
    });
    expect(refused.status).toBe(403);
    const noPurpose = await send(archivist, 'POST', '/ledgers?format=xlsx', { ...order, unmask: true });
    expect(noPurpose.status).toBe(400);
    const full = await send(archivist, 'POST', '/ledgers?format=xlsx', {
      ...order,
      unmask: true,
      purpose: '向扶贫办报送',
    });
    expect(full.status).toBe(200);
    const text = xlsxText(Buffer.from(await full.arrayBuffer()));
    expect(clearIds(text).sort()).toEqual([A, B].sort());
    expect(text).not.toContain(C);
    const code = decodeURIComponent(full.headers.get('x-archive-code') ?? '');
    const events = await system.database.db
      .selectFrom('integrity_event')
      .select(['actor', 'payload'])
      .where('action', '=', 'item.unmasked')
      .where('subject', '=', `item:${code}`)
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]?.actor).toBe(archivist.username);
    expect(events[0]?.payload).toContain('向扶贫办报送');
  });
});

describe('reconciliation', () => {
  const list = Buffer.from(`姓名,身份证号,人员类别\n张三丰,${A},低保\n张三峰,${A},低保\n王五岳,${C},低保\n`);
  let runId: number;

  it('checks only rows of the clerk’s regions and hands back masked workbooks', async () => {
    const form = new FormData();
    form.append('file', new Blob([list]), '民政低保名单.csv');
    const response = await fetch(`${base}/api/v1/reconciliations?source=${encodeURIComponent('民政')}`, {
      method: 'POST',
      body: form,
      headers: clerk.headers,
    });
    expect(response.status).toBe(200);
    const run = (await response.json()) as { runId: number; counts: Record<string, number> };
    runId = run.runId;
    expect(run.counts).toMatchObject({ matched: 1, name_homophone: 1, out_of_scope: 1, not_in_roster: 0 });
    for (const report of ['corrections', 'follow-ups', 'summary']) {
      const workbook = await send(clerk, 'GET', `/reconciliations/${runId}/${report}.xlsx`);
      expect(workbook.status).toBe(200);
      const text = xlsxText(Buffer.from(await workbook.arrayBuffer()));
      expect(clearIds(text), report).toEqual([]);
      expect(text).not.toContain('张三丰');
    }
  });

  it('answers another user’s run exactly like a missing one, and lists only one’s own runs', async () => {
    for (const user of [otherClerk, archivist]) {
      const other = await send(
        user,
        'GET',
        `/reconciliations/${runId}/corrections.xlsx?unmask=true&purpose=x`,
      );
      const missing = await send(user, 'GET', `/reconciliations/${runId + 1000}/corrections.xlsx`);
      expect(other.status).toBe(404);
      const error = ((await other.json()) as { error: { code: string; message: string } }).error;
      const missingError = ((await missing.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe(missingError.code);
      expect(error.message).toBe(`第 ${runId} 次核对不存在`);
      const runs = (await (await send(user, 'GET', '/reconciliations')).json()) as {
        runs: Array<{ id: number }>;
      };
      expect(runs.runs.map((entry) => entry.id)).not.toContain(runId);
    }
    const own = (await (await send(clerk, 'GET', '/reconciliations')).json()) as {
      runs: Array<{ id: number }>;
    };
    expect(own.runs.map((entry) => entry.id)).toContain(runId);
  });
});

describe('the event log', () => {
  let codeA: string;
  let codeB: string;

  beforeAll(async () => {
    const fileAs = async (user: TestUser, overrides: Record<string, unknown>) => {
      const response = await send(user, 'POST', '/items', reimbursement(overrides));
      expect(response.status, await response.clone().text()).toBe(201);
      return ((await response.json()) as { archiveCode: string }).archiveCode;
    };
    codeA = await fileAs(archivist, { title: '江宁区报销审核表' });
    codeB = await fileAs(archivistB, {
      fonds: 'J014',
      poolingRegion: '320117',
      responsible: OTHER_FONDS.name,
      title: '溧水区报销审核表',
    });
  });

  const events = async (user: TestUser, query = '') => {
    const response = await send(user, 'GET', `/integrity/events?limit=1000${query}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { events: Array<{ seq: number; subject: string; actor: string }> })
      .events;
  };

  it('shows an archivist of one fonds none of another fonds’ events, nor accounts', async () => {
    const seenByB = await events(archivistB);
    expect(seenByB.some((event) => event.subject === `item:${codeB}`)).toBe(true);
    expect(seenByB.some((event) => event.subject.includes(codeA))).toBe(false);
    expect(
      seenByB.some((event) => event.subject.startsWith('user:') && event.actor !== archivistB.username),
    ).toBe(false);
    expect(seenByB.some((event) => event.subject.startsWith('reconciliation:'))).toBe(false);
    expect(await events(archivistB, `&subject=${encodeURIComponent(`item:${codeA}`)}`)).toEqual([]);
    const seenByA = await events(archivist);
    expect(seenByA.some((event) => event.subject === `item:${codeA}`)).toBe(true);
    expect(seenByA.some((event) => event.subject.includes(codeB))).toBe(false);
  });

  it('proves an event only to whom it is visible; another fonds’ answers like a missing one', async () => {
    const [eventA] = await events(archivist, `&subject=${encodeURIComponent(`item:${codeA}`)}`);
    expect((await send(archivist, 'GET', `/integrity/events/${eventA?.seq}/proof`)).status).toBe(200);
    const hidden = await send(archivistB, 'GET', `/integrity/events/${eventA?.seq}/proof`);
    expect(hidden.status).toBe(404);
    expect(((await hidden.json()) as { error: { message: string } }).error.message).toBe(
      `事件 #${eventA?.seq} 不存在`,
    );
  });

  it('shows the 安全审计员 the whole log, with no ID number in the clear', async () => {
    const all = await events(auditor);
    const subjects = all.map((event) => event.subject);
    expect(subjects).toContain(`item:${codeA}`);
    expect(subjects).toContain(`item:${codeB}`);
    expect(clearIds(JSON.stringify(all))).toEqual([]);
  });
});

describe('a withheld item', () => {
  it('carries its 档号 and the withheld flag, nothing that could name what it holds', async () => {
    const sensitive = await send(archivist, 'POST', '/items', {
      ...reimbursement({
        title: '艾滋病门诊治疗费用报销',
        businessType: '门诊特殊病',
        sensitivity: 'sensitive',
      }),
    });
    expect(sensitive.status).toBe(201);
    const code = ((await sensitive.json()) as { archiveCode: string }).archiveCode;
    const listed = (await (
      await send(clerk, 'GET', `/items?idNumber=${reimbursement().idNumber}`)
    ).json()) as {
      items: Array<Record<string, unknown>>;
    };
    const entry = listed.items.find((item) => item.archiveCode === code);
    expect(entry).toMatchObject({ withheld: true, categoryName: '', sensitivity: '', businessType: null });
    const text = JSON.stringify(entry);
    for (const secret of ['艾滋病', '门诊特殊病', 'sensitive', '敏感', '报销'])
      expect(text).not.toContain(secret);
    const shown = await send(clerk, 'GET', `/items/${encodeURIComponent(code)}`);
    expect(shown.status).toBe(403);
    expect(await shown.text()).not.toMatch(/敏感|限制|艾滋病/);
  });
});
