import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createBackup } from '../src/modules/backup/backup.service.js';
import { restoreBackup } from '../src/modules/backup/restore.service.js';
import { addFile, listFiles, openFile } from '../src/modules/storage/file.service.js';
import { runFixity } from '../src/modules/storage/fixity.service.js';
import type { S3Replica } from '../src/modules/storage/s3-replica.js';
import { verifyAll } from '../src/modules/verify/verify.service.js';
import { openSystem } from '../src/system/system.js';
import { dropEmptyDatabases, freshDatabaseUrl } from './helpers/database.js';
import { SYSTEM } from './helpers/fixture-access.js';
import { failure } from './helpers/fixtures.js';
import { opaqueBytes } from './helpers/opaque-content.js';
import { S3_BUCKET, startTestS3, type TestS3 } from './helpers/s3.js';
import {
  directoryReplica,
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from './helpers/system.js';

// A system whose second replica is S3-compatible object storage: files reach both places, the
// catalog records both, and reads, fixity, verify, backup and restore treat the bucket as a replica.

let s3: TestS3;
let client: S3Client;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function objectBytes(key: string): Promise<Buffer | undefined> {
  try {
    const output = await client.send(new GetObjectCommand({ Bucket: S3_BUCKET, Key: key }));
    return Buffer.from(
      await (output.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  } catch {
    return undefined;
  }
}

/** A system with directory r1 and S3 replica `cloud` under its own prefix; `cloudRequired` false marks it `?`. */
function openWithCloud(cloudRequired = true): Promise<TestSystem> {
  const prefix = randomUUID().slice(0, 8);
  return openTestSystem({
    replicas: `r1=replica-1,cloud=s3://${S3_BUCKET}/${prefix}/${cloudRequired ? '' : '?'}`,
    env: s3.env,
  });
}

const cloudOf = (system: TestSystem) => system.store.replica('cloud') as S3Replica;

beforeAll(async () => {
  s3 = await startTestS3();
  client = s3.client;
});
afterAll(async () => {
  await dropEmptyDatabases();
  await s3.dispose();
});

describe('an S3 replica in the blob store', () => {
  it('stores every file in the bucket as well, and reads survive a deleted or corrupted object', async () => {
    const system = await openWithCloud();
    try {
      const code = await fileOneItem(system);
      const scan = opaqueBytes(200_000);
      const added = await addFile(
        storage(system),
        code,
        { stream: streamOf(scan), fileName: 'scan.pdf' },
        '档案员',
      );
      expect(added.replicas.sort()).toEqual(['cloud', 'r1']);
      const key = cloudOf(system).blobKey(added.digest);
      const stored = await objectBytes(key);
      // Encrypted at rest in the bucket too: the same stored bytes as the directory copy, not the scan.
      expect(stored?.equals(fs.readFileSync(directoryReplica(system, 'r1').blobPath(added.digest)))).toBe(
        true,
      );
      expect(stored?.includes(scan.subarray(0, 64))).toBe(false);

      // The directory copy goes; the file is read from the bucket.
      fs.rmSync(directoryReplica(system, 'r1').blobPath(added.digest));
      const first = await openFile(storage(system), code, 1, '调阅人');
      expect((await readAll(first.stream)).equals(scan)).toBe(true);

      // Fixity puts the directory copy back; then the bucket's copy is corrupted behind Yidang's back.
      const repairedDirectory = await runFixity(storage(system), '审计员');
      expect(repairedDirectory).toMatchObject({ repaired: 1, lost: 0 });
      const flipped = Buffer.from(stored as Buffer);
      flipped[100] = (flipped[100] as number) ^ 0xff;
      await client.send(new PutObjectCommand({ Bucket: S3_BUCKET, Key: key, Body: flipped }));

      const report = await verifyAll({
        db: system.database.db,
        store: system.store,
        signingKey: system.signingKey,
      });
      expect(report.problems.map((problem) => problem.kind)).toEqual(['blob.copy_corrupt']);
      expect(report.problems[0]?.message).toContain('“cloud”');

      const again = await openFile(storage(system), code, 1, '调阅人');
      expect((await readAll(again.stream)).equals(scan)).toBe(true);
      const fixity = await runFixity(storage(system), '审计员');
      expect(fixity).toMatchObject({ repaired: 1, lost: 0 });
      expect(fixity.findings).toEqual([
        expect.objectContaining({
          replica: 'cloud',
          problem: 'corrupt',
          repaired: true,
          detail: '已从副本“r1”修复',
        }),
      ]);
      expect((await objectBytes(key))?.equals(stored as Buffer)).toBe(true);
      expect(
        (await verifyAll({ db: system.database.db, store: system.store, signingKey: system.signingKey })).ok,
      ).toBe(true);

      // A deleted object is a missing copy, and is put back from the directory.
      await client.send(new DeleteObjectCommand({ Bucket: S3_BUCKET, Key: key }));
      const missing = await runFixity(storage(system), '审计员');
      expect(missing.findings).toEqual([
        expect.objectContaining({
          replica: 'cloud',
          problem: 'missing',
          repaired: true,
          detail: '已从副本“r1”修复',
        }),
      ]);
      expect((await objectBytes(key))?.equals(stored as Buffer)).toBe(true);
    } finally {
      await system.dispose();
    }
  }, 60_000);

  it('refuses a file when a required bucket is unreachable, and records nothing', async () => {
    const system = await openWithCloud(true);
    try {
      const code = await fileOneItem(system);
      await s3.stop();
      try {
        const error = await failure(
          addFile(
            storage(system),
            code,
            { stream: streamOf(opaqueBytes(5000)), fileName: 'a.pdf' },
            '档案员',
          ),
        );
        expect(error.code).toBe('REPLICA_UNAVAILABLE');
        expect(error.message).toContain('无法连接对象存储服务');
      } finally {
        await s3.restart();
      }
      expect(await listFiles(system.database.db, code, SYSTEM)).toEqual([]);
      expect(fs.readdirSync(path.join(directoryReplica(system, 'r1').root, 'tmp'))).toEqual([]);
      expect(await system.database.db.selectFrom('storage_blob').select('digest').execute()).toEqual([]);
    } finally {
      await system.dispose();
    }
  }, 60_000);

  it('accepts a file while a best-effort bucket is down and fills it in on the next fixity run', async () => {
    const system = await openWithCloud(false);
    try {
      const code = await fileOneItem(system);
      const content = opaqueBytes(8000);
      await s3.stop();
      let digest: string;
      try {
        const added = await addFile(
          storage(system),
          code,
          { stream: streamOf(content), fileName: 'a.pdf' },
          '档案员',
        );
        digest = added.digest;
        expect(added.replicas).toEqual(['r1']);
      } finally {
        await s3.restart();
      }
      const key = cloudOf(system).blobKey(digest);
      expect(await objectBytes(key)).toBeUndefined();
      const fixity = await runFixity(storage(system), '审计员');
      expect(fixity).toMatchObject({ repaired: 1, lost: 0, unrepaired: 0 });
      expect((await objectBytes(key))?.length).toBeGreaterThan(content.length);
      const [file] = await listFiles(system.database.db, code, SYSTEM);
      expect(file?.replicas.sort()).toEqual(['cloud', 'r1']);
    } finally {
      await system.dispose();
    }
  }, 60_000);

  it('backs up from the replicas and restores into a new home whose files live in a bucket', async () => {
    const system = await openWithCloud();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-s3-backup-'));
    const restoredUrl = await freshDatabaseUrl();
    try {
      const code = await fileOneItem(system);
      const content = opaqueBytes(70_000);
      const added = await addFile(
        storage(system),
        code,
        { stream: streamOf(content), fileName: 'a.pdf' },
        '档案员',
      );
      // The directory copy is lost before the backup: the backup takes the bucket's copy.
      fs.rmSync(directoryReplica(system, 'r1').blobPath(added.digest));
      const dir = path.join(work, 'backup');
      const passphrase = '备份口令-S3-Replica-2026';
      await createBackup(system, dir, passphrase, '备份员');

      const home = path.join(work, 'restored');
      const prefix = randomUUID().slice(0, 8);
      const config = loadConfig(
        {
          YIDANG_HOME: home,
          YIDANG_REPLICAS: `only=s3://${S3_BUCKET}/${prefix}/`,
          ...s3.env,
          ...(restoredUrl ? { DATABASE_URL: restoredUrl } : {}),
        },
        home,
      );
      const report = await restoreBackup(config, dir, passphrase);
      expect(report.verify.problems).toEqual([]);
      const restored = await openSystem(config);
      try {
        const opened = await openFile(storage(restored), code, 1, '调阅人');
        expect((await readAll(opened.stream)).equals(content)).toBe(true);
        expect(
          await objectBytes((restored.store.replica('only') as S3Replica).blobKey(added.digest)),
        ).toBeDefined();
      } finally {
        await restored.close();
      }
    } finally {
      await system.dispose();
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
