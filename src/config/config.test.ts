import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isYidangError, YidangError } from '../shared/errors.js';
import { loadConfig } from './config.js';

const cwd = path.resolve('/srv/yidang');

function configError(env: Record<string, string | undefined>): YidangError {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    expect(error).toBeInstanceOf(YidangError);
    expect(isYidangError(error) && error.code).toBe('CONFIG_INVALID');
    expect(isYidangError(error) && error.kind).toBe('invalid');
    return error as YidangError;
  }
  throw new Error(`configuration ${JSON.stringify(env)} was accepted`);
}

describe('defaults', () => {
  it('keeps data in ./yidang-data under the working directory, embedded, on 127.0.0.1:8080', () => {
    expect(loadConfig({}, cwd)).toEqual({
      home: path.join(cwd, 'yidang-data'),
      databaseUrl: undefined,
      embeddedDbDir: path.join(cwd, 'yidang-data', 'db'),
      port: 8080,
      host: '127.0.0.1',
      lockTimeoutMs: 15000,
      pgliteThread: undefined,
      cpuWorkers: Math.max(1, availableParallelism() - 1),
      digest: 'sha256',
      cipher: 'aes-256-gcm',
      signature: 'ed25519',
      replicas: [
        {
          name: 'local',
          kind: 'directory',
          location: path.join(cwd, 'yidang-data', 'blobs'),
          required: true,
        },
      ],
      s3: {
        region: 'us-east-1',
        endpoint: undefined,
        pathStyle: true,
        accessKeyId: undefined,
        secretAccessKey: undefined,
      },
      checkpointIntervalSeconds: 600,
      fixity: { intervalHours: 24, batch: 500 },
      ocr: { command: 'tesseract', languages: 'chi_sim+eng', concurrency: 1, minConfidence: 70 },
      clamavDatabase: undefined,
      notices: { webhook: undefined, webhookSecret: undefined, command: undefined, timeoutMs: 10_000 },
      reminders: { offsets: [-3, 0, 7], intervalSeconds: 3600 },
      env: {},
    });
  });

  it('reads the OCR settings and refuses bad ones', () => {
    expect(
      loadConfig(
        {
          YIDANG_TESSERACT: '/opt/tesseract/bin/tesseract',
          YIDANG_OCR_LANGUAGES: 'chi_sim+chi_tra+eng',
          YIDANG_OCR_CONCURRENCY: '0',
          YIDANG_OCR_MIN_CONFIDENCE: '80',
        },
        cwd,
      ).ocr,
    ).toEqual({
      command: '/opt/tesseract/bin/tesseract',
      languages: 'chi_sim+chi_tra+eng',
      concurrency: 0,
      minConfidence: 80,
    });
    expect(() => loadConfig({ YIDANG_OCR_LANGUAGES: 'chi_sim; rm -rf /' }, cwd)).toThrow(
      /YIDANG_OCR_LANGUAGES/,
    );
    expect(() => loadConfig({ YIDANG_OCR_MIN_CONFIDENCE: '101' }, cwd)).toThrow(/YIDANG_OCR_MIN_CONFIDENCE/);
  });

  it('reads the CPU pool size and refuses one out of 1–64', () => {
    expect(loadConfig({ YIDANG_CPU_WORKERS: ' 3 ' }, cwd).cpuWorkers).toBe(3);
    expect(() => loadConfig({ YIDANG_CPU_WORKERS: '0' }, cwd)).toThrow(
      '配置错误：YIDANG_CPU_WORKERS 必须是 1–64 之间的整数，实际为“0”',
    );
    expect(() => loadConfig({ YIDANG_CPU_WORKERS: 'auto' }, cwd)).toThrow(/YIDANG_CPU_WORKERS/);
  });

  it('reads the storage and integrity choices and refuses unknown ones', () => {
    const config = loadConfig(
      {
        YIDANG_DIGEST: 'SM3',
        YIDANG_CIPHER: 'sm4',
        YIDANG_SIGNATURE: 'sm2',
        YIDANG_CHECKPOINT_INTERVAL: '60',
        YIDANG_FIXITY_INTERVAL_HOURS: '0',
        YIDANG_FIXITY_BATCH: '50',
      },
      cwd,
    );
    expect(config).toMatchObject({
      digest: 'sm3',
      cipher: 'sm4',
      signature: 'sm2',
      checkpointIntervalSeconds: 60,
      fixity: { intervalHours: 0, batch: 50 },
    });
    expect(() => loadConfig({ YIDANG_DIGEST: 'md5' }, cwd)).toThrow(/YIDANG_DIGEST 应为 sha256 或 sm3/);
    expect(() => loadConfig({ YIDANG_CHECKPOINT_INTERVAL: '1' }, cwd)).toThrow(/YIDANG_CHECKPOINT_INTERVAL/);
    expect(() => loadConfig({ YIDANG_FIXITY_BATCH: '0' }, cwd)).toThrow(/YIDANG_FIXITY_BATCH/);
  });

  it('uses the process working directory when none is given', () => {
    const config = loadConfig({});
    expect(config.home).toBe(path.resolve(process.cwd(), 'yidang-data'));
    expect(config.embeddedDbDir).toBe(path.join(config.home, 'db'));
  });

  it('treats blank values as unset', () => {
    const config = loadConfig({ YIDANG_HOME: '  ', PORT: ' ', DATABASE_URL: '   ', YIDANG_HOST: ' ' }, cwd);
    expect(config).toMatchObject({
      home: path.join(cwd, 'yidang-data'),
      databaseUrl: undefined,
      port: 8080,
      host: '127.0.0.1',
    });
    expect(loadConfig({ DATABASE_URL: '' }, cwd).databaseUrl).toBeUndefined();
  });
});

