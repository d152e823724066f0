import { Spin } from 'antd';
import type { ReactNode } from 'react';
import { api, unwrap } from '../api/client';
import type { ResponseOf } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { useRequest } from './hooks';

// The server's vocabulary (GET /api/v1/vocabulary): every field label, coded value, event label
// and error description the console shows. It is loaded once after sign-in, before any page
// renders, and the console keeps no copy of its own: the names below read the loaded one.

export type Vocabulary = ResponseOf<'/api/v1/vocabulary', 'get'>;

let loaded: Vocabulary | undefined;

/** The loaded vocabulary; only pages behind the sign-in (and so behind VocabularyGate) ask. */
export function vocabulary(): Vocabulary {
  if (!loaded) throw new Error('词汇表尚未加载');
  return loaded;
}

/**
 * A table read from the loaded vocabulary, usable like a constant object (indexing, Object.entries,
 * `in`) by code written before the vocabulary came from the server; built once per vocabulary.
 */
export function viewOf<T>(select: (vocabulary: Vocabulary) => Record<string, T>): Record<string, T> {
  let cache: { from: Vocabulary; table: Record<string, T> } | undefined;
  const table = () => {
    const from = vocabulary();
    if (cache?.from !== from) cache = { from, table: select(from) };
    return cache.table;
  };
  return new Proxy({} as Record<string, T>, {
    get: (_, key) => (typeof key === 'string' ? table()[key] : undefined),
    has: (_, key) => typeof key === 'string' && Object.hasOwn(table(), key),
    ownKeys: () => Reflect.ownKeys(table()),
    getOwnPropertyDescriptor: (_, key) =>
      typeof key === 'string' && Object.hasOwn(table(), key)
        ? { value: table()[key], enumerable: true, configurable: true, writable: false }
        : undefined,
  });
}

/** Code → Chinese name, from the loaded vocabulary. */
export const namesOf = (select: (vocabulary: Vocabulary) => Record<string, string>) => viewOf(select);

/** Renders its children once the vocabulary is loaded (once per page load; later sign-ins reuse it). */
export function VocabularyGate({ children }: { children: ReactNode }) {
  const request = useRequest(async () => {
    if (!loaded) loaded = await unwrap(api.GET('/api/v1/vocabulary'));
    return loaded;
  }, []);
  if (request.error) return <ErrorNotice error={request.error} retry={request.reload} />;
  if (!request.data) return <Spin size="large" style={{ display: 'block', margin: '120px auto' }} />;
  return children;
}
