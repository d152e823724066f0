import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { eventsAfter } from '../src/modules/integrity/event.repo.js';
import { appendEvents, storedNodeFetcher } from '../src/modules/integrity/event-log.js';
import { inclusionProof, treeHasher } from '../src/modules/integrity/merkle.js';
import { ProblemList, verifyLog } from '../src/modules/integrity/verify-log.js';
import { initKeyring } from '../src/modules/storage/keyring.js';
import { median } from './stats.js';

// The event log on the embedded database: appends per second in batches (hash chain + Merkle tree
// + head update) against a plain INSERT of the same rows into a twin table; the time to verify the
// whole log against the time merely to read it; and inclusion-proof size against log2(n).

const BATCH = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const TOTAL = Number(process.env.BENCH_EVENTS ?? 1_000_000);

const event = (index: number) => ({
  actor: 'bench',
  action: 'item.created' as const,
  subject: `item:B001-JSLX-2024-D30-${String(index).padStart(7, '0')}`,
  payload: { version: 1, state: 'ab'.repeat(32) },
});

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-log-'));
const database = await openDatabase(loadConfig({ YIDANG_HOME: home }));
const db = database.db;
try {
  const keyring = initKeyring(home, {});
  await sql`create table bench_plain_event (like integrity_event including all)`.execute(db);
  let next = 0;
  const appendRates: number[] = [];
  const plainRates: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const inputs = Array.from({ length: BATCH }, () => event(next++));
    let started = performance.now();
    const appended = await db.transaction().execute((trx) => appendEvents(trx, inputs));
    const appendRate = BATCH / ((performance.now() - started) / 1000);
    // The baseline writes the very same rows (hashes included) without hashing, chaining,
    // tree nodes or the head lock: what the log costs over a plain table.
    const rows = appended.map((entry, index) => ({
      seq: entry.seq + 100_000_000,
      recorded_at: new Date().toISOString(),
      ...inputs[index],
      payload: JSON.stringify(inputs[index]?.payload),
      hash: entry.hash.toString('hex'),
    }));
    started = performance.now();
    await db.transaction().execute(async (trx) => {
      await sql`
        insert into bench_plain_event (seq, recorded_at, actor, action, subject, payload, hash)
        select seq, recorded_at, actor, action, subject, payload, decode(hash, 'hex')
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as r(seq bigint, recorded_at timestamptz, actor text, action text, subject text, payload text, hash text)`.execute(
        trx,
      );
    });
    const plainRate = BATCH / ((performance.now() - started) / 1000);
    if (round > 0) {
      appendRates.push(appendRate);
      plainRates.push(plainRate);
    }
  }
  const append = median(appendRates);
  const plain = median(plainRates);
  console.log(
    `append     ${Math.round(append).toString().padStart(6)} events/s | plain INSERT of the same rows ${Math.round(plain)} rows/s | ratio ${(append / plain).toFixed(2)} (median of ${ROUNDS} batches of ${BATCH}, PGlite)`,
  );

  let started = performance.now();
  while (next < TOTAL) {
    const size = Math.min(5000, TOTAL - next);
    const inputs = Array.from({ length: size }, () => event(next++));
    await db.transaction().execute((trx) => appendEvents(trx, inputs));
  }
  const growSeconds = (performance.now() - started) / 1000;
  console.log(
    `grow       ${TOTAL} events in ${growSeconds.toFixed(1)} s (${Math.round((TOTAL - (ROUNDS + 1) * BATCH) / growSeconds)} events/s in batches of 5000)`,
  );

  started = performance.now();
  let read = 0;
  for (let after = -1; ; ) {
    const batch = await eventsAfter(db, after, 10_000);
    if (batch.length === 0) break;
    read += batch.length;
    after = batch.at(-1)?.seq ?? after;
  }
  const readSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const problems = new ProblemList();
  const result = await verifyLog(db, keyring.signing, problems, () => {});
  const verifySeconds = (performance.now() - started) / 1000;
  console.log(
    `verify     ${result.events} events in ${verifySeconds.toFixed(1)} s (${problems.total} problems) | reading them alone ${readSeconds.toFixed(1)} s (${read} rows) | ratio ${(verifySeconds / readSeconds).toFixed(2)}`,
  );

  const hasher = treeHasher('sha256');
  const fetch = storedNodeFetcher(db);
  const sizes = [1_000, 10_000, 100_000, TOTAL].filter((size) => size <= TOTAL);
  const line: string[] = [];
  for (const size of sizes) {
    const times: number[] = [];
    let length = 0;
    for (let sample = 0; sample < 20; sample++) {
      const index = Math.floor((size * (sample + 0.5)) / 20);
      const t = performance.now();
      length = Math.max(length, (await inclusionProof(hasher, index, size, fetch)).length);
      times.push(performance.now() - t);
    }
    line.push(
      `n=${size}: ${length} hashes (log2 n = ${Math.log2(size).toFixed(1)}), ${median(times).toFixed(1)} ms`,
    );
  }
  console.log(`proofs     ${line.join(' | ')}`);
} finally {
  await database.close();
  fs.rmSync(home, { recursive: true, force: true });
}
