import type { MessagePort } from 'node:worker_threads';
import { Transform, type TransformCallback } from 'node:stream';
import type { DigestAlgorithm } from '../../config/config.js';
import { cpuTask, openCpuStream } from '../../shared/cpu-pool/cpu-pool.js';
import { CHUNK, type CipherSuite } from './envelope.js';
import { BlobSealing, type SealedFacts } from './seal.js';
import type { SealReply, SealRequest, SealStreamInput } from './seal.task.js';

// Plaintext in, envelope out, digests at the end (facts()). Content past POOL_THRESHOLD is hashed and
// encrypted on a CPU pool thread, piece by piece as it streams (never held whole): the server thread
// only copies pieces across and writes what comes back, so a 50 MB upload no longer holds it for
// the ~70 ms (AES) or ~2 s (SM4) the work takes. Smaller content is sealed in place.

/** Below this the content is sealed in place: a round trip to a thread costs more than the work. */
export const POOL_THRESHOLD = 256 * 1024;
/** Pieces sent to the thread before the first comes back: keeps it busy without piling up copies. */
const WINDOW = 4;

const sealTask = cpuTask<SealStreamInput, void>(import.meta.url, './seal.task', 'sealStream', {
  label: '文件加密与摘要计算',
});

export type SealThread = 'auto' | 'pool' | 'inline';

export class SealStream extends Transform {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private inline: BlobSealing | undefined;
  private port: MessagePort | undefined;
  private done: Promise<void> | undefined;
  private result: SealedFacts | undefined;
  // Waiting for the thread: pieces not yet sent, replies owed, and who to tell when all came back.
  private queue: Buffer[] = [];
  private owed = 0;
  private onReplies: ((error?: Error) => void) | undefined;
  private finished: ((facts: SealedFacts, bytes: Buffer) => void) | undefined;

  constructor(
    private readonly suite: CipherSuite,
    private readonly dataKey: Buffer,
    private readonly algorithm: DigestAlgorithm,
    private readonly thread: SealThread = 'auto',
  ) {
    super();
  }

  /** The digests and stored size, once the stream has ended. */
  facts(): SealedFacts {
    if (!this.result) throw new Error('sealing has not finished');
    return this.result;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.inline) {
      this.sealInline(chunk, callback);
      return;
    }
    if (this.port) {
      this.sealOnPool([chunk], callback);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.thread === 'inline') this.inline = new BlobSealing(this.suite, this.dataKey, this.algorithm);
    else if (this.thread === 'pool' || this.heldBytes >= POOL_THRESHOLD) this.startPool();
    else {
      callback();
      return;
    }
    const held = this.held;
    this.held = [];
    if (this.inline) this.sealInline(Buffer.concat(held), callback);
    else this.sealOnPool(held, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.inline && !this.port) {
      // Ended below the threshold: all of it is sealed here.
      this.inline = new BlobSealing(this.suite, this.dataKey, this.algorithm);
      for (const part of this.inline.update(Buffer.concat(this.held))) this.push(part);
      this.held = [];
    }
    if (this.inline) {
      const { parts, facts } = this.inline.final();
      for (const part of parts) this.push(part);
      this.result = facts;
      callback();
      return;
    }
    this.finished = (facts, bytes) => {
      if (bytes.length > 0) this.push(bytes);
      this.result = facts;
      callback();
    };
    this.post({ type: 'end' });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // The thread's side ends when its port closes; nothing more is owed to it.
    this.port?.close();
    this.port = undefined;
    callback(error);
  }

  private sealInline(chunk: Buffer, callback: TransformCallback): void {
    try {
      for (const part of (this.inline as BlobSealing).update(chunk)) this.push(part);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private startPool(): void {
    const stream = openCpuStream(sealTask, {
      suite: this.suite,
      dataKey: new Uint8Array(this.dataKey),
      algorithm: this.algorithm,
    });
    this.port = stream.port;
    this.done = stream.done;
    this.port.on('message', (reply: SealReply) => this.received(reply));
    // A thread that died (or a pool refusing work) fails the upload with the pool's clear error.
    this.done.catch((error: Error) => this.destroy(error));
  }

  /** Cuts the content into envelope-sized pieces, copied one by one as they go (see sendMore). */
  private sealOnPool(chunks: Buffer[], callback: TransformCallback): void {
    for (const chunk of chunks)
      for (let at = 0; at < chunk.length; at += CHUNK)
        this.queue.push(chunk.subarray(at, Math.min(at + CHUNK, chunk.length)));
    this.onReplies = (error) => callback(error);
    this.sendMore();
  }

  private sendMore(): void {
    while (this.owed < WINDOW && this.queue.length > 0) {
      // A buffer of its own to hand over: the caller's chunk may be a view of a larger one.
      const bytes = new Uint8Array(this.queue.shift() as Buffer);
      this.owed++;
      this.post({ type: 'piece', bytes }, [bytes.buffer as ArrayBuffer]);
    }
    if (this.owed === 0 && this.onReplies) {
      const next = this.onReplies;
      this.onReplies = undefined;
      next();
    }
  }

  private post(request: SealRequest, transfer: ArrayBuffer[] = []): void {
    this.port?.postMessage(request, transfer);
  }

  private received(reply: SealReply): void {
    const bytes = Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength);
    if (reply.type === 'done') {
      this.port?.close();
      this.port = undefined;
      const { digest, storedDigest, storedSize } = reply;
      this.finished?.({ digest, storedDigest, storedSize }, bytes);
      return;
    }
    this.owed--;
    if (bytes.length > 0) this.push(bytes);
    this.sendMore();
  }
}
