import path from 'node:path';
import { invalid } from '../shared/errors.js';

export type DigestAlgorithm = 'sha256' | 'sm3';

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
  };
}
