import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import {
  asyncCodeOf,
  at10,
  at37,
  clone,
  codeOf,
  db,
  events,
  flipHex,
  hasher,
  leaves,
  origin,
  useProofLog,
  verifier,
} from '../../../test/helpers/proof-log.js';
import { initKeyring } from '../storage/keyring.js';
import { logVerifier } from './checkpoint.service.js';
import { formatCheckpointBody, signNote } from './checkpoint-note.js';
import { encodeEntry } from './event-log.js';
import { rootFromLeafHashes, verifyInclusion } from './merkle.js';
import {
  type InclusionProofDocument,
  proveConsistency,
  proveInclusion,
  verifyConsistencyDocument,
  verifyInclusionDocument,
} from './proof.service.js';

// Inclusion proofs from a real log of 37 events with signed checkpoints at 10 and 37 (set up by
// test/helpers/proof-log.ts), and the errors for events and tree sizes the log cannot prove.

useProofLog();

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
      const document = await proveInclusion(db, seq, undefined, SYSTEM);
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
      const document = await proveInclusion(db, seq, 10, SYSTEM);
      expect(document.treeSize).toBe(10);
      expect(document.checkpoint).toBe(at10.note);
      expect(verifyInclusionDocument(document, at10.note, verifier)).toEqual({ seq, treeSize: 10 });
    }
  });

  it('are at most ceil(log2 n) hashes long and verify with the RFC 9162 algorithm for every event', async () => {
    for (const size of [10, 37]) {
      const root = rootFromLeafHashes(hasher, leaves(size));
      for (let seq = 0; seq < size; seq++) {
        const document = await proveInclusion(db, seq, size, SYSTEM);
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
      document = await proveInclusion(db, 20, undefined, SYSTEM);
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
      const older = await proveInclusion(db, 5, 10, SYSTEM);
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
      const document = await proveInclusion(db, 3, undefined, SYSTEM);
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

describe('errors', () => {
  it('EVENT_NOT_FOUND for a seq outside the log', async () => {
    for (const seq of [37, 1000, -1, 2.5, Number.NaN]) {
      expect(await asyncCodeOf(proveInclusion(db, seq, undefined, SYSTEM)), String(seq)).toBe(
        'EVENT_NOT_FOUND',
      );
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
      expect(await asyncCodeOf(proveInclusion(db, seq, size, SYSTEM)), `${seq} in ${size}`).toBe(
        'TREE_SIZE_INVALID',
      );
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
