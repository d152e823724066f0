// The names of a fixity run's states and of what it finds wrong with a copy, for the service's
// messages and the console (through the vocabulary).

export const FIXITY_RUN_STATUS_NAMES = {
  running: '进行中',
  finished: '完成',
  failed: '失败',
} as const;

export const FIXITY_PROBLEM_NAMES = {
  missing: '缺失',
  corrupt: '损坏',
  lost: '全部副本丢失',
} as const;
