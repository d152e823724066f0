// The Chinese names of the scanning and QC codes (OCR status, page flags, colour modes, batch
// status, QC verdicts), for the vocabulary the console and the CLI read.

export const OCR_STATUS_NAMES = {
  queued: '排队中',
  running: '识别中',
  done: '已完成',
  failed: '失败',
} as const;

export const SCAN_FLAG_NAMES = {
  low_resolution: '分辨率不足',
  low_confidence: '识别置信度低',
  no_text: '未识别出文字',
} as const;

export const COLOUR_MODE_NAMES = { bitonal: '黑白二值', gray: '灰度', color: '彩色' } as const;

export const BATCH_STATUS_NAMES = {
  scanning: '扫描中',
  sampled: '质检中',
  accepted: '验收合格',
  returned: '退回返工',
} as const;

export const QC_VERDICT_NAMES = { right: '合格', wrong: '不合格' } as const;
