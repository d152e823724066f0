// Masking (脱敏) of a name, a phone number or a long account number as shown to people who may not
// unmask: names keep their first and last character (张*明), phone numbers 3 + 4 digits, bank
// accounts and insured numbers 4 + 4. Pure text functions, so every layer (the event log's readers
// included) masks the same way; which fields of an item are masked is catalog/item.mask.ts.

const stars = (count: number) => '*'.repeat(Math.max(count, 1));

export function maskName(value: string | null | undefined): string | null {
  if (!value) return value ?? null;
  const chars = [...value.trim()];
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${stars(chars.length - 2)}${chars.at(-1)}`;
}

export function maskPhone(value: string | null | undefined): string | null {
  if (!value) return value ?? null;
  const digits = value.replace(/\D/g, '');
  if (digits.length < 7) return stars(digits.length);
  return `${digits.slice(0, 3)}${stars(digits.length - 7)}${digits.slice(-4)}`;
}

/** Bank accounts, insured numbers and other long identifiers: the first 4 and last 4 stay. */
export function maskAccount(value: string | null | undefined): string | null {
  if (!value) return value ?? null;
  const compact = value.replace(/\s/g, '');
  if (compact.length <= 8) return `${stars(compact.length - 2)}${compact.slice(-2)}`;
  return `${compact.slice(0, 4)}${stars(compact.length - 8)}${compact.slice(-4)}`;
}
