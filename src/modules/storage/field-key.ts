import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { YidangError } from '../../shared/errors.js';
import { decodeKey, ensureDir, readSecret, writeFileAtomic } from './key-files.js';
import { keysDir } from './keyring.js';

// The field key (字段密钥): one 32-byte secret from which the keys that encrypt ID numbers in the
// database and compute their blind index are derived. It lives in YIDANG_HOME/keys/field.key beside
// the master keys (or comes from YIDANG_FIELD_KEY), travels in backups with them, and is never
// re-created over data encrypted under it.

const FIELD_FILE = 'field.key';
const FIELD_KEY_BYTES = 32;

type Env = Record<string, string | undefined>;

const fieldKeyMissing = (file: string) =>
  new YidangError(
    'FIELD_KEY_MISSING',
    'invalid',
    `找不到字段密钥 ${file}：数据库中的身份证号已用它加密，没有它无法读出。请从密钥备份恢复该文件（或设置 YIDANG_FIELD_KEY）。`,
  );

/** The field key, or null when this home has none yet. */
export function loadFieldKey(home: string, env: Env = process.env): Buffer | null {
  if (env.YIDANG_FIELD_KEY !== undefined && env.YIDANG_FIELD_KEY.trim() !== '') {
    const key = decodeKey(env.YIDANG_FIELD_KEY, FIELD_KEY_BYTES);
    if (!key)
      throw new YidangError(
        'FIELD_KEY_MALFORMED',
        'invalid',
        'YIDANG_FIELD_KEY 应为 32 字节密钥的 Base64 编码',
      );
    return key;
  }
  const file = path.join(keysDir(home), FIELD_FILE);
  if (!fs.existsSync(file)) return null;
  let record: { version?: unknown; key?: unknown };
  try {
    record = JSON.parse(readSecret(file)) as typeof record;
  } catch (error) {
    if (error instanceof YidangError) throw error;
    record = {};
  }
  const key =
    record.version === 1 && typeof record.key === 'string' ? decodeKey(record.key, FIELD_KEY_BYTES) : null;
  if (!key)
    throw new YidangError(
      'KEY_FILE_MALFORMED',
      'invalid',
      `密钥文件 ${file} 已损坏。请从密钥备份恢复该文件。`,
    );
  return key;
}

/**
 * The field key, created when missing — unless the database already holds values encrypted under
 * one (hasEncryptedData), which would then be unreadable: that is refused, asking for the backup.
 */
export function openFieldKey(home: string, hasEncryptedData: boolean, env: Env = process.env): Buffer {
  const existing = loadFieldKey(home, env);
  if (existing) return existing;
  const dir = keysDir(home);
  if (hasEncryptedData) throw fieldKeyMissing(path.join(dir, FIELD_FILE));
  ensureDir(dir);
  writeFieldKey(dir, crypto.randomBytes(FIELD_KEY_BYTES));
  return loadFieldKey(home, env) as Buffer;
}

function writeFieldKey(dir: string, key: Buffer): void {
  const record = { version: 1, createdAt: new Date().toISOString(), key: key.toString('base64') };
  writeFileAtomic(dir, FIELD_FILE, `${JSON.stringify(record, null, 2)}\n`);
}

/** For a restore: writes the backed-up key, refusing to replace a different one. */
export function importFieldKey(home: string, encoded: string | undefined): void {
  if (encoded === undefined) return;
  const key = decodeKey(encoded, FIELD_KEY_BYTES);
  if (!key)
    throw new YidangError('KEY_MATERIAL_MALFORMED', 'invalid', '密钥备份内容无效：字段密钥数据不正确');
  const dir = keysDir(home);
  ensureDir(dir);
  const file = path.join(dir, FIELD_FILE);
  const existing = fs.existsSync(file) ? loadFieldKey(home, {}) : null;
  if (existing && !existing.equals(key))
    throw new YidangError(
      'KEY_CONFLICT',
      'conflict',
      `${dir} 中已有不同的字段密钥，为避免覆盖现有密钥，未导入。请改用空的 YIDANG_HOME 恢复。`,
    );
  if (!existing) writeFieldKey(dir, key);
}
