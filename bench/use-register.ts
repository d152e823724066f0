import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { systemContext } from '../src/shared/access-context.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { readEventsAfter } from '../src/modules/integrity/event.queries.js';
import { catchUpUses } from '../src/modules/use/use.follower.js';
import { listUses } from '../src/modules/use/use.service.js';
import { useStats } from '../src/modules/use/use.stats.js';
import { openSystem } from '../src/system/system.js';
import { median } from './stats.js';

// The 利用登记簿's follower on the embedded database: a log of EVENTS events of which one in ten is a
// use (a hand-over of two items, a reading or a copy, with their requests), taken in from the first
// event; beside it, in the same run, the bare walk of the same log in the same batches (seq, action,
// subject only: the floor under any follower). Then a page of the register and the statistics over
// every row, p50/p95 of ROUNDS runs each.
//
// Run: npx tsx bench/use-register.ts   (EVENTS=… ROUNDS=…)

const EVENTS = Number(process.env.EVENTS ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const ITEMS = 1000;
const SYSTEM = systemContext('fixture', 'bench');

const ms = (from: number) => performance.now() - from;
const p95 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(0.95 * values.length)] as number;

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-use-'));
const system = await openSystem(loadConfig({ YIDANG_HOME: home }, home), { initialize: true });
const db = system.database.db;
try {
  await createFonds(db, { code: 'J013', name: '南京市江宁区医疗保障局', regionCode: '320115' }, 'bench');
  const filed = await fileItems(
    db,
    Array.from({ length: ITEMS }, (_, n) => ({
      fonds: 'J013',
      category: 'JSLX',
      org: 'JSK',
      title: `个人零星医疗费用报销审核表 ${n}`,
      responsible: '南京市江宁区医疗保障局',
      date: '2024-03-15',
      poolingRegion: '320115',
      name: '王建国',
      idNumber: '320115198503121236',
      amount: '100.5',
      extra: { hospital: '江宁医院' },
    })),
    'bench',
    { access: SYSTEM },
  );
  const codes = filed.map((item) => item.archiveCode);
  const base = Number(
    (await sql<{ n: string }>`select count(*) as n from integrity_event`.execute(db)).rows[0]?.n,
  );
  // Event g (after the filing's): every 10th a use or its request, the rest other work. Written in
  // bulk with SQL (hashes are not what is measured; the follower reads what is stored).
  await sql`
    insert into integrity_event (seq, recorded_at, actor, action, subject, payload, hash, subtrees)
    select ${base} + g,
      timestamptz '2026-01-01 00:00:00+08' + g * interval '60 seconds',
      'clerk' || (g % 50),
      case when g % 40 = 0 then 'loan.requested' when g % 40 = 10 then 'loan.handed_over'
           when g % 40 = 20 then 'loan.read' when g % 40 = 30 then 'loan.copied'
           else (array['item.changed','auth.login','file.added','item.checked'])[1 + g % 4] end,
      case when g % 10 = 0 then 'loan:JY2026-' || lpad((g / 40)::text, 6, '0')
           else 'item:' || (${sql.val(codes)}::text[])[1 + g % ${ITEMS}] end,
      case when g % 40 = 0 then '{"kind":"paper","items":[],"purpose":"核对","days":10,"borrower":{"user":"clerk' || (g % 50) || '"}}'
           when g % 40 = 10 then '{"items":["' || (${sql.val(codes)}::text[])[1 + g % ${ITEMS}] || '","' || (${sql.val(codes)}::text[])[1 + (g + 1) % ${ITEMS}] || '"],"due":"2026-12-31"}'
           when g % 40 = 20 then '{"item":"' || (${sql.val(codes)}::text[])[1 + g % ${ITEMS}] || '"}'
           when g % 40 = 30 then '{"item":"' || (${sql.val(codes)}::text[])[1 + g % ${ITEMS}] || '","file":1,"copyCode":"x"}'
           else '{}' end,
      sha256(int8send(g)), null
    from generate_series(0, ${EVENTS - 1}) g`.execute(db);
  await sql`analyze`.execute(db);

  let started = performance.now();
  let walked = 0;
  for (let after = -1; ; ) {
    const batch = await readEventsAfter(db, after, 2000);
    if (batch.length === 0) break;
    walked += batch.length;
    after = (batch.at(-1) as { seq: number }).seq;
  }
  const walk = ms(started);
  started = performance.now();
  const run = await catchUpUses(db, { batch: 2000 });
  const follow = ms(started);
  console.log(
    `log of ${walked.toLocaleString()} events: walked in ${(walk / 1000).toFixed(1)} s ` +
      `(${Math.round(walked / (walk / 1000)).toLocaleString()} events/s); register followed it in ${(follow / 1000).toFixed(1)} s ` +
      `(${Math.round(run.events / (follow / 1000)).toLocaleString()} events/s, ${run.rows.toLocaleString()} rows), ${(follow / walk).toFixed(2)}× the walk`,
  );

  const timed = async (label: string, work: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const at = performance.now();
      await work();
      times.push(ms(at));
    }
    console.log(`${label}: p50 ${median(times).toFixed(1)} ms, p95 ${p95(times).toFixed(1)} ms`);
  };
  await timed('register, first page of 50', () => listUses(db, SYSTEM, { limit: 50 }));
  await timed('statistics by month and kind, every row', () =>
    useStats(db, SYSTEM, { period: 'month', by: 'kind' }),
  );
  await timed('statistics by quarter and department, one year', () =>
    useStats(db, SYSTEM, { period: 'quarter', by: 'department', from: '2026-01', to: '2026-12' }),
  );
} finally {
  await system.close();
  fs.rmSync(home, { recursive: true, force: true });
}
