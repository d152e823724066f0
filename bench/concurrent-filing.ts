import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { generateItemBatch } from '../src/modules/demo/items.js';
import { ingestArchive } from '../src/modules/push/push.service.js';
import { openSystem, type System } from '../src/system/system.js';
import { onBenchPostgres } from './postgres.js';
import { median } from './stats.js';

// Filing under concurrency on PostgreSQL (经办即归档, two directory replicas): 8 writers each pushing
// items with a 5 MB file against one writer doing the same (items/s and the ratio), and the p95 of a
// plain filing (no file) alone and while 8 writers push 50 MB files. Before events were appended
// last, the first event of a filing locked the log head and held it through the blob's fsync and
// rename on both replicas, so every writer waited on the slowest upload.
//
// BENCH_LABEL names the tree measured (the README compares the commit before with the one after).

const WRITERS = Number(process.env.BENCH_WRITERS ?? 8);
const SMALL_MB = Number(process.env.BENCH_FILE_MB ?? 5);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 50);
const ITEMS_ALONE = Number(process.env.BENCH_ITEMS_ALONE ?? 16);
const ITEMS_EACH = Number(process.env.BENCH_ITEMS_EACH ?? 6);
const PLAIN = Number(process.env.BENCH_PLAIN ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS_CONCURRENT ?? 3);
const LABEL = process.env.BENCH_LABEL ?? 'this tree';

// Services take an access context once the access work lands; before, an absent scope meant all.
const accessModule = await import('../src/shared/access-context.js').catch(() => undefined);
const access = accessModule?.systemContext?.('demo', 'bench');

// Text (hex), so identifying a file costs what it costs in production, not a PDF parser's search.
const random = Buffer.from(crypto.randomBytes((BIG_MB * 1024 * 1024) / 2).toString('hex'), 'latin1');
let serial = 0;

/** A distinct text file of `mb` MB: a fresh first line on shared bytes, so every blob is new. */
function content(mb: number): Buffer {
  const head = Buffer.from(`${crypto.randomUUID()}\n`, 'latin1');
  return Buffer.concat([head, random.subarray(0, mb * 1024 * 1024 - head.length)]);
}

async function push(system: System, writer: number, mb: number): Promise<number> {
  const index = serial++;
  const [item] = generateItemBatch(`w${writer}`, 'B001', '320115', index, 1);
  const started = performance.now();
  await ingestArchive(
    { db: system.database.db, store: system.store, scope: undefined, access } as Parameters<
      typeof ingestArchive
    >[0],
    {
      source: '基准系统',
      serial: `S${process.pid}-${index}`,
      item: { ...item, handledAt: new Date().toISOString() },
      files: mb > 0 ? [{ name: `scan-${index}.txt`, content: content(mb) }] : [],
    },
    'bench',
  );
  return performance.now() - started;
}

async function throughput(system: System, writers: number, each: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let n = 0; n < each; n++) await push(system, writer, SMALL_MB);
    }),
  );
  return (writers * each) / ((performance.now() - started) / 1000);
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] as number;
}

async function plainFilings(system: System): Promise<number[]> {
  const times: number[] = [];
  for (let n = 0; n < PLAIN; n++) times.push(await push(system, 99, 0));
  return times;
}

/** Plain filings while `WRITERS` writers push big files until the plain ones are done. */
async function plainDuringUploads(system: System): Promise<{ times: number[]; uploads: number }> {
  let done = false;
  let uploads = 0;
  const uploaders = Array.from({ length: WRITERS }, async (_, writer) => {
    while (!done) {
      await push(system, 100 + writer, BIG_MB);
      uploads++;
    }
  });
  // Let every uploader get into its first upload.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const times = await plainFilings(system);
  done = true;
  await Promise.all(uploaders);
  return { times, uploads };
}

async function measure(system: System): Promise<void> {
  await createFonds(system.database.db, { code: 'B001', name: '基准测试局', regionCode: '320115' });
  await throughput(system, 1, 2); // warm-up
  const one: number[] = [];
  const many: number[] = [];
  const alone: number[] = [];
  const during: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    one.push(await throughput(system, 1, ITEMS_ALONE));
    many.push(await throughput(system, WRITERS, ITEMS_EACH));
    alone.push(p95(await plainFilings(system)));
    const busy = await plainDuringUploads(system);
    during.push(p95(busy.times));
    // Each round as it ends: a slow tree (the log lock held through uploads) still leaves figures.
    console.log(
      `${LABEL.padEnd(12)} round ${round + 1}: 1 writer ${one[round]?.toFixed(2)} items/s, ${WRITERS} writers ` +
        `${many[round]?.toFixed(2)} items/s; plain p95 alone ${Math.round(alone[round] as number)} ms, during ` +
        `uploads ${Math.round(during[round] as number)} ms (${busy.uploads} uploads of ${BIG_MB} MB meanwhile)`,
    );
  }
  const rate1 = median(one);
  const rateN = median(many);
  const pAlone = median(alone);
  const pDuring = median(during);
  console.log(
    `${LABEL.padEnd(12)} ${WRITERS} writers ${rateN.toFixed(2)} items/s vs 1 writer ${rate1.toFixed(2)} items/s ` +
      `(${SMALL_MB} MB each, 2 replicas): ${(rateN / rate1).toFixed(2)}× | plain filing p95 ` +
      `${Math.round(pDuring)} ms during ${WRITERS} × ${BIG_MB} MB uploads vs ${Math.round(pAlone)} ms alone: ` +
      `${(pDuring / pAlone).toFixed(2)}× (medians of ${ROUNDS} rounds; ${os.cpus().length} cores)`,
  );
  console.log(
    `${''.padEnd(12)} rounds: 1 writer ${one.map((v) => v.toFixed(2)).join(' ')} | ${WRITERS} writers ` +
      `${many.map((v) => v.toFixed(2)).join(' ')} | p95 alone ${alone.map(Math.round).join(' ')} | ` +
      `p95 during ${during.map(Math.round).join(' ')}`,
  );
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-concurrent-'));
try {
  const ran = await onBenchPostgres('yidang_bench_concurrent', async (database) => {
    const system = await openSystem(
      loadConfig({ YIDANG_HOME: home, YIDANG_REPLICAS: 'r1=replica-1,r2=replica-2' }),
      { database, initialize: true },
    );
    try {
      await measure(system);
    } finally {
      // The database is onBenchPostgres's to close.
      await system.close().catch(() => {});
    }
  });
  if (!ran) console.log('concurrent filing: PostgreSQL not available (set DATABASE_URL), skipped');
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
