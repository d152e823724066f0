import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline, type Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import type { Config, DigestAlgorithm } from '../../config/config.js';
import { YidangError } from '../../shared/errors.js';
import { DirectoryReplica, digestAlgorithmOf } from './directory-replica.js';
import { type CipherSuite, createDecryptStream, newDataKey, unwrapDataKey, wrapDataKey } from './envelope.js';
import { type Keyring, loadKeyring, type MasterKey } from './keyring.js';
import type { Replica, ReplicaWrite } from './replica.js';
import { S3Replica } from './s3-replica.js';
import { type SealThread, SealStream } from './seal-stream.js';

// The content-addressed, encrypted blob store over all configured replicas. It knows bytes and
// replicas; which item a blob belongs to and what the catalog records is the file service's job.

/** Largest file accepted (8 GiB): scans and recordings, not disk images. */
export const MAX_FILE_BYTES = 8 * 1024 ** 3;

export interface StoredBlob {
  digest: string;
  size: number;
  storedDigest: string;
  storedSize: number;
  suite: CipherSuite;
  keyId: string;
  wrappedKey: Buffer;
}

export interface StagedBlob extends StoredBlob {
  writes: Array<{ replica: Replica; write: ReplicaWrite }>;
  /** Best-effort replicas that could not take the blob. */
  missing: string[];
  /** The first bytes, for telling the file type. */
  head: Buffer;
}

export type CopyProblem = 'missing' | 'corrupt';

export const blobAad = (digest: string) => Buffer.from(`yidang-blob\n${digest}`, 'utf8');

export class BlobStore {
  readonly replicas: Replica[];

  private ring: Keyring;
  private readonly env: Record<string, string | undefined>;

  constructor(config: Pick<Config, 'replicas' | 's3' | 'digest' | 'cipher' | 'env'>, keyring: Keyring) {
    this.replicas = config.replicas.map((spec) =>
      spec.kind === 's3' ? new S3Replica(spec, config.s3) : new DirectoryReplica(spec),
    );
    this.digestAlgorithm = config.digest;
    this.suite = config.cipher;
    this.ring = keyring;
    this.env = config.env;
  }

  get keyring(): Keyring {
    return this.ring;
  }

  /**
   * A long-running server may outlive a `yidang keys rotate` run by another process: the key files
   * are re-read when the current-key pointer changed, so new files are never wrapped under a key the
   * rotation is retiring, and rotated files stay readable without a restart.
   */
  private refresh(): void {
    if (this.ring.source !== 'file') return;
    let current: string;
    try {
      current = fs.readFileSync(path.join(this.ring.dir, 'current'), 'utf8').trim();
    } catch {
      return;
    }
    if (current !== this.ring.current.id) this.ring = loadKeyring(path.dirname(this.ring.dir), this.env);
  }

  currentMasterKey(): MasterKey {
    this.refresh();
    return this.ring.current;
  }

  masterKey(id: string): MasterKey {
    if (!this.ring.all.some((key) => key.id === id)) this.refresh();
    return this.ring.get(id);
  }

  readonly digestAlgorithm: DigestAlgorithm;
  readonly suite: CipherSuite;

  replica(name: string): Replica | undefined {
    return this.replicas.find((replica) => replica.name === name);
  }

  async initialize(): Promise<void> {
    for (const replica of this.replicas) await replica.initialize();
  }

