import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Database, Db } from '../src/db/database.js';
import { openMemoryDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrator.js';
import { listClues } from '../src/modules/fund/clue.service.js';
import { generateSettlements, type TruthEntry } from '../src/modules/fund/generate.js';
import { RULES } from '../src/modules/fund/rules/index.js';
import { executeRun, startRun } from '../src/modules/fund/run.service.js';
import { ensureLog } from '../src/modules/integrity/event-log.js';
import { systemContext } from '../src/shared/access-context.js';
import { useFieldKey } from '../src/shared/field-cipher.js';
import { onBenchPostgres } from './postgres.js';

// The twelve audit rules over generated settlements (src/modules/fund/generate.ts, with violations
// of every rule injected and their ground truth): each rule's run (its statement, evidence and clue
// rows) timed against one sequential scan of fund_settlement_line in the same run (aim ≤ 3×), the
// whole run (aim < 5 min on PostgreSQL at 1,000,000 settlements / ~10,000,000 lines), and each
// rule's precision and recall against the injected truth (aim recall 1.0, precision ≥ 0.99), every
// false positive printed. Sizes: BENCH_FUND_SETTLEMENTS (default 100,000 on PGlite, 200,000 on
// PostgreSQL); BENCH_FUND_ENGINE=pglite|postgres|both (default both; PostgreSQL needs DATABASE_URL
// or an installed server). The full sizes: BENCH_FUND_SETTLEMENTS=1000000 on PostgreSQL.

// The generator seals and blind-indexes synthetic ID numbers: a throwaway field key for the run.
useFieldKey(crypto.randomBytes(32));
const SYSTEM = systemContext('fixture', 'bench');
const ENGINE = process.env.BENCH_FUND_ENGINE ?? 'both';
const SEED = 2027;

const sizeFor = (engine: 'pglite' | 'postgres') =>
  Number(process.env.BENCH_FUND_SETTLEMENTS ?? (engine === 'pglite' ? 100_000 : 200_000));

async function scanMs(db: Db): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    await sql`select count(*), sum(amount) from fund_settlement_line`.execute(db);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[1] as number;
}

interface RuleScore {
  truth: number;
  found: number;
  clues: number;
  falsePositives: string[][];
  missed: string[][];
}

/** A clue matches an injected violation of its rule when one's serials contain the other's. */
function score(
  truth: TruthEntry[],
  clues: Array<{ rule: string; serials: string[] }>,
): Map<string, RuleScore> {
  const scores = new Map<string, RuleScore>();
  const covers = (a: string[], b: string[]) => b.every((serial) => a.includes(serial));
  for (const rule of RULES) {
    const expected = truth.filter((entry) => entry.rule === rule.code).map((entry) => entry.serials);
    const got = clues.filter((clue) => clue.rule === rule.code).map((clue) => clue.serials);
    const matches = (a: string[], b: string[]) => covers(a, b) || covers(b, a);
    scores.set(rule.code, {
      truth: expected.length,
      found: expected.filter((serials) => got.some((clue) => matches(clue, serials))).length,
      clues: got.length,
      falsePositives: got.filter((clue) => !expected.some((serials) => matches(clue, serials))),
      missed: expected.filter((serials) => !got.some((clue) => matches(clue, serials))),
    });
  }
  return scores;
}

async function bench(engine: 'pglite' | 'postgres', database: Database): Promise<void> {
  const { db } = database;
  const count = sizeFor(engine);
  await ensureLog(db, { algorithm: 'sha256' });
  const generated = await generateSettlements(db, SYSTEM, { count, seed: SEED });
  await sql`analyze`.execute(db);
  console.log(
    `\n[${engine}] ${generated.settlements.toLocaleString()} settlements, ${generated.lines.toLocaleString()} lines, ${generated.persons.toLocaleString()} people generated in ${generated.seconds.toFixed(0)} s; ${generated.truth.length} violations injected`,
  );
  const scan = await scanMs(db);
  console.log(`  baseline: one sequential scan of fund_settlement_line (count, sum) ${scan.toFixed(0)} ms`);
  const run = await startRun(db, SYSTEM, { from: generated.from, to: generated.to }, { background: false });
  const started = performance.now();
  const done = await executeRun(db, run.id, 'bench');
  const total = (performance.now() - started) / 1000;
  const clues: Array<{ rule: string; serials: string[] }> = [];
  for (let cursor: string | null | undefined; cursor !== null; ) {
    const page = await listClues(db, SYSTEM, { runId: run.id, limit: 500, ...(cursor ? { cursor } : {}) });
    clues.push(...page.clues.map((clue) => ({ rule: clue.rule, serials: clue.serials })));
    cursor = page.next;
  }
  const scores = score(generated.truth, clues);
  console.log(
    `  ${'rule'.padEnd(18)} ${'ms'.padStart(8)} ${'× scan'.padStart(7)} ${'clues'.padStart(6)} ${'truth'.padStart(6)} ${'recall'.padStart(7)} ${'precision'.padStart(9)}`,
  );
  const order = RULES.map((rule) => rule.code);
  const ordered = [...done.rules].sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
  for (const rule of ordered) {
    const s = scores.get(rule.code) as RuleScore;
    const recall = s.truth === 0 ? 1 : s.found / s.truth;
    const precision = s.clues === 0 ? 1 : (s.clues - s.falsePositives.length) / s.clues;
    console.log(
      `  ${rule.code.padEnd(18)} ${String(rule.ms).padStart(8)} ${((rule.ms ?? 0) / scan).toFixed(2).padStart(7)} ${String(s.clues).padStart(6)} ${String(s.truth).padStart(6)} ${recall.toFixed(3).padStart(7)} ${precision.toFixed(3).padStart(9)}`,
    );
    for (const serials of s.falsePositives.slice(0, 5))
      console.log(`      false positive: ${serials.join(' ')}`);
    for (const serials of s.missed.slice(0, 5)) console.log(`      missed: ${serials.join(' ')}`);
  }
  console.log(`  all twelve rules: ${total.toFixed(1)} s (${done.clues} clues)`);
}

if (ENGINE === 'pglite' || ENGINE === 'both') {
  const database = await openMemoryDatabase();
  try {
    await migrateToLatest(database.db);
    await bench('pglite', database);
  } finally {
    await database.close();
  }
}
if (ENGINE === 'postgres' || ENGINE === 'both') {
  const ran = await onBenchPostgres('yidang_bench_fund_rules', (database) => bench('postgres', database));
  if (!ran) console.log('\n[postgres] no server (set DATABASE_URL or install PostgreSQL): skipped');
}
