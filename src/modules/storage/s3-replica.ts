import crypto from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3ReplicaSpec, S3Settings } from '../../config/replicas.js';
import { YidangError } from '../../shared/errors.js';
import { blobRelativePath, replicaFailure } from './directory-replica.js';
import {
  digestOfShredRecordPath,
  type Replica,
  type ReplicaWrite,
  type ShredRecordFile,
  shredRecordPath,
  writeWhole,
} from './replica.js';

// A replica in S3-compatible object storage (MinIO, Ceph, a cloud bucket). S3 has no rename, so a
// write streams into tmp/<random>.part and commit copies it server-side to the blob's key: an object
// appears whole or not at all, and a killed writer leaves only a temporary object for the sweep.

const PART_SIZE = 8 * 1024 * 1024;
/** The largest object a single server-side copy may take (the S3 limit). */
const COPY_LIMIT_BYTES = 5 * 1024 ** 3;

type Sdk = typeof import('@aws-sdk/client-s3');
type Storage = typeof import('@aws-sdk/lib-storage');

interface Connection {
  sdk: Sdk;
  Upload: Storage['Upload'];
  client: S3Client;
}

interface S3Failure {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function reasonFor(error: unknown, bucketCall: boolean): string {
  const failure = (error ?? {}) as S3Failure;
  const status = failure.$metadata?.httpStatusCode;
  const name = failure.name ?? '';
  const code = failure.code ?? '';
  if (name === 'NoSuchBucket' || (bucketCall && status === 404))
    return '存储桶不存在（请先在对象存储中创建）';
  if (
    [
      'AccessDenied',
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'Forbidden',
      'CredentialsProviderError',
    ].includes(name) ||
    status === 403
  )
    return '没有访问权限（请检查访问密钥和桶策略）';
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH'].includes(code) ||
    name === 'TimeoutError'
  )
    return '无法连接对象存储服务';
  if (name === 'EntityTooLarge' || name === 'QuotaExceeded' || status === 507)
    return '存储空间不足或超出配额';
  return `${name || '错误'}：${(failure.message ?? String(error)).slice(0, 200)}`;
}

export class S3Replica implements Replica {
  readonly kind = 's3' as const;
  readonly name: string;
  readonly required: boolean;
  readonly bucket: string;
  readonly prefix: string;

  private connection: Promise<Connection> | undefined;
  private readonly endpoint: string | undefined;

  constructor(
    private readonly spec: S3ReplicaSpec,
    private readonly settings: S3Settings,
    private readonly copyLimitBytes = COPY_LIMIT_BYTES,
  ) {
    this.name = spec.name;
    this.required = spec.required;
    this.bucket = spec.bucket;
    this.prefix = spec.prefix;
    this.endpoint = spec.endpoint ?? settings.endpoint;
  }

  describe(): string {
    return `${this.name}（${this.spec.location}）`;
  }

  /** The object key of a blob, below the configured prefix. */
  blobKey(digest: string): string {
    return `${this.prefix}${blobRelativePath(digest).split('\\').join('/')}`;
  }

  private error(action: string, error: unknown, bucketCall = false): YidangError {
    if (error instanceof YidangError) return error;
    return replicaFailure(this.describe(), action, reasonFor(error, bucketCall));
  }

