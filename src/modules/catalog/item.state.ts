import type { Item } from './item.schema.js';

/**
 * What the event log fingerprints of an item: every stored field. The category's display name is
 * left out because renaming a category does not change the items filed under it; so is the 已移交
 * mark, which the transfer batch's own logged state covers (transfer.accepted), the origin of a received
 * item (原档号, 来源单位: set with its filing, named by its item.received event), and whether a
 * destroyed item's copies still wait for a replica (its register's rows and the blobs say so).
 */
export function itemState(item: Item): Record<string, unknown> {
  const {
    categoryName: _categoryName,
    transferred: _transferred,
    received: _received,
    destroyedPending: _destroyedPending,
    ...state
  } = item;
  return state;
}

export const itemSubject = (archiveCode: string) => `item:${archiveCode}`;
