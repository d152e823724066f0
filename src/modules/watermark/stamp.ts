import crypto from 'node:crypto';
import { beijingTime } from '../../shared/beijing-time.js';

// What a watermark (水印) says: who took the copy, when, for what, and a trace id (追踪号) that is
// also in the event log, so a leaked copy leads back to its reader.

export interface Stamp {
  username: string;
  displayName: string;
  at: Date;
  purpose: string | null;
  traceId: string;
}

// Crockford base32 without I, L, O, U: read aloud or typed from a photo of a leaked page without mix-ups.
const TRACE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** YD-XXXX-XXXX-XX: 50 random bits, enough that two copies never share one. */
export function newTraceId(): string {
  const bytes = crypto.randomBytes(10);
  const chars = [...bytes].map((byte) => TRACE_ALPHABET[byte % 32]).join('');
  return `YD-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 10)}`;
}

export const TRACE_ID_PATTERN = /^YD-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$/;

export function stampLines(stamp: Stamp): string[] {
  const who =
    stamp.displayName && stamp.displayName !== stamp.username
      ? `${stamp.displayName}（${stamp.username}）`
      : stamp.username;
  const purpose = (stamp.purpose ?? '').replace(/\s+/g, ' ').trim();
  return [
    `医档 · ${who} · ${beijingTime(stamp.at)}`,
    `用途：${purpose ? [...purpose].slice(0, 40).join('') : '未注明'}`,
    `追踪号：${stamp.traceId}（仅限本人查阅，不得外传）`,
  ];
}
