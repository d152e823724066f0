import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

// What bench/load.ts measures against: source trees (this checkout, and a git worktree of the
// baseline commit built beside it), homes made once by the built CLI as a user makes them and
// copied fresh for every server run, the server started as `yidang serve` in its own process,
// and that process's CPU time read from /proc.

export const REPO = path.resolve(import.meta.dirname, '..');

export interface Tree {
  label: string;
  dir: string;
  commit: string;
}

const git = (...args: string[]) => execFileSync('git', ['-C', REPO, ...args], { encoding: 'utf8' }).trim();

function newestMtime(directory: string, test: (file: string) => boolean): number {
  let newest = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && test(file)) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

/** This checkout, as built in dist/ (`npm run build`); says so when src/ changed since. */
export function currentTree(): Tree {
  const built = path.join(REPO, 'dist', '.tsbuildinfo');
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli', 'main.js')))
    throw new Error('dist/ is missing: run `npm run build` first (or `npm run bench:load`)');
  const source = newestMtime(
    path.join(REPO, 'src'),
    (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
  );
  if (fs.existsSync(built) && source > fs.statSync(built).mtimeMs)
    console.log('  warning: src/ changed after the last build; the server measured is the build in dist/');
  const changed = git('status', '--porcelain', '--untracked-files=no', '--', 'src').length > 0;
  const commit = git('rev-parse', '--short', 'HEAD');
  return { label: `this checkout (${commit}${changed ? ' + uncommitted changes' : ''})`, dir: REPO, commit };
}

/** A worktree of `ref` under `work`, built once (tsc only: the load touches the API, not the console). */
export function baselineTree(ref: string, work: string): Tree {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const short = commit.slice(0, 7);
  const dir = path.join(work, `tree-${short}`);
  if (!fs.existsSync(path.join(dir, '.git'))) {
    fs.mkdirSync(work, { recursive: true });
    fs.rmSync(dir, { recursive: true, force: true });
    git('worktree', 'prune');
    git('worktree', 'add', '--detach', dir, commit);
  } else if (execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim() !== commit)
    throw new Error(`${dir} is a worktree of another commit; remove it (git worktree remove --force ${dir})`);
  const modules = path.join(dir, 'node_modules');
  if (!fs.existsSync(modules)) fs.symlinkSync(path.join(REPO, 'node_modules'), modules, 'dir');
  const stamp = path.join(dir, 'dist', '.bench-load-built');
  if (!fs.existsSync(stamp)) {
    const started = performance.now();
    execFileSync(
      process.execPath,
      [path.join(modules, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: dir,
        stdio: 'inherit',
      },
    );
    fs.writeFileSync(stamp, commit);
    console.log(
      `  built the baseline ${short} in ${((performance.now() - started) / 1000).toFixed(0)} s (${dir})`,
    );
  }
  return { label: `baseline (${short})`, dir, commit: short };
}

/** Runs the tree's built CLI; shows its last progress line every 30 s while it runs long. */
export async function cli(tree: Tree, env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  const child = spawn(process.execPath, [path.join(tree.dir, 'bin', 'yidang.js'), ...args], {
    cwd: tree.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const timer = setInterval(() => {
    const last = stderr.trim().split(/\r|\n/).at(-1);
    if (last) console.log(`    yidang ${args[0]}: ${last}`);
  }, 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`yidang ${args.join(' ')} exited ${code}: ${stderr.slice(-1500)}`);
  return stdout;
}

export interface HomeMeta {
  items: number;
  token: string;
  madeBy: string;
  demoSeconds: number;
  reindexSeconds: number;
}

const BENCH_PASSWORD = 'Bench-Load-Passw0rd!';

/** Fills a home through the CLI: demo items, the search index built, a clerk of D001 with a token. */
export async function fillHome(tree: Tree, env: NodeJS.ProcessEnv, items: number): Promise<HomeMeta> {
  let started = performance.now();
  await cli(tree, env, ['demo', '--items', String(items)]);
  const demoSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  // The whole index before any server starts: the load measures searches, not the indexer catching up.
  await cli(tree, env, ['reindex']);
  const reindexSeconds = (performance.now() - started) / 1000;
  const asAdmin = { ...env, YIDANG_NEW_PASSWORD: BENCH_PASSWORD };
  await cli(tree, asAdmin, [
    'user',
    'add',
    'bench-clerk',
    '--role',
    'clerk',
    '--scope',
    'D001/*/*',
    '--name',
    '负载测试',
  ]);
  const token = (
    await cli(tree, env, [
      'token',
      'create',
      'bench-clerk',
      '--name',
      '负载基准',
      '--days',
      '366',
      '--permission',
      'item.read',
      '--permission',
      'item.create',
      '--permission',
      'file.add',
    ])
  ).trim();
  return { items, token, madeBy: tree.commit, demoSeconds, reindexSeconds };
}

const metaFile = (home: string) => path.join(home, 'bench-load.json');

export function readMeta(home: string, items: number): HomeMeta | undefined {
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile(home), 'utf8')) as HomeMeta;
    return meta.items === items ? meta : undefined;
  } catch {
    return undefined;
  }
}

export function writeMeta(home: string, meta: HomeMeta): void {
  fs.writeFileSync(metaFile(home), `${JSON.stringify(meta, null, 2)}\n`);
}

/** A copy with every file's mode and owner (cp -a): the cached home itself is never served. */
export function copyHome(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  execFileSync('cp', ['-a', from, to]);
}

export const databaseUrl = (adminUrl: string, name: string): string => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

export async function onAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface Server {
  url: string;
  pid: number;
  log: string;
  stop: () => Promise<void>;
}

/** `yidang serve` of `tree` on a free loopback port, as a user starts it; resolves once it listens. */
export async function startServer(tree: Tree, env: NodeJS.ProcessEnv, log: string): Promise<Server> {
  const out = fs.openSync(log, 'w');
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(tree.dir, 'bin', 'yidang.js'), 'serve', '--port', '0'],
    { cwd: tree.dir, env: { ...env, YIDANG_HOST: '127.0.0.1' }, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const stop = async () => {
    if (exited !== undefined) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    await gone;
    clearTimeout(timer);
  };
  // Opening a large embedded database (and migrating a baseline's home forward) takes a while.
  for (let waited = 0; waited < 20 * 60_000; waited += 200) {
    const text = fs.readFileSync(log, 'utf8');
    // The address from the server file it writes once listening, else from what it prints.
    const address = serverFileUrl(env.YIDANG_HOME, child.pid) ?? /http:\/\/127\.0\.0\.1:\d+/.exec(text)?.[0];
    if (address) return { url: address, pid: child.pid as number, log, stop };
    if (exited !== undefined)
      throw new Error(`server exited ${exited} before listening: ${text.slice(-1500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`server did not start within 20 minutes (log: ${log})`);
}

function serverFileUrl(home: string | undefined, pid: number | undefined): string | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(home ?? '', 'run', 'server.json'), 'utf8'));
    return info.pid === pid && typeof info.url === 'string' ? info.url : undefined;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (state) onwards; the command name in parentheses may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process with all its threads, its reaped children and its live descendants
 * (a worker pool of processes, if the server grows one): utime + stime (+ cutime + cstime).
 */
export function processCpuSeconds(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = Number(statFields(Number(entry))?.[1]);
    if (parent) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const ticks = (fields: string[] | undefined, reaped: boolean) =>
    fields
      ? Number(fields[11]) + Number(fields[12]) + (reaped ? Number(fields[13]) + Number(fields[14]) : 0)
      : 0;
  let total = ticks(statFields(pid), true);
  const pending = [...(children.get(pid) ?? [])];
  while (pending.length > 0) {
    const child = pending.pop() as number;
    total += ticks(statFields(child), false);
    pending.push(...(children.get(child) ?? []));
  }
  return total / CLOCK_TICKS;
}

/** The machine's busy and total CPU time (all cores) from /proc/stat, in seconds. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}
