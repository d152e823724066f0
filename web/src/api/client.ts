import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

// The console talks only to the public API, through a client typed from the server's OpenAPI
// document. The session is an HttpOnly cookie; changes also carry the CSRF token login returned.

const CSRF_KEY = 'yidang.csrf';
export const csrfToken = {
  get: (): string | null => localStorage.getItem(CSRF_KEY),
  set: (token: string | null) =>
    token ? localStorage.setItem(CSRF_KEY, token) : localStorage.removeItem(CSRF_KEY),
};

export interface FieldIssue {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const withCsrf: Middleware = {
  onRequest({ request }) {
    const token = csrfToken.get();
    if (!SAFE_METHODS.has(request.method) && token) request.headers.set('x-csrf-token', token);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(withCsrf);

let sessionLost: () => void = () => {};
/** Called when the server says the session is gone (expired, signed out elsewhere). */
export function onSessionLost(handler: () => void): void {
  sessionLost = handler;
}

const NOT_SESSION_LOSS = new Set(['SIGN_IN_FAILED', 'TOTP_REQUIRED', 'ACCOUNT_LOCKED']);

async function errorOf(response: Response, body?: unknown): Promise<ApiError> {
  let parsed = body;
  if (parsed === undefined) parsed = await response.json().catch(() => undefined);
  const error = (parsed as { error?: { code?: string; message?: string; issues?: FieldIssue[] } } | undefined)
    ?.error;
  const code = error?.code ?? `HTTP_${response.status}`;
  if (response.status === 401 && !NOT_SESSION_LOSS.has(code)) sessionLost();
  return new ApiError(
    response.status,
    code,
    error?.message ?? `服务器返回错误（${response.status}），请稍后重试`,
    error?.issues ?? [],
  );
}

/** The data of an openapi-fetch call, or an ApiError carrying the server's Chinese message. */
export async function unwrap<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch {
    throw new ApiError(0, 'NETWORK', '无法连接服务器，请检查网络后重试');
  }
  if (!result.response.ok || result.error !== undefined) throw await errorOf(result.response, result.error);
  return result.data as NonNullable<T>;
}

/** Fetches a binary answer (a watermarked copy, an XLSX or CSV export) with the session. */
export async function fetchBlob(path: string, init: RequestInit = {}): Promise<Blob> {
  let response: Response;
  try {
    const headers = new Headers(init.headers);
    const token = csrfToken.get();
    if (init.method && !SAFE_METHODS.has(init.method) && token) headers.set('x-csrf-token', token);
    response = await fetch(path, { credentials: 'same-origin', ...init, headers });
  } catch {
    throw new ApiError(0, 'NETWORK', '无法连接服务器，请检查网络后重试');
  }
  if (!response.ok) throw await errorOf(response);
  return response.blob();
}

/** Saves a binary answer under a file name, as a browser download. */
export async function download(path: string, fileName: string): Promise<void> {
  const blob = await fetchBlob(path);
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Uploads a multipart form with progress (fetch cannot report upload progress); answers the JSON
 * body or throws ApiError like unwrap.
 */
export function uploadWithProgress<T>(
  path: string,
  form: FormData,
  onProgress: (percent: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', path);
    request.withCredentials = true;
    const token = csrfToken.get();
    if (token) request.setRequestHeader('x-csrf-token', token);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
    };
    request.onerror = () => reject(new ApiError(0, 'NETWORK', '上传中断：无法连接服务器，请重试'));
    request.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = undefined;
      }
      const response = new Response(null, { status: request.status });
      if (request.status >= 200 && request.status < 300) resolve(body as T);
      else errorOf(response, body ?? {}).then(reject, reject);
    };
    request.send(form);
  });
}
