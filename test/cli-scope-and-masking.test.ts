// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { inTransaction } from '../src/db/transaction.js';
import { createUser } from '../src/modules/access/user.service.js';
import { openCase } from '../src/modules/cases/case.service.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { placeHold } from '../src/modules/catalog/hold.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { drawRegister } from '../src/modules/disposition/destruction.draw.js';
import { refreshAllExpiry } from '../src/modules/disposition/expiry.job.js';
import { detectDuplicates } from '../src/modules/duplicates/duplicates.service.js';
import { pushSettlements } from '../src/modules/fund/settlement.push.js';
import { logEvent } from '../src/modules/integrity/event-log.js';
import { recordIncident } from '../src/modules/kpi/kpi.incident.js';
import { reconcileList } from '../src/modules/ledgers/reconcile.service.js';
import { receiveBag } from '../src/modules/transfer/receive.service.js';
import { drawBatch } from '../src/modules/transfer/transfer.service.js';
import { openSystem } from '../src/system/system.js';
import { CLI_PASSWORD, type CliEnv, type CliResult, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { account, roundDeciding } from './helpers/destruction.js';
import { SYSTEM } from './helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from './helpers/fixtures.js';
import { plantFundWorld } from './helpers/fund-anomaly-probes.js';
import { plantRuleClues } from './helpers/fund-rule-probes.js';
import { addPerson, addSettlement } from './helpers/fund-rules.js';
import { plantedCount, plantSettlementSeries } from './helpers/fund-series.js';
import { decodeParts, leaksIn, maskAll } from './helpers/leak-scan.js';
import { rosterEntry, storeRoster } from './helpers/roster.js';
import { IN_PEOPLE, J013_SCOPE, OUT_FONDS, OUT_PEOPLE, OUTSIDE_MARKERS } from './helpers/scope-fixture.js';
import { probeSettlement } from './helpers/settlement-probes.js';

// The scope-and-masking test of the command line (issue 21): the built `yidang` run as a 经办人员
// scoped to J013/*/* without the right to unmask, on one data directory filled in-process (J013 and
// J014 items, a roster in both districts, duplicates, another user's reconciliation). Every command
// that prints personal data, and every file it writes, may hold no ID number in the clear and nothing
// of J014. Few processes: each spawn of the binary costs seconds. Needs a built dist/.

const CLERK = 'scope.clerk';
let database: TestDatabase | undefined;
let cli: CliEnv;
const code = { inside: '', sensitive: '', outside: '', outsideSensitive: '' };

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config, { initialize: true });
  try {
    const db = system.database.db;
    await createFonds(db, FONDS, 'test');
    await createFonds(db, OUT_FONDS, 'test');
    await createUser(
      db,
      { username: CLERK, password: CLI_PASSWORD, roles: ['clerk'], scope: J013_SCOPE },
      'test',
    );
    const liuhe = { fonds: 'J014', poolingRegion: '320116', responsible: '南京市六合区医疗保障局' };
    const of = (person: { name: string; id: string }, more: Record<string, unknown> = {}) =>
      reimbursement({
        name: person.name,
        idNumber: person.id,
        title: `${person.name} 个人零星医疗费用报销审核表`,
        businessType: '零星报销',
        insuredNumber: `${person.id.slice(0, 6)}0000001`,
        ...more,
      });
    const filed = await fileItems(
      db,
      [
        of(IN_PEOPLE.item),
        of(IN_PEOPLE.sensitive, { extra: { hospital: '江宁医院', diagnosis: '精神分裂症（F20.0）' } }),
        of(OUT_PEOPLE.item, liuhe),
        of(OUT_PEOPLE.sensitive, {
          ...liuhe,
          extra: { hospital: '六合人民医院', diagnosis: '艾滋病（B20）' },
        }),
        of(IN_PEOPLE.item, { title: `${IN_PEOPLE.item.name} 报销审核表（重报）` }),
        of(OUT_PEOPLE.item, { ...liuhe, title: `${OUT_PEOPLE.item.name} 报销审核表（重报）` }),
      ],
      'other-archivist',
      { access: SYSTEM },
    );
    [code.inside, code.sensitive, code.outside, code.outsideSensitive] = filed.map(
      (item) => item.archiveCode,
    ) as [string, string, string, string];
    await inTransaction(db, (trx) =>
      detectDuplicates(trx, [filed[4]?.id as number, filed[5]?.id as number], 'other-archivist'),
    );
    const person = (p: { name: string; id: string }, district: string) => {
      const entry = rosterEntry(p.name, p.id);
      entry.address = `南京市${district}示例街道1号`;
      entry.statuses = [{ identity: 'poverty', source: '扶贫办', includedOn: '2020-01-01', exitedOn: null }];
      return entry;
    };
    await storeRoster(db, [
      person(IN_PEOPLE.roster, '江宁区'),
      person(IN_PEOPLE.rosterTwo, '江宁区'),
      person(OUT_PEOPLE.roster, '六合区'),
      person(OUT_PEOPLE.rosterTwo, '六合区'),
    ]);
    await reconcileList(db, {
      content: Buffer.from(
        ['姓名,身份证号,人员类别', ...Object.values(OUT_PEOPLE).map((p) => `${p.name},${p.id},低保`)].join(
          '\n',
        ),
      ),
      fileName: '六合区低保名单.csv',
      source: '民政',
      actor: 'other-archivist',
    });
  } finally {
    await system.close();
  }
}, 180_000);

afterAll(async () => {
  fs.rmSync(cli?.home ?? '/nonexistent', { recursive: true, force: true });
  await database?.close();
});

const asClerk = (args: string[]) =>
  run(cli, args, { env: { YIDANG_USER: CLERK, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined } });

/** The leaks in a command's output and in the files it wrote to `dir`. */
async function leaksOf(label: string, result: CliResult, dir?: string): Promise<string[]> {
  // What the clerk typed (a 档号 of J014 asked for) may be named in the refusal.
  const markers = OUTSIDE_MARKERS.filter((marker) => !label.includes(marker));
  const found = leaksIn(`${result.stdout}\n${result.stderr}`, label, markers);
  for (const name of dir && fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!dir) break;
    for (const part of await decodeParts(fs.readFileSync(path.join(dir, name)), `${label} → ${name}`))
      found.push(...leaksIn(part.text, part.label, markers));
  }
  const crashed = result.code === null || result.code > 1 || result.stderr.includes('内部错误');
  return [
    ...(crashed ? [`${label}: exit ${result.code} ${maskAll(result.stderr.slice(0, 200))}`] : []),
    ...found.map((leak) => `${leak.where}: ${leak.kind} ${leak.what} in “${leak.context}”`),
  ];
}

