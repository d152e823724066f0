import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { YidangError } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import { blobAad } from './blob-store.js';
import { unwrapDataKey, wrapDataKey } from './envelope.js';
import { blobsNotUnderKey, keyUsage, rewrapBlob } from './file.repo.js';
import { addMasterKey, type Keyring, retireMasterKey } from './keyring.js';

// Master-key rotation (主密钥轮换): every data key is re-wrapped under the new master key; file
// contents are never rewritten. Each batch commits with its event, so an interrupted rotation is
// resumed by running it again: whatever is still under an old key is what remains to do.

export interface RotationReport {
  keyId: string;
  started: boolean;
  rewrapped: number;
  retired: string[];
}

const BATCH = 500;

export async function pendingRotation(db: Db, keyring: Keyring): Promise<number> {
  return (await keyStatus(db, keyring)).pendingRotation;
}

/** Which master keys exist and how many data keys each wraps; never key bytes. */
export async function keyStatus(db: Db, keyring: Keyring) {
  const usage = await keyUsage(db);
  let pending = 0;
  for (const [keyId, count] of usage) if (keyId !== keyring.current.id) pending += count;
  return {
    source: keyring.source,
    current: keyring.current.id,
    masterKeys: keyring.all.map((key) => key.id),
    usage: Object.fromEntries(usage),
    pendingRotation: pending,
  };
}

export async function rotateMasterKey(
  db: Db,
  keyring: Keyring,
  actor: string,
  onProgress?: (done: number, total: number) => void,
): Promise<RotationReport> {
  const pending = await pendingRotation(db, keyring);
  const started = pending === 0;
  // Start a new rotation only when no earlier one is unfinished; otherwise finish that one first.
  let ring = keyring;
  if (started) {
    if (keyring.source === 'env')
      throw new YidangError(
        'MASTER_KEY_FROM_ENV',
        'invalid',
        '主密钥来自环境变量 YIDANG_MASTER_KEY：请把新主密钥放在最前（“新,旧”）后再运行 yidang keys rotate',
      );
    ring = addMasterKey(keyring);
    await inTransaction(db, async (trx) =>
      recordEvent(trx, {
        actor,
        action: 'keys.rotation_started',
        subject: `key:${ring.current.id}`,
        payload: { from: keyring.current.id, to: ring.current.id },
      }),
    );
  }
  const total = await pendingRotation(db, ring);
  let rewrapped = 0;
  for (;;) {
    const batch = await blobsNotUnderKey(db, ring.current.id, BATCH);
    if (batch.length === 0) break;
    await inTransaction(db, async (trx) => {
      const digests: string[] = [];
      for (const blob of batch) {
        const dataKey = unwrapDataKey(ring.get(blob.keyId).key, blob.wrappedKey, blobAad(blob.digest));
        const wrapped = wrapDataKey(ring.current.key, dataKey, blob.suite, blobAad(blob.digest));
        if (await rewrapBlob(trx, blob.digest, blob.keyId, ring.current.id, wrapped))
          digests.push(blob.digest);
      }
      recordEvent(trx, {
        actor,
        action: 'keys.rewrapped',
        subject: `key:${ring.current.id}`,
        payload: { count: digests.length, digests },
      });
      rewrapped += digests.length;
    });
    onProgress?.(rewrapped, total);
  }
  const retired: string[] = [];
  if (ring.source === 'file') {
    const usage = await keyUsage(db);
    for (const key of ring.all) {
      if (key.id !== ring.current.id && !usage.get(key.id)) {
        ring = retireMasterKey(ring, key.id);
        retired.push(key.id);
      }
    }
  }
  await inTransaction(db, async (trx) =>
    recordEvent(trx, {
      actor,
      action: 'keys.rotated',
      subject: `key:${ring.current.id}`,
      payload: { rewrapped, retired },
    }),
  );
  return { keyId: ring.current.id, started, rewrapped, retired };
}
