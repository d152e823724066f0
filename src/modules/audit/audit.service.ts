import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { beijingDateTime, beijingJsonReplacer, beijingTime } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import { maskIdsDeep } from '../../shared/id-in-text.js';
import { wellFormed, wellFormedDeep } from '../../shared/well-formed.js';
import { eventLabel, isEventName } from '../integrity/event-catalog.js';
import { recordEvent } from '../integrity/event-log.js';
import {
  type AuditFilter,
  type ReadingBurst,
  searchEvents,
  sensitiveReadBursts,
} from '../integrity/event.queries.js';

// The audit trail for the 安全审计员: who read or changed what, when, from where and why, an export
// for the inspection file, and alerts on unusual reading. Exporting is itself logged.

export interface AuditQuery {
  actor?: string;
  action?: string;
  subject?: string;
  grant?: number;
  trace?: string;
  from?: string;
  to?: string;
  before?: number;
  limit?: number;
}

export interface AuditEntry {
  seq: number;
  recordedAt: string;
  actor: string;
  action: string;
  actionLabel: string;
  subject: string;
  /** From where (sign-in address), for what (purpose), when the event says. */
  address: string | null;
  purpose: string | null;
  /** The approved access request (查阅申请) a read happened under. */
  grantId: number | null;
  payload: Record<string, unknown>;
}

const MAX_PAGE = 1000;
export const MAX_EXPORT_ROWS = 100_000;

function parseTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  // Only ISO dates and times: JavaScript's own parser takes almost anything ("1 or 1=1") as some date.
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
  // A day or a time without an offset is the auditor's own clock: Beijing, not UTC or the server's zone.
  const text = value.trim().replace(' ', 'T');
  const zoned = /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? `${text}T00:00:00+08:00`
    : /(Z|[+-]\d{2}:?\d{2})$/.test(text)
      ? text
      : `${text}+08:00`;
  const time = iso.test(value.trim()) ? new Date(zoned) : new Date(Number.NaN);
  if (Number.isNaN(time.getTime()))
    throw invalid('TIME_INVALID', `${name} 不是有效的时间（如 2026-11-01 或 2026-11-01T08:00:00+08:00）`);
  return time;
}

function toFilter(query: AuditQuery, limit: number): AuditFilter {
  const from = parseTime(query.from, 'from');
  const to = parseTime(query.to, 'to');
  if (from && to && from >= to) throw invalid('TIME_RANGE_INVALID', '起始时间应早于结束时间');
  return {
    actor: query.actor?.trim() || undefined,
    action: query.action?.trim() || undefined,
    subject: query.subject?.trim() || undefined,
    grantId: query.grant,
    traceId: query.trace?.trim().toUpperCase() || undefined,
    from,
    to,
    beforeSeq: query.before,
    limit,
  };
}

export async function auditTrail(
  db: Db,
  query: AuditQuery,
  access: AccessContext,
): Promise<{ entries: AuditEntry[]; nextBefore: number | null }> {
  wholeTrail(access);
  const limit = Math.min(Math.max(query.limit ?? 100, 1), MAX_PAGE);
  const events = await searchEvents(db, toFilter(query, limit));
  const entries = events.map((event) => {
    // Text stored before the door refused broken characters is served with U+FFFD in their place.
    // An ID number logged before the log masked them is masked on the way out.
    const payload = maskIdsDeep(wellFormedDeep(JSON.parse(event.payload))) as Record<string, unknown>;
    return {
      seq: event.seq,
      recordedAt: event.recordedAt.toISOString(),
      actor: wellFormed(event.actor),
      action: wellFormed(event.action),
      // Names come from the event catalog; one it does not know (an older log's) is shown as stored.
      actionLabel: isEventName(event.action) ? eventLabel(event.action) : wellFormed(event.action),
      subject: wellFormed(event.subject),
      address: typeof payload.address === 'string' ? payload.address : null,
      purpose: typeof payload.purpose === 'string' ? payload.purpose : null,
      grantId: typeof payload.grantId === 'number' ? payload.grantId : null,
      payload,
    };
  });
  return { entries, nextBefore: entries.length === limit ? (entries.at(-1)?.seq ?? null) : null };
}

/** RFC 4180 fields; a leading = + - @ is defused so a spreadsheet never runs a cell as a formula. */
function csvField(value: unknown): string {
  let text =
    value === null || value === undefined
      ? ''
      : typeof value === 'string'
        ? value
        : JSON.stringify(value, beijingJsonReplacer());
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The whole trail (every account, every archive) is the 安全审计员's (audit.read) or the system's. */
function wholeTrail(access: AccessContext): void {
  if (access.kind === 'principal') access.authorize('audit.read');
}

/** The trail as CSV with a BOM (Excel opens it as UTF-8); the export is an event of its own. */
export async function exportAuditCsv(
  db: Db,
  access: AccessContext,
  query: AuditQuery,
): Promise<{ csv: string; rows: number }> {
  const all: AuditEntry[] = [];
  let before = query.before;
  for (;;) {
    const page = await auditTrail(db, { ...query, before, limit: MAX_PAGE }, access);
    all.push(...page.entries);
    if (page.nextBefore === null || all.length >= MAX_EXPORT_ROWS) break;
    before = page.nextBefore;
  }
  const header = [
    '序号',
    '时间',
    '操作人',
    '事件',
    '事件代码',
    '对象',
    '来源地址',
    '目的',
    '授权单号',
    '详情',
  ];
  const lines = [
    header,
    ...all.map((entry) => [
      entry.seq,
      beijingDateTime(entry.recordedAt),
      entry.actor,
      entry.actionLabel,
      entry.action,
      entry.subject,
      entry.address,
      entry.purpose,
      entry.grantId,
      entry.payload,
    ]),
  ];
  const csv = `\uFEFF${lines.map((line) => line.map(csvField).join(',')).join('\r\n')}\r\n`;
  await inTransaction(db, async (trx) =>
    recordEvent(trx, {
      actor: actorIn(access),
      action: 'audit.exported',
      subject: 'audit',
      payload: { filter: { ...query }, rows: all.length },
    }),
  );
  return { csv, rows: all.length };
}

/** 2026-11-22 09时 in China Standard Time, which is how the people reading the alert count hours. */
function beijingHour(hour: Date): string {
  return `${beijingTime(hour).slice(0, 13)}时（北京时间）`;
}

export interface ReadingAlert extends Omit<ReadingBurst, 'hour'> {
  hour: string;
  message: string;
}

/** Accounts that read unusually many sensitive items in one hour (default: 100 within the last 7 days). */
export async function readingAlerts(
  db: Db,
  access: AccessContext,
  options: { days?: number; threshold?: number; now?: Date } = {},
): Promise<ReadingAlert[]> {
  wholeTrail(access);
  const now = options.now ?? new Date();
  const days = Math.min(Math.max(options.days ?? 7, 1), 366);
  const threshold = Math.max(options.threshold ?? 100, 2);
  const bursts = await sensitiveReadBursts(
    db,
    { from: new Date(now.getTime() - days * 86_400_000), to: now },
    threshold,
  );
  return bursts.map((burst) => ({
    ...burst,
    hour: burst.hour.toISOString(),
    message: `${burst.actor} 在 ${beijingHour(burst.hour)} 的一小时内查阅了 ${burst.items} 件敏感档案（${burst.reads} 次）`,
  }));
}
