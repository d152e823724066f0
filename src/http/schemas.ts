import { type TSchema, Type } from '@sinclair/typebox';
import { ErrorResponseSchema } from './errors.js';

// Small schema helpers the route files share.

/** A value or null (a column that may be empty). */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** The error responses a route documents: the same body for every status named. */
export const errorResponses = <S extends number>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((status) => [status, ErrorResponseSchema])) as Record<
    S,
    typeof ErrorResponseSchema
  >;
