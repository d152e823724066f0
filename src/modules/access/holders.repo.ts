import type { Db } from '../../db/database.js';
import { type Permission, ROLE_PERMISSIONS, type Role } from './roles.js';

// Who holds a permission through their roles (enabled accounts only): whom a notice for "the
// archivist" reaches. Only access reads its account tables; others call this through holders.queries.ts.

export interface Holder {
  userId: number;
  username: string;
}

export async function accountsHolding(db: Db, permission: Permission): Promise<Holder[]> {
  const roles = (Object.keys(ROLE_PERMISSIONS) as Role[]).filter((role) =>
    ROLE_PERMISSIONS[role].includes(permission),
  );
  if (roles.length === 0) return [];
  return db
    .selectFrom('app_user as u')
    .select(['u.id as userId', 'u.username'])
    .where('u.disabled', '=', false)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('user_role as r')
          .select('r.user_id')
          .whereRef('r.user_id', '=', 'u.id')
          .where('r.role', 'in', roles),
      ),
    )
    .orderBy('u.id')
    .execute();
}
