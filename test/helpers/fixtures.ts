import { expect } from 'vitest';
import { idCheckChar } from '../../src/modules/catalog/id-number.js';
import { YidangError } from '../../src/shared/errors.js';

/** A synthetic resident ID number with a correct check character. */
export const validId = (first17 = '32011519850312123'): string => `${first17}${idCheckChar(first17)}`;

/** A wrong check character for the same first 17 digits. */
export function wrongCheckId(first17 = '32011519850312123'): string {
  const right = idCheckChar(first17);
  return `${first17}${right === '1' ? '2' : '1'}`;
}

export const FONDS = { code: 'J013', name: '南京市江宁区医疗保障局', regionCode: '320115' };

export function reimbursement(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    fonds: 'J013',
    category: 'JSLX',
    org: 'JSK',
    title: '王建国 个人零星医疗费用报销审核表',
    responsible: '南京市江宁区医疗保障局',
    date: '2024-03-15',
    idNumber: validId(),
    name: '王建国',
    insuredNumber: '3201150012345',
    handledAt: '2024-03-15T10:20:00+08:00',
    handler: '李娜',
    agency: '江宁区医保服务中心',
    poolingRegion: '320115',
    amount: '1234.5',
    extra: { hospital: '江宁医院' },
    ...overrides,
  };
}

/** Awaits a promise that must fail with a YidangError (or the given subclass), and returns that error. */
export async function failure<T extends YidangError = YidangError>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T = YidangError as never,
): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, String(error)).toBeInstanceOf(type);
  return error as T;
}
