import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { Db } from '../src/db/database.js';
import { viewsOfPerson } from '../src/modules/insured/views.read.js';
import { onBenchPostgres } from './postgres.js';

// 谁查看了我的档案 at scale (issue 24): one person with 10,000 looks at their records in a log of
// 10,000,000 events on PostgreSQL, p95 < 100 ms. The events are generated in bulk with SQL (not
// through the service): 20 % of them are looks (reads, file reads, unmaskings, ID-number search
// hits) at the items of 200,000 people, and the projection (insured_view) holds what the follower
// files for them. Beside it, in the same run, the same answer read from the log itself: the person's
// items by subject (the log's (subject, seq) index), plus the ID-number search hits, whose 档号 are
// in the payloads of search.id_lookup events (the person's key is nowhere in the log).
//
// Run: source /tmp/pg/env.sh && npx tsx bench/insured-views.ts   (EVENTS=… to change the size)

const EVENTS = Number(process.env.EVENTS ?? 10_000_000);
const PEOPLE = 200_000;
const ROUNDS = Number(process.env.ROUNDS ?? 50);
const TARGET = 'bench-target-person';
// Every 1000th event is a look at the target's five items: 10,000 in 10,000,000.
const TARGET_EVERY = 1000;
const LOOKS = ['item.viewed', 'file.read', 'item.unmasked', 'item.read', 'search.id_lookup'];

const ms = (from: number) => performance.now() - from;
const p = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};

async function generate(db: Db): Promise<void> {
  const started = performance.now();
  // Bulk load: the log's secondary indexes are built once after the rows, as a restore would.
  await sql`drop index integrity_event_subject`.execute(db);
  await sql`drop index integrity_event_recorded_at`.execute(db);
  // Event g: a look at person (g % PEOPLE)'s item when g % 5 = 0 (20 %), else some other event.
  // The target's looks: g % TARGET_EVERY = 7, at item T<g % 5>, one in five an ID-number search hit.
  await sql`
    insert into integrity_event (seq, recorded_at, actor, action, subject, payload, hash, subtrees)
    select g,
      timestamptz '2024-01-01 00:00:00+08' + g * interval '3 seconds',
      'clerk' || (g % 400),
      case when g % ${TARGET_EVERY} = 7 then (array['item.viewed','file.read','item.unmasked','item.read','search.id_lookup'])[1 + (g / ${TARGET_EVERY}) % 5]
           when g % 5 = 0 then (array['item.viewed','file.read','item.unmasked','item.read','search.id_lookup'])[1 + (g / 5) % 5]
           else (array['item.created','item.changed','auth.login','file.added','item.checked'])[1 + g % 5] end,
      case when g % ${TARGET_EVERY} = 7 and (g / ${TARGET_EVERY}) % 5 = 4 then 'user:clerk' || (g % 400)
           when g % ${TARGET_EVERY} = 7 then 'item:T' || (g % 5)
           when g % 5 = 0 and (g / 5) % 5 = 4 then 'user:clerk' || (g % 400)
           else 'item:J013-' || (g % ${PEOPLE}) || '-' || (g % 3) end,
      case when g % ${TARGET_EVERY} = 7 and (g / ${TARGET_EVERY}) % 5 = 4
             then '{"items":["T' || (g % 5) || '"],"lookups":1,"results":1}'
           when g % 5 = 0 and (g / 5) % 5 = 4
             then '{"items":["J013-' || (g % ${PEOPLE}) || '-0"],"lookups":1,"results":1}'
           else '{"grantId":null,"purpose":"核对待遇","sensitivity":"normal"}' end,
      sha256(int8send(g)),
      null
    from generate_series(0, ${EVENTS - 1}) g`.execute(db);
  await sql`create index integrity_event_subject on integrity_event (subject, seq)`.execute(db);
  await sql`create index integrity_event_recorded_at on integrity_event (recorded_at)`.execute(db);
  console.log(`log: ${EVENTS.toLocaleString()} events in ${(ms(started) / 1000).toFixed(0)} s`);
  const projected = performance.now();
  // The projection as the follower files it: one row per look and person, under the person's key.
  await sql`
    insert into insured_view (person_key, recorded_at, seq, archive_code, action, actor, actor_roles, agency, purpose, approval, via)
    select case when e.subject like 'item:T%' or e.payload like '{"items":["T%' then ${TARGET}
             else 'p' || (e.seq % ${PEOPLE}) end,
      e.recorded_at, e.seq,
      case when e.action = 'search.id_lookup' then (e.payload::jsonb -> 'items' ->> 0) else substr(e.subject, 6) end,
      e.action, e.actor, 'clerk', '南京市江宁区医疗保障局', '核对待遇', null,
      case when e.action = 'search.id_lookup' then 'id_lookup' end
    from integrity_event e
    where e.action in (${sql.join(LOOKS)})`.execute(db);
  await sql`insert into insured_view_state (id, last_seq) values (1, ${EVENTS - 1})`.execute(db);
  await sql`analyze integrity_event`.execute(db);
  // What autovacuum does to an insert-only table (PostgreSQL 13+: autovacuum_vacuum_insert_threshold):
  // the visibility map lets the count read the index alone instead of 10,000 scattered heap pages.
  await sql`vacuum analyze insured_view`.execute(db);
  const counted = await sql<{ all: string; target: string }>`select count(*) as all,
    count(*) filter (where person_key = ${TARGET}) as target from insured_view`.execute(db);
  console.log(
    `projection: ${Number(counted.rows[0]?.all).toLocaleString()} looks, ${Number(counted.rows[0]?.target).toLocaleString()} of the target, in ${(ms(projected) / 1000).toFixed(0)} s`,
  );
}

