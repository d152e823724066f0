import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import type { Db } from '../../db/database.js';
import { addCategory, changeCategory } from '../catalog/category.service.js';
import { changeFonds, createFonds } from '../catalog/fonds.service.js';
import { updateItem } from '../catalog/item.edit.service.js';
import { fileItems, getItem } from '../catalog/item.service.js';
import { itemState } from '../catalog/item.state.js';
import { countEvents, eventsAfter, listEvents, readLogHead, type StoredEvent } from './event.repo.js';
import {
  appendEvents,
  currentTreeHead,
  type EventInput,
  encodeEntry,
  splitHashes,
  stateDigest,
} from './event-log.js';
import { rootFromLeafHashes, treeHasher } from './merkle.js';
import { ProblemList, verifyLog } from './verify-log.js';

// The event log on a real database: gapless numbering, the hash chain, the Merkle tree head, the
// append-only trigger, and the events the catalog services write.

let database: TestDatabase;
let db: Db;
const hasher = treeHasher('sha256');

beforeAll(async () => {
  database = await openTestDatabase();
  db = database.db;
});
afterAll(() => database?.close());

// A made-up event exercises the log itself; no writer can record one (the catalog's types and
// recordEvents refuse it), so it is cast past the types here.
const event = (n: number, extra: Partial<EventInput> = {}): EventInput =>
  ({
    actor: 'tester',
    action: 'test.appended',
    subject: `test:${n}`,
    payload: { n },
    ...extra,
  }) as unknown as EventInput;

const batch = (count: number, from = 0) => Array.from({ length: count }, (_, i) => event(from + i));

const append = (events: readonly EventInput[], now?: Date) =>
  db.transaction().execute((trx) => appendEvents(trx, events, now));

const allEvents = () => eventsAfter(db, -1, 1_000_000);

/** Every leaf hash recomputed from the stored fields and the previous event's hash. */
function expectChain(events: readonly StoredEvent[]): void {
  let prevHash: Buffer | null = null;
  for (const [index, stored] of events.entries()) {
    expect(stored.seq).toBe(index);
    const expected = treeHasher('sha256').leaf(encodeEntry({ ...stored, prevHash }));
    expect(stored.hash.toString('hex'), `hash of event #${stored.seq}`).toBe(expected.toString('hex'));
    prevHash = stored.hash;
  }
}

async function expectHeadMatchesEvents(): Promise<void> {
  const events = await allEvents();
  const head = await currentTreeHead(db);
  expect(head.size).toBe(events.length);
  expect(head.algorithm).toBe('sha256');
  expect(head.rootHash.toString('hex')).toBe(
    rootFromLeafHashes(
      hasher,
      events.map((stored) => stored.hash),
    ).toString('hex'),
  );
  const stored = await readLogHead(db);
  expect(stored?.lastHash?.toString('hex')).toBe(events.at(-1)?.hash.toString('hex'));
}

/** The whole log, checked by the verifier (no checkpoints here, so any key will do). */
async function verifyProblems() {
  const { publicKey } = crypto.generateKeyPairSync('ed25519');
  const problems = new ProblemList();
  const result = await verifyLog(db, { algorithm: 'ed25519', publicKey }, problems, () => {});
  return { problems: problems.items, events: result.events };
}

