import { useEffect } from 'react';
import type { ResponseOf } from '../../api/types';

// Chinese names of the scanning and QC codes, and the answer types the scans page shows.

export type ScanPage = ResponseOf<'/api/v1/items/{archiveCode}/scans', 'get'>['pages'][number];
export type ScanResult = ResponseOf<'/api/v1/items/{archiveCode}/scans', 'post', 201>;
export type AttachedFile = ResponseOf<'/api/v1/items/{archiveCode}/files', 'post', 201>;
export type Batch = ResponseOf<'/api/v1/scan-batches', 'get'>['batches'][number];
export type QcReport = ResponseOf<'/api/v1/scan-batches/{id}/qc', 'get'>;
export type QcRound = QcReport['rounds'][number];
export type QcSample = QcRound['samples'][number];
export type OcrProgress = ResponseOf<'/api/v1/ocr/progress', 'get'>;

export const OCR_STATUS: Record<string, { label: string; color: string }> = {
  queued: { label: '排队中', color: 'default' },
  running: { label: '识别中', color: 'processing' },
  done: { label: '已完成', color: 'success' },
  failed: { label: '失败', color: 'error' },
};

export const SCAN_FLAGS: Record<string, string> = {
  low_resolution: '分辨率不足',
  low_confidence: '识别置信度低',
  no_text: '未识别出文字',
};

export const COLOUR_MODES: Record<string, string> = {
  bitonal: '黑白',
  gray: '灰度',
  color: '彩色',
};

export const BATCH_STATUS: Record<string, { label: string; color: string }> = {
  scanning: { label: '扫描中', color: 'processing' },
  sampled: { label: '质检中', color: 'warning' },
  accepted: { label: '验收合格', color: 'success' },
  returned: { label: '退回返工', color: 'error' },
};

export const VERDICTS: Record<string, { label: string; color: string }> = {
  right: { label: '合格', color: 'success' },
  wrong: { label: '不合格', color: 'error' },
};

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
