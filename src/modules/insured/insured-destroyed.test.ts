import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { account, roundDeciding } from '../../../test/helpers/destruction.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { type App, buildApp } from '../../http/app.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { carryOut } from '../disposition/destruction.carry.js';
import { drawRegister } from '../disposition/destruction.draw.js';
import { approveRegister, carryOutRegister, signRegister } from '../disposition/destruction.service.js';
import { addFile } from '../storage/file.service.js';
import { verifyAll } from '../verify/verify.service.js';

// The insured person's own window once one of their archives was destroyed under a 销毁清册: the
// archive is listed as 已销毁 with the register and the date (the register's masked 题名, no
// content); their certified copy of it says its original was destroyed and cannot be downloaded;
// the public 核验 still finds the copy genuine and says the original was destroyed. Another person
// sees none of it.

const PERSON = validId('32011519620514201');
const OTHER = validId('32011519620514202');
let system: TestSystem;
let app: App;
let insured: TestUser;
let other: TestUser;
let kept = '';
let destroyed = '';
let register = '';
let copy = { copyNo: '', code: '' };

const db = () => system.database.db;
const get = (url: string, user?: TestUser) =>
  app.inject({ method: 'GET', url, ...(user ? { headers: user.headers } : {}) });

beforeAll(async () => {
  system = await openTestSystem();
  await createFonds(db(), FONDS, 'test');
  const old = { date: '1990-03-15', handledAt: '1990-03-15T10:00:00+08:00', retention: 'D30' };
  const filed = await fileItems(
    db(),
    [
      reimbursement({ idNumber: PERSON, name: '赵六', title: '赵六 住院费用报销审核表', ...old }),
      reimbursement({ idNumber: PERSON, name: '赵六', title: '赵六 门诊报销审核表' }),
    ],
    'test',
    { access: SYSTEM },
  );
  destroyed = filed[0]?.archiveCode ?? '';
  kept = filed[1]?.archiveCode ?? '';
  const pdf = await PDFDocument.create();
  pdf.addPage([300, 400]);
  await addFile(
    { db: db(), store: system.store, access: SYSTEM },
    destroyed,
    { stream: streamOf(Buffer.from(await pdf.save())), fileName: '审核表.pdf' },
    'test',
  );
  insured = await testUser(db(), { roles: ['insured'], scope: [], idNumber: PERSON, username: 'zhao-liu' });
  other = await testUser(db(), { roles: ['insured'], scope: [], idNumber: OTHER, username: 'someone-else' });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  const requested = await app.inject({
    method: 'POST',
    url: '/api/v1/insured/copies',
    headers: insured.headers,
    payload: { archiveCode: destroyed, purpose: '办理退休' },
  });
  expect(requested.statusCode, requested.body).toBe(201);
  copy = requested.json() as typeof copy;

  const drawer = await account(db(), 'drawer', ['archivist']);
  const lead = await account(db(), 'lead', ['reviewer']);
  const approver = await account(db(), 'approver', ['manager']);
  const witnessA = await account(db(), 'witness', ['reviewer']);
  const witnessB = await account(db(), 'witness', ['archivist']);
  const round = await roundDeciding(db(), [destroyed], { lead: lead.username, members: [drawer.username] });
  ({ code: register } = await drawRegister(db(), drawer, { round: round.code }));
  await signRegister(db(), lead, register, 'lead');
  await approveRegister(db(), approver, register);
  await signRegister(db(), witnessA, register, 'witness');
  await signRegister(db(), witnessB, register, 'witness');
  await carryOutRegister(db(), drawer, register);
  const outcome = await carryOut(
    { db: db(), store: system.store, signingKey: system.signingKey },
    register,
    drawer.username,
  );
  expect(outcome.destroyed).toBe(1);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

describe('an insured person whose archive was destroyed', () => {
  it('sees it listed as 已销毁 with the register and the date, and no content', async () => {
    const response = await get('/api/v1/insured/archives', insured);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json() as {
      items: Array<{ archiveCode: string }>;
      destroyed: Array<Record<string, unknown>>;
    };
    expect(body.items.map((item) => item.archiveCode)).toEqual([kept]);
    expect(body.destroyed).toEqual([
      {
        archiveCode: destroyed,
        title: expect.not.stringContaining('赵六'),
        categoryName: expect.any(String),
        year: 1990,
        retention: 'D30',
        state: 'destroyed',
        stateLabel: '已销毁',
        register,
        destroyedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      },
    ]);
    expect(response.body).not.toContain('住院费用报销审核表 赵六');
    // A later page does not repeat the list.
    const next = await get('/api/v1/insured/archives?cursor=1', insured);
    expect((next.json() as { destroyed: unknown[] }).destroyed).toEqual([]);
    // Nobody else's window shows it.
    const theirs = await get('/api/v1/insured/archives', other);
    expect((theirs.json() as { destroyed: unknown[] }).destroyed).toEqual([]);
  });

  it('has a copy that says its original was destroyed, with nothing to download', async () => {
    const copies = await get('/api/v1/insured/copies', insured);
    expect(copies.statusCode, copies.body).toBe(200);
    const [listed] = (copies.json() as { copies: Array<Record<string, unknown>> }).copies;
    expect(listed).toMatchObject({
      copyNo: copy.copyNo,
      originalDestroyed: { register, at: expect.stringMatching(/^\d{4}-/) },
    });
    const content = await get(`/api/v1/insured/copies/${copy.copyNo}/content`, insured);
    expect(content.statusCode).toBe(404);
    expect(content.json()).toMatchObject({ error: { code: 'INSURED_COPY_DESTROYED' } });
  });

  it('checks the copy as genuine on the public page, saying the original was destroyed', async () => {
    const checked = await get(`/api/v1/copy-checks/${encodeURIComponent(copy.code)}`);
    expect(checked.statusCode, checked.body).toBe(200);
    const body = checked.json() as { genuine: boolean; originalDestroyed: boolean; message: string };
    expect(body).toMatchObject({ genuine: true, originalDestroyed: true });
    expect(body.message).toContain('原件档案已');
    expect(body.message).toContain('销毁');
    // The public page names no register.
    expect(checked.body).not.toContain(register);
    const report = await verifyAll({ db: db(), store: system.store, signingKey: system.signingKey });
    expect(report.problems).toEqual([]);
  });
});