describe('appendEvents', () => {
  it('assigns gapless seqs from 0 to a batch in one transaction', async () => {
    expect(await readLogHead(db)).toBeUndefined();
    const now = new Date('2026-11-22T08:00:00.123Z');
    const appended = await append(batch(5), now);
    expect(appended.map((entry) => entry.seq)).toEqual([0, 1, 2, 3, 4]);
    const events = await allEvents();
    expect(events.map((stored) => stored.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(events.map((stored) => stored.subject)).toEqual([
      'test:0',
      'test:1',
      'test:2',
      'test:3',
      'test:4',
    ]);
    expect(events.every((stored) => stored.recordedAt.toISOString() === now.toISOString())).toBe(true);
    expect(appended.map((entry) => entry.hash.toString('hex'))).toEqual(
      events.map((stored) => stored.hash.toString('hex')),
    );
    const head = await readLogHead(db);
    expect(head?.size).toBe(5);
    expect(head?.algorithm).toBe('sha256');
    expect(head?.origin).toMatch(/^yidang\.local\/log-[0-9a-f]{12}$/);
  });

  it('refuses to run outside a transaction and writes nothing', async () => {
    const before = await countEvents(db);
    await expect(appendEvents(db, [event(99)])).rejects.toThrow(/inside the transaction/);
    expect(await countEvents(db)).toBe(before);
    expect((await readLogHead(db))?.size).toBe(before);
  });

  it('leaves no event after a rolled-back transaction, and the next append reuses the seq', async () => {
    const size = (await readLogHead(db))?.size as number;
    let rolledBackSeq: number | undefined;
    const rollback = db.transaction().execute(async (trx) => {
      const [appended] = await appendEvents(trx, [event(1000, { subject: 'test:rolled-back' })]);
      rolledBackSeq = appended?.seq;
      throw new Error('the change failed');
    });
    await expect(rollback).rejects.toThrow('the change failed');
    expect(rolledBackSeq).toBe(size);
    expect(await countEvents(db)).toBe(size);
    expect((await readLogHead(db))?.size).toBe(size);
    expect(await listEvents(db, { subject: 'test:rolled-back', limit: 10 })).toEqual([]);

    const [next] = await append([event(1001)]);
    expect(next?.seq).toBe(size);
    expectChain(await allEvents());
  });

  it('returns nothing and changes nothing for an empty batch', async () => {
    const size = (await readLogHead(db))?.size;
    expect(await append([])).toEqual([]);
    expect((await readLogHead(db))?.size).toBe(size);
  });

  it('hashes each entry with the previous hash: treeHasher(sha256).leaf(encodeEntry(…))', async () => {
    const events = await allEvents();
    expect(events.length).toBeGreaterThan(2);
    expectChain(events);
    // The link is real: the same entry hashed without (or with another) previous hash differs.
    const second = events[1] as StoredEvent;
    expect(hasher.leaf(encodeEntry({ ...second, prevHash: null })).equals(second.hash)).toBe(false);
    expect(hasher.leaf(encodeEntry({ ...second, prevHash: second.hash })).equals(second.hash)).toBe(false);
    // The first event has no previous hash.
    const first = events[0] as StoredEvent;
    expect(hasher.leaf(encodeEntry({ ...first, prevHash: null })).equals(first.hash)).toBe(true);
  });

  it('keeps the tree head equal to the root over all event hashes (batches of 1, 7 and 300)', async () => {
    let next = 2000;
    for (const size of [1, 7, 300]) {
      const before = (await readLogHead(db))?.size as number;
      const appended = await append(batch(size, next));
      next += size;
      expect(appended.map((entry) => entry.seq)).toEqual(Array.from({ length: size }, (_, i) => before + i));
      await expectHeadMatchesEvents();
    }
    const events = await allEvents();
    expectChain(events);
    // Each stored subtree is the root of the perfect subtree that its leaf completes.
    const leaves = events.map((stored) => stored.hash);
    for (const stored of events) {
      const nodes = splitHashes(stored.subtrees);
      nodes.forEach((node, index) => {
        const width = 2 ** (index + 1);
        const expected = rootFromLeafHashes(hasher, leaves.slice(stored.seq + 1 - width, stored.seq + 1));
        expect(node.toString('hex'), `level ${index + 1} at #${stored.seq}`).toBe(expected.toString('hex'));
      });
      let trailingOnes = 0;
      for (let rest = stored.seq; rest % 2 === 1; rest = Math.floor(rest / 2)) trailingOnes += 1;
      expect(nodes.length).toBe(trailingOnes);
    }
    expect(await verifyProblems()).toEqual({ problems: [], events: events.length });
  });
});

describe('the append-only trigger', () => {
  const refusal = async (statement: Promise<unknown>) => {
    const error = (await statement.then(
      () => undefined,
      (caught: unknown) => caught,
    )) as { code?: string; message?: string } | undefined;
    expect(error, 'the database should have refused').toBeDefined();
    return error as { code?: string; message?: string };
  };

  it('refuses UPDATE, DELETE and TRUNCATE of integrity_event in the database itself', async () => {
    const before = await allEvents();
    const update = await refusal(
      sql`update integrity_event set actor = 'intruder' where seq = 1`.execute(db),
    );
    expect(update.code).toBe('42501');
    expect(update.message).toBe('integrity_event is append-only (UPDATE refused)');
    const remove = await refusal(sql`delete from integrity_event where seq = 1`.execute(db));
    expect(remove.code).toBe('42501');
    expect(remove.message).toBe('integrity_event is append-only (DELETE refused)');
    const truncate = await refusal(sql`truncate integrity_event`.execute(db));
    expect(truncate.code).toBe('42501');
    expect(truncate.message).toBe('integrity_event is append-only (TRUNCATE refused)');
    // Also through the query builder, and for every row at once.
    const builder = await refusal(db.deleteFrom('integrity_event').execute());
    expect(builder.code).toBe('42501');
    const after = await allEvents();
    expect(after).toEqual(before);
  });
});

describe.runIf(onPostgres)('concurrent appends (PostgreSQL)', () => {
  it('serializes transactions on the head: gapless seqs, contiguous batches, correct root', async () => {
    const before = (await readLogHead(db))?.size as number;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, writer) =>
        db.transaction().execute(async (trx) => {
          const appended = await appendEvents(trx, batch(5, 10_000 + writer * 10));
          // Hold the head lock a little, so other writers queue behind it.
          await sleep(15);
          return appended.map((entry) => entry.seq);
        }),
      ),
    );
    for (const seqs of results) {
      expect(seqs).toHaveLength(5);
      expect(seqs.map((seq) => seq - (seqs[0] as number))).toEqual([0, 1, 2, 3, 4]);
    }
    const all = results.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 80 }, (_, i) => before + i));
    const events = await allEvents();
    expect(events).toHaveLength(before + 80);
    expectChain(events);
    await expectHeadMatchesEvents();
    expect((await verifyProblems()).problems).toEqual([]);
  });
});

