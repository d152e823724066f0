import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { db, eventsOf, useGrantDatabase, user } from '../../../test/helpers/grant-service.js';
import { accessContextOf, type Principal } from '../access/principal.js';
import { fileItems } from '../catalog/item.service.js';
import { decide, propose } from './appraisal.decide.js';
import { everMembers } from './appraisal.queries.js';
import { addItems, openRound, setMembers } from './appraisal.service.js';

// Review findings F5 and F11 on a real database (PGlite, or PostgreSQL with DATABASE_URL): a round's
// group is changed only by its opener or lead and only before the first proposal or decision, everyone
// who ever took part is known (the register's approver must be none of them), and a tombstone that
// still sits undecided in a round is neither kept (a new version) nor destroyed again.

useGrantDatabase();

const NOW = new Date('2026-12-07T04:00:00Z');
const J013 = [{ fondsCode: 'J013', regionCode: null, categoryCode: null }];

async function file(date: string, title: string): Promise<string> {
  const [filed] = await fileItems(
    db(),
    [
      reimbursement({
        date,
        handledAt: `${date}T10:00:00+08:00`,
        idNumber: validId('32011519700101123'),
        retention: 'D10',
        title,
      }),
    ],
    'test',
    { access: SYSTEM },
  );
  return filed?.archiveCode as string;
}

const ctx = (principal: Principal) => accessContextOf(db(), principal);

async function roundId(code: string): Promise<number> {
  const row = await db()
    .selectFrom('appraisal_round')
    .select('id')
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('an appraisal round’s group and its tombstones', () => {
  let lead: Principal;
  let first: Principal;
  let second: Principal;

  it('lets only the opener or the lead change the group, and only before the first proposal', async () => {
    lead = await user(['archivist'], J013);
    first = await user(['reviewer'], J013);
    second = await user(['reviewer'], J013);
    const outsider = await user(['archivist'], J013);
    const item = await file('1990-03-15', '组员 报销审核表');
    const opened = await openRound(
      db(),
      await ctx(lead),
      { fonds: 'J013', lead: lead.username, members: [first.username] },
      NOW,
    );
    await addItems(db(), await ctx(lead), opened.code, { items: [item] }, NOW);

    // Someone else with appraisal rights cannot make himself lead of this round.
    const takeover = await failure(
      setMembers(db(), await ctx(outsider), opened.code, {
        lead: outsider.username,
        members: [outsider.username, first.username],
      }),
    );
    expect(takeover.code).toBe('APPRAISAL_NOT_LEAD');
    expect(takeover.kind).toBe('forbidden');
    expect(takeover.message).toContain(lead.username);
    // Nor choose what the group appraises.
    const adding = await failure(
      addItems(
        db(),
        await ctx(outsider),
        opened.code,
        { items: [await file('1990-05-15', '外人列入')] },
        NOW,
      ),
    );
    expect(adding.code).toBe('APPRAISAL_NOT_MEMBER');

    // The lead replaces a member before anyone has given an opinion: an event.
    await setMembers(db(), await ctx(lead), opened.code, {
      lead: lead.username,
      members: [lead.username, second.username],
    });
    const events = await eventsOf(`appraisal:${opened.code}`);
    expect(events.filter((event) => event.action === 'appraisal.member_set')).toHaveLength(1);

    await propose(
      db(),
      await ctx(second),
      opened.code,
      { items: [item], proposal: 'destroy', reason: '无保存价值' },
      NOW,
    );
    const fixed = await failure(
      setMembers(db(), await ctx(lead), opened.code, {
        lead: lead.username,
        members: [lead.username, first.username],
      }),
    );
    expect(fixed.code).toBe('APPRAISAL_GROUP_FIXED');
    expect(fixed.message).toContain('鉴定小组成员已固定');

    // The removed member still counts as having taken part; so does whoever proposed.
    const ever = await everMembers(db(), await roundId(opened.code));
    expect([...ever].sort()).toEqual([lead.username, first.username, second.username].sort());
    expect(ever.has(outsider.username)).toBe(false);
    expect((await everMembers(db(), 987_654)).size).toBe(0);
  });

  it('fixes the group once the lead decides, even without a proposal', async () => {
    const item = await file('1990-04-15', '直接结论 报销审核表');
    const opened = await openRound(
      db(),
      await ctx(lead),
      { fonds: 'J013', lead: lead.username, members: [first.username] },
      NOW,
    );
    await addItems(db(), await ctx(lead), opened.code, { items: [item] }, NOW);
    await decide(db(), await ctx(lead), opened.code, { decision: 'destroy', reason: '无保存价值' }, NOW);
    const fixed = await failure(
      setMembers(db(), await ctx(lead), opened.code, {
        lead: first.username,
        members: [first.username, second.username],
      }),
    );
    expect(fixed.code).toBe('APPRAISAL_GROUP_FIXED');
    const ever = await everMembers(db(), await roundId(opened.code));
    expect([...ever].sort()).toEqual([lead.username, first.username].sort());
  });

  it('refuses to keep or destroy again a tombstone still waiting in another round', async () => {
    const item = await file('1991-03-15', '墓碑 报销审核表');
    const access = await ctx(lead);
    const decidedIn = await openRound(
      db(),
      access,
      { fonds: 'J013', lead: lead.username, members: [first.username] },
      NOW,
    );
    await addItems(db(), access, decidedIn.code, { items: [item] }, NOW);
    await decide(db(), access, decidedIn.code, { decision: 'destroy', reason: '无保存价值' }, NOW);
    // Decided, not yet on a register: another round may take it up again.
    const waiting = await openRound(
      db(),
      access,
      { fonds: 'J013', lead: lead.username, members: [first.username] },
      NOW,
    );
    expect((await addItems(db(), access, waiting.code, { items: [item] }, NOW)).added).toEqual([item]);
    // Then the first round's register destroys it: the tombstone as the register leaves it.
    await db()
      .updateTable('archive_item')
      .set({ destroyed_register: 'XH-J013-2026-7', destroyed_at: NOW, destroyed_digest: 'sha256:00' })
      .where('archive_code', '=', item)
      .execute();
    const before = await db()
      .selectFrom('archive_item')
      .select(['version', 'retention'])
      .where('archive_code', '=', item)
      .executeTakeFirstOrThrow();
    const keep = await failure(
      decide(
        db(),
        access,
        waiting.code,
        { items: [item], decision: 'keep', retention: 'D100', reason: '仍有价值' },
        NOW,
      ),
    );
    expect(keep.code).toBe('ITEM_DESTROYED');
    expect(keep.message).toContain('XH-J013-2026-7');
    const again = await failure(
      decide(db(), access, waiting.code, { decision: 'destroy', reason: '再次销毁' }, NOW),
    );
    expect(again.code).toBe('ITEM_DESTROYED');
    const after = await db()
      .selectFrom('archive_item')
      .select(['version', 'retention'])
      .where('archive_code', '=', item)
      .executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    const third = await openRound(
      db(),
      access,
      { fonds: 'J013', lead: lead.username, members: [first.username] },
      NOW,
    );
    expect((await failure(addItems(db(), access, third.code, { items: [item] }, NOW))).code).toBe(
      'ITEM_DESTROYED',
    );
  });
});
