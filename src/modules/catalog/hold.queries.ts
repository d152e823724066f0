import type { Db } from '../../db/database.js';
import { activeHoldsOn } from './hold.repo.js';

// What other modules read of legal holds (冻结): the items under an active hold, as SQL to compose
// (destruction and transfer refuse them: `i.id in (${heldItemsSql()})`), the holds on given items
// with their numbers and reasons (for a refusal that names the hold), and the holds' states for verify.
export { heldItemsSql, holdStateRows as holdStates } from './hold.repo.js';

/** Every active hold on each of these items (item id → its holds, oldest first); an item without any is absent. */
export function holdsOnItems(
  db: Db,
  itemIds: readonly number[],
): Promise<Map<number, Array<{ code: string; reason: string }>>> {
  return activeHoldsOn(db, itemIds);
}
