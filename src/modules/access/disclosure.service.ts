import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { maskIdNumbersInText, refuseIdNumberInText } from '../catalog/id-number.js';
import type { Item, ItemVersion } from '../catalog/item.schema.js';
import { itemSubject } from '../catalog/item.state.js';
import { recordEvents } from '../integrity/event-log.js';
import { MASKED_FIELDS, maskItem } from './masking.js';
import { authorize, type Principal } from './principal.js';

// What leaves the system about an item: masked by default; in full only with the item.unmask
// permission, asked for explicitly, and then each item shown in full is an event in the log.

export interface DisclosureOptions {
  unmask?: boolean;
  purpose?: string;
}

export async function discloseItems(
  db: Db,
  principal: Principal,
  items: readonly Item[],
  options: DisclosureOptions = {},
): Promise<Item[]> {
  if (!options.unmask) return items.map(maskItem);
  authorize(principal, 'item.unmask');
  refuseIdNumberInText('查阅目的', options.purpose);
  // A withheld entry (sensitive, no grant) shows nothing personal, so nothing was disclosed.
  const shown = items.filter((item) => !item.withheld);
  if (shown.length > 0)
    await inTransaction(db, async (trx) =>
      recordEvents(
        trx,
        shown.map((item) => ({
          actor: principal.username,
          action: 'item.unmasked',
          subject: itemSubject(item.archiveCode),
          payload: { fields: [...MASKED_FIELDS], purpose: options.purpose?.slice(0, 200) ?? null },
        })),
      ),
    );
  return [...items];
}

export async function discloseItem(
  db: Db,
  principal: Principal,
  item: Item,
  options: DisclosureOptions = {},
): Promise<Item> {
  return (await discloseItems(db, principal, [item], options))[0] as Item;
}

/**
 * An item's versions as disclosed together: masked, or all in full under one log entry for the item,
 * however many versions are shown.
 */
export async function discloseHistory(
  db: Db,
  principal: Principal,
  versions: readonly ItemVersion[],
  options: DisclosureOptions = {},
): Promise<ItemVersion[]> {
  const latest = versions.at(-1);
  if (latest) await discloseItem(db, principal, latest.item, options);
  return versions.map((version) => ({
    ...version,
    reason: options.unmask || version.reason === null ? version.reason : maskIdNumbersInText(version.reason),
    item: options.unmask ? version.item : maskItem(version.item),
  }));
}
