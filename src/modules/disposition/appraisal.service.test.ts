import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { db, EVERYTHING, eventsOf, useGrantDatabase, user } from '../../../test/helpers/grant-service.js';
import { accessContextOf, type Principal } from '../access/principal.js';
import { dueWithinYear } from '../catalog/expiry.queries.js';
import { listItemVersions } from '../catalog/item.queries.js';
import { fileItems } from '../catalog/item.service.js';
import { removeRetentionOverride, setRetentionOverride } from '../catalog/retention.service.js';
import { JobRuntime } from '../jobs/job.runtime.js';
import { decide, propose } from './appraisal.decide.js';
import { itemsDecidedForDestruction } from './appraisal.queries.js';
import { addItems, openRound, setMembers } from './appraisal.service.js';
import { expiryList, listRounds, showRound } from './appraisal.view.js';
import { expiryRefreshJob, refreshAllExpiry } from './expiry.job.js';

// 到期档案与鉴定批次 on a real database (PGlite, or PostgreSQL with DATABASE_URL): the expiry list from
// the schedule as it stands, a round's group, proposals and the lead's batch decision with
// exceptions, 继续保存 as a new version, and each kind of bad input refused with its code.

useGrantDatabase();

const NOW = new Date('2026-12-07T04:00:00Z');
const J013 = [{ fondsCode: 'J013', regionCode: null, categoryCode: null }];

async function file(date: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const [filed] = await fileItems(
    db(),
    [
      reimbursement({
        date,
        handledAt: `${date}T10:00:00+08:00`,
        idNumber: validId('32011519700101123'),
        ...overrides,
      }),
    ],
    'test',
    { access: SYSTEM },
  );
  return filed?.archiveCode as string;
}

const ctx = (principal: Principal) => accessContextOf(db(), principal);

