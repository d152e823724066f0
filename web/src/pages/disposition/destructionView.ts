import { enc } from './dispositionApi';

// A destruction register (销毁清册) as the destruction API answers it.

export interface RegisterRow {
  seq: number;
  archiveCode: string;
  title: string;
  year: number;
  retention: string;
  yearsRequired?: number | null;
  yearsKept?: number | null;
  pages: number;
  files: number;
  carrier: string;
  reason: string;
  note: string | null;
  state: string;
  destroyedAt?: string | null;
  paper?: { method: string; place: string; at: string; witnesses: string[]; confirmedBy: string } | null;
}

export interface Signature {
  role: string;
  username: string;
  signedAt: string;
}

export interface Refusal {
  archiveCode: string;
  reason: string;
  message?: string;
}

export interface Register {
  code: string;
  fonds: string;
  round: string;
  state: string;
  count: number;
  drawnBy: string;
  drawnAt: string;
  approvedBy?: string | null;
  approvedAt?: string | null;
  signatures: Signature[];
  progress?: { destroyed: number; total: number; waiting?: number; message?: string | null } | null;
  filedCode?: string | null;
  rows?: RegisterRow[];
  refused?: Refusal[];
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
  paper: (code: string, seq: number) => `/api/v1/destruction/registers/${enc(code)}/rows/${seq}/paper`,
  file: (code: string, kind: 'xlsx' | 'pdf') => `/api/v1/destruction/registers/${enc(code)}/register.${kind}`,
};
