import type { ColumnType, Generated } from 'kysely';

// Row shapes of the settlement tables (结算数据, migration 20261229T100000-fund-settlement). The fund
// module's helpers (rules, anomalies, series) read them; other modules go through fund's services.

/** numeric columns come back as strings from both engines; written as numbers or strings. */
type Numeric = ColumnType<string, number | string, number | string>;
/** date columns: both engines return 'YYYY-MM-DD' strings (src/db/pglite-types.ts). */
type DateText = ColumnType<string, string, string>;

/** 医保目录: one item of the national catalogue (synthetic codes) with what the rules need. */
export interface FundItemTable {
  code: string;
  name: string;
  category: '药品' | '诊疗' | '耗材' | '床位';
  unit_price: Numeric;
  sex_limit: '男' | '女' | null;
  age_min: number | null;
  age_max: number | null;
  per_day: ColumnType<boolean, boolean | undefined, boolean>;
  permitted_dx: ColumnType<string[], string[] | undefined, string[]>;
  includes: ColumnType<string[], string[] | undefined, string[]>;
  parts: ColumnType<string[], string[] | undefined, string[]>;
}

/** An insured person as the rules need them; the ID number only sealed, keyed by its blind index. */
export interface FundPersonTable {
  person_key: string;
  id_number_sealed: string;
  sex: '男' | '女';
  birth_date: DateText;
  death_date: ColumnType<string | null, string | null | undefined, string | null>;
  region: string;
}

/** One extract imported (via 'file') or one push batch (via 'push'), with its row-by-row report. */
export interface FundImportTable {
  id: Generated<number>;
  file_digest: string;
  file_name: string;
  encoding: string;
  via: 'file' | 'push';
  total_rows: ColumnType<number, number | undefined, number>;
  total_settlements: ColumnType<number, number | undefined, number>;
  imported: ColumnType<number, number | undefined, number>;
  refused: ColumnType<number, number | undefined, number>;
  /** The refused rows: [{ row, serial, code, reason }]. */
  report: ColumnType<unknown, string | undefined, string>;
  created_by: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** One 结算 (the header of a 医保结算清单). */
export interface FundSettlementTable {
  id: Generated<number>;
  serial: string;
  person_key: string;
  region: string;
  institution_code: string;
  institution_name: string;
  institution_level: '一级' | '二级' | '三级' | '未定级';
  visit_type: '门诊' | '住院';
  admit_date: DateText;
  discharge_date: DateText;
  primary_dx: string;
  other_dx: ColumnType<string[], string[] | undefined, string[]>;
  total_cost: Numeric;
  fund_paid: Numeric;
  self_paid: Numeric;
  settled_on: DateText;
  import_id: number | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

/** A detail line (明细) of a settlement. */
export interface FundSettlementLineTable {
  settlement_id: number;
  line_no: number;
  item_category: '药品' | '诊疗' | '耗材' | '床位';
  item_code: string;
  item_name: string;
  quantity: Numeric;
  unit_price: Numeric;
  amount: Numeric;
  days_supply: number | null;
  line_date: DateText;
}

export interface SettlementTables {
  fund_item: FundItemTable;
  fund_person: FundPersonTable;
  fund_import: FundImportTable;
  fund_settlement: FundSettlementTable;
  fund_settlement_line: FundSettlementLineTable;
}
