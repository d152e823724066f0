import type { FormInstance } from 'antd';
import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';

export interface Request<T> {
  data: T | undefined;
  loading: boolean;
  error: ApiError | undefined;
  reload: () => void;
}

/** Runs a request when its dependencies change; a newer run wins over a slower older one. */
export function useRequest<T>(load: () => Promise<T>, deps: DependencyList): Request<T> {
  const [data, setData] = useState<T>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError>();
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to reload
  useEffect(() => {
    const run = ++latest.current;
    setLoading(true);
    load().then(
      (value) => {
        if (run !== latest.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (reason: unknown) => {
        if (run !== latest.current) return;
        setError(asApiError(reason));
        setLoading(false);
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  return { data, loading, error, reload };
}

export function asApiError(reason: unknown): ApiError {
  if (reason instanceof ApiError) return reason;
  return new ApiError(0, 'CLIENT', reason instanceof Error ? reason.message : String(reason));
}

/**
 * Puts the server's per-field issues beside the form's fields (the API names them like `body.title`
 * or `title`); answers the message for what no field could take.
 */
export function showFieldErrors(
  form: FormInstance,
  reason: unknown,
  fieldNames?: Record<string, string>,
): string {
  const error = asApiError(reason);
  const known = new Set(Object.keys(form.getFieldsValue(true) ?? {}));
  const byField = new Map<string, string[]>();
  const rest: string[] = [];
  for (const issue of error.issues) {
    const name = issue.field.replace(/^(body|query|path)\./, '');
    const mapped = fieldNames?.[name] ?? name;
    if (known.has(mapped) || fieldNames?.[name])
      byField.set(mapped, [...(byField.get(mapped) ?? []), issue.message]);
    else rest.push(issue.field ? `${issue.field}：${issue.message}` : issue.message);
  }
  form.setFields([...byField].map(([name, errors]) => ({ name, errors })));
  return rest.length > 0 ? rest.join('；') : byField.size > 0 ? '请按提示修改标红的字段' : error.message;
}
