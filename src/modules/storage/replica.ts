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
  /**
   * Writes signed shred records durably beside the blobs (shredded/<algorithm>/<hex>.json), each
   * replacing an older record of its blob: they outlive the database and its backups.
   */
  writeShredRecords(records: ReadonlyArray<ShredRecordFile>): Promise<void>;
  /** Removes shred records again (a shred that did not reach every replica is rolled back). */
  deleteShredRecords(digests: readonly string[]): Promise<void>;
  /** Every shred record the replica holds (restore reads them all). */
  readShredRecords(): Promise<ShredRecordFile[]>;
  /** Removes a blob's copy; done when it is gone, whether removed now or absent already. */
  deleteBlob(digest: string): Promise<void>;
}

/**
 * A shred record as a replica keeps it: the key it is about and the signed text. The key is a blob
 * digest (sha256:… / sm3:…) for a blob's record, `item:<hex>` for a destroyed item's record and
 * `register:<hex>` for a carried-out register's summary (hex: SHA-256 of the 档号 / register code).
 */
export interface ShredRecordFile {
  digest: string;
  content: string;
}

// Record kinds by their directory below shredded/: blobs by digest algorithm, items and registers by name.
const KEY_DIRECTORY: Record<string, string> = {
  sha256: 'sha256',
  sm3: 'sm3',
  item: 'items',
  register: 'registers',
};
const DIRECTORY_KEY = Object.fromEntries(Object.entries(KEY_DIRECTORY).map(([key, dir]) => [dir, key]));

/** Where a shred record lives below a replica's root (or S3 prefix). */
export function shredRecordPath(digest: string): string {
  const match = /^(sha256|sm3|item|register):([0-9a-f]{64})$/.exec(digest);
  if (!match) throw new Error(`not a shred record key: ${digest.slice(0, 80)}`);
  return `shredded/${KEY_DIRECTORY[match[1] as string]}/${match[2]}.json`;
}

/** The key a shred record's path names, or undefined for anything else found there. */
export function digestOfShredRecordPath(relative: string): string | undefined {
  const match = /(?:^|\/)shredded\/(sha256|sm3|items|registers)\/([0-9a-f]{64})\.json$/.exec(relative);
  return match ? `${DIRECTORY_KEY[match[1] as string]}:${match[2]}` : undefined;
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
