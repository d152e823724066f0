import crypto from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../../db/database.js';
import type { BlobStore, CopyProblem } from '../storage/blob-store.js';
import { digestAlgorithmOf } from '../storage/directory-replica.js';
import type { AttachedFileRow, BlobRow } from '../storage/storage.queries.js';
import { reportCopyProblem } from '../storage/file.service.js';
import { detectMediaType } from '../storage/media-type.js';
import { type FormatReport, inspectFormat } from './check.formats.js';

// Reads each attached file once for the checks: every replica's stored copy is hashed, the content
// is decrypted from a good one into a private temporary directory (mode 0700) while its digest is
// taken, and the format checks and the virus scan then work on that copy. The caller removes the
// directory whatever happens.

export type CopyFinding = CopyProblem | 'unreachable';

export interface ExaminedFile {
  fileNumber: number;
  fileName: string;
  /** Replicas whose stored copy is not good. */
  copies: Array<{ replica: string; problem: CopyFinding }>;
  /** The content as it came out: its digest, size and sniffed type, and where it was written. */
  content?: { digest: string; size: number; mediaType: string; path: string };
  /** Why the content could not be read whole (every copy bad, a wrong key, a digest mismatch). */
  readError?: string;
  format?: FormatReport;
}

export async function privateTempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'yidang-check-'));
  await fs.chmod(dir, 0o700);
  return dir;
}

export async function examineFile(
  context: { db: Db; store: BlobStore },
  file: AttachedFileRow,
  blob: BlobRow | undefined,
  goodReplicas: readonly string[],
  dir: string,
  actor: string,
): Promise<ExaminedFile> {
  const examined: ExaminedFile = { fileNumber: file.fileNumber, fileName: file.fileName, copies: [] };
  if (!blob) {
    examined.readError = `存储记录 ${file.digest} 缺失`;
    return examined;
  }
  const looked = new Set<string>();
  const noteProblem = async (replica: string, problem: CopyFinding) => {
    looked.add(replica);
    examined.copies.push({ replica, problem });
    if (problem !== 'unreachable')
      await reportCopyProblem(context.db, blob.digest, replica, problem, actor, 'check');
  };
  const target = path.join(dir, String(file.fileNumber));
  try {
    const { stream, replica } = await context.store.open(blob, noteProblem, goodReplicas);
    looked.add(replica);
    const hash = crypto.createHash(digestAlgorithmOf(blob.digest));
    const head: Buffer[] = [];
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        if (size < 64) head.push(chunk.subarray(0, 64));
        size += chunk.length;
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(stream, measure, createWriteStream(target, { mode: 0o600 }));
    } catch (error) {
      examined.readError = (error as Error).message;
    }
    const mediaType = detectMediaType(Buffer.concat(head).subarray(0, 64), file.fileName);
    examined.content = {
      digest: `${digestAlgorithmOf(blob.digest)}:${hash.digest('hex')}`,
      size,
      mediaType,
      path: target,
    };
  } catch (error) {
    examined.readError = (error as Error).message;
  }
  // Copies the read did not need are hashed too: a bad copy is a finding even when another one served.
  for (const replica of context.store.replicas) {
    if (looked.has(replica.name)) continue;
    const state = await context.store.checkCopy(replica, blob).catch(() => 'unreachable' as const);
    if (state !== 'ok') await noteProblem(replica.name, state);
  }
  if (examined.content && !examined.readError)
    examined.format = await inspectFormat(
      target,
      examined.content.size,
      examined.content.mediaType,
      file.fileName,
    );
  return examined;
}