  /** The SDK is loaded on first use, so installations without object storage never pay for it. */
  private connect(): Promise<Connection> {
    this.connection ??= (async () => {
      // Yidang is pinned to Node 20; the SDK's notice about its future Node 22 floor is for us, not for clerks.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const [sdk, storage] = await Promise.all([
        import('@aws-sdk/client-s3'),
        import('@aws-sdk/lib-storage'),
      ]);
      const { accessKeyId, secretAccessKey } = this.settings;
      const client = new sdk.S3Client({
        region: this.settings.region,
        endpoint: this.endpoint,
        forcePathStyle: this.endpoint ? this.settings.pathStyle : false,
        credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
        // Compatible stores differ in which checksum headers they accept; integrity is checked by
        // Yidang's own digests on every read.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
      });
      return { sdk, Upload: storage.Upload, client };
    })();
    return this.connection;
  }

  async initialize(): Promise<void> {
    await this.check();
  }

  async beginWrite(): Promise<ReplicaWrite> {
    const { Upload, client, sdk } = await this.connect();
    const temporaryKey = `${this.prefix}tmp/${crypto.randomBytes(12).toString('hex')}.part`;
    const body = new PassThrough({ highWaterMark: PART_SIZE });
    // A failed upload destroys the body; this listener keeps that from becoming an uncaught error.
    body.on('error', () => {});
    const upload = new Upload({
      client,
      params: { Bucket: this.bucket, Key: temporaryKey, Body: body },
      partSize: PART_SIZE,
      queueSize: 2,
      leavePartsOnError: false,
    });
    let failure: unknown;
    let finished = false;
    const done = upload.done().then(
      () => {
        finished = true;
      },
      (error: unknown) => {
        failure = error;
        body.destroy(error as Error);
      },
    );
    let written = 0;
    const removeTemporary = () =>
      client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: temporaryKey })).catch(() => {});
    return {
      write: async (chunk) => {
        if (failure) throw this.error('写入', failure);
        written += chunk.length;
        try {
          if (!body.write(chunk)) await once(body, 'drain');
        } catch {
          throw this.error('写入', failure);
        }
      },
      commit: async (digest) => {
        body.end();
        await done;
        if (failure) throw this.error('保存', failure);
        const target = this.blobKey(digest);
        try {
          if (written <= this.copyLimitBytes) {
            await client.send(
              new sdk.CopyObjectCommand({
                Bucket: this.bucket,
                Key: target,
                CopySource: `${this.bucket}/${temporaryKey.split('/').map(encodeURIComponent).join('/')}`,
              }),
            );
          } else {
            // Larger objects cannot be copied in one request; stream them across instead.
            const source = await client.send(
              new sdk.GetObjectCommand({ Bucket: this.bucket, Key: temporaryKey }),
            );
            await new Upload({
              client,
              params: { Bucket: this.bucket, Key: target, Body: source.Body as Readable },
              partSize: PART_SIZE,
              queueSize: 2,
              leavePartsOnError: false,
            }).done();
          }
        } catch (error) {
          throw this.error('保存', error);
        }
        await removeTemporary();
      },
      abort: async () => {
        if (!finished && !failure) await upload.abort().catch(() => {});
        body.destroy();
        await done;
        await removeTemporary();
      },
    };
  }

  async openRead(digest: string): Promise<Readable | undefined> {
    const { client, sdk } = await this.connect();
    try {
      const output = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.blobKey(digest) }),
      );
      return output.Body as Readable;
    } catch (error) {
      if ((error as S3Failure).name === 'NoSuchKey') return undefined;
      throw this.error('读取', error);
    }
  }

  async storedSize(digest: string): Promise<number | undefined> {
    const { client, sdk } = await this.connect();
    try {
      const head = await client.send(
        new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.blobKey(digest) }),
      );
      return head.ContentLength;
    } catch {
      return undefined;
    }
  }

  writeFrom(digest: string, source: Readable): Promise<void> {
    return writeWhole(this, digest, source);
  }

  /** The bucket answers, and a small object can be written and removed under tmp/. */
  async check(): Promise<void> {
    const { client, sdk } = await this.connect();
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw this.error('访问', error, true);
    }
    const probe = `${this.prefix}tmp/check-${crypto.randomBytes(6).toString('hex')}`;
    try {
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: probe,
          Body: Buffer.alloc(0),
          ContentLength: 0,
        }),
      );
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: probe }));
    } catch (error) {
      throw this.error('写入', error);
    }
  }

  /** A PUT is atomic in S3: the record appears whole or not at all. */
  async writeShredRecords(records: ReadonlyArray<ShredRecordFile>): Promise<void> {
    const { client, sdk } = await this.connect();
    try {
      for (let start = 0; start < records.length; start += 8)
        await Promise.all(
          records.slice(start, start + 8).map((record) =>
            client.send(
              new sdk.PutObjectCommand({
                Bucket: this.bucket,
                Key: `${this.prefix}${shredRecordPath(record.digest)}`,
                Body: Buffer.from(record.content, 'utf8'),
                ContentType: 'application/json',
              }),
            ),
          ),
        );
    } catch (error) {
      throw this.error('写入销毁记录', error);
    }
  }

  async deleteShredRecords(digests: readonly string[]): Promise<void> {
    const { client, sdk } = await this.connect();
    for (const digest of digests)
      await client.send(
        new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${shredRecordPath(digest)}` }),
      );
  }

  async readShredRecords(): Promise<ShredRecordFile[]> {
    const { client, sdk } = await this.connect();
    const found: ShredRecordFile[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: `${this.prefix}shredded/`,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) {
          const digest = object.Key
            ? digestOfShredRecordPath(object.Key.slice(this.prefix.length))
            : undefined;
          if (!digest) continue;
          const output = await client.send(
            new sdk.GetObjectCommand({ Bucket: this.bucket, Key: object.Key }),
          );
          found.push({ digest, content: (await output.Body?.transformToString('utf8')) ?? '' });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.error('读取销毁记录', error);
    }
    return found;
  }

  /** S3 answers a DELETE of an absent key with success, so a retry after a partial run is harmless. */
  async deleteBlob(digest: string): Promise<void> {
    const { client, sdk } = await this.connect();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.blobKey(digest) }));
    } catch (error) {
      throw this.error('删除文件', error);
    }
  }

  async sweepTemporary(olderThanMs: number): Promise<number> {
    const { client, sdk } = await this.connect();
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.prefix}tmp/`,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key || (object.LastModified?.getTime() ?? 0) > cutoff) continue;
        await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: object.Key }));
        removed += 1;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return removed;
  }
}
