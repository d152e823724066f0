import type { ColumnType, Generated } from 'kysely';

// Row shapes of the tables the ledgers module owns (see the ledgers migration): the insured roster
// (参保人员名册) with its enrollment history, the people under assistance (扶贫/救助对象) with their
// periods, contributions, medical-assistance settlements and disease certificates, and the record of
// each reconciliation (核对) of another department's list.

type Day = ColumnType<string, string, string>;
type Money = ColumnType<string, string | number, string | number>;

export interface InsuredPersonTable {
  id: Generated<number>;
  /** Sealed (field-cipher) ID number; never in the clear at rest. */
  id_number: string;
  /** Blind index of the ID number, for exact look-up. */
  id_index: string;
  name: string;
  /** Household-register county (the ID's first six digits), for grouping and the ledgers' 地址. */
  region_code: string;
  address: string | null;
  /** Keyed hashes of ID segments and the name's pinyin: candidates for a mistyped ID (see roster.keys). */
  key_region_birth: number;
  key_birth_seq: number;
  key_name_region: number;
  key_name_seq: number;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export type Scheme = 'employee' | 'resident';
export type EnrollmentEnd = 'interrupted' | 'switched' | 'exited';

export interface EnrollmentTable {
  id: Generated<number>;
  person_id: number;
  scheme: Scheme;
  /** 参保单位, employee insurance only. */
  employer: string | null;
  started_on: Day;
  /** 保期截至: the day employee insurance is paid up to. */
  paid_through: Day | null;
  ended_on: Day | null;
  end_reason: EnrollmentEnd | null;
}

export type AssistanceIdentity = 'poverty' | 'monitored' | 'subsistence' | 'destitute';

export interface AssistanceStatusTable {
  id: Generated<number>;
  person_id: number;
  identity: AssistanceIdentity;
  /** The department that decided it: 扶贫办 (乡村振兴) or 民政. */
  source: string;
  included_on: Day;
  exited_on: Day | null;
}

export interface ContributionTable {
  id: Generated<number>;
  person_id: number;
  scheme: Scheme;
  /** The insurance year paid for. */
  period_year: number;
  paid_on: Day;
  amount: Money;
  /** 资助参保: the part paid by medical assistance for people under assistance. */
  subsidy: Money;
}

export type VisitType = 'outpatient' | 'inpatient';

export interface AssistanceSettlementTable {
  id: Generated<number>;
  person_id: number;
  visit_type: VisitType;
  institution: string;
  visit_start: Day;
  visit_end: Day;
  settled_on: Day;
  total_cost: Money;
  insurance_paid: Money;
  assistance_paid: Money;
  critical_paid: Money;
  reassistance_paid: Money;
}

export type CertificateKind = 'chronic' | 'hypertension' | 'diabetes';

export interface DiseaseCertificateTable {
  id: Generated<number>;
  person_id: number;
  kind: CertificateKind;
  disease: string;
  issued_on: Day;
  revoked_on: Day | null;
}

export interface ReconciliationRunTable {
  id: Generated<number>;
  source: string;
  file_name: string;
  file_digest: string;
  row_count: number;
  /** Counts by outcome, as the summary shows them. */
  summary: ColumnType<Record<string, unknown>, string, string>;
  /** Sealed JSON of the rows that need action (corrections and follow-ups); matched rows are only counted. */
  findings: string;
  actor: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  duration_ms: number;
}

export interface LedgerTables {
  insured_person: InsuredPersonTable;
  enrollment: EnrollmentTable;
  assistance_status: AssistanceStatusTable;
  contribution: ContributionTable;
  assistance_settlement: AssistanceSettlementTable;
  disease_certificate: DiseaseCertificateTable;
  reconciliation_run: ReconciliationRunTable;
}
