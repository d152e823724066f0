// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, CLI_PASSWORD, type CliEnv, type CliResult, cliEnv, run, writeJson } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { reimbursement } from './helpers/fixtures.js';

// `yidang search` and `yidang reindex` end to end: the built binary on its own data directory
// (PGlite) or a PostgreSQL database. A clerk searches what a filer filed with `yidang item add`;
// the CLI has no background indexer and catches the index up itself before each search.

let database: TestDatabase | undefined;
let cli: CliEnv;
const FILER = 'search.filer';
const CLERK = 'search.clerk';
/** 档号 by letter: A 2024 JSLX, B 2022 JSLX, C 2023 DYMZ (all 报销), D filed later. */
const code: Record<string, string> = {};
const CHINESE = /[\u4e00-\u9fff]/;
/** What the CLI wrote to stderr for a table and for a refusal, checked line by line at the end. */
const stderrOf: { table?: string; refused?: string } = {};

interface Json {
  total: number;
  exact: boolean;
  facets: Record<string, Array<{ value: string; label: string; count: number }>>;
  hits: Array<{ item: { archiveCode: string; title: string; name: string | null } }>;
  nextCursor: string | null;
  sort: string;
}

function ok(result: CliResult): string {
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).not.toContain('内部错误');
  return result.stdout;
}

function expectRefused(result: CliResult, message: string): void {
  expect(result.code, `${result.stdout}${result.stderr}`.slice(0, 400)).toBe(1);
  expect(result.stderr).toContain('错误：');
  expect(result.stderr).toContain(message);
  expect(result.stderr).not.toContain('内部错误');
}

const search = (...args: string[]) => run(cli, ['search', ...args, '--user', CLERK]);
async function searchJson(...args: string[]): Promise<Json> {
  return JSON.parse(ok(await search(...args, '--json'))) as Json;
}
const codes = (result: Json) => result.hits.map((hit) => hit.item.archiveCode).sort();

async function fileItems(
  name: string,
  items: Array<Record<string, unknown>>,
  options: { spawn?: boolean } = {},
): Promise<string[]> {
  const args = ['item', 'add', '--file', writeJson(cli, name, items), '--user', FILER];
  const out = ok(await run(cli, args, options));
  return out.trim().split('\n');
}

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  // Every account has the same password; who acts is named per command with --user.
  cli.env.YIDANG_PASSWORD = CLI_PASSWORD;
  ok(await run(cli, ['init']));
  ok(await run(cli, ['fonds', 'add', '--code', 'J013', '--name', '江宁区医疗保障局', '--region', '320115']));
  await addUser(cli, ['archivist', 'clerk'], { username: FILER });
  await addUser(cli, ['clerk'], { username: CLERK, scope: ['J013/*/*'] });
  const filed = await fileItems('items.json', [
    reimbursement({ title: '王建国 个人零星医疗费用报销审核表', date: '2024-03-15' }),
    reimbursement({ name: '李秀英', title: '李秀英 住院费用报销审核表', date: '2022-06-01' }),
    reimbursement({
      name: '周杰',
      title: '周杰 门诊特殊病种报销审核表',
      category: 'DYMZ',
      extra: {},
      date: '2023-08-08',
    }),
  ]);
  expect(filed).toHaveLength(3);
  [code.A, code.B, code.C] = filed as [string, string, string];
}, 180_000);
afterAll(() => database?.close());

