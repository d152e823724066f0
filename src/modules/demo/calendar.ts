import { pad } from './random.js';

// Dates as whole days since 1970-01-01. Day numbers make "N days before" and "not after" plain integer
// arithmetic, and keep the generator independent of the machine's time zone.

const MS_PER_DAY = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

export const dayNumber = (year: number, month: number, day: number): number =>
  Date.UTC(year, month - 1, day) / MS_PER_DAY;

/** The calendar day a moment falls on in China (UTC+8), which is the day an agency would write down. */
export const chinaDay = (moment: Date): number =>
  Math.floor((moment.getTime() + CHINA_OFFSET_MS) / MS_PER_DAY);

/** Midnight UTC of the day, which chinaDay maps back to the same day. */
export const dateOfDay = (dayNum: number): Date => new Date(dayNum * MS_PER_DAY);

/** Day number of a YYYY-MM-DD string. */
export const parseDay = (text: string): number =>
  dayNumber(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)));

export interface CalendarDay {
  year: number;
  month: number;
  day: number;
}

export function calendarDay(dayNum: number): CalendarDay {
  const date = new Date(dayNum * MS_PER_DAY);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
  };
}

/** YYYY-MM-DD. */
export function formatDay(dayNum: number): string {
  const { year, month, day } = calendarDay(dayNum);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** Day 0, 1970-01-01, was a Thursday. */
export const isWeekend = (dayNum: number): boolean => {
  const weekday = (((dayNum + 4) % 7) + 7) % 7;
  return weekday === 0 || weekday === 6;
};

export const firstDayOfYear = (year: number): number => dayNumber(year, 1, 1);
export const lastDayOfYear = (year: number): number => dayNumber(year, 12, 31);
