// A ledger (台账) as the renderers see it: a cover (封面) with its summary, then one or more tables
// (a 动态台账 has three: 新增, 退出, 参保职工), each with its columns, rows and an optional total row.
// The same document becomes the XLSX and the PDF, so the two can never disagree.

export type LedgerCellValue = string | number | null;

export interface LedgerColumn {
  key: string;
  /** Column heading as printed (Chinese). */
  header: string;
  /** Relative width in characters (a CJK character counts 1); the PDF scales them to the page. */
  width: number;
  /** money: yuan with two decimals, right-aligned; count: an integer, right-aligned; date: YYYY-MM-DD. */
  kind?: 'text' | 'money' | 'count' | 'date';
}

export interface LedgerSection {
  /** Sheet name and the heading above the table in the PDF (at most 31 characters for Excel). */
  title: string;
  columns: LedgerColumn[];
  rows: Array<Record<string, LedgerCellValue>>;
  /** The 合计 row: values by column key (the first column usually holds '合计'). */
  totals?: Record<string, LedgerCellValue>;
}

export interface LedgerDocument {
  /** e.g. 医保扶贫参保台账 */
  title: string;
  /** The period or cut-off in words, e.g. 截至 2026年6月30日. */
  period: string;
  /** 编制单位: the agency (fonds) that keeps the ledger. */
  agency: string;
  /** Cover summary (封面): label and value pairs, in order. */
  cover: Array<{ label: string; value: string }>;
  sections: LedgerSection[];
  /** 制表时间 */
  madeAt: Date;
  /** 制表人: the user's display name. */
  madeBy: string;
  /**
   * Printed across every page and in every header when set: a preview (预览) is marked so that a copy
   * saved from it is never taken for the filed ledger.
   */
  mark?: string;
}

/** The mark of a ledger made without filing it. */
export const PREVIEW_MARK = '预览 · 未归档';