it('prints and writes nothing outside J013 and no ID number in the clear to a scoped clerk', async () => {
  const problems: string[] = [];
  const check = async (args: string[], dir?: string) => {
    if (dir) fs.mkdirSync(dir, { recursive: true });
    const result = await asClerk(args);
    problems.push(...(await leaksOf(`yidang ${args.join(' ')}`, result, dir)));
    return result;
  };
  const listed = await check(['item', 'list', '--json', '--limit', '1000']);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toContain(code.inside);
  await check(['item', 'show', code.inside, '--unmask', '--purpose', '核查待遇申报材料']);
  await check(['search', '报销', '--json', '--limit', '100']);
  await check(['duplicates', 'list', '--status', 'all', '--json']);
  const out = path.join(cli.home, 'out');
  await check(
    ['ledger', 'enrollment', '--as-of', '2026-06-30', '--fonds', 'J013', '--format', 'both', '--out', out],
    out,
  );
  // A preview shows the same people without filing: its files are masked like the filed ledger's copy.
  const previewed = path.join(cli.home, 'preview');
  await check(
    ['ledger', 'benefits', '--from', '2026-01-01', '--to', '2026-06-30', '--preview', '--out', previewed],
    previewed,
  );
  const list = path.join(cli.home, '江宁区低保名单.csv');
  fs.writeFileSync(
    list,
    [
      '姓名,身份证号,人员类别',
      `${IN_PEOPLE.roster.name},${IN_PEOPLE.roster.id},低保`,
      `某某,${OUT_PEOPLE.roster.id},低保`,
    ].join('\n'),
  );
  const reconciled = path.join(cli.home, 'reconciled');
  await check(['reconcile', list, '--source', '民政', '--out', reconciled, '--json'], reconciled);
  // An item outside the scope answers exactly as one that does not exist.
  const outside = await check(['item', 'show', code.outside]);
  const missing = await asClerk(['item', 'show', code.outside.replace(/\d+$/, '9999')]);
  expect(outside.code).toBe(missing.code);
  expect(outside.stderr.split(code.outside).join('<档号>')).toBe(
    missing.stderr.split(code.outside.replace(/\d+$/, '9999')).join('<档号>'),
  );
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 180_000);

it('yidang use list / stats / effect: the register cut by scope, nothing of J014 printed or written', async () => {
  // Uses of an item of each fonds (a J014 record lent to a person only J014 holds), logged as the
  // lending module logs them; the commands take them into the register before answering.
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  try {
    const db = system.database.db;
    await createUser(
      db,
      { username: 'scope.manager', password: CLI_PASSWORD, roles: ['manager'], scope: J013_SCOPE },
      'test',
    );
    const lend = async (number: string, items: string[], borrower: Record<string, string>) => {
      const subject = `loan:${number}`;
      const payload = { kind: 'paper' as const, items, purpose: '核对', days: 5, borrower };
      await logEvent(db, { actor: 'other-archivist', action: 'loan.requested', subject, payload });
      await logEvent(db, {
        actor: 'other-archivist',
        action: 'loan.handed_over',
        subject,
        payload: { items, due: '2026-12-31' },
      });
    };
    await lend('JY2026-800001', [code.inside, code.sensitive], { user: CLERK });
    await lend('JY2026-800002', [code.outside, code.outsideSensitive], { person: OUT_PEOPLE.item.name });
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const as = async (user: string, args: string[], dir?: string) => {
    if (dir) fs.mkdirSync(dir, { recursive: true });
    const result = await run(cli, args, {
      env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(`${user}: yidang ${args.join(' ')}`, result, dir)));
    return result;
  };
  const own = await as(CLERK, ['use', 'list', '--json']);
  expect(own.code, own.stderr).toBe(0);
  expect(own.stdout).toContain(code.inside);
  const listed = await as('scope.manager', ['use', 'list']);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toContain(code.inside);
  const out = path.join(cli.home, 'use-out');
  const stats = await as(
    'scope.manager',
    ['use', 'stats', '--by', 'department', '--period', 'year', '--xlsx', path.join(out, '利用统计.xlsx')],
    out,
  );
  expect(stats.code, stats.stderr).toBe(0);
  expect(fs.existsSync(path.join(out, '利用统计.xlsx'))).toBe(true);
  await as('scope.manager', ['use', 'stats', '--by', 'category', '--fonds', 'J014']);
  // The J014 loan is not in a J013 manager's register, even asked for by its 档号.
  const outside = await as('scope.manager', ['use', 'list', '--json', '--item', code.outside]);
  expect(JSON.parse(outside.stdout).uses).toEqual([]);
  const refused = await as(CLERK, ['use', 'effect', '999999999', '维权']);
  expect(refused.stderr).toContain('利用登记');
  // The operator rebuilds the register from the log: the same four rows, counts only.
  const rebuilt = await run(cli, ['use', 'rebuild']);
  expect(rebuilt.stderr).toContain('利用登记簿已重建：4 条利用登记');
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 180_000);

it('yidang loan request / show / list: own J013 loans shown masked; a J014 档号 answers as a missing one', async () => {
  const problems: string[] = [];
  const check = async (args: string[]) => {
    const result = await asClerk(args);
    problems.push(...(await leaksOf(`yidang ${args.join(' ')}`, result)));
    return result;
  };
  const ask = (items: string[]) => [
    'loan',
    'request',
    ...items,
    '--kind',
    '电子阅览',
    '--purpose',
    '核查待遇申报材料',
    '--days',
    '3',
  ];
  const asked = await check(ask([code.inside, code.sensitive]));
  expect(asked.code, asked.stderr).toBe(0);
  const loanNo = /借阅单 (JY\d{4}-\d{6})/.exec(asked.stdout)?.[1] as string;
  const shown = await check(['loan', 'show', loanNo]);
  expect(shown.stdout).toContain(code.inside);
  expect((await check(['loan', 'show', loanNo, '--json'])).code).toBe(0);
  expect((await check(['loan', 'list', '--json'])).stdout).toContain(loanNo);
  const outside = await check(ask([code.outside]));
  const missing = await asClerk(ask([code.outside.replace(/\d+$/, '9999')]));
  expect(outside.code).toBe(1);
  expect(outside.stderr.split(code.outside).join('<档号>')).toBe(
    missing.stderr.split(code.outside.replace(/\d+$/, '9999')).join('<档号>'),
  );
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 180_000);

it('yidang appraisal list-due / open / add / propose / decide / show / list: masked, nothing of J014; a J014 round answers as a missing one', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  const [lead, member] = ['scope.appraiser', 'scope.appraiser2'];
  const foreign = 'JD-J014-2026-801';
  try {
    const db = system.database.db;
    for (const [username, role] of [
      [lead, 'archivist'],
      [member, 'reviewer'],
    ] as const)
      await createUser(db, { username, password: CLI_PASSWORD, roles: [role], scope: J013_SCOPE }, 'test');
    const expired = (person: { name: string; id: string }, more: Record<string, unknown> = {}) =>
      reimbursement({
        name: person.name,
        idNumber: person.id,
        title: `${person.name} 1990年零星报销审核表`,
        date: '1990-03-15',
        handledAt: '1990-03-15T10:00:00+08:00',
        retention: 'D10',
        ...more,
      });
    await fileItems(
      db,
      [
        expired(IN_PEOPLE.item),
        expired(OUT_PEOPLE.item, {
          fonds: 'J014',
          poolingRegion: '320116',
          responsible: '南京市六合区医疗保障局',
        }),
      ],
      'other-archivist',
      { access: SYSTEM },
    );
    await refreshAllExpiry(db);
    const { rows } = await sql<{ id: number }>`insert into appraisal_round
        (code, fonds_code, year, number, title, lead, opened_by)
      values (${foreign}, 'J014', 2026, 801, '六合区到期档案鉴定', 'other-archivist', 'other-archivist') returning id`.execute(
      db,
    );
    await sql`insert into appraisal_member (round_id, username, is_lead, added_by)
      values (${rows[0]?.id}, 'other-archivist', true, 'test')`.execute(db);
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const as = async (args: string[]) => {
    const result = await run(cli, args, {
      env: { YIDANG_USER: lead, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(`yidang ${args.join(' ')}`, result)));
    return result;
  };
  const due = await as(['appraisal', 'list-due', '--fonds', 'J013']);
  expect(due.stdout).toContain('王*国');
  expect(due.stdout).not.toContain(IN_PEOPLE.item.name);
  expect((await as(['appraisal', 'list-due', '--fonds', 'J013', '--json'])).code).toBe(0);
  const elsewhere = await as(['appraisal', 'list-due', '--fonds', 'J014', '--json']);
  expect(JSON.parse(elsewhere.stdout)).toMatchObject({ entries: [], items: [] });
  const opened = await as([
    'appraisal',
    'open',
    '--fonds',
    'J013',
    '--lead',
    lead,
    '--members',
    member,
    '--json',
  ]);
  const round = (JSON.parse(opened.stdout) as { code: string }).code;
  expect((await as(['appraisal', 'add', round, '--all'])).stdout).toContain('已列入鉴定 1 件');
  expect(
    (
      await as([
        'appraisal',
        'propose',
        round,
        '--proposal',
        'destroy',
        '--reason',
        '已过期无保存价值',
        'J013-NONE',
      ])
    ).code,
  ).toBe(1);
  const decided = await as([
    'appraisal',
    'decide',
    round,
    '--decision',
    '销毁',
    '--reason',
    '小组一致同意销毁',
  ]);
  expect(decided.stdout).toContain('销毁 1 件');
  const shown = await as(['appraisal', 'show', round]);
  expect(shown.stdout).toContain('王*国');
  expect((await as(['appraisal', 'list', '--json'])).stdout).not.toContain('J014');
  const outside = await as(['appraisal', 'show', foreign]);
  const missing = await as(['appraisal', 'show', 'JD-J014-2026-999']);
  expect(outside.code).toBe(1);
  expect(outside.stderr.replace(foreign, '<code>')).toBe(
    missing.stderr.replace('JD-J014-2026-999', '<code>'),
  );
  const decideForeign = await as([
    'appraisal',
    'decide',
    foreign,
    '--decision',
    'destroy',
    '--reason',
    '越权',
  ]);
  expect(decideForeign.stderr).toContain('不存在');
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 180_000);

it('yidang hold place / list / show / lift: the ID number never printed; a J014 hold answers as a missing one', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  let foreign = '';
  try {
    const db = system.database.db;
    await createUser(
      db,
      { username: 'scope.holder', password: CLI_PASSWORD, roles: ['archivist'], scope: J013_SCOPE },
      'test',
    );
    // Another archivist's hold on a J014 person.
    foreign = (
      await placeHold(db, SYSTEM, {
        fonds: 'J014',
        idNumber: OUT_PEOPLE.item.id,
        reason: '六合区骗保线索核查',
      })
    ).code;
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const as = async (args: string[], env: Record<string, string> = {}) => {
    const result = await run(cli, args, {
      env: { YIDANG_USER: 'scope.holder', YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined, ...env },
    });
    problems.push(...(await leaksOf(maskAll(`yidang ${args.join(' ')}`), result)));
    return result;
  };
  const place = ['hold', 'place', '--fonds', 'J013', '--reason', '骗保线索核查'];
  const placed = await as([...place, '--id-number', IN_PEOPLE.item.id]);
  expect(placed.code, placed.stderr).toBe(0);
  expect(placed.stdout).toContain(`${IN_PEOPLE.item.id.slice(0, 6)}********`);
  const held = /冻结 (DJ-\d{4}-\d+)/.exec(placed.stdout)?.[1] as string;
  const byEnv = await as([...place, '--json'], { YIDANG_HOLD_ID_NUMBER: IN_PEOPLE.sensitive.id });
  expect(byEnv.code, byEnv.stderr).toBe(0);
  expect(JSON.parse(byEnv.stdout).itemCount).toBe(1);
  const wrong = `${IN_PEOPLE.item.id.slice(0, 17)}${IN_PEOPLE.item.id.endsWith('0') ? '1' : '0'}`;
  const refused = await as([...place, '--id-number', wrong]);
  expect(refused.code).toBe(1);
  expect(`${refused.stdout}${refused.stderr}`).not.toContain(wrong);
  expect(refused.stderr).toContain('身份证号无效');
  const listed = await as(['hold', 'list', '--json']);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toContain(held);
  expect(listed.stdout).not.toContain(foreign);
  const shown = await as(['hold', 'show', held]);
  expect(shown.stdout).toContain(code.inside);
  await as(['hold', 'show', held, '--json']);
  for (const verb of [['show'], ['lift', '--reason', '越权解除试试']]) {
    const outside = await as(['hold', verb[0] as string, foreign, ...verb.slice(1)]);
    const missing = await as(['hold', verb[0] as string, 'DJ-2026-999999', ...verb.slice(1)]);
    expect(outside.code).toBe(1);
    expect(outside.stderr.split(foreign).join('<编号>')).toBe(
      missing.stderr.split('DJ-2026-999999').join('<编号>'),
    );
  }
  const lifted = await as(['hold', 'lift', held, '--reason', '线索核查完毕']);
  expect(lifted.stdout).toContain('已解除');
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 180_000);

it('yidang destroy draw / sign / approve / carry / show / list: nothing of J014, no ID number; a J014 register answers as a missing one', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  let foreign = '';
  let round = '';
  const users = {
    drawer: 'scope.drawer',
    lead: 'scope.lead',
    approver: 'scope.approver',
    w1: 'scope.w1',
    w2: 'scope.w2',
  };
  try {
    const db = system.database.db;
    for (const [key, role] of [
      ['drawer', 'archivist'],
      ['lead', 'reviewer'],
      ['approver', 'manager'],
      ['w1', 'reviewer'],
      ['w2', 'archivist'],
    ] as const)
      await createUser(
        db,
        { username: users[key], password: CLI_PASSWORD, roles: [role], scope: J013_SCOPE },
        'test',
      );
    const expired = (fonds: string, name: string, id: string) =>
      reimbursement({
        name,
        idNumber: id,
        title: `${name} 已到期的零星报销审核表`,
        date: '1990-03-15',
        handledAt: '1990-03-15T10:00:00+08:00',
        retention: 'D30',
        ...(fonds === 'J014'
          ? { fonds, poolingRegion: '320116', responsible: '南京市六合区医疗保障局' }
          : {}),
      });
    const [own, outside] = await fileItems(
      db,
      [
        expired('J013', '周立新', validId('32011519600101201')),
        expired('J014', '吴海燕', validId('32011619600101202')),
      ],
      'other-archivist',
      { access: SYSTEM },
    );
    round = (
      await roundDeciding(db, [own?.archiveCode as string], { lead: users.lead, members: [users.drawer] })
    ).code;
    // Another archivist's register of a J014 person's archive (not OUT_PEOPLE's: the hold test froze theirs).
    const everywhere = await account(db, 'all-archivist', ['archivist']);
    const theirs = await roundDeciding(
      db,
      [outside?.archiveCode as string],
      { lead: everywhere.username, members: ['x'] },
      'J014',
    );
    foreign = (await drawRegister(db, everywhere, { round: theirs.code })).code;
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const as = async (user: string, args: string[]) => {
    const result = await run(cli, args, {
      env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(maskAll(`yidang ${args.join(' ')}`), result)));
    return result;
  };
  const drawn = await as(users.drawer, ['destroy', 'draw', round]);
  expect(drawn.code, drawn.stderr).toBe(0);
  const register = /销毁清册 (XH-J013-\d{4}-\d+)/.exec(drawn.stdout)?.[1] as string;
  expect((await as(users.lead, ['destroy', 'sign', register, '--as', 'lead'])).code).toBe(0);
  expect((await as(users.approver, ['destroy', 'approve', register])).code).toBe(0);
  const twice = await as(users.approver, ['destroy', 'approve', register]);
  expect(twice.code).toBe(1);
  expect(twice.stderr).toContain('不能再次批准');
  expect((await as(users.w1, ['destroy', 'sign', register, '--as', 'witness'])).code).toBe(0);
  expect((await as(users.w2, ['destroy', 'sign', register, '--as', 'witness'])).code).toBe(0);
  const carried = await as(users.drawer, ['destroy', 'carry', register]);
  expect(carried.code, carried.stderr).toBe(0);
  expect(carried.stdout).toContain('已销毁 1/1 件');
  const shown = await as(users.drawer, ['destroy', 'show', register]);
  expect(shown.stdout).toContain('已销毁并归档');
  expect(shown.stdout).not.toContain('周立新');
  await as(users.drawer, ['destroy', 'show', register, '--json']);
  const listed = await as(users.drawer, ['destroy', 'list', '--json']);
  expect(listed.stdout).toContain(register);
  expect(listed.stdout).not.toContain(foreign);
  const missingCode = foreign.replace(/\d+$/, '999');
  for (const [user, verb] of [
    [users.drawer, ['show']],
    [users.approver, ['approve']],
    [users.w1, ['sign', '--as', 'witness']],
  ] as const) {
    const outside = await as(user, ['destroy', verb[0], foreign, ...verb.slice(1)]);
    const missing = await as(user, ['destroy', verb[0], missingCode, ...verb.slice(1)]);
    expect(outside.code).toBe(1);
    expect(outside.stderr.split(foreign).join('<编号>')).toBe(
      missing.stderr.split(missingCode).join('<编号>'),
    );
  }
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 240_000);

it('yidang transfer create / list / show / form: nothing of J014, no ID number; a J014 batch answers as a missing one', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  let foreign = '';
  let own = '';
  try {
    const db = system.database.db;
    await createUser(
      db,
      { username: 'scope.transferer', password: CLI_PASSWORD, roles: ['archivist'], scope: J013_SCOPE },
      'test',
    );
    const [inside, outside] = await fileItems(
      db,
      [
        reimbursement({
          name: '郑晓梅',
          idNumber: validId('32011519600101311'),
          title: '郑晓梅 待移交的报销审核表',
        }),
        reimbursement({
          fonds: 'J014',
          poolingRegion: '320116',
          responsible: '南京市六合区医疗保障局',
          name: OUT_PEOPLE.item.name,
          idNumber: validId('32011619600101312'),
          title: `${OUT_PEOPLE.item.name} 待移交的报销审核表`,
        }),
      ],
      'test',
      { access: SYSTEM },
    );
    own = inside?.archiveCode as string;
    // Their four-property checks as the check service keeps a passed run.
    for (const archiveCode of [own, outside?.archiveCode as string]) {
      const { rows } = await sql<{ id: number }>`insert into check_run
          (trigger, target_kind, target, run_by, started_at, items, failed_items, passed, failed, skipped)
        values ('transfer', 'item', ${archiveCode}, 'test', now(), 1, 0, 1, 0, 0) returning id`.execute(db);
      await sql`insert into check_result (run_id, item_id, check_id, status, detail)
        select ${Number(rows[0]?.id)}, i.id, 'digest', 'pass', '走查' from archive_item i
        where i.archive_code = ${archiveCode}`.execute(db);
    }
    foreign = (
      await drawBatch(db, SYSTEM, {
        fonds: 'J014',
        items: [outside?.archiveCode as string],
        receiver: '南京市档案馆',
      })
    ).code;
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const as = async (args: string[], dir?: string) => {
    const result = await run(cli, args, {
      env: { YIDANG_USER: 'scope.transferer', YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(maskAll(`yidang ${args.join(' ')}`), result, dir)));
    return result;
  };
  // By a query both fonds' items match: only J013's is drawn; withdrawn so the 档号 draw below takes it.
  const byQuery = await as([
    'transfer',
    'create',
    '--fonds',
    'J013',
    '--query',
    '待移交的报销审核表',
    '--receiver',
    '南京市档案馆',
  ]);
  expect(byQuery.code, byQuery.stderr).toBe(0);
  const queried = /移交批次 (YJ-J013-\d{4}-\d+)/.exec(byQuery.stdout)?.[1] as string;
  const shownQuery = await as(['transfer', 'show', queried]);
  expect(shownQuery.stdout).toContain(own);
  expect(shownQuery.stdout).toContain('检索式：待移交的报销审核表');
  expect((await as(['transfer', 'withdraw', queried, '--reason', '改按档号编制'])).code).toBe(0);
  const created = await as([
    'transfer',
    'create',
    '--fonds',
    'J013',
    '--item',
    own,
    '--receiver',
    '南京市档案馆',
  ]);
  expect(created.code, created.stderr).toBe(0);
  const batch = /移交批次 (YJ-J013-\d{4}-\d+)/.exec(created.stdout)?.[1] as string;
  const shown = await as(['transfer', 'show', batch]);
  expect(shown.stdout).toContain(own);
  expect(shown.stdout).not.toContain('郑晓梅');
  await as(['transfer', 'show', batch, '--json']);
  const listed = await as(['transfer', 'list', '--json']);
  expect(listed.stdout).toContain(batch);
  expect(listed.stdout).not.toContain(foreign);
  const dir = path.join(cli.home, 'transfer-forms');
  fs.mkdirSync(dir, { recursive: true });
  for (const format of ['xlsx', 'pdf'])
    expect(
      (await as(['transfer', 'form', batch, '--out', path.join(dir, `登记表.${format}`)], dir)).code,
    ).toBe(0);
  const missingCode = foreign.replace(/\d+$/, '999');
  for (const verb of [
    ['show'],
    ['withdraw', '--reason', '越权撤销试试'],
    ['form', '--out', path.join(dir, 'x.pdf')],
  ]) {
    const outside = await as(['transfer', verb[0] as string, foreign, ...verb.slice(1)]);
    const missing = await as(['transfer', verb[0] as string, missingCode, ...verb.slice(1)]);
    expect(outside.code).toBe(1);
    expect(outside.stderr.split(foreign).join('<编号>')).toBe(
      missing.stderr.split(missingCode).join('<编号>'),
    );
  }
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 240_000);

it('yidang receive: a fonds outside J013 answers as a missing one; the outcome and 回执 hold nothing of J014', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  try {
    await createUser(
      system.database.db,
      { username: 'scope.receiver', password: CLI_PASSWORD, roles: ['archivist'], scope: J013_SCOPE },
      'test',
    );
  } finally {
    await system.close();
  }
  // A bag in name only (no manifest, no payload): received into J013 it is rejected with its problems.
  const bag = path.join(cli.home, 'receive-scope', 'YJ-J013-2026-88');
  fs.mkdirSync(bag, { recursive: true });
  fs.writeFileSync(path.join(bag, 'bagit.txt'), 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n');
  fs.writeFileSync(
    path.join(bag, 'bag-info.txt'),
    'Source-Organization: 外地医疗保障局\nExternal-Identifier: YJ-J013-2026-88\n',
  );
  const problems: string[] = [];
  const as = async (args: string[], dir?: string) => {
    const result = await run(cli, args, {
      env: { YIDANG_USER: 'scope.receiver', YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(`yidang ${args.join(' ')}`, result, dir)));
    return result;
  };
  const out = path.join(cli.home, 'receive-scope-out');
  const own = await as(['receive', bag, '--fonds', 'J013', '--out', out, '--json'], out);
  expect(own.code).toBe(1);
  expect(JSON.parse(own.stdout)).toMatchObject({ state: 'rejected', batch: 'YJ-J013-2026-88' });
  const outside = await as(['receive', bag, '--fonds', 'J014', '--out', out]);
  const missing = await as(['receive', bag, '--fonds', 'J999', '--out', out]);
  expect(outside.code).toBe(1);
  expect(outside.stderr.replace('J014', '<fonds>')).toBe(missing.stderr.replace('J999', '<fonds>'));
  // What was received: J013's bag listed and shown; J014's (received by the system) answers as missing.
  const foreignBag = path.join(cli.home, 'receive-scope', 'YJ-J014-2026-89');
  fs.mkdirSync(foreignBag, { recursive: true });
  fs.writeFileSync(
    path.join(foreignBag, 'bagit.txt'),
    'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n',
  );
  fs.writeFileSync(
    path.join(foreignBag, 'bag-info.txt'),
    `Source-Organization: ${OUT_PEOPLE.item.name}所在单位\nExternal-Identifier: YJ-J014-2026-89\n`,
  );
  const receiving = await openSystem(loadConfig({ ...cli.env }, cli.home));
  try {
    const context = {
      db: receiving.database.db,
      store: receiving.store,
      signer: receiving.signingKey,
    };
    await receiveBag(context, SYSTEM, foreignBag, { fonds: 'J014' });
  } finally {
    await receiving.close();
  }
  const listed = await as(['receive', 'list']);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toContain('YJ-J013-2026-88');
  expect(listed.stdout).not.toContain('YJ-J014-2026-89');
  await as(['receive', 'list', '--json']);
  const shownBag = await as(['receive', 'show', 'YJ-J013-2026-88']);
  expect(shownBag.code, shownBag.stderr).toBe(0);
  expect(shownBag.stdout).toContain('全部拒收');
  await as(['receive', 'show', 'YJ-J013-2026-88', '--json']);
  const foreignShown = await as(['receive', 'show', 'YJ-J014-2026-89']);
  const neverShown = await as(['receive', 'show', 'YJ-J014-2026-90']);
  expect(foreignShown.code).toBe(1);
  expect(foreignShown.stderr.replace('89', '<n>')).toBe(neverShown.stderr.replace('90', '<n>'));
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 120_000);

it('yidang anomalies / groups: 江宁 only, people masked; a region outside J013 answers as one that does not exist', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  try {
    await createUser(
      system.database.db,
      { username: 'scope.supervisor', password: CLI_PASSWORD, roles: ['supervisor'], scope: J013_SCOPE },
      'test',
    );
    await plantFundWorld(system.database.db);
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const as = async (user: string, args: string[]) => {
    const result = await run(cli, args, {
      env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(`yidang ${args.join(' ')}`, result)));
    // 六合's region code only where the caller typed it (echoed as the region asked for).
    if (!args.includes('320116')) expect(`${result.stdout}${result.stderr}`).not.toContain('320116');
    return result;
  };
  const period = ['--from', '2026-01-01', '--to', '2026-06-30'];
  const table = await as('scope.supervisor', ['anomalies', ...period]);
  expect(table.code, table.stderr).toBe(0);
  expect(table.stdout).toMatch(/江宁第8医院.*次均费用 6,000\.00 元，同级（二级）同统筹区 8 家机构中位数/);
  const masked = `${IN_PEOPLE.item.id.slice(0, 6)}********${IN_PEOPLE.item.id.slice(-4)}`;
  const people = await as('scope.supervisor', [
    'anomalies',
    ...period,
    '--kind',
    'person',
    '--min-volume',
    '1',
    '--json',
  ]);
  expect(JSON.parse(people.stdout).flags.map((flag: { subject: string }) => flag.subject)).toContain(masked);
  const groups = await as('scope.supervisor', ['groups', ...period, '--members', '500']);
  expect(groups.code, groups.stderr).toBe(0);
  expect(groups.stdout).toContain(masked);
  expect(groups.stdout).toMatch(/【高风险】/);
  const outside = await as('scope.supervisor', ['anomalies', ...period, '--region', '320116', '--json']);
  const missing = await as('scope.supervisor', ['anomalies', ...period, '--region', '320199', '--json']);
  expect(outside.stdout.replace('320116', '<区>')).toBe(missing.stdout.replace('320199', '<区>'));
  expect(JSON.parse(outside.stdout).subjects).toBe(0);
  // A 经办人员 holds no fund.read: refused in Chinese, nothing printed.
  const refused = await as(CLERK, ['groups', ...period]);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toBe('');
  expect(refused.stderr).toMatch(/^错误：/);
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 120_000);

it('yidang kpi: J013 only, counts only, in the table, JSON and the XLSX/PDF report; J014 answers as a fonds that does not exist', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  try {
    const db = system.database.db;
    await createUser(
      db,
      { username: 'scope.kpi', password: CLI_PASSWORD, roles: ['manager'], scope: J013_SCOPE },
      'test',
    );
    await recordIncident(db, SYSTEM, {
      fonds: 'J014',
      kind: 'leak',
      occurredAt: new Date().toISOString(),
      description: '六合区服务大厅报销材料遗失（走查）',
    });
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const as = async (args: string[], dir?: string) => {
    if (dir) fs.mkdirSync(dir, { recursive: true });
    const result = await run(cli, args, {
      env: { YIDANG_USER: 'scope.kpi', YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(`scope.kpi: yidang ${args.join(' ')}`, result, dir)));
    return result;
  };
  const out = path.join(cli.home, 'kpi-out');
  const shown = await as(
    ['kpi', '--xlsx', path.join(out, '考核报告.xlsx'), '--pdf', path.join(out, '考核报告.pdf')],
    out,
  );
  expect(shown.code, shown.stderr).toBe(0);
  expect(shown.stdout).toContain('档案完整率');
  expect(shown.stdout).toContain('J013');
  expect(fs.readdirSync(out).sort()).toEqual(['考核报告.pdf', '考核报告.xlsx']);
  const json = await as(['kpi', '--json']);
  expect(JSON.parse(json.stdout).units.map((unit: { code: string }) => unit.code)).toEqual(['J013']);
  const outside = await as(['kpi', '--fonds', 'J014']);
  const missing = await as(['kpi', '--fonds', 'J099']);
  expect(outside.code).toBe(1);
  expect(outside.stderr.split('J014').join('<全宗>')).toBe(missing.stderr.split('J099').join('<全宗>'));
  const refused = await run(cli, ['kpi'], {
    env: { YIDANG_USER: CLERK, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
  });
  expect(refused.code).toBe(1);
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 180_000);

it('yidang forecast --series: 江宁 only; a region outside J013 answers as one that does not exist', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  try {
    await createUser(
      system.database.db,
      { username: 'scope.forecaster', password: CLI_PASSWORD, roles: ['supervisor'], scope: J013_SCOPE },
      'test',
    );
    await plantSettlementSeries(system.database.db, { region: '320115', from: '2022-01', months: 30 });
    await plantSettlementSeries(system.database.db, { region: '320116', from: '2022-01', months: 30 });
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const as = async (user: string, args: string[]) => {
    const result = await run(cli, args, {
      env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(`yidang ${args.join(' ')}`, result)));
    // A region the caller typed may be named back in the refusal; nothing else of 六合 may appear.
    if (!args.includes('320116')) expect(`${result.stdout}${result.stderr}`).not.toContain('320116');
    return result;
  };
  const json = await as('scope.forecaster', [
    'forecast',
    '--series',
    'settlements',
    '--horizon',
    '3',
    '--json',
  ]);
  expect(json.code, json.stderr).toBe(0);
  const history = JSON.parse(json.stdout).history as Array<{ period: string; value: number }>;
  // 江宁's own count of a month, with nothing of 六合 added in.
  expect(history.find((point) => point.period === '2022-01')?.value).toBe(plantedCount('320115', 0));
  const table = await as('scope.forecaster', ['forecast', '--series', 'enrollment', '--horizon', '3']);
  expect(table.code, table.stderr).toBe(0);
  const outside = await as('scope.forecaster', ['forecast', '--series', 'fund_paid', '--region', '320116']);
  const missing = await as('scope.forecaster', ['forecast', '--series', 'fund_paid', '--region', '320199']);
  expect(outside.code).toBe(1);
  expect(outside.stderr.replace('320116', '<区>')).toBe(missing.stderr.replace('320199', '<区>'));
  const refused = await as(CLERK, ['forecast', '--series', 'settlements']);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toBe('');
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 120_000);

it('yidang audit-rules / clue: 江宁 only, the person as a key prefix; a 六合 clue or region answers as one that does not exist', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  let outClue = 0;
  try {
    await createUser(
      system.database.db,
      { username: 'scope.rules', password: CLI_PASSWORD, roles: ['supervisor'], scope: J013_SCOPE },
      'test',
    );
    // 六合's clue made by the system; 江宁's settlement waits for the user's own run.
    outClue = (await plantRuleClues(system.database.db, ['320116'])).outClue;
    await addPerson(system.database.db, 'cli320115', { sex: '女', region: '320115' });
    await addSettlement(system.database.db, {
      serial: 'RC-320115',
      person: 'cli320115',
      region: '320115',
      institution: 'RC320115',
      institutionName: '江宁测试医院',
      admit: '2026-03-04',
      lines: [{ code: 'TMALE', date: '2026-03-04' }],
    });
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const as = async (user: string, args: string[]) => {
    const result = await run(cli, args, {
      env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(`yidang ${args.join(' ')}`, result)));
    return result;
  };
  const list = await as('scope.rules', ['audit-rules', 'list']);
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toContain('分解住院');
  const show = await as('scope.rules', ['audit-rules', 'show', 'split_admission']);
  expect(show.stdout).toMatch(/间隔天数.*15.*整数 1～90/);
  const bad = await as('scope.rules', [
    'audit-rules',
    'set',
    'split_admission',
    '--param',
    'days=91',
    '--reason',
    '按本地政策调整',
  ]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/^错误：.*间隔天数.*1 至 90/);
  const ran = await as('scope.rules', [
    'audit-rules',
    'run',
    '--from',
    '2026-03-04',
    '--to',
    '2026-03-04',
    '--rule',
    'sex_mismatch',
    '--json',
  ]);
  expect(ran.code, ran.stderr).toBe(0);
  expect(JSON.parse(ran.stdout)).toMatchObject({ region: '320115', state: 'finished', clues: 1 });
  const clues = await as('scope.rules', ['clue', 'list', '--rule', 'sex_mismatch', '--json']);
  const [inClue] = JSON.parse(clues.stdout).clues as Array<{ id: number; serials: string[]; person: string }>;
  expect(inClue?.serials).toEqual(['RC-320115']);
  expect(`${clues.stdout}`).not.toContain('320116');
  const shown = await as('scope.rules', ['clue', 'show', String(inClue?.id)]);
  expect(shown.code, shown.stderr).toBe(0);
  expect(shown.stdout).toContain('性别不符');
  expect(shown.stdout).toContain('江宁测试医院');
  const missingId = '987654';
  for (const args of [
    ['clue', 'show'],
    ['clue', 'dismiss'],
  ]) {
    const extra = args[1] === 'dismiss' ? ['--reason', '核实为正常就诊'] : [];
    const outside = await as('scope.rules', [...args, String(outClue), ...extra]);
    const missing = await as('scope.rules', [...args, missingId, ...extra]);
    expect(outside.code).toBe(1);
    expect(outside.stderr.replace(String(outClue), '<id>')).toBe(missing.stderr.replace(missingId, '<id>'));
  }
  const outsideRun = await as('scope.rules', [
    'audit-rules',
    'run',
    '--from',
    '2026-03-01',
    '--to',
    '2026-03-31',
    '--region',
    '320116',
  ]);
  const missingRun = await as('scope.rules', [
    'audit-rules',
    'run',
    '--from',
    '2026-03-01',
    '--to',
    '2026-03-31',
    '--region',
    '320199',
  ]);
  expect(outsideRun.stderr.replace('320116', '<区>')).toBe(missingRun.stderr.replace('320199', '<区>'));
  // A 经办人员 holds no fund.read: refused in Chinese, nothing printed.
  const refused = await as(CLERK, ['clue', 'list']);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toBe('');
  expect(refused.stderr).toMatch(/^错误：/);
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 120_000);

it('yidang case open / list / show / assign / note / attach / conclude / close: nothing of J014, no ID number; a J014 case answers as a missing one', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  let foreign = '';
  try {
    const db = system.database.db;
    await createUser(
      db,
      { username: 'scope.caseworker', password: CLI_PASSWORD, roles: ['supervisor'], scope: J013_SCOPE },
      'test',
    );
    // The system's case in 六合区 over a J014 person's archive.
    foreign = await openCase(db, SYSTEM, {
      title: '六合区某医院重复收费',
      fonds: 'J014',
      region: '320116',
      reason: '六合区群众举报',
      items: [code.outside],
    });
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const as = async (args: string[]) => {
    const result = await run(cli, args, {
      env: { YIDANG_USER: 'scope.caseworker', YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(maskAll(`yidang ${args.join(' ')}`), result)));
    return result;
  };
  const opened = await as([
    'case',
    'open',
    '江宁区某医院挂床住院',
    '--fonds',
    'J013',
    '--region',
    '320115',
    '--reason',
    '群众举报',
    '--items',
    `${code.inside},${code.sensitive}`,
  ]);
  expect(opened.code, opened.stderr).toBe(0);
  const own = /核查案件 (HC\d{8})/.exec(opened.stdout)?.[1] as string;
  const outsideItem = await as(['case', 'attach', own, code.outside]);
  expect(outsideItem.code).toBe(1);
  expect(outsideItem.stderr).toContain('不存在或不在您的档案范围内');
  const listed = await as(['case', 'list', '--json']);
  expect(listed.stdout).toContain(own);
  expect(listed.stdout).not.toContain(foreign);
  await as(['case', 'list']);
  const shown = await as(['case', 'show', own]);
  expect(shown.stdout).toContain(code.inside);
  await as(['case', 'show', own, '--json']);
  for (const verb of [
    ['show'],
    ['note', '越权记录'],
    ['assign', 'scope.caseworker'],
    ['attach', code.inside],
    ['conclude', '不违规', '--reason', '越权结论试试'],
    ['close'],
  ]) {
    const outside = await as(['case', verb[0] as string, foreign, ...verb.slice(1)]);
    const missing = await as(['case', verb[0] as string, 'HC20269999', ...verb.slice(1)]);
    expect(outside.code).toBe(1);
    expect(outside.stderr.split(foreign).join('<编号>')).toBe(
      missing.stderr.split('HC20269999').join('<编号>'),
    );
  }
  for (const step of [
    ['note', own, '调取病历核对'],
    ['assign', own, 'scope.caseworker'],
    ['conclude', own, '违规', '--amount', '300'],
    ['close', own],
  ]) {
    const result = await as(['case', ...step]);
    expect(result.code, `${step[0]}: ${result.stderr}`).toBe(0);
  }
  expect((await as(['case', 'show', own])).stdout).toContain('已结案');
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 300_000);

it('yidang settle list / show / import: 江宁 only, the person masked; a 六合 settlement answers as one that does not exist', async () => {
  const config = loadConfig({ ...cli.env }, cli.home);
  const system = await openSystem(config);
  try {
    const db = system.database.db;
    await createUser(
      db,
      { username: 'scope.settler', password: CLI_PASSWORD, roles: ['supervisor'], scope: J013_SCOPE },
      'test',
    );
    await pushSettlements(db, SYSTEM, [
      probeSettlement('CSJN001', '320115', IN_PEOPLE.item.id, '南京市江宁区人民医院'),
      probeSettlement('CSLH001', '320116', OUT_PEOPLE.item.id, '南京市六合区人民医院'),
    ]);
    await fileItems(
      db,
      [
        reimbursement({ extra: { hospital: '江宁医院', settlementSerial: 'CSJN001' } }),
        reimbursement({
          fonds: 'J014',
          poolingRegion: '320116',
          idNumber: OUT_PEOPLE.item.id,
          name: OUT_PEOPLE.item.name,
          title: `${OUT_PEOPLE.item.name} 个人零星医疗费用报销审核表`,
          extra: { hospital: '六合医院', settlementSerial: 'CSJN001' },
        }),
      ],
      'test',
      { access: SYSTEM },
    );
  } finally {
    await system.close();
  }
  const problems: string[] = [];
  const dir = fs.mkdtempSync(path.join(cli.home, 'settle-'));
  const as = async (user: string, args: string[], typed = '') => {
    const result = await run(cli, args, {
      env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    });
    problems.push(...(await leaksOf(`yidang ${args.join(' ')} ${typed}`, result, dir)));
    if (!`${args.join(' ')} ${typed}`.includes('320116'))
      expect(`${result.stdout}${result.stderr}`).not.toContain('320116');
    return result;
  };
  const masked = `${IN_PEOPLE.item.id.slice(0, 6)}********${IN_PEOPLE.item.id.slice(-4)}`;
  const list = await as('scope.settler', ['settle', 'list']);
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toContain('CSJN001');
  expect(list.stdout).toContain(masked);
  expect(list.stdout).not.toContain('CSLH001');
  const json = await as('scope.settler', ['settle', 'list', '--json', '--limit', '500']);
  // Earlier walks plant 江宁 settlements in the same home: ours is among them, 六合's never is.
  const listed = JSON.parse(json.stdout).settlements.map((row: { serial: string }) => row.serial);
  expect(listed).toContain('CSJN001');
  expect(listed).not.toContain('CSLH001');
  const show = await as('scope.settler', ['settle', 'show', 'CSJN001']);
  expect(show.code, show.stderr).toBe(0);
  expect(show.stdout).toContain(masked);
  expect(show.stdout).toMatch(/J013-/);
  const outside = await as('scope.settler', ['settle', 'show', 'CSLH001']);
  const missing = await as('scope.settler', ['settle', 'show', 'CSLH999']);
  expect(outside.code).toBe(1);
  expect(outside.stderr.replace('CSLH001', '<号>')).toBe(missing.stderr.replace('CSLH999', '<号>'));
  const byPerson = await as('scope.settler', ['settle', 'list', '--id-number', OUT_PEOPLE.item.id, '--json']);
  expect(JSON.parse(byPerson.stdout).settlements).toEqual([]);
  // An extract holding a 六合 settlement: refused for the region, reported without the person.
  const extract = path.join(cli.home, 'mixed.csv');
  const header =
    '结算流水号,身份证号,统筹区,定点医药机构编码,定点医药机构名称,医疗机构等级,医疗类别,入院日期,主要诊断编码,医疗费总额,基金支付,个人负担,结算日期,医保项目编码,数量,单价,金额,费用发生日期';
  const row = (serial: string, region: string, id: string) =>
    `${serial},${id},${region},H${region}00002,某医院,二级,门诊,2026-03-05,J06.900,10.00,6.00,4.00,2026-03-05,110100001000000,1,10.00,10.00,2026-03-05`;
  fs.writeFileSync(
    extract,
    `${header}\r\n${row('CSJN002', '320115', IN_PEOPLE.item.id)}\r\n${row('CSLH002', '320116', OUT_PEOPLE.item.id)}\r\n`,
  );
  const imported = await as(
    'scope.settler',
    ['settle', 'import', extract, '--report', path.join(dir, 'report.xlsx')],
    '320116',
  );
  expect(imported.code).toBe(1);
  expect(imported.stdout).toContain('导入 1 笔');
  expect(imported.stdout).toContain('不在您的数据范围内');
  const refused = await as(CLERK, ['settle', 'list']);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toBe('');
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
}, 120_000);
