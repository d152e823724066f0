import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../../../test/helpers/fixtures.js';
import { S3_BUCKET, startTestS3, type TestS3 } from '../../../test/helpers/s3.js';
import type { S3ReplicaSpec } from '../../config/replicas.js';
import { S3Replica } from './s3-replica.js';

// The S3 replica against a real S3-compatible server: the same promises as a directory replica —
// nothing visible under a blob's key before commit, nothing left behind by an abort, clear errors.

let s3: TestS3;
let client: S3Client;

const spec = (overrides: Partial<S3ReplicaSpec> = {}): S3ReplicaSpec => ({
  name: 'cloud',
  kind: 's3',
  location: `s3://${S3_BUCKET}/county/`,
  bucket: S3_BUCKET,
  prefix: 'county/',
  endpoint: undefined,
  required: true,
  ...overrides,
});

const digestOf = (content: Buffer) => `sha256:${crypto.createHash('sha256').update(content).digest('hex')}`;

async function keys(prefix = 'county/'): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: S3_BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key as string).sort();
}

async function readAll(stream: Readable | undefined): Promise<Buffer> {
  if (!stream) throw new Error('no stream');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function store(replica: S3Replica, content: Buffer, chunkSize = 64 * 1024): Promise<string> {
  const digest = digestOf(content);
  const write = await replica.beginWrite();
  for (let offset = 0; offset < content.length; offset += chunkSize)
    await write.write(content.subarray(offset, offset + chunkSize));
  await write.commit(digest);
  return digest;
}

beforeAll(async () => {
  s3 = await startTestS3();
  client = s3.client;
});
afterAll(async () => {
  await s3.dispose();
});

describe('S3Replica writes', () => {
  it('commits a blob under prefix/blobs/<algorithm>/<aa>/<bb>/<hex> and leaves nothing in tmp/', async () => {
    const replica = new S3Replica(spec(), s3.settings);
    await replica.initialize();
    const content = crypto.randomBytes(300_000);
    const digest = await store(replica, content);
    const hex = digest.slice('sha256:'.length);
    expect(replica.blobKey(digest)).toBe(`county/blobs/sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`);
    expect(await keys('county/tmp/')).toEqual([]);
    expect(await keys()).toContain(replica.blobKey(digest));
    expect((await readAll(await replica.openRead(digest))).equals(content)).toBe(true);
    expect(await replica.storedSize(digest)).toBe(content.length);
    expect(replica.describe()).toBe(`cloud（s3://${S3_BUCKET}/county/）`);
  });

  it('shows nothing under the blob key until commit, and an abort removes the temporary object', async () => {
    const replica = new S3Replica(spec(), s3.settings);
    const content = crypto.randomBytes(10_000);
    const digest = digestOf(content);
    const write = await replica.beginWrite();
    await write.write(content);
    expect(await replica.openRead(digest)).toBeUndefined();
    await write.abort();
    await write.abort();
    expect(await keys('county/tmp/')).toEqual([]);
    expect(await replica.storedSize(digest)).toBeUndefined();
    expect(await keys()).not.toContain(replica.blobKey(digest));
  });

  it('uploads a file larger than one part in several parts and reads it back whole', async () => {
    const replica = new S3Replica(spec(), s3.settings);
    const content = crypto.randomBytes(20 * 1024 * 1024 + 123);
    const digest = await store(replica, content, 1024 * 1024);
    expect((await readAll(await replica.openRead(digest))).equals(content)).toBe(true);
    expect(await keys('county/tmp/')).toEqual([]);
  });

  it('streams an object too large for one server-side copy across instead', async () => {
    const replica = new S3Replica(
      spec({ prefix: 'large/', location: `s3://${S3_BUCKET}/large/` }),
      s3.settings,
      1024,
    );
    const content = crypto.randomBytes(50_000);
    const digest = await store(replica, content);
    expect((await readAll(await replica.openRead(digest))).equals(content)).toBe(true);
    expect(await keys('large/')).toEqual([replica.blobKey(digest)]);
  });

  it('writes a whole blob from a stream (repair and restore) and overwrites a bad copy', async () => {
    const replica = new S3Replica(
      spec({ prefix: 'repair/', location: `s3://${S3_BUCKET}/repair/` }),
      s3.settings,
    );
    const content = crypto.randomBytes(5000);
    const digest = digestOf(content);
    await client.send(
      new PutObjectCommand({ Bucket: S3_BUCKET, Key: replica.blobKey(digest), Body: 'rotten' }),
    );
    await replica.writeFrom(digest, Readable.from([content.subarray(0, 100), content.subarray(100)]));
    const stored = await client.send(
      new GetObjectCommand({ Bucket: S3_BUCKET, Key: replica.blobKey(digest) }),
    );
    expect(
      Buffer.from(
        await (stored.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ).equals(content),
    ).toBe(true);
    expect(await keys('repair/tmp/')).toEqual([]);
  });

  it('sweeps temporary objects left by a killed writer once they are old enough', async () => {
    const replica = new S3Replica(
      spec({ prefix: 'sweep/', location: `s3://${S3_BUCKET}/sweep/` }),
      s3.settings,
    );
    await client.send(new PutObjectCommand({ Bucket: S3_BUCKET, Key: 'sweep/tmp/dead.part', Body: 'half' }));
    await client.send(new PutObjectCommand({ Bucket: S3_BUCKET, Key: 'sweep/blobs/keep', Body: 'blob' }));
    expect(await replica.sweepTemporary(10 * 60 * 1000)).toBe(0);
    expect(await replica.sweepTemporary(-1000)).toBe(1);
    expect(await keys('sweep/')).toEqual(['sweep/blobs/keep']);
  });
});

describe('S3Replica errors', () => {
  it('names a missing bucket on init and check', async () => {
    const replica = new S3Replica(
      spec({ bucket: 'no-such-bucket', location: 's3://no-such-bucket/' }),
      s3.settings,
    );
    const error = await failure(replica.initialize());
    expect(error.code).toBe('REPLICA_UNAVAILABLE');
    expect(error.message).toBe(
      '副本“cloud（s3://no-such-bucket/）”访问失败：存储桶不存在（请先在对象存储中创建）',
    );
  });

  it('says the access key is wrong rather than passing the service message through', async () => {
    const replica = new S3Replica(spec(), { ...s3.settings, accessKeyId: 'WRONG', secretAccessKey: 'WRONG' });
    const error = await failure(replica.check());
    expect(error.code).toBe('REPLICA_UNAVAILABLE');
    expect(error.message).toContain('没有访问权限（请检查访问密钥和桶策略）');
    const read = await failure(replica.openRead(digestOf(Buffer.from('x'))));
    expect(read.message).toContain('读取失败：没有访问权限');
  });

  it('reports an unreachable service on check, read and write, and a stored blob survives the outage', async () => {
    const replica = new S3Replica(
      spec({ prefix: 'outage/', location: `s3://${S3_BUCKET}/outage/` }),
      s3.settings,
    );
    const content = crypto.randomBytes(4000);
    const digest = await store(replica, content);
    const pending = await replica.beginWrite();
    await s3.stop();
    try {
      for (const attempt of [() => replica.check(), () => replica.openRead(digest)]) {
        const error = await failure(attempt());
        expect(error.code).toBe('REPLICA_UNAVAILABLE');
        expect(error.message).toContain('无法连接对象存储服务');
      }
      await pending.write(Buffer.from('bytes that never arrive'));
      const commit = await failure(pending.commit(digestOf(Buffer.from('bytes that never arrive'))));
      expect(commit.code).toBe('REPLICA_UNAVAILABLE');
      expect(commit.message).toMatch(
        /^副本“cloud（s3:\/\/yidang-test\/outage\/）”保存失败：无法连接对象存储服务/,
      );
      await pending.abort();
    } finally {
      await s3.restart();
    }
    expect((await readAll(await replica.openRead(digest))).equals(content)).toBe(true);
    expect(await keys('outage/')).toEqual([replica.blobKey(digest)]);
  });
});
