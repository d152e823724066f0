import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../../../test/helpers/fixtures.js';
import { opaqueBytes } from '../../../test/helpers/opaque-content.js';
import {
  asDirectory,
  directoryReplica,
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import { type AttachedFile, addFile, openFile } from './file.service.js';
import { runFindings } from './fixity.repo.js';
import { runFixity } from './fixity.service.js';

// Fixity audit over real replica directories: every copy re-read and re-hashed, bad copies repaired
// from good ones, files with no good copy reported as lost.

const ACTOR = '系统管理员';

let system: TestSystem;
let code: string;
const contents: Buffer[] = [];
const files: AttachedFile[] = [];

const blobFile = (name: string, digest: string) => directoryReplica(system, name).blobPath(digest) as string;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function eventsOf(action: string, subject?: string) {
  let query = system.database.db.selectFrom('integrity_event').selectAll().where('action', '=', action);
  if (subject !== undefined) query = query.where('subject', '=', subject);
  const rows = await query.orderBy('seq').execute();
  return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as Record<string, unknown> }));
}

async function runRow(runId: number) {
  return system.database.db
    .selectFrom('fixity_run')
    .selectAll()
    .where('id', '=', runId)
    .executeTakeFirstOrThrow();
}

async function copyStatus(digest: string): Promise<Record<string, string>> {
  const rows = await system.database.db
    .selectFrom('storage_copy')
    .select(['replica', 'status'])
    .where('digest', '=', digest)
    .execute();
  return Object.fromEntries(rows.map((row) => [row.replica, row.status]));
}

async function storedSizes(): Promise<number> {
  const rows = await system.database.db.selectFrom('storage_blob').select('stored_size').execute();
  return rows.reduce((sum, row) => sum + Number(row.stored_size), 0);
}

function flipByte(file: string, offset: number): void {
  const bytes = fs.readFileSync(file);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0x01;
  fs.writeFileSync(file, bytes);
}

const sameOnBoth = (digest: string) =>
  fs.readFileSync(blobFile('r1', digest)).equals(fs.readFileSync(blobFile('r2', digest)));

beforeAll(async () => {
  system = await openTestSystem();
  code = await fileOneItem(system);
  for (const [i, size] of [20_000, 150_000, 1024 * 1024 + 9, 4_000].entries()) {
    const content = opaqueBytes(size);
    contents.push(content);
    files.push(
      await addFile(storage(system), code, { stream: streamOf(content), fileName: `f${i}.bin` }, ACTOR),
    );
  }
});
afterAll(async () => {
  await system?.dispose();
});

