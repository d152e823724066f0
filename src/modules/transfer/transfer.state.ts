import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { transferredOf } from '../catalog/transferred.js';
import { allBatchRows, batchItems, stateOf } from './transfer.repo.js';

// A batch's logged state includes the 已移交 mark its acceptance wrote on each catalog item,
// read through the catalog, so verify sees a mark cleared or changed behind the system's back.

/** The 已移交 marks of a batch's items, for its state. */
export async function marksOf(db: Db, access: AccessContext, batchId: number) {
  const items = await batchItems(db, batchId);
  return transferredOf(
    db,
    access,
    items.map((item) => Number(item.item_id)),
  );
}

/** Every batch's state (verify: `transfer:` records). */
export async function batchStates(db: Db, access: AccessContext): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const batch of await allBatchRows(db)) {
    const items = await batchItems(db, batch.id);
    const marks = await transferredOf(
      db,
      access,
      items.map((item) => Number(item.item_id)),
    );
    out.set(`transfer:${batch.code}`, stateOf(batch, items, marks));
  }
  return out;
}
