import { FIELD_LABELS } from '../../app/labels';
import { enc } from './dispositionApi';

// A hold as the holds API answers it, and the words for what it covers.

export interface Hold {
  code: string;
  fonds: string;
  kind: string;
  items?: string[];
  query?: Record<string, string | number | null | undefined>;
  category?: string | null;
  year?: number | null;
  reason: string;
  caseRef?: string | null;
  itemCount: number;
  placedBy: string;
  placedAt: string;
  liftedBy?: string | null;
  liftedAt?: string | null;
  liftReason?: string | null;
}

export interface HoldList {
  holds: Hold[];
}

export const holdPaths = {
  list: '/api/v1/holds',
  one: (code: string) => `/api/v1/holds/${enc(code)}`,
  lift: (code: string) => `/api/v1/holds/${enc(code)}/lift`,
};

/** A query field's name: the item field's own where it is one. */
const fieldName = (field: string) =>
  field === 'insuredPerson' ? '参保人' : field === 'orgCode' ? '机构' : (FIELD_LABELS[field] ?? field);

/** What a hold covers, in a line: 全宗, then its items, its query's fields or its category and year. */
export function scopeText(hold: Hold): string {
  const parts = [`全宗 ${hold.fonds}`];
  if (hold.items?.length)
    parts.push(hold.items.length > 3 ? `${hold.items.slice(0, 3).join('、')} 等` : hold.items.join('、'));
  if (hold.query)
    for (const [field, value] of Object.entries(hold.query))
      if (value !== null && value !== undefined && value !== '') parts.push(`${fieldName(field)} ${value}`);
  if (hold.category) parts.push(`类别 ${hold.category}`);
  if (hold.year) parts.push(`${hold.year} 年度`);
  return parts.join('，');
}
