import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACTOR,
  blobFile,
  chunked,
  copyStatus,
  descriptorsOn,
  eventsOf,
  filesUnder,
  flipByte,
  fullDisk,
  MiB,
  readAll,
  replicaRoot,
  snapshot,
} from '../../../test/helpers/file-service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure } from '../../../test/helpers/fixtures.js';
import { opaqueBytes } from '../../../test/helpers/opaque-content.js';
import {
  directoryReplica,
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import { loadConfig } from '../../config/config.js';
import { openSystem } from '../../system/system.js';
import { addFile, listFiles, openFile } from './file.service.js';

// Files attached to items, end to end (a real database, real keys, real replica directories), part 2:
// replicas that go missing or fill up, corrupt copies, the wrong master key, optional replicas, and the
// Chinese commercial ciphers. The shared helpers are in test/helpers/file-service.ts; part 1 (adding
// and opening files on healthy replicas) is file.service.add-open.test.ts.

describe('replicas that fail', () => {
  let system: TestSystem;
  let code: string;

  beforeAll(async () => {
    system = await openTestSystem();
    code = await fileOneItem(system);
    await addFile(
      storage(system),
      code,
      { stream: streamOf('before the failures'), fileName: 'a.txt' },
      ACTOR,
    );
  });
  afterAll(async () => {
    await system?.dispose();
  });

  it('refuses a file when a required replica directory has gone, naming the replica', async () => {
    const r2 = replicaRoot(system, 'r2');
    fs.rmSync(r2, { recursive: true, force: true });
    try {
      const before = await snapshot(system);
      const error = await failure(
        addFile(
          storage(system),
          code,
          { stream: streamOf(opaqueBytes(5000)), fileName: 'lost-mount.bin' },
          ACTOR,
        ),
      );
      expect(error.code).toBe('REPLICA_UNAVAILABLE');
      expect(error.message).toContain('副本“r2');
      expect(error.message).toContain('目录不存在');
      expect(await snapshot(system)).toEqual(before);
      expect(filesUnder(path.join(replicaRoot(system, 'r1'), 'tmp'))).toEqual([]);
      expect(fs.existsSync(r2)).toBe(false);
    } finally {
      await system.store.replica('r2')?.initialize();
    }
  });

  it('refuses a file when a required replica fills up mid-write, and leaves nothing behind', async () => {
    const restore = fullDisk(system, 'r2', true);
    try {
      const before = await snapshot(system);
      const error = await failure(
        addFile(
          storage(system),
          code,
          { stream: chunked(opaqueBytes(2 * MiB + 5), 256 * 1024), fileName: 'big-scan.bin' },
          ACTOR,
        ),
      );
      expect(error.code).toBe('REPLICA_UNAVAILABLE');
      expect(error.message).toContain('磁盘空间已满');
      expect(error.message).toContain('r2');
      expect(await snapshot(system)).toEqual(before);
      for (const name of ['r1', 'r2'])
        expect(filesUnder(path.join(replicaRoot(system, name), 'tmp'))).toEqual([]);
    } finally {
      restore();
    }
  });

  it('reads from the other replica when one copy is corrupt, and records the corruption', async () => {
    const content = opaqueBytes(300_000);
    const added = await addFile(
      storage(system),
      code,
      { stream: streamOf(content), fileName: 'scan.tif' },
      ACTOR,
    );
    flipByte(blobFile(system, 'r1', added.digest));
    const { stream } = await openFile(storage(system), code, added.fileNumber, ACTOR);
    expect((await readAll(stream)).equals(content)).toBe(true);
    const detected = await eventsOf(system, 'blob.corruption_detected', `blob:${added.digest}`);
    expect(detected).toHaveLength(1);
    expect(detected[0]?.payload).toMatchObject({ replica: 'r1', during: 'read' });
    expect(await copyStatus(system, added.digest)).toEqual({ r1: 'corrupt', r2: 'ok' });
    const [listed] = (await listFiles(system.database.db, code, SYSTEM)).filter(
      (file) => file.fileNumber === added.fileNumber,
    );
    expect(listed?.replicas).toEqual(['r2']);
  });

  it('refuses to read when every copy is corrupt', async () => {
    const content = opaqueBytes(10_000);
    const added = await addFile(
      storage(system),
      code,
      { stream: streamOf(content), fileName: 'gone.bin' },
      ACTOR,
    );
    flipByte(blobFile(system, 'r1', added.digest));
    flipByte(blobFile(system, 'r2', added.digest), 30);
    const error = await failure(openFile(storage(system), code, added.fileNumber, ACTOR));
    expect(error.code).toBe('FILE_UNAVAILABLE');
    expect(error.message).toContain(added.digest);
    expect(await copyStatus(system, added.digest)).toEqual({ r1: 'corrupt', r2: 'corrupt' });
  });

  it('never returns content under a wrong master key', async () => {
    const content = Buffer.from('机密：参保人病历');
    const added = await addFile(
      storage(system),
      code,
      { stream: streamOf(content), fileName: 'secret.txt' },
      ACTOR,
    );
    const config = loadConfig(
      {
        YIDANG_HOME: system.home,
        YIDANG_REPLICAS: 'r1=replica-1,r2=replica-2',
        YIDANG_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      },
      system.home,
    );
    // Shares the database; not closed here, since closing would close the shared database.
    const other = await openSystem(config, { database: system.database });
    expect(other.keyring.current.id).not.toBe(system.keyring.current.id);
    const error = await failure(openFile(storage(other), code, added.fileNumber, ACTOR));
    expect(['MASTER_KEY_MISSING', 'MASTER_KEY_WRONG']).toContain(error.code);
    // The right keys still read it.
    const { stream } = await openFile(storage(system), code, added.fileNumber, ACTOR);
    expect((await readAll(stream)).equals(content)).toBe(true);
  });

  it.runIf(fs.existsSync('/proc/self/fd'))(
    'closes the copy it opened when the master key is missing',
    async () => {
      // Regression (fixed): BlobStore.open (blob-store.ts:221-224) opens the replica's copy with openRead and only
      // then looks the master key up and unwraps the data key; when either throws (MASTER_KEY_MISSING,
      // MASTER_KEY_WRONG) the opened file is never closed. The descriptor stays open until garbage
      // collection, which Node reports as DEP0137 ("Closing file descriptor … on garbage collection").
      const added = await addFile(
        storage(system),
        code,
        { stream: streamOf(opaqueBytes(1000)), fileName: 'fd.bin' },
        ACTOR,
      );
      const config = loadConfig(
        {
          YIDANG_HOME: system.home,
          YIDANG_REPLICAS: 'r1=replica-1,r2=replica-2',
          YIDANG_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
        },
        system.home,
      );
      const other = await openSystem(config, { database: system.database });
      const copies = ['r1', 'r2'].map((name) => blobFile(system, name, added.digest));
      const open = () => copies.reduce((sum, file) => sum + descriptorsOn(file), 0);
      expect(open()).toBe(0);
      const error = await failure(openFile(storage(other), code, added.fileNumber, ACTOR));
      expect(error.code).toBe('MASTER_KEY_MISSING');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(open()).toBe(0);
    },
  );
});

describe('optional replicas', () => {
  let system: TestSystem;
  let code: string;

  beforeAll(async () => {
    system = await openTestSystem({ replicas: 'r1=a,r2=b?' });
    code = await fileOneItem(system);
  });
  afterAll(async () => {
    await system?.dispose();
  });

  it('stores on the required replica when an optional one is missing', async () => {
    const r2 = replicaRoot(system, 'r2');
    fs.rmSync(r2, { recursive: true, force: true });
    try {
      const content = opaqueBytes(70_000);
      const added = await addFile(
        storage(system),
        code,
        { stream: streamOf(content), fileName: 'partial.bin' },
        ACTOR,
      );
      expect(added.replicas).toEqual(['r1']);
      expect(fs.existsSync(blobFile(system, 'r1', added.digest))).toBe(true);
      expect(fs.existsSync(r2)).toBe(false);
      expect(await copyStatus(system, added.digest)).toEqual({ r1: 'ok', r2: 'missing' });
      const { stream } = await openFile(storage(system), code, added.fileNumber, ACTOR);
      expect((await readAll(stream)).equals(content)).toBe(true);
    } finally {
      await system.store.replica('r2')?.initialize();
    }
  });

  it('drops an optional replica that fills up mid-write and keeps the file', async () => {
    const restore = fullDisk(system, 'r2', false);
    try {
      const content = opaqueBytes(MiB + 10);
      const added = await addFile(
        storage(system),
        code,
        { stream: chunked(content, 100_000), fileName: 'half.bin' },
        ACTOR,
      );
      expect(added.replicas).toEqual(['r1']);
      expect(await copyStatus(system, added.digest)).toEqual({ r1: 'ok', r2: 'missing' });
      expect(fs.existsSync(blobFile(system, 'r2', added.digest))).toBe(false);
      for (const name of ['r1', 'r2'])
        expect(filesUnder(path.join(replicaRoot(system, name), 'tmp'))).toEqual([]);
      const { stream } = await openFile(storage(system), code, added.fileNumber, ACTOR);
      expect((await readAll(stream)).equals(content)).toBe(true);
    } finally {
      restore();
    }
  });
});

describe('Chinese commercial cryptography', () => {
  it('uses sm3 digests when YIDANG_DIGEST=sm3 and reads back', async () => {
    const system = await openTestSystem({ env: { YIDANG_DIGEST: 'sm3' } });
    try {
      const code = await fileOneItem(system);
      const content = opaqueBytes(MiB + 1234);
      const added = await addFile(
        storage(system),
        code,
        { stream: chunked(content, 50_000), fileName: 'sm3.bin' },
        ACTOR,
      );
      expect(added.digest).toBe(`sm3:${crypto.createHash('sm3').update(content).digest('hex')}`);
      expect(directoryReplica(system, 'r1').blobPath(added.digest)).toContain(`${path.sep}sm3${path.sep}`);
      const { stream } = await openFile(storage(system), code, added.fileNumber, ACTOR);
      expect((await readAll(stream)).equals(content)).toBe(true);
    } finally {
      await system.dispose();
    }
  });

  it('encrypts with sm4 when YIDANG_CIPHER=sm4 and reads back', async () => {
    const system = await openTestSystem({ env: { YIDANG_CIPHER: 'sm4' } });
    try {
      const code = await fileOneItem(system);
      const content = opaqueBytes(2 * MiB + 77);
      const added = await addFile(
        storage(system),
        code,
        { stream: chunked(content, 300_000), fileName: 'sm4.bin' },
        ACTOR,
      );
      const stored = fs.readFileSync(blobFile(system, 'r2', added.digest));
      expect(stored[5]).toBe(2);
      const row = await system.database.db
        .selectFrom('storage_blob')
        .select('suite')
        .where('digest', '=', added.digest)
        .executeTakeFirstOrThrow();
      expect(row.suite).toBe('sm4');
      const { stream } = await openFile(storage(system), code, added.fileNumber, ACTOR);
      expect((await readAll(stream)).equals(content)).toBe(true);
    } finally {
      await system.dispose();
    }
  });
});
