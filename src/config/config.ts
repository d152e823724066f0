import { availableParallelism } from 'node:os';
import path from 'node:path';
import { invalid } from '../shared/errors.js';
import { type NoticeSettings, parseNoticeSettings, type ReminderSettings } from './notices.js';
import { parseReplicas, parseS3Settings, type ReplicaSpec, type S3Settings } from './replicas.js';

export type { NoticeSettings, ReminderSettings } from './notices.js';

export type { ReplicaSpec, S3Settings } from './replicas.js';
export { parseReplicas } from './replicas.js';

export type DigestAlgorithm = 'sha256' | 'sm3';
export type CipherSuiteName = 'aes-256-gcm' | 'sm4';
export type SignatureAlgorithmName = 'ed25519' | 'sm2';

/** Everything the process reads from its environment, parsed once at start-up. */
export interface Config {
  /** Data directory (YIDANG_HOME): the embedded database, and later blobs and keys. */
  home: string;
  /** PostgreSQL connection string; undefined means the embedded PGlite database under home/db. */
  databaseUrl: string | undefined;
  /** Directory of the embedded database (only used when databaseUrl is undefined). */
  embeddedDbDir: string;
  port: number;
  host: string;
  /** How long a command waits for another process to release the embedded database. */
  lockTimeoutMs: number;
  /**
   * Where the embedded database runs (YIDANG_PGLITE_THREAD): on its own worker thread, or on the main
   * one; unset, the server uses a worker and one-shot commands the main thread (a worker costs them
   * its start).
   */
  pgliteThread: 'worker' | 'main' | undefined;
  /** Threads of the CPU pool (YIDANG_CPU_WORKERS): one fewer than the cores by default, at least one. */
  cpuWorkers: number;
  /** Digest of files and of the event log (YIDANG_DIGEST). */
  digest: DigestAlgorithm;
  /** Encryption of stored files (YIDANG_CIPHER). */
  cipher: CipherSuiteName;
  /** Checkpoint signatures, chosen when the keys are created (YIDANG_SIGNATURE). */
  signature: SignatureAlgorithmName;
  /** Where files are kept (YIDANG_REPLICAS); by default one directory under home. */
  replicas: ReplicaSpec[];
  /** Connection settings for S3 replicas (YIDANG_S3_*). */
  s3: S3Settings;
  /** The server signs a checkpoint this often when the log has grown (YIDANG_CHECKPOINT_INTERVAL, seconds). */
  checkpointIntervalSeconds: number;
  /** The server's scheduled fixity audit (YIDANG_FIXITY_*). */
  fixity: FixitySettings;
  /** OCR of scanned pages (YIDANG_OCR_*). */
  ocr: OcrSettings;
  /** ClamAV signature database for the virus scan of 四性检测 (YIDANG_CLAMAV_DATABASE); clamscan's default when unset. */
  clamavDatabase: string | undefined;
  /** Delivery of notices beyond the console inbox (YIDANG_NOTICE_*); off by default. */
  notices: NoticeSettings;
  /** Loan reminders (YIDANG_LOAN_REMINDER_*). */
  reminders: ReminderSettings;
  /** The rest of the environment, for keys given there (YIDANG_MASTER_KEY). */
  env: Env;
}

export interface FixitySettings {
  /** Hours between scheduled audits (YIDANG_FIXITY_INTERVAL_HOURS); 0 turns them off. */
  intervalHours: number;
  /** Files each scheduled audit re-reads, those checked longest ago first (YIDANG_FIXITY_BATCH). */
  batch: number;
}

export interface OcrSettings {
  /** The Tesseract command (YIDANG_TESSERACT), found on PATH by default. */
  command: string;
  /** Tesseract languages (YIDANG_OCR_LANGUAGES): simplified Chinese with English by default. */
  languages: string;
  /** Pages recognised at once by the server's OCR worker (YIDANG_OCR_CONCURRENCY); 0 turns it off. */
  concurrency: number;
  /** Pages recognised below this mean confidence (0–100) are flagged for rescanning (YIDANG_OCR_MIN_CONFIDENCE). */
  minConfidence: number;
}

type Env = Record<string, string | undefined>;

