import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import type { Db } from '../../db/database.js';
import { isYidangError } from '../../shared/errors.js';
import { initKeyring } from '../storage/keyring.js';
import { type Checkpoint, logVerifier, writeCheckpoint } from './checkpoint.service.js';
import { formatCheckpointBody, type NoteVerifier, signNote } from './checkpoint-note.js';
import { eventsAfter, readLogHead, type StoredEvent } from './event.repo.js';
import { appendEvents, encodeEntry } from './event-log.js';
import { rootFromLeafHashes, treeHasher, verifyConsistency, verifyInclusion } from './merkle.js';
import {
  type ConsistencyProofDocument,
  type InclusionProofDocument,
  proveConsistency,
  proveInclusion,
  verifyConsistencyDocument,
  verifyInclusionDocument,
} from './proof.service.js';

// Inclusion and consistency proofs from a real log of 37 events with signed checkpoints at 10 and
// 37, checked the way an outside verifier would: only the document, the note and the public key.

let system: TestSystem;
let db: Db;
let verifier: NoteVerifier;
let origin: string;
let at10: Checkpoint;
let at37: Checkpoint;
let events: StoredEvent[];
const hasher = treeHasher('sha256');

async function appendNumbered(from: number, count: number): Promise<void> {
  // Several transactions of different sizes, as real changes would come.
  let next = from;
  while (next < from + count) {
    const size = Math.min(1 + (next % 4), from + count - next);
    await db.transaction().execute((trx) =>
      appendEvents(
        trx,
        Array.from({ length: size }, (_, i) => ({
          actor: `clerk-${(next + i) % 3}`,
          action: 'test.recorded',
          subject: `test:${next + i}`,
          payload: { n: next + i },
        })),
      ),
    );
    next += size;
  }
}

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

/** The error code a synchronous check or a promise fails with. */
function codeOf(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    if (isYidangError(error)) return error.code;
    throw error;
  }
  return 'NO_ERROR';
}

