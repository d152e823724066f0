import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { countEvents, eventsAfter, listEvents } from './event.repo.js';
import {
  appendEvent,
  currentTreeHead,
  encodeEntry,
  type EventInput,
  logEvent,
  recordEvent,
  recordEvents,
} from './event-log.js';
import { rootFromLeafHashes, treeHasher } from './merkle.js';

// Events recorded during a change are appended as the transaction's last statements: the log's lock
// is not held while the change does its own work (a blob's fsync, an S3 copy).

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await openTestDatabase();
  db = database.db;
});
afterAll(() => database?.close());

const login = (subject: string): EventInput => ({
  actor: 'tester',
  action: 'auth.login',
  subject,
  payload: { address: null, totp: false },
});

describe('recordEvent', () => {
  it('appends nothing until the work is done, then the events in the order recorded', async () => {
    const before = await countEvents(db);
    let seenDuringWork = -1;
    await inTransaction(db, async (trx) => {
      recordEvent(trx, login('user:first'));
      // A nested inTransaction joins: its events go in the same final append.
      await inTransaction(trx, async (inner) => recordEvents(inner, [login('user:second')]));
      seenDuringWork = await countEvents(trx);
      recordEvent(trx, login('user:third'));
    });
    expect(seenDuringWork).toBe(before);
    const events = await listEvents(db, { limit: 3 });
    expect(events.map((event) => [event.seq, event.subject]).reverse()).toEqual([
      [before, 'user:first'],
      [before + 1, 'user:second'],
      [before + 2, 'user:third'],
    ]);
  });

  it('appends nothing when the change fails', async () => {
    const before = await countEvents(db);
    await expect(
      inTransaction(db, async (trx) => {
        recordEvent(trx, login('user:rolled-back'));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await countEvents(db)).toBe(before);
  });

  it('refuses outside inTransaction and a name the catalog does not know', async () => {
    await expect(db.transaction().execute(async (trx) => recordEvent(trx, login('user:x')))).rejects.toThrow(
      /inTransaction/,
    );
    const stranger = { ...login('user:x'), action: 'item.burned' } as unknown as EventInput;
    await expect(inTransaction(db, async (trx) => recordEvents(trx, [stranger]))).rejects.toThrow(
      /item\.burned is not in the event catalog/,
    );
  });

  it('gives a transaction opened elsewhere its events at the end of the inTransaction inside it', async () => {
    const before = await countEvents(db);
    await db.transaction().execute(async (trx) => {
      await inTransaction(trx, async (inner) => recordEvent(inner, login('user:foreign')));
      expect(await countEvents(trx)).toBe(before + 1);
    });
    await logEvent(db, login('user:alone'));
    expect(await countEvents(db)).toBe(before + 2);
    // The chain and the tree head still hold over everything appended this way.
    const hasher = treeHasher('sha256');
    const events = await eventsAfter(db, -1, 100_000);
    let prevHash: Buffer | null = null;
    for (const event of events) {
      const leaf = hasher.leaf(encodeEntry({ ...event, prevHash }));
      expect(leaf.equals(event.hash), `event ${event.seq}`).toBe(true);
      prevHash = event.hash;
    }
    const head = await currentTreeHead(db);
    expect(head.size).toBe(before + 2);
    expect(
      head.rootHash.equals(
        rootFromLeafHashes(
          hasher,
          events.map((event) => event.hash),
        ),
      ),
    ).toBe(true);
  });
});

describe.runIf(onPostgres)('the log lock during a change (PostgreSQL)', () => {
  it('is not held while the change works: another writer appends meanwhile', async () => {
    let release: () => void = () => {};
    const working = new Promise<void>((resolve) => {
      release = resolve;
    });
    let recorded: () => void = () => {};
    const hasRecorded = new Promise<void>((resolve) => {
      recorded = resolve;
    });
    const slow = inTransaction(db, async (trx) => {
      recordEvent(trx, login('user:slow'));
      recorded();
      // Stands for a blob's fsync or an upload: the other writer must get through meanwhile.
      await working;
    });
    await hasRecorded;
    const quick = db.transaction().execute((trx) => appendEvent(trx, login('user:quick')));
    const outcome = await Promise.race([
      quick.then(() => 'appended'),
      new Promise((resolve) => setTimeout(() => resolve('blocked'), 5000)),
    ]);
    release();
    await Promise.all([slow, quick]);
    expect(outcome).toBe('appended');
    const [last, previous] = await listEvents(db, { limit: 2 });
    expect([previous?.subject, last?.subject]).toEqual(['user:quick', 'user:slow']);
  });
});
