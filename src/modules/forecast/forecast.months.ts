// Months as the series carry them: 'YYYY-MM'. A series is consecutive months; the tool names the
// months that are missing rather than filling them.

const MONTH = /^(\d{4})(?:[-/.年](\d{1,2})月?|(\d{2}))$/;

/** 'YYYY-MM' from the spellings extracts use (2024-03, 2024/3, 2024.03, 2024年3月, 202403); null if none. */
export function parseMonth(text: string): string | null {
  const match = MONTH.exec(text.trim());
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2] ?? match[3]);
  if (year < 1900 || year > 2200 || month < 1 || month > 12) return null;
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** Months since year 0: consecutive months differ by one. */
export const monthIndex = (period: string): number =>
  Number(period.slice(0, 4)) * 12 + Number(period.slice(5, 7)) - 1;

export const monthAt = (index: number): string =>
  `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;

export const addMonths = (period: string, months: number): string => monthAt(monthIndex(period) + months);

/** Every month from `first` to `last`, inclusive. */
export function monthsBetween(first: string, last: string): string[] {
  const months: string[] = [];
  for (let i = monthIndex(first); i <= monthIndex(last); i++) months.push(monthAt(i));
  return months;
}
