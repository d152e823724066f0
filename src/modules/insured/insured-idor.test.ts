import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { type App, buildApp } from '../../http/app.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { addFile } from '../storage/file.service.js';

// An insured person cannot reach another person's records by changing any id in a URL, a query string
// or a body. The routes are read from the app's own OpenAPI document, so a route added later is tried
// too: each is called as 参保人 1 twice, once with person 2's ids (档号, copy number, ID number,
// account) everywhere an id can go and once with ids that do not exist. The two answers must be the
// same (an outside id answers as a missing one), and no answer may hold anything of person 2.

const P1 = validId('32011519850312105');
const P2 = validId('32011519900101123');
const NOBODY = validId('32011519700101123');
const P2_NAME = '赵六';
let system: TestSystem;
let app: App;
let insured1: TestUser;
let insured2: TestUser;
let own = '';
let other = '';
let otherUntyped = '';
let otherCopy = { copyNo: '', code: '', digest: '' };

/** Routes not tried, each with why: they end the caller's own sign-in and name no one else. */
const NOT_TRIED: Record<string, string> = {
  'POST /api/v1/auth/logout': 'ends the caller’s own session',
  'POST /api/v1/auth/password': 'changes the caller’s own password',
  'DELETE /api/v1/auth/tokens/{id}': 'revokes a token of the caller’s own (the one the sweep signs in with)',
};

beforeAll(async () => {
  system = await openTestSystem();
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  const filed = await fileItems(
    db,
    [
      reimbursement({ idNumber: P1, name: '张三', title: '张三 报销审核表' }),
      reimbursement({ idNumber: P2, name: P2_NAME, title: `${P2_NAME} 报销审核表` }),
      reimbursement({
        idNumber: P2,
        name: P2_NAME,
        title: `${P2_NAME} 住院结算单`,
        sensitivity: 'sensitive',
      }),
    ],
    'test',
    { access: SYSTEM },
  );
  [own, other, otherUntyped] = filed.map((item) => item.archiveCode) as [string, string, string];
  const pdf = await PDFDocument.create();
  pdf.addPage([200, 200]);
  const content = Buffer.from(await pdf.save());
  for (const code of [own, other])
    await addFile(
      { db, store: system.store, access: SYSTEM },
      code,
      { stream: streamOf(content), fileName: 'a.pdf' },
      'test',
    );
  insured1 = await testUser(db, { roles: ['insured'], scope: [], idNumber: P1, username: 'insured-one' });
  insured2 = await testUser(db, { roles: ['insured'], scope: [], idNumber: P2, username: 'insured-two' });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  const made = await app.inject({
    method: 'POST',
    url: '/api/v1/insured/copies',
    headers: insured2.headers,
    payload: { archiveCode: other, purpose: '办理退休' },
  });
  expect(made.statusCode, made.body).toBe(201);
  otherCopy = made.json() as typeof otherCopy;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

interface Ids {
  code: string;
  copyNo: string;
  idNumber: string;
  username: string;
}

const theirs = (): Ids => ({
  code: other,
  copyNo: otherCopy.copyNo,
  idNumber: P2,
  username: insured2.username,
});
const missing = (): Ids => ({
  code: other.replace(/\d+$/, '9999'),
  copyNo: 'FZ2026-999999',
  idNumber: NOBODY,
  username: 'nobody-here',
});

/** A path parameter filled with an id of the kind its name says. */
function param(name: string, ids: Ids): string {
  if (/archiveCode|^code$|item/i.test(name)) return ids.code;
  if (/copy/i.test(name)) return ids.copyNo;
  if (/user|actor/i.test(name)) return ids.username;
  if (/id(Number)?$/.test(name) && name !== 'id') return ids.idNumber;
  return '1';
}

function request(method: string, path: string, ids: Ids, as: TestUser = insured1) {
  const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(param(name, ids)));
  const query = new URLSearchParams({
    idNumber: ids.idNumber,
    archiveCode: ids.code,
    item: ids.code,
    subject: `item:${ids.code}`,
    actor: ids.username,
    username: ids.username,
    q: ids.idNumber,
    copyNo: ids.copyNo,
  });
  const body = {
    archiveCode: ids.code,
    items: [ids.code],
    idNumber: ids.idNumber,
    username: ids.username,
    copyNo: ids.copyNo,
    fileNumber: 1,
    purpose: '核对本人信息',
  };
  return app.inject({
    method: method as 'GET',
    url: `${url}?${query}`,
    headers: as.headers,
    ...(method === 'GET' ? {} : { payload: body }),
  });
}

/** The answer with the ids typed replaced, so two answers can be compared. */
const plain = (body: string, ids: Ids) =>
  [ids.code, ids.copyNo, ids.idNumber, ids.username].reduce(
    (text, id) => text.split(id).join('<id>').split(encodeURIComponent(id)).join('<id>'),
    body,
  );

async function sweep(as: TestUser): Promise<{ problems: string[]; reached: number }> {
  await app.ready();
  const document = app.swagger() as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path })),
  );
  expect(routes.length).toBeGreaterThan(80);
  expect(routes.map((route) => `${route.method} ${route.path}`)).toEqual(
    expect.arrayContaining(['GET /api/v1/insured/views', 'POST /api/v1/insured/copies']),
  );
  // Person 2's data never typed by the caller: finding any of it in an answer is a leak.
  const markers = [P2, P2_NAME, `${P2_NAME[0]}*`, otherUntyped, otherCopy.code, otherCopy.digest];
  const problems: string[] = [];
  let reached = 0;
  for (const { method, path } of routes) {
    const route = `${method} ${path}`;
    if (route in NOT_TRIED) continue;
    const [one, none] = [
      await request(method, path, theirs(), as),
      await request(method, path, missing(), as),
    ];
    if (one.statusCode < 400) reached += 1;
    if (one.statusCode >= 500) problems.push(`${route}: ${one.statusCode} ${one.body.slice(0, 200)}`);
    for (const marker of markers)
      if (one.body.includes(marker)) problems.push(`${route}: answers “${marker}” of person 2`);
    if (one.statusCode !== none.statusCode)
      problems.push(`${route}: person 2’s ids answer ${one.statusCode}, missing ids ${none.statusCode}`);
    else if (one.statusCode >= 400 && plain(one.body, theirs()) !== plain(none.body, missing()))
      problems.push(
        `${route}: person 2’s ids answer ${one.body.slice(0, 160)} — missing ids ${none.body.slice(0, 160)}`,
      );
  }
  return { problems, reached };
}

