import fs from 'node:fs';
import os from 'node:os';
import { type Config, loadConfig } from '../config/config.js';
import { type Database, openDatabase } from '../db/database.js';
import { beijingDateTime, beijingJsonReplacer, isUtcIso } from '../shared/beijing-time.js';
import { invalid } from '../shared/errors.js';
import { type OpenOptions, openFieldEncryption, openSystem, type System } from '../system/system.js';

// What every command shares: the parsed configuration, the database for the length of one command,
// who is acting, and reading a JSON file with errors a clerk can act on.

const MAX_JSON_BYTES = 64 * 1024 * 1024;

let cachedConfig: Config | undefined;
export function config(): Config {
  cachedConfig ??= loadConfig();
  return cachedConfig;
}

/** Forgets the parsed configuration: each in-process run (run.ts) reads its own environment. */
export function resetConfig(): void {
  cachedConfig = undefined;
}

export async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(config());
  try {
    await openFieldEncryption(config(), database);
    return await work(database);
  } finally {
    await database.close();
  }
}

export async function withSystem<T>(
  work: (system: System) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const system = await openSystem(config(), options);
  try {
    return await work(system);
  } finally {
    await system.close();
  }
}

/** A progress line on a terminal only, so logs and pipes stay clean. */
export function progress(label: string, done: number, total: number): void {
  if (!process.stderr.isTTY) return;
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const width = 30;
  const bar = '█'.repeat(Math.round(ratio * width)).padEnd(width, '░');
  process.stderr.write(`\r${label} ${bar} ${done}/${total}`);
  if (done >= total) process.stderr.write('\n');
}

/** Archive content commands act as a signed-in account (see sign-in.ts). */
export const USER_OPTION = [
  '--user <用户名>',
  '以该账户的身份与权限操作（也可用环境变量 YIDANG_USER）',
] as const;

/** Operator commands (init, demo, fixity, backup, user) act as the operating-system user (or YIDANG_ACTOR). */
export function actor(): string {
  const named = process.env.YIDANG_ACTOR?.trim();
  if (named) return named.slice(0, 100);
  try {
    return `cli:${os.userInfo().username}`.slice(0, 100);
  } catch {
    return 'cli';
  }
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return `第 ${line} 行第 ${position - before.lastIndexOf('\n')} 列`;
}

/** Reads a JSON document from a path ('-' for standard input). */
/**
 * A whole file read into memory, refused with a Chinese message when missing, not a regular file, or
 * past `maxBytes` (`tooLarge` says what to do instead).
 */
export function readBoundedFile(file: string, maxBytes: number, tooLarge: string): Buffer {
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw invalid('FILE_NOT_FOUND', `“${file}”不是普通文件`);
    size = stat.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw invalid('FILE_NOT_FOUND', `找不到文件“${file}”`);
    throw error;
  }
  if (size > maxBytes) throw invalid('FILE_TOO_LARGE', `文件“${file}”${tooLarge}`);
  return fs.readFileSync(file);
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    if (file !== '-' && fs.statSync(file).size > MAX_JSON_BYTES) {
      throw invalid('FILE_TOO_LARGE', `文件“${file}”超过 64 MB，请拆分后分批导入`);
    }
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalid('FILE_NOT_FOUND', `找不到文件“${file}”`);
    if (code === 'EISDIR') throw invalid('FILE_NOT_FOUND', `“${file}”是目录，不是文件`);
    if (code === 'EACCES') throw invalid('FILE_UNREADABLE', `没有权限读取文件“${file}”`);
    throw error;
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = position ? `（${lineAndColumn(text, Number(position))}）` : '';
    throw invalid('INVALID_JSON', `文件“${file}”不是有效的 JSON${where}：${(error as Error).message}`);
  }
}

/** JSON for people: every UTC time in it is written in Beijing time with +08:00 (proofs use printRawJson). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, beijingJsonReplacer(), 2)}\n`);
}

/** JSON exactly as given: documents whose bytes are verified elsewhere (proofs keep the times they hash). */
export function printRawJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A cell's text cut to `length` characters, the cut marked with …. */
export const clip = (text: string, length = 30): string =>
  text.length > length ? `${text.slice(0, length - 1)}…` : text;

/** A plain aligned table; widths count CJK characters as two columns. */
export function printTable(headers: string[], rows: Array<Array<string | number | null>>): void {
  const width = (text: string) =>
    [...text].reduce((sum, char) => sum + (/[\u1100-\uffff]/.test(char) ? 2 : 1), 0);
  // A UTC time that reaches a table is shown as the Beijing wall clock people read everywhere else.
  const text = (cell: string | number | null) =>
    cell === null ? '' : isUtcIso(cell) ? beijingDateTime(cell) : String(cell);
  const cells = [headers, ...rows.map((row) => row.map(text))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => width(row[column] ?? ''))));
  for (const row of cells) {
    const line = row.map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - width(cell))).join('  ');
    process.stdout.write(`${line.trimEnd()}\n`);
  }
}

export function parsePositiveInt(value: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw invalid('INVALID_ARGUMENT', `${name} 应为 1–${max} 之间的整数，实际为“${value}”`);
  }
  return Number(value);
}
