// Times as the people of a Chinese agency read them: China Standard Time (UTC+8, no daylight saving),
// whatever the server's own time zone. Every table, export, report and message a person reads formats
// its times here, so no screen or file shows a UTC time eight hours off what the auditor sees elsewhere.

const CHINA_OFFSET_MS = 8 * 3_600_000;

/** A moment as the database, the API or a Date gives it: a Date, an ISO 8601 string or epoch milliseconds. */
export type Moment = Date | string | number;

/** `2026-12-07T11:33:05.123Z`: what toISOString() and JSON.stringify(Date) write. */
const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

function instant(at: Moment): Date {
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) throw new RangeError(`不是有效的时间：${String(at)}`);
  return date;
}

/** The moment's wall clock in Beijing, as `YYYY-MM-DDTHH:mm:ss.sss` (no zone). */
function wallClock(at: Moment): string {
  return new Date(instant(at).getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 23);
}

/** 2026-11-22 10:05 in Beijing time (minutes: footers, watermarks). */
export function beijingTime(at: Moment): string {
  const local = wallClock(at);
  return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}

/** `2026-12-07 11:33:05`: the table form. null/undefined stay null so callers choose the blank. */
export function beijingDateTime(at: Moment): string;
export function beijingDateTime(at: Moment | null | undefined): string | null;
export function beijingDateTime(at: Moment | null | undefined): string | null {
  if (at === null || at === undefined) return null;
  const local = wallClock(at);
  return `${local.slice(0, 10)} ${local.slice(11, 19)}`;
}

/** `2026-12-07`: the Beijing calendar day (a moment at 16:00 UTC is already the next day). */
export function beijingDate(at: Moment): string;
export function beijingDate(at: Moment | null | undefined): string | null;
export function beijingDate(at: Moment | null | undefined): string | null {
  if (at === null || at === undefined) return null;
  return wallClock(at).slice(0, 10);
}

/**
 * `2026-12-07T11:33:05+08:00`: ISO 8601 with the Beijing offset. `precise` keeps milliseconds when
 * there are any (`…05.120+08:00`), for API fields a client may send back and compare.
 */
export function beijingIso(at: Moment, options?: { precise?: boolean }): string;
export function beijingIso(at: Moment | null | undefined, options?: { precise?: boolean }): string | null;
export function beijingIso(
  at: Moment | null | undefined,
  options: { precise?: boolean } = {},
): string | null {
  if (at === null || at === undefined) return null;
  const local = wallClock(at);
  const keepMillis = options.precise && !local.endsWith('.000');
  return `${keepMillis ? local : local.slice(0, 19)}+08:00`;
}

/** True for a string written by toISOString() (UTC, with `Z`). */
export function isUtcIso(value: unknown): value is string {
  return typeof value === 'string' && UTC_ISO.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * A JSON.stringify replacer that writes every UTC time (Dates arrive here already as `…Z` strings) in
 * Beijing ISO form; everything else passes unchanged.
 */
export function beijingJsonReplacer(options: { precise?: boolean } = {}) {
  return (_key: string, value: unknown): unknown => (isUtcIso(value) ? beijingIso(value, options) : value);
}

/** A copy of a JSON-like value with every Date and UTC ISO string in Beijing ISO form. */
export function withBeijingTimes<T>(value: T, options: { precise?: boolean } = {}): T {
  if (value instanceof Date) return (Number.isNaN(value.getTime()) ? value : beijingIso(value, options)) as T;
  if (isUtcIso(value)) return beijingIso(value, options) as T;
  if (Array.isArray(value)) return value.map((entry) => withBeijingTimes(entry, options)) as T;
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) copy[key] = withBeijingTimes(entry, options);
    return copy as T;
  }
  return value;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
