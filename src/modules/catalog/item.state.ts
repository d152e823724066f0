import type { Item } from './item.schema.js';

/**
 * What the event log fingerprints of an item: every stored field. The category's display name is
 * left out because renaming a category does not change the items filed under it.
 */
export function itemState(item: Item): Record<string, unknown> {
  const { categoryName: _categoryName, ...state } = item;
  return state;
}

export const itemSubject = (archiveCode: string) => `item:${archiveCode}`;
