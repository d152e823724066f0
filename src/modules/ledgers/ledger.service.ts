import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { conflict, invalid, YidangError } from '../../shared/errors.js';
import { keyedHash } from '../../shared/field-cipher.js';
import { isValidCalendarDate } from '../catalog/id-number.js';
import { itemSubject } from '../catalog/item.state.js';
import { recordEvent } from '../integrity/event-log.js';
import { type IngestResult, ingestArchive } from '../push/push.service.js';
import type { BlobStore } from '../storage/blob-store.js';
import { buildLedger, type LedgerPeriod, monthBounds } from './ledger.data.js';
import { type LedgerDocument, PREVIEW_MARK } from './ledger.document.js';
import { maskDocument } from './ledger.mask.js';
import { renderLedgerFiles } from './ledger.files.js';
import { type LedgerReach, ledgerReach } from './ledger.reach.js';
import { LEDGER_CATEGORY, LEDGER_KINDS, type LedgerKind } from './ledger-category.js';

// Making a ledger: check the period, build the document from the data the caller's scope reaches,
// render it as XLSX and as a printable PDF, and file both as one archive item (医保扶贫台账) with
// its 档号 and digests, through the same idempotent push that business systems use. The filed copy
// holds the ID numbers (a sensitive archive, read later under an approved request); the copy handed
// to its maker is masked unless they may unmask and asked to, with a purpose, which is logged.
// A preview makes the same ledger without filing it (its files marked 预览 · 未归档, the showing
// logged); filing then names the preview's digest, and is refused if the data changed since.

export interface LedgerOrder {
  kind: LedgerKind;
  asOf?: string;
  month?: string;
  from?: string;
  to?: string;
  /** 全宗号; may be left out when there is only one fonds. */
  fonds?: string;
  /** 机构（问题）代码 for the 档号 (default FP, the 医保扶贫 work). */
  org?: string;
  /** The region (6-digit code) the ledger covers, within the caller's scope; by default all of it. */
  region?: string;
  /** Hand the maker the copy with ID numbers and names in full (needs item.unmask and a purpose). */
  unmask?: boolean;
  purpose?: string;
  /** The formats handed back (a masked copy is rendered only for these); default both. */
  deliver?: ReadonlyArray<'xlsx' | 'pdf'>;
  /** Filing what was previewed: the preview's digest; the ledger is not filed if its data changed. */
  previewDigest?: string;
}

export interface LedgerContext {
  db: Db;
  store: BlobStore;
  /** Who makes the ledger: a principal's scope limits its fonds and people; a system context reaches all. */
  access: AccessContext;
}

export interface LedgerMaker {
  actor: string;
  displayName: string;
  /** Whether the maker holds item.unmask. */
  mayUnmask?: boolean;
}

export interface MadeLedger {
  /** The document as handed to the maker (masked unless unmasked). */
  document: LedgerDocument;
  /** The files as handed to the maker; empty when not in `deliver`. */
  xlsx: Buffer;
  pdf: Buffer;
  filed: IngestResult;
  fileBase: string;
  /** Whether the files handed back hold personal data in full. */
  unmasked: boolean;
  /** The ledger's digest (its order and data); equal to the preview's when one was named. */
  digest: string;
}

/** A ledger made and not filed: what a preview hands back. */
export interface PreviewedLedger {
  /** The document as shown (masked unless unmasked), marked 预览 · 未归档. */
  document: LedgerDocument;
  /** The files as shown, marked; empty when not in `deliver`. */
  xlsx: Buffer;
  pdf: Buffer;
  /** Names this ledger's order and data: filing with it files exactly this ledger, or nothing. */
  digest: string;
  /** The file name stem of the preview's files (…-预览). */
  fileBase: string;
  unmasked: boolean;
}

/** At most this many days in one benefits ledger (a year and a bit, for annual ledgers with a grace month). */
const MAX_PERIOD_DAYS = 400;

function checkDay(value: string | undefined, name: string, today: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value ?? '');
  if (!match || !isValidCalendarDate(Number(match[1]), Number(match[2]), Number(match[3])))
    throw invalid('LEDGER_PERIOD', `${name} 应为日期，如 2026-06-30`);
  if ((value as string) > today)
    throw invalid('LEDGER_PERIOD', `${name} ${value} 晚于今天，台账只能截至今天或以前`);
  if ((value as string) < '2000-01-01') throw invalid('LEDGER_PERIOD', `${name} ${value} 早于 2000 年`);
  return value as string;
}

