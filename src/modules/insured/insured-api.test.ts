// test-engine: either
import { idOf, rosterEntry, storeRoster } from '../../../test/helpers/roster.js';
import crypto from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { type App, buildApp } from '../../http/app.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { addFile } from '../storage/file.service.js';
import { COPY_CODE_PATTERN, newCopyCode, normaliseCopyCode } from './copy.service.js';

// The insured person's window over HTTP on a real database: their own archives, who looked at them
// (staff reads, an ID-number listing, a file read, an unmasking), a certified copy checked on the
// public page, and that no id typed anywhere reaches another person's records.

const P1 = validId('32011519850312105');
const P2 = validId('32011519900101123');
let system: TestSystem;
let app: App;
let insured1: TestUser;
let insured2: TestUser;
let clerk: TestUser;
let reviewer: TestUser;
const codes = { own: '', ownSensitive: '', other: '' };

async function onePagePdf(): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  pdf.addPage([300, 400]);
  return Buffer.from(await pdf.save());
}

const get = (url: string, user?: TestUser) =>
  app.inject({ method: 'GET', url, headers: user?.headers ?? {} });
const post = (url: string, user: TestUser, payload: object) =>
  app.inject({ method: 'POST', url, headers: user.headers, payload });

beforeAll(async () => {
  system = await openTestSystem();
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  const filed = await fileItems(
    db,
    [
      reimbursement({ idNumber: P1, name: '张三', title: '张三 报销审核表' }),
      reimbursement({ idNumber: P1, name: '张三', title: '张三 慢特病认定表', sensitivity: 'sensitive' }),
      reimbursement({ idNumber: P2, name: '李四', title: '李四 报销审核表' }),
    ],
    'test',
    { access: SYSTEM },
  );
  [codes.own, codes.ownSensitive, codes.other] = filed.map((item) => item.archiveCode) as [
    string,
    string,
    string,
  ];
  const storage = { db, store: system.store, access: SYSTEM };
  for (const code of [codes.own, codes.other])
    await addFile(storage, code, { stream: streamOf(await onePagePdf()), fileName: '审核表.pdf' }, 'test');
  insured1 = await testUser(db, { roles: ['insured'], scope: [], idNumber: P1, username: 'insured-p1' });
  insured2 = await testUser(db, { roles: ['insured'], scope: [], idNumber: P2, username: 'insured-p2' });
  clerk = await testUser(db, { roles: ['clerk'], username: 'clerk-look' });
  reviewer = await testUser(db, { roles: ['reviewer'], username: 'reviewer-look' });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

interface Entry {
  archiveCode: string;
  action: string;
  actionLabel: string;
  agency: string;
  role: string;
  staff: string | null;
  purpose: string | null;
}

describe('谁查看了我的档案', () => {
  it('lists each look at the person’s records: a read, an ID-number look-up, a file read, an unmasking', async () => {
    expect((await get(`/api/v1/items/${encodeURIComponent(codes.own)}`, clerk)).statusCode).toBe(200);
    expect((await get(`/api/v1/items?idNumber=${P1}`, clerk)).statusCode).toBe(200);
    const file = await get(
      `/api/v1/items/${encodeURIComponent(codes.own)}/files/1?purpose=${encodeURIComponent('核对报销')}`,
      clerk,
    );
    expect(file.statusCode).toBe(200);
    const unmasked = await get(
      `/api/v1/items/${encodeURIComponent(codes.own)}?unmask=true&purpose=${encodeURIComponent('复核待遇')}`,
      reviewer,
    );
    expect(unmasked.statusCode, unmasked.body).toBe(200);
    // Someone else's record read: not in person 1's list.
    expect((await get(`/api/v1/items/${encodeURIComponent(codes.other)}`, clerk)).statusCode).toBe(200);

    const response = await get('/api/v1/insured/views', insured1);
    expect(response.statusCode, response.body).toBe(200);
    const { entries, total } = response.json() as { entries: Entry[]; total: number };
    const actions = entries.map((entry) => entry.action).sort();
    expect(actions).toEqual(['file.read', 'item.unmasked', 'item.viewed', 'search.id_lookup']);
    expect(total).toBe(4);
    expect(entries.every((entry) => entry.archiveCode === codes.own)).toBe(true);
    const byAction = new Map(entries.map((entry) => [entry.action, entry]));
    expect(byAction.get('file.read')?.purpose).toBe('核对报销');
    expect(byAction.get('item.unmasked')?.purpose).toBe('复核待遇');
    expect(byAction.get('item.unmasked')?.role).toBe('审核人员');
    expect(byAction.get('search.id_lookup')?.actionLabel).toBe('按身份证号检索到');
    expect(byAction.get('item.viewed')?.role).toBe('经办人员');
    expect(byAction.get('item.viewed')?.agency).toContain(FONDS.name);
    // Not the staff member's name: the policy does not show it.
    expect(entries.every((entry) => entry.staff === null)).toBe(true);
    expect(response.body).not.toContain('clerk-look');
    // Beijing time.
    expect(response.body).toMatch(/"at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00"/);

    const other = (await get('/api/v1/insured/views', insured2)).json() as { entries: Entry[] };
    expect(other.entries.map((entry) => entry.archiveCode)).toEqual([codes.other]);
  });

  it('pages through the looks and filters by Beijing day; bad days and cursors are clear errors', async () => {
    const first = (await get('/api/v1/insured/views?limit=3', insured1)).json() as {
      entries: Entry[];
      nextCursor: string;
    };
    expect(first.entries).toHaveLength(3);
    const rest = (
      await get(`/api/v1/insured/views?limit=3&cursor=${encodeURIComponent(first.nextCursor)}`, insured1)
    ).json() as { entries: Entry[]; nextCursor: string | null };
    expect(rest.entries).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    const future = (await get('/api/v1/insured/views?from=2099-01-01', insured1)).json() as { total: number };
    expect(future.total).toBe(0);
    for (const query of ['from=2026-02-30', 'from=yesterday', 'from=2026-12-02&to=2026-12-01', 'cursor=x'])
      expect((await get(`/api/v1/insured/views?${query}`, insured1)).statusCode, query).toBe(400);
    const error = (await get('/api/v1/insured/views?from=2026-02-30', insured1)).json() as {
      error: { code: string; message: string };
    };
    expect(error.error.code).toBe('INSURED_RANGE_INVALID');
    expect(error.error.message).toMatch(/日期/);
  });

  it('is only for an insured person: staff are refused', async () => {
    const response = await get('/api/v1/insured/views', reviewer);
    expect(response.statusCode).toBe(403);
    expect((response.json() as { error: { code: string } }).error.code).toBe('INSURED_ONLY');
  });
});

describe('本人档案', () => {
  it('lists the person’s own archives, masked, sensitive ones included', async () => {
    const response = await get('/api/v1/insured/archives', insured1);
    expect(response.statusCode, response.body).toBe(200);
    const { items } = response.json() as {
      items: Array<{ archiveCode: string; name: string; idNumber: string }>;
    };
    expect(items.map((item) => item.archiveCode).sort()).toEqual([codes.own, codes.ownSensitive].sort());
    expect(response.body).not.toContain(P1);
    expect(items[0]?.name).toBe('张*');
    // Their own look is not a look at them by someone else.
    const views = (await get('/api/v1/insured/views', insured1)).json() as { total: number };
    expect(views.total).toBe(4);
  });

  it('answers the roster records as empty where the roster does not hold the person', async () => {
    const response = await get('/api/v1/insured/records', insured1);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ enrollments: [], contributions: [], settlements: [], statuses: [] });
  });

  it('answers the person’s own enrollment once the roster holds it, and never another person’s', async () => {
    const db = system.database.db;
    await storeRoster(db, [rosterEntry('张三', P1), rosterEntry('李四', idOf('32011519900101123'))]);
    const response = await get('/api/v1/insured/records', insured1);
    expect(response.statusCode, response.body).toBe(200);
    const records = response.json() as { enrollments: Array<{ scheme: string; startedOn: string }> };
    expect(records.enrollments).toEqual([
      expect.objectContaining({ scheme: 'resident', startedOn: '2018-01-01' }),
    ]);
    expect(response.body).not.toContain(P1);
  });
});