/** The same first page and count from the log: the person's items by subject, and the search hits. */
async function fromLog(db: Db, withSearchHits: boolean): Promise<number> {
  const codes = [0, 1, 2, 3, 4].map((n) => `T${n}`);
  const subjects = codes.map((code) => `item:${code}`);
  const hits = withSearchHits
    ? sql`or (e.action = 'search.id_lookup' and (e.payload::jsonb -> 'items') ?| ${sql.val(codes)}::text[])`
    : sql``;
  const where = sql`((e.subject in (${sql.join(subjects)}) and e.action in (${sql.join(LOOKS)})) ${hits})`;
  const page = await sql`select e.seq, e.recorded_at, e.actor, e.action, e.subject from integrity_event e
    where ${where} order by e.seq desc limit 50`.execute(db);
  const count = await sql<{ n: string }>`select count(*) as n from integrity_event e where ${where}`.execute(
    db,
  );
  if (page.rows.length !== 50) throw new Error('the log answered a short page');
  return Number(count.rows[0]?.n);
}

async function time(label: string, rounds: number, run: () => Promise<unknown>): Promise<number[]> {
  await run();
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await run();
    times.push(ms(started));
  }
  console.log(
    `${label.padEnd(52)} p50 ${p(times, 0.5).toFixed(1).padStart(8)} ms  p95 ${p(times, 0.95).toFixed(1).padStart(8)} ms  (${rounds} runs)`,
  );
  return times;
}

const ran = await onBenchPostgres('yidang_bench_insured', async (database) => {
  const db = database.db;
  await generate(db);
  const self = { personKey: TARGET, username: 'bench-insured' };
  const first = await viewsOfPerson(db, self, { limit: 50 });
  if (first.total !== EVENTS / TARGET_EVERY || first.entries.length !== 50)
    throw new Error(`projection answered ${first.total} looks, ${first.entries.length} on the page`);
  const fullLog = await fromLog(db, true);
  if (fullLog !== first.total) throw new Error(`the log counts ${fullLog}, the projection ${first.total}`);
  console.log(`target: ${first.total.toLocaleString()} looks either way; first page 50 entries`);
  const projection = await time('projection (first page + count + catch-up check)', ROUNDS, () =>
    viewsOfPerson(db, self, { limit: 50 }),
  );
  let cursor = first.nextCursor as string;
  await time('projection, next pages', ROUNDS, async () => {
    const page = await viewsOfPerson(db, self, { limit: 50, cursor });
    cursor = page.nextCursor ?? (first.nextCursor as string);
  });
  await time('projection, one month', ROUNDS, () =>
    viewsOfPerson(db, self, { limit: 50, from: '2024-03-01', to: '2024-03-31' }),
  );
  await time('log, by subject only (misses the search hits)', ROUNDS, () => fromLog(db, false));
  const log = await time('log, complete (search hits from the payloads)', 3, () => fromLog(db, true));
  const aim = p(projection, 0.95) < 100 ? 'met' : 'NOT met';
  console.log(
    `谁查看了我的档案: p95 ${p(projection, 0.95).toFixed(1)} ms from the projection (aim < 100 ms: ${aim}) vs ${p(log, 0.95).toFixed(0)} ms from the log`,
  );
});
if (!ran) console.log('PostgreSQL not available: set DATABASE_URL (source /tmp/pg/env.sh)');
