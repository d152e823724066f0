// test-engine: either
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import {
  app,
  BUSINESS_SCOPE,
  call,
  codeUrl,
  db,
  errorOf,
  multipartFile,
  useAccessApi,
} from '../../test/helpers/access-api.js';
import { reimbursement } from '../../test/helpers/fixtures.js';
import { FILER_WINDOW_MS } from '../modules/catalog/item.gate.js';

// Filing a sensitive record in the console is two requests: the item, then its files. The clerk who
// filed it may add its files without a grant for a while (item.gate.ts FILER_WINDOW_MS); nobody else
// may, and after the window the filer needs a grant too. Reading it still needs one throughout.

useAccessApi();

async function attach(user: TestUser, code: string, name: string) {
  const { payload, contentType } = multipartFile(name, `附件 ${name}`);
  return app.inject({
    method: 'POST',
    url: `${codeUrl(code)}/files`,
    payload,
    headers: { ...user.headers, 'content-type': contentType },
  });
}

describe('the filer of a sensitive item adding its files', () => {
  let filer: TestUser;
  let colleague: TestUser;
  let code: string;
  beforeAll(async () => {
    filer = await testUser(db(), { roles: ['clerk'], scope: BUSINESS_SCOPE });
    colleague = await testUser(db(), { roles: ['clerk'], scope: BUSINESS_SCOPE });
    const filed = await call(
      'POST',
      '/api/v1/items',
      filer.headers,
      reimbursement({ sensitivity: 'sensitive' }),
    );
    expect(filed.statusCode, filed.body).toBe(201);
    code = filed.json().archiveCode;
  });

  it('adds a file to the item it has just filed, without a grant', async () => {
    const added = await attach(filer, code, '报销单.pdf');
    expect(added.statusCode, added.body).toBe(201);
  });

  it('still may not read the sensitive item or its files without a grant', async () => {
    expect(errorOf(await call('GET', `${codeUrl(code)}/files/1`, filer.headers)).code).toBe('GRANT_REQUIRED');
  });

  it('refuses another clerk of the same scope', async () => {
    const refused = await attach(colleague, code, '补充.pdf');
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).code).toBe('GRANT_REQUIRED');
  });

  it('refuses the filer once the window has passed', async () => {
    const past = new Date(Date.now() - FILER_WINDOW_MS - 60_000).toISOString();
    await sql`update archive_item set created_at = ${past} where archive_code = ${code}`.execute(db());
    const refused = await attach(filer, code, '迟到.pdf');
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).code).toBe('GRANT_REQUIRED');
  });
});