describe('runFixity', () => {
  it('finds every copy of every file intact', async () => {
    const report = await runFixity(storage(system), ACTOR);
    expect(report.blobs).toBe(4);
    expect(report.copies).toBe(8);
    expect(report.ok).toBe(report.blobs * 2);
    expect(report.bytes).toBe(2 * (await storedSizes()));
    expect(report.bytes).toBeGreaterThan(0);
    expect(report).toMatchObject({ repaired: 0, unrepaired: 0, lost: 0, findings: [], lostFiles: [] });

    const run = await runRow(report.runId);
    expect(run.status).toBe('finished');
    expect(run.finished_at).not.toBeNull();
    expect(run.sample).toBeNull();
    expect(run).toMatchObject({ blobs: 4, copies: 8, ok: 8, repaired: 0, lost: 0, actor: ACTOR });
    expect(Number(run.bytes)).toBe(report.bytes);
    const [event] = await eventsOf('fixity.run', `fixity:${report.runId}`);
    expect(event?.payload).toMatchObject({ blobs: 4, ok: 8, lost: 0, sample: null });
    expect(await runFindings(system.database.db, report.runId)).toEqual([]);
  });

  it('repairs a missing copy on one replica and a corrupt copy on the other', async () => {
    const missing = files[0] as AttachedFile;
    const corrupt = files[1] as AttachedFile;
    const goodMissing = fs.readFileSync(blobFile('r1', missing.digest));
    const goodCorrupt = fs.readFileSync(blobFile('r2', corrupt.digest));
    fs.rmSync(blobFile('r2', missing.digest));
    flipByte(blobFile('r1', corrupt.digest), 5000);

    const report = await runFixity(storage(system), ACTOR);
    expect(report).toMatchObject({ blobs: 4, copies: 8, ok: 6, repaired: 2, unrepaired: 0, lost: 0 });
    expect(report.lostFiles).toEqual([]);
    const findings = [...report.findings].sort((a, b) => a.replica.localeCompare(b.replica));
    expect(findings).toEqual([
      expect.objectContaining({ digest: corrupt.digest, replica: 'r1', problem: 'corrupt', repaired: true }),
      expect.objectContaining({ digest: missing.digest, replica: 'r2', problem: 'missing', repaired: true }),
    ]);
    expect(findings.map((finding) => finding.detail).every((detail) => detail.includes('已从副本'))).toBe(
      true,
    );
    const stored = await runFindings(system.database.db, report.runId);
    expect(stored).toHaveLength(2);
    expect(stored.every((finding) => finding.repaired)).toBe(true);

    expect(fs.readFileSync(blobFile('r2', missing.digest)).equals(goodMissing)).toBe(true);
    expect(fs.readFileSync(blobFile('r1', corrupt.digest)).equals(goodCorrupt)).toBe(true);
    expect(sameOnBoth(missing.digest)).toBe(true);
    expect(sameOnBoth(corrupt.digest)).toBe(true);
    expect(await copyStatus(missing.digest)).toEqual({ r1: 'ok', r2: 'ok' });
    expect(await copyStatus(corrupt.digest)).toEqual({ r1: 'ok', r2: 'ok' });

    const repairedMissing = await eventsOf('blob.repaired', `blob:${missing.digest}`);
    const repairedCorrupt = await eventsOf('blob.repaired', `blob:${corrupt.digest}`);
    expect(repairedMissing.map((event) => event.payload)).toEqual([
      expect.objectContaining({ replica: 'r2', problem: 'missing', from: 'r1', runId: report.runId }),
    ]);
    expect(repairedCorrupt.map((event) => event.payload)).toEqual([
      expect.objectContaining({ replica: 'r1', problem: 'corrupt', from: 'r2', runId: report.runId }),
    ]);
    for (const replica of system.store.replicas.map(asDirectory))
      expect(fs.readdirSync(`${replica.root}/tmp`)).toEqual([]);

    // The repaired copies read back, and the next audit finds nothing.
    for (const file of [missing, corrupt]) {
      const { stream } = await openFile(storage(system), code, file.fileNumber, ACTOR);
      expect((await readAll(stream)).equals(contents[file.fileNumber - 1] as Buffer)).toBe(true);
    }
    const next = await runFixity(storage(system), ACTOR);
    expect(next).toMatchObject({ ok: 8, repaired: 0, lost: 0, findings: [] });
  });

  it('reports a file whose copies are all corrupt as lost', async () => {
    const lost = files[2] as AttachedFile;
    flipByte(blobFile('r1', lost.digest), 100);
    flipByte(blobFile('r2', lost.digest), 700_000);

    const report = await runFixity(storage(system), ACTOR);
    expect(report).toMatchObject({ blobs: 4, copies: 8, ok: 6, repaired: 0, unrepaired: 0, lost: 1 });
    expect(report.lostFiles).toEqual([lost.digest]);
    expect(report.findings).toEqual([
      expect.objectContaining({ digest: lost.digest, replica: '*', problem: 'lost', repaired: false }),
    ]);
    expect(report.findings[0]?.detail).toContain('须从备份恢复');
    expect((await runRow(report.runId)).lost).toBe(1);
    const [event] = await eventsOf('blob.lost', `blob:${lost.digest}`);
    expect(event?.payload).toEqual({ replicas: { r1: 'corrupt', r2: 'corrupt' }, runId: report.runId });
    expect(await copyStatus(lost.digest)).toEqual({ r1: 'corrupt', r2: 'corrupt' });
    // Nothing was "repaired" over the damaged copies.
    expect(await eventsOf('blob.repaired', `blob:${lost.digest}`)).toEqual([]);
    const error = await failure(openFile(storage(system), code, lost.fileNumber, ACTOR));
    expect(error.code).toBe('FILE_UNAVAILABLE');
  });

  it('checks exactly one file with sample: 1', async () => {
    const report = await runFixity(storage(system), ACTOR, { sample: 1 });
    expect(report.blobs).toBe(1);
    expect(report.copies).toBe(2);
    expect(report.ok + report.lost * 2).toBe(2);
    const run = await runRow(report.runId);
    expect(run.sample).toBe(1);
    expect(run.blobs).toBe(1);
    expect(run.status).toBe('finished');
    const [event] = await eventsOf('fixity.run', `fixity:${report.runId}`);
    expect(event?.payload).toMatchObject({ blobs: 1, copies: 2, sample: 1 });
  });

  it('reports copies it cannot repair on an unmounted replica, without creating the directory', async () => {
    const root = directoryReplica(system, 'r2').root;
    const away = `${root}.unmounted`;
    fs.renameSync(root, away);
    try {
      const report = await runFixity(storage(system), ACTOR);
      // files[2] has no good copy at all; the other three have a good copy on r1 only.
      expect(report).toMatchObject({ blobs: 4, ok: 3, repaired: 0, unrepaired: 3, lost: 1 });
      const onR2 = report.findings.filter((finding) => finding.replica === 'r2');
      expect(onR2).toHaveLength(3);
      for (const finding of onR2) {
        expect(finding).toMatchObject({ problem: 'missing', repaired: false });
        expect(finding.detail).toContain('修复失败');
        expect(finding.detail).toContain('目录不存在');
      }
      expect(await eventsOf('blob.repair_failed')).toHaveLength(3);
      expect(fs.existsSync(root)).toBe(false);
      expect(await copyStatus((files[0] as AttachedFile).digest)).toEqual({ r1: 'ok', r2: 'missing' });
    } finally {
      fs.renameSync(away, root);
    }
    const remounted = await runFixity(storage(system), ACTOR);
    expect(remounted).toMatchObject({ ok: 6, repaired: 0, unrepaired: 0, lost: 1 });
  });

  it('removes temporary files a killed writer left over a day ago, and only those, on a full run', async () => {
    const tmp = path.join(directoryReplica(system, 'r1').root, 'tmp');
    const dead = path.join(tmp, 'killed-writer.part');
    const live = path.join(tmp, 'writing-now.part');
    fs.writeFileSync(dead, 'half a file');
    fs.writeFileSync(live, 'a file being written');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    fs.utimesSync(dead, twoDaysAgo, twoDaysAgo);
    try {
      expect((await runFixity(storage(system), ACTOR, { sample: 1 })).temporaryRemoved).toBe(0);
      expect(fs.existsSync(dead)).toBe(true);
      const report = await runFixity(storage(system), ACTOR);
      expect(report.temporaryRemoved).toBe(1);
      expect(fs.existsSync(dead)).toBe(false);
      expect(fs.existsSync(live)).toBe(true);
      const [event] = await eventsOf('fixity.run', `fixity:${report.runId}`);
      expect(event?.payload).toMatchObject({ temporaryRemoved: 1 });
    } finally {
      fs.rmSync(live, { force: true });
    }
  });

  it('reports progress up to the number of files', async () => {
    const seen: Array<[number, number]> = [];
    await runFixity(storage(system), ACTOR, { onProgress: (done, total) => seen.push([done, total]) });
    expect(seen.at(-1)).toEqual([4, 4]);
  });
});