const beijingDay = (moment: Date) => beijingDate(moment);

/** The period a ledger kind takes, checked: a cut-off, a month, or a span of days. */
export function ledgerPeriod(order: LedgerOrder, now: Date): LedgerPeriod {
  const today = beijingDay(now);
  const given = ['asOf', 'month', 'from', 'to'].filter(
    (key) => order[key as keyof LedgerOrder] !== undefined,
  );
  const want = (keys: string[], words: string) => {
    if (given.some((key) => !keys.includes(key)) || keys.some((key) => !given.includes(key)))
      throw invalid('LEDGER_PERIOD', `${LEDGER_KINDS[order.kind]}需要${words}`);
  };
  if (order.kind === 'dynamic') {
    want(['month'], '月份（--month YYYY-MM）');
    const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(order.month ?? '');
    if (!match) throw invalid('LEDGER_PERIOD', '月份应为 YYYY-MM，如 2026-06');
    if (monthBounds(order.month as string).from > today)
      throw invalid('LEDGER_PERIOD', `${order.month} 尚未开始`);
    return { month: order.month as string };
  }
  if (order.kind === 'benefits') {
    want(['from', 'to'], '起止日期（--from 与 --to）');
    const from = checkDay(order.from, '起始日期', today);
    const to = checkDay(order.to, '截止日期', today);
    if (from > to) throw invalid('LEDGER_PERIOD', `起始日期 ${from} 晚于截止日期 ${to}`);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (days > MAX_PERIOD_DAYS)
      throw invalid(
        'LEDGER_PERIOD',
        `期间过长（${days + 1} 天），一册待遇享受台账最多 ${MAX_PERIOD_DAYS} 天`,
      );
    return { from, to };
  }
  want(['asOf'], '截至日期（--as-of YYYY-MM-DD）');
  return { asOf: checkDay(order.asOf, '截至日期', today) };
}

const periodWords = (period: LedgerPeriod) =>
  'asOf' in period ? `截至${period.asOf}` : 'month' in period ? period.month : `${period.from}至${period.to}`;

/** Whether the maker gets the copy in full: only when they may unmask, asked to, and said why. */
function revealFor(context: LedgerContext, order: LedgerOrder, maker: LedgerMaker): string | null {
  // A system context is the system itself: nothing is handed to a person.
  if (context.access.kind === 'system') return order.unmask === false ? null : '';
  if (!order.unmask) return null;
  if (!maker.mayUnmask)
    throw new YidangError('FORBIDDEN', 'forbidden', '无权查看未脱敏的个人信息，台账只能以脱敏形式交付');
  const purpose = order.purpose?.trim() ?? '';
  if (purpose === '')
    throw invalid('PURPOSE_REQUIRED', '取得未脱敏的台账须写明用途（purpose），用途记入事件日志');
  return purpose.slice(0, 200);
}

/** The document built for an order, before it is filed or shown. */
interface Prepared {
  period: LedgerPeriod;
  words: string;
  purpose: string | null;
  reach: LedgerReach;
  /** In full: the filed copy, and what the digest covers. */
  document: LedgerDocument;
  digest: string;
}

/**
 * What the ledger holds, keyed (nobody without the field key can test a guess of its people against
 * it): the order that chose the rows, the fonds and regions, and every cover line and cell; not when
 * or by whom it was made.
 */
function ledgerDigest(kind: LedgerKind, period: LedgerPeriod, reach: LedgerReach, document: LedgerDocument) {
  const content = JSON.stringify([
    kind,
    period,
    reach.fonds.code,
    reach.regions,
    document.title,
    document.period,
    document.cover,
    document.sections.map((section) => [
      section.title,
      section.columns.map((column) => column.key),
      section.rows.map((row) => section.columns.map((column) => row[column.key] ?? null)),
      section.totals ?? null,
    ]),
  ]);
  return keyedHash('ledger-digest', content).subarray(0, 16).toString('hex');
}

async function prepare(
  context: LedgerContext,
  order: LedgerOrder,
  maker: LedgerMaker,
  now: Date,
): Promise<Prepared> {
  const period = ledgerPeriod(order, now);
  const purpose = revealFor(context, order, maker);
  const reach: LedgerReach = await ledgerReach(context.db, order, context.access);
  const document = await buildLedger(context.db, {
    kind: order.kind,
    period,
    agency: reach.fonds.name,
    madeBy: maker.displayName,
    madeAt: now,
    regions: reach.regions,
  });
  const digest = ledgerDigest(order.kind, period, reach, document);
  return { period, words: periodWords(period), purpose, reach, document, digest };
}

