import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import type { Db } from '../src/db/database.js';
import { accessContextOf, loadPrincipal } from '../src/modules/access/principal.js';
import { dueCounts } from '../src/modules/catalog/expiry.queries.js';
import { expiryList } from '../src/modules/disposition/appraisal.view.js';
import { refreshAllExpiry } from '../src/modules/disposition/expiry.job.js';
import { openSystem } from '../src/system/system.js';

// The expiry list (到期档案清单) of a fonds of 1,000,000 items on PGlite, aim < 2 s: the summary by
// year and category with the first page of 50 due items (titles masked), as an archivist of every
// fonds asks for it. Baseline in the same run: a plain count of the fonds's items. Also timed: the
// refresh that builds the summary (the scheduled job) and the dashboard's count. One tenth of the
// items are moved 40 years back so that there is something due. The 1M-item home is copied (never
// used in place) from BENCH_EXPIRY_SOURCE (default /tmp/bench-load/home-1m, made by bench/load.ts).

const SOURCE = process.env.BENCH_EXPIRY_SOURCE ?? '/tmp/bench-load/home-1m';
const WORK = process.env.BENCH_EXPIRY_DIR ?? path.join(os.tmpdir(), 'bench-expiry');
const ROUNDS = Number(process.env.BENCH_EXPIRY_ROUNDS ?? 10);

async function timed(label: string, rounds: number, run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  const worst = times[times.length - 1] as number;
  console.log(
    `  ${label.padEnd(60)} median ${median.toFixed(0).padStart(6)} ms   worst ${worst.toFixed(0).padStart(6)} ms`,
  );
  return worst;
}

function prepareHome(): string {
  const home = path.join(WORK, 'home');
  if (fs.existsSync(path.join(home, 'db'))) return home;
  if (!fs.existsSync(path.join(SOURCE, 'db')))
    throw new Error(`no 1M-item home at ${SOURCE}: run bench/load.ts first, or set BENCH_EXPIRY_SOURCE`);
  fs.mkdirSync(WORK, { recursive: true });
  const started = performance.now();
  fs.cpSync(SOURCE, home, { recursive: true });
  console.log(`  copied ${SOURCE} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return home;
}

async function archivist(db: Db) {
  await sql`insert into app_user (username, display_name, password_hash, created_by)
    values ('bench-appraiser', '鉴定档案员', 'x', 'bench') on conflict do nothing`.execute(db);
  await sql`insert into user_role (user_id, role) select id, 'archivist' from app_user
    where username = 'bench-appraiser' on conflict do nothing`.execute(db);
  await sql`insert into user_scope (user_id, fonds_code, region_code, category_code)
    select id, null, null, null from app_user u where username = 'bench-appraiser'
      and not exists (select 1 from user_scope s where s.user_id = u.id)`.execute(db);
  const { rows } = await sql<{
    id: number;
  }>`select id from app_user where username = 'bench-appraiser'`.execute(db);
  const principal = await loadPrincipal(db, Number(rows[0]?.id), 'session');
  if (!principal) throw new Error('no bench appraiser');
  return accessContextOf(db, principal);
}

const home = prepareHome();
const config = loadConfig({ YIDANG_HOME: home, YIDANG_CPU_WORKERS: '1' });
const system = await openSystem(config);
const db = system.database.db;
try {
  const { rows } = await sql<{ fonds: string; items: number; aged: number }>`
    select fonds_code as fonds, count(*)::int as items, count(*) filter (where year < 1990)::int as aged
    from archive_item group by fonds_code order by 2 desc limit 1`.execute(db);
  const { fonds, items } = rows[0] as { fonds: string; items: number; aged: number };
  if ((rows[0]?.aged ?? 0) === 0) {
    const started = performance.now();
    await sql`update archive_item set year = year - 40 where id % 10 = 0`.execute(db);
    console.log(
      `  moved a tenth of the items 40 years back in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  console.log(`  fonds ${fonds}: ${items.toLocaleString('en')} items; ${ROUNDS} rounds each`);
  const access = await archivist(db);

  const baseline = await timed('baseline: plain count of the fonds’s items', ROUNDS, () =>
    sql`select count(*) from archive_item where fonds_code = ${fonds}`.execute(db),
  );
  const started = performance.now();
  const refresh = await refreshAllExpiry(db, fonds);
  console.log(
    `  ${'refresh of the summary (the scheduled job), once'.padEnd(60)} ${(performance.now() - started).toFixed(0).padStart(6)} ms   (${refresh.items.toLocaleString('en')} items)`,
  );
  const again = performance.now();
  await refreshAllExpiry(db, fonds);
  console.log(
    `  ${'refresh again, nothing changed, once'.padEnd(60)} ${(performance.now() - again).toFixed(0).padStart(6)} ms`,
  );
  const first = await expiryList(db, access, { fonds }, { limit: 50, offset: 0 });
  const due = first.entries.filter((entry) => entry.due).reduce((sum, entry) => sum + entry.items, 0);
  console.log(
    `  the list: ${first.entries.length} rows by year/category, ${due.toLocaleString('en')} items due`,
  );
  const list = await timed('expiry list of the fonds: summary + first 50 due items', ROUNDS, () =>
    expiryList(db, access, { fonds }, { limit: 50, offset: 0 }),
  );
  const page = await timed('expiry list, page 100 (offset 5,000)', ROUNDS, () =>
    expiryList(db, access, { fonds }, { limit: 50, offset: 5000 }),
  );
  const year = first.items[0]?.year;
  const byYear =
    year === undefined
      ? 0
      : await timed(`expiry list of one year (${year})`, ROUNDS, () =>
          expiryList(db, access, { fonds, year }, { limit: 50, offset: 0 }),
        );
  const card = await timed('dashboard card: due in the next 12 months', ROUNDS, () => dueCounts(db, access));
  const worst = Math.max(list, page, byYear, card);
  console.log(
    `  aim < 2 s: ${worst < 2000 ? 'met' : 'NOT met'} (worst ${worst.toFixed(0)} ms; baseline count worst ${baseline.toFixed(0)} ms)`,
  );
} finally {
  await system.close();
}