function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw invalid('CONFIG_INVALID', `配置错误：${name} 必须是 ${min}–${max} 之间的整数，实际为“${raw}”`);
  }
  return Number(raw);
}

function parseDatabaseUrl(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(
      'CONFIG_INVALID',
      '配置错误：DATABASE_URL 不是有效的连接串，应形如 postgres://用户:密码@主机:端口/库名',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw invalid(
      'CONFIG_INVALID',
      `配置错误：DATABASE_URL 只支持 postgres:// 或 postgresql://，实际为“${url.protocol}”`,
    );
  }
  return value;
}

function parseChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw invalid(
      'CONFIG_INVALID',
      `配置错误：${name} 应为 ${choices.join(' 或 ')}，实际为“${raw.slice(0, 40)}”`,
    );
  }
  return raw as T;
}

function parseLanguages(raw: string | undefined): string {
  const value = raw?.trim() || 'chi_sim+eng';
  if (!/^[A-Za-z_]{3,20}(\+[A-Za-z_]{3,20}){0,5}$/.test(value))
    throw invalid(
      'CONFIG_INVALID',
      `配置错误：YIDANG_OCR_LANGUAGES 应形如 chi_sim+eng，实际为“${value.slice(0, 40)}”`,
    );
  return value;
}

/** A file or directory of ClamAV signatures; a relative path is under YIDANG_HOME, like a replica's. */
function parseClamavDatabase(raw: string | undefined, home: string): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (value.includes('\0')) throw invalid('CONFIG_INVALID', '配置错误：YIDANG_CLAMAV_DATABASE 含有非法字符');
  return path.resolve(home, value);
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const homeRaw = env.YIDANG_HOME?.trim() || './yidang-data';
  if (homeRaw.includes('\0')) throw invalid('CONFIG_INVALID', '配置错误：YIDANG_HOME 含有非法字符');
  const home = path.resolve(cwd, homeRaw);
  return {
    home,
    databaseUrl: parseDatabaseUrl(env.DATABASE_URL),
    embeddedDbDir: path.join(home, 'db'),
    port: parseInteger(env, 'PORT', 8080, 0, 65535),
    host: env.YIDANG_HOST?.trim() || '127.0.0.1',
    lockTimeoutMs: parseInteger(env, 'YIDANG_LOCK_TIMEOUT_MS', 15000, 0, 3_600_000),
    pgliteThread: env.YIDANG_PGLITE_THREAD?.trim()
      ? parseChoice(env, 'YIDANG_PGLITE_THREAD', ['worker', 'main'] as const, 'worker')
      : undefined,
    cpuWorkers: parseInteger(env, 'YIDANG_CPU_WORKERS', Math.max(1, availableParallelism() - 1), 1, 64),
    digest: parseChoice(env, 'YIDANG_DIGEST', ['sha256', 'sm3'] as const, 'sha256'),
    cipher: parseChoice(env, 'YIDANG_CIPHER', ['aes-256-gcm', 'sm4'] as const, 'aes-256-gcm'),
    signature: parseChoice(env, 'YIDANG_SIGNATURE', ['ed25519', 'sm2'] as const, 'ed25519'),
    replicas: parseReplicas(env.YIDANG_REPLICAS, home),
    s3: parseS3Settings(env),
    checkpointIntervalSeconds: parseInteger(env, 'YIDANG_CHECKPOINT_INTERVAL', 600, 10, 86_400),
    fixity: {
      intervalHours: parseInteger(env, 'YIDANG_FIXITY_INTERVAL_HOURS', 24, 0, 8760),
      batch: parseInteger(env, 'YIDANG_FIXITY_BATCH', 500, 1, 1_000_000),
    },
    ocr: {
      command: env.YIDANG_TESSERACT?.trim() || 'tesseract',
      languages: parseLanguages(env.YIDANG_OCR_LANGUAGES),
      concurrency: parseInteger(env, 'YIDANG_OCR_CONCURRENCY', 1, 0, 64),
      minConfidence: parseInteger(env, 'YIDANG_OCR_MIN_CONFIDENCE', 70, 0, 100),
    },
    clamavDatabase: parseClamavDatabase(env.YIDANG_CLAMAV_DATABASE, home),
    ...parseNoticeSettings(env, parseInteger),
    env,
  };
}
