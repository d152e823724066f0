import { api, unwrap } from '../../api/client';
import type { BodyOf, ResponseOf } from '../../api/types';

// Holds (冻结) as the holds API answers them, and its calls.

export type Hold = ResponseOf<'/api/v1/holds/{code}/lift', 'post'>;
export type HoldInput = BodyOf<'/api/v1/holds', 'post'>;

export const listHolds = (state: 'active' | 'lifted') =>
  unwrap(api.GET('/api/v1/holds', { params: { query: { state, limit: 200 } } }));

export const placeHold = (body: HoldInput) => unwrap(api.POST('/api/v1/holds', { body }));

export const liftHold = (code: string, reason: string) =>
  unwrap(api.POST('/api/v1/holds/{code}/lift', { params: { path: { code } }, body: { reason } }));
