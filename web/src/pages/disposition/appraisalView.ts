import { enc } from './dispositionApi';

// The expiry list and appraisal rounds as the appraisal API answers them.

export interface DueItem {
  archiveCode: string;
  title: string;
  year: number;
  category: string;
  categoryName?: string;
  retention: string;
  effectiveRetention?: string;
  expiresOn: string | null;
  yearsRequired?: number | null;
  yearsKept?: number;
  state?: string;
  stateName?: string;
  round?: string | null;
  register?: string | null;
}

export interface DueList {
  items: DueItem[];
  total: number;
}

export interface RoundItem {
  archiveCode: string;
  title: string;
  year: number;
  category: string;
  retention: string;
  expiresOn: string | null;
  proposal: string | null;
  proposalRetention: string | null;
  proposalReason: string | null;
  proposedBy: string | null;
  decision: string | null;
  decisionRetention: string | null;
  decisionReason: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  version: number;
}

export interface RoundMember {
  username: string;
  isLead: boolean;
}

export interface Round {
  code: string;
  fonds: string;
  title: string;
  lead: string;
  status: string;
  openedBy: string;
  openedAt: string;
  members: RoundMember[];
  itemCount: number;
  decidedCount?: number;
  destroyCount?: number;
  items?: RoundItem[];
}

export interface RoundList {
  rounds: Round[];
}

export const appraisalPaths = {
  due: '/api/v1/appraisal/due',
  rounds: '/api/v1/appraisal/rounds',
  round: (code: string) => `/api/v1/appraisal/rounds/${enc(code)}`,
  items: (code: string) => `/api/v1/appraisal/rounds/${enc(code)}/items`,
  members: (code: string) => `/api/v1/appraisal/rounds/${enc(code)}/members`,
  propose: (code: string) => `/api/v1/appraisal/rounds/${enc(code)}/proposals`,
  decide: (code: string) => `/api/v1/appraisal/rounds/${enc(code)}/decisions`,
};

export const roundPath = (code: string) => `/disposition/rounds/${enc(code)}`;
export const registerPath = (code: string) => `/disposition/registers/${enc(code)}`;
