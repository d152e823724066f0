import type { ResponseOf } from '../../api/types';
import { enc } from '../disposition/dispositionApi';

// A transfer batch (移交批次) as the transfer API answers it (its generated types), and its paths.

export type Batch = ResponseOf<'/api/v1/transfer/batches/{code}', 'get'>;
export type BatchItem = Batch['items'][number];
export type BatchBrief = ResponseOf<'/api/v1/transfer/batches', 'get'>['batches'][number];
export type DrawResult = ResponseOf<'/api/v1/transfer/batches', 'post', 201>;
export type AcceptResult = ResponseOf<'/api/v1/transfer/batches/{code}/accept', 'post'>;

export const batchPaths = {
  list: '/api/v1/transfer/batches',
  one: (code: string) => `/api/v1/transfer/batches/${enc(code)}`,
  export: (code: string) => `/api/v1/transfer/batches/${enc(code)}/export`,
  bag: (code: string) => `/api/v1/transfer/batches/${enc(code)}/bag.tar`,
  accept: (code: string) => `/api/v1/transfer/batches/${enc(code)}/accept`,
  withdraw: (code: string) => `/api/v1/transfer/batches/${enc(code)}/withdraw`,
  form: (code: string, kind: 'xlsx' | 'pdf') => `/api/v1/transfer/batches/${enc(code)}/form.${kind}`,
};

/** The console's page of one batch. */
export const batchPath = (code: string) => `/transfer/batches/${enc(code)}`;

export const batchColour = (state: string) =>
  state === 'drawn' ? 'gold' : state === 'exported' ? 'blue' : state === 'accepted' ? 'green' : 'default';

/** Octets as GB with three decimals (the 登记表's unit). */
export const gigabytes = (bytes: number) => (bytes / 1e9).toFixed(3);