describe('YIDANG_HOME and the host', () => {
  it('resolves a relative home against the working directory and keeps an absolute one', () => {
    expect(loadConfig({ YIDANG_HOME: 'data/archive' }, cwd).home).toBe(path.join(cwd, 'data', 'archive'));
    const absolute = path.resolve('/var/lib/yidang');
    const config = loadConfig({ YIDANG_HOME: ` ${absolute} ` }, cwd);
    expect(config.home).toBe(absolute);
    expect(config.embeddedDbDir).toBe(path.join(absolute, 'db'));
  });

  it('refuses a NUL character in the home', () => {
    expect(configError({ YIDANG_HOME: 'data\0x' }).message).toBe('配置错误：YIDANG_HOME 含有非法字符');
  });

  it('reads the host, trimmed', () => {
    expect(loadConfig({ YIDANG_HOST: ' 0.0.0.0 ' }, cwd).host).toBe('0.0.0.0');
  });
});

describe('PORT and YIDANG_LOCK_TIMEOUT_MS', () => {
  it('reads valid integers, trimmed', () => {
    expect(loadConfig({ PORT: ' 9090 ' }, cwd).port).toBe(9090);
    expect(loadConfig({ PORT: '0' }, cwd).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }, cwd).port).toBe(65535);
    expect(loadConfig({ YIDANG_LOCK_TIMEOUT_MS: '0' }, cwd).lockTimeoutMs).toBe(0);
    expect(loadConfig({ YIDANG_LOCK_TIMEOUT_MS: '3600000' }, cwd).lockTimeoutMs).toBe(3_600_000);
  });

  it('refuses a port that is not an integer in 0–65535, naming PORT and the value', () => {
    expect(configError({ PORT: 'abc' }).message).toBe(
      '配置错误：PORT 必须是 0–65535 之间的整数，实际为“abc”',
    );
    expect(configError({ PORT: '70000' }).message).toBe(
      '配置错误：PORT 必须是 0–65535 之间的整数，实际为“70000”',
    );
    for (const value of ['65536', '-1', '80.5', '8e3', '0x50', '80 80', '８０']) {
      const message = configError({ PORT: value }).message;
      expect(message, value).toContain('PORT');
      expect(message, value).toContain(`“${value}”`);
    }
  });

  it('refuses a bad lock timeout, naming the variable', () => {
    expect(configError({ YIDANG_LOCK_TIMEOUT_MS: '3600001' }).message).toContain('YIDANG_LOCK_TIMEOUT_MS');
    expect(configError({ YIDANG_LOCK_TIMEOUT_MS: 'soon' }).message).toContain('0–3600000');
  });
});

