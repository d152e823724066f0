import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { SYSTEM } from './fhir.map.js';

// Every refusal of the FHIR interface as an OperationOutcome: the JSON API's error answer (code and
// Chinese message, already masked by src/http/errors.ts) carried in details and diagnostics.

const ISSUE_CODES: Record<number, OperationOutcomeIssue['code']> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  406: 'not-supported',
  408: 'timeout',
  409: 'conflict',
  413: 'too-long',
  415: 'not-supported',
  429: 'throttled',
  503: 'transient',
};

const NOT_SUPPORTED = new Set([
  'FHIR_PARAM_UNSUPPORTED',
  'FHIR_INCLUDE_UNSUPPORTED',
  'FHIR_TYPE_UNSUPPORTED',
]);

export function operationOutcome(status: number, code: string, message: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: status >= 500 ? 'fatal' : 'error',
        code: NOT_SUPPORTED.has(code)
          ? 'not-supported'
          : (ISSUE_CODES[status] ?? (status >= 500 ? 'exception' : 'invalid')),
        details: { coding: [{ system: SYSTEM.errorCode, code }], text: message || '请求无效' },
        diagnostics: message || '请求无效',
      },
    ],
  };
}

/** The JSON API's error body ({ error: { code, message } }) as an OperationOutcome; anything else as is. */
export function asOutcome(status: number, payload: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return payload;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!error || typeof error.code !== 'string') return payload;
  return JSON.stringify(
    operationOutcome(status, error.code, typeof error.message === 'string' ? error.message : ''),
  );
}
