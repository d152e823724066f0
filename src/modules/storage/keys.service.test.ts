import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../../../test/helpers/fixtures.js';
import { opaqueBytes } from '../../../test/helpers/opaque-content.js';
import {
  asDirectory,
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import { loadConfig } from '../../config/config.js';
import { openSystem, type System } from '../../system/system.js';
import { type AttachedFile, addFile, openFile } from './file.service.js';
import { addMasterKey, loadKeyring, masterKeyId } from './keyring.js';
import { pendingRotation, rotateMasterKey } from './keys.service.js';

// Master-key rotation over a real database and real key files: data keys are rewrapped, the
// encrypted files never change, and the contents stay readable with the keys as loaded afresh.

const ACTOR = '安全管理员';

const sha256 = (content: Buffer) => crypto.createHash('sha256').update(content).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** sha256 of every stored blob file on every replica, by path. */
function blobFileHashes(system: System): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const replica of system.store.replicas.map(asDirectory)) {
    const root = path.join(replica.root, 'blobs');
    for (const entry of fs.readdirSync(root, { recursive: true }) as string[]) {
      const file = path.join(root, entry);
      if (fs.statSync(file).isFile()) hashes[file] = sha256(fs.readFileSync(file));
    }
  }
  return hashes;
}

const keyFiles = (system: TestSystem) => fs.readdirSync(path.join(system.home, 'keys')).sort();
const masterKeyFiles = (system: TestSystem) => keyFiles(system).filter((name) => name.startsWith('master-'));

async function blobRows(system: System) {
  const rows = await system.database.db
    .selectFrom('storage_blob')
    .select(['digest', 'key_id', 'wrapped_key'])
    .orderBy('digest')
    .execute();
  return rows.map((row) => ({ ...row, wrapped_key: Buffer.from(row.wrapped_key) }));
}

async function eventsOf(system: System, action: string) {
  const rows = await system.database.db
    .selectFrom('integrity_event')
    .selectAll()
    .where('action', '=', action)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as Record<string, unknown> }));
}

async function attach(system: System, code: string, count: number) {
  const attached: Array<{ file: AttachedFile; content: Buffer }> = [];
  for (let i = 0; i < count; i += 1) {
    const content = opaqueBytes(10_000 + i * 50_000);
    const file = await addFile(
      storage(system),
      code,
      { stream: streamOf(content), fileName: `件${i + 1}.bin` },
      ACTOR,
    );
    attached.push({ file, content });
  }
  return attached;
}

async function expectReadable(
  system: System,
  code: string,
  attached: Array<{ file: AttachedFile; content: Buffer }>,
) {
  for (const { file, content } of attached) {
    const { stream } = await openFile(storage(system), code, file.fileNumber, ACTOR);
    expect((await readAll(stream)).equals(content)).toBe(true);
  }
}

