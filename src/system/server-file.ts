import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// A running server leaves run/server.json in YIDANG_HOME: its address and a random control token.
// Only someone who can read the data directory (the operator on this machine) can ask the server to
// do work that needs its database, such as an online backup of the embedded database it holds open.

export interface ServerFile {
  pid: number;
  url: string;
  token: string;
  startedAt: string;
}

const fileOf = (home: string) => path.join(home, 'run', 'server.json');

export function newControlToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function writeServerFile(home: string, info: ServerFile): void {
  const file = fileOf(home);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/** Removes the file if it is still this process's (a newer server may have replaced it). */
export function removeServerFile(home: string, pid = process.pid): void {
  const current = readRaw(home);
  if (current?.pid === pid) fs.rmSync(fileOf(home), { force: true });
}

function readRaw(home: string): ServerFile | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(fileOf(home), 'utf8')) as Partial<ServerFile>;
    if (typeof parsed.pid !== 'number' || typeof parsed.url !== 'string' || typeof parsed.token !== 'string')
      return undefined;
    return parsed as ServerFile;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The server running on this data directory, or undefined (a file left by a killed server is ignored). */
export function runningServer(home: string): ServerFile | undefined {
  const info = readRaw(home);
  return info && info.pid !== process.pid && alive(info.pid) ? info : undefined;
}

/** Compares a presented token with the server's in constant time. */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
