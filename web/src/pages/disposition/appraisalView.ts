import type { ResponseOf } from '../../api/types';
import { enc } from './dispositionApi';

// The expiry list and appraisal rounds as the appraisal API answers them (its generated types).

export type ExpiryList = ResponseOf<'/api/v1/appraisal/expiry', 'get'>;
export type ExpiryEntry = ExpiryList['entries'][number];
export type DueItem = ExpiryList['items'][number];
export type RoundEntry = ResponseOf<'/api/v1/appraisal/rounds', 'get'>['rounds'][number];
export type Round = ResponseOf<'/api/v1/appraisal/rounds/{code}', 'get'>;
export type RoundItem = Round['items'][number];

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
