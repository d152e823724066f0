import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { recordEvents } from '../integrity/event-log.js';
import { maskIdNumbersInText, refuseIdNumberInText } from './id-number.js';
import { MASKED_FIELDS, maskItem } from './item.mask.js';
import type { Item, ItemVersion } from './item.schema.js';
import { itemSubject } from './item.state.js';

// What leaves the system about an item: masked by default; in full only with the item.unmask
// permission, asked for explicitly in the context, and then each item shown in full is an event in
// the log. The services that answer a principal call these, so no route or command masks by hand.
// A system context (verify, backup, the loader) works on the stored values.

export async function discloseItems(db: Db, access: AccessContext, items: readonly Item[]): Promise<Item[]> {
  if (access.kind === 'system') return [...items];
  const { unmask, purpose } = access.disclosure;
  if (!unmask) return items.map(maskItem);
  access.authorize('item.unmask');
  refuseIdNumberInText('查阅目的', purpose);
  // A withheld entry (sensitive, no grant) shows nothing personal, so nothing was disclosed.
  const shown = items.filter((item) => !item.withheld);
  if (shown.length > 0)
    await inTransaction(db, async (trx) =>
      recordEvents(
        trx,
        shown.map((item) => ({
          actor: access.username,
          action: 'item.unmasked',
          subject: itemSubject(item.archiveCode),
          payload: { fields: [...MASKED_FIELDS], purpose: purpose?.slice(0, 200) ?? null },
        })),
      ),
    );
  return [...items];
}

export async function discloseItem(db: Db, access: AccessContext, item: Item): Promise<Item> {
  return (await discloseItems(db, access, [item]))[0] as Item;
}

/**
 * An item's versions as disclosed together: masked, or all in full under one log entry for the item,
 * however many versions are shown.
 */
export async function discloseHistory(
  db: Db,
  access: AccessContext,
  versions: readonly ItemVersion[],
): Promise<ItemVersion[]> {
  if (access.kind === 'system') return [...versions];
  const latest = versions.at(-1);
  if (latest) await discloseItem(db, access, latest.item);
  const unmask = access.disclosure.unmask;
  return versions.map((version) => ({
    ...version,
    reason: unmask || version.reason === null ? version.reason : maskIdNumbersInText(version.reason),
    item: unmask ? version.item : maskItem(version.item),
  }));
}
