import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config/config.js';
import type { Db } from '../src/db/database.js';
import { accessContextOf, loadPrincipal } from '../src/modules/access/principal.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { assessmentIndicators } from '../src/modules/kpi/kpi.service.js';
import { systemContext } from '../src/shared/access-context.js';
import { beijingIso } from '../src/shared/beijing-time.js';
import { openSystem } from '../src/system/system.js';

// 考核指标 over BENCH_KPI_ITEMS (default 200,000) items of one year in two fonds, on PGlite (or the
// PostgreSQL of DATABASE_URL): half electronic with a file, a third of those checked (some failing),
// a tenth paper (half scanned), 办理时间 on most. Timed: the indicators of
// every unit as an archivist of all fonds asks for them. Baseline in the same run: one plain pass over
// the year's items (count with the same year filter). The items are copied in bulk from one filed
// item (SQL), the way bench/demo-million.ts fills a home quickly.

const ITEMS = Number(process.env.BENCH_KPI_ITEMS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_KPI_ROUNDS ?? 5);
const YEAR = Number((beijingIso(new Date()) as string).slice(0, 4));

async function timed(label: string, run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  console.log(
    `  ${label.padEnd(58)} median ${median.toFixed(0).padStart(6)} ms   worst ${(times.at(-1) as number).toFixed(0).padStart(6)} ms`,
  );
  return median;
}

async function fill(db: Db): Promise<void> {
  const system = systemContext('fixture', 'bench');
  await createFonds(db, { code: 'J013', name: '南京市江宁区医疗保障局', regionCode: '320115' }, 'bench');
  await createFonds(db, { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'bench');
  const [template] = await fileItems(
    db,
    [
      {
        fonds: 'J013',
        category: 'JSLX',
        org: 'JSK',
        title: '个人零星医疗费用报销审核表',
        responsible: '南京市江宁区医疗保障局',
        date: `${YEAR}-01-01`,
        name: '测试人',
        idNumber: '11010519491231002X',
        amount: '100',
        poolingRegion: '320115',
        extra: { hospital: '江宁医院' },
      },
    ],
    'bench',
    { access: system },
  );
  const id = template?.id as number;
  const started = performance.now();
  await sql`insert into archive_item (archive_code, fonds_code, category_id, year, retention, retention_expires_on,
      org_code, item_number, title, responsible, doc_date, security_level, id_number, id_number_index, person_name,
      handled_at, pooling_region, amount, carrier, paper_location, sensitivity, extra, version, created_by,
      updated_by, created_at)
    select 'B' || n, case when n % 3 = 0 then 'J014' else 'J013' end, t.category_id, t.year, t.retention,
      t.retention_expires_on, t.org_code, n + 1, t.title, t.responsible, t.doc_date, t.security_level, t.id_number,
      t.id_number_index, t.person_name,
      case when n % 5 = 0 then null else now() - make_interval(days => n % 60) end,
      case when n % 3 = 0 then '320116' else '320115' end, t.amount,
      case when n % 10 = 0 then 'paper' else 'electronic' end,
      case when n % 10 = 0 then '{"warehouse":"一号库","cabinet":"01","shelf":"1","box":"1"}'::jsonb else null end,
      t.sensitivity, t.extra, 1, 'bench', 'bench', now()
    from archive_item t, generate_series(1, ${ITEMS}) n where t.id = ${id}`.execute(db);
  const { rows } = await sql<{ digest: string }>`select digest from storage_blob limit 1`.execute(db);
  let digest = rows[0]?.digest;
  if (!digest) {
    digest = 'sha256:bench';
    await sql`insert into storage_blob (digest, size, stored_size, stored_digest, suite, key_id, wrapped_key)
      values (${digest}, 1, 1, 'sha256:bench-stored', 'bench', 'bench', '\\x00')`.execute(db);
  }
  await sql`insert into item_file (item_id, file_number, digest, file_name, media_type, size, added_by)
    select i.id, 1, ${digest}, 'a.pdf', 'application/pdf', 1, 'bench' from archive_item i
    where i.archive_code like 'B%' and (i.id % 2 = 0 or (i.carrier = 'paper' and i.id % 4 = 1))`.execute(db);
  await sql`insert into check_run (trigger, target_kind, target, run_by, started_at, finished_at, items, failed_items,
      passed, failed, skipped) values ('on_demand', 'fonds_year', 'bench', 'bench', now(), now(), 0, 0, 0, 0, 0)`.execute(
    db,
  );
  await sql`insert into check_result (run_id, item_id, check_id, status, detail)
    select (select max(id) from check_run), i.id, c.check_id, case when i.id % 12 = 0 and c.check_id = 'format' then 'fail' else 'pass' end, ''
    from archive_item i, (values ('fixity'), ('format'), ('metadata')) c(check_id)
    where i.archive_code like 'B%' and i.id % 3 = 0`.execute(db);
  console.log(
    `  filled ${ITEMS} items, files and checks in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

// On PostgreSQL the bench makes a database of its own beside DATABASE_URL's and drops it after.
async function benchDatabase(): Promise<{ url?: string; drop: () => Promise<void> }> {
  const admin = process.env.DATABASE_URL;
  if (!admin) return { drop: async () => undefined };
  const name = `yidang_bench_kpi_${process.pid}`;
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

const bench = await benchDatabase();
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-kpi-'));
const config = loadConfig({
  YIDANG_HOME: home,
  YIDANG_CPU_WORKERS: '1',
  ...(bench.url ? { DATABASE_URL: bench.url } : {}),
});
const system = await openSystem(config, { initialize: true });
const db = system.database.db;
try {
  await fill(db);
  await sql`analyze`.execute(db);
  await sql`insert into app_user (username, display_name, password_hash, created_by)
    values ('bench-kpi', '考核', 'x', 'bench')`.execute(db);
  await sql`insert into user_role (user_id, role) select id, 'archivist' from app_user where username = 'bench-kpi'`.execute(
    db,
  );
  await sql`insert into user_scope (user_id, fonds_code, region_code, category_code)
    select id, null, null, null from app_user where username = 'bench-kpi'`.execute(db);
  const { rows } = await sql<{ id: number }>`select id from app_user where username = 'bench-kpi'`.execute(
    db,
  );
  const principal = await loadPrincipal(db, Number(rows[0]?.id), 'session');
  if (!principal) throw new Error('no bench user');
  const access = await accessContextOf(db, principal);
  console.log(
    `考核指标 over ${ITEMS.toLocaleString('en')} items (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`,
  );
  const baseline = await timed("baseline: count the year's items (one pass)", () =>
    sql`select count(*) from archive_item where year = ${YEAR}`.execute(db),
  );
  const kpi = await timed('assessmentIndicators (all units, 统筹区, total)', () =>
    assessmentIndicators(db, access, { year: YEAR }),
  );
  const answer = await assessmentIndicators(db, access, { year: YEAR });
  console.log(
    `  ratio ${(kpi / baseline).toFixed(1)}×; total ${answer.total.items} items, complete ${answer.total.completeness.percent}, electronic ${answer.total.electronic.percent}, digitised ${answer.total.digitised.percent}, timely ${answer.total.timely.percent}`,
  );
} finally {
  await system.close();
  fs.rmSync(home, { recursive: true, force: true });
  await bench.drop();
}
