import { namesOf, vocabulary } from './vocabulary';

// Chinese names for the API's codes, shared by the pages: all read from the server's vocabulary
// (GET /api/v1/vocabulary), none kept here.

export const ROLE_NAMES = namesOf((v) => v.values.role);
export const SENSITIVITY_NAMES = namesOf((v) => v.values.sensitivity);
export const REQUEST_STATUS_NAMES = namesOf((v) => v.values.requestStatus);
export const CARRIER_NAMES = namesOf((v) => v.values.carrier);
export const SECURITY_LEVEL_NAMES = namesOf((v) => v.values.securityLevel);
export const RETENTION_NAMES = namesOf((v) => v.values.retention);

/** Audit event codes and their names, in the order the auditor's filter lists them. */
export const AUDIT_ACTION_NAMES = namesOf((v) =>
  Object.fromEntries(v.events.map((event) => [event.name, event.label])),
);

/** Groups of audit events: the API takes a code ending in a dot as the whole group. */
export const AUDIT_ACTION_GROUPS = namesOf((v) => v.eventGroups);

/** 医保扶贫 name-list reconciliation outcomes, in the server's order. */
export const RECONCILE_OUTCOME_NAMES = namesOf((v) => v.values.reconcileOutcome);

/** Whether the sending department must correct this outcome in its own list. */
export const isCorrectionOutcome = (outcome: string): boolean =>
  vocabulary().reconcileCorrections.includes(outcome);

/** The workbooks of a reconciliation run, by the kind in their address. */
export const RECONCILE_REPORT_NAMES = namesOf((v) => v.values.reconcileReport);

/** Ledger kinds. */
export const LEDGER_KIND_NAMES = namesOf((v) => v.values.ledgerKind);

/** Item fields, including those only an answer carries (档号, 归档时间 …). */
export const FIELD_LABELS = namesOf((v) => v.fields.item);

/** Item fields a column of an imported ledger may fill. */
export const IMPORT_FIELDS = namesOf((v) => v.fields.import);

/** The search filters by their query parameter. */
export const FILTER_LABELS = namesOf((v) => v.fields.searchFilter);
