// test-engine: either
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { openTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { FONDS, reimbursement } from '../../test/helpers/fixtures.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { fileItems } from '../modules/catalog/item.service.js';
import { type App, buildApp } from './app.js';

// Personal data leaves the API masked; in full only for a role with item.unmask that asks for it,
// and every such view is in the log with its purpose.

let database: TestDatabase;
let app: App;
let clerk: TestUser;
let reviewer: TestUser;
let code: string;
const person = { name: '欧阳建国', idNumber: '', insuredNumber: '3201150012345' };

beforeAll(async () => {
  database = await openTestDatabase();
  app = await buildApp({ database });
  clerk = await testUser(database.db, { roles: ['clerk'] });
  reviewer = await testUser(database.db, { roles: ['reviewer'] });
  await createFonds(database.db, FONDS, 'test');
  const input = reimbursement({ name: person.name, title: `${person.name} 个人零星医疗费用报销审核表` });
  person.idNumber = input.idNumber as string;
  const [filed] = await fileItems(database.db, [input], 'test', { access: SYSTEM });
  code = filed?.archiveCode as string;
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

const get = (url: string, user: TestUser) => app.inject({ method: 'GET', url, headers: user.headers });
const itemUrl = () => `/api/v1/items/${encodeURIComponent(code)}`;

async function unmaskEvents(): Promise<Array<{ actor: string; payload: string }>> {
  const result = await sql<{ actor: string; payload: string }>`
    select actor, payload from integrity_event where action = 'item.unmasked' order by seq`.execute(
    database.db,
  );
  return result.rows;
}

describe('masking in the API', () => {
  it('masks the ID number, name (also in the title) and insured number by default, in every view', async () => {
    const views = [
      (await get(itemUrl(), reviewer)).json(),
      (await get('/api/v1/items?limit=10', clerk)).json().items[0],
      (await get(`${itemUrl()}/versions`, clerk)).json().versions[0].item,
    ];
    for (const view of views) {
      expect(view.name).toBe('欧**国');
      expect(view.title).toBe('欧**国 个人零星医疗费用报销审核表');
      expect(view.idNumber).toBe(`${person.idNumber.slice(0, 6)}********${person.idNumber.slice(-4)}`);
      expect(view.insuredNumber).toBe('3201*****2345');
      expect(JSON.stringify(view)).not.toContain(person.idNumber);
    }
    expect(await unmaskEvents()).toEqual([]);
  });

  it('refuses to unmask for a role without the permission, and logs nothing', async () => {
    const refused = await get(`${itemUrl()}?unmask=true`, clerk);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('FORBIDDEN');
    expect(refused.body).not.toContain(person.idNumber);
    expect((await get('/api/v1/items?unmask=true', clerk)).statusCode).toBe(403);
    expect(await unmaskEvents()).toEqual([]);
  });

  it('shows the item in full to a reviewer who asks, and logs who, which item and why', async () => {
    const shown = await get(
      `${itemUrl()}?unmask=true&purpose=${encodeURIComponent('复核报销金额')}`,
      reviewer,
    );
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({
      name: person.name,
      idNumber: person.idNumber,
      insuredNumber: person.insuredNumber,
    });
    const events = await unmaskEvents();
    expect(events).toHaveLength(1);
    expect(events[0]?.actor).toBe(reviewer.username);
    expect(JSON.parse(events[0]?.payload as string)).toMatchObject({ purpose: '复核报销金额' });
    // The log entry itself does not carry the unmasked data.
    expect(events[0]?.payload).not.toContain(person.idNumber);
  });
});
