import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc.js';

// Times as the people of the agency read them: Beijing time (UTC+8, no daylight saving), whatever
// zone the browser is set to and whatever offset the API wrote (+08:00, or Z from the integrity log).
// The server formats its own tables, exports and ledgers the same way (src/shared/beijing-time.ts).

dayjs.extend(utc);

const BEIJING_OFFSET_MINUTES = 8 * 60;
const FORMATS = {
  second: 'YYYY-MM-DD HH:mm:ss',
  minute: 'YYYY-MM-DD HH:mm',
  day: 'YYYY-MM-DD',
} as const;

/** 2026-12-07 11:33:05 (or to the minute, or the day) in Beijing time; `blank` for no time. */
export function beijingText(
  value: string | null | undefined,
  precision: keyof typeof FORMATS = 'second',
  blank = '—',
): string {
  if (!value) return blank;
  const moment = dayjs(value);
  return moment.isValid() ? moment.utcOffset(BEIJING_OFFSET_MINUTES).format(FORMATS[precision]) : value;
}

/** A wall-clock time typed in Beijing time ("2026-12-07 11:33:05") as ISO 8601 with its offset. */
export function beijingIsoOf(text: string): string {
  const typed = text.trim();
  const moment = dayjs(typed);
  if (!moment.isValid()) return typed;
  // A time that names its own offset is that instant; one without is a Beijing wall clock.
  if (/(Z|[+-]\d{2}:?\d{2})$/i.test(typed))
    return moment.utcOffset(BEIJING_OFFSET_MINUTES).format('YYYY-MM-DDTHH:mm:ssZ');
  return `${moment.format('YYYY-MM-DDTHH:mm:ss')}+08:00`;
}
