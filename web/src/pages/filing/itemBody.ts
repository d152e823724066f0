import type { Dayjs } from 'dayjs';
import type { BodyOf } from '../../api/types';
import type { Category } from './catalog';

// The filing form's values and the POST /items body they make. Form fields are flat (extra__hospital,
// pl_box) so the server's issues (extra.hospital, paperLocation) can be put beside one field each.

export type ItemBody = BodyOf<'/api/v1/items', 'post'>;

export interface FilingValues {
  fonds?: string;
  category?: string;
  org?: string;
  title?: string;
  responsible?: string;
  date?: Dayjs | null;
  year?: number | null;
  retention?: string;
  docNumber?: string;
  securityLevel?: string;
  name?: string;
  idNumber?: string;
  insuredNumber?: string;
  businessType?: string;
  handledAt?: Dayjs | null;
  handler?: string;
  agency?: string;
  poolingRegion?: string;
  amount?: string;
  carrier?: string;
  pl_warehouse?: string;
  pl_cabinet?: string;
  pl_shelf?: string;
  pl_box?: string;
  sensitivity?: string;
  [extra: `extra__${string}`]: unknown;
}

export const EXTRA_PREFIX = 'extra__';
export const extraName = (key: string) => `${EXTRA_PREFIX}${key}` as const;

const PAPER_PARTS = ['warehouse', 'cabinet', 'shelf', 'box'] as const;

const text = (value: string | undefined) => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

/** Where each server issue's field goes in the form (identity for the plain fields). */
export function issueFields(category: Category | undefined): Record<string, string> {
  const plain = [
    'fonds',
    'category',
    'org',
    'title',
    'responsible',
    'date',
    'year',
    'retention',
    'docNumber',
    'securityLevel',
    'name',
    'idNumber',
    'insuredNumber',
    'businessType',
    'handledAt',
    'handler',
    'agency',
    'poolingRegion',
    'amount',
    'carrier',
    'sensitivity',
  ];
  const map: Record<string, string> = Object.fromEntries(plain.map((name) => [name, name]));
  map.paperLocation = 'pl_warehouse';
  for (const field of category?.extraFields ?? []) map[`extra.${field.key}`] = extraName(field.key);
  return map;
}

function extraValue(type: string, value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (type === 'date') return (value as Dayjs).format('YYYY-MM-DD');
  if (type === 'text' || type === 'amount' || type === 'region') return String(value).trim() || undefined;
  return value;
}

export function itemBody(values: FilingValues, category: Category | undefined): ItemBody {
  const carrier = values.carrier ?? 'electronic';
  const extra: Record<string, unknown> = {};
  for (const field of category?.extraFields ?? []) {
    const value = extraValue(field.type, values[extraName(field.key)]);
    if (value !== undefined) extra[field.key] = value;
  }
  const body: Record<string, unknown> = {
    fonds: values.fonds ?? '',
    category: values.category ?? '',
    org: text(values.org)?.toUpperCase(),
    title: text(values.title) ?? '',
    responsible: text(values.responsible) ?? '',
    date: values.date ? values.date.format('YYYY-MM-DD') : '',
    year: values.year ?? undefined,
    retention: values.retention,
    docNumber: text(values.docNumber),
    securityLevel: values.securityLevel,
    name: text(values.name),
    idNumber: text(values.idNumber)?.toUpperCase(),
    insuredNumber: text(values.insuredNumber),
    businessType: text(values.businessType),
    // Without an offset the server reads Beijing time, which is what the clerk means.
    handledAt: values.handledAt ? values.handledAt.format('YYYY-MM-DDTHH:mm:ss') : undefined,
    handler: text(values.handler),
    agency: text(values.agency),
    poolingRegion: text(values.poolingRegion),
    amount: text(values.amount),
    carrier,
    paperLocation:
      carrier === 'electronic'
        ? undefined
        : Object.fromEntries(PAPER_PARTS.map((part) => [part, text(values[`pl_${part}`]) ?? ''])),
    sensitivity: values.sensitivity,
    extra,
  };
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return body as ItemBody;
}
