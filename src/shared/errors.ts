import type { ErrorCode } from './error-codes.js';

// The error catalog: every failure a user can cause has a stable code (for programs) and a Chinese
// message (for people). HTTP maps the kind to a status; the CLI maps user errors to exit status 1.

export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'locked'
  | 'not_found'
  | 'conflict'
  | 'busy'
  /** Well-formed, but its content cannot be processed (a stored page too large to mark). */
  | 'unprocessable'
  | 'too_large';

export interface FieldIssue {
  field: string;
  message: string;
}

export class YidangError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly issues: FieldIssue[];

  constructor(code: ErrorCode, kind: ErrorKind, message: string, issues: FieldIssue[] = []) {
    super(message);
    this.name = 'YidangError';
    this.code = code;
    this.kind = kind;
    this.issues = issues;
  }
}

export class ValidationError extends YidangError {
  constructor(issues: FieldIssue[], message?: string) {
    const summary = message ?? issues.map((issue) => `${issue.field}: ${issue.message}`).join('；');
    super('VALIDATION_FAILED', 'invalid', summary, issues);
  }
}

export const notFound = (code: ErrorCode, message: string) => new YidangError(code, 'not_found', message);
export const conflict = (code: ErrorCode, message: string) => new YidangError(code, 'conflict', message);
export const invalid = (code: ErrorCode, message: string) => new YidangError(code, 'invalid', message);

export const isYidangError = (error: unknown): error is YidangError => error instanceof YidangError;
