import { maskIdNumber, maskIdNumbersInText, maskIdsDeep } from './id-number.js';
import type { Item } from './item.schema.js';
import { maskAccount, maskName, maskPhone } from '../../shared/masking.js';

export { maskIdNumber };
// The pure maskers live in the kernel (shared/masking.ts): the event log's readers mask names too;
// what an item shows masked is the catalog's, since an item is (access only decides who unmasks).
export { maskAccount, maskName, maskPhone };

// Masking (脱敏) of personal data in everything Yidang shows: ID numbers keep their first 6 and last
// 4 characters, names their first and last character (张*明), phone numbers 3 + 4 digits, bank
// accounts and insured numbers 4 + 4. Seeing a field in full needs the item.unmask permission and
// is logged.

const PHONE_KEY = /phone|mobile|tel/i;
const ACCOUNT_KEY = /bank|account|card/i;
const ID_KEY = /idnumber|idcard|身份证/i;
const NAME_KEY = /^(name|personname|guardian|agent|contact)$/i;

/** Personal fields inside the category-specific extra fields, recognised by their keys. */
function maskExtra(extra: Record<string, unknown>): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra)) {
    if (typeof value !== 'string') masked[key] = value;
    else if (ID_KEY.test(key)) masked[key] = maskIdNumber(value);
    else if (PHONE_KEY.test(key)) masked[key] = maskPhone(value);
    else if (ACCOUNT_KEY.test(key)) masked[key] = maskAccount(value);
    else if (NAME_KEY.test(key)) masked[key] = maskName(value);
    else masked[key] = value;
  }
  return masked;
}

/** An item as shown by default: personal data masked, also where the name appears in the title. */
export function maskItem(item: Item): Item {
  const name = item.name?.trim();
  const maskedName = maskName(name);
  // An ID number typed into free text before it was refused at the door is masked where it stands.
  const text = <T extends string | null>(value: T): T =>
    (typeof value === 'string' ? maskIdNumbersInText(value) : value) as T;
  const title = text(item.title);
  return {
    ...item,
    title: name && maskedName ? title.split(name).join(maskedName) : title,
    docNumber: text(item.docNumber),
    responsible: text(item.responsible),
    businessType: text(item.businessType),
    handler: text(item.handler),
    agency: text(item.agency),
    changeReason: text(item.changeReason),
    paperLocation: maskIdsDeep(item.paperLocation),
    name: maskedName,
    idNumber: maskIdNumber(item.idNumber),
    insuredNumber: maskAccount(item.insuredNumber),
    extra: maskIdsDeep(maskExtra(item.extra ?? {})),
  };
}

/** The fields maskItem changes, for the log entry of an unmasked view. */
export const MASKED_FIELDS = [
  'title',
  'docNumber',
  'responsible',
  'businessType',
  'handler',
  'agency',
  'changeReason',
  'paperLocation',
  'name',
  'idNumber',
  'insuredNumber',
  'extra',
] as const;