  /**
   * Streams the content through its digest and the cipher into a temporary file on every replica.
   * Nothing is visible under a blob name until commit; on any failure the temporary files go.
   */
  async stage(source: Readable, maxBytes = MAX_FILE_BYTES, thread: SealThread = 'auto'): Promise<StagedBlob> {
    const dataKey = newDataKey(this.suite);
    const writes: StagedBlob['writes'] = [];
    const missing: string[] = [];
    const abortAll = () => Promise.all(writes.map(({ write }) => write.abort()));
    for (const replica of this.replicas) {
      try {
        writes.push({ replica, write: await replica.beginWrite() });
      } catch (error) {
        if (replica.required) {
          await abortAll();
          throw error;
        }
        missing.push(replica.name);
      }
    }
    let size = 0;
    const headChunks: Buffer[] = [];
    let headBytes = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        size += chunk.length;
        if (size > maxBytes) {
          callback(
            new YidangError(
              'FILE_TOO_LARGE',
              'too_large',
              `文件超过上限 ${Math.floor(maxBytes / 1024 ** 2)} MB`,
            ),
          );
          return;
        }
        if (headBytes < 64) {
          headChunks.push(chunk.subarray(0, 64));
          headBytes += Math.min(64, chunk.length);
        }
        callback(null, chunk);
      },
    });
    // Hashing and encryption: on a CPU pool thread for all but small content (seal-stream.ts).
    const seal = new SealStream(this.suite, dataKey, this.digestAlgorithm, thread);
    const fanOut = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        Promise.all(
          writes.map(async (entry) => {
            try {
              await entry.write.write(chunk);
            } catch (error) {
              if (entry.replica.required) throw error;
              // A best-effort replica that fails is dropped; fixity copies the blob there later.
              writes.splice(writes.indexOf(entry), 1);
              missing.push(entry.replica.name);
              await entry.write.abort();
            }
          }),
        ).then(() => callback(), callback);
      },
    });
    try {
      await pipelineAsync(source, measure, seal, fanOut);
    } catch (error) {
      await abortAll();
      throw error;
    }
    const facts = seal.facts();
    const digest = `${this.digestAlgorithm}:${facts.digest}`;
    const current = this.currentMasterKey();
    return {
      digest,
      size,
      storedDigest: facts.storedDigest,
      storedSize: facts.storedSize,
      suite: this.suite,
      keyId: current.id,
      wrappedKey: wrapDataKey(current.key, dataKey, this.suite, blobAad(digest)),
      writes,
      missing,
      head: Buffer.concat(headChunks).subarray(0, 64),
    };
  }

  /** Renames the staged files into place; returns the replicas that now hold the blob durably. */
  async commit(staged: StagedBlob): Promise<{ stored: string[]; missing: string[] }> {
    const stored: string[] = [];
    const missing = [...staged.missing];
    for (const { replica, write } of staged.writes) {
      try {
        await write.commit(staged.digest);
        stored.push(replica.name);
      } catch (error) {
        await write.abort();
        if (replica.required) {
          await this.discard(staged);
          throw error;
        }
        missing.push(replica.name);
      }
    }
    return { stored, missing };
  }

  async discard(staged: StagedBlob): Promise<void> {
    await Promise.all(staged.writes.map(({ write }) => write.abort()));
  }

  /** Re-reads one replica's copy and hashes it: what fixity and verify do. */
  async checkCopy(
    replica: Replica,
    blob: Pick<StoredBlob, 'digest' | 'storedDigest' | 'storedSize'>,
  ): Promise<'ok' | CopyProblem> {
    const stream = await replica.openRead(blob.digest);
    if (!stream) return 'missing';
    const hash = crypto.createHash(digestAlgorithmOf(blob.digest));
    let size = 0;
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return size === blob.storedSize && hash.digest('hex') === blob.storedDigest ? 'ok' : 'corrupt';
  }

  /**
   * Opens the plain content from the first replica whose copy hashes right. Problems found on the
   * way are reported to `onProblem` (which logs them); the returned stream still authenticates every
   * chunk and checks the digest at the end, erroring rather than ending quietly.
   */
  async open(
    blob: StoredBlob & { shred?: { register: string } | null },
    onProblem: (replica: string, problem: CopyProblem) => Promise<void>,
    order: readonly string[] = [],
  ): Promise<{ stream: Readable; replica: string }> {
    // Its data key is gone: no replica is even asked, and the reason is the register, not a fault.
    if (blob.shred) throw shreddedError(blob.digest, blob.shred.register);
    const ordered = [...this.replicas].sort((a, b) => rank(order, a.name) - rank(order, b.name));
    for (const replica of ordered) {
      let state: 'ok' | CopyProblem;
      try {
        state = await this.checkCopy(replica, blob);
      } catch {
        continue;
      }
      if (state !== 'ok') {
        await onProblem(replica.name, state);
        continue;
      }
      // The key is unwrapped before the copy is opened, so a missing or wrong key leaves no open file.
      const dataKey = unwrapDataKey(this.masterKey(blob.keyId).key, blob.wrappedKey, blobAad(blob.digest));
      const source = await replica.openRead(blob.digest);
      if (!source) continue;
      const output = digestCheck(digestAlgorithmOf(blob.digest), blob.digest, blob.size);
      pipeline(source, createDecryptStream(dataKey), output, () => {});
      return { stream: output, replica: replica.name };
    }
    throw new YidangError(
      'FILE_UNAVAILABLE',
      'invalid',
      `文件 ${blob.digest} 在所有副本上都已缺失或损坏，无法读取；请从备份恢复`,
    );
  }

  /**
   * Opens the plain content in one read of the first replica holding the copy — open() hashes the
   * whole copy first, reading it twice. Safe all the same: every chunk is authenticated as it is
   * decrypted and the plain digest and size are checked at the end, so a bad copy fails the stream
   * instead of passing; the copy is then checked whole and what is found reported, and the caller may
   * start over with that replica in `skip`. For processing that can start over (a transfer package),
   * not for answering a reader.
   */
  async openOnce(
    blob: StoredBlob & { shred?: { register: string } | null },
    onProblem: (replica: string, problem: CopyProblem) => Promise<void>,
    order: readonly string[] = [],
    skip: ReadonlySet<string> = new Set(),
  ): Promise<{ stream: Readable; replica: string }> {
    if (blob.shred) throw shreddedError(blob.digest, blob.shred.register);
    const ordered = this.replicas
      .filter((replica) => !skip.has(replica.name))
      .sort((a, b) => rank(order, a.name) - rank(order, b.name));
    for (const replica of ordered) {
      const dataKey = unwrapDataKey(this.masterKey(blob.keyId).key, blob.wrappedKey, blobAad(blob.digest));
      const source = await replica.openRead(blob.digest).catch(() => false as const);
      if (source === undefined) await onProblem(replica.name, 'missing');
      if (!source) continue;
      const output = digestCheck(digestAlgorithmOf(blob.digest), blob.digest, blob.size);
      pipeline(source, createDecryptStream(dataKey), output, (error) => {
        if (!error) return;
        // Perhaps the copy's fault: read it whole once more and report what it is.
        this.checkCopy(replica, blob)
          .then((state) => (state === 'ok' ? undefined : onProblem(replica.name, state)))
          .catch(() => {});
      });
      return { stream: output, replica: replica.name };
    }
    throw new YidangError(
      'FILE_UNAVAILABLE',
      'invalid',
      `文件 ${blob.digest} 在所有副本上都已缺失或损坏，无法读取；请从备份恢复`,
    );
  }
}

/** The one refusal of a destroyed file, whether read, opened for processing or uploaded again. */
export function shreddedError(digest: string, register: string): YidangError {
  return new YidangError(
    'BLOB_SHREDDED',
    'conflict',
    `文件已按销毁清册 ${register} 销毁，无法读取（文件 ${digest.slice(0, 19)}…的密钥已销毁）`,
  );
}

function rank(order: readonly string[], name: string): number {
  const index = order.indexOf(name);
  return index === -1 ? order.length : index;
}

/** Passes the content through and fails at the end unless its digest and size are the recorded ones. */
function digestCheck(algorithm: DigestAlgorithm, digest: string, size: number): Transform {
  const hash = crypto.createHash(algorithm);
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      seen += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== digest || seen !== size) {
        callback(new YidangError('BLOB_CORRUPT', 'invalid', `文件已损坏：内容摘要与登记的 ${digest} 不符`));
      } else callback();
    },
  });
}
