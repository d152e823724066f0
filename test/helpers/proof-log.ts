import { afterAll, beforeAll } from 'vitest';
import type { Db } from '../../src/db/database.js';
import {
  type Checkpoint,
  logVerifier,
  writeCheckpoint,
} from '../../src/modules/integrity/checkpoint.service.js';
import type { NoteVerifier } from '../../src/modules/integrity/checkpoint-note.js';
import { eventsAfter, readLogHead, type StoredEvent } from '../../src/modules/integrity/event.repo.js';
import { appendEvents, type EventInput } from '../../src/modules/integrity/event-log.js';
import { treeHasher } from '../../src/modules/integrity/merkle.js';
import { isYidangError } from '../../src/shared/errors.js';
import { openTestSystem, type TestSystem } from './system.js';

// Shared set-up for the src/modules/integrity/proof.service.*.test.ts files: a real log of 37 events
// with signed checkpoints at 10 and 37, checked the way an outside verifier would: only the document,
// the note and the public key. Each test file calls useProofLog() once at its top level and gets its
// own system; the values below are set by its beforeAll (ESM live bindings).

export let system: TestSystem;
export let db: Db;
export let verifier: NoteVerifier;
export let origin: string;
export let at10: Checkpoint;
export let at37: Checkpoint;
export let events: StoredEvent[];
export const hasher = treeHasher('sha256');

export async function appendNumbered(from: number, count: number): Promise<void> {
  // Several transactions of different sizes, as real changes would come.
  let next = from;
  while (next < from + count) {
    const size = Math.min(1 + (next % 4), from + count - next);
    await db.transaction().execute((trx) =>
      appendEvents(
        trx,
        // Made-up events exercise the proofs alone; no writer could record them.
        Array.from(
          { length: size },
          (_, i) =>
            ({
              actor: `clerk-${(next + i) % 3}`,
              action: 'test.recorded',
              subject: `test:${next + i}`,
              payload: { n: next + i },
            }) as unknown as EventInput,
        ),
      ),
    );
    next += size;
  }
}

/** Opens the test system and writes the log of 37 events and its two checkpoints before the file's tests. */
export function useProofLog(): void {
  beforeAll(async () => {
    system = await openTestSystem();
    db = system.database.db;
    await appendNumbered(0, 10);
    at10 = await writeCheckpoint(db, system.signingKey, 'auditor');
    await appendNumbered(10, 27);
    at37 = await writeCheckpoint(db, system.signingKey, 'auditor');
    verifier = await logVerifier(db, system.signingKey);
    origin = (await readLogHead(db))?.origin as string;
    events = await eventsAfter(db, -1, 1000);
  });
  afterAll(() => system?.dispose());
}

/** The error code a synchronous check or a promise fails with. */
export function codeOf(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    if (isYidangError(error)) return error.code;
    throw error;
  }
  return 'NO_ERROR';
}

export async function asyncCodeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'NO_ERROR',
    (error: unknown) => {
      if (isYidangError(error)) return error.code;
      throw error;
    },
  );
}

export const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
export const flipHex = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`;
export const leaves = (size: number) => events.slice(0, size).map((stored) => stored.hash);
