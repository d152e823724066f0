import type { ClueState, RunState } from './rule.tables.js';

// The words of 线索 and 审核运行 people read: the CLI and (through GET /api/v1/vocabulary) the console.

export const CLUE_STATE_LABELS: Readonly<Record<ClueState, string>> = {
  open: '待处理',
  in_case: '已立案',
  dismissed: '已排除',
};

export const RUN_STATE_LABELS: Readonly<Record<RunState, string>> = {
  queued: '排队中',
  running: '运行中',
  finished: '已完成',
  failed: '失败',
};
