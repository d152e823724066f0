import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Runs the built `yidang` command as a user would, against its own data directory or database.

const BIN = path.resolve('bin/yidang.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  home: string;
  env: Record<string, string>;
}

export function cliEnv(databaseUrl?: string): CliEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-cli-'));
  const env: Record<string, string> = { YIDANG_HOME: home, YIDANG_ACTOR: '测试档案员' };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return { home, env };
}

export function start(cli: CliEnv, args: string[], extraEnv: Record<string, string> = {}): ChildProcess {
  const env = { ...process.env, ...cli.env, ...extraEnv };
  if (!cli.env.DATABASE_URL && !extraEnv.DATABASE_URL) delete env.DATABASE_URL;
  return spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function run(
  cli: CliEnv,
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
) {
  return new Promise<CliResult>((resolve, reject) => {
    const child = start(cli, args, options.env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin?.end(options.input ?? '');
  });
}

export function writeJson(cli: CliEnv, name: string, value: unknown): string {
  const file = path.join(cli.home, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}
