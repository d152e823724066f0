import type { Sensitivity } from './item.schema.js';

// Diagnoses that make a record sensitive (敏感) by themselves, whatever the filer chose: ICD-10
// F20–F29 (schizophrenia and related psychoses) and B20–B24 (HIV disease), by code or by name.

const SENSITIVE_RANGES: Array<{ letter: string; from: number; to: number }> = [
  { letter: 'F', from: 20, to: 29 },
  { letter: 'B', from: 20, to: 24 },
];

const SENSITIVE_NAMES = [
  '精神分裂',
  '分裂情感',
  '妄想性障碍',
  '偏执性精神病',
  '艾滋病',
  '获得性免疫缺陷',
  'HIV',
];

/** Keys of extra fields that hold a diagnosis. */
const DIAGNOSIS_KEY = /disease|diagnos|icd/i;

export function isSensitiveDiagnosis(text: string): boolean {
  for (const match of text.toUpperCase().matchAll(/(?<![A-Z0-9])([A-Z])(\d{2})(?:\.\d{1,2})?(?![0-9])/g)) {
    const number = Number(match[2]);
    if (
      SENSITIVE_RANGES.some(
        (range) => range.letter === match[1] && number >= range.from && number <= range.to,
      )
    )
      return true;
  }
  return SENSITIVE_NAMES.some((name) => text.toUpperCase().includes(name));
}

/** Raises a normal item to sensitive when a diagnosis field names a sensitive diagnosis. */
export function sensitivityWithDiagnosis(chosen: Sensitivity, extra: Record<string, unknown>): Sensitivity {
  if (chosen !== 'normal') return chosen;
  const diagnosed = Object.entries(extra).some(
    ([key, value]) => DIAGNOSIS_KEY.test(key) && typeof value === 'string' && isSensitiveDiagnosis(value),
  );
  return diagnosed ? 'sensitive' : chosen;
}
