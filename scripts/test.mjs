#!/usr/bin/env node
// `npm test`: the whole suite in lanes, each run once where running it twice proves nothing.
//   unit     tests that never open a database                       (once)
//   pglite   database-backed tests on the embedded PGlite
//   postgres the same tests on the PostgreSQL server of DATABASE_URL (only when it is set), but for
//            the few a `// test-engine:` line gives one engine (see engineOf below)
//   browser  the console in Chromium                                 (once, on PGlite)
// Each lane's time is printed; the last line counts every lane's tests. Extra arguments (file filters,
// `-t name`) go to every lane. `--lanes unit,pglite` runs some lanes only. With DATABASE_URL set the
// unit, postgres and browser lanes run one after another beside the pglite lane (`--serial`: all in turn).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);

const args = process.argv.slice(2);
let only = null;
const laneFlag = args.indexOf('--lanes');
if (laneFlag >= 0) {
  only = new Set(args[laneFlag + 1].split(','));
  args.splice(laneFlag, 2);
}
const serialFlag = args.indexOf('--serial');
if (serialFlag >= 0) args.splice(serialFlag, 1);
// Positional arguments narrow the files (by substring, as vitest does); the rest are vitest options.
const filters = [];
const options = [];
for (let i = 0; i < args.length; i++) {
  if (['-t', '--testNamePattern'].includes(args[i])) options.push(args[i], args[++i]);
  else if (args[i].startsWith('-')) options.push(args[i]);
  else filters.push(args[i]);
}

function testFiles(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFiles(full));
    else if (entry.name.endsWith('.test.ts')) found.push(path.relative(root, full));
  }
  return found;
}

// A file belongs to the database lanes if it or anything it imports from this repository opens a
// database, runs the CLI, or reads DATABASE_URL.
const DATABASE_MARKERS = ['src/db/database.ts', 'test/helpers/cli.ts'];
const importsOf = new Map();
function localImports(file) {
  if (importsOf.has(file)) return importsOf.get(file);
  const text = fs.readFileSync(file, 'utf8');
  const found = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = path.relative(root, path.resolve(path.dirname(file), match[1])).replace(/\.js$/, '.ts');
    if (fs.existsSync(target)) found.push(target);
  }
  importsOf.set(file, { text, found });
  return importsOf.get(file);
}
function usesDatabase(file, seen = new Set()) {
  if (seen.has(file)) return false;
  seen.add(file);
  if (DATABASE_MARKERS.includes(file)) return true;
  const { text, found } = localImports(file);
  if (text.includes('DATABASE_URL')) return true;
  return found.some((next) => usesDatabase(next, seen));
}

const all = [...testFiles('src'), ...testFiles('test')]
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
const browser = all.filter((file) => file.startsWith('test/web/') && file.endsWith('.e2e.test.ts'));
const rest = all.filter((file) => !browser.includes(file));
const database = rest.filter((file) => usesDatabase(file));
const unit = rest.filter((file) => !database.includes(file));

// A database file may say near its top which engines prove something with it:
//   // test-engine: embedded   it opens PGlite whatever DATABASE_URL says: the PGlite lane only;
//   // test-engine: either     the engine only stores what the layer under test (the CLI's words,
//                              exit codes, masking; the HTTP routes, schemas and access checks) reads
//                              and writes, and the services below it are tested on both: run once
//                              (which lane: onceOnPostgres below; `either (postgres)` or
//                              `either (pglite)` chooses one).
// Without a line the file runs on both engines.
function engineOf(file) {
  const head = fs.readFileSync(file, 'utf8').slice(0, 2000);
  return /^\/\/ test-engine: (embedded|either)\b/m.exec(head)?.[1] ?? 'both';
}
/** `// test-engine: either (postgres)` or `(pglite)` names the lane an `either` file prefers. */
function preferredLane(file) {
  return /^\/\/ test-engine: either \((postgres|pglite)\)/m.exec(
    fs.readFileSync(file, 'utf8').slice(0, 2000),
  )?.[1];
}
// An `either` file runs once. CLI-layer files (test/helpers/cli.ts) go to PostgreSQL when it is there:
// each command they run opens the embedded database anew. The rest (the HTTP layer) go to PGlite, the
// engine users start on, which also evens out the two chains of lanes below.
function usesCli(file, seen = new Set()) {
  if (seen.has(file)) return false;
  seen.add(file);
  if (file === 'test/helpers/cli.ts') return true;
  return localImports(file).found.some((next) => usesCli(next, seen));
}
const postgresUrl = process.env.DATABASE_URL;
const postgresLane = Boolean(postgresUrl) && (!only || only.has('postgres'));
const pgliteLane = !only || only.has('pglite');
const onceOnPostgres = (file) =>
  engineOf(file) === 'either' &&
  (!pgliteLane || (preferredLane(file) ?? (usesCli(file) ? 'postgres' : 'pglite')) === 'postgres');
