import type { ResponseOf } from '../../api/types';
import { enc } from './dispositionApi';

// A destruction register (销毁清册) as the destruction API answers it (its generated types).

export type Register = ResponseOf<'/api/v1/destruction/registers/{code}', 'get'>;
export type RegisterRow = Register['rows'][number];
export type Signature = Register['signatures'][number];
export type RegisterBrief = ResponseOf<'/api/v1/destruction/registers', 'get'>['registers'][number];
export type DrawResult = ResponseOf<'/api/v1/destruction/registers', 'post', 201>;
export type Refusal = DrawResult['refused'][number];

export const registerPaths = {
  list: '/api/v1/destruction/registers',
  one: (code: string) => `/api/v1/destruction/registers/${enc(code)}`,
  sign: (code: string) => `/api/v1/destruction/registers/${enc(code)}/sign`,
  approve: (code: string) => `/api/v1/destruction/registers/${enc(code)}/approve`,
  withdraw: (code: string) => `/api/v1/destruction/registers/${enc(code)}/withdraw`,
  carry: (code: string) => `/api/v1/destruction/registers/${enc(code)}/carry`,
  paper: (code: string) => `/api/v1/destruction/registers/${enc(code)}/paper`,
  file: (code: string, kind: 'xlsx' | 'pdf') => `/api/v1/destruction/registers/${enc(code)}/${kind}`,
};
