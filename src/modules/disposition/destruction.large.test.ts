// test-engine: either (postgres)
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account } from '../../../test/helpers/destruction.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, reimbursement } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import type { Principal } from '../access/principal.js';
import { fileItems } from '../catalog/item.service.js';
import { listEvents } from '../integrity/event.queries.js';
import { logEvent } from '../integrity/event-log.js';
import { verifyAll } from '../verify/verify.service.js';
import { roundStates } from './appraisal.queries.js';
import { drawRegister, MAX_REGISTER_ROWS } from './destruction.draw.js';
import { approveRegister, signRegister } from './destruction.service.js';
import { listRegistersFor, showRegister } from './destruction.view.js';

// A round whose group decided 销毁 for more items than the database driver binds parameters in one
// statement (65,535): the register refuses the whole at once with a clear error, is drawn in parts
// of at most 10,000 by `items`, shown, signed and approved, and verify still passes. Items are filed
// through the service (their events logged); the round's decisions are written in one statement and
// logged as the appraisal service logs them (the round's state digest). It files 66,000 items, so it
// runs once (the limit is the wire protocol's, the same on both engines), on PostgreSQL, the faster here.

const COUNT = 66_000;
const BATCH = 10_000;

let system: TestSystem;
const db = () => system.database.db;
let drawer: Principal;
let lead: Principal;
let approver: Principal;
let round: string;
let codes: string[];

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
  for (let done = 0; done < COUNT; done += BATCH)
    await fileItems(
      db(),
      Array.from({ length: Math.min(BATCH, COUNT - done) }, (_, index) =>
        reimbursement({
          date: '1990-03-15',
          handledAt: '1990-03-15T10:00:00+08:00',
          retention: 'D30',
          title: `王建国 零星报销审核表 ${done + index}`,
        }),
      ),
      'test',
      { access: SYSTEM },
    );
  drawer = await account(db(), 'drawer', ['archivist']);
  lead = await account(db(), 'lead', ['reviewer']);
  approver = await account(db(), 'approver', ['manager']);
  round = 'JD-J013-2026-900';
  const { rows } = await sql<{ id: number }>`insert into appraisal_round
      (code, fonds_code, year, number, title, lead, opened_by)
    values (${round}, 'J013', 2026, 900, '1990年度到期档案鉴定', ${lead.username}, ${lead.username})
    returning id`.execute(db());
  const id = Number(rows[0]?.id);
  for (const username of [lead.username, drawer.username])
    await sql`insert into appraisal_member (round_id, username, is_lead, added_by)
      values (${id}, ${username}, ${username === lead.username}, ${lead.username})`.execute(db());
  await sql`insert into appraisal_item (round_id, item_id, archive_code, category_id, year, added_by,
      proposal, proposal_reason, proposed_by, proposed_at, decision, decision_reason, decided_by, decided_at,
      item_version, item_retention)
    select ${id}, i.id, i.archive_code, i.category_id, i.year, ${lead.username}, 'destroy', '已过保管期限',
      ${lead.username}, now(), 'destroy', '已过保管期限', ${lead.username}, now(), i.version, i.retention
    from archive_item i where i.year = 1990`.execute(db());
  await logEvent(db(), {
    actor: lead.username,
    action: 'appraisal.decided',
    subject: `appraisal:${round}`,
    payload: { items: [] },
    state: (await roundStates(db())).get(`appraisal:${round}`),
  });
  const decided = await sql<{ archive_code: string }>`select archive_code from appraisal_item
    where round_id = ${id} order by archive_code`.execute(db());
  codes = decided.rows.map((row) => row.archive_code);
}, 900_000);
afterAll(() => system?.dispose());

describe(`a round of ${COUNT} items decided 销毁`, () => {
  it('refuses to draw the whole round at once, with a clear error asking for parts', async () => {
    expect(codes.length).toBe(COUNT);
    const whole = await failure(drawRegister(db(), drawer, { round }));
    expect(whole.code).toBe('DESTRUCTION_TOO_LARGE');
    expect(whole.message).toContain(`共 ${COUNT} 件`);
    expect(whole.message).toContain(String(MAX_REGISTER_ROWS));
    const tooMany = await failure(
      drawRegister(db(), drawer, { round, items: codes.slice(0, MAX_REGISTER_ROWS + 1) }),
    );
    expect(tooMany.code).toBe('DESTRUCTION_TOO_LARGE');
  }, 300_000);

  it('draws, shows, signs and approves a part of 10,000 items; verify passes', async () => {
    const part = codes.slice(0, MAX_REGISTER_ROWS);
    const drawn = await drawRegister(db(), drawer, {
      round,
      items: part,
      notes: { [part[0] as string]: '整盒一并销毁' },
    });
    expect(drawn.items).toBe(MAX_REGISTER_ROWS);
    expect(drawn.refused).toEqual([]);
    const view = await showRegister(db(), drawer, drawn.code);
    expect(view.count).toBe(MAX_REGISTER_ROWS);
    expect(view.rows[0]).toMatchObject({ archiveCode: part[0], note: '整盒一并销毁', pages: 0, files: 0 });
    expect(view.rows.at(-1)?.archiveCode).toBe(part.at(-1));
    expect((await listRegistersFor(db(), drawer)).map((entry) => entry.count)).toEqual([MAX_REGISTER_ROWS]);
    // The drawing's event stays within an event's bound: the rows are counted and proved by digest.
    const [event] = await listEvents(db(), {
      subject: `register:${drawn.code}`,
      action: 'destruction.drawn',
      limit: 1,
    });
    const payload = JSON.parse(String(event?.payload)) as Record<string, unknown>;
    expect(payload).toMatchObject({ round, items: MAX_REGISTER_ROWS, refusedCount: 0, refused: [] });
    expect(String(payload.itemsDigest)).toMatch(/^sha256:[0-9a-f]{64}$/);

    await signRegister(db(), lead, drawn.code, 'lead');
    await approveRegister(db(), approver, drawn.code);
    expect((await showRegister(db(), approver, drawn.code)).state).toBe('approved');
    // The next part: every item of the first is now on an open register and refused, by 档号.
    const again = await failure(drawRegister(db(), drawer, { round, items: codes.slice(0, 3) }));
    expect(again.code).toBe('DESTRUCTION_REFUSED');

    const report = await verifyAll({ db: db(), store: system.store, signingKey: system.signingKey });
    expect(report.problems).toEqual([]);
    expect(report.items).toBe(COUNT + 1);
  }, 600_000);
});
