import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { YidangError } from '../../shared/errors.js';

// Writing and reading secret files in YIDANG_HOME/keys: atomically (temp file, fsync, rename, fsync
// the directory) and only when no other user can read them.

// Mode bits are not meaningful on Windows, where stat reports 0666 for any writable file.
const CHECK_MODES = process.platform !== 'win32';

export function writeFileAtomic(dir: string, name: string, content: string): void {
  const tmp = path.join(dir, `.${name}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, path.join(dir, name));
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  syncDir(dir);
}

export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function checkMode(file: string, stat: fs.Stats): void {
  if (!CHECK_MODES || (stat.mode & 0o077) === 0) return;
  const want = stat.isDirectory() ? '700' : '600';
  throw new YidangError(
    'KEY_FILE_PERMISSIONS',
    'invalid',
    `密钥文件 ${file} 的权限过宽（${(stat.mode & 0o777).toString(8)}），其他用户可能读取密钥。` +
      `请执行 chmod ${want} ${file} 后重试。`,
  );
}

export function readSecret(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    checkMode(file, fs.fstatSync(fd));
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export function ensureDir(dir: string): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { mode: 0o700 });
  checkMode(dir, fs.statSync(dir));
}

/** A key written as canonical base64 of exactly `bytes` bytes; null for anything else. */
export function decodeKey(text: string | undefined, bytes: number): Buffer | null {
  const trimmed = text?.trim() ?? '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === bytes && key.toString('base64') === trimmed ? key : null;
}
