// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../src/modules/access/totp.js';
import {
  addUser,
  CLI_PASSWORD,
  type CliEnv,
  type CliResult,
  cliEnv,
  type ExtraEnv,
  run,
  signInAs,
  writeJson,
} from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { reimbursement } from './helpers/fixtures.js';

// 敏感档案查阅审批 from the command line, end to end: the built binary on a real data directory
// (PGlite) or a real PostgreSQL database. A clerk asks with `yidang access request`, a 安全保密员
// (signing in with a second factor) lists, approves, rejects or revokes, and `yidang item show`
// follows what was decided.

let database: TestDatabase | undefined;
let cli: CliEnv;
/** 档号 of the items: two sensitive (敏感), one restricted (限制), one normal. */
const code = { sensitive: '', sensitive2: '', restricted: '', normal: '' };
const CLERK = 'clerk.a';
const OTHER_CLERK = 'clerk.b';
const GRANT_REQUIRED = '须提出查阅申请（写明目的与期限）并经安全保密员批准后方可查阅';

const as = (username: string): { env: ExtraEnv } => ({
  env: { YIDANG_USER: username, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
});

/**
 * The 安全保密员 accounts. Each sign-in uses up a TOTP step (a code is accepted once, at most one step
 * early), so the commands take turns between several accounts and wait for a fresh step if need be.
 */
const approvers: Array<{ username: string; secret: string; lastStep: number }> = [];
const STEP_MS = 30_000;

async function asSecadmin(): Promise<{ username: string; env: ExtraEnv }> {
  const approver = approvers.reduce((a, b) => (b.lastStep < a.lastStep ? b : a));
  const current = Math.floor(Date.now() / STEP_MS);
  const step = Math.max(current, approver.lastStep + 1);
  // A code one step ahead is still accepted; any further ahead, wait until it is.
  if (step > current + 1)
    await new Promise((resolve) => setTimeout(resolve, (step - 1) * STEP_MS - Date.now() + 100));
  approver.lastStep = step;
  return {
    username: approver.username,
    env: {
      YIDANG_USER: approver.username,
      YIDANG_PASSWORD: CLI_PASSWORD,
      YIDANG_TOTP: totpCode(approver.secret, step * STEP_MS),
    },
  };
}

function expectRefused(result: CliResult, message: string): void {
  expect(result.code, `${result.stdout}${result.stderr}`.slice(0, 400)).toBe(1);
  expect(result.stderr).toContain(message);
  expect(result.stderr.startsWith('错误：')).toBe(true);
  expect(result.stderr).not.toContain('内部错误');
}

function ok(result: CliResult): string {
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** `yidang access request` as the user; returns the new request's number. */
async function request(username: string, items: string[], ...extra: string[]): Promise<number> {
  const out = ok(
    await run(cli, ['access', 'request', ...items, '--purpose', '核对报销材料', ...extra], as(username)),
  );
  const match = /^查阅申请 (\d+)：待审批（(\d+) 件，(\d+) 小时）\n$/.exec(out);
  expect(match, out).not.toBeNull();
  expect(Number(match?.[2])).toBe(new Set(items).size);
  return Number(match?.[1]);
}

interface ListedRequest {
  id: number;
  requester: string;
  status: string;
  hours: number;
  purpose: string;
  decidedBy: string | null;
  note: string | null;
  expiresAt: string | null;
  items: Array<{ archiveCode: string; sensitivity: string }>;
}

async function listed(env: { env: ExtraEnv }, ...args: string[]): Promise<ListedRequest[]> {
  const out = ok(await run(cli, ['access', 'list', '--json', ...args], env));
  return (JSON.parse(out) as { requests: ListedRequest[] }).requests;
}

const show = (username: string, archiveCode: string) => run(cli, ['item', 'show', archiveCode], as(username));

async function events(subject: string) {
  const out = ok(await run(cli, ['log', '--json', '--subject', subject, '--limit', '1000']));
  return (
    JSON.parse(out) as Array<{ actor: string; action: string; payload: Record<string, unknown> }>
  ).reverse();
}

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  ok(await run(cli, ['init']));
  ok(await run(cli, ['fonds', 'add', '--code', 'J013', '--name', '江宁区医疗保障局', '--region', '320115']));
  // The filer signs in by default (YIDANG_USER); the others are named per command.
  await signInAs(cli, ['archivist', 'clerk'], { username: 'filer' });
  const filed = ok(
    await run(cli, [
      'item',
      'add',
      '--file',
      writeJson(cli, 'items.json', [
        reimbursement({ sensitivity: 'sensitive', title: '王建国 敏感报销审核表' }),
        reimbursement({ sensitivity: 'sensitive', title: '王建国 另一件敏感档案' }),
        reimbursement({ sensitivity: 'restricted', title: '王建国 限制报销审核表' }),
        reimbursement({ title: '王建国 普通报销审核表' }),
      ]),
    ]),
  )
    .trim()
    .split('\n');
  expect(filed).toHaveLength(4);
  [code.sensitive, code.sensitive2, code.restricted, code.normal] = filed as [string, string, string, string];
  await addUser(cli, ['clerk'], { username: CLERK, scope: ['J013/*/*'] });
  await addUser(cli, ['clerk'], { username: OTHER_CLERK, scope: ['J013/*/*'] });
  // Five of them: the nine approvals below then never wait for a fresh TOTP step.
  for (const username of ['sec.one', 'sec.two', 'sec.three', 'sec.four', 'sec.five']) {
    const { result } = await addUser(cli, ['secadmin'], { username });
    const secret = /密钥 ([A-Z2-7]{16,})\n/.exec(result.stdout)?.[1];
    expect(secret, result.stdout).toBeDefined();
    approvers.push({ username, secret: secret as string, lastStep: 0 });
  }
}, 180_000);
afterAll(() => database?.close());

