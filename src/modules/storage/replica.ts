import type { Readable } from 'node:stream';
import type { ReplicaSpec } from '../../config/config.js';

// What the blob store needs from a place that keeps copies: write through a temporary name that
// becomes the blob's name only on commit, read back, and report what is there.

/** A write in progress, through a temporary name. */
export interface ReplicaWrite {
  write(chunk: Buffer): Promise<void>;
  /** Makes the written bytes durable under the blob's name. */
  commit(digest: string): Promise<void>;
  /** Removes the temporary file; safe to call after a failure or twice. */
  abort(): Promise<void>;
}

export interface Replica {
  readonly name: string;
  readonly required: boolean;
  readonly kind: ReplicaSpec['kind'];
  describe(): string;
  /** Prepares the replica on `yidang init` (directories are created; a bucket must already exist). */
  initialize(): Promise<void>;
  beginWrite(): Promise<ReplicaWrite>;
  /** The stored bytes, or undefined when the replica has no such blob. */
  openRead(digest: string): Promise<Readable | undefined>;
  storedSize(digest: string): Promise<number | undefined>;
  /** Writes a whole blob from another replica's bytes (repair, restore), through a temporary name. */
  writeFrom(digest: string, source: Readable): Promise<void>;
  /** Checks the replica is there and writable before a long operation starts. */
  check(): Promise<void>;
  /** Removes temporary files left by killed writers, older than `olderThanMs`; returns how many. */
  sweepTemporary(olderThanMs: number): Promise<number>;
}

/** Streams a whole blob into a replica through its temporary name; shared by both kinds. */
export async function writeWhole(replica: Replica, digest: string, source: Readable): Promise<void> {
  const write = await replica.beginWrite();
  try {
    for await (const chunk of source) await write.write(chunk as Buffer);
    await write.commit(digest);
  } catch (error) {
    await write.abort();
    throw error;
  }
}
