import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { payloadOf } from '../../../test/helpers/events.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { createFonds } from '../catalog/fonds.service.js';
import { fileItems } from '../catalog/item.service.js';
import { addPerson, addSettlement, addTestItems } from '../../../test/helpers/fund-rules.js';
import type { ScopeRow } from '../access/access.repo.js';
import { findUserByName } from '../access/access.repo.js';
import { accessContextOf, loadPrincipal } from '../access/principal.js';
import type { Role } from '../access/roles.js';
import { createUser } from '../access/user.service.js';
import type { AccessContext } from '../../shared/access-context.js';
import { JobRuntime } from '../jobs/job.runtime.js';
import {
  archivesOfClue,
  attachCluesToCase,
  dismissClue,
  listClues,
  readClue,
  releaseCluesFromCase,
} from './clue.service.js';
import { listRules, setRule, showRule } from './rule.service.js';
import { executeRun, fundRunJob, listRuns, showRun, startRun } from './run.service.js';

// Rule settings, runs as jobs and their clues on a real database (PGlite, or PostgreSQL with
// DATABASE_URL): changes with a reason and a version, a run's clues with their evidence, the same
// clues again from the same data and versions, states with events, and the caller's regions.

let database: TestDatabase;
const db = () => database.db;
let supervisor: AccessContext;
let elsewhere: AccessContext;
let everywhere: AccessContext;
let clerk: AccessContext;

async function contextOf(name: string, roles: Role[], scope: ScopeRow[]): Promise<AccessContext> {
  await createUser(db(), { username: name, password: 'Archive-Test-Passw0rd!', roles, scope }, 'test');
  const row = await findUserByName(db(), name);
  const principal = await loadPrincipal(db(), row?.id as number, 'session');
  if (!principal) throw new Error(name);
  return accessContextOf(db(), principal);
}

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  }
  return 'resolved';
};

async function events(action: string) {
  const rows = await db()
    .selectFrom('integrity_event')
    .selectAll()
    .where('action', '=', action)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({ actor: row.actor, subject: row.subject, data: payloadOf(row.payload) }));
}

beforeAll(async () => {
  database = await openTestDatabase();
  await addTestItems(db());
  await addPerson(db(), 'RA', { region: '320115' });
  await addPerson(db(), 'RB', { region: '320115', death: '2026-02-01' });
  await addPerson(db(), 'RC', { region: '320116', sex: '女' });
  await addSettlement(db(), {
    serial: 'R-A1',
    person: 'RA',
    region: '320115',
    admit: '2026-03-01',
    lines: [
      { code: 'TEXAM', date: '2026-03-01' },
      { code: 'TDRUG', date: '2026-03-01' },
    ],
  });
  await addSettlement(db(), {
    serial: 'R-A2',
    person: 'RA',
    region: '320115',
    institution: 'H002',
    admit: '2026-03-01',
    lines: [{ code: 'TEXAM', date: '2026-03-01' }],
  });
  await addSettlement(db(), {
    serial: 'R-B1',
    person: 'RB',
    region: '320115',
    admit: '2026-03-03',
    lines: [{ code: 'TEXAM', date: '2026-03-03' }],
  });
  await addSettlement(db(), {
    serial: 'R-C1',
    person: 'RC',
    region: '320116',
    admit: '2026-03-03',
    lines: [{ code: 'TMALE', date: '2026-03-03' }],
  });
  supervisor = await contextOf(
    'sup-jn',
    ['supervisor'],
    [{ fondsCode: null, regionCode: '320115', categoryCode: null }],
  );
  elsewhere = await contextOf(
    'sup-lh',
    ['supervisor'],
    [{ fondsCode: null, regionCode: '320116', categoryCode: null }],
  );
  everywhere = await contextOf(
    'sup-all',
    ['supervisor'],
    [{ fondsCode: null, regionCode: null, categoryCode: null }],
  );
  clerk = await contextOf(
    'clerk-jn',
    ['clerk'],
    [{ fondsCode: null, regionCode: '320115', categoryCode: null }],
  );
}, 120_000);
afterAll(() => database?.close());

const runAll = () => new JobRuntime(db()).register(fundRunJob(db())).drain();

