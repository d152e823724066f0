import fs from 'node:fs';
import path from 'node:path';
import { YidangError } from '../shared/errors.js';

// PGlite is a single-process database: two processes opening one data directory would corrupt it.
// An exclusive lock file (created atomically with O_EXCL) keeps a second process out; a lock left by
// a killed process is detected by its dead pid and taken over.

interface LockOwner {
  pid: number;
  command: string;
  since: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(lockPath: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(lockPath, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function tryAcquire(lockPath: string): LockOwner | undefined {
  const owner: LockOwner = {
    pid: process.pid,
    command: process.argv.slice(2).join(' ') || 'yidang',
    since: new Date().toISOString(),
  };
  try {
    const fd = fs.openSync(lockPath, 'wx', 0o600);
    fs.writeSync(fd, JSON.stringify(owner));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = readOwner(lockPath);
  if (holder ? holder.pid !== process.pid && !isAlive(holder.pid) : unreadableForLong(lockPath)) {
    return takeOverStale(lockPath, holder?.pid)
      ? tryAcquire(lockPath)
      : (readOwner(lockPath) ?? UNKNOWN_OWNER);
  }
  return holder ?? UNKNOWN_OWNER;
}

const UNKNOWN_OWNER: LockOwner = { pid: 0, command: '?', since: '' };

/** A lock file is written right after it is created; one still unreadable after 10 s is debris. */
function unreadableForLong(lockPath: string): boolean {
  try {
    return Date.now() - fs.statSync(lockPath).mtimeMs > 10_000;
  } catch {
    return false;
  }
}

/**
 * Moves a dead owner's lock aside atomically; of several processes doing this at once only one
 * renames the stale file, and one that grabbed a fresh lock instead puts it back.
 */
function takeOverStale(lockPath: string, stalePid: number | undefined): boolean {
  const aside = `${lockPath}.stale.${process.pid}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch {
    return false;
  }
  const moved = readOwner(aside);
  if (moved && moved.pid !== stalePid) {
    try {
      fs.linkSync(aside, lockPath);
    } catch {
      // Someone else holds the lock now; the moved file is obsolete either way.
    }
    fs.rmSync(aside, { force: true });
    return false;
  }
  fs.rmSync(aside, { force: true });
  return true;
}

export interface DirectoryLock {
  release(): void;
}

export async function lockDirectory(dir: string, timeoutMs: number): Promise<DirectoryLock> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const lockPath = `${dir}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const holder = tryAcquire(lockPath);
    if (!holder) break;
    if (Date.now() >= deadline) {
      throw new YidangError(
        'DATABASE_BUSY',
        'busy',
        `嵌入式数据库正被另一个进程使用（进程号 ${holder.pid}，命令“${holder.command}”）。` +
          '请通过该进程的 API 操作，或待其结束后重试；多进程并发请改用 PostgreSQL（设置 DATABASE_URL）。',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (readOwner(lockPath)?.pid === process.pid) fs.rmSync(lockPath, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  return { release };
}