describe('YIDANG_PGLITE_THREAD', () => {
  it('is unset by default (the server takes a worker, commands the main thread), or worker or main', () => {
    expect(loadConfig({}, cwd).pgliteThread).toBeUndefined();
    expect(loadConfig({ YIDANG_PGLITE_THREAD: ' ' }, cwd).pgliteThread).toBeUndefined();
    expect(loadConfig({ YIDANG_PGLITE_THREAD: 'worker' }, cwd).pgliteThread).toBe('worker');
    expect(loadConfig({ YIDANG_PGLITE_THREAD: ' Main ' }, cwd).pgliteThread).toBe('main');
  });

  it('refuses anything else, naming the variable and the choices', () => {
    expect(configError({ YIDANG_PGLITE_THREAD: 'both' }).message).toBe(
      '配置错误：YIDANG_PGLITE_THREAD 应为 worker 或 main，实际为“both”',
    );
  });
});

describe('DATABASE_URL', () => {
  it('accepts postgres:// and postgresql://, trimmed', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://yidang:secret@db:5432/yidang' }, cwd).databaseUrl).toBe(
      'postgres://yidang:secret@db:5432/yidang',
    );
    expect(loadConfig({ DATABASE_URL: ' postgresql://localhost/yidang ' }, cwd).databaseUrl).toBe(
      'postgresql://localhost/yidang',
    );
  });

  it('refuses another protocol, naming it', () => {
    expect(configError({ DATABASE_URL: 'mysql://root@localhost/yidang' }).message).toBe(
      '配置错误：DATABASE_URL 只支持 postgres:// 或 postgresql://，实际为“mysql:”',
    );
    expect(configError({ DATABASE_URL: 'http://localhost:5432/yidang' }).message).toContain('“http:”');
    expect(configError({ DATABASE_URL: 'file:///var/lib/yidang.db' }).message).toContain(
      '只支持 postgres://',
    );
  });

  it('refuses garbage without echoing it (it may hold a password)', () => {
    for (const value of ['garbage', 'localhost:5432/yidang-and-more', '://user:pw@', 'postgres//x']) {
      const message = configError({ DATABASE_URL: value }).message;
      expect(message, value).toContain('DATABASE_URL');
      expect(message, value).not.toContain(value);
    }
    expect(configError({ DATABASE_URL: 'garbage' }).message).toBe(
      '配置错误：DATABASE_URL 不是有效的连接串，应形如 postgres://用户:密码@主机:端口/库名',
    );
  });
});

describe('YIDANG_CLAMAV_DATABASE', () => {
  it('is unset by default and resolves a relative path under the home, like a replica', () => {
    expect(loadConfig({}, cwd).clamavDatabase).toBeUndefined();
    expect(loadConfig({ YIDANG_CLAMAV_DATABASE: '  ' }, cwd).clamavDatabase).toBeUndefined();
    expect(
      loadConfig({ YIDANG_HOME: '/data/yd', YIDANG_CLAMAV_DATABASE: 'clamav' }, cwd).clamavDatabase,
    ).toBe('/data/yd/clamav');
    expect(loadConfig({ YIDANG_CLAMAV_DATABASE: '/var/lib/clamav/main.cvd' }, cwd).clamavDatabase).toBe(
      '/var/lib/clamav/main.cvd',
    );
    expect(configError({ YIDANG_CLAMAV_DATABASE: 'a\0b' }).message).toContain('YIDANG_CLAMAV_DATABASE');
  });
});
