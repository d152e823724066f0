import type { ResponseOf } from '../../api/types';

// The code names are the console's, shared with the other pages.
import {
  CARRIER_NAMES,
  SENSITIVITY_NAMES as ITEM_SENSITIVITY_NAMES,
  RETENTION_NAMES,
  SECURITY_LEVEL_NAMES,
} from '../../app/labels';
import { beijingText } from '../../app/time';

export { CARRIER_NAMES, ITEM_SENSITIVITY_NAMES, RETENTION_NAMES, SECURITY_LEVEL_NAMES };

// The item as the API answers it, and the Chinese names of its fields and codes. The field labels
// are the server's (src/modules/catalog/item.schema.ts FIELD_LABELS), copied so the console and
// the server's error messages name each field the same way.

export type Item = ResponseOf<'/api/v1/items/{archiveCode}', 'get'>;
export type ItemVersion = ResponseOf<'/api/v1/items/{archiveCode}/versions', 'get'>['versions'][number];
export type Category = ResponseOf<'/api/v1/categories', 'get'>[number];
export type Fonds = ResponseOf<'/api/v1/fonds', 'get'>[number];
export type PaperLocation = NonNullable<Item['paperLocation']>;

export const FIELD_LABELS: Record<string, string> = {
  archiveCode: '档号',
  fonds: '全宗号',
  category: '类别',
  categoryName: '类别名称',
  year: '年度',
  org: '机构/问题',
  itemNumber: '件号',
  retention: '保管期限',
  retentionExpiresOn: '到期日',
  title: '题名',
  docNumber: '文件编号',
  responsible: '责任者',
  date: '日期',
  securityLevel: '密级',
  insuredNumber: '参保号',
  idNumber: '身份证号',
  name: '姓名',
  businessType: '业务类型',
  handledAt: '办理时间',
  handler: '经办人',
  agency: '经办机构',
  poolingRegion: '统筹区',
  amount: '金额',
  carrier: '载体',
  paperLocation: '纸质存放位置',
  sensitivity: '敏感级别',
  extra: '类别专属字段',
  reason: '变更原因',
  version: '版本',
  changeReason: '变更原因',
  createdBy: '归档人',
  createdAt: '归档时间',
  updatedBy: '最后修改人',
  updatedAt: '最后修改时间',
};

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
