import { describe, expect, it } from 'vitest';
import { ALLOWED, accessViolations, projectProgram } from '../../test/helpers/access-guard.js';

// Access by construction, checked over the code itself: no exported service touches archive rows,
// files, grants or the audit trail without an access context, no item repo reads rows without a
// scoped query, and only the system callers name a system context. The same check is then run over a
// copy with violations added, to show it finds them. (Reading the whole program takes a while.)

describe('access by construction', () => {
  const program = projectProgram();

  it('holds for every service and repo in src/modules', () => {
    expect(accessViolations(program)).toEqual([]);
  }, 240_000);

  it('keeps its exceptions few, each with a reason', () => {
    expect(Object.keys(ALLOWED).length).toBeLessThanOrEqual(13);
    for (const reason of Object.values(ALLOWED)) expect(reason.length).toBeGreaterThan(20);
  });

  it('finds a service, a repo or a system context that breaks it', () => {
    const leaks = projectProgram(
      {
        'src/modules/catalog/leak.repo.ts': `
import type { Db } from '../../db/database.js';
export async function everyTitle(db: Db) {
  return db.selectFrom('archive_item').select('title').execute();
}
`,
        'src/modules/catalog/leak.service.ts': `
import type { Db } from '../../db/database.js';
import { systemContext } from '../../shared/access-context.js';
import { getItem } from './item.service.js';
import { everyTitle } from './leak.repo.js';
import { listItemVersions } from './item-version.repo.js';
export async function titles(db: Db) {
  return everyTitle(db);
}
export async function versionsOf(db: Db, itemId: number) {
  return listItemVersions(db, itemId);
}
export async function peek(db: Db, code: string) {
  return getItem(db, code, systemContext('verify'));
}
export async function count(db: Db) {
  return db.selectFrom('item_file').selectAll().execute();
}
`,
        // A fragment hides the table's name from the module that composes it: still found.
        'src/modules/catalog/leak.queries.ts': `
import { sql } from 'kysely';
export function everyCode() {
  return sql\`(select archive_code from archive_item)\`;
}
`,
        'src/modules/search/leak.repo.ts': `
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { everyCode } from '../catalog/leak.queries.js';
export async function codes(db: Db) {
  return sql\`select * from \${everyCode()} c\`.execute(db);
}
`,
        'src/modules/search/leak.service.ts': `
import type { Db } from '../../db/database.js';
import { codes } from './leak.repo.js';
export async function allCodes(db: Db) {
  return codes(db);
}
`,
      },
      program,
    );
    expect(accessViolations(leaks)).toEqual([
      'src/modules/catalog/leak.repo.ts:everyTitle: reads archive rows without a ScopedQuery',
      'src/modules/catalog/leak.service.ts:titles: calls a repo that touches archive rows but takes no access context',
      'src/modules/catalog/leak.service.ts:versionsOf: calls a repo that touches archive rows but takes no access context',
      'src/modules/catalog/leak.service.ts:peek: calls a service that needs an access context but takes no access context',
      'src/modules/catalog/leak.service.ts:count: queries a guarded table itself but takes no access context',
      'src/modules/catalog/leak.service.ts: names a system context but is not a system caller',
      'src/modules/catalog/leak.queries.ts:everyCode: reads archive rows without a ScopedQuery',
      'src/modules/search/leak.service.ts:allCodes: calls a repo that touches archive rows but takes no access context',
    ]);
  }, 240_000);
});
