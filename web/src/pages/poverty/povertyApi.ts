import { api, unwrap } from '../../api/client';
import type { BodyOf, QueryOf, ResponseOf } from '../../api/types';
import { RECONCILE_REPORT_NAMES } from '../../app/labels';

// The 医保扶贫 calls the page makes, and the small pieces of wording its parts share.

export type ReconcileSource = QueryOf<'/api/v1/reconciliations', 'post'>['source'];
export type ReconcileResult = ResponseOf<'/api/v1/reconciliations', 'post'>;
export type ReconcileRun = ResponseOf<'/api/v1/reconciliations', 'get'>['runs'][number];
export type LedgerOrder = BodyOf<'/api/v1/ledgers/preview', 'post'>;
export type LedgerKind = LedgerOrder['kind'];
export type MadeLedger = ResponseOf<'/api/v1/ledgers', 'post'>;
export type PreviewedLedger = ResponseOf<'/api/v1/ledgers/preview', 'post'>;
export type RosterImport = ResponseOf<'/api/v1/roster/imports', 'post'>;

export const RECONCILE_SOURCES: readonly ReconcileSource[] = ['扶贫办', '民政', '乡村振兴局', '其他'];

export const reconcilePath = (source: ReconcileSource) =>
  `/api/v1/reconciliations?source=${encodeURIComponent(source)}`;

export const rosterImportPath = (dryRun: boolean) => `/api/v1/roster/imports${dryRun ? '?dryRun=true' : ''}`;

/** A run's workbooks, for runs listed without their links (the upload's answer carries its own). */
export const reportLinks = (runId: number) =>
  Object.entries(RECONCILE_REPORT_NAMES).map(([kind, name]) => ({
    kind,
    name,
    href: `/api/v1/reconciliations/${runId}/${kind}.xlsx`,
  }));

/** The name the server gives a workbook: the list's own name, then the workbook's. */
export const reportFileName = (listName: string, reportName: string) =>
  `${listName.replace(/\.[^.]*$/, '')}.${reportName}.xlsx`;

export const durationText = (ms: number) => (ms < 1000 ? `${ms} 毫秒` : `${(ms / 1000).toFixed(1)} 秒`);

/** Saves a blob the page already holds as a browser download. */
export function saveBlob(blob: Blob, fileName: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/** Makes a ledger without filing it: its cover, first rows, digest and both files marked 预览. */
export const previewLedger = (order: LedgerOrder) =>
  unwrap(api.POST('/api/v1/ledgers/preview', { params: { query: { content: true } }, body: order }));

/**
 * Files the ledger that was previewed (the server refuses if its data changed since); answers the
 * cover, the 档号 and both files' content: once filed, its files (ID numbers, diagnoses) are read only
 * under an approved request, so the maker saves them now.
 */
export const fileLedger = (order: LedgerOrder, previewDigest: string) =>
  unwrap(
    api.POST('/api/v1/ledgers', {
      params: { query: { content: true } },
      body: { ...order, previewDigest },
    }),
  );

const MEDIA_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** A file of a just-made ledger as a Blob, from the base64 the answer carries. */
export function ledgerFileBlob(fileName: string, contentBase64: string): Blob {
  const bytes = Uint8Array.from(atob(contentBase64), (char) => char.charCodeAt(0));
  return new Blob([bytes], {
    type: MEDIA_TYPES[fileName.split('.').pop() ?? ''] ?? 'application/octet-stream',
  });
}
