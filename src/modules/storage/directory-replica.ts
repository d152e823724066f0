import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { DigestAlgorithm } from '../../config/config.js';
import type { DirectoryReplicaSpec } from '../../config/replicas.js';
import { YidangError } from '../../shared/errors.js';
import {
  digestOfShredRecordPath,
  type Replica,
  type ReplicaWrite,
  type ShredRecordFile,
  shredRecordPath,
  writeWhole,
} from './replica.js';

// One replica (副本) in a directory: blobs/<algorithm>/<aa>/<bb>/<hex>, written through tmp/ with
// fsync and rename, so a reader or a crash never sees half a blob.

const READ_CHUNK = 1024 * 1024;

/** Turns an errno into a message that says what to do; key material never reaches here. */
export function replicaError(replica: string, action: string, error: unknown): YidangError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOSPC'
      ? '磁盘空间已满'
      : code === 'ENOENT'
        ? '目录不存在（存储可能未挂载或已被移走）'
        : code === 'EACCES' || code === 'EPERM'
          ? '没有写入权限'
          : code === 'EROFS'
            ? '存储为只读'
            : code === 'EIO'
              ? '存储设备读写错误'
              : (error as Error).message;
  return replicaFailure(replica, action, reason);
}

/** The one shape of a replica's failure, whatever kind of storage it is. */
export function replicaFailure(replica: string, action: string, reason: string): YidangError {
  return new YidangError('REPLICA_UNAVAILABLE', 'busy', `副本“${replica}”${action}失败：${reason}`);
}

function digestParts(digest: string): { algorithm: DigestAlgorithm; hex: string } {
  const match = /^(sha256|sm3):([0-9a-f]{64})$/.exec(digest);
  if (!match) throw new Error(`not a blob digest: ${digest.slice(0, 80)}`);
  return { algorithm: match[1] as DigestAlgorithm, hex: match[2] as string };
}

/** The algorithm a blob digest (algorithm:hex) was made with. */
export const digestAlgorithmOf = (digest: string): DigestAlgorithm => digestParts(digest).algorithm;

/** Where a blob lives below a replica's root — and below a backup directory, which mirrors it. */
export function blobRelativePath(digest: string): string {
  const { algorithm, hex } = digestParts(digest);
  return path.join('blobs', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex);
}

/**
 * Who writes a temporary file, in its name: <host>.<pid>.<process token>.<random>.part. A file of this
 * host whose writer is gone (its pid dead, or this very pid reused by a later process) is an orphan
 * of a killed writer, removed when a replica is opened; another host's files only by age.
 */
const HOST = crypto.createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
const PROCESS_TOKEN = crypto.randomBytes(4).toString('hex');
const TEMPORARY_NAME = /^([0-9a-f]{8})\.(\d+)\.([0-9a-f]{8})\.[0-9a-f]+\.part$/;

/** Temporary files older than this are orphans whoever wrote them: a live writer keeps its file fresh. */
export const ORPHAN_AGE_MS = 60 * 60 * 1000;