const onPglite = database.filter((file) => !(postgresLane && onceOnPostgres(file)));
const onPostgres = database.filter((file) => engineOf(file) === 'both' || onceOnPostgres(file));

function withoutDatabase(env) {
  const copy = { ...env };
  delete copy.DATABASE_URL;
  return copy;
}
// The unit lane makes no template database; the browser lane takes the PGlite lane's (global-setup.ts).
const lanes = [
  { name: 'unit', files: unit, env: { ...withoutDatabase(process.env), YIDANG_TEST_TEMPLATE: 'none' } },
  { name: 'pglite', files: onPglite, env: withoutDatabase(process.env) },
  ...(postgresUrl
    ? [{ name: 'postgres', files: onPostgres, env: { ...process.env, DATABASE_URL: postgresUrl } }]
    : []),
  { name: 'browser', files: browser, env: withoutDatabase(process.env) },
].filter((lane) => (!only || only.has(lane.name)) && lane.files.length > 0);
const tagOf = (name) => `${process.env.YIDANG_TEST_TAG ?? ''}${name}`;
const browserLane = lanes.find((lane) => lane.name === 'browser');
if (browserLane && lanes.some((lane) => lane.name === 'pglite')) {
  browserLane.tag = tagOf('pglite');
  browserLane.env.YIDANG_TEST_TEMPLATE = 'reuse';
  // Never an older run's dump: the PGlite lane writes a new one first thing (as global-setup.ts names it).
  const safeTag = browserLane.tag.replace(/[^a-z0-9]/gi, '').toLowerCase();
  if (!options.includes('--list'))
    fs.rmSync(path.join(root, '.tmp', `test-template-${safeTag}.tar`), { force: true });
}

if (options.includes('--list')) {
  for (const lane of lanes) console.log(`${lane.name}: ${lane.files.join(' ')}\n`);
  process.exit(0);
}

function step(label, command, commandArgs, env = process.env) {
  const started = Date.now();
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', env });
  return { label, ok: result.status === 0, seconds: (Date.now() - started) / 1000 };
}

