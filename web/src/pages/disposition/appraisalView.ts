import { enc } from './dispositionApi';

// The expiry list and appraisal rounds as the appraisal API answers them.

export interface ExpiryEntry {
  year: number;
  category: string;
  categoryName: string;
  retention: string;
  /** 应保管 years (null for 永久) and 已保管 years. */
  yearsToKeep: number | null;
  yearsKept: number;
  expiresOn: string | null;
  due: boolean;
  items: number;
}

export interface DueItem {
  archiveCode: string;
  title: string;
  year: number;
  category: string;
  categoryName: string;
  retention: string;
  effectiveRetention: string;
  yearsToKeep: number | null;
  yearsKept: number;
  expiresOn: string;
  carrier: string;
  /** The round the item is in (or was decided in last), and its decision there. */
  round: string | null;
  decision: string | null;
}

export interface ExpiryList {
  fonds: string;
  refreshedAt: string | null;
  entries: ExpiryEntry[];
  items: DueItem[];
}

export interface RoundItem {
  archiveCode: string;
  title: string;
  year: number;
  category: string;
  categoryName: string;
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

interface RoundTally {
  code: string;
  fonds: string;
  title: string;
  lead: string;
  status: string;
  openedBy: string;
  openedAt: string;
  proposed: number;
  keep: number;
  destroy: number;
}

export interface RoundEntry extends RoundTally {
  items: number;
}

export interface Round extends RoundTally {
  itemCount: number;
  members: Array<{ username: string; lead: boolean }>;
  items: RoundItem[];
}

export const appraisalPaths = {
  expiry: '/api/v1/appraisal/expiry',
  rounds: '/api/v1/appraisal/rounds',
  round: (code: string) => `/api/v1/appraisal/rounds/${enc(code)}`,
  items: (code: string) => `/api/v1/appraisal/rounds/${enc(code)}/items`,
  propose: (code: string) => `/api/v1/appraisal/rounds/${enc(code)}/proposals`,
  decide: (code: string) => `/api/v1/appraisal/rounds/${enc(code)}/decisions`,
};

export const roundPath = (code: string) => `/disposition/rounds/${enc(code)}`;
export const registerPath = (code: string) => `/disposition/registers/${enc(code)}`;
