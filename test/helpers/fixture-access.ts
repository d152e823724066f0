import { scopedQuery } from '../../src/modules/catalog/item.scope.js';
import { type ItemScope, type PrincipalContext, systemContext } from '../../src/shared/access-context.js';

// Test fixtures set up and inspect archive rows as the system, by name: every item, unmasked. A test
// about what a person may see builds that person's context instead (accessContextOf).

export const SYSTEM = systemContext('fixture', 'test');
/** The same as a repo query over every item. */
export const ALL_ITEMS = scopedQuery(SYSTEM);

/**
 * A principal's context over a scope written out by the test (no grants held; nothing unmasked):
 * for tests of the scope SQL itself. Real principals come from accessContextOf.
 */
export function scopedAccess(scope: ItemScope, username = 'test'): PrincipalContext {
  return {
    kind: 'principal',
    userId: 0,
    username,
    roles: [],
    permissions: new Set(),
    scope,
    grants: { inForce: async () => new Map(), itemIds: async () => [] },
    disclosure: { unmask: false },
    events: null,
    authorize: (permission) => {
      throw new Error(`the test principal holds no ${permission}`);
    },
  };
}
