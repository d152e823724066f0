import type { ResponseOf } from '../../api/types';

// The code names are the console's, shared with the other pages.
import {
  CARRIER_NAMES,
  FIELD_LABELS,
  SENSITIVITY_NAMES as ITEM_SENSITIVITY_NAMES,
  RETENTION_NAMES,
  SECURITY_LEVEL_NAMES,
} from '../../app/labels';
import { beijingText } from '../../app/time';

export { CARRIER_NAMES, FIELD_LABELS, ITEM_SENSITIVITY_NAMES, RETENTION_NAMES, SECURITY_LEVEL_NAMES };

// The item as the API answers it, and the Chinese names of its fields and codes. The names come
// from the server's vocabulary, so the console and the server's messages name each field alike.

export type Item = ResponseOf<'/api/v1/items/{archiveCode}', 'get'>;
export type ItemVersion = ResponseOf<'/api/v1/items/{archiveCode}/versions', 'get'>['versions'][number];
export type Category = ResponseOf<'/api/v1/categories', 'get'>[number];
export type Fonds = ResponseOf<'/api/v1/fonds', 'get'>[number];
export type PaperLocation = NonNullable<Item['paperLocation']>;

export const PAPER_LOCATION_PARTS: [keyof PaperLocation, string][] = [
  ['warehouse', '库房'],
  ['cabinet', '柜'],
  ['shelf', '层'],
  ['box', '盒'],
];

export function paperLocationText(location: PaperLocation | null | undefined): string {
  if (!location) return '';
  return PAPER_LOCATION_PARTS.map(([key, unit]) => {
    const value = location[key];
    // "3号库房" already names its unit; "08" needs it appended.
    return value.endsWith(unit) ? value : `${value}${unit}`;
  }).join(' ');
}

export const dateTime = (value: string | null | undefined): string => beijingText(value, 'minute', '');

export const isSensitive = (item: Pick<Item, 'sensitivity'>) => item.sensitivity !== 'normal';

export { itemPath } from '../../app/paths';

/** The API path of an item, for openapi-fetch's path parameter (which encodes it itself). */
export const codeParam = (archiveCode: string) => ({ path: { archiveCode } });

/** A field's value as text for tables, exports and the comparison view. */
export function fieldText(item: Item, field: string, categories?: Map<string, Category>): string {
  const value = (item as unknown as Record<string, unknown>)[field];
  if (value === null || value === undefined || value === '') return '';
  switch (field) {
    case 'retention':
      return RETENTION_NAMES[String(value)] ?? String(value);
    case 'carrier':
      return CARRIER_NAMES[String(value)] ?? String(value);
    case 'sensitivity':
      return ITEM_SENSITIVITY_NAMES[String(value)] ?? String(value);
    case 'securityLevel':
      return SECURITY_LEVEL_NAMES[String(value)] ?? String(value);
    case 'handledAt':
    case 'createdAt':
    case 'updatedAt':
      return dateTime(String(value));
    case 'retentionExpiresOn':
      return String(value);
    case 'paperLocation':
      return paperLocationText(value as PaperLocation);
    case 'category':
      return `${item.categoryName}（${item.category}）`;
    case 'extra':
      return extraText(item, categories);
    default:
      return String(value);
  }
}

/** The category's own fields, named by the category's field labels where known. */
export function extraEntries(item: Item, categories?: Map<string, Category>): [string, string][] {
  const specs = categories?.get(item.category)?.extraFields ?? [];
  return Object.entries(item.extra ?? {}).map(([key, value]) => [
    specs.find((spec) => spec.key === key)?.label ?? key,
    typeof value === 'string' ? value : JSON.stringify(value),
  ]);
}

function extraText(item: Item, categories?: Map<string, Category>): string {
  return extraEntries(item, categories)
    .map(([label, value]) => `${label}：${value}`)
    .join('；');
}