describe('yidang access', { timeout: 300_000 }, () => {
  let approved: number;

  it('refuses a clerk a sensitive item before any request, in Chinese, and withholds it in lists', async () => {
    const refused = await show(CLERK, code.sensitive);
    expectRefused(refused, `档案“${code.sensitive}”${GRANT_REQUIRED}`);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).not.toContain('王');
    expectRefused(await show(CLERK, code.restricted), `档案“${code.restricted}”${GRANT_REQUIRED}`);
    // A normal item needs nothing.
    expect(JSON.parse(ok(await show(CLERK, code.normal)))).toMatchObject({ archiveCode: code.normal });
    const page = JSON.parse(ok(await run(cli, ['item', 'list', '--json', '--limit', '1000'], as(CLERK))));
    const entry = page.items.find((item: { archiveCode: string }) => item.archiveCode === code.sensitive);
    expect(entry).toMatchObject({
      withheld: true,
      title: '（内容已隐去，须经审批后查阅）',
      idNumber: null,
      name: null,
      // Nothing but the 档号 and the flag: sensitivity, category and 业务类型 could name a diagnosis.
      sensitivity: '',
      categoryName: '',
      businessType: null,
    });
    // Nor does a normal item or an hour too many make a request.
    expectRefused(
      await run(cli, ['access', 'request', code.normal, '--purpose', '核对报销材料'], as(CLERK)),
      `以下档案为普通档案，可直接查阅，无需申请：${code.normal}`,
    );
    expectRefused(
      await run(
        cli,
        ['access', 'request', code.sensitive, code.restricted, '--purpose', '核对报销材料', '--hours', '25'],
        as(CLERK),
      ),
      '查阅期限应为 1 至 24 小时的整数',
    );
    expectRefused(
      await run(cli, ['access', 'request', code.sensitive, '--purpose', '看看'], as(CLERK)),
      '查阅目的至少写4个字',
    );
    expectRefused(await run(cli, ['access', 'request', code.sensitive], as(CLERK)), '缺少必填选项 --purpose');
    expect(await listed(as(CLERK))).toEqual([]);
  });

  it('takes a request, shows it pending to the 安全保密员, and opens the items once approved', async () => {
    const id = await request(CLERK, [code.sensitive, code.restricted]);
    const secadmin = await asSecadmin();
    const inbox = await listed(secadmin);
    expect(inbox).toEqual([
      expect.objectContaining({
        id,
        requester: CLERK,
        status: 'pending',
        // A restricted item limits the request to a day, which is also the default.
        hours: 24,
        purpose: '核对报销材料',
        decidedBy: null,
        items: [code.sensitive, code.restricted]
          .sort()
          .map((archiveCode) => expect.objectContaining({ archiveCode })),
      }),
    ]);
    const table = ok(await run(cli, ['access', 'list', '--status', 'pending'], await asSecadmin()));
    expect(table).toContain('待审批');
    expect(table).toContain(CLERK);
    expect(table).toContain('核对报销材料');
    // The clerk sees it too, as its own; the other clerk sees nothing of it.
    expect((await listed(as(CLERK), '--mine')).map((entry) => entry.id)).toEqual([id]);
    expect(await listed(as(OTHER_CLERK))).toEqual([]);

    // Asking opens nothing; approving does, for the hours approved.
    expectRefused(await show(CLERK, code.sensitive), GRANT_REQUIRED);
    const approver = await asSecadmin();
    const decided = ok(
      await run(cli, ['access', 'approve', String(id), '--hours', '2', '--note', '同意'], approver),
    );
    expect(decided).toMatch(
      new RegExp(
        `^查阅申请 ${id}：已批准（2 件，2 小时，有效至 \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}）\\n$`,
      ),
    );
    // 有效至 is Beijing wall-clock time: two hours from now once read as +08:00.
    const until = /有效至 (\S+) (\S+)）/.exec(decided) ?? [];
    expect(Math.abs(Date.parse(`${until[1]}T${until[2]}+08:00`) - Date.now() - 2 * 3_600_000)).toBeLessThan(
      600_000,
    );
    const shown = await show(CLERK, code.sensitive);
    expect(JSON.parse(ok(shown))).toMatchObject({ archiveCode: code.sensitive, name: '王*国' });
    expect(JSON.parse(ok(await show(CLERK, code.restricted)))).toMatchObject({ sensitivity: 'restricted' });
    // Only the items asked for, only for the clerk who asked.
    expectRefused(await show(CLERK, code.sensitive2), GRANT_REQUIRED);
    expectRefused(await show(OTHER_CLERK, code.sensitive), GRANT_REQUIRED);
    expect(await listed(as(CLERK))).toEqual([
      expect.objectContaining({
        id,
        status: 'approved',
        hours: 2,
        decidedBy: approver.username,
        note: '同意',
        expiresAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
      }),
    ]);
    // The table's 有效至 is the Beijing wall clock, never UTC with a Z.
    expect(ok(await run(cli, ['access', 'list', '--status', 'approved'], as(CLERK)))).toMatch(
      /已批准.* \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\n$/,
    );

    // The log has each step and the read under the grant.
    expect((await events(`access-request:${id}`)).map(({ actor, action }) => ({ actor, action }))).toEqual([
      { actor: CLERK, action: 'access.requested' },
      { actor: approver.username, action: 'access.approved' },
    ]);
    const reads = (await events(`item:${code.sensitive}`)).filter((event) => event.action === 'item.read');
    expect(reads).toEqual([
      expect.objectContaining({
        actor: CLERK,
        payload: { sensitivity: 'sensitive', purpose: '核对报销材料', grantId: id },
      }),
    ]);
    approved = id;
  });

  it('revokes a grant early with a reason, closing the items again', async () => {
    expectRefused(await run(cli, ['access', 'revoke', String(approved)], as(CLERK)), '缺少必填选项 --note');
    // Revoking is the 安全保密员's, not the clerk's.
    expectRefused(
      await run(cli, ['access', 'revoke', String(approved), '--note', '不再需要'], as(CLERK)),
      '无权',
    );
    const revoked = ok(
      await run(cli, ['access', 'revoke', String(approved), '--note', '案件已办结'], await asSecadmin()),
    );
    expect(revoked).toMatch(new RegExp(`^查阅申请 ${approved}：已收回`));
    expectRefused(await show(CLERK, code.sensitive), GRANT_REQUIRED);
    expect((await listed(as(CLERK)))[0]).toMatchObject({
      status: 'revoked',
      note: '同意',
      revokeNote: '案件已办结',
    });
  });

  it('rejects with a reason, which the clerk reads, and the item stays closed', async () => {
    const id = await request(CLERK, [code.sensitive2], '--hours', '72');
    expectRefused(
      await run(cli, ['access', 'reject', String(id), '--note', '   '], await asSecadmin()),
      '请填写驳回理由',
    );
    const secadmin = await asSecadmin();
    const rejected = ok(await run(cli, ['access', 'reject', String(id), '--note', '目的不明确'], secadmin));
    expect(rejected).toBe(`查阅申请 ${id}：已驳回（1 件，72 小时）\n`);
    expect(await listed(as(CLERK), '--status', 'rejected')).toEqual([
      expect.objectContaining({ id, status: 'rejected', note: '目的不明确', decidedBy: secadmin.username }),
    ]);
    expectRefused(await show(CLERK, code.sensitive2), GRANT_REQUIRED);
    // Decided is decided.
    expectRefused(
      await run(cli, ['access', 'approve', String(id)], await asSecadmin()),
      `查阅申请 ${id} 当前为“已驳回”，不能批准`,
    );
  });

  it('lets the clerk withdraw its own pending request, and nobody else', async () => {
    const id = await request(CLERK, [code.sensitive2]);
    expectRefused(
      await run(cli, ['access', 'withdraw', String(id)], as(OTHER_CLERK)),
      `查阅申请 ${id} 不存在`,
    );
    const withdrawn = ok(await run(cli, ['access', 'withdraw', String(id)], as(CLERK)));
    expect(withdrawn).toBe(`查阅申请 ${id}：已撤回（1 件，24 小时）\n`);
    expectRefused(
      await run(cli, ['access', 'withdraw', String(id)], as(CLERK)),
      `查阅申请 ${id} 当前为“已撤回”，不能撤回`,
    );
    expect((await events(`access-request:${id}`)).map((event) => event.action)).toEqual([
      'access.requested',
      'access.withdrawn',
    ]);
  });

  it('refuses a clerk approving, and a request number that is malformed or unknown, in Chinese', async () => {
    const id = await request(OTHER_CLERK, [code.sensitive]);
    expectRefused(await run(cli, ['access', 'approve', String(id)], as(CLERK)), '无权');
    for (const bad of ['abc', '0', '-1', '1.5', '12abc'])
      expectRefused(await run(cli, ['access', 'withdraw', bad], as(CLERK)), '申请编号 应为 1–');
    expectRefused(await run(cli, ['access', 'withdraw', '424242'], as(CLERK)), '查阅申请 424242 不存在');
    expectRefused(
      await run(cli, ['access', 'approve', '424242'], await asSecadmin()),
      '查阅申请 424242 不存在',
    );
    expectRefused(await run(cli, ['access', 'list', '--status', 'bogus'], as(CLERK)), '--status 应为');
    expectRefused(
      await run(cli, ['access', 'approve', String(id), '--hours', 'x'], as(CLERK)),
      '--hours 应为 1–',
    );
    expect((await listed(as(OTHER_CLERK)))[0]).toMatchObject({ id, status: 'pending' });
    // Beyond the id column's integer range: a Chinese user error (exit 1), not a database error.
    expectRefused(await run(cli, ['access', 'withdraw', '99999999999'], as(CLERK)), '99999999999');
  });
});
