// Times as the people of a Chinese agency read them: China Standard Time (UTC+8, no daylight saving),
// whatever the server's own time zone.

const CHINA_OFFSET_MS = 8 * 3_600_000;

/** 2026-11-22 10:05 in Beijing time. */
export function beijingTime(at: Date): string {
  const local = new Date(at.getTime() + CHINA_OFFSET_MS).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}
