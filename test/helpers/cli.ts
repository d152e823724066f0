import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// Runs `yidang` as a user would, against its own data directory or database. `run` runs the same
// program in this process (runCli: its own environment, captured output, exit status), which spares
// a Node start per command; `start`, and `run` with standard input or `spawn: true`, run the built
// binary (bin/yidang.js) as a child process. YIDANG_TEST_SPAWN=1 spawns every command.
// Both run the build in dist/: in-process runs so its modules (the field key above all) stay apart
// from the src/ modules a test opens its own system with, as another process's would.

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

/** Extra environment for one command; a variable given as undefined is removed for it. */
export type ExtraEnv = Record<string, string | undefined>;

function commandEnv(cli: CliEnv, extraEnv: ExtraEnv): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env, ...cli.env, ...extraEnv };
  if (!cli.env.DATABASE_URL && !extraEnv.DATABASE_URL) delete env.DATABASE_URL;
  for (const [name, value] of Object.entries(extraEnv)) if (value === undefined) delete env[name];
  return env as Record<string, string>;
}

export function start(cli: CliEnv, args: string[], extraEnv: ExtraEnv = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: commandEnv(cli, extraEnv),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

const SPAWN_ALL = process.env.YIDANG_TEST_SPAWN === '1';

export interface RunOptions {
  /** Standard input; a command given input runs as a child process (it reads file descriptor 0). */
  input?: string;
  env?: ExtraEnv;
  /** Run the built binary as a child process, to keep the real entry point covered. */
  spawn?: boolean;
}

type CliModule = typeof import('../../src/cli/run.js');
let built: Promise<CliModule> | undefined;

export async function run(cli: CliEnv, args: string[], options: RunOptions = {}): Promise<CliResult> {
  built ??= import(pathToFileURL(path.resolve('dist/cli/run.js')).href) as Promise<CliModule>;
  const { LONG_RUNNING_COMMANDS, runCli } = await built;
  // serve and start run until stopped: never in this process, even when expected to fail early.
  const ownProcess = options.spawn || options.input !== undefined || LONG_RUNNING_COMMANDS.has(args[0] ?? '');
  if (ownProcess || SPAWN_ALL) return runSpawned(cli, args, options);
  return runCli(args, { env: commandEnv(cli, options.env ?? {}) });
}

function runSpawned(cli: CliEnv, args: string[], options: RunOptions): Promise<CliResult> {
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

/** The password of every account the CLI tests create (it meets the password policy). */
export const CLI_PASSWORD = 'Dangan-Cli-Passw0rd!';

export interface CliUserOptions {
  /** Default: the roles joined with dots, e.g. archivist.clerk. */
  username?: string;
  /** fonds/region/category, repeatable; default everything. */
  scope?: string[];
  name?: string;
  password?: string;
}

/** `yidang user add` as an operator on the server would run it; fails the test unless it succeeds. */
export async function addUser(
  cli: CliEnv,
  roles: readonly string[],
  options: CliUserOptions = {},
): Promise<{ username: string; result: CliResult }> {
  const username = options.username ?? roles.join('.');
  const args = ['user', 'add', username, ...roles.flatMap((role) => ['--role', role])];
  for (const scope of options.scope ?? ['*/*/*']) args.push('--scope', scope);
  if (options.name) args.push('--name', options.name);
  const result = await run(cli, args, { env: { YIDANG_NEW_PASSWORD: options.password ?? CLI_PASSWORD } });
  if (result.code !== 0) throw new Error(`user add ${username} failed (${result.code}): ${result.stderr}`);
  return { username, result };
}

/**
 * Creates an account (after init: the database must exist) and makes every later command of this
 * environment sign in as it, through YIDANG_USER and YIDANG_PASSWORD. Returns the username, which the
 * event log and the items record as the author of content changes.
 */
export async function signInAs(
  cli: CliEnv,
  roles: readonly string[] = ['archivist', 'clerk'],
  options: CliUserOptions = {},
): Promise<string> {
  const { username } = await addUser(cli, roles, options);
  cli.env.YIDANG_USER = username;
  cli.env.YIDANG_PASSWORD = options.password ?? CLI_PASSWORD;
  return username;
}

/**
 * An API token for an existing account, as `Authorization` headers for fetch. Create it before the
 * server starts: the embedded database can be open in one process only.
 */
export async function apiToken(
  cli: CliEnv,
  username: string,
  permissions: readonly string[],
): Promise<{ authorization: string }> {
  const args = ['token', 'create', username, '--name', 'test', '--days', '1'];
  for (const permission of permissions) args.push('--permission', permission);
  const result = await run(cli, args);
  const token = result.stdout.trim();
  if (result.code !== 0 || !/^ydt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/.test(token))
    throw new Error(`token create for ${username} failed (${result.code}): ${result.stderr}`);
  return { authorization: `Bearer ${token}` };
}
