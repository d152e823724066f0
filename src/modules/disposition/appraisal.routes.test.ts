// test-engine: either
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testUser } from '../../../test/helpers/access.js';
import { fileOneItem } from '../../../test/helpers/system.js';
import {
  archivist,
  base,
  call,
  clerk,
  system,
  useWatermarkApi,
} from '../../../test/helpers/watermark-api.js';
import { verifyAll } from '../verify/verify.service.js';
import { refreshAllExpiry } from './expiry.job.js';

// /api/v1/appraisal over a real server: the expiry list, a round from opening to the group's
// decision, two decisions on one item at once (one wins, the other 409), and bad input refused at the
// door or by the service with its code.

useWatermarkApi();

const url = (path: string) => `${base}/api/v1/appraisal${path}`;
const send = (method: string, body: unknown) => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const codeOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string } }).error.code;

describe('appraisal over HTTP', () => {
  let round = '';

  it('runs a round from the expiry list to a decision; concurrent decisions: one wins', async () => {
    const db = system.database.db;
    const expired = await fileOneItem(system, {
      date: '1990-03-15',
      handledAt: '1990-03-15T10:00:00+08:00',
      retention: 'D10',
      title: '王建国 1990年零星报销审核表',
    });
    await refreshAllExpiry(db);
    const reviewer = await testUser(db, { roles: ['reviewer'], username: 'reviewer-appraisal' });

    const list = await call(url('/expiry?fonds=J013'), archivist);
    expect(list.status, await list.clone().text()).toBe(200);
    const listed = (await list.json()) as {
      items: Array<{ archiveCode: string; title: string; state: string }>;
    };
    expect(listed.items).toMatchObject([{ archiveCode: expired, state: 'due' }]);
    expect(listed.items[0]?.title).toContain('王*国');
    expect((await call(url('/expiry?fonds=J013'), clerk)).status).toBe(403);
    const count = await call(url('/due-count'), archivist);
    expect(await count.json()).toMatchObject({ alreadyDue: 1 });

    const alone = await call(
      url('/rounds'),
      archivist,
      send('POST', { fonds: 'J013', lead: 'archivist-wm', members: [] }),
    );
    expect(alone.status).toBe(400);
    expect(await codeOf(alone)).toBe('APPRAISAL_GROUP_TOO_SMALL');
    const opened = await call(
      url('/rounds'),
      archivist,
      send('POST', { fonds: 'J013', lead: 'archivist-wm', members: [reviewer.username] }),
    );
    expect(opened.status, await opened.clone().text()).toBe(200);
    const { code } = (await opened.json()) as { code: string };
    round = code;
    const added = await call(url(`/rounds/${code}/items`), archivist, send('POST', { all: true }));
    expect(await added.json()).toEqual({ added: [expired] });

    // A lone surrogate is refused at the door, before any service sees it.
    const bad = await call(
      url(`/rounds/${code}/proposals`),
      reviewer,
      send('POST', `{"items":["${expired}"],"proposal":"destroy","reason":"无\\ud800价值"}`),
    );
    expect(bad.status).toBe(400);
    expect(await codeOf(bad)).toBe('BAD_TEXT');
    const proposed = await call(
      url(`/rounds/${code}/proposals`),
      reviewer,
      send('POST', { items: [expired], proposal: 'destroy', reason: '已过保管期限，无保存价值' }),
    );
    expect(proposed.status, await proposed.clone().text()).toBe(200);
    const byMember = await call(
      url(`/rounds/${code}/decisions`),
      reviewer,
      send('POST', { decision: 'destroy', reason: '结论' }),
    );
    expect(byMember.status).toBe(403);
    expect(await codeOf(byMember)).toBe('APPRAISAL_NOT_LEAD');

    const answers = await Promise.all([
      call(
        url(`/rounds/${code}/decisions`),
        archivist,
        // Named: a batch over "every undecided item" would find none left (400) when keep wins first.
        send('POST', { items: [expired], decision: 'destroy', reason: '小组同意销毁' }),
      ),
      call(
        url(`/rounds/${code}/decisions`),
        archivist,
        send('POST', { items: [expired], decision: 'keep', retention: 'D100', reason: '仍有凭证价值' }),
      ),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const lost = answers.find((answer) => answer.status === 409) as Response;
    expect(await codeOf(lost)).toBe('APPRAISAL_DECISION_CONFLICT');
    const shown = (await (await call(url(`/rounds/${code}`), archivist)).json()) as {
      items: Array<{ decision: string }>;
      members: Array<{ username: string; lead: boolean }>;
    };
    expect(shown.items).toHaveLength(1);
    expect(['keep', 'destroy']).toContain(shown.items[0]?.decision);
    expect(shown.members.find((member) => member.lead)?.username).toBe('archivist-wm');
    const rounds = (await (await call(url('/rounds'), archivist)).json()) as {
      rounds: Array<{ code: string }>;
    };
    expect(rounds.rounds.map((round) => round.code)).toContain(code);
    expect((await call(url('/rounds/JD-J013-2026-999'), archivist)).status).toBe(404);
  });

  it('keeps the group once decided, and verify names a decision changed behind the system’s back', async () => {
    const db = system.database.db;
    const fixed = await call(
      url(`/rounds/${round}/members`),
      archivist,
      send('PUT', { lead: 'archivist-wm', members: ['archivist-wm', 'reviewer-appraisal'] }),
    );
    expect(fixed.status).toBe(409);
    expect(await codeOf(fixed)).toBe('APPRAISAL_GROUP_FIXED');

    const verify = () => verifyAll({ db, store: system.store, signingKey: system.signingKey });
    const appraisalProblems = async () =>
      (await verify()).problems
        .filter((problem) => problem.kind.startsWith('appraisal.'))
        .map((problem) => [problem.kind, problem.record]);
    expect(await appraisalProblems()).toEqual([]);
    await sql`update appraisal_item set decision = case when decision = 'keep' then 'destroy' else 'keep' end,
      decided_by = 'intruder'
      where round_id = (select id from appraisal_round where code = ${round})`.execute(db);
    expect(await appraisalProblems()).toEqual([['appraisal.altered', `鉴定批次 ${round}`]]);
  });
});
