import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpClient, KINDS, type KindFigures, type LoadFigures, runLoad } from './load-client.js';
import { Attachments, MIX, Mix, sampleTerms, type Terms } from './load-mix.js';
import {
  baselineTree,
  copyHome,
  currentTree,
  databaseUrl,
  fillHome,
  type HomeMeta,
  machineCpuSeconds,
  onAdmin,
  processCpuSeconds,
  readMeta,
  startServer,
  type Tree,
  writeMeta,
} from './load-server.js';

// A county bureau's clerks at once (issue 23): closed-loop clients doing 60% searches, 25% filings
// with a small file and 15% listings against `yidang serve` started as a user starts it, on a
// demo home of BENCH_LOAD_ITEMS items (PGlite, then PostgreSQL), at 1, 20 and 50 clients; per kind
// requests/s and p50/p95/p99, the server's CPU, and the same load on the baseline commit's server
// over its own copy of the same home, measured in the same run.

const env = process.env;
const ITEMS = Number(env.BENCH_LOAD_ITEMS ?? 1_000_000);
const PG_ITEMS = Number(env.BENCH_LOAD_PG_ITEMS ?? ITEMS);
const SECONDS = Number(env.BENCH_LOAD_SECONDS ?? 30);
const WARMUP = Number(env.BENCH_LOAD_WARMUP ?? 10);
/** Seconds each client count runs before its window opens, so the window sees a steady state. */
const SETTLE = Number(env.BENCH_LOAD_SETTLE ?? 5);
const CLIENTS = (env.BENCH_LOAD_CLIENTS ?? '1,20,50').split(',').map(Number);
const WORK = env.BENCH_LOAD_DIR ?? path.join(os.tmpdir(), 'bench-load');
const sizeLabel = (n: number) =>
  n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n % 1000 === 0 ? `${n / 1000}k` : String(n);
const HOME = env.BENCH_LOAD_HOME ?? path.join(WORK, `home-${sizeLabel(ITEMS)}`);
const BASELINE_REF = env.BENCH_LOAD_BASELINE_REF ?? 'd52108f';
const SEED = Number(env.BENCH_LOAD_SEED ?? 1);
const PGLITE = env.BENCH_LOAD_PGLITE !== '0';
const POSTGRES = env.BENCH_LOAD_POSTGRES !== '0';
/** Make the homes (and build the baseline) only: the slow part, done once before a quiet hour. */
const PREPARE_ONLY = env.BENCH_LOAD_PREPARE_ONLY === '1';
const ADMIN_URL = env.DATABASE_URL;
const AIM = { ratio: 1.6, pgliteSearchP95: 300, pgliteFilingP95: 500, postgresSearchP95: 200 };

type Engine = 'PGlite' | 'PostgreSQL';

interface Level {
  figures: LoadFigures;
  /** Percent of one core: the server process with its threads (and any child processes). */
  serverCpu: number;
  benchCpu: number;
  /** Percent of all cores, whatever ran on them. */
  machineBusy: number;
  load: [number, number];
  /** Percent of searches that found nothing. */
  emptySearches: number;
}

interface ServerRun {
  engine: Engine;
  tree: Tree;
  items: number;
  startSeconds: number;
  levels: Level[];
}

const load1 = () => os.loadavg()[0] as number;
const loadavg = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
fs.mkdirSync(WORK, { recursive: true });
const baseEnv: NodeJS.ProcessEnv = { ...env };
delete baseEnv.DATABASE_URL;

console.log(
  `  load average at start ${loadavg()} (${os.cpus().length} cores); ${SECONDS} s per level (after ${SETTLE} s to settle; ${WARMUP} s of warm-up first), ` +
    `clients ${CLIENTS.join(' / ')}; mix ${KINDS.map((kind) => `${MIX[kind]}% ${kind}`).join(', ')}`,
);
const current = currentTree();
const trees =
  BASELINE_REF && BASELINE_REF !== 'none' ? [baselineTree(BASELINE_REF, WORK), current] : [current];
// The home is made by the oldest code measured, so each newer tree migrates its own copy forward.
const maker = trees[0] as Tree;
const attachments = await Attachments.make();
console.log(
  `  attachments: PDF ${attachments.sizes.pdf} bytes, JPEG ${attachments.sizes.jpeg} bytes, each made distinct`,
);
const runs: ServerRun[] = [];