/** Runs a command, its output to the terminal or into a file; resolves when it exits. */
function stepAsync(label, command, commandArgs, env, logFile) {
  const started = Date.now();
  const out = logFile ? fs.openSync(logFile, 'w') : 'inherit';
  const child = spawn(command, commandArgs, { stdio: logFile ? ['ignore', out, out] : 'inherit', env });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      if (logFile) fs.closeSync(out);
      resolve({ label, ok: code === 0, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const build = step('build', 'npm', ['run', 'build']);
if (!build.ok) process.exit(1);

const reportDir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'yidang-test-'));

async function runLane(lane, logFile) {
  const heading = `\n== lane ${lane.name}: ${lane.files.length} files${lane.name === 'postgres' ? ' on PostgreSQL' : ''}`;
  if (!logFile) console.log(heading);
  const report = path.join(reportDir, `${lane.name}.json`);
  const outcome = await stepAsync(
    lane.name,
    'npx',
    [
      'vitest',
      'run',
      '--passWithNoTests',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...lane.files,
      ...options,
    ],
    { ...lane.env, YIDANG_TEST_TAG: lane.tag ?? tagOf(lane.name) },
    logFile,
  );
  if (logFile) {
    // A lane run beside the live one prints its whole output once it is done, not interleaved.
    console.log(`${heading} (ran beside the PGlite lane; its output as written)`);
    process.stdout.write(fs.readFileSync(logFile));
  }
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  if (fs.existsSync(report)) {
    const summary = JSON.parse(fs.readFileSync(report, 'utf8'));
    passed = summary.numPassedTests;
    failed = summary.numFailedTests;
    skipped = summary.numPendingTests + summary.numTodoTests;
    for (const file of summary.testResults ?? []) {
      const name = path.relative(root, file.name);
      const tests = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
      for (const test of tests) failures.push(`${name} > ${test.fullName}`);
      // A file that failed to load has no failed test of its own.
      if (tests.length === 0 && file.status === 'failed')
        failures.push(`${name} (${file.message || 'failed'})`);
    }
  }
  return { ...outcome, passed, failed, skipped, failures };
}

async function runInOrder(group, logged) {
  const done = [];
  for (const lane of group) {
    if (lane.name === 'browser' && lanes.some((other) => other.name === 'pglite'))
      await templateWritten(lane);
    done.push(await runLane(lane, logged ? path.join(reportDir, `${lane.name}.log`) : undefined));
  }
  return done;
}

/** The browser lane reuses the PGlite lane's template: wait until that lane has written it (atomically). */
async function templateWritten(lane) {
  const safeTag = lane.tag.replace(/[^a-z0-9]/gi, '').toLowerCase();
  const dump = path.join(root, '.tmp', `test-template-${safeTag}.tar`);
  const until = Date.now() + 10 * 60_000;
  while (!fs.existsSync(dump) && Date.now() < until) await new Promise((done) => setTimeout(done, 1000));
}

// Two chains run beside each other: the PGlite lane, the longest, with its output live; the unit,
// PostgreSQL and browser lanes one after another (the browser lane waits for the PGlite lane's
// template), their output into files printed whole when each ends. Alone, the PGlite lane had one test
// file or none running for 372 of its 671 s (servers starting, databases opened, child processes
// awaited): the other chain uses that time. Measured 2026-12-07: pglite 1,001 s against unit 34 +
// postgres 611 + browser 336 s. `--serial` runs every lane in turn, all live.
const serial = serialFlag >= 0 || !lanes.some((lane) => lane.name === 'postgres');
const besideNames = ['unit', 'postgres', 'browser'];
const beside =
  serial || !lanes.some((lane) => lane.name === 'pglite')
    ? []
    : lanes.filter((lane) => besideNames.includes(lane.name));
const live = lanes.filter((lane) => !beside.includes(lane));
const [liveResults, besideResults] = await Promise.all([runInOrder(live, false), runInOrder(beside, true)]);
const results = lanes.map((lane) =>
  [...liveResults, ...besideResults].find((result) => result.label === lane.name),
);

console.log(`\n== lanes (build ${build.seconds.toFixed(0)} s)`);
for (const lane of results)
  console.log(
    `  ${lane.label.padEnd(9)} ${lane.seconds.toFixed(0).padStart(5)} s  ${lane.passed} passed, ${lane.failed} failed${lane.skipped ? `, ${lane.skipped} skipped` : ''}${lane.ok ? '' : '  ← FAILED'}`,
  );
// The failures again at the end, where a log cut to its last lines still shows them.
for (const lane of results)
  for (const failure of lane.failures.slice(0, 20))
    console.log(`  ✗ ${lane.label}: ${failure.split('\n')[0].slice(0, 300)}`);
const total = (key) => results.reduce((sum, lane) => sum + lane[key], 0);
console.log(`${total('passed')} passed, ${total('failed')} failed`);
process.exit(results.every((lane) => lane.ok) ? 0 : 1);