describe('the expiry list and appraisal rounds', () => {
  let due1: string;
  let due2: string;
  let notDue: string;
  let permanent: string;
  let lead: Principal;
  let member: Principal;
  let round: string;

  it('lists what is due from the schedule as it stands, within the scope, and counts the next 12 months', async () => {
    due1 = await file('1990-03-15', { retention: 'D10', title: '到期甲 报销审核表' });
    due2 = await file('1991-05-10', { retention: 'D10', title: '到期乙 报销审核表' });
    notDue = await file('2024-03-15', { title: '未到期 报销审核表' });
    permanent = await file('1990-06-01', { retention: 'Y', title: '永久 报销审核表' });
    // 1996 + 1 + 30 = 2027-01-01: due within the next twelve months.
    await file('1996-04-01', { title: '明年到期 报销审核表' });
    await file('1990-03-15', {
      fonds: 'J014',
      poolingRegion: '320116',
      retention: 'D10',
      title: '他全宗 到期',
    });
    const run = await refreshAllExpiry(db(), undefined, NOW);
    expect(run.changed).toBe(2);
    expect((await refreshAllExpiry(db(), undefined, NOW)).changed).toBe(0);
    const refreshed = await eventsOf('expiry:J013');
    expect(refreshed.map((event) => event.action)).toEqual(['expiry.refreshed']);

    const archivist = await ctx(await user(['archivist'], J013));
    const list = await expiryList(db(), archivist, { fonds: 'J013' }, { limit: 50, offset: 0 }, NOW);
    expect(list.items.map((item) => item.archiveCode).sort()).toEqual([due1, due2].sort());
    // Paged by due date, then 档号: due1 (2021-01-01) before due2 (2022-01-01).
    const page = (offset: number) =>
      expiryList(db(), archivist, { fonds: 'J013' }, { limit: 1, offset }, NOW).then((answer) =>
        answer.items.map((item) => item.archiveCode),
      );
    expect([await page(0), await page(1), await page(2)]).toEqual([[due1], [due2], []]);
    const first = list.items.find((item) => item.archiveCode === due1);
    // The item says D10, the category's period (30 years) is the minimum: due 2021-01-01.
    expect(first).toMatchObject({
      retention: 'D10',
      effectiveRetention: 'D30',
      expiresOn: '2021-01-01',
      yearsToKeep: 30,
      yearsKept: 35,
    });
    expect(first?.title).not.toContain('王建国');
    expect(list.entries.find((entry) => entry.year === 1990 && entry.retention === 'Y')).toMatchObject({
      expiresOn: null,
      due: false,
    });
    expect(await dueWithinYear(db(), archivist, NOW)).toBe(1);
    const outsider = await ctx(
      await user(['archivist'], [{ fondsCode: 'J014', regionCode: null, categoryCode: null }]),
    );
    expect((await expiryList(db(), outsider, { fonds: 'J013' }, undefined, NOW)).items).toEqual([]);
    expect(await dueWithinYear(db(), outsider, NOW)).toBe(0);

    // A longer period set for the region moves the due dates at the next refresh.
    await setRetentionOverride(
      db(),
      { category: 'JSLX', regionCode: '320115', retention: 'D50', reason: '地方规定延长' },
      'test',
    );
    await refreshAllExpiry(db(), 'J013', NOW);
    expect((await expiryList(db(), archivist, { fonds: 'J013' }, undefined, NOW)).items).toEqual([]);
    await removeRetentionOverride(db(), 'JSLX', '320115', 'test');
    await refreshAllExpiry(db(), 'J013', NOW);
    expect(
      (await expiryList(db(), archivist, { fonds: 'J013', year: 1991 }, undefined, NOW)).items.map(
        (i) => i.archiveCode,
      ),
    ).toEqual([due2]);
  });

  it('opens a round only with a group of two or more who may appraise the fonds', async () => {
    lead = await user(['archivist'], J013);
    member = await user(['reviewer'], EVERYTHING);
    const clerk = await user(['clerk'], J013);
    const elsewhere = await user(
      ['archivist'],
      [{ fondsCode: 'J014', regionCode: null, categoryCode: null }],
    );
    const access = await ctx(lead);
    const alone = await failure(
      openRound(db(), access, { fonds: 'J013', lead: lead.username, members: [lead.username] }, NOW),
    );
    expect(alone.code).toBe('APPRAISAL_GROUP_TOO_SMALL');
    const noRight = await failure(
      openRound(db(), access, { fonds: 'J013', lead: lead.username, members: [clerk.username] }, NOW),
    );
    expect(noRight.code).toBe('APPRAISAL_MEMBER_INVALID');
    expect(noRight.message).toContain('没有档案鉴定权限');
    const outOfScope = await failure(
      openRound(db(), access, { fonds: 'J013', lead: lead.username, members: [elsewhere.username] }, NOW),
    );
    expect(outOfScope.code).toBe('APPRAISAL_MEMBER_INVALID');
    expect(outOfScope.message).toContain('不含全宗 J013');
    const unknown = await failure(
      openRound(db(), access, { fonds: 'J013', lead: lead.username, members: ['nobody-at-all'] }, NOW),
    );
    expect(unknown.code).toBe('APPRAISAL_MEMBER_INVALID');
    const byClerk = await failure(
      openRound(
        db(),
        await ctx(clerk),
        { fonds: 'J013', lead: lead.username, members: [member.username] },
        NOW,
      ),
    );
    expect(byClerk.kind).toBe('forbidden');
    const opened = await openRound(
      db(),
      access,
      { fonds: 'J013', lead: lead.username, members: [member.username] },
      NOW,
    );
    expect(opened.code).toBe('JD-J013-2026-1');
    round = opened.code;
    const again = await setMembers(db(), access, round, {
      lead: lead.username,
      members: [lead.username, member.username],
    });
    expect(again.lead).toBe(lead.username);
    expect((await eventsOf(`appraisal:${round}`)).map((event) => event.action)).toEqual([
      'appraisal.round_opened',
      'appraisal.member_set',
    ]);
  });

  it('adds only expired items, each in one undecided round at a time', async () => {
    const access = await ctx(lead);
    expect((await failure(addItems(db(), access, round, { items: [notDue] }, NOW))).code).toBe(
      'APPRAISAL_ITEM_NOT_DUE',
    );
    expect((await failure(addItems(db(), access, round, { items: [permanent] }, NOW))).code).toBe(
      'APPRAISAL_ITEM_PERMANENT',
    );
    expect((await failure(addItems(db(), access, round, { items: ['J013-NO-SUCH'] }, NOW))).code).toBe(
      'ITEM_NOT_FOUND',
    );
    expect((await failure(addItems(db(), access, round, { items: ['J013\u0000x'] }, NOW))).code).toBe(
      'BAD_TEXT',
    );
    const { added } = await addItems(db(), access, round, { all: true }, NOW);
    expect(added.sort()).toEqual([due1, due2].sort());
    expect((await failure(addItems(db(), access, round, { items: [due1] }, NOW))).code).toBe(
      'APPRAISAL_ITEM_BUSY',
    );
    const other = await openRound(
      db(),
      access,
      { fonds: 'J013', lead: lead.username, members: [member.username] },
      NOW,
    );
    expect(other.code).toBe('JD-J013-2026-2');
    const busy = await failure(addItems(db(), access, other.code, { items: [due2] }, NOW));
    expect(busy.code).toBe('APPRAISAL_ITEM_BUSY');
    expect(busy.message).toContain(round);
    expect((await addItems(db(), access, other.code, { all: true }, NOW)).added).toEqual([]);
  });

  it('takes members’ proposals and the lead’s batch decision with exceptions; keep is a new version', async () => {
    const leadAccess = await ctx(lead);
    const memberAccess = await ctx(member);
    const outsider = await ctx(await user(['archivist'], J013));
    expect(
      (
        await failure(
          propose(db(), outsider, round, { items: [due1], proposal: 'destroy', reason: '无保存价值' }),
        )
      ).code,
    ).toBe('APPRAISAL_NOT_MEMBER');
    expect(
      (
        await failure(
          propose(db(), memberAccess, round, { items: [due1], proposal: 'destroy', reason: '无\ud800价值' }),
        )
      ).code,
    ).toBe('BAD_TEXT');
    expect(
      (
        await failure(
          propose(db(), memberAccess, round, { items: [due1], proposal: 'keep', reason: '仍有凭证价值' }),
        )
      ).code,
    ).toBe('APPRAISAL_INPUT_INVALID');
    await propose(
      db(),
      memberAccess,
      round,
      { items: [due1, due2], proposal: 'destroy', reason: '已过保管期限，无保存价值' },
      NOW,
    );
    expect(
      (await failure(decide(db(), memberAccess, round, { decision: 'destroy', reason: '小组决定' }, NOW)))
        .code,
    ).toBe('APPRAISAL_NOT_LEAD');
    const shortened = await failure(
      decide(
        db(),
        leadAccess,
        round,
        {
          decision: 'destroy',
          reason: '小组决定',
          exceptions: [{ item: due2, decision: 'keep', retention: 'D10', reason: '仍有凭证价值' }],
        },
        NOW,
      ),
    );
    expect(shortened.code).toBe('RETENTION_NOT_EXTENDED');
    const { decided } = await decide(
      db(),
      leadAccess,
      round,
      {
        decision: 'destroy',
        reason: '鉴定小组一致同意销毁',
        exceptions: [{ item: due2, decision: 'keep', retention: 'D50', reason: '涉及未结争议' }],
      },
      NOW,
    );
    expect(decided.map((entry) => [entry.item, entry.decision]).sort()).toEqual(
      [
        [due1, 'destroy'],
        [due2, 'keep'],
      ].sort(),
    );
    const destroyed = await itemsDecidedForDestruction(
      db(),
      (
        await db()
          .selectFrom('appraisal_round')
          .select('id')
          .where('code', '=', round)
          .executeTakeFirstOrThrow()
      ).id,
    );
    expect(destroyed).toMatchObject([
      { archiveCode: due1, reason: '鉴定小组一致同意销毁', retention: 'D10', itemVersion: 1 },
    ]);
    const item2 = await db()
      .selectFrom('archive_item')
      .select(['id', 'retention', 'version', 'retention_expires_on'])
      .where('archive_code', '=', due2)
      .executeTakeFirstOrThrow();
    expect(item2).toMatchObject({ retention: 'D50', version: 2 });
    const versions = await listItemVersions(db(), item2.id);
    expect(versions.map((version) => version.item.retention)).toEqual(['D10']);
    expect((await eventsOf(`item:${due2}`)).map((event) => event.action)).toContain('item.changed');
    const detail = await showRound(db(), leadAccess, round);
    expect(detail.items.find((item) => item.archiveCode === due2)).toMatchObject({
      decision: 'keep',
      decisionRetention: 'D50',
      proposal: 'destroy',
    });
    expect(detail.members).toHaveLength(2);
    expect((await listRounds(db(), leadAccess)).map((entry) => entry.code)).toContain(round);
    // Kept: the decision queued the fonds's refresh; once it ran, the item is off the list until its
    // new due date (1991 + 1 + 50 = 2042).
    const runtime = new JobRuntime(db()).register(expiryRefreshJob(db(), () => NOW));
    expect(await runtime.drain()).toMatchObject({ done: 1, dead: 0 });
    const list = await expiryList(db(), leadAccess, { fonds: 'J013' }, undefined, NOW);
    expect(list.items.map((item) => item.archiveCode)).toEqual([due1]);
    expect(list.items[0]).toMatchObject({ round, decision: 'destroy', state: 'decided' });
    expect(list.entries.some((entry) => entry.year === 1991 && entry.expiresOn === '2042-01-01')).toBe(true);
  });

  it('lets one of two concurrent decisions on an item win; the other is told so and changes nothing', async () => {
    const access = await ctx(lead);
    const extra = await file('1992-02-02', { retention: 'D10', title: '并发 报销审核表' });
    await refreshAllExpiry(db(), 'J013', NOW);
    const opened = await openRound(
      db(),
      access,
      { fonds: 'J013', lead: lead.username, members: [member.username] },
      NOW,
    );
    await addItems(db(), access, opened.code, { items: [extra] }, NOW);
    // A member whose scope reaches the fonds but not the item's district sees no such item.
    const narrow = await user(
      ['reviewer'],
      [{ fondsCode: 'J013', regionCode: '320116', categoryCode: null }],
    );
    await setMembers(db(), access, opened.code, {
      lead: lead.username,
      members: [member.username, narrow.username],
    });
    const unseen = await failure(
      propose(db(), await ctx(narrow), opened.code, {
        items: [extra],
        proposal: 'destroy',
        reason: '范围外',
      }),
    );
    expect(unseen.code).toBe('ITEM_NOT_FOUND');
    const [version] = (await showRound(db(), access, opened.code)).items.map((item) => item.version);
    const results = await Promise.allSettled([
      decide(
        db(),
        access,
        opened.code,
        { items: [extra], decision: 'destroy', reason: '甲的结论', versions: { [extra]: version as number } },
        NOW,
      ),
      decide(
        db(),
        access,
        opened.code,
        {
          items: [extra],
          decision: 'keep',
          retention: 'D100',
          reason: '乙的结论',
          versions: { [extra]: version as number },
        },
        NOW,
      ),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason.code).toBe('APPRAISAL_DECISION_CONFLICT');
    const row = await db()
      .selectFrom('archive_item')
      .select(['retention', 'version'])
      .where('archive_code', '=', extra)
      .executeTakeFirstOrThrow();
    const [winner] = (await showRound(db(), access, opened.code)).items;
    expect(row.retention).toBe(winner?.decision === 'keep' ? 'D100' : 'D10');
    expect(
      (await eventsOf(`appraisal:${opened.code}`)).filter((event) => event.action === 'appraisal.decided'),
    ).toHaveLength(1);
    const stale = await failure(
      decide(db(), access, opened.code, { items: [extra], decision: 'destroy', reason: '再来一次' }, NOW),
    );
    expect(stale.code).toBe('APPRAISAL_DECISION_CONFLICT');
  });

  it('lists a destroyed item with its state and keeps it out of any round', async () => {
    const gone = await file('1993-01-01', { retention: 'D10', title: '已销毁 报销审核表' });
    // The tombstone as the destruction register leaves it.
    await db()
      .updateTable('archive_item')
      .set({ destroyed_register: 'XH-J013-2026-9', destroyed_at: NOW, destroyed_digest: 'sha256:00' })
      .where('archive_code', '=', gone)
      .execute();
    await refreshAllExpiry(db(), 'J013', NOW);
    const access = await ctx(lead);
    const list = await expiryList(db(), access, { fonds: 'J013', year: 1993 }, undefined, NOW);
    expect(list.items).toMatchObject([
      { archiveCode: gone, state: 'destroyed', destroyed: 'XH-J013-2026-9' },
    ]);
    const opened = await openRound(
      db(),
      access,
      { fonds: 'J013', lead: lead.username, members: [member.username] },
      NOW,
    );
    expect((await failure(addItems(db(), access, opened.code, { items: [gone] }, NOW))).code).toBe(
      'ITEM_DESTROYED',
    );
    expect((await addItems(db(), access, opened.code, { year: 1993 }, NOW)).added).toEqual([]);
  });

  it('puts a kept item up for appraisal again at its new due date', async () => {
    // due2 was kept for 50 years: due again on 2042-01-01.
    const later = new Date('2042-03-01T04:00:00Z');
    await refreshAllExpiry(db(), 'J013', later);
    const access = await ctx(lead);
    const list = await expiryList(db(), access, { fonds: 'J013', year: 1991 }, undefined, later);
    expect(list.items).toMatchObject([{ archiveCode: due2, effectiveRetention: 'D50', state: 'decided' }]);
    const again = await openRound(
      db(),
      access,
      { fonds: 'J013', lead: lead.username, members: [member.username] },
      later,
    );
    expect(again.code).toBe('JD-J013-2042-1');
    expect((await addItems(db(), access, again.code, { items: [due2] }, later)).added).toEqual([due2]);
  });
});