describe('rule settings', () => {
  it('lists the twelve rules with their Chinese descriptions, parameters and version 1 (seeded)', async () => {
    const rules = await listRules(db(), supervisor);
    expect(rules.map((rule) => rule.name)).toEqual([
      '重复结算',
      '同时住院',
      '分解住院',
      '挂床住院',
      '超量开药',
      '重复收费',
      '超标准收费',
      '分解收费',
      '性别不符',
      '年龄不符',
      '限定支付范围',
      '死亡后就医',
    ]);
    for (const rule of rules) {
      expect(rule.version).toBe(1);
      expect(rule.active).toBe(true);
      expect(rule.description.length).toBeGreaterThan(30);
    }
    const split = await showRule(db(), supervisor, 'split_admission');
    expect(split.params.find((param) => param.name === 'days')).toMatchObject({
      value: 15,
      min: 1,
      max: 90,
      label: '间隔天数',
    });
    expect(split.params.find((param) => param.name === 'plannedPrefixes')?.value).toEqual(['Z51', 'Z49']);
  });

  it('refuses bad changes with their codes, and one without fund.rules', async () => {
    const reason = '根据本地政策调整';
    expect(await codeOf(setRule(db(), supervisor, 'split_admission', { params: { days: 91 }, reason }))).toBe(
      'FUND_RULE_PARAM_RANGE',
    );
    expect(
      await codeOf(setRule(db(), supervisor, 'split_admission', { params: { days: 2.5 }, reason })),
    ).toBe('FUND_RULE_PARAM_INVALID');
    expect(
      await codeOf(setRule(db(), supervisor, 'split_admission', { params: { days: 'abc' }, reason })),
    ).toBe('FUND_RULE_PARAM_INVALID');
    expect(await codeOf(setRule(db(), supervisor, 'split_admission', { params: { weeks: 2 }, reason }))).toBe(
      'FUND_RULE_PARAM_INVALID',
    );
    expect(
      await codeOf(
        setRule(db(), supervisor, 'split_admission', { params: { plannedPrefixes: ['Z51', '51Z'] }, reason }),
      ),
    ).toBe('FUND_RULE_PARAM_INVALID');
    expect(
      await codeOf(setRule(db(), supervisor, 'phantom_bed', { params: { minActiveShare: 1.5 }, reason })),
    ).toBe('FUND_RULE_PARAM_RANGE');
    expect(await codeOf(setRule(db(), supervisor, 'unbundling', { params: { minParts: 1 }, reason }))).toBe(
      'FUND_RULE_PARAM_RANGE',
    );
    expect(
      await codeOf(setRule(db(), supervisor, 'split_admission', { params: { days: 20 }, reason: '调整' })),
    ).toBe('FUND_RULE_REASON_REQUIRED');
    expect(await codeOf(setRule(db(), supervisor, 'no_such_rule', { active: false, reason }))).toBe(
      'FUND_RULE_NOT_FOUND',
    );
    expect(await codeOf(setRule(db(), supervisor, 'split_admission', { reason }))).toBe(
      'FUND_RULE_PARAM_INVALID',
    );
    expect(await codeOf(setRule(db(), clerk, 'split_admission', { params: { days: 20 }, reason }))).toBe(
      'FORBIDDEN',
    );
    expect(await codeOf(listRules(db(), clerk))).toBe('FORBIDDEN');
    expect((await showRule(db(), supervisor, 'split_admission')).version).toBe(1);
    expect(await events('fund.rule_changed')).toEqual([]);
  });

  it('changes parameters and the active flag with a reason: the version goes up, an event each', async () => {
    const changed = await setRule(db(), supervisor, 'split_admission', {
      params: { days: 20 },
      reason: '本地政策为二十日内',
      version: 1,
    });
    expect(changed.version).toBe(2);
    expect(changed.params.find((param) => param.name === 'days')?.value).toBe(20);
    expect(
      await codeOf(
        setRule(db(), supervisor, 'split_admission', {
          params: { days: 15 },
          reason: '恢复默认的十五日',
          version: 1,
        }),
      ),
    ).toBe('FUND_RULE_VERSION_CONFLICT');
    const back = await setRule(db(), supervisor, 'split_admission', {
      params: { days: 15 },
      reason: '恢复默认的十五日',
    });
    expect(back.version).toBe(3);
    const off = await setRule(db(), supervisor, 'age_mismatch', { active: false, reason: '暂停使用该规则' });
    expect(off).toMatchObject({ active: false, version: 2, changedBy: 'sup-jn', reason: '暂停使用该规则' });
    const logged = await events('fund.rule_changed');
    expect(logged.map((event) => [event.subject, event.data.version])).toEqual([
      ['fund-rule:split_admission', 2],
      ['fund-rule:split_admission', 3],
      ['fund-rule:age_mismatch', 2],
    ]);
    expect(logged[0]?.data).toMatchObject({
      params: { days: 20 },
      previous: { version: 1, params: { days: 15 } },
      reason: '本地政策为二十日内',
    });
  });
});

