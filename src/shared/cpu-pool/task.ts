import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorCode } from '../error-codes.js';
import type { ErrorKind, FieldIssue } from '../errors.js';

// A task the CPU pool runs: a named export of a module, found beside the module defining the task —
// the compiled .js in dist/, or the TypeScript source when Yidang runs from src/ (tests, tsx).

export interface TaskRequest {
  module: string;
  name: string;
  input: unknown;
}

/** How a YidangError thrown on a pool thread comes back (an error crossing threads keeps only its message). */
export interface RefusedReply {
  yidangRefused: { code: ErrorCode; kind: ErrorKind; message: string; issues: FieldIssue[] };
}

export const isRefused = (value: unknown): value is RefusedReply =>
  typeof value === 'object' && value !== null && 'yidangRefused' in value;

export interface CpuTask<I, O> {
  readonly module: string;
  readonly name: string;
  /** What the task does, in Chinese, for its errors (“生成台账 PDF”). */
  readonly label: string;
  /** Longest a run may take before its thread is stopped. */
  readonly timeLimitMs: number;
  /** Type witnesses only. */
  readonly _types?: (input: I) => O;
}

/**
 * Declares a task: `from` is the declaring module's import.meta.url, `path` the task module relative
 * to it without extension ('./watermark.task'), `name` its export.
 */
export function cpuTask<I, O>(
  from: string,
  path: string,
  name: string,
  options: { label: string; timeLimitMs?: number },
): CpuTask<I, O> {
  return {
    module: moduleBeside(from, path),
    name,
    label: options.label,
    timeLimitMs: options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
  };
}

/** Two minutes: the heaviest task here (a 100 MB scan's watermark) takes seconds. */
export const DEFAULT_TIME_LIMIT_MS = 120_000;

/** The compiled module when there is one beside `from`, else the TypeScript source. */
export function moduleBeside(from: string, path: string): string {
  const compiled = new URL(`${path}.js`, from);
  return existsSync(fileURLToPath(compiled)) ? compiled.href : new URL(`${path}.ts`, from).href;
}
