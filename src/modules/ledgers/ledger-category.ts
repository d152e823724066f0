// The category generated ledgers are filed under. It sits beside 医保扶贫 (FP) rather than under it:
// FP holds one person's archives and is filed into directly, and a category with children takes no
// items of its own.

export const LEDGER_CATEGORY = {
  code: 'FPTZ',
  name: '医保扶贫台账',
  retention: 'D30',
  basis: '本地默认（规定未列明）：与医保扶贫档案同期',
} as const;

export const LEDGER_KINDS = {
  enrollment: '参保台账',
  dynamic: '动态台账',
  benefits: '待遇享受台账',
  chronic: '慢病台账',
  'two-disease': '两病台账',
} as const;

export type LedgerKind = keyof typeof LEDGER_KINDS;

export const isLedgerKind = (value: string): value is LedgerKind => Object.hasOwn(LEDGER_KINDS, value);
