import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import type { Db } from '../src/db/database.js';
import { accessContextOf, loadPrincipal, type Principal } from '../src/modules/access/principal.js';
import { listItems } from '../src/modules/catalog/item.service.js';
import { listLoanViews } from '../src/modules/lending/lending.view.js';
import { overdueList } from '../src/modules/lending/overdue.service.js';
import { openSystem } from '../src/system/system.js';

// The loan inbox (a borrower's loans, an approver's queue) and the overdue list (逾期) at 100,000
// loans over 1,000,000 items on PGlite, aim p95 < 50 ms. Baselines in the same run: the first page
// of the item listing for the same archivist, and the overdue list without its index (loan_overdue).
// The 1M-item home is copied (never used in place) from BENCH_LOANS_SOURCE (default
// /tmp/bench-load/home-1m, made by bench/load.ts) into BENCH_LOANS_DIR; the loans are generated in SQL.

const SOURCE = process.env.BENCH_LOANS_SOURCE ?? '/tmp/bench-load/home-1m';
const WORK = process.env.BENCH_LOANS_DIR ?? path.join(os.tmpdir(), 'bench-loans');
const LOANS = Number(process.env.BENCH_LOANS ?? 100_000);
const BORROWERS = 2000;
const ROUNDS = Number(process.env.BENCH_LOANS_ROUNDS ?? 100);

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

async function timed(
  label: string,
  run: (round: number) => Promise<unknown>,
): Promise<{ p50: number; p95: number }> {
  for (let warm = 0; warm < 5; warm++) await run(warm);
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    await run(round);
    times.push(performance.now() - started);
  }
  const figures = { p50: percentile(times, 50), p95: percentile(times, 95) };
  console.log(
    `  ${label.padEnd(52)} p50 ${figures.p50.toFixed(1).padStart(7)} ms   p95 ${figures.p95.toFixed(1).padStart(7)} ms`,
  );
  return figures;
}

