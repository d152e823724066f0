import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import {
  appendNumbered,
  at10,
  at37,
  clone,
  codeOf,
  db,
  flipHex,
  hasher,
  leaves,
  origin,
  system,
  useProofLog,
  verifier,
} from '../../../test/helpers/proof-log.js';
import { isYidangError } from '../../shared/errors.js';
import { writeCheckpoint } from './checkpoint.service.js';
import { formatCheckpointBody, signNote } from './checkpoint-note.js';
import { rootFromLeafHashes, verifyConsistency } from './merkle.js';
import {
  type ConsistencyProofDocument,
  proveConsistency,
  proveInclusion,
  verifyConsistencyDocument,
  verifyInclusionDocument,
} from './proof.service.js';

// Consistency proofs from a real log of 37 events with signed checkpoints at 10 and 37 (set up by
// test/helpers/proof-log.ts), malformed proof documents, and proofs after the log grows. The last
// describe appends events and signs a checkpoint at 40, so it stays last in this file.

useProofLog();

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
    const inclusion = await proveInclusion(db, 20, undefined, SYSTEM);
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
    const fresh = await proveInclusion(db, 38, undefined, SYSTEM);
    expect(fresh.treeSize).toBe(40);
    expect(fresh.checkpoint).toBeNull();
    const old = await proveInclusion(db, 5, undefined, SYSTEM);
    expect(old.treeSize).toBe(37);
    expect(old.checkpoint).toBe(at37.note);
    expect(verifyInclusionDocument(old, at37.note, verifier)).toEqual({ seq: 5, treeSize: 37 });
    // Once a checkpoint at 40 is signed, the new event's proof verifies against it.
    const at40 = await writeCheckpoint(db, system.signingKey, 'auditor');
    const signed = await proveInclusion(db, 38, undefined, SYSTEM);
    expect(signed.checkpoint).toBe(at40.note);
    expect(verifyInclusionDocument(signed, at40.note, verifier)).toEqual({ seq: 38, treeSize: 40 });
    const grown = await proveConsistency(db, 37, 40);
    expect(verifyConsistencyDocument(grown, at37.note, at40.note, verifier)).toEqual({
      oldSize: 37,
      newSize: 40,
    });
  });
});