async function asyncCodeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'NO_ERROR',
    (error: unknown) => {
      if (isYidangError(error)) return error.code;
      throw error;
    },
  );
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const flipHex = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`;
const leaves = (size: number) => events.slice(0, size).map((stored) => stored.hash);

describe('the log under test', () => {
  it('has 37 events and checkpoints at 10 and 37 whose roots are the Merkle roots of their prefixes', () => {
    expect(events.map((stored) => stored.seq)).toEqual(Array.from({ length: 37 }, (_, i) => i));
    expect([at10.treeSize, at37.treeSize]).toEqual([10, 37]);
    expect(at10.rootHash).toBe(rootFromLeafHashes(hasher, leaves(10)).toString('hex'));
    expect(at37.rootHash).toBe(rootFromLeafHashes(hasher, leaves(37)).toString('hex'));
    expect(verifier.name).toBe(origin);
  });
});

describe('inclusion proofs', () => {
  it('verify for several events against the latest checkpoint covering them', async () => {
    for (const seq of [0, 1, 9, 10, 20, 31, 32, 36]) {
      const document = await proveInclusion(db, seq);
      expect(document).toMatchObject({
        type: 'yidang-inclusion-proof/1',
        origin,
        algorithm: 'sha256',
        treeSize: 37,
      });
      expect(document.checkpoint).toBe(at37.note);
      expect(document.leafHash).toBe(events[seq]?.hash.toString('hex'));
      expect(document.entry.prevHash).toBe(seq === 0 ? '' : events[seq - 1]?.hash.toString('hex'));
      expect(document.entry).toMatchObject({
        seq,
        subject: `test:${seq}`,
        payload: JSON.stringify({ n: seq }),
      });
      expect(verifyInclusionDocument(document, document.checkpoint as string, verifier)).toEqual({
        seq,
        treeSize: 37,
      });
    }
  });

  it('verify against the older checkpoint when its size is asked for', async () => {
    for (const seq of [0, 5, 9]) {
      const document = await proveInclusion(db, seq, 10);
      expect(document.treeSize).toBe(10);
      expect(document.checkpoint).toBe(at10.note);
      expect(verifyInclusionDocument(document, at10.note, verifier)).toEqual({ seq, treeSize: 10 });
    }
  });

  it('are at most ceil(log2 n) hashes long and verify with the RFC 9162 algorithm for every event', async () => {
    for (const size of [10, 37]) {
      const root = rootFromLeafHashes(hasher, leaves(size));
      for (let seq = 0; seq < size; seq++) {
        const document = await proveInclusion(db, seq, size);
        expect(document.proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
        const proof = document.proof.map((hex) => Buffer.from(hex, 'hex'));
        expect(
          verifyInclusion(hasher, seq, size, events[seq]?.hash as Buffer, proof, root),
          `#${seq} in ${size}`,
        ).toBe(true);
      }
    }
  });

  describe('fail with PROOF_INVALID when', () => {
    let document: InclusionProofDocument;
    beforeAll(async () => {
      document = await proveInclusion(db, 20);
    });
    const check = (altered: InclusionProofDocument, note = at37.note) =>
      codeOf(() => verifyInclusionDocument(altered, note, verifier));

    it('the entry payload or actor is altered', () => {
      expect(check(document)).toBe('NO_ERROR');
      const payload = clone(document);
      payload.entry.payload = JSON.stringify({ n: 21 });
      expect(check(payload)).toBe('PROOF_INVALID');
      const actor = clone(document);
      actor.entry.actor = 'someone-else';
      expect(check(actor)).toBe('PROOF_INVALID');
      const seq = clone(document);
      seq.entry.seq = 21;
      expect(check(seq)).toBe('PROOF_INVALID');
      const time = clone(document);
      time.entry.recordedAt = new Date(Date.parse(document.entry.recordedAt) + 1).toISOString();
      expect(check(time)).toBe('PROOF_INVALID');
    });

    it('the entry is altered and its leaf hash recomputed to match', () => {
      const altered = clone(document);
      altered.entry.payload = JSON.stringify({ n: 2000 });
      altered.leafHash = hasher
        .leaf(
          encodeEntry({
            ...altered.entry,
            recordedAt: new Date(altered.entry.recordedAt),
            prevHash: Buffer.from(altered.entry.prevHash, 'hex'),
          }),
        )
        .toString('hex');
      expect(check(altered)).toBe('PROOF_INVALID');
    });

    it('a proof hash is altered, dropped or added', () => {
      expect(document.proof.length).toBeGreaterThan(1);
      for (let index = 0; index < document.proof.length; index++) {
        const altered = clone(document);
        altered.proof[index] = flipHex(altered.proof[index] as string);
        expect(check(altered), `proof[${index}]`).toBe('PROOF_INVALID');
      }
      const dropped = clone(document);
      dropped.proof.pop();
      expect(check(dropped)).toBe('PROOF_INVALID');
      const added = clone(document);
      added.proof.push(document.leafHash);
      expect(check(added)).toBe('PROOF_INVALID');
      const reversed = clone(document);
      reversed.proof.reverse();
      expect(check(reversed)).toBe('PROOF_INVALID');
    });

    it('it is checked against the other checkpoint', async () => {
      expect(check(document, at10.note)).toBe('PROOF_INVALID');
      const older = await proveInclusion(db, 5, 10);
      expect(check(older, at37.note)).toBe('PROOF_INVALID');
      // Claiming the other size in the document does not help either.
      const resized = clone(older);
      resized.treeSize = 37;
      expect(check(resized, at37.note)).toBe('PROOF_INVALID');
    });
  });

  it('fail with CHECKPOINT_SIGNATURE_INVALID for a verifier key from a different keyring', async () => {
    const otherHome = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-other-keys-'));
    try {
      const other = initKeyring(otherHome);
      const otherVerifier = await logVerifier(db, other.signing);
      expect(otherVerifier.name).toBe(origin);
      const document = await proveInclusion(db, 3);
      expect(codeOf(() => verifyInclusionDocument(document, at37.note, otherVerifier))).toBe(
        'CHECKPOINT_SIGNATURE_INVALID',
      );
      const consistency = await proveConsistency(db, 10, 37);
      expect(codeOf(() => verifyConsistencyDocument(consistency, at10.note, at37.note, otherVerifier))).toBe(
        'CHECKPOINT_SIGNATURE_INVALID',
      );
      // And a note the other key signed is no checkpoint of this log.
      const body = formatCheckpointBody({
        origin,
        size: 37,
        rootHash: Buffer.from(at37.rootHash, 'hex'),
        time: new Date(),
      });
      const foreign = signNote(body, { ...other.signing, name: origin });
      expect(codeOf(() => verifyInclusionDocument(document, foreign, verifier))).toBe(
        'CHECKPOINT_SIGNATURE_INVALID',
      );
    } finally {
      fs.rmSync(otherHome, { recursive: true, force: true });
    }
  });
});

