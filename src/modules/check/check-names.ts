import type { CheckStatus } from './check.tables.js';

// The names of a check's outcome, for the report, the CLI and the console (through the vocabulary);
// kept apart from the report so reading them loads none of the checks.

export const CHECK_STATUS_NAMES: Readonly<Record<CheckStatus, string>> = {
  pass: '通过',
  fail: '不通过',
  skipped: '未检测',
};