it('no route answers a 参保人 with anything of another person, whatever id is changed', async () => {
  const { problems, reached } = await sweep(insured1);
  expect(problems, problems.join('\n')).toEqual([]);
  // The sweep reached the window's routes (not only refusals).
  expect(reached).toBeGreaterThan(5);
}, 120_000);

it('the sweep has teeth: a clerk over every archive is found reaching person 2', async () => {
  const clerk = await testUser(system.database.db, { roles: ['clerk'], username: 'clerk-sweep' });
  const { problems } = await sweep(clerk);
  expect(problems.some((problem) => problem.startsWith('GET /api/v1/items:'))).toBe(true);
  expect(problems.some((problem) => problem.includes('person 2’s ids answer'))).toBe(true);
}, 120_000);

it('the window answers 参保人 1 with their own records only, whatever ids are typed', async () => {
  const views = await request('GET', '/api/v1/insured/views', theirs());
  expect(views.statusCode).toBe(200);
  const archives = await request('GET', '/api/v1/insured/archives', theirs());
  expect(
    (archives.json() as { items: Array<{ archiveCode: string }> }).items.map((item) => item.archiveCode),
  ).toEqual([own]);
  const copies = await request('GET', '/api/v1/insured/copies', theirs());
  expect(copies.json()).toEqual({ copies: [] });
  const content = await request('GET', '/api/v1/insured/copies/{copyNo}/content', theirs());
  expect(content.statusCode).toBe(404);
  const copy = await request('POST', '/api/v1/insured/copies', theirs());
  expect(copy.statusCode).toBe(404);
});
