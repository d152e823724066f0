import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import {
  BATCH_STATES,
  type BatchState,
  REFUSAL_REASONS,
  TRANSFER_ITEM_STATES,
  TRANSFER_KINDS,
  type TransferItemState,
  type TransferKind,
} from './transfer.names.js';
import { type BatchItemRow, type BatchRow, itemCounts, listBatches } from './transfer.repo.js';
import { fondsReached } from './transfer.scope.js';
import { visibleBatch } from './transfer.service.js';
import type { CheckSummary } from './transfer.tables.js';

// Transfer batches as the console, the API and the CLI show them (no personal field: 题名 masked,
// a person batch's selector says only that it is by person).

const iso = (value: Date | null) => (value === null ? null : new Date(value).toISOString());

export interface BatchBrief {
  code: string;
  fonds: string;
  kind: TransferKind;
  kindLabel: string;
  receiver: string;
  state: BatchState;
  stateLabel: string;
  drawnBy: string;
  drawnAt: string;
  counts: Record<TransferItemState, number>;
}

export interface BatchItemView {
  seq: number;
  archiveCode: string;
  title: string;
  year: number;
  retention: string;
  category: string;
  files: number;
  bytes: number;
  state: TransferItemState;
  stateLabel: string;
  reason: string | null;
  reasonLabel: string | null;
  check: CheckSummary | null;
}

export interface BatchView extends BatchBrief {
  selector: { category?: string; year?: number; items?: number; query?: string; person: boolean };
  exported: {
    by: string | null;
    at: string | null;
    digest: string;
    algorithm: string;
    payloadOxum: string | null;
  } | null;
  receipt: {
    receiver: string | null;
    at: string | null;
    acceptedBy: string | null;
    digest: string;
    keepUntil: string | null;
  } | null;
  withdrawn: { by: string; at: string | null; reason: string | null } | null;
  totals: { items: number; files: number; bytes: number };
  items: BatchItemView[];
}

function brief(batch: BatchRow, counts: Record<TransferItemState, number>): BatchBrief {
  return {
    code: batch.code,
    fonds: batch.fonds_code,
    kind: batch.kind,
    kindLabel: TRANSFER_KINDS[batch.kind],
    receiver: batch.receiver,
    state: batch.state,
    stateLabel: BATCH_STATES[batch.state],
    drawnBy: batch.drawn_by,
    drawnAt: iso(batch.drawn_at) as string,
    counts,
  };
}

function itemView(item: BatchItemRow): BatchItemView {
  return {
    seq: item.seq,
    archiveCode: item.archive_code,
    title: item.title,
    year: item.year,
    retention: item.retention,
    category: item.category,
    files: item.files,
    bytes: Number(item.bytes),
    state: item.state,
    stateLabel: TRANSFER_ITEM_STATES[item.state],
    reason: item.reason,
    reasonLabel:
      item.state === 'refused' && item.reason && item.reason in REFUSAL_REASONS
        ? REFUSAL_REASONS[item.reason as keyof typeof REFUSAL_REASONS]
        : item.detail,
    check: item.check_summary,
  };
}

export function batchViewOf(batch: BatchRow, items: readonly BatchItemRow[]): BatchView {
  const counts: Record<TransferItemState, number> = { included: 0, refused: 0, accepted: 0, rejected: 0 };
  for (const item of items) counts[item.state] += 1;
  const handed = items.filter((item) => item.state !== 'refused');
  return {
    ...brief(batch, counts),
    selector: {
      ...(batch.selector.category ? { category: batch.selector.category } : {}),
      ...(batch.selector.year ? { year: batch.selector.year } : {}),
      ...(batch.selector.items ? { items: batch.selector.items.length } : {}),
      ...(batch.selector.query !== undefined ? { query: batch.selector.query } : {}),
      person: batch.kind === 'person',
    },
    exported:
      batch.export_digest === null
        ? null
        : {
            by: batch.exported_by,
            at: iso(batch.exported_at),
            digest: batch.export_digest,
            algorithm: batch.export_algorithm ?? 'sha256',
            payloadOxum: batch.payload_oxum,
          },
    receipt:
      batch.receipt_digest === null
        ? null
        : {
            receiver: batch.received_by,
            at: iso(batch.received_at),
            acceptedBy: batch.accepted_by,
            digest: batch.receipt_digest,
            keepUntil: batch.keep_until,
          },
    withdrawn:
      batch.withdrawn_by === null
        ? null
        : { by: batch.withdrawn_by, at: iso(batch.withdrawn_at), reason: batch.withdraw_reason },
    totals: {
      items: handed.length,
      files: handed.reduce((sum, item) => sum + item.files, 0),
      bytes: handed.reduce((sum, item) => sum + Number(item.bytes), 0),
    },
    items: items.map(itemView),
  };
}

export async function showBatch(db: Db, access: AccessContext, code: string): Promise<BatchView> {
  if (access.kind === 'principal') access.authorize('transfer.manage');
  const { batch, items } = await visibleBatch(db, access, code);
  return batchViewOf(batch, items);
}

/** The batches of the fonds in the caller's scope, newest first. */
export async function listBatchesFor(
  db: Db,
  access: AccessContext,
  filter: { state?: string; limit?: number } = {},
): Promise<BatchBrief[]> {
  if (access.kind === 'principal') access.authorize('transfer.manage');
  if (filter.state !== undefined && !(filter.state in BATCH_STATES))
    throw invalid(
      'TRANSFER_INPUT_INVALID',
      `状态应为 ${Object.entries(BATCH_STATES)
        .map(([code, name]) => `${code}（${name}）`)
        .join('、')} 之一`,
    );
  const fonds = await fondsReached(db, access);
  const rows = await listBatches(db, {
    fonds,
    ...(filter.state ? { state: filter.state as BatchState } : {}),
    limit: Math.min(Math.max(filter.limit ?? 50, 1), 200),
  });
  const counts = await itemCounts(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) =>
    brief(row, counts.get(row.id) ?? { included: 0, refused: 0, accepted: 0, rejected: 0 }),
  );
}
