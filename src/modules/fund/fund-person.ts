import { idNumberIndex, sealIdNumber } from '../../shared/field-cipher.js';
import { checkIdNumber, maskIdNumber } from '../catalog/id-number.js';

// The insured person of a settlement, as the audit rules need them: sex and birth date read from the
// ID number (GB 11643: digits 7–14 the birth date, the 17th odd for men), keyed by the same blind index
// catalog keeps beside each sealed ID number, and the number itself only sealed under the field key.

export interface PersonFacts {
  personKey: string;
  idNumberSealed: string;
  sex: '男' | '女';
  birthDate: string;
  /** The 6-digit region of the ID number (where it was issued). */
  region: string;
}

/** What is wrong with an ID number (Chinese), or undefined; the check digit is verified. */
export function idNumberProblem(idNumber: string, today?: Date): string | undefined {
  return checkIdNumber(idNumber.trim().toUpperCase(), today);
}

/** Sex and birth date from a valid ID number. */
export function idFacts(idNumber: string): { sex: '男' | '女'; birthDate: string; region: string } {
  const value = idNumber.trim().toUpperCase();
  return {
    sex: Number(value[16]) % 2 === 1 ? '男' : '女',
    birthDate: `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`,
    region: value.slice(0, 6),
  };
}

/** A person's row from their (already checked) ID number: key, sealed number, sex, birth, region. */
export function personFacts(idNumber: string): PersonFacts {
  const value = idNumber.trim().toUpperCase();
  return {
    personKey: idNumberIndex(value) as string,
    idNumberSealed: sealIdNumber(value) as string,
    ...idFacts(value),
  };
}

/** The blind index an ID number is looked up by (the same as catalog's). */
export const personKeyOf = (idNumber: string): string =>
  idNumberIndex(idNumber.trim().toUpperCase()) as string;

/** A person as shown to a viewer: the ID number masked as catalog masks it. */
export const maskedId = (idNumber: string | null): string | null => maskIdNumber(idNumber);

/** Whole years from birth to a date (both 'YYYY-MM-DD'). */
export function ageAt(birthDate: string, date: string): number {
  const years = Number(date.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return date.slice(5) < birthDate.slice(5) ? years - 1 : years;
}
