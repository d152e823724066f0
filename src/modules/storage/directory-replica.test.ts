import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure } from '../../../test/helpers/fixtures.js';
import { YidangError } from '../../shared/errors.js';
import { DirectoryReplica, replicaError } from './directory-replica.js';

// One replica directory: writes through tmp/ with fsync and rename, reads, checks, sweeping; and
// YIDANG_REPLICAS parsing.

let base: string;
let replica: DirectoryReplica;

const digestOf = (content: Buffer, algorithm: 'sha256' | 'sm3' = 'sha256') =>
  `${algorithm}:${crypto.createHash(algorithm).update(content).digest('hex')}`;
const tmpFiles = () => fs.readdirSync(path.join(replica.root, 'tmp'));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeEach(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-replica-'));
  replica = new DirectoryReplica({
    name: 'r1',
    kind: 'directory',
    location: path.join(base, 'r1'),
    required: true,
  });
  await replica.initialize();
});
afterEach(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

describe('DirectoryReplica writes', () => {
  it('creates a private layout with blobs/ and tmp/', () => {
    for (const sub of ['blobs', 'tmp']) {
      const stat = fs.statSync(path.join(replica.root, sub));
      expect(stat.isDirectory()).toBe(true);
      if (process.platform !== 'win32') expect(stat.mode & 0o777).toBe(0o700);
    }
    expect(replica.describe()).toBe(`r1（${replica.root}）`);
  });

  it('commits the written bytes to a durable file at blobPath and leaves no temporary file', async () => {
    const content = crypto.randomBytes(3 * 1024 * 1024 + 5);
    const digest = digestOf(content);
    const hex = digest.slice('sha256:'.length);
    const write = await replica.beginWrite();
    expect(tmpFiles()).toHaveLength(1);
    for (let offset = 0; offset < content.length; offset += 700_000)
      await write.write(content.subarray(offset, offset + 700_000));
    await write.commit(digest);

    const target = replica.blobPath(digest);
    expect(target).toBe(path.join(replica.root, 'blobs', 'sha256', hex.slice(0, 2), hex.slice(2, 4), hex));
    expect(fs.readFileSync(target).equals(content)).toBe(true);
    if (process.platform !== 'win32') expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(tmpFiles()).toEqual([]);
    expect(await replica.storedSize(digest)).toBe(content.length);
    const stream = await replica.openRead(digest);
    expect((await readAll(stream as Readable)).equals(content)).toBe(true);
    // Aborting after the commit does not touch the committed blob.
    await write.abort();
    expect(fs.existsSync(target)).toBe(true);
  });

  it('keeps sm3 blobs apart from sha256 ones', async () => {
    const content = Buffer.from('国密 SM3');
    const digest = digestOf(content, 'sm3');
    const write = await replica.beginWrite();
    await write.write(content);
    await write.commit(digest);
    expect(replica.blobPath(digest)).toContain(path.join('blobs', 'sm3'));
    expect(fs.readFileSync(replica.blobPath(digest)).equals(content)).toBe(true);
  });

  it('replaces a blob whole when the same name is committed again', async () => {
    const digest = digestOf(Buffer.from('name'));
    for (const content of ['first bytes', 'second, longer bytes']) {
      const write = await replica.beginWrite();
      await write.write(Buffer.from(content));
      await write.commit(digest);
    }
    expect(fs.readFileSync(replica.blobPath(digest), 'utf8')).toBe('second, longer bytes');
    expect(tmpFiles()).toEqual([]);
  });

  it('removes the temporary file on abort, and a second abort is harmless', async () => {
    const write = await replica.beginWrite();
    await write.write(Buffer.from('to be abandoned'));
    expect(tmpFiles()).toHaveLength(1);
    await write.abort();
    expect(tmpFiles()).toEqual([]);
    await write.abort();
    expect(tmpFiles()).toEqual([]);
    expect(fs.readdirSync(path.join(replica.root, 'blobs'))).toEqual([]);
  });

  it('refuses a name that is not a blob digest', async () => {
    const write = await replica.beginWrite();
    await write.write(Buffer.from('x'));
    await expect(write.commit('sha256:../../etc/passwd')).rejects.toThrow(/not a blob digest/);
    await expect(write.commit(`md5:${'0'.repeat(64)}`)).rejects.toThrow(/not a blob digest/);
    await write.abort();
    expect(tmpFiles()).toEqual([]);
    expect(() => replica.blobPath(`sha256:${'A'.repeat(64)}`)).toThrow(/not a blob digest/);
  });

  it('writes a whole blob from a stream with writeFrom', async () => {
    const content = crypto.randomBytes(2_500_000);
    const digest = digestOf(content);
    const pieces = [content.subarray(0, 1_000_000), content.subarray(1_000_000)];
    await replica.writeFrom(digest, Readable.from(pieces));
    expect(fs.readFileSync(replica.blobPath(digest)).equals(content)).toBe(true);
    expect(tmpFiles()).toEqual([]);
  });

  it('leaves neither a blob nor a temporary file when writeFrom’s source fails', async () => {
    const digest = digestOf(Buffer.from('never complete'));
    const source = new Readable({
      read() {
        this.push(Buffer.alloc(1000, 1));
        this.destroy(new Error('source went away'));
      },
    });
    await expect(replica.writeFrom(digest, source)).rejects.toThrow('source went away');
    expect(fs.existsSync(replica.blobPath(digest))).toBe(false);
    expect(tmpFiles()).toEqual([]);
  });
});

describe('DirectoryReplica reads and checks', () => {
  it('answers undefined for a blob it does not have', async () => {
    expect(await replica.openRead(digestOf(Buffer.from('absent')))).toBeUndefined();
    expect(await replica.storedSize(digestOf(Buffer.from('absent')))).toBeUndefined();
  });

  it('fails with REPLICA_UNAVAILABLE when the replica directory itself is missing', async () => {
    fs.rmSync(replica.root, { recursive: true, force: true });
    const error = await failure(replica.openRead(digestOf(Buffer.from('anything'))));
    expect(error.code).toBe('REPLICA_UNAVAILABLE');
    expect(error.kind).toBe('busy');
    expect(error.message).toContain('副本“r1');
    expect(error.message).toContain('读取失败');
    expect(error.message).toContain('目录不存在');

    const write = await failure(replica.beginWrite());
    expect(write.code).toBe('REPLICA_UNAVAILABLE');
    expect(write.message).toContain('写入失败');
  });

  it('passes check() when in place and fails it in Chinese when the directory is missing', async () => {
    await replica.check();
    fs.rmSync(replica.root, { recursive: true, force: true });
    const error = await failure(replica.check());
    expect(error.code).toBe('REPLICA_UNAVAILABLE');
    expect(error.message).toBe(`副本“r1（${replica.root}）”访问失败：目录不存在（存储可能未挂载或已被移走）`);
    // Only initialize creates the layout again; checking never does.
    expect(fs.existsSync(replica.root)).toBe(false);
  });

  it('fails check() when tmp/ alone is gone (a half-mounted share)', async () => {
    fs.rmSync(path.join(replica.root, 'tmp'), { recursive: true });
    const error = await failure(replica.check());
    expect(error.code).toBe('REPLICA_UNAVAILABLE');
  });

  it('sweeps only temporary files older than the limit', async () => {
    const old = path.join(replica.root, 'tmp', 'old.part');
    const fresh = path.join(replica.root, 'tmp', 'fresh.part');
    fs.writeFileSync(old, 'left by a killed writer');
    fs.writeFileSync(fresh, 'still being written');
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    fs.utimesSync(old, hourAgo, hourAgo);
    expect(await replica.sweepTemporary(10 * 60 * 1000)).toBe(1);
    expect(tmpFiles()).toEqual(['fresh.part']);
    // A missing replica has nothing to sweep and does not throw.
    fs.rmSync(replica.root, { recursive: true, force: true });
    expect(await replica.sweepTemporary(0)).toBe(0);
  });
});

describe('temporary files of killed writers', () => {
  it('are removed when a replica is opened: dead writers of this host at once, anyone else after an hour', async () => {
    const live = await replica.beginWrite();
    await live.write(Buffer.from('an upload still streaming in'));
    const [own] = tmpFiles();
    const [host, , token] = (own as string).split('.');
    expect(own).toBe(`${host}.${process.pid}.${token}.${(own as string).split('.')[3]}.part`);
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    const hex = () => crypto.randomBytes(12).toString('hex');
    const names = {
      deadWriter: `${host}.${dead}.aaaaaaaa.${hex()}.part`,
      earlierProcessWithOurPid: `${host}.${process.pid}.bbbbbbbb.${hex()}.part`,
      liveWriter: `${host}.${process.ppid}.cccccccc.${hex()}.part`,
      otherHostFresh: `ffffffff.${dead}.dddddddd.${hex()}.part`,
      otherHostOld: `eeeeeeee.${dead}.dddddddd.${hex()}.part`,
      legacyFresh: `${hex()}.part`,
      legacyOld: `${hex()}.part`,
    };
    for (const name of Object.values(names)) fs.writeFileSync(path.join(replica.root, 'tmp', name), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const name of [names.otherHostOld, names.legacyOld])
      fs.utimesSync(path.join(replica.root, 'tmp', name), twoHoursAgo, twoHoursAgo);

    // A restart: the replica opened again (initialize runs at start and init).
    const reopened = new DirectoryReplica({
      name: 'r1',
      kind: 'directory',
      location: replica.root,
      required: true,
    });
    await reopened.initialize();
    expect(tmpFiles().sort()).toEqual(
      [own, names.liveWriter, names.otherHostFresh, names.legacyFresh].sort(),
    );
    // The live write was left alone and still commits.
    const content = Buffer.from('an upload still streaming in');
    await live.commit(digestOf(content));
    expect(await readAll((await replica.openRead(digestOf(content))) as Readable)).toEqual(content);
    expect(await reopened.sweepOrphans()).toBe(0);
  });
});

describe('replicaError', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

  it('says in Chinese what went wrong for the common errno codes', () => {
    const cases: Array<[string, string]> = [
      ['ENOSPC', '磁盘空间已满'],
      ['ENOENT', '目录不存在（存储可能未挂载或已被移走）'],
      ['EACCES', '没有写入权限'],
      ['EPERM', '没有写入权限'],
      ['EROFS', '存储为只读'],
      ['EIO', '存储设备读写错误'],
      ['EWHATEVER', 'EWHATEVER: failed'],
    ];
    for (const [code, reason] of cases) {
      const error = replicaError('备份盘（/mnt/b）', '写入', errno(code));
      expect(error).toBeInstanceOf(YidangError);
      expect(error.code).toBe('REPLICA_UNAVAILABLE');
      expect(error.message).toBe(`副本“备份盘（/mnt/b）”写入失败：${reason}`);
    }
  });
});