describe('yidang search', { timeout: 180_000 }, () => {
  it('prints a table of 档号 and (masked) titles, and the total and facets on stderr', async () => {
    const result = await search('报销');
    const out = ok(result);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^档号\s+题名\s+年度\s+命中$/);
    expect(lines).toHaveLength(4);
    for (const archiveCode of [code.A, code.B, code.C]) expect(out).toContain(archiveCode);
    expect(out).toContain('王*国 个人零星医疗费用报销审核表');
    expect(out).toContain('李*英 住院费用报销审核表');
    // Names are masked in the table as everywhere else.
    expect(out).not.toContain('王建国');
    expect(result.stderr).toContain('共 3 件，显示 3 件');
    stderrOf.table = result.stderr;
    expect(result.stderr).toMatch(/年度：2024年 1，2023年 1，2022年 1/);
    expect(result.stderr).toContain('载体：电子 3');
  });

  it('prints JSON with hits, total and facets', async () => {
    const result = await searchJson('报销');
    expect(result).toMatchObject({ total: 3, exact: true, sort: 'relevance', nextCursor: null });
    expect(codes(result)).toEqual([code.A, code.B, code.C].sort());
    expect(result.facets.category?.map((facet) => [facet.value, facet.count]).sort()).toEqual([
      ['DYMZ', 1],
      ['JSLX', 2],
    ]);
    expect(result.facets.region).toEqual([{ value: '320115', label: '江宁区', count: 3 }]);
    expect(result.hits.map((hit) => hit.item.name).sort()).toEqual(['周*', '李*英', '王*国'].sort());
  });

  it('filters by --category and by --year-from/--year-to', async () => {
    const byCategory = await searchJson('报销', '--category', 'DYMZ');
    expect(codes(byCategory)).toEqual([code.C]);
    expect(byCategory.total).toBe(1);
    const byYear = await searchJson('报销', '--year-from', '2022', '--year-to', '2023');
    expect(codes(byYear)).toEqual([code.B, code.C].sort());
    expect(byYear.facets.year?.map((facet) => facet.value)).toEqual(['2023', '2022']);
  });

  it('refuses a bad --sort, and a search without --user, in Chinese with exit status 1', async () => {
    const badSort = await search('报销', '--sort', 'bogus');
    expectRefused(badSort, '--sort 应为 relevance 或 date');
    expect(badSort.stdout).toBe('');
    const anonymous = await run(cli, ['search', '报销'], { env: { YIDANG_USER: undefined } });
    expectRefused(anonymous, '须用 --user 指定账户');
    expect(anonymous.stdout).toBe('');
    expect(anonymous.stderr).toMatch(CHINESE);
    stderrOf.refused = anonymous.stderr;
  });

  it('finds an item filed with `yidang item add` in the very next search', async () => {
    // The built binary, each command its own process, as a clerk runs them.
    const [added] = await fileItems(
      'later.json',
      [reimbursement({ name: '赵敏', title: '赵敏 白内障手术费用报销审核表', date: '2024-09-09' })],
      { spawn: true },
    );
    code.D = added as string;
    const result = await run(cli, ['search', '白内障', '--user', CLERK], { spawn: true });
    expect(ok(result)).toContain(code.D);
    expect(result.stderr).toContain('共 1 件，显示 1 件');
  });

  it('rebuilds the index with `yidang reindex`, and search works as before', async () => {
    const rebuilt = await run(cli, ['reindex'], { env: { YIDANG_USER: undefined } });
    ok(rebuilt);
    const match = /检索索引已重建：(\d+) 件档案（读取日志 (\d+) 条）/.exec(rebuilt.stderr);
    expect(match, rebuilt.stderr).not.toBeNull();
    expect(Number(match?.[1])).toBe(4);
    expect(Number(match?.[2])).toBeGreaterThanOrEqual(4);
    const after = await searchJson('报销', '--sort', 'date');
    expect(after).toMatchObject({ total: 4, sort: 'date' });
    expect(after.hits.map((hit) => hit.item.archiveCode)).toEqual([code.D, code.A, code.C, code.B]);
  });

  it('starts the total line and an error message on lines of their own', () => {
    // Catch-up progress is shown only for a long catch-up, and always ends its own line.
    const lines = (text: string | undefined) => (text ?? '').split(/[\r\n]+/);
    expect({
      total: lines(stderrOf.table).some((line) => line.startsWith('共 3 件，显示 3 件')),
      error: lines(stderrOf.refused).some((line) => line.startsWith('错误：查阅或归档档案须用 --user')),
    }).toEqual({ total: true, error: true });
  });
});