describe('events of the catalog services', () => {
  const eventsOf = async (subject: string) => (await listEvents(db, { subject, limit: 100 })).reverse();
  const payloadOf = (stored: StoredEvent | undefined) =>
    JSON.parse(stored?.payload ?? 'null') as Record<string, unknown>;
  let code: string;

  it('logs fonds.created with the actor passed', async () => {
    await createFonds(db, FONDS, '档案员甲');
    const [created] = await eventsOf(`fonds:${FONDS.code}`);
    expect(created).toMatchObject({ action: 'fonds.created', actor: '档案员甲' });
    expect(payloadOf(created)).toMatchObject({ code: 'J013', name: FONDS.name, regionCode: '320115' });
  });

  it('logs item.created with the digest of the stored item as payload.state', async () => {
    const [filed, second] = await fileItems(
      db,
      [reimbursement(), reimbursement({ name: '李秀英', idNumber: validId('32011519900707456') })],
      '档案员甲',
      { access: SYSTEM },
    );
    code = filed?.archiveCode as string;
    const [created] = await eventsOf(`item:${code}`);
    expect(created).toMatchObject({ action: 'item.created', actor: '档案员甲' });
    const payload = payloadOf(created);
    expect(Object.keys(payload).sort()).toEqual(['state', 'version']);
    expect(payload.version).toBe(1);
    expect(payload.state).toMatch(/^[0-9a-f]{64}$/);
    expect(payload.state).toBe(stateDigest('sha256', itemState(await getItem(db, code, SYSTEM))));
    // One event per item of the batch, in the same transaction, with distinct states.
    const [other] = await eventsOf(`item:${second?.archiveCode}`);
    expect(other?.seq).toBe((created?.seq as number) + 1);
    expect(other?.recordedAt.toISOString()).toBe(created?.recordedAt.toISOString());
    expect(payloadOf(other).state).toBe(
      stateDigest('sha256', itemState(await getItem(db, second?.archiveCode as string, SYSTEM))),
    );
    expect(payloadOf(other).state).not.toBe(payload.state);
  });

  it('logs item.changed with the fields, the reason, the new state and the replaced state', async () => {
    const before = await getItem(db, code, SYSTEM);
    const changed = await updateItem(
      db,
      code,
      { amount: '88.8', handler: '张伟', reason: '复核更正' },
      '科长乙',
      { access: SYSTEM },
    );
    expect(changed.version).toBe(2);
    const [created, change] = await eventsOf(`item:${code}`);
    expect(change).toMatchObject({ action: 'item.changed', actor: '科长乙' });
    expect(payloadOf(change)).toEqual({
      version: 2,
      fields: ['amount', 'handler'],
      reason: '复核更正',
      state: stateDigest('sha256', itemState(changed)),
      previousState: stateDigest('sha256', itemState(before)),
    });
    // The replaced state is the one the filing logged.
    expect(payloadOf(change).previousState).toBe(payloadOf(created).state);
  });

  it('logs nothing for an edit that is refused', async () => {
    const size = await countEvents(db);
    await expect(
      updateItem(db, code, { amount: '88.8', reason: '重复提交' }, '科长乙', { access: SYSTEM }),
    ).rejects.toMatchObject({
      code: 'NO_CHANGES',
    });
    expect(await countEvents(db)).toBe(size);
  });

  it('logs fonds and category changes with the actor passed', async () => {
    await changeFonds(db, FONDS.code, { name: '南京市江宁区医疗保障局（新）' }, '局长丙');
    const fondsEvents = await eventsOf(`fonds:${FONDS.code}`);
    expect(fondsEvents.map((stored) => [stored.action, stored.actor])).toEqual([
      ['fonds.created', '档案员甲'],
      ['fonds.changed', '局长丙'],
    ]);
    expect(payloadOf(fondsEvents[1]).name).toBe('南京市江宁区医疗保障局（新）');

    await addCategory(db, { code: 'TESTX', name: '测试类别', defaultRetention: 'D10' }, '管理员丁');
    await changeCategory(db, 'TESTX', { status: 'retired' }, '管理员戊');
    const categoryEvents = await eventsOf('category:TESTX');
    expect(categoryEvents.map((stored) => [stored.action, stored.actor])).toEqual([
      ['category.created', '管理员丁'],
      ['category.changed', '管理员戊'],
    ]);
    expect(payloadOf(categoryEvents[0])).toMatchObject({ code: 'TESTX', status: 'active' });
    expect(payloadOf(categoryEvents[1])).toMatchObject({ code: 'TESTX', status: 'retired' });
  });

  it('leaves a log that still verifies end to end', async () => {
    const events = await allEvents();
    expectChain(events);
    await expectHeadMatchesEvents();
    expect(await verifyProblems()).toEqual({ problems: [], events: events.length });
  });
});