/** The XLSX and PDF of a document, each only when asked for (empty otherwise), on a CPU pool thread. */
async function renderFiles(
  document: LedgerDocument,
  formats: ReadonlyArray<'xlsx' | 'pdf'>,
): Promise<{ xlsx: Buffer; pdf: Buffer }> {
  return renderLedgerFiles(document, formats);
}

/**
 * Makes the ledger and shows it without filing: nothing is archived or numbered. It exposes the same
 * personal data as the filed one (masked unless unmasked with a purpose), so each preview is logged.
 */
export async function previewLedger(
  context: LedgerContext,
  order: LedgerOrder,
  maker: LedgerMaker,
  now = new Date(),
): Promise<PreviewedLedger> {
  const prepared = await prepare(context, order, maker, now);
  const { document: full, purpose, reach, digest } = prepared;
  const unmasked = purpose !== null;
  const shown = { ...(unmasked ? full : maskDocument(full)), mark: PREVIEW_MARK };
  const formats = order.deliver ?? ['xlsx', 'pdf'];
  const files = await renderFiles(shown, formats);
  await inTransaction(context.db, async (trx) =>
    recordEvent(trx, {
      actor: maker.actor,
      action: 'ledger.previewed',
      subject: `ledger:${reach.fonds.code}`,
      payload: {
        kind: order.kind,
        period: prepared.words,
        fonds: reach.fonds.code,
        region: reach.poolingRegion,
        rows: full.sections.reduce((sum, section) => sum + section.rows.length, 0),
        digest,
        formats: [...formats],
        unmasked,
        purpose: purpose || null,
      },
    }),
  );
  return {
    document: shown,
    ...files,
    digest,
    fileBase: `${LEDGER_KINDS[order.kind]}-${prepared.words}-预览`,
    unmasked,
  };
}

export async function makeLedger(
  context: LedgerContext,
  order: LedgerOrder,
  maker: LedgerMaker,
  now = new Date(),
): Promise<MadeLedger> {
  const { words, purpose, reach, document, digest } = await prepare(context, order, maker, now);
  if (order.previewDigest !== undefined && order.previewDigest.trim() !== digest)
    throw conflict(
      'LEDGER_PREVIEW_STALE',
      '台账数据自预览后已变化（或预览的条件不同），未归档；请重新预览，核对无误后再归档',
    );
  const { fonds } = reach;
  const filedFiles = await renderFiles(document, ['xlsx', 'pdf']);
  const fileBase = `${LEDGER_KINDS[order.kind]}-${words}`;
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  const filed = await ingestArchive(
    context,
    {
      source: '医档台账编制',
      // Each making is its own archive (制表时间 differs), so the key only has to be unique.
      serial: `${fonds.code}-${order.kind}-${words.replace(/[^0-9A-Za-z-]/g, '')}-${stamp}-${crypto.randomBytes(3).toString('hex')}`,
      item: {
        fonds: fonds.code,
        category: LEDGER_CATEGORY.code,
        org: order.org ?? 'FP',
        title: `${document.title}（${document.period}）`,
        responsible: fonds.name,
        date: beijingDay(now),
        handledAt: now.toISOString(),
        handler: maker.displayName,
        carrier: 'electronic',
        sensitivity: 'sensitive',
        ...(reach.poolingRegion ? { poolingRegion: reach.poolingRegion } : {}),
        extra: { ledgerKind: LEDGER_KINDS[order.kind], period: words },
      },
      files: [
        { name: `${fileBase}.xlsx`, content: filedFiles.xlsx },
        { name: `${fileBase}.pdf`, content: filedFiles.pdf },
      ],
    },
    maker.actor,
    { now },
  );
  if (purpose !== null) {
    if (context.access.kind === 'principal')
      await inTransaction(context.db, async (trx) =>
        recordEvent(trx, {
          actor: maker.actor,
          action: 'item.unmasked',
          subject: itemSubject(filed.archiveCode),
          payload: { fields: ['name', 'idNumber', 'address'], purpose, ledger: true },
        }),
      );
    return { document, ...filedFiles, filed, fileBase, unmasked: true, digest };
  }
  const masked = maskDocument(document);
  const handed = await renderFiles(masked, order.deliver ?? ['xlsx', 'pdf']);
  return { document: masked, ...handed, filed, fileBase, unmasked: false, digest };
}
