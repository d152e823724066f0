import { enc } from './dispositionApi';

// A destruction register (销毁清册) as the destruction API answers it.

export interface RegisterRow {
  seq: number;
  archiveCode: string;
  title: string;
  year: number;
  retention: string;
  retentionLabel: string;
  /** 应保管 years (null for 永久) and 已保管 years. */
  keepYears: number | null;
  keptYears: number;
  pages: number;
  files: number;
  carrier: string;
  reason: string;
  note: string | null;
  state: string;
  stateLabel: string;
  destroyedAt: string | null;
  /** Why the carry-out refused the row (held, on loan … since it was drawn). */
  refusal?: string | null;
  paper: { method: string; place: string; at: string; witnesses: string[]; confirmedBy: string } | null;
}

export interface Signature {
  role: string;
  roleLabel: string;
  user: string;
  at: string;
}

export interface Refusal {
  archiveCode: string;
  reason: string;
  message: string;
}

export interface Register {
  code: string;
  fonds: string;
  round: string;
  state: string;
  stateLabel: string;
  count: number;
  drawnBy: string;
  drawnAt: string;
  approvedBy: string | null;
  approvedAt?: string | null;
  signatures: Signature[];
  progress?: { destroyed: number; waitingReplicas: number; paperPending: number; total: number };
  filed: { archiveCode: string; digest: string | null; at: string | null } | string | null;
  rows?: RegisterRow[];
}

export interface DrawResult {
  code: string;
  items: number;
  refused: Refusal[];
}

export interface RegisterList {
  registers: Register[];
}

export const registerPaths = {
  list: '/api/v1/destruction/registers',
  one: (code: string) => `/api/v1/destruction/registers/${enc(code)}`,
  sign: (code: string) => `/api/v1/destruction/registers/${enc(code)}/sign`,
  approve: (code: string) => `/api/v1/destruction/registers/${enc(code)}/approve`,
  carry: (code: string) => `/api/v1/destruction/registers/${enc(code)}/carry`,
  paper: (code: string) => `/api/v1/destruction/registers/${enc(code)}/paper`,
  file: (code: string, kind: 'xlsx' | 'pdf') => `/api/v1/destruction/registers/${enc(code)}/${kind}`,
};