function prepareHome(): string {
  const home = path.join(WORK, 'home');
  if (fs.existsSync(path.join(home, '.loans-ready'))) return home;
  if (!fs.existsSync(path.join(SOURCE, 'db')))
    throw new Error(
      `no 1M-item home at ${SOURCE}: run the load benchmark (bench/load.ts) first, or set BENCH_LOANS_SOURCE`,
    );
  // A copy left by an earlier run that stopped before the loans were made is used again.
  if (fs.existsSync(path.join(home, 'db'))) return home;
  fs.mkdirSync(WORK, { recursive: true });
  const started = performance.now();
  fs.cpSync(SOURCE, home, { recursive: true });
  console.log(`  copied ${SOURCE} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return home;
}

/** Accounts (2,000 borrowers, 10 archivists) and 100,000 loans in every state, generated in SQL. */
async function generate(db: Db, today: string): Promise<void> {
  const started = performance.now();
  await sql`insert into app_user (username, display_name, password_hash, created_by)
    select 'bench-b-' || n, '借阅人' || n, 'x', 'bench' from generate_series(1, ${BORROWERS}) n
    union all select 'bench-a-' || n, '档案员' || n, 'x', 'bench' from generate_series(1, 10) n`.execute(db);
  await sql`insert into user_role (user_id, role)
    select id, case when username like 'bench-a-%' then 'archivist' else 'clerk' end
    from app_user where created_by = 'bench'`.execute(db);
  await sql`insert into user_scope (user_id, fonds_code, region_code, category_code)
    select id, null, null, null from app_user where created_by = 'bench'`.execute(db);
  // Items by a stride coprime with the count: every loan's first item is a different one.
  await sql`create temporary table bench_item as
    select row_number() over (order by id) - 1 as k, id, archive_code from archive_item`.execute(db);
  await sql`create index on bench_item (k)`.execute(db);
  await sql`
    insert into loan (loan_no, kind, requester_id, requested_by, borrower_id, borrower_username,
      borrower_org, letter_no, purpose, days_requested, days_approved, state, approval_levels,
      level1_roles, level2_roles, renewals_allowed, renewal_days, approved_level, level1_by, level1_at,
      handed_over_by, handed_over_at, due_on, returned_on, created_at, updated_at)
    select 'JY2026-' || lpad(n::text, 6, '0'),
      case when n % 10 < 7 then 'paper' when n % 10 < 9 then 'electronic' else 'copy' end,
      u.id, u.username,
      case when n % 50 = 0 then null else u.id end, case when n % 50 = 0 then null else u.username end,
      case when n % 50 = 0 then '某区审计局' end, case when n % 50 = 0 then '审函' || n end,
      '审计核对报销凭证', 30, case when s.state in ('requested', 'withdrawn') then null else 30 end,
      s.state, 1, '{archivist}', '{manager}', 1, 15,
      case when s.state in ('requested', 'withdrawn', 'rejected') then 0 else 1 end,
      case when s.state in ('requested', 'withdrawn', 'rejected') then null else 'bench-a-1' end,
      case when s.state in ('requested', 'withdrawn', 'rejected') then null else now() end,
      case when s.state in ('on_loan', 'closed') then 'bench-a-1' end,
      case when s.state in ('on_loan', 'closed') then now() - interval '20 days' end,
      case when s.state in ('on_loan', 'closed') then ${today}::date - 30 + (n % 60) end,
      case when s.state = 'closed' then ${today}::date - 40 + (n % 30) end,
      now() - (${LOANS} - n) * interval '5 minutes', now() - (${LOANS} - n) * interval '5 minutes'
    from generate_series(1, ${LOANS}) n
    cross join lateral (select case
      when n % 100 < 55 then 'closed' when n % 100 < 80 then 'on_loan' when n % 100 < 90 then 'requested'
      when n % 100 < 95 then 'approved' when n % 100 < 98 then 'rejected' else 'withdrawn' end as state) s
    join app_user u on u.username = 'bench-b-' || (1 + (n * 31) % ${BORROWERS})`.execute(db);
  const { rows } = await sql<{ count: number }>`select count(*)::int as count from bench_item`.execute(db);
  const items = Number(rows[0]?.count);
  await sql`
    insert into loan_item (loan_id, item_id, archive_code, handed_over_at, handed_over_by, returned_at,
      returned_by, condition, open)
    select l.id, i.id, i.archive_code,
      case when l.state in ('on_loan', 'closed') and l.kind = 'paper' then l.handed_over_at end,
      case when l.state in ('on_loan', 'closed') and l.kind = 'paper' then 'bench-a-1' end,
      case when l.state = 'closed' and l.kind = 'paper' then now() end,
      case when l.state = 'closed' and l.kind = 'paper' then 'bench-a-1' end,
      case when l.state = 'closed' and l.kind = 'paper' then 'intact' end,
      l.state in ('requested', 'approved', 'on_loan')
    from loan l join bench_item i on i.k = (substring(l.loan_no from 8)::bigint * 7919) % ${items}
    where l.loan_no like 'JY2026-%'`.execute(db);
  await sql`drop table bench_item`.execute(db);
  // PGlite has no autovacuum: the planner needs the new tables' statistics.
  await sql`analyze loan`.execute(db);
  await sql`analyze loan_item`.execute(db);
  await sql`analyze app_user`.execute(db);
  await sql`analyze user_role`.execute(db);
  console.log(
    `  generated ${LOANS.toLocaleString('en')} loans in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}

async function principalOf(db: Db, username: string): Promise<Principal> {
  const row = await db
    .selectFrom('app_user')
    .select('id')
    .where('username', '=', username)
    .executeTakeFirstOrThrow();
  return (await loadPrincipal(db, row.id, 'session')) as Principal;
}

const home = prepareHome();
const config = loadConfig({ YIDANG_HOME: home, YIDANG_CPU_WORKERS: '1' });
const system = await openSystem(config);
const db = system.database.db;
try {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const { rows } = await sql<{ loans: number; items: number }>`
    select (select count(*)::int from loan) as loans, (select count(*)::int from archive_item) as items`.execute(
    db,
  );
  if (Number(rows[0]?.loans) < LOANS) await generate(db, today);
  fs.writeFileSync(path.join(home, '.loans-ready'), today);
  const { rows: sizes } = await sql<{ loans: number; items: number; overdue: number; requested: number }>`
    select (select count(*)::int from loan) as loans, (select count(*)::int from archive_item) as items,
      (select count(*)::int from loan where state = 'on_loan' and kind = 'paper' and due_on < ${today}::date) as overdue,
      (select count(*)::int from loan where state = 'requested') as requested`.execute(db);
  const size = sizes[0] as { loans: number; items: number; overdue: number; requested: number };
  console.log(
    `  ${size.loans.toLocaleString('en')} loans (${size.requested.toLocaleString('en')} awaiting approval, ${size.overdue.toLocaleString('en')} overdue) over ${size.items.toLocaleString('en')} items; ${ROUNDS} rounds each`,
  );

  const archivist = await principalOf(db, 'bench-a-2');
  const access = await accessContextOf(db, archivist);
  // An archivist scoped to the fonds (the whole home is one): every loan's items checked against the scope.
  await sql`update user_scope set fonds_code = (select fonds_code from archive_item limit 1)
    where user_id = (select id from app_user where username = 'bench-a-3')`.execute(db);
  const scoped = await accessContextOf(db, await principalOf(db, 'bench-a-3'));
  const borrowers: Principal[] = [];
  for (let n = 1; n <= 20; n++) borrowers.push(await principalOf(db, `bench-b-${n * 97}`));

  const results: Record<string, { p50: number; p95: number }> = {};
  results.items = await timed('baseline: item listing, first page of 50', () =>
    listItems(db, { limit: 50 }, access),
  );
  results.mine = await timed('loan inbox: a borrower’s loans (我的借阅), 50', (round) =>
    listLoanViews(db, borrowers[round % borrowers.length] as Principal, { view: 'mine' }),
  );
  results.approvals = await timed('loan inbox: the approver’s queue (借阅审批), 50', () =>
    listLoanViews(db, archivist, { view: 'approvals' }),
  );
  results.overdue = await timed('overdue list (逾期), first page of 50 + total', () =>
    overdueList(db, access),
  );
  results.overdueScoped = await timed('overdue list, archivist scoped to the fonds', () =>
    overdueList(db, scoped),
  );
  const first = await overdueList(db, access, { limit: 200 });
  results.overdueNext = await timed('overdue list, a page after a cursor', () =>
    overdueList(db, access, { cursor: first.next as string }),
  );
  // The same list without the due-date indexes (this bench's loan_overdue and lending's loan_due), same run.
  await sql`drop index loan_overdue`.execute(db);
  await sql`drop index loan_due`.execute(db);
  try {
    results.overdueNoIndex = await timed('baseline: overdue list without due-date indexes', () =>
      overdueList(db, access),
    );
    await timed('baseline: the same, scoped to the fonds', () => overdueList(db, scoped));
  } finally {
    await sql`create index loan_overdue on loan (due_on, id) where state = 'on_loan' and kind = 'paper'`.execute(
      db,
    );
    await sql`create index loan_due on loan (due_on) where state = 'on_loan'`.execute(db);
  }
  const worst = Math.max(
    ...['mine', 'approvals', 'overdue', 'overdueScoped', 'overdueNext'].map(
      (name) => results[name]?.p95 ?? 0,
    ),
  );
  console.log(`  aim p95 < 50 ms: ${worst < 50 ? 'met' : 'NOT met'} (worst p95 ${worst.toFixed(1)} ms)`);
} finally {
  await system.close();
}
