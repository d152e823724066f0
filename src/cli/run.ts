import { Readable, Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { isYidangError } from '../shared/errors.js';
import { VERSION } from '../version.js';
import { registerAnomalyCommands } from './commands/anomalies.js';
import { registerSettleCommands } from './commands/settle.js';
import { registerAuditRuleCommands } from './commands/audit-rules.js';
import { registerClueCommands } from './commands/clue.js';
import { registerAccessCommands } from './commands/access.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerCaseCommands } from './commands/case.js';
import { registerCatalogCommands } from './commands/catalog.js';
import { registerCheckCommands } from './commands/check.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDuplicateCommands } from './commands/duplicates.js';
import { registerFileCommands } from './commands/file.js';
import { registerForecastCommand } from './commands/forecast.js';
import { registerImportCommands } from './commands/import.js';
import { registerIngestCommands } from './commands/ingest.js';
import { registerIntegrityCommands } from './commands/integrity.js';
import { registerItemCommands } from './commands/item.js';
import { registerJobCommands } from './commands/job.js';
import { registerLedgerCommands } from './commands/ledger.js';
import { registerDestroyCommands } from './commands/destroy.js';
import { registerAppraisalCommands } from './commands/appraisal.js';
import { registerHoldCommands } from './commands/hold.js';
import { registerKpiCommands } from './commands/kpi.js';
import { registerLoanCommands } from './commands/loan.js';
import { registerLoanOverdueCommand } from './commands/loan-overdue.js';
import { registerOcrCommands } from './commands/ocr.js';
import { registerQcCommands } from './commands/qc.js';
import { registerReceiveCommands } from './commands/receive.js';
import { registerScanCommands } from './commands/scan.js';
import { registerSearchCommands } from './commands/search.js';
import { registerServerCommands } from './commands/server.js';
import { registerStorageCommands } from './commands/storage.js';
import { registerTransferCommands } from './commands/transfer.js';
import { registerUseCommands } from './commands/use.js';
import { registerUserCommands } from './commands/user.js';
import { resetConfig } from './context.js';
import { localizeProgram } from './help-zh.js';

// The `yidang` program, run either as the process itself (main.ts, what bin/yidang.js loads) or
// in-process by runCli, which the CLI tests use instead of a new Node process per command.
//
// Exit status: 0 success, 1 a user error (told in Chinese on stderr), 2 an internal error,
// 3 an integrity failure (verify found an alteration, fixity a file it could not repair).

/** Commands that serve until stopped; the others are one-shot and end the process when done. */
export const LONG_RUNNING_COMMANDS: ReadonlySet<string> = new Set(['serve', 'start']);

/** A fresh program each run: commander keeps parsed options on its command objects. */
export function buildProgram(): Command {
  const program = new Command('yidang')
    .description('医档 Yidang：医保业务档案管理')
    .version(VERSION, '-v, --version', '显示版本');

  registerServerCommands(program);
  registerDemoCommand(program);
  registerItemCommands(program);
  registerSearchCommands(program);
  registerCatalogCommands(program);
  registerFileCommands(program);
  registerIngestCommands(program);
  registerImportCommands(program);
  registerLedgerCommands(program);
  registerDuplicateCommands(program);
  registerScanCommands(program);
  registerOcrCommands(program);
  registerJobCommands(program);
  registerQcCommands(program);
  registerCheckCommands(program);
  registerStorageCommands(program);
  registerIntegrityCommands(program);
  registerBackupCommands(program);
  registerUserCommands(program);
  registerLoanCommands(program);
  // After lending's `loan` group (if registered above), so `overdue` joins it.
  registerLoanOverdueCommand(program);
  registerAccessCommands(program);
  registerUseCommands(program);
  registerSettleCommands(program);
  registerAnomalyCommands(program);
  registerAuditRuleCommands(program);
  registerClueCommands(program);
  registerHoldCommands(program);
  registerCaseCommands(program);
  registerKpiCommands(program);
  registerAppraisalCommands(program);
  registerDestroyCommands(program);
  registerReceiveCommands(program);
  registerTransferCommands(program);
  registerForecastCommand(program);
  // Help, usage errors and suggestions in Chinese, for every command registered above.
  return localizeProgram(program);
}

/** Tells what went wrong on stderr and returns the exit status for it. */
export function reportFailure(error: unknown): number {
  // Already told in Chinese by help-zh.ts (or the help or version asked for was printed).
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
  if (isYidangError(error)) {
    process.stderr.write(`错误：${error.message}\n`);
    if (error.issues.length > 1) {
      for (const issue of error.issues) process.stderr.write(`  - ${issue.field}：${issue.message}\n`);
    }
    return 1;
  }
  process.stderr.write(
    `内部错误：${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 2;
}

/** The process entry: parses argv, and ends the process when a one-shot command is done. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    const program = buildProgram();
    await program.parseAsync(argv);
    // PGlite and pg keep timers alive; a finished one-shot command exits explicitly.
    // A command that finished but reports refused input (import) has set exitCode 1.
    if (!LONG_RUNNING_COMMANDS.has(program.args[0] ?? '')) process.exit(process.exitCode ?? 0);
  } catch (error) {
    process.exit(reportFailure(error));
  }
}

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** The whole environment of the command, as a child process would get it. */
  env: Record<string, string>;
  /** Standard input: a pipe with this text, then end of input. */
  stdin?: string;
}

/** process.exit inside a command, turned into a throw so the run ends here, not the test process. */
class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function capture(): { stream: Writable & { isTTY: false }; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, encoding, done) {
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding));
        done();
      },
    }),
    { isTTY: false as const },
  );
  // Commands write with process.stdout.write and never wait for it; collect synchronously.
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof stream.write;
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Puts a value in place of a process property for one run; returns how to put the original back. */
function swap(key: 'stdout' | 'stderr' | 'stdin', value: unknown): () => void {
  const original = Object.getOwnPropertyDescriptor(process, key);
  Object.defineProperty(process, key, { configurable: true, enumerable: true, get: () => value });
  return () => {
    if (original) Object.defineProperty(process, key, original);
  };
}

function replaceEnv(env: Record<string, string>): () => void {
  const saved = { ...process.env };
  const assign = (values: Record<string, string | undefined>) => {
    for (const name of Object.keys(process.env)) if (!(name in values)) delete process.env[name];
    for (const [name, value] of Object.entries(values)) if (value !== undefined) process.env[name] = value;
  };
  assign(env);
  return () => assign(saved);
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs one command in this process as `yidang <args>` would run on its own: its environment, its
 * own standard streams (captured), process.exit and exitCode kept to the run, the configuration
 * read afresh. Runs are one at a time. Not for serve/start, which live until a signal.
 */
export function runCli(args: readonly string[], options: RunCliOptions): Promise<CliOutcome> {
  if (LONG_RUNNING_COMMANDS.has(args[0] ?? ''))
    return Promise.reject(new Error(`runCli runs one-shot commands; start ${args[0]} in its own process`));
  const run = queue.then(() => runIsolated(args, options));
  queue = run.catch(() => {});
  return run;
}

async function runIsolated(args: readonly string[], options: RunCliOptions): Promise<CliOutcome> {
  const stdout = capture();
  const stderr = capture();
  const stdin = Object.assign(Readable.from(options.stdin ? [Buffer.from(options.stdin)] : []), {
    isTTY: undefined,
  });
  const restore = [
    swap('stdout', stdout.stream),
    swap('stderr', stderr.stream),
    swap('stdin', stdin),
    replaceEnv(options.env),
  ];
  const { argv, exit, exitCode } = process;
  process.argv = [process.execPath, 'yidang', ...args];
  process.exit = ((code?: number | string | null) => {
    throw new CliExit(Number(code ?? process.exitCode ?? 0));
  }) as typeof process.exit;
  process.exitCode = undefined;
  let code: number;
  try {
    resetConfig();
    await buildProgram().parseAsync(args, { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    code = error instanceof CliExit ? error.code : reportFailure(error);
  } finally {
    process.argv = argv;
    process.exit = exit;
    process.exitCode = exitCode;
    resetConfig();
    for (const undo of restore.reverse()) undo();
  }
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
