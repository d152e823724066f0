import { sql } from 'kysely';
import { findUserByName, type ScopeRow } from '../../src/modules/access/access.repo.js';
import { loadPrincipal, type Principal } from '../../src/modules/access/principal.js';
import type { Role } from '../../src/modules/access/roles.js';
import { createUser } from '../../src/modules/access/user.service.js';
import { listCategories } from '../../src/modules/catalog/catalog.queries.js';
import { findItemsByCodes } from '../../src/modules/catalog/item.queries.js';
import { scopedQuery } from '../../src/modules/catalog/item.scope.js';
import type { Db } from '../../src/db/database.js';
import { roundStates } from '../../src/modules/disposition/appraisal.queries.js';
import { logEvent } from '../../src/modules/integrity/event-log.js';
import { SYSTEM } from './fixture-access.js';

// Shared set-up of the destruction tests: accounts of each duty, and an appraisal round whose group
// decided 销毁 for given items (written as the appraisal service leaves it: round, members, items
// with the item's version, period and category at the decision).

export const EVERYTHING: ScopeRow[] = [{ fondsCode: null, regionCode: null, categoryCode: null }];
const PASSWORD = 'Archive-Test-Passw0rd!';
let counter = 0;

export async function account(
  db: Db,
  name: string,
  roles: Role[],
  scope: ScopeRow[] = EVERYTHING,
): Promise<Principal> {
  counter += 1;
  const username = `${name}-${counter}`;
  await createUser(db, { username, password: PASSWORD, roles, scope }, 'test');
  const row = await findUserByName(db, username);
  const principal = await loadPrincipal(db, row?.id as number, 'session');
  if (!principal) throw new Error(`no principal for ${username}`);
  return principal;
}

// Numbered from 500: rounds the appraisal service opens in the same database start at 1.
let rounds = 500;
/** A round of the fonds (J013) led by `lead` with `members`, whose group decided 销毁 for `codes`. */
export async function roundDeciding(
  db: Db,
  codes: readonly string[],
  group: { lead: string; members: readonly string[] },
  fonds = 'J013',
): Promise<{ id: number; code: string }> {
  rounds += 1;
  const code = `JD-${fonds}-2026-${rounds}`;
  const { rows } = await sql<{ id: number }>`insert into appraisal_round
      (code, fonds_code, year, number, title, lead, opened_by)
    values (${code}, ${fonds}, 2026, ${rounds}, '2010年度到期档案鉴定', ${group.lead}, ${group.lead}) returning id`.execute(
    db,
  );
  const id = Number(rows[0]?.id);
  for (const username of new Set([group.lead, ...group.members]))
    await sql`insert into appraisal_member (round_id, username, is_lead, added_by)
      values (${id}, ${username}, ${username === group.lead}, ${group.lead})`.execute(db);
  const categories = new Map((await listCategories(db)).map((category) => [category.code, category.id]));
  for (const item of await findItemsByCodes(db, codes, scopedQuery(SYSTEM)))
    await sql`insert into appraisal_item (round_id, item_id, archive_code, category_id, year, added_by,
        proposal, proposal_reason, proposed_by, proposed_at, decision, decision_reason, decided_by, decided_at,
        item_version, item_retention)
      values (${id}, ${item.id}, ${item.archiveCode}, ${categories.get(item.category)}, ${item.year}, ${group.lead},
        'destroy', '已过保管期限，无继续保存价值', ${group.lead}, now(), 'destroy', '已过保管期限，无继续保存价值',
        ${group.lead}, now(), ${item.version}, ${item.retention})`.execute(db);
  // Logged as the appraisal service logs a decision, so verify finds the round's state proved.
  await logEvent(db, {
    actor: group.lead,
    action: 'appraisal.decided',
    subject: `appraisal:${code}`,
    payload: {
      items: [...codes].sort().map((item) => ({
        item,
        decision: 'destroy' as const,
        retention: null,
        reason: '已过保管期限，无继续保存价值',
      })),
    },
    state: (await roundStates(db)).get(`appraisal:${code}`),
  });
  return { id, code };
}