async function waitForIndex(transport: HttpClient): Promise<number> {
  const started = performance.now();
  for (;;) {
    const reply = await transport.request('GET', `/api/v1/search?q=${encodeURIComponent('门诊')}`);
    if (reply.status !== 200)
      throw new Error(`probe search ${reply.status}: ${reply.body.toString('utf8', 0, 300)}`);
    const { indexPending } = JSON.parse(reply.body.toString('utf8')) as { indexPending: number };
    if (indexPending === 0) return (performance.now() - started) / 1000;
    if (performance.now() - started > 30 * 60_000)
      throw new Error(`index still ${indexPending} events behind`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function measure(
  engine: Engine,
  tree: Tree,
  meta: HomeMeta,
  serverEnv: NodeJS.ProcessEnv,
  terms: Terms,
) {
  console.log(`\n  ${engine}, ${tree.label}: load average ${loadavg()}`);
  const started = performance.now();
  const server = await startServer(tree, serverEnv, path.join(WORK, `server-${engine}-${tree.commit}.log`));
  const startSeconds = (performance.now() - started) / 1000;
  const transport = new HttpClient(server.url, meta.token);
  const run: ServerRun = { engine, tree, items: meta.items, startSeconds, levels: [] };
  try {
    const indexWait = await waitForIndex(transport);
    console.log(
      `    server ${server.url} (pid ${server.pid}) listening after ${startSeconds.toFixed(1)} s; index caught up ${indexWait.toFixed(1)} s later`,
    );
    const mix = new Mix(transport, terms, attachments, SEED);
    if (WARMUP > 0) await runLoad(Math.min(20, Math.max(...CLIENTS)), WARMUP, mix.next, transport);
    for (const clients of CLIENTS) {
      // CPU counters read when the window opens and closes, so they cover what is measured.
      const read = () => ({
        at: performance.now(),
        server: processCpuSeconds(server.pid),
        machine: machineCpuSeconds(),
        bench: process.cpuUsage(),
        load: load1(),
      });
      let open = read();
      let close = open;
      mix.takeSearchCounts();
      const figures = await runLoad(clients, SECONDS, mix.next, transport, {
        settle: SETTLE,
        onWindow: (edge) => {
          if (edge === 'open') open = read();
          else close = read();
        },
      });
      const searches = mix.takeSearchCounts();
      const wall = (close.at - open.at) / 1000;
      const bench = (close.bench.user + close.bench.system - open.bench.user - open.bench.system) / 1e6;
      const level: Level = {
        figures,
        serverCpu: ((close.server - open.server) / wall) * 100,
        benchCpu: (bench / wall) * 100,
        machineBusy:
          ((close.machine.busy - open.machine.busy) / (close.machine.total - open.machine.total)) * 100,
        load: [open.load, close.load],
        emptySearches: searches.done > 0 ? (searches.empty / searches.done) * 100 : 0,
      };
      run.levels.push(level);
      console.log(
        `    ${String(clients).padStart(2)} clients: ${figures.total.perSecond.toFixed(1)} req/s (${figures.total.httpPerSecond.toFixed(1)} HTTP calls/s), ` +
          `p95 ${figures.total.p95.toFixed(0)} ms, ${figures.total.errors} errors; server CPU ${level.serverCpu.toFixed(0)}% of one core; load ${level.load.map((v) => v.toFixed(2)).join(' → ')}`,
      );
    }
  } finally {
    transport.close();
    await server.stop();
  }
  console.log(`    load average at end ${loadavg()} (server log ${server.log})`);
  runs.push(run);
}

async function onPglite(terms: Terms): Promise<void> {
  let meta = readMeta(HOME, ITEMS);
  if (!meta) {
    console.log(`  making the PGlite home ${HOME} with ${ITEMS} demo items (${maker.label}) …`);
    fs.rmSync(HOME, { recursive: true, force: true });
    fs.mkdirSync(HOME, { recursive: true, mode: 0o700 });
    meta = await fillHome(maker, { ...baseEnv, YIDANG_HOME: HOME }, ITEMS);
    writeMeta(HOME, meta);
    console.log(`    demo ${meta.demoSeconds.toFixed(0)} s, reindex ${meta.reindexSeconds.toFixed(0)} s`);
  }
  console.log(`  PGlite home ${HOME}: ${meta.items} items, made by ${meta.madeBy}`);
  for (const tree of PREPARE_ONLY ? [] : trees) {
    const copy = path.join(WORK, 'run-pglite');
    const started = performance.now();
    copyHome(HOME, copy);
    console.log(`  fresh copy for ${tree.label} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    try {
      await measure('PGlite', tree, meta, { ...baseEnv, YIDANG_HOME: copy }, terms);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }
}

async function onPostgres(adminUrl: string, terms: Terms): Promise<void> {
  const template = `yidang_bench_load_${sizeLabel(PG_ITEMS)}`;
  const home = path.join(WORK, `pg-home-${sizeLabel(PG_ITEMS)}`);
  const exists = await onAdmin(adminUrl, async (admin) => {
    return (
      ((await admin.query('select 1 from pg_database where datname = $1', [template])).rowCount ?? 0) > 0
    );
  });
  let meta = exists ? readMeta(home, PG_ITEMS) : undefined;
  if (!meta) {
    console.log(
      `  making the PostgreSQL database ${template} with ${PG_ITEMS} demo items (${maker.label}) …`,
    );
    await onAdmin(adminUrl, async (admin) => {
      await admin.query(`drop database if exists ${template} with (force)`);
      await admin.query(`create database ${template}`);
    });
    fs.rmSync(home, { recursive: true, force: true });
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    meta = await fillHome(
      maker,
      { ...baseEnv, YIDANG_HOME: home, DATABASE_URL: databaseUrl(adminUrl, template) },
      PG_ITEMS,
    );
    writeMeta(home, meta);
    console.log(`    demo ${meta.demoSeconds.toFixed(0)} s, reindex ${meta.reindexSeconds.toFixed(0)} s`);
  }
  console.log(
    `  PostgreSQL database ${template} (keys in ${home}): ${meta.items} items, made by ${meta.madeBy}`,
  );
  const runDb = 'yidang_bench_load_run';
  for (const tree of PREPARE_ONLY ? [] : trees) {
    const copy = path.join(WORK, 'run-postgres');
    // A fresh copy of the database (its template) and of the home with its keys, for every server.
    await onAdmin(adminUrl, async (admin) => {
      await admin.query(`drop database if exists ${runDb} with (force)`);
      await admin.query(`create database ${runDb} template ${template}`);
    });
    copyHome(home, copy);
    try {
      await measure(
        'PostgreSQL',
        tree,
        meta,
        { ...baseEnv, YIDANG_HOME: copy, DATABASE_URL: databaseUrl(adminUrl, runDb) },
        terms,
      );
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
      await onAdmin(adminUrl, (admin) => admin.query(`drop database if exists ${runDb} with (force)`));
    }
  }
}

const ms = (value: number) => (Number.isNaN(value) ? '–' : value.toFixed(0));

function row(label: string, kind: string, figures: KindFigures): string {
  return (
    `  ${label.padEnd(44)} ${kind.padEnd(8)} ${figures.perSecond.toFixed(1).padStart(7)} ${ms(figures.p50).padStart(7)} ` +
    `${ms(figures.p95).padStart(7)} ${ms(figures.p99).padStart(7)} ${String(figures.errors).padStart(7)}`
  );
}

function report(): void {
  for (const engine of ['PGlite', 'PostgreSQL'] as const) {
    const measured = runs.filter((run) => run.engine === engine);
    if (measured.length === 0) continue;
    CLIENTS.forEach((clients, index) => {
      console.log(
        `\n  ${engine}, ${measured[0]?.items} items, ${clients} client${clients === 1 ? '' : 's'}, ${SECONDS} s ` +
          '(a filing is two calls: the item, then its file; times in ms)',
      );
      console.log(
        `  ${'server'.padEnd(44)} ${'kind'.padEnd(8)} ${'req/s'.padStart(7)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)} ${'errors'.padStart(7)}`,
      );
      for (const run of measured) {
        const level = run.levels[index];
        if (!level) continue;
        for (const kind of KINDS) console.log(row(run.tree.label, kind, level.figures.kinds[kind]));
        console.log(row(run.tree.label, 'all', level.figures.total));
        console.log(
          `  ${''.padEnd(44)} server CPU ${level.serverCpu.toFixed(0)}% of one core, load generator ${level.benchCpu.toFixed(0)}%, ` +
            `machine ${level.machineBusy.toFixed(0)}% busy (all ${os.cpus().length} cores); ` +
            `${level.emptySearches.toFixed(0)}% of searches found nothing; load ${level.load.map((v) => v.toFixed(2)).join(' → ')}`,
        );
        for (const kind of KINDS)
          for (const problem of level.figures.kinds[kind].problems)
            console.log(`  ${''.padEnd(44)} ${kind} error: ${problem}`);
      }
      const [before, after] = measured.map((run) => run.levels[index]);
      if (measured.length === 2 && before && after)
        console.log(
          `  ${'ratio this / baseline'.padEnd(44)} req/s ${(after.figures.total.perSecond / before.figures.total.perSecond).toFixed(2)}×, ` +
            KINDS.map(
              (kind) =>
                `${kind} p95 ${(after.figures.kinds[kind].p95 / before.figures.kinds[kind].p95).toFixed(2)}×`,
            ).join(', '),
        );
    });
  }
}

function aims(): boolean {
  const level = (engine: Engine, tree: Tree | undefined, clients: number) =>
    runs.find((run) => run.engine === engine && run.tree === tree)?.levels[CLIENTS.indexOf(clients)];
  const baseline = trees.length === 2 ? trees[0] : undefined;
  const now20 = level('PGlite', current, 20);
  const then20 = level('PGlite', baseline, 20);
  const pg50 = level('PostgreSQL', current, 50);
  const verdict = (met: boolean | undefined) =>
    met === undefined ? 'not measured' : met ? 'met' : 'NOT met';
  const lines: [string, boolean | undefined][] = [
    [
      `PGlite, 20 clients: throughput ≥ ${AIM.ratio}× the baseline's — ${now20?.figures.total.perSecond.toFixed(1) ?? '–'} vs ${then20?.figures.total.perSecond.toFixed(1) ?? '–'} req/s` +
        (now20 && then20
          ? ` (${(now20.figures.total.perSecond / then20.figures.total.perSecond).toFixed(2)}×)`
          : ''),
      now20 && then20
        ? now20.figures.total.perSecond >= AIM.ratio * then20.figures.total.perSecond
        : undefined,
    ],
    [
      `PGlite, 20 clients: search p95 < ${AIM.pgliteSearchP95} ms — ${ms(now20?.figures.kinds.search.p95 ?? Number.NaN)} ms`,
      now20 ? now20.figures.kinds.search.p95 < AIM.pgliteSearchP95 : undefined,
    ],
    [
      `PGlite, 20 clients: filing p95 < ${AIM.pgliteFilingP95} ms — ${ms(now20?.figures.kinds.filing.p95 ?? Number.NaN)} ms`,
      now20 ? now20.figures.kinds.filing.p95 < AIM.pgliteFilingP95 : undefined,
    ],
    [
      `PostgreSQL, 50 clients: search p95 < ${AIM.postgresSearchP95} ms — ${ms(pg50?.figures.kinds.search.p95 ?? Number.NaN)} ms`,
      pg50 ? pg50.figures.kinds.search.p95 < AIM.postgresSearchP95 : undefined,
    ],
  ];
  console.log('\n  Aims (this checkout):');
  for (const [text, met] of lines) console.log(`    ${text}: ${verdict(met)}`);
  const errors = runs.reduce(
    (sum, run) => sum + run.levels.reduce((s, l) => s + l.figures.total.errors, 0),
    0,
  );
  console.log(
    errors === 0
      ? '    every response 2xx'
      : `    THIS RUN HAD ${errors} FAILED OPERATIONS (see the errors above): figures not valid`,
  );
  return errors === 0;
}

try {
  if (PGLITE) await onPglite(sampleTerms(ITEMS));
  if (POSTGRES && ADMIN_URL) await onPostgres(ADMIN_URL, sampleTerms(PG_ITEMS));
  else if (POSTGRES) console.log('  PostgreSQL: skipped (set DATABASE_URL, e.g. source /tmp/pg/env.sh)');
} finally {
  if (PREPARE_ONLY)
    console.log(`  homes ready (BENCH_LOAD_PREPARE_ONLY=1: nothing measured); load average ${loadavg()}`);
  else {
    report();
    const clean = aims();
    const file = path.join(WORK, `result-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const figures = { items: ITEMS, pgItems: PG_ITEMS, seconds: SECONDS, clients: CLIENTS, runs };
    fs.writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`  load average at end ${loadavg()}; figures as JSON in ${file}`);
    if (!clean) process.exitCode = 1;
  }
}
