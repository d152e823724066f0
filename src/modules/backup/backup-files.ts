import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { YidangError } from '../../shared/errors.js';

// The files of a backup directory and their manifest: every file's SHA-256 is listed, so a
// truncated or altered backup is refused before anything is restored from it.

export const MANIFEST = 'manifest.json';
export const FORMAT = 'yidang-backup/1';

export interface BackupManifest {
  format: typeof FORMAT;
  createdAt: string;
  createdBy: string;
  schemaVersion: string;
  databaseKind: string;
  tables: Array<{ name: string; file: string; rows: number }>;
  blobs: { count: number; bytes: number };
  checkpoint: { treeSize: number; rootHash: string };
  /** SHA-256 of every file except the blobs (which carry their own digests in the catalog). */
  files: Record<string, string>;
}

export function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export async function hashFile(file: string, algorithm = 'sha256'): Promise<string> {
  const hash = crypto.createHash(algorithm);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes JSON lines gzipped, batch by batch, and returns the row count. */
export async function writeLines(file: string, batches: AsyncIterable<string[]>): Promise<number> {
  let rows = 0;
  const gzip = zlib.createGzip({ level: 6 });
  const done = pipeline(gzip, fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  for await (const lines of batches) {
    rows += lines.length;
    if (!gzip.write(`${lines.join('\n')}\n`)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await done;
  fsyncFile(file);
  return rows;
}

/** Reads gzipped JSON lines back in batches. */
export async function* readLines(file: string, batchSize: number): AsyncGenerator<string[]> {
  let rest = '';
  let batch: string[] = [];
  // Decoded as a stream: a Chinese character split across two chunks must not become two U+FFFD.
  for await (const chunk of fs.createReadStream(file).pipe(zlib.createGunzip()).setEncoding('utf8')) {
    const parts = (rest + (chunk as string)).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      if (line === '') continue;
      batch.push(line);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (rest !== '') batch.push(rest);
  if (batch.length > 0) yield batch;
}

export function backupCorrupt(reason: string): YidangError {
  return new YidangError('BACKUP_CORRUPT', 'invalid', `备份不完整或已损坏：${reason}`);
}

export function readManifest(dir: string): BackupManifest {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(dir)) throw new YidangError('BACKUP_NOT_FOUND', 'invalid', `备份目录“${dir}”不存在`);
  if (!fs.existsSync(file)) throw backupCorrupt(`缺少 ${MANIFEST}（备份可能没有完成）`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as BackupManifest;
  } catch {
    throw backupCorrupt(`${MANIFEST} 无法解析`);
  }
  if (manifest.format !== FORMAT)
    throw backupCorrupt(`不认识的备份格式“${String(manifest.format).slice(0, 40)}”`);
  return manifest;
}

/** Every listed file present with its recorded digest; names cannot leave the backup directory. */
export async function checkManifestFiles(dir: string, manifest: BackupManifest): Promise<void> {
  for (const [name, digest] of Object.entries(manifest.files)) {
    const file = path.resolve(dir, name);
    if (path.relative(dir, file).startsWith('..') || path.isAbsolute(name))
      throw backupCorrupt(`清单中的路径“${name.slice(0, 80)}”越出备份目录`);
    if (!fs.existsSync(file)) throw backupCorrupt(`缺少文件 ${name}`);
    if ((await hashFile(file)) !== digest) throw backupCorrupt(`文件 ${name} 的校验和不符（被截断或改动）`);
  }
}