describe('runs and clues', () => {
  let runId: number;
  let clueIds: number[];

  it('refuses a bad period or a region outside the caller’s scope', async () => {
    const order = { from: '2026-01-01', to: '2026-12-31' };
    expect(
      await codeOf(startRun(db(), supervisor, { ...order, from: '2026-13-01' }, { background: true })),
    ).toBe('FUND_RUN_INVALID');
    expect(
      await codeOf(
        startRun(db(), supervisor, { from: '2026-12-31', to: '2026-01-01' }, { background: true }),
      ),
    ).toBe('FUND_RUN_INVALID');
    expect(
      await codeOf(startRun(db(), supervisor, { ...order, region: '320116' }, { background: true })),
    ).toBe('FUND_RUN_INVALID');
    expect(await codeOf(startRun(db(), supervisor, { ...order, region: '3201' }, { background: true }))).toBe(
      'FUND_RUN_INVALID',
    );
    expect(await codeOf(startRun(db(), supervisor, { ...order, region: 'abc' }, { background: true }))).toBe(
      'FUND_RUN_INVALID',
    );
    expect(
      await codeOf(startRun(db(), supervisor, { ...order, rules: ['nope'] }, { background: true })),
    ).toBe('FUND_RULE_NOT_FOUND');
    expect(await codeOf(startRun(db(), clerk, order, { background: true }))).toBe('FORBIDDEN');
    expect(await db().selectFrom('fund_run').select('id').execute()).toEqual([]);
  });

  it('runs the active rules as a job over the caller’s region: clues with their evidence, progress per rule', async () => {
    const run = await startRun(
      db(),
      supervisor,
      { from: '2026-01-01', to: '2026-12-31' },
      { background: true },
    );
    runId = run.id;
    expect(run).toMatchObject({ region: '320115', state: 'queued', done: 0 });
    expect(run.rules.map((rule) => rule.code)).not.toContain('age_mismatch');
    expect(run.rules).toHaveLength(11);
    expect(run.jobId).not.toBeNull();
    expect((await runAll()).done).toBe(1);
    const done = await showRun(db(), supervisor, runId);
    expect(done).toMatchObject({ state: 'finished', done: 11, clues: 2 });
    expect(done.rules.find((rule) => rule.code === 'repeat_settlement')?.hits).toBe(1);
    expect(done.rules.find((rule) => rule.code === 'after_death')?.hits).toBe(1);
    const job = await db()
      .selectFrom('job')
      .selectAll()
      .where('id', '=', done.jobId as number)
      .executeTakeFirstOrThrow();
    expect(job.progress).toMatchObject({ done: 11, total: 11 });
    const { clues, next } = await listClues(db(), supervisor, { runId });
    expect(next).toBeNull();
    clueIds = clues.map((clue) => clue.id);
    const repeat = clues.find((clue) => clue.rule === 'repeat_settlement');
    expect(repeat).toMatchObject({
      ruleName: '重复结算',
      ruleVersion: 1,
      serials: ['R-A1', 'R-A2'],
      amount: '15.00',
      state: 'open',
      region: '320115',
    });
    expect(repeat?.person).toMatch(/^kRA0{5}…$/);
    const evidence = repeat?.evidence as {
      summary: string;
      settlements: Array<{ serial: string }>;
      lines: Array<{ serial: string; itemCode: string; amount: number }>;
    };
    expect(evidence.summary).toContain('重复结算');
    expect(evidence.settlements.map((row) => row.serial)).toEqual(['R-A1', 'R-A2']);
    expect(evidence.lines.map((line) => [line.serial, line.itemCode])).toEqual([
      ['R-A1', 'TEXAM'],
      ['R-A2', 'TEXAM'],
    ]);
    expect(JSON.stringify(repeat)).not.toContain('sealed');
    const started = await events('fund.run_started');
    expect(started[0]).toMatchObject({
      actor: 'sup-jn',
      subject: `fund-run:${runId}`,
      data: { region: '320115' },
    });
    expect((await events('fund.run_finished'))[0]?.data).toMatchObject({
      clues: 2,
      hits: { repeat_settlement: 1, after_death: 1 },
    });
  });

  it('links a clue to the archive items filed for its settlements, masked, within the caller’s scope', async () => {
    await createFonds(db(), FONDS, 'test');
    const [filed] = await fileItems(
      db(),
      [reimbursement({ title: '零星报销 R-A2', extra: { hospital: '江宁医院', settlementSerial: 'R-A2' } })],
      'test',
      { access: SYSTEM },
    );
    const repeat = (await listClues(db(), supervisor, { runId, rule: 'repeat_settlement' })).clues[0];
    const archives = await archivesOfClue(db(), supervisor, repeat?.id as number);
    expect(archives).toEqual([
      expect.objectContaining({ serial: 'R-A2', archiveCode: filed?.archiveCode, withheld: false }),
    ]);
    expect(JSON.stringify(archives)).not.toContain('32011519');
    expect(await codeOf(archivesOfClue(db(), elsewhere, repeat?.id as number))).toBe('FUND_CLUE_NOT_FOUND');
  });

  it('gives the same clues and fingerprints from the same data and versions; a new version gives new fingerprints', async () => {
    const first = (await listClues(db(), supervisor, { runId })).clues.map((clue) => clue.fingerprint).sort();
    const again = await startRun(
      db(),
      supervisor,
      { from: '2026-01-01', to: '2026-12-31' },
      { background: false },
    );
    await executeRun(db(), again.id, 'sup-jn');
    // a retried job goes on after the rules already evaluated: the clues stay as they were, no duplicates
    await db().updateTable('fund_run').set({ state: 'running' }).where('id', '=', again.id).execute();
    await executeRun(db(), again.id, 'sup-jn');
    const second = (await listClues(db(), supervisor, { runId: again.id })).clues
      .map((clue) => clue.fingerprint)
      .sort();
    expect(second).toEqual(first);
    await setRule(db(), supervisor, 'repeat_settlement', {
      params: { minAmount: 1 },
      reason: '一元以下不报',
    });
    const third = await startRun(
      db(),
      supervisor,
      { from: '2026-01-01', to: '2026-12-31', rules: ['repeat_settlement'] },
      { background: false },
    );
    await executeRun(db(), third.id, 'sup-jn');
    const [changed] = (await listClues(db(), supervisor, { runId: third.id })).clues;
    expect(changed?.ruleVersion).toBe(2);
    expect(first).not.toContain(changed?.fingerprint);
  });

  it('keeps clues and runs to the caller’s regions: another region’s are not found', async () => {
    expect(await codeOf(readClue(db(), elsewhere, clueIds[0] as number))).toBe('FUND_CLUE_NOT_FOUND');
    expect((await listClues(db(), elsewhere, {})).clues).toEqual([]);
    expect(await codeOf(showRun(db(), elsewhere, runId))).toBe('FUND_RUN_NOT_FOUND');
    expect((await listRuns(db(), elsewhere)).map((run) => run.id)).toEqual([]);
    expect((await listRuns(db(), supervisor)).length).toBe(3);
    expect(await codeOf(readClue(db(), clerk, clueIds[0] as number))).toBe('FORBIDDEN');
    const other = await startRun(
      db(),
      everywhere,
      { region: '320116', from: '2026-01-01', to: '2026-12-31' },
      { background: false },
    );
    await executeRun(db(), other.id, 'sup-all');
    const theirs = (await listClues(db(), elsewhere, { runId: other.id })).clues;
    expect(theirs.map((clue) => [clue.rule, clue.serials])).toEqual([['sex_mismatch', ['R-C1']]]);
    expect(await codeOf(readClue(db(), supervisor, theirs[0]?.id as number))).toBe('FUND_CLUE_NOT_FOUND');
    expect((await listClues(db(), everywhere, { rule: 'sex_mismatch' })).clues).toHaveLength(1);
  });

  it('pages with a cursor and filters by rule, state and institution', async () => {
    const first = await listClues(db(), supervisor, { limit: 2 });
    expect(first.clues).toHaveLength(2);
    expect(first.next).not.toBeNull();
    const second = await listClues(db(), supervisor, { limit: 2, cursor: first.next as string });
    expect(second.clues[0]?.id).toBeGreaterThan(first.clues[1]?.id as number);
    expect(
      (await listClues(db(), supervisor, { institution: 'H002' })).clues.every(
        (clue) => clue.institutionCode === 'H002',
      ),
    ).toBe(true);
    expect(await codeOf(listClues(db(), supervisor, { state: 'closed' as never }))).toBe('FUND_CLUE_STATE');
    expect(await codeOf(listClues(db(), supervisor, { cursor: 'x' }))).toBe('FUND_CLUE_STATE');
  });

  it('dismisses an open clue with a reason, and moves clues into a case and out again, an event each', async () => {
    const [a, b] = clueIds as [number, number];
    expect(await codeOf(dismissClue(db(), supervisor, a, '无'))).toBe('FUND_CLUE_REASON_REQUIRED');
    expect(await codeOf(dismissClue(db(), supervisor, a, '核实\u0000为正常就诊'))).toBe('BAD_TEXT');
    expect(await codeOf(dismissClue(db(), supervisor, a, '核实\u0007为正常就诊'))).toBe(
      'FUND_CLUE_REASON_REQUIRED',
    );
    expect(
      await codeOf(dismissClue(db(), supervisor, a, `参保人 ${validId('32011519850312123')} 正常就诊`)),
    ).toBe('ID_NUMBER_IN_TEXT');
    expect(
      await codeOf(
        setRule(db(), supervisor, 'split_admission', {
          params: { days: 20 },
          reason: `为 ${validId('32011519850312123')} 调整`,
        }),
      ),
    ).toBe('ID_NUMBER_IN_TEXT');
    expect(await codeOf(dismissClue(db(), elsewhere, a, '核实为正常就诊'))).toBe('FUND_CLUE_NOT_FOUND');
    const dismissed = await dismissClue(db(), supervisor, a, '核实为正常就诊');
    expect(dismissed).toMatchObject({
      state: 'dismissed',
      dismissReason: '核实为正常就诊',
      changedBy: 'sup-jn',
    });
    expect(await codeOf(dismissClue(db(), supervisor, a, '再次排除一遍'))).toBe('FUND_CLUE_STATE');
    expect(await codeOf(attachCluesToCase(db(), supervisor, [a, b], 'HC-2026-0001'))).toBe('FUND_CLUE_STATE');
    expect((await readClue(db(), supervisor, b)).state).toBe('open');
    const [attached] = await attachCluesToCase(db(), supervisor, [b], 'HC-2026-0001');
    expect(attached).toMatchObject({ state: 'in_case', caseCode: 'HC-2026-0001' });
    expect(
      (await listClues(db(), supervisor, { caseCode: 'HC-2026-0001' })).clues.map((clue) => clue.id),
    ).toEqual([b]);
    expect(await codeOf(releaseCluesFromCase(db(), supervisor, [b], 'HC-2026-0002'))).toBe('FUND_CLUE_STATE');
    // a retried job of the same run (its last rule to do again) leaves a clue in a case as it is
    const row = await db()
      .selectFrom('fund_run')
      .select('counts')
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    const { after_death: _redo, ...kept } = row.counts;
    await db()
      .updateTable('fund_run')
      .set({ state: 'running', counts: JSON.stringify(kept) })
      .where('id', '=', runId)
      .execute();
    await executeRun(db(), runId, 'sup-jn');
    expect((await readClue(db(), supervisor, b)).state).toBe('in_case');
    expect((await listClues(db(), supervisor, { runId })).clues).toHaveLength(2);
    const [released] = await releaseCluesFromCase(db(), supervisor, [b], 'HC-2026-0001');
    expect(released).toMatchObject({ state: 'open', caseCode: null });
    expect((await events('fund.clue_dismissed')).map((event) => event.data)).toEqual([
      { rule: dismissed.rule, reason: '核实为正常就诊' },
    ]);
    expect((await events('fund.clue_attached')).map((event) => event.subject)).toEqual([`fund-clue:${b}`]);
    expect((await events('fund.clue_released')).map((event) => event.data.case)).toEqual(['HC-2026-0001']);
  });

  it('a system context (the jobs) reads every region', async () => {
    expect((await listClues(db(), SYSTEM, {})).clues.length).toBeGreaterThanOrEqual(4);
    const { rows } = await sql<{ n: number }>`select count(*)::integer as n from fund_clue`.execute(db());
    expect(rows[0]?.n).toBeGreaterThanOrEqual(4);
  });
});
