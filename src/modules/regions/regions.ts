import { GBT2260_TABLE } from './gbt2260-data.js';

// GB/T 2260 lookups. Codes are 6 digits: 2 for the province, 2 for the prefecture, 2 for the county.

const NAMES = new Map<string, string>();
for (const line of GBT2260_TABLE.split('\n')) {
  if (line.length > 6) NAMES.set(line.slice(0, 6), line.slice(6));
}

export const isRegionCode = (code: string): boolean => NAMES.has(code);

export const regionName = (code: string): string | undefined => NAMES.get(code);

/** Whether the first two digits name a province-level division (ID numbers keep old county codes). */
export const isProvincePrefix = (code: string): boolean => NAMES.has(`${code.slice(0, 2)}0000`);

/** The full name, province first: 江苏省 南京市 江宁区. */
export function regionFullName(code: string): string | undefined {
  const own = NAMES.get(code);
  if (!own) return undefined;
  const parts = [NAMES.get(`${code.slice(0, 2)}0000`), NAMES.get(`${code.slice(0, 4)}00`), own];
  return [...new Set(parts.filter((part): part is string => Boolean(part)))].join(' ');
}

/** County-level codes (the ones ID numbers and pooling regions use), in code order. */
export const COUNTY_CODES: readonly string[] = [...NAMES.keys()].filter(
  (code) => !code.endsWith('00') && Number(code.slice(0, 2)) < 70,
);
