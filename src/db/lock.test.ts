import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isYidangError, type YidangError } from '../shared/errors.js';
import { lockDirectory } from './lock.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-lock-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const readLock = (dir: string) =>
  JSON.parse(fs.readFileSync(`${dir}.lock`, 'utf8')) as Record<string, unknown>;

async function busy(dir: string, timeoutMs: number): Promise<{ error: YidangError; waited: number }> {
  const started = Date.now();
  const error = await lockDirectory(dir, timeoutMs).then(
    (lock) => {
      lock.release();
      throw new Error('the lock was acquired twice');
    },
    (caught: unknown) => caught,
  );
  expect(isYidangError(error), String(error)).toBe(true);
  return { error: error as YidangError, waited: Date.now() - started };
}

function writeForeignLock(dir: string, pid: number, command = 'yidang serve'): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.writeFileSync(`${dir}.lock`, JSON.stringify({ pid, command, since: new Date().toISOString() }));
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(child.status).toBe(0);
  return child.pid as number;
}

describe('lockDirectory', () => {
  it('creates the parent directory and a lock file naming this process', async () => {
    const dir = path.join(root, 'nested', 'deeper', 'db');
    const lock = await lockDirectory(dir, 300);
    expect(fs.existsSync(path.join(root, 'nested', 'deeper'))).toBe(true);
    expect(readLock(dir)).toMatchObject({ pid: process.pid });
    expect(typeof readLock(dir).since).toBe('string');
    lock.release();
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
  });

  it('refuses a second holder after the timeout with DATABASE_BUSY naming the pid, then allows it after release', async () => {
    const dir = path.join(root, 'db-twice');
    const first = await lockDirectory(dir, 300);
    const { error, waited } = await busy(dir, 300);
    expect(error.code).toBe('DATABASE_BUSY');
    expect(error.kind).toBe('busy');
    expect(error.message).toContain(`进程号 ${process.pid}`);
    expect(error.message).toContain('PostgreSQL');
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(5000);
    expect(readLock(dir).pid).toBe(process.pid);
    first.release();
    const second = await lockDirectory(dir, 300);
    expect(readLock(dir).pid).toBe(process.pid);
    second.release();
  });

  it('waits for another live process and names its pid and command', async () => {
    const dir = path.join(root, 'db-foreign');
    writeForeignLock(dir, process.ppid);
    const { error } = await busy(dir, 300);
    expect(error.code).toBe('DATABASE_BUSY');
    expect(error.message).toContain(`进程号 ${process.ppid}`);
    expect(error.message).toContain('命令“yidang serve”');
    expect(readLock(dir).pid).toBe(process.ppid);
  });

  it('acquires as soon as the other holder lets go within the timeout', async () => {
    const dir = path.join(root, 'db-handover');
    writeForeignLock(dir, process.ppid);
    setTimeout(() => fs.rmSync(`${dir}.lock`), 250);
    const started = Date.now();
    const lock = await lockDirectory(dir, 5000);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(readLock(dir).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dir = path.join(root, 'db-stale');
    const pid = deadPid();
    writeForeignLock(dir, pid, 'yidang import');
    const started = Date.now();
    // Taken over at once, not after waiting out the (long) timeout for a live owner.
    const lock = await lockDirectory(dir, 20_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readLock(dir)).toMatchObject({ pid: process.pid });
    lock.release();
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
  });

  it('takes over a stale lock naming a pid that cannot exist', async () => {
    const dir = path.join(root, 'db-stale-huge');
    writeForeignLock(dir, 2 ** 22 + 12345);
    const lock = await lockDirectory(dir, 300);
    expect(readLock(dir).pid).toBe(process.pid);
    lock.release();
  });

  it('treats an unreadable lock file (still being written) as held', async () => {
    const dir = path.join(root, 'db-half-written');
    fs.writeFileSync(`${dir}.lock`, '');
    const { error } = await busy(dir, 200);
    expect(error.code).toBe('DATABASE_BUSY');
    expect(fs.existsSync(`${dir}.lock`)).toBe(true);
  });

  it('takes over an unreadable lock file left for longer than a write could take', async () => {
    const dir = path.join(root, 'db-debris');
    fs.writeFileSync(`${dir}.lock`, '');
    const longAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(`${dir}.lock`, longAgo, longAgo);
    const lock = await lockDirectory(dir, 300);
    expect(readLock(dir).pid).toBe(process.pid);
    expect(fs.readdirSync(root).filter((name) => name.includes('.stale.'))).toEqual([]);
    lock.release();
  });

  it('releases only its own lock, and only once', async () => {
    const dir = path.join(root, 'db-replaced');
    const lock = await lockDirectory(dir, 300);
    writeForeignLock(dir, process.ppid);
    lock.release();
    expect(readLock(dir).pid).toBe(process.ppid);
    fs.rmSync(`${dir}.lock`);
    const again = await lockDirectory(dir, 300);
    lock.release(); // the first handle is spent: it must not remove the new holder's lock
    expect(readLock(dir).pid).toBe(process.pid);
    again.release();
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
  });
});
