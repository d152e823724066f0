import { api, unwrap } from '../../api/client';

// The calls the 鉴定与处置 pages make, by path. The console's client is typed from the server's
// OpenAPI document; these pages name their answers with the generated types (disposition types below).

type Query = Record<string, string | number | boolean | undefined>;

/** GET a disposition route; answers its JSON or throws the server's Chinese error. */
export function getJson<T>(path: string, query: Query = {}): Promise<T> {
  const params = { query: Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) };
  return unwrap(api.GET(path as never, { params } as never)) as Promise<T>;
}

/** POST to a disposition route; answers its JSON or throws the server's Chinese error. */
export function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  return unwrap(api.POST(path as never, { body } as never)) as Promise<T>;
}

export const enc = encodeURIComponent;