function writerGone(name: string): boolean {
  const match = TEMPORARY_NAME.exec(name);
  if (!match || match[1] !== HOST) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return match[3] !== PROCESS_TOKEN;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the pid is alive under another user, so it may be a writer.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function fsyncDirectory(directory: string): void {
  const fd = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class DirectoryReplica implements Replica {
  readonly kind = 'directory' as const;
  readonly name: string;
  readonly required: boolean;
  readonly root: string;

  constructor(spec: DirectoryReplicaSpec) {
    this.name = spec.name;
    this.required = spec.required;
    this.root = spec.location;
  }

  describe(): string {
    return `${this.name}（${this.root}）`;
  }

  /** Creates the layout; only init does this, so an unmounted share is an error, not a new empty folder. */
  async initialize(): Promise<void> {
    for (const sub of ['blobs', 'tmp'])
      fs.mkdirSync(path.join(this.root, sub), { recursive: true, mode: 0o700 });
    await this.sweepOrphans();
  }

  /**
   * Removes temporary files of killed writers, run when the replica is opened: those of this host
   * whose process is gone, and anyone's older than ORPHAN_AGE_MS (another server sharing the
   * directory keeps its live files fresh). Returns how many were removed.
   */
  async sweepOrphans(): Promise<number> {
    const directory = path.join(this.root, 'tmp');
    const entries = await fs.promises.readdir(directory).catch(() => [] as string[]);
    let removed = 0;
    for (const entry of entries) {
      if (!entry.endsWith('.part')) continue;
      const file = path.join(directory, entry);
      const stat = await fs.promises.stat(file).catch(() => undefined);
      if (!stat?.isFile()) continue;
      if (writerGone(entry) || Date.now() - stat.mtimeMs > ORPHAN_AGE_MS) {
        await fs.promises.rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  blobPath(digest: string): string {
    return path.join(this.root, blobRelativePath(digest));
  }

  async beginWrite(): Promise<ReplicaWrite> {
    const name = `${HOST}.${process.pid}.${PROCESS_TOKEN}.${crypto.randomBytes(12).toString('hex')}.part`;
    const temporary = path.join(this.root, 'tmp', name);
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(temporary, 'wx', 0o600);
    } catch (error) {
      throw replicaError(this.describe(), '写入', error);
    }
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await handle.close().catch(() => {});
      }
    };
    return {
      write: async (chunk) => {
        try {
          let offset = 0;
          while (offset < chunk.length) {
            const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
            offset += bytesWritten;
          }
        } catch (error) {
          throw replicaError(this.describe(), '写入', error);
        }
      },
      commit: async (digest) => {
        const target = this.blobPath(digest);
        try {
          await handle.sync();
          await close();
          await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
          await fs.promises.rename(temporary, target);
          // The new name and any directories just made for it must reach the disk too.
          for (
            let directory = path.dirname(target);
            directory.startsWith(path.join(this.root, 'blobs'));
            directory = path.dirname(directory)
          )
            fsyncDirectory(directory);
        } catch (error) {
          throw replicaError(this.describe(), '保存', error);
        }
      },
      abort: async () => {
        await close();
        await fs.promises.rm(temporary, { force: true }).catch(() => {});
      },
    };
  }

  async openRead(digest: string): Promise<Readable | undefined> {
    const file = this.blobPath(digest);
    try {
      const handle = await fs.promises.open(file, 'r');
      return handle.createReadStream({ highWaterMark: READ_CHUNK });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(this.root)) return undefined;
      throw replicaError(this.describe(), '读取', error);
    }
  }

  async storedSize(digest: string): Promise<number | undefined> {
    try {
      return (await fs.promises.stat(this.blobPath(digest))).size;
    } catch {
      return undefined;
    }
  }

  writeFrom(digest: string, source: Readable): Promise<void> {
    return writeWhole(this, digest, source);
  }

  async check(): Promise<void> {
    try {
      await fs.promises.access(path.join(this.root, 'tmp'), fs.constants.W_OK);
      await fs.promises.access(path.join(this.root, 'blobs'), fs.constants.W_OK);
    } catch (error) {
      throw replicaError(this.describe(), '访问', error);
    }
  }

  /** Each record through tmp/ with fsync and rename; the directories synced once for the batch. */
  async writeShredRecords(records: ReadonlyArray<ShredRecordFile>): Promise<void> {
    const directories = new Set<string>();
    try {
      await Promise.all(
        records.map(async (record) => {
          const target = path.join(this.root, shredRecordPath(record.digest));
          const temporary = path.join(
            this.root,
            'tmp',
            `${HOST}.${process.pid}.${PROCESS_TOKEN}.${crypto.randomBytes(12).toString('hex')}.part`,
          );
          const handle = await fs.promises.open(temporary, 'wx', 0o600);
          try {
            await handle.writeFile(record.content, 'utf8');
            await handle.sync();
          } finally {
            await handle.close();
          }
          // mkdir reports the first directory it made: only then do the parents need syncing too.
          const made = await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
          await fs.promises.rename(temporary, target);
          directories.add(path.dirname(target));
          if (made) {
            directories.add(path.join(this.root, 'shredded'));
            directories.add(this.root);
          }
        }),
      );
      for (const directory of directories) fsyncDirectory(directory);
    } catch (error) {
      throw replicaError(this.describe(), '写入销毁记录', error);
    }
  }

  async deleteShredRecords(digests: readonly string[]): Promise<void> {
    for (const digest of digests)
      await fs.promises.rm(path.join(this.root, shredRecordPath(digest)), { force: true });
  }

  async readShredRecords(): Promise<ShredRecordFile[]> {
    const base = path.join(this.root, 'shredded');
    // As for deleteBlob: an unmounted share (an empty mount point) must not read as "no records".
    try {
      await fs.promises.access(path.join(this.root, 'blobs'));
    } catch (error) {
      throw replicaError(this.describe(), '读取销毁记录', error);
    }
    // Only an absent directory means none; any other error (EACCES, EIO) must not read as "none".
    const entries = async (directory: string) => {
      try {
        return await fs.promises.readdir(directory);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [] as string[];
        throw replicaError(this.describe(), '读取销毁记录', error);
      }
    };
    const found: ShredRecordFile[] = [];
    for (const kind of await entries(base)) {
      for (const name of await entries(path.join(base, kind))) {
        const digest = digestOfShredRecordPath(`shredded/${kind}/${name}`);
        if (!digest) continue;
        try {
          found.push({ digest, content: await fs.promises.readFile(path.join(base, kind, name), 'utf8') });
        } catch (error) {
          throw replicaError(this.describe(), '读取销毁记录', error);
        }
      }
    }
    return found;
  }

  async deleteBlob(digest: string): Promise<void> {
    const file = this.blobPath(digest);
    try {
      // An unmounted share must not count as "deleted": the root has to be there.
      await fs.promises.access(path.join(this.root, 'blobs'));
      await fs.promises.rm(file, { force: true });
      fsyncDirectory(path.dirname(file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(path.join(this.root, 'blobs')))
        return;
      throw replicaError(this.describe(), '删除文件', error);
    }
  }

  async sweepTemporary(olderThanMs: number): Promise<number> {
    const directory = path.join(this.root, 'tmp');
    let removed = 0;
    const entries = await fs.promises.readdir(directory).catch(() => [] as string[]);
    for (const entry of entries) {
      const file = path.join(directory, entry);
      const stat = await fs.promises.stat(file).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > olderThanMs) {
        await fs.promises.rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }
}