describe('复制件', () => {
  let copy: { copyNo: string; code: string; digest: string; archiveCode: string };

  it('issues a watermarked copy of one’s own archive with a code anyone can check', async () => {
    const response = await post('/api/v1/insured/copies', insured1, {
      archiveCode: codes.own,
      purpose: '办理退休',
    });
    expect(response.statusCode, response.body).toBe(201);
    copy = response.json() as typeof copy;
    expect(copy.copyNo).toMatch(/^FZ\d{4}-\d{6}$/);
    expect(copy.code).toMatch(/^HY(-[0-9A-HJKMNP-TV-Z]{5}){4}$/);
    const content = await get(`/api/v1/insured/copies/${copy.copyNo}/content`, insured1);
    expect(content.statusCode).toBe(200);
    const digest = crypto.createHash('sha256').update(content.rawPayload).digest('hex');
    expect(digest).toBe(copy.digest);
    // The copy is marked: it differs from the stored original and carries the code in its text.
    expect(content.rawPayload.length).toBeGreaterThan((await onePagePdf()).length);

    const check = await get(`/api/v1/copy-checks/${copy.code.toLowerCase()}`);
    expect(check.statusCode, check.body).toBe(200);
    expect(check.json()).toEqual({
      code: copy.code,
      genuine: true,
      archiveCode: codes.own,
      digest: copy.digest,
      digestMatches: null,
      originalDestroyed: false,
      message: expect.stringContaining('核验通过'),
    });
    // Only the 档号, the digest and the verdict: nothing of the person.
    expect(check.body).not.toContain('张');
    const same = (await get(`/api/v1/copy-checks/${copy.code}?digest=${digest}`)).json() as {
      genuine: boolean;
    };
    expect(same.genuine).toBe(true);
    const altered = (await get(`/api/v1/copy-checks/${copy.code}?digest=${'0'.repeat(64)}`)).json() as {
      genuine: boolean;
      digestMatches: boolean;
    };
    expect(altered).toMatchObject({ genuine: false, digestMatches: false });
    const unknown = (await get('/api/v1/copy-checks/HY-00000-00000-00000-00000')).json() as {
      genuine: boolean;
      archiveCode: string | null;
    };
    expect(unknown).toMatchObject({ genuine: false, archiveCode: null });
    const bad = await get('/api/v1/copy-checks/HY-123');
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { error: { code: string } }).error.code).toBe('INSURED_COPY_CODE_INVALID');
  });

  it('lists the request with its state, and the copy is a 复制 event of the log', async () => {
    const response = await get('/api/v1/insured/copies', insured1);
    const { copies } = response.json() as { copies: Array<{ copyNo: string; status: string }> };
    expect(copies).toEqual([expect.objectContaining({ copyNo: copy.copyNo, status: 'issued' })]);
    const events = await system.database.db
      .selectFrom('integrity_event')
      .select(['action', 'actor', 'payload'])
      .where('subject', '=', `insured_copy:${copy.copyNo}`)
      .orderBy('seq')
      .execute();
    expect(events.map((event) => event.action)).toEqual(['insured.copy_requested', 'insured.copy_issued']);
    expect(events.every((event) => event.actor === 'insured-p1')).toBe(true);
    expect(events.map((event) => event.payload).join('')).not.toContain(P1);
  });

  it('refuses another person’s archive as a missing one, an archive without a file clearly, and a short purpose', async () => {
    const missing = codes.other.replace(/\d+$/, '9999');
    const other = await post('/api/v1/insured/copies', insured1, {
      archiveCode: codes.other,
      purpose: '办理退休',
    });
    const none = await post('/api/v1/insured/copies', insured1, {
      archiveCode: missing,
      purpose: '办理退休',
    });
    expect(other.statusCode).toBe(404);
    expect(other.body.replace(codes.other, '<id>')).toBe(none.body.replace(missing, '<id>'));
    const noFile = await post('/api/v1/insured/copies', insured1, {
      archiveCode: codes.ownSensitive,
      purpose: '办理退休',
    });
    expect(noFile.statusCode).toBe(422);
    expect((noFile.json() as { error: { code: string } }).error.code).toBe('INSURED_COPY_NO_FILE');
    const noSuchFile = await post('/api/v1/insured/copies', insured1, {
      archiveCode: codes.own,
      fileNumber: 9,
      purpose: '办理退休',
    });
    expect(noSuchFile.statusCode).toBe(422);
    expect((noSuchFile.json() as { error: { message: string } }).error.message).toContain('第 9 号');
    const short = await post('/api/v1/insured/copies', insured1, { archiveCode: codes.own, purpose: ' ' });
    expect(short.statusCode).toBe(400);
    const withId = await post('/api/v1/insured/copies', insured1, {
      archiveCode: codes.own,
      purpose: `核对${P2}`,
    });
    expect(withId.statusCode).toBe(400);
    // Another person's copy number answers as a missing one.
    const theirs = await get(`/api/v1/insured/copies/${copy.copyNo}/content`, insured2);
    const nothing = await get('/api/v1/insured/copies/FZ2026-999999/content', insured2);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.body.replace(copy.copyNo, '<id>')).toBe(nothing.body.replace('FZ2026-999999', '<id>'));
  });
});

describe('核验码', () => {
  it('reads a code as people type it and refuses what cannot be one', () => {
    const code = newCopyCode();
    expect(code).toMatch(COPY_CODE_PATTERN);
    expect(normaliseCopyCode(code.toLowerCase())).toBe(code);
    expect(normaliseCopyCode(` ${code.replaceAll('-', ' ')} `)).toBe(code);
    expect(normaliseCopyCode(code.replaceAll('-', '').replace(/^HY/, 'hy'))).toBe(code);
    expect(normaliseCopyCode('HY-O0000-I1111-L2222-33333')).toBe('HY-00000-11111-12222-33333');
    expect(normaliseCopyCode('ＨＹ－００００Ａ－００００Ｂ－００００Ｃ－００００Ｄ')).toBe(
      'HY-0000A-0000B-0000C-0000D',
    );
    for (const bad of ['', 'HY-123', 'YD-0000-0000-00', 'HY-UUUUU-00000-00000-00000'])
      expect(() => normaliseCopyCode(bad), bad).toThrow(/核验码格式不正确/);
    expect(new Set(Array.from({ length: 200 }, newCopyCode)).size).toBe(200);
  });
});
