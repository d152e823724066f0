import { ERROR_CODES } from '../../shared/error-codes.js';
import { REQUEST_STATUS_NAMES } from '../access/request-status.js';
import { PERMISSIONS, ROLES } from '../access/roles.js';
import { CASE_CONCLUSIONS, CASE_SOURCES, CASE_STATES } from '../cases/case.names.js';
import { CLUE_STATE_LABELS, RUN_STATE_LABELS } from '../fund/clue.names.js';
import { HOLD_QUERY_FIELDS, HOLD_SELECTOR_KINDS, HOLD_SOURCES, HOLD_STATES } from '../catalog/hold.names.js';
import { CARRIERS, FIELD_LABELS, SECURITY_LEVELS, SENSITIVITIES } from '../catalog/item.schema.js';
import { RETENTION_LABELS } from '../catalog/retention.js';
import { CHECK_STATUS_NAMES } from '../check/check-names.js';
import { APPRAISAL_CHOICES, ROUND_STATES } from '../disposition/appraisal.names.js';
import {
  PAPER_METHODS,
  REFUSAL_REASONS,
  REGISTER_STATES,
  ROW_STATES,
  SIGN_ROLES,
} from '../disposition/destruction.names.js';
import { FIELD_HEADERS } from '../import/import.mapping.js';
// The one import point of event names and labels: the typed event catalog of the kernel.
import { EVENT_GROUPS, EVENT_NAMES, EVENT_TYPES } from '../integrity/event-catalog.js';
import { LEDGER_KINDS } from '../ledgers/ledger-category.js';
import { CORRECTION_OUTCOMES, OUTCOME_NAMES } from '../ledgers/reconcile.findings.js';
import { REPORT_NAMES } from '../ledgers/reconcile.report.js';
import { LOAN_KINDS, LOAN_SHOWN_STATES, RETURN_CONDITIONS } from '../lending/lending.names.js';
import {
  BATCH_STATUS_NAMES,
  COLOUR_MODE_NAMES,
  OCR_STATUS_NAMES,
  QC_VERDICT_NAMES,
  SCAN_FLAG_NAMES,
} from '../scan/scan-names.js';
import { FIXITY_PROBLEM_NAMES, FIXITY_RUN_STATUS_NAMES } from '../storage/fixity-names.js';
import { USE_EFFECT_NAMES, USE_KIND_NAMES } from '../use/use.names.js';

// The vocabulary (词汇表): the Chinese names of fields, of every coded value, of event types and of
// error codes, gathered from the modules that own them. The console reads it once from GET
// /api/v1/vocabulary and keeps no copy; the CLI imports the same constants. It holds no archive
// content, only fixed text, so any signed-in account may read it.

/** Fields an item answer carries beyond those a filing takes, named for tables and detail views. */
const ITEM_ANSWER_LABELS = {
  archiveCode: '档号',
  categoryName: '类别名称',
  itemNumber: '件号',
  retentionExpiresOn: '到期日',
  version: '版本',
  changeReason: '变更原因',
  createdBy: '归档人',
  createdAt: '归档时间',
  updatedBy: '最后修改人',
  updatedAt: '最后修改时间',
} as const;

/** Every field of an item, in the order a detail view lists them (the answer's own next to its kin). */
const ITEM_FIELD_ORDER = [
  'archiveCode',
  'fonds',
  'category',
  'categoryName',
  'year',
  'org',
  'itemNumber',
  'retention',
  'retentionExpiresOn',
  ...Object.keys(FIELD_LABELS),
  ...Object.keys(ITEM_ANSWER_LABELS),
];
const ITEM_LABELS: Record<string, string> = { ...FIELD_LABELS, ...ITEM_ANSWER_LABELS };
const ITEM_FIELDS = Object.fromEntries(
  [...new Set(ITEM_FIELD_ORDER)].map((key) => [key, ITEM_LABELS[key] ?? key]),
);

/** The search filters (the search route's query parameters beyond the words, the sort and the page). */
const SEARCH_FILTERS = {
  category: FIELD_LABELS.category,
  fonds: '全宗',
  yearFrom: '起始年度',
  yearTo: '截止年度',
  retention: FIELD_LABELS.retention,
  region: FIELD_LABELS.poolingRegion,
  carrier: FIELD_LABELS.carrier,
  sensitivity: FIELD_LABELS.sensitivity,
  amountMin: '最小金额',
  amountMax: '最大金额',
  dateFrom: '起始日期',
  dateTo: '截止日期',
  handler: FIELD_LABELS.handler,
  agency: FIELD_LABELS.agency,
};

/** Fields a column of an imported ledger may fill, with their Chinese names (the import's own list). */
const IMPORT_FIELDS = Object.fromEntries(
  Object.keys(FIELD_HEADERS).map((field) => [
    field,
    (FIELD_LABELS as Record<string, string>)[field] ?? field,
  ]),
);

export const VOCABULARY = {
  fields: {
    item: ITEM_FIELDS,
    import: IMPORT_FIELDS,
    searchFilter: SEARCH_FILTERS,
    holdQuery: HOLD_QUERY_FIELDS,
  },
  values: {
    carrier: CARRIERS,
    securityLevel: SECURITY_LEVELS,
    sensitivity: SENSITIVITIES,
    retention: RETENTION_LABELS,
    role: ROLES,
    permission: PERMISSIONS,
    requestStatus: REQUEST_STATUS_NAMES,
    ledgerKind: LEDGER_KINDS,
    reconcileOutcome: OUTCOME_NAMES,
    reconcileReport: REPORT_NAMES,
    ocrStatus: OCR_STATUS_NAMES,
    scanFlag: SCAN_FLAG_NAMES,
    colourMode: COLOUR_MODE_NAMES,
    batchStatus: BATCH_STATUS_NAMES,
    qcVerdict: QC_VERDICT_NAMES,
    checkStatus: CHECK_STATUS_NAMES,
    fixityRunStatus: FIXITY_RUN_STATUS_NAMES,
    fixityProblem: FIXITY_PROBLEM_NAMES,
    useKind: USE_KIND_NAMES,
    useEffect: USE_EFFECT_NAMES,
    loanKind: LOAN_KINDS,
    loanState: LOAN_SHOWN_STATES,
    returnCondition: RETURN_CONDITIONS,
    holdKind: HOLD_SELECTOR_KINDS,
    holdState: HOLD_STATES,
    holdSource: HOLD_SOURCES,
    roundState: ROUND_STATES,
    appraisalChoice: APPRAISAL_CHOICES,
    registerState: REGISTER_STATES,
    registerRowState: ROW_STATES,
    signRole: SIGN_ROLES,
    destructionRefusal: REFUSAL_REASONS,
    caseState: CASE_STATES,
    caseSource: CASE_SOURCES,
    caseConclusion: CASE_CONCLUSIONS,
    clueState: CLUE_STATE_LABELS,
    fundRunState: RUN_STATE_LABELS,
  },
  /** How paper on a destruction register may be destroyed. */
  paperMethods: [...PAPER_METHODS],
  reconcileCorrections: [...CORRECTION_OUTCOMES],
  events: EVENT_NAMES.map((name) => ({ name, label: EVENT_TYPES[name].label })),
  eventGroups: EVENT_GROUPS,
  errors: ERROR_CODES,
};

export type Vocabulary = typeof VOCABULARY;