describe('consistency proofs', () => {
  it('prove that the log at 10 is a prefix of the log at 37', async () => {
    const document = await proveConsistency(db, 10, 37);
    expect(document).toMatchObject({
      type: 'yidang-consistency-proof/1',
      origin,
      algorithm: 'sha256',
      oldSize: 10,
      newSize: 37,
      oldRoot: at10.rootHash,
      newRoot: at37.rootHash,
      oldCheckpoint: at10.note,
      newCheckpoint: at37.note,
    });
    expect(verifyConsistencyDocument(document, at10.note, at37.note, verifier)).toEqual({
      oldSize: 10,
      newSize: 37,
    });
  });

  it('are at most ceil(log2 n) + 1 hashes long and verify for every old size', async () => {
    for (const newSize of [1, 2, 10, 16, 17, 32, 37]) {
      const newRoot = rootFromLeafHashes(hasher, leaves(newSize));
      for (let oldSize = 1; oldSize <= newSize; oldSize++) {
        const document = await proveConsistency(db, oldSize, newSize);
        const oldRoot = rootFromLeafHashes(hasher, leaves(oldSize));
        expect(document.oldRoot).toBe(oldRoot.toString('hex'));
        expect(document.newRoot).toBe(newRoot.toString('hex'));
        expect(document.proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(newSize)) + 1);
        const proof = document.proof.map((hex) => Buffer.from(hex, 'hex'));
        expect(
          verifyConsistency(hasher, oldSize, newSize, oldRoot, newRoot, proof),
          `${oldSize}→${newSize}`,
        ).toBe(true);
        if (oldSize < newSize && proof.length > 0) {
          // Any altered hash breaks it.
          const broken = proof.map((hash, index) =>
            index === 0 ? Buffer.from(flipHex(hash.toString('hex')), 'hex') : hash,
          );
          expect(verifyConsistency(hasher, oldSize, newSize, oldRoot, newRoot, broken)).toBe(false);
        }
      }
    }
  });

  it('fail against a forged second checkpoint', async () => {
    const document = await proveConsistency(db, 10, 37);
    // A validly signed head of a different history of 37 events (a split view): event #12 rewritten.
    const forgedLeaves = leaves(37);
    forgedLeaves[12] = hasher.leaf(Buffer.from('rewritten'));
    const forgedRoot = rootFromLeafHashes(hasher, forgedLeaves);
    const forged = signNote(
      formatCheckpointBody({ origin, size: 37, rootHash: forgedRoot, time: new Date() }),
      {
        ...system.signingKey,
        name: origin,
      },
    );
    expect(codeOf(() => verifyConsistencyDocument(document, at10.note, forged, verifier))).toBe(
      'PROOF_INVALID',
    );
    // The real note with its root edited after signing.
    const editedRoot = at37.note.replace(
      Buffer.from(at37.rootHash, 'hex').toString('base64'),
      forgedRoot.toString('base64'),
    );
    expect(editedRoot).not.toBe(at37.note);
    expect(codeOf(() => verifyConsistencyDocument(document, at10.note, editedRoot, verifier))).toBe(
      'CHECKPOINT_SIGNATURE_INVALID',
    );
    // The checkpoints swapped, or the same one twice.
    expect(codeOf(() => verifyConsistencyDocument(document, at37.note, at10.note, verifier))).toBe(
      'PROOF_INVALID',
    );
    expect(codeOf(() => verifyConsistencyDocument(document, at37.note, at37.note, verifier))).toBe(
      'PROOF_INVALID',
    );
  });

  it('fail when a proof hash is altered', async () => {
    const document = await proveConsistency(db, 10, 37);
    for (let index = 0; index < document.proof.length; index++) {
      const altered = clone(document) as ConsistencyProofDocument;
      altered.proof[index] = flipHex(altered.proof[index] as string);
      expect(codeOf(() => verifyConsistencyDocument(altered, at10.note, at37.note, verifier))).toBe(
        'PROOF_INVALID',
      );
    }
    const truncated = clone(document);
    truncated.proof = [];
    expect(codeOf(() => verifyConsistencyDocument(truncated, at10.note, at37.note, verifier))).toBe(
      'PROOF_INVALID',
    );
  });
});

