import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useRequest } from '../../app/hooks';

// The code names are the console's, shared with the other pages.
export {
  CARRIER_NAMES,
  RETENTION_NAMES,
  SECURITY_LEVEL_NAMES,
  SENSITIVITY_NAMES as SENSITIVITY_LEVELS,
} from '../../app/labels';

// The fonds and the classification scheme, as the filing form and the search filters need them.

export type Fonds = ResponseOf<'/api/v1/fonds', 'get'>[number];
export type Category = ResponseOf<'/api/v1/categories', 'get'>[number];
export type ExtraField = Category['extraFields'][number];

export interface CategoryNode {
  value: string;
  title: string;
  disabled?: boolean;
  selectable?: boolean;
  children?: CategoryNode[];
}

/** The fonds; `enabled` false (a role without catalog.read, such as 参保人) answers none without asking. */
export function useFonds(enabled = true) {
  return useRequest(() => (enabled ? unwrap(api.GET('/api/v1/fonds')) : Promise.resolve([])), [enabled]);
}

export function useCategories(enabled = true) {
  return useRequest(() => (enabled ? unwrap(api.GET('/api/v1/categories')) : Promise.resolve([])), [enabled]);
}

/**
 * The scheme as a TreeSelect tree. For filing only active leaves may be chosen (the server refuses a
 * parent or a retired category); for searching every category is a filter, sub-categories included.
 */
export function categoryTree(categories: readonly Category[], purpose: 'filing' | 'search'): CategoryNode[] {
  const shown = purpose === 'filing' ? categories.filter((row) => row.status === 'active') : categories;
  const parents = new Set(
    categories.map((row) => row.parent).filter((code): code is string => code !== null),
  );
  const nodeOf = (row: Category): CategoryNode => {
    const children = shown.filter((child) => child.parent === row.code).map(nodeOf);
    const retired = row.status !== 'active' ? '（已停用）' : '';
    return {
      value: row.code,
      title: `${row.code} ${row.name}${retired}`,
      // A parent is never a filing target, even when all its children are retired.
      ...(purpose === 'filing' && parents.has(row.code) ? { selectable: false } : {}),
      ...(children.length > 0 ? { children } : {}),
    };
  };
  const codes = new Set(shown.map((row) => row.code));
  return shown.filter((row) => row.parent === null || !codes.has(row.parent)).map(nodeOf);
}

export const optionsOf = (names: Record<string, string>) =>
  Object.entries(names).map(([value, label]) => ({ value, label }));

export { itemPath } from '../../app/paths';
