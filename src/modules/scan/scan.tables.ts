import type { ColumnType, Generated } from 'kysely';

// Row shapes of the scanning, OCR and quality-control tables (see the scan migration).

export type ColourMode = 'bitonal' | 'gray' | 'color';
export type OcrStatus = 'queued' | 'running' | 'done' | 'failed';
/** Why a page should be scanned again: below the fonds' resolution, OCR unsure, or no text found. */
export type PageFlag = 'low_resolution' | 'low_confidence' | 'no_text';
export type BatchStatus = 'scanning' | 'sampled' | 'accepted' | 'returned';

export interface ScanBatchTable {
  id: Generated<number>;
  fonds_code: string;
  name: string;
  status: ColumnType<BatchStatus, BatchStatus | undefined, BatchStatus>;
  /** numeric columns come back as strings from both drivers. */
  sample_rate: ColumnType<string, number, number>;
  max_error_rate: ColumnType<string, number, number>;
  created_by: string;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface ScanPageTable {
  item_id: number;
  /** Sequence of the page within the item, across its scanned files. */
  page: number;
  file_number: number;
  page_in_file: number;
  /** 档号-0001: the page's name in listings and exports. */
  image_name: string;
  batch_id: number | null;
  width: number;
  height: number;
  dpi_x: number | null;
  dpi_y: number | null;
  colour_mode: ColourMode;
  flags: ColumnType<PageFlag[], PageFlag[] | undefined, PageFlag[]>;
  ocr_status: ColumnType<OcrStatus, OcrStatus | undefined, OcrStatus>;
  ocr_attempts: ColumnType<number, number | undefined, number>;
  ocr_available_at: ColumnType<Date, Date | undefined, Date>;
  ocr_lease_until: Date | null;
  /** host:pid of the worker holding the lease. */
  ocr_worker: string | null;
  ocr_error: string | null;
  ocr_confidence: number | null;
  ocr_characters: number | null;
  ocr_seconds: number | null;
  ocr_done_at: Date | null;
  added_at: ColumnType<Date, Date | undefined, never>;
}

export interface QcRoundTable {
  id: Generated<number>;
  batch_id: number;
  round: number;
  sample_rate: ColumnType<string, number, never>;
  max_error_rate: ColumnType<string, number, never>;
  pages: number;
  sampled: number;
  drawn_by: string;
  drawn_at: ColumnType<Date, Date | undefined, never>;
  wrong: number | null;
  decision: 'accepted' | 'returned' | null;
  decided_by: string | null;
  decided_at: Date | null;
}

export interface QcSampleTable {
  round_id: number;
  item_id: number;
  page: number;
  verdict: 'right' | 'wrong' | null;
  reason: string | null;
  reviewer: string | null;
  reviewed_at: Date | null;
}

export interface ScanTables {
  scan_batch: ScanBatchTable;
  scan_page: ScanPageTable;
  qc_round: QcRoundTable;
  qc_sample: QcSampleTable;
}
