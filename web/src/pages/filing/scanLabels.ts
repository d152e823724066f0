import { useEffect } from 'react';
import type { ResponseOf } from '../../api/types';
import { namesOf, type Vocabulary, viewOf } from '../../app/vocabulary';

// Chinese names of the scanning and QC codes, and the answer types the scans page shows.

export type ScanPage = ResponseOf<'/api/v1/items/{archiveCode}/scans', 'get'>['pages'][number];
export type ScanResult = ResponseOf<'/api/v1/items/{archiveCode}/scans', 'post', 201>;
export type AttachedFile = ResponseOf<'/api/v1/items/{archiveCode}/files', 'post', 201>;
export type Batch = ResponseOf<'/api/v1/scan-batches', 'get'>['batches'][number];
export type QcReport = ResponseOf<'/api/v1/scan-batches/{id}/qc', 'get'>;
export type QcRound = QcReport['rounds'][number];
export type QcSample = QcRound['samples'][number];
export type OcrProgress = ResponseOf<'/api/v1/ocr/progress', 'get'>;

/** Code → Chinese name (the server's vocabulary) and the tag colour the console gives it. */
const tagged = (select: (v: Vocabulary) => Record<string, string>, colours: Record<string, string>) =>
  viewOf((v) =>
    Object.fromEntries(
      Object.entries(select(v)).map(([code, label]) => [code, { label, color: colours[code] ?? 'default' }]),
    ),
  );

export const OCR_STATUS = tagged((v) => v.values.ocrStatus, {
  queued: 'default',
  running: 'processing',
  done: 'success',
  failed: 'error',
});

export const SCAN_FLAGS = namesOf((v) => v.values.scanFlag);

export const COLOUR_MODES = namesOf((v) => v.values.colourMode);

export const BATCH_STATUS = tagged((v) => v.values.batchStatus, {
  scanning: 'processing',
  sampled: 'warning',
  accepted: 'success',
  returned: 'error',
});

export const VERDICTS = tagged((v) => v.values.qcVerdict, { right: 'success', wrong: 'error' });

export const percent = (share: number, digits = 1) =>
  `${(share * 100).toFixed(digits).replace(/\.0+$/, '')}%`;

export const dpiText = (x: number | null, y: number | null) =>
  x === null ? '未记录' : x === y || y === null ? `${x} dpi` : `${x}×${y} dpi`;

/** Calls `tick` every `ms` while `active` holds (OCR in progress), and stops when it no longer does. */
export function usePolling(tick: () => void, active: boolean, ms: number): void {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  }, [tick, active, ms]);
}
