import type { paths } from './schema';

// Shorthands for the generated types: what an operation answers, takes as query or as body.

type Operation<P extends keyof paths, M extends keyof paths[P]> = paths[P][M];

/** The JSON body of an operation's success answer (200 unless given). */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P], S extends number = 200> =
  Operation<P, M> extends { responses: infer R }
    ? R extends Record<S, { content: { 'application/json': infer B } }>
      ? B
      : never
    : never;

export type QueryOf<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type BodyOf<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