describe('errors', () => {
  it('EVENT_NOT_FOUND for a seq outside the log', async () => {
    for (const seq of [37, 1000, -1, 2.5, Number.NaN]) {
      expect(await asyncCodeOf(proveInclusion(db, seq)), String(seq)).toBe('EVENT_NOT_FOUND');
    }
  });

  it('TREE_SIZE_INVALID for a tree size that cannot hold the event or exceeds the log', async () => {
    for (const [seq, size] of [
      [5, 5],
      [5, 3],
      [5, 0],
      [5, 38],
      [5, 10.5],
    ] as const) {
      expect(await asyncCodeOf(proveInclusion(db, seq, size)), `${seq} in ${size}`).toBe('TREE_SIZE_INVALID');
    }
    for (const [oldSize, newSize] of [
      [0, 10],
      [11, 10],
      [10, 38],
      [-1, 10],
      [1.5, 10],
      [10, Number.POSITIVE_INFINITY],
    ] as const) {
      expect(await asyncCodeOf(proveConsistency(db, oldSize, newSize)), `${oldSize}→${newSize}`).toBe(
        'TREE_SIZE_INVALID',
      );
    }
  });
});

describe('malformed proof documents', () => {
  const thrown = (check: () => unknown): unknown => {
    try {
      check();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  // Regression (fixed): src/modules/integrity/proof.service.ts:152-167 (and :184-194) check only `type` before using
  // the document's fields, so a proof file with a missing `entry` or `proof`, or an unparseable
  // `recordedAt`, throws a bare TypeError/RangeError instead of a YidangError. `yidang proof verify`
  // (meant for outside parties) then exits 2 with "内部错误" and a stack trace instead of exit 1 with a
  // Chinese message saying the proof file is malformed.
  it('are rejected with a YidangError, not a TypeError', async () => {
    const inclusion = await proveInclusion(db, 20);
    const consistency = await proveConsistency(db, 10, 37);
    const malformed: Array<[string, () => unknown]> = [
      [
        'inclusion without entry',
        () => verifyInclusionDocument({ ...inclusion, entry: undefined } as never, at37.note, verifier),
      ],
      [
        'inclusion without proof',
        () => verifyInclusionDocument({ ...inclusion, proof: undefined } as never, at37.note, verifier),
      ],
      [
        'inclusion with an unparseable time',
        () =>
          verifyInclusionDocument(
            { ...inclusion, entry: { ...inclusion.entry, recordedAt: 'yesterday' } },
            at37.note,
            verifier,
          ),
      ],
      [
        'consistency without proof',
        () =>
          verifyConsistencyDocument(
            { ...consistency, proof: undefined } as never,
            at10.note,
            at37.note,
            verifier,
          ),
      ],
    ];
    for (const [label, check] of malformed) {
      const error = thrown(check);
      expect(error, label).toBeDefined();
      expect(isYidangError(error), `${label}: ${String(error)}`).toBe(true);
    }
  });
});

describe('after the log grows past the last checkpoint', () => {
  it('proves a new event against the current head (no checkpoint yet) and an old one still against 37', async () => {
    await appendNumbered(37, 3);
    const fresh = await proveInclusion(db, 38);
    expect(fresh.treeSize).toBe(40);
    expect(fresh.checkpoint).toBeNull();
    const old = await proveInclusion(db, 5);
    expect(old.treeSize).toBe(37);
    expect(old.checkpoint).toBe(at37.note);
    expect(verifyInclusionDocument(old, at37.note, verifier)).toEqual({ seq: 5, treeSize: 37 });
    // Once a checkpoint at 40 is signed, the new event's proof verifies against it.
    const at40 = await writeCheckpoint(db, system.signingKey, 'auditor');
    const signed = await proveInclusion(db, 38);
    expect(signed.checkpoint).toBe(at40.note);
    expect(verifyInclusionDocument(signed, at40.note, verifier)).toEqual({ seq: 38, treeSize: 40 });
    const grown = await proveConsistency(db, 37, 40);
    expect(verifyConsistencyDocument(grown, at37.note, at40.note, verifier)).toEqual({
      oldSize: 37,
      newSize: 40,
    });
  });
});
