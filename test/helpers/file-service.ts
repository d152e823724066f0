import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { DirectoryReplicaSpec } from '../../src/config/replicas.js';
import { DirectoryReplica, replicaError } from '../../src/modules/storage/directory-replica.js';
import type { ReplicaWrite } from '../../src/modules/storage/replica.js';
import { asDirectory, directoryReplica, type TestSystem } from './system.js';

// Shared helpers for the src/modules/storage/file.service.*.test.ts files (files attached to items,
// end to end: a real database, real keys, real replica directories). Each describe block there opens
// its own test system.

export const ACTOR = '档案员张';
export const MiB = 1024 * 1024;

export const sha256 = (content: Buffer) => crypto.createHash('sha256').update(content).digest('hex');

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The content in pieces of `size` bytes, so stream chunk boundaries fall inside the cipher's chunks. */
export const chunked = (content: Buffer, size: number) =>
  Readable.from(
    Array.from({ length: Math.ceil(content.length / size) }, (_, i) =>
      content.subarray(i * size, (i + 1) * size),
    ),
  );

/** Every file under a directory, as paths relative to it ([] when the directory does not exist). */
export function filesUnder(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return (fs.readdirSync(directory, { recursive: true }) as string[])
    .filter((entry) => fs.statSync(path.join(directory, entry)).isFile())
    .sort();
}

export const replicaRoot = (system: TestSystem, name: string) => {
  return directoryReplica(system, name).root;
};
export const blobFile = (system: TestSystem, name: string, digest: string) =>
  directoryReplica(system, name).blobPath(digest) as string;

export async function countRows(system: TestSystem, table: 'storage_blob' | 'item_file' | 'storage_copy') {
  const row = await system.database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function eventsOf(system: TestSystem, action: string, subject?: string) {
  let query = system.database.db.selectFrom('integrity_event').selectAll().where('action', '=', action);
  if (subject !== undefined) query = query.where('subject', '=', subject);
  const rows = await query.orderBy('seq').execute();
  return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as Record<string, unknown> }));
}

export async function copyStatus(system: TestSystem, digest: string): Promise<Record<string, string>> {
  const rows = await system.database.db
    .selectFrom('storage_copy')
    .select(['replica', 'status'])
    .where('digest', '=', digest)
    .execute();
  return Object.fromEntries(rows.map((row) => [row.replica, row.status]));
}

/** What a failed attachment must leave unchanged: catalog rows, events, and files on every replica. */
export async function snapshot(system: TestSystem) {
  const files: Record<string, string[]> = {};
  for (const replica of system.store.replicas.map(asDirectory))
    files[replica.name] = filesUnder(replica.root);
  return {
    blobs: await countRows(system, 'storage_blob'),
    itemFiles: await countRows(system, 'item_file'),
    copies: await countRows(system, 'storage_copy'),
    added: (await eventsOf(system, 'file.added')).length,
    files,
  };
}

export function flipByte(file: string, offset?: number): void {
  const bytes = fs.readFileSync(file);
  const at = offset ?? Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  fs.writeFileSync(file, bytes);
}

/** How many of this process's file descriptors are open on the file (Linux /proc). */
export function descriptorsOn(file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}

/**
 * A replica on a disk that fills up: the first `okWrites` chunks reach the real temporary file, then
 * the write fails with ENOSPC exactly as DirectoryReplica's own write reports an errno from fs.
 */
class FullDiskReplica extends DirectoryReplica {
  constructor(
    spec: DirectoryReplicaSpec,
    private readonly okWrites = 1,
  ) {
    super(spec);
  }

  override async beginWrite(): Promise<ReplicaWrite> {
    const inner = await super.beginWrite();
    let writes = 0;
    return {
      write: async (chunk) => {
        if (writes >= this.okWrites) throw replicaError(this.describe(), '写入', enospc());
        writes += 1;
        await inner.write(chunk);
      },
      commit: (digest) => inner.commit(digest),
      abort: () => inner.abort(),
    };
  }
}

export function fullDisk(system: TestSystem, name: string, required: boolean): () => void {
  const index = system.store.replicas.findIndex((replica) => replica.name === name);
  const original = system.store.replicas[index] as DirectoryReplica;
  system.store.replicas[index] = new FullDiskReplica({
    name,
    kind: 'directory',
    location: original.root,
    required,
  });
  return () => {
    system.store.replicas[index] = original;
  };
}

export const PDF = Buffer.concat([
  Buffer.from('%PDF-1.7\n'),
  crypto.randomBytes(2000),
  Buffer.from('\n%%EOF\n'),
]);
