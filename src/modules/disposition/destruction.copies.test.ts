import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testUser } from '../../../test/helpers/access.js';
import { account, roundDeciding } from '../../../test/helpers/destruction.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { validId } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { type App, buildApp } from '../../http/app.js';
import type { Principal } from '../access/principal.js';
import { addFile } from '../storage/file.service.js';
import { carryOut } from './destruction.carry.js';
import { drawRegister } from './destruction.draw.js';
import { approveRegister, carryOutRegister, signRegister } from './destruction.service.js';

// A certified copy (复制件) the insured person took of a file is archive content kept in the clear
// (insured_copy.content): carrying out a 销毁清册 empties it with the item, and the person is told
// why the copy can no longer be downloaded. Review finding F6: the copy stayed downloadable.

const PERSON = validId('32011519700101900');
let system: TestSystem;
let app: App;
const db = () => system.database.db;

beforeAll(async () => {
  system = await openTestSystem();
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

async function pdf(): Promise<Buffer> {
  const document = await PDFDocument.create();
  document.addPage([300, 400]);
  return Buffer.from(await document.save());
}

describe('certified copies of a destroyed item', () => {
  it('are emptied by the carry-out and refused with the reason, while other copies stay', async () => {
    const destroyed = await fileOneItem(system, {
      date: '1990-03-15',
      handledAt: '1990-03-15T10:00:00+08:00',
      retention: 'D30',
      idNumber: PERSON,
      title: '王建国 零星报销审核表',
    });
    const kept = await fileOneItem(system, { idNumber: PERSON, title: '王建国 住院结算单' });
    for (const code of [destroyed, kept])
      await addFile(
        { db: db(), store: system.store, access: SYSTEM },
        code,
        {
          stream: streamOf(await pdf()),
          fileName: '审核表.pdf',
        },
        'test',
      );
    const insured = await testUser(db(), { roles: ['insured'], scope: [], idNumber: PERSON });
    const copies: Record<string, string> = {};
    for (const code of [destroyed, kept]) {
      const made = await app.inject({
        method: 'POST',
        url: '/api/v1/insured/copies',
        headers: insured.headers,
        payload: { archiveCode: code, fileNumber: 1, purpose: '办理退休' },
      });
      expect(made.statusCode, made.body).toBe(201);
      copies[code] = (made.json() as { copyNo: string }).copyNo;
    }
    const content = (code: string) =>
      app.inject({
        method: 'GET',
        url: `/api/v1/insured/copies/${copies[code]}/content`,
        headers: insured.headers,
      });
    expect((await content(destroyed)).statusCode).toBe(200);

    const people: Record<string, Principal> = {};
    for (const [name, role] of [
      ['drawer', 'archivist'],
      ['lead', 'reviewer'],
      ['approver', 'manager'],
      ['witness-a', 'reviewer'],
      ['witness-b', 'archivist'],
    ] as const)
      people[name] = await account(db(), name, [role]);
    const round = await roundDeciding(db(), [destroyed], {
      lead: people.lead?.username as string,
      members: [people.drawer?.username as string],
    });
    const { code } = await drawRegister(db(), people.drawer as Principal, { round: round.code });
    await signRegister(db(), people.lead as Principal, code, 'lead');
    await approveRegister(db(), people.approver as Principal, code);
    await signRegister(db(), people['witness-a'] as Principal, code, 'witness');
    await signRegister(db(), people['witness-b'] as Principal, code, 'witness');
    await carryOutRegister(db(), people.drawer as Principal, code);
    const outcome = await carryOut(
      { db: db(), store: system.store, signingKey: system.signingKey },
      code,
      'test',
    );
    expect(outcome.destroyed).toBe(1);

    const refused = await content(destroyed);
    expect(refused.statusCode).toBe(404);
    expect(refused.json().error).toMatchObject({ code: 'INSURED_COPY_DESTROYED' });
    expect(refused.json().error.message).toContain('已按销毁清册销毁');
    const rows = await db()
      .selectFrom('insured_copy')
      .select(['archive_code', (eb) => eb.fn<number>('length', ['content']).as('bytes')])
      .execute();
    const bytes = Object.fromEntries(rows.map((row) => [row.archive_code, Number(row.bytes)]));
    expect(bytes[destroyed]).toBe(0);
    expect(bytes[kept]).toBeGreaterThan(0);
    // The other archive's copy is untouched.
    const other = await content(kept);
    expect(other.statusCode).toBe(200);
    expect(other.rawPayload.subarray(0, 4).toString()).toBe('%PDF');
  });
});
