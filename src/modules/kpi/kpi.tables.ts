import type { ColumnType, Generated } from 'kysely';

// Row shapes of the tables the kpi module owns (migration 20261229T140000-kpi).

export type IncidentKind = 'alert' | 'leak';

export interface KpiIncidentSequenceTable {
  year: number;
  last_number: number;
}

export interface KpiIncidentTable {
  id: Generated<number>;
  /** AQ-2026-1 */
  code: string;
  fonds_code: string;
  /** 统筹区 the incident is counted under (the fonds' region unless stated). */
  region: string;
  kind: IncidentKind;
  occurred_at: Date;
  description: string;
  /** For an upheld reading alert: whose reading and which clock hour. */
  alert_actor: string | null;
  alert_hour: Date | null;
  recorded_by: string;
  recorded_at: ColumnType<Date, Date | undefined, never>;
  withdrawn_by: string | null;
  withdrawn_at: Date | null;
  withdraw_reason: string | null;
}

export interface KpiTables {
  kpi_incident_sequence: KpiIncidentSequenceTable;
  kpi_incident: KpiIncidentTable;
}