describe('rotateMasterKey with key files', () => {
  let system: TestSystem;
  let code: string;
  let attached: Array<{ file: AttachedFile; content: Buffer }>;
  let digests: string[];

  beforeAll(async () => {
    system = await openTestSystem();
    code = await fileOneItem(system);
    attached = await attach(system, code, 3);
    digests = attached.map(({ file }) => file.digest).sort();
  });
  afterAll(async () => {
    await system?.dispose();
  });

  it('rewraps every data key under a new key, retires the old one and leaves the files alone', async () => {
    const oldId = system.keyring.current.id;
    const filesBefore = blobFileHashes(system);
    const rowsBefore = await blobRows(system);
    expect(rowsBefore.every((row) => row.key_id === oldId)).toBe(true);
    expect(masterKeyFiles(system)).toEqual([`master-${oldId}.key`]);

    const report = await rotateMasterKey(system.database.db, system.keyring, ACTOR);
    expect(report.started).toBe(true);
    expect(report.rewrapped).toBe(3);
    expect(report.retired).toEqual([oldId]);
    expect(report.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(report.keyId).not.toBe(oldId);

    const rowsAfter = await blobRows(system);
    expect(rowsAfter.map((row) => row.key_id)).toEqual([report.keyId, report.keyId, report.keyId]);
    for (const [i, row] of rowsAfter.entries())
      expect(row.wrapped_key.equals(rowsBefore[i]?.wrapped_key as Buffer)).toBe(false);
    expect(masterKeyFiles(system)).toEqual([`master-${report.keyId}.key`]);
    expect(fs.readFileSync(path.join(system.home, 'keys', 'current'), 'utf8').trim()).toBe(report.keyId);
    expect(blobFileHashes(system)).toEqual(filesBefore);

    const [started] = await eventsOf(system, 'keys.rotation_started');
    expect(started?.payload).toEqual({ from: oldId, to: report.keyId });
    const rewrapped = await eventsOf(system, 'keys.rewrapped');
    expect(rewrapped.every((event) => event.subject === `key:${report.keyId}`)).toBe(true);
    expect(rewrapped.flatMap((event) => event.payload.digests as string[]).sort()).toEqual(digests);
    expect(rewrapped.reduce((sum, event) => sum + (event.payload.count as number), 0)).toBe(3);
    const [rotated] = await eventsOf(system, 'keys.rotated');
    expect(rotated?.payload).toEqual({ rewrapped: 3, retired: [oldId] });

    const fresh = await openSystem(system.config, { database: system.database });
    expect(fresh.keyring.current.id).toBe(report.keyId);
    expect(fresh.keyring.all.map((key) => key.id)).toEqual([report.keyId]);
    expect(await pendingRotation(system.database.db, fresh.keyring)).toBe(0);
    await expectReadable(fresh, code, attached);
  });

  it('finishes an interrupted rotation instead of starting another', async () => {
    const fromId = loadKeyring(system.home, system.config.env).current.id;
    const filesBefore = blobFileHashes(system);
    const startedBefore = (await eventsOf(system, 'keys.rotation_started')).length;
    const rewrappedBefore = (await eventsOf(system, 'keys.rewrapped')).length;
    // The rotation got as far as making the new key current, then stopped.
    const interrupted = addMasterKey(loadKeyring(system.home, system.config.env));
    expect(interrupted.current.id).not.toBe(fromId);
    expect(masterKeyFiles(system)).toHaveLength(2);
    expect(await pendingRotation(system.database.db, interrupted)).toBe(3);

    const report = await rotateMasterKey(
      system.database.db,
      loadKeyring(system.home, system.config.env),
      ACTOR,
    );
    expect(report).toEqual({
      keyId: interrupted.current.id,
      started: false,
      rewrapped: 3,
      retired: [fromId],
    });
    expect((await blobRows(system)).every((row) => row.key_id === interrupted.current.id)).toBe(true);
    expect(masterKeyFiles(system)).toEqual([`master-${interrupted.current.id}.key`]);
    expect(blobFileHashes(system)).toEqual(filesBefore);
    expect(await eventsOf(system, 'keys.rotation_started')).toHaveLength(startedBefore);
    const rewrapped = (await eventsOf(system, 'keys.rewrapped')).slice(rewrappedBefore);
    expect(rewrapped.flatMap((event) => event.payload.digests as string[]).sort()).toEqual(digests);

    const fresh = await openSystem(system.config, { database: system.database });
    await expectReadable(fresh, code, attached);
  });
});

describe('rotateMasterKey with keys from YIDANG_MASTER_KEY', () => {
  const oldKey = crypto.randomBytes(32);
  const newKey = crypto.randomBytes(32);
  let system: TestSystem;
  let code: string;
  let attached: Array<{ file: AttachedFile; content: Buffer }>;

  const envSystem = (value: string) =>
    openSystem(
      loadConfig(
        { YIDANG_HOME: system.home, YIDANG_REPLICAS: 'r1=replica-1,r2=replica-2', YIDANG_MASTER_KEY: value },
        system.home,
      ),
      // Shares the database; never closed here, which would close it for the others.
      { database: system.database },
    );

  beforeAll(async () => {
    system = await openTestSystem({ env: { YIDANG_MASTER_KEY: oldKey.toString('base64') } });
    code = await fileOneItem(system);
    attached = await attach(system, code, 2);
  });
  afterAll(async () => {
    await system?.dispose();
  });

  it('refuses to start a rotation when the only key comes from the environment', async () => {
    expect(system.keyring.source).toBe('env');
    const filesBefore = keyFiles(system);
    expect(filesBefore.some((name) => name.startsWith('master-'))).toBe(false);
    const error = await failure(rotateMasterKey(system.database.db, system.keyring, ACTOR));
    expect(error.code).toBe('MASTER_KEY_FROM_ENV');
    expect(error.message).toContain('YIDANG_MASTER_KEY');
    expect(keyFiles(system)).toEqual(filesBefore);
    expect((await blobRows(system)).every((row) => row.key_id === masterKeyId(oldKey))).toBe(true);
    expect(await eventsOf(system, 'keys.rotation_started')).toEqual([]);
  });

  it('rewraps to the first key of "new,old" without writing key files', async () => {
    const filesBefore = keyFiles(system);
    const blobsBefore = blobFileHashes(system);
    const both = await envSystem(`${newKey.toString('base64')},${oldKey.toString('base64')}`);
    expect(both.keyring.current.id).toBe(masterKeyId(newKey));
    expect(await pendingRotation(system.database.db, both.keyring)).toBe(2);

    const report = await rotateMasterKey(system.database.db, both.keyring, ACTOR);
    expect(report).toEqual({ keyId: masterKeyId(newKey), started: false, rewrapped: 2, retired: [] });
    expect((await blobRows(system)).every((row) => row.key_id === masterKeyId(newKey))).toBe(true);
    expect(keyFiles(system)).toEqual(filesBefore);
    expect(blobFileHashes(system)).toEqual(blobsBefore);
    const rewrapped = await eventsOf(system, 'keys.rewrapped');
    expect(rewrapped.flatMap((event) => event.payload.digests as string[]).sort()).toEqual(
      attached.map(({ file }) => file.digest).sort(),
    );

    // The old key can now be dropped from the variable.
    const onlyNew = await envSystem(newKey.toString('base64'));
    await expectReadable(onlyNew, code, attached);
    const again = await failure(rotateMasterKey(system.database.db, onlyNew.keyring, ACTOR));
    expect(again.code).toBe('MASTER_KEY_FROM_ENV');
  });
});

describe('a process that loaded its keys before a rotation', () => {
  let server: TestSystem;

  beforeAll(async () => {
    server = await openTestSystem();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('keeps a file it attaches after the rotation readable', async () => {
    // Regression (fixed): rotateMasterKey (keys.service.ts:79-87) deletes every master key file no blob row uses any
    // more, but a process that loaded the keyring before the rotation (a running server next to
    // `yidang keys rotate` on PostgreSQL, where nothing locks them apart) still wraps new data keys
    // under the old current key (blob-store.ts:147-148), whose file is now gone. The file is stored
    // and acknowledged, but after a restart it is MASTER_KEY_MISSING for good: no later rotation can
    // unwrap it either.
    const code = await fileOneItem(server);
    await attach(server, code, 1);
    const cli = loadKeyring(server.home, server.config.env);
    const report = await rotateMasterKey(server.database.db, cli, 'cli:root');
    expect(report.retired).toEqual([server.keyring.current.id]);

    const after = Buffer.from('attached by the running server after the rotation');
    const added = await addFile(
      storage(server),
      code,
      { stream: streamOf(after), fileName: 'after.txt' },
      ACTOR,
    );
    const restarted = await openSystem(server.config, { database: server.database });
    const { stream } = await openFile(storage(restarted), code, added.fileNumber, ACTOR);
    expect((await readAll(stream)).equals(after)).toBe(true);
  });
});
