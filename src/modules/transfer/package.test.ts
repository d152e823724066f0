import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { validId } from '../../../test/helpers/fixtures.js';
import {
  directoryReplica,
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import type { Db } from '../../db/database.js';
import { listEvents } from '../integrity/event.queries.js';
import { JobRuntime } from '../jobs/job.runtime.js';
import { addFile } from '../storage/file.service.js';
import { parseTagFile } from './bag.parse.js';
import { validateBag } from './bag.validate.js';
import { parseEep, verifyEep } from './eep.js';
import { verifyHistory } from './history.js';
import {
  type BatchSource,
  bagDirOf,
  bagTar,
  type ExportBatch,
  exportBatch,
  type PackageContext,
  startExport,
  TRANSFER_EXPORT_JOB,
  transferExportJob,
} from './package.js';

// Exporting a batch into a bag, on a real system (database, keys, encrypted replicas): the bag passes
// the receiver's validator, each 件's EEP verifies against the bag's signing key and names its files
// with the digests they have, the metadata is the full record, and each history proves the item's
// events against the signed checkpoint carried in the bag. Re-exporting replaces the bag; the job runs
// through the job runtime and a half-written bag from an interrupted attempt is removed.

const PERSON = validId('11010519491231002');
let system: TestSystem;
let context: PackageContext;
const db = () => system.database.db;
const codes: string[] = [];
const ids = new Map<string, number>();
const exported: Array<{ code: string; digest: string; payloadOxum: string }> = [];
/** A batch drawn when one item stood at another version than it does now. */
const STALE = 'YJ-J013-2026-7';
/** A batch of one item whose file is damaged on every replica. */
const BROKEN = 'YJ-J013-2026-8';
let broken = '';
/** A batch of one item whose file is damaged on the first replica only. */
const ONE_BAD = 'YJ-J013-2026-10';
let oneBad = '';
let oneBadDigest = '';

/** The batch owner's side, reduced to what the package calls (transfer.service provides it in the server). */
const batches: BatchSource = {
  batchForExport: async (_db: Db, _access, code: string): Promise<ExportBatch> => ({
    code,
    fonds: 'J013',
    kind: 'fonds',
    drawnBy: 'archivist',
    state: exported.some((entry) => entry.code === code) ? 'exported' : 'drawn',
    items: (code === BROKEN ? [broken] : code === ONE_BAD ? [oneBad] : codes).map((archiveCode, index) => ({
      itemId: ids.get(archiveCode) as number,
      archiveCode,
      itemVersion: code === STALE && index === 1 ? 2 : 1,
    })),
  }),
  markExported: async (_trx, code, input) => {
    exported.push({ code, digest: input.digest, payloadOxum: input.payloadOxum });
  },
};

beforeAll(async () => {
  system = await openTestSystem();
  context = {
    db: db(),
    store: system.store,
    signingKey: system.signingKey,
    digest: 'sha256',
    home: system.home,
    batches,
  };
  codes.push(await fileOneItem(system, { idNumber: PERSON, name: '王建国', title: '王建国 住院结算单' }));
  codes.push(await fileOneItem(system, { title: '门诊费用明细' }));
  codes.push(await fileOneItem(system, { title: '无附件的登记' }));
  const rows = await db().selectFrom('archive_item').select(['id', 'archive_code']).execute();
  for (const row of rows) ids.set(row.archive_code, Number(row.id));
  const add = (code: string, name: string, content: string) =>
    addFile(storage(system), code, { stream: streamOf(content), fileName: name }, 'test');
  await add(codes[0] as string, '结算单.txt', '住院结算 1234.50 元\n');
  // Same name twice in one item: both kept, the second renamed in the bag.
  await add(codes[0] as string, '结算单.txt', '住院结算 第二页\n');
  await add(codes[1] as string, 'cafe\u0301 明细.txt', 'decomposed name\n');
  broken = await fileOneItem(system, { title: '副本损坏的档案' });
  const rows2 = await db().selectFrom('archive_item').select(['id', 'archive_code']).execute();
  for (const row of rows2) ids.set(row.archive_code, Number(row.id));
  const damaged = await add(broken, '损坏.txt', 'content that will be damaged\n');
  oneBad = await fileOneItem(system, { title: '一个副本损坏的档案' });
  for (const row of await db().selectFrom('archive_item').select(['id', 'archive_code']).execute())
    ids.set(row.archive_code, Number(row.id));
  oneBadDigest = (await add(oneBad, '一份坏副本.txt', 'the first replica holds a damaged copy\n')).digest;
  const first = directoryReplica(system, 'r1').blobPath(oneBadDigest);
  const firstBytes = await fsp.readFile(first);
  firstBytes[20] = (firstBytes[20] as number) ^ 0xff;
  await fsp.writeFile(first, firstBytes);
  for (const name of ['r1', 'r2']) {
    const file = directoryReplica(system, name).blobPath(damaged.digest);
    const bytes = await fsp.readFile(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await fsp.writeFile(file, bytes);
  }
});
afterAll(async () => {
  await system?.dispose();
});

const signingKeyOf = async (dir: string) => {
  const info = parseTagFile(await fsp.readFile(path.join(dir, 'bag-info.txt'), 'utf8'));
  const value = info.fields.find((field) => field.label === 'Yidang-Signing-Key')?.value ?? '';
  return crypto.createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
};

describe('exporting a transfer batch', () => {
  it('writes a valid bag of signed EEPs with decrypted files and proven histories', async () => {
    const result = await exportBatch(context, SYSTEM, 'YJ-J013-2026-1');
    expect(result.dir).toBe(bagDirOf(system.home, 'YJ-J013-2026-1'));
    expect(result).toMatchObject({ items: 3, files: 3, digest: 'sha256' });
    expect(exported.at(-1)).toEqual({
      code: 'YJ-J013-2026-1',
      digest: result.tagmanifestDigest,
      payloadOxum: expect.stringMatching(/^\d+\.\d+$/),
    });

    const report = await validateBag(result.dir);
    expect(report.problems).toEqual([]);
    expect(report.tagManifestDigests.sha256).toBe(result.tagmanifestDigest);
    // checkpoint + per item (eep + history) + 3 files.
    expect(report.payload).toHaveLength(1 + 3 * 2 + 3);
    const info = new Map(report.info.map((field) => [field.label, field.value]));
    expect(info.get('External-Identifier')).toBe('YJ-J013-2026-1');
    expect(info.get('Yidang-Transfer-Kind')).toBe('fonds');

    const key = await signingKeyOf(result.dir);
    const checkpoint = await fsp.readFile(path.join(result.dir, 'data', 'checkpoint.txt'), 'utf8');
    for (const code of codes) {
      const folder = path.join(result.dir, 'data', code);
      const eep = parseEep(await fsp.readFile(path.join(folder, 'eep.xml')));
      verifyEep(eep, key);
      expect(eep.archiveCode).toBe(code);
      for (const file of eep.files) {
        const content = await fsp.readFile(path.join(folder, ...file.ref.split('/')));
        expect(crypto.createHash('sha256').update(content).digest('hex')).toBe(file.digest);
        expect(content.length).toBe(file.size);
      }
      const history = JSON.parse(await fsp.readFile(path.join(folder, 'history.json'), 'utf8'));
      const proven = verifyHistory(history, checkpoint, key, code);
      expect(proven.events).toBeGreaterThanOrEqual(1);
      expect(history.events.map((event: { entry: { action: string } }) => event.entry.action)).toContain(
        'item.created',
      );
    }
    const first = parseEep(await fsp.readFile(path.join(result.dir, 'data', codes[0] as string, 'eep.xml')));
    // The full record is handed over: the ID number and name unmasked.
    expect(first.item.idNumber).toBe(PERSON);
    expect(first.item.name).toBe('王建国');
    expect(first.files.map((file) => [file.name, file.ref])).toEqual([
      ['结算单.txt', 'files/结算单.txt'],
      ['结算单.txt', 'files/结算单 (2).txt'],
    ]);
    const second = parseEep(await fsp.readFile(path.join(result.dir, 'data', codes[1] as string, 'eep.xml')));
    expect(second.files[0]?.ref).toBe('files/caf\u00e9 明细.txt');
    expect(
      await fsp.readFile(
        path.join(result.dir, 'data', codes[1] as string, 'files', 'caf\u00e9 明细.txt'),
        'utf8',
      ),
    ).toBe('decomposed name\n');
    const history = JSON.parse(
      await fsp.readFile(path.join(result.dir, 'data', codes[0] as string, 'history.json'), 'utf8'),
    );
    expect(history.events.map((event: { entry: { action: string } }) => event.entry.action)).toEqual(
      expect.arrayContaining(['item.created', 'file.added']),
    );
  });

  it('a history edited after export no longer verifies', async () => {
    const dir = bagDirOf(system.home, 'YJ-J013-2026-1');
    const key = await signingKeyOf(dir);
    const checkpoint = await fsp.readFile(path.join(dir, 'data', 'checkpoint.txt'), 'utf8');
    const code = codes[0] as string;
    const history = JSON.parse(await fsp.readFile(path.join(dir, 'data', code, 'history.json'), 'utf8'));
    const edited = structuredClone(history);
    edited.events[0].entry.actor = 'someone-else';
    expect(edited.events[0].entry.actor).not.toBe(history.events[0].entry.actor);
    expect(() => verifyHistory(edited, checkpoint, key, code)).toThrowError(
      expect.objectContaining({ code: 'PROOF_INVALID' }),
    );
    const moved = structuredClone(history);
    expect(() => verifyHistory(moved, checkpoint, key, codes[1] as string)).toThrow('档号与封装包不符');
    // A history stripped of its events, or against a note that is no checkpoint, proves nothing.
    expect(() => verifyHistory({ ...history, events: [] }, checkpoint, key, code)).toThrow(
      '缺少该档案的归档事件',
    );
    expect(() =>
      verifyHistory({ ...history, events: [] }, 'not a checkpoint at all\n', key, code),
    ).toThrowError(expect.objectContaining({ code: 'CHECKPOINT_MALFORMED' }));
    const otherKey = crypto.generateKeyPairSync('ed25519').publicKey;
    expect(() => verifyHistory(history, checkpoint, otherKey, code)).toThrowError(
      expect.objectContaining({ code: 'CHECKPOINT_SIGNATURE_INVALID' }),
    );
  });

  it('re-exporting replaces the bag; an explicit directory is never overwritten', async () => {
    const before = exported.length;
    const again = await exportBatch(context, SYSTEM, 'YJ-J013-2026-1');
    expect(exported.length).toBe(before + 1);
    expect((await validateBag(again.dir)).ok).toBe(true);
    const siblings = await fsp.readdir(path.dirname(again.dir));
    expect(siblings).toEqual(['YJ-J013-2026-1']);

    const out = path.join(system.home, 'elsewhere', 'bag');
    const written = await exportBatch(context, SYSTEM, 'YJ-J013-2026-1', { out });
    expect(written.dir).toBe(out);
    expect((await validateBag(out)).ok).toBe(true);
    await expect(exportBatch(context, SYSTEM, 'YJ-J013-2026-1', { out })).rejects.toMatchObject({
      code: 'BAG_EXISTS',
    });
  });

  it('runs as a job, removing a half-written bag first, and streams the bag as a tar', async () => {
    const code = 'YJ-J013-2026-2';
    const leftover = `${bagDirOf(system.home, code)}.new.partial`;
    await fsp.mkdir(path.join(leftover, 'data'), { recursive: true });
    await fsp.writeFile(path.join(leftover, 'data', 'half.txt'), 'interrupted');
    const { jobId } = await startExport(db(), batches, SYSTEM, code);
    expect(jobId).not.toBeNull();
    const runtime = new JobRuntime(db()).register(transferExportJob(context));
    const ran = await runtime.runNext([TRANSFER_EXPORT_JOB]);
    expect(ran?.outcome).toBe('done');
    const dir = bagDirOf(system.home, code);
    expect(fs.existsSync(leftover)).toBe(false);
    expect((await validateBag(dir)).ok).toBe(true);

    const { stream, name } = await bagTar(context, SYSTEM, code);
    expect(name).toBe(`${code}.tar`);
    let bytes = 0;
    for await (const chunk of stream) bytes += (chunk as Buffer).length;
    expect(bytes).toBeGreaterThan(10 * 512);
    // Each download is logged (G16): who took which bag of how many items.
    const downloads = (await listEvents(db(), { subject: `transfer:${code}`, limit: 50 })).filter(
      (event) => event.action === 'transfer.downloaded',
    );
    expect(downloads.map((event) => JSON.parse(event.payload))).toEqual([
      { file: `${code}.tar`, items: codes.length },
    ]);
    await expect(bagTar(context, SYSTEM, 'YJ-J013-2026-9')).rejects.toMatchObject({ code: 'TRANSFER_STATE' });
  });

  it('stops when an item changed after the draw, leaving no bag; a bag not marked exported is not served', async () => {
    await expect(exportBatch(context, SYSTEM, STALE)).rejects.toMatchObject({
      code: 'TRANSFER_STATE',
      message: expect.stringContaining(codes[1] as string),
    });
    const dir = bagDirOf(system.home, STALE);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(`${dir}.new.partial`)).toBe(false);
    // A bag on disk from an export that never reached markExported (a crash): the batch is still drawn.
    await fsp.mkdir(dir, { recursive: true });
    await expect(bagTar(context, SYSTEM, STALE)).rejects.toMatchObject({ code: 'TRANSFER_STATE' });
  });

  it('fails whole when a file cannot be read from any replica: no bag, nothing marked exported', async () => {
    const before = exported.length;
    await expect(exportBatch(context, SYSTEM, BROKEN)).rejects.toMatchObject({ code: 'FILE_UNAVAILABLE' });
    const dir = bagDirOf(system.home, BROKEN);
    expect(fs.existsSync(dir) || fs.existsSync(`${dir}.new`) || fs.existsSync(`${dir}.new.partial`)).toBe(
      false,
    );
    expect(exported.length).toBe(before);
  });

  it('writes a file again from the other replica when its copy fails while written, and reports it', async () => {
    const out = path.join(system.home, 'one-bad-bag');
    const result = await exportBatch(context, SYSTEM, ONE_BAD, { out });
    expect((await validateBag(out)).problems).toEqual([]);
    const written = await fsp.readFile(path.join(out, 'data', oneBad, 'files', '一份坏副本.txt'), 'utf8');
    expect(written).toBe('the first replica holds a damaged copy\n');
    expect(result.files).toBe(1);
    const status = async () =>
      Object.fromEntries(
        (
          await db()
            .selectFrom('storage_copy')
            .select(['replica', 'status'])
            .where('digest', '=', oneBadDigest)
            .execute()
        ).map((row) => [row.replica, row.status]),
      );
    for (let wait = 0; wait < 50 && (await status()).r1 !== 'corrupt'; wait++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await status()).toEqual({ r1: 'corrupt', r2: 'ok' });
  });

  it('writes manifest-sm3 and SM3 digests in the EEPs when SM3 is chosen', async () => {
    const out = path.join(system.home, 'sm3-bag');
    const result = await exportBatch({ ...context, digest: 'sm3' }, SYSTEM, 'YJ-J013-2026-3', { out });
    expect(result.digest).toBe('sm3');
    const report = await validateBag(out);
    expect(report.problems).toEqual([]);
    expect(report.algorithms).toEqual(['sm3']);
    expect(report.tagManifestDigests.sm3).toBe(result.tagmanifestDigest);
    const eep = parseEep(await fsp.readFile(path.join(out, 'data', codes[0] as string, 'eep.xml')));
    expect(eep.files.map((file) => file.digestAlgorithm)).toEqual(['sm3', 'sm3']);
    const content = await fsp.readFile(path.join(out, 'data', codes[0] as string, 'files', '结算单.txt'));
    expect(eep.files[0]?.digest).toBe(crypto.createHash('sm3').update(content).digest('hex'));
  });
});
