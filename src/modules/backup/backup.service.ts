import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DUMP_TABLES, dumpTable } from '../../db/dump.js';
import { listMigrations } from '../../db/migrator.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, YidangError } from '../../shared/errors.js';
import type { System } from '../../system/system.js';
import { type Checkpoint, logVerifier, writeCheckpoint } from '../integrity/checkpoint.service.js';
import { formatVerifierKey } from '../integrity/checkpoint-note.js';
import { recordEvent } from '../integrity/event-log.js';
import { blobRelativePath, digestAlgorithmOf } from '../storage/directory-replica.js';
import { loadFieldKey } from '../storage/field-key.js';
import { exportKeyMaterial } from '../storage/keyring.js';
import { checkPassphraseStrength, sealWithPassphrase } from '../storage/passphrase.js';
import { type BackupManifest, FORMAT, fsyncFile, hashFile, MANIFEST, writeLines } from './backup-files.js';

// `yidang backup <dir>`: a consistent snapshot while the system keeps serving — the database read
// in one repeatable-read transaction, every blob it references copied from a verified replica,
// the keys sealed under a backup passphrase and a fresh signed checkpoint. The directory appears
// under its name only when complete; an interrupted backup leaves a *.partial directory.

interface BlobRef {
  digest: string;
  stored_digest: string;
  stored_size: number;
  key_id: string;
  shredded_at?: string | null;
}

export async function createBackup(
  system: System,
  dir: string,
  passphrase: string,
  actor: string,
  onProgress?: (stage: string, done: number, total: number) => void,
): Promise<BackupManifest> {
  checkPassphraseStrength(passphrase);
  const target = path.resolve(dir);
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0)
    throw invalid('BACKUP_DIR_NOT_EMPTY', `备份目录“${dir}”已存在且不为空，请换一个新目录`);
  if (!fs.existsSync(path.dirname(target)))
    throw invalid('BACKUP_DIR_MISSING', `上级目录“${path.dirname(dir)}”不存在`);
  const partial = `${target}.partial-${crypto.randomBytes(4).toString('hex')}`;
  fs.mkdirSync(path.join(partial, 'db'), { recursive: true, mode: 0o700 });
  try {
    const db = system.database.db;
    let checkpoint = undefined as Checkpoint | undefined;
    const files: Record<string, string> = {};
    const tables: BackupManifest['tables'] = [];
    const blobs: BlobRef[] = [];
    await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        // Signed from the snapshot's own head (its first read), so the checkpoint covers exactly
        // the events in the dump, without holding up writers.
        checkpoint = await writeCheckpoint(trx, system.signingKey, actor, new Date(), { lock: false });
        for (const table of DUMP_TABLES) {
          const name = `db/${table.name}.jsonl.gz`;
          async function* rows() {
            for await (const lines of dumpTable(trx, table)) {
              if (table.name === 'storage_blob')
                for (const line of lines) {
                  const blob = JSON.parse(line) as BlobRef;
                  // A crypto-shredded blob has no key and its copies are deleted: its row is the evidence.
                  if (!blob.shredded_at) blobs.push(blob);
                }
              yield lines;
            }
          }
          const count = await writeLines(path.join(partial, name), rows());
          tables.push({ name: table.name, file: name, rows: count });
          files[name] = await hashFile(path.join(partial, name));
          onProgress?.('数据库', tables.length, DUMP_TABLES.length);
        }
      });
    if (!checkpoint) throw new Error('snapshot produced no checkpoint');
    let bytes = 0;
    for (const [index, blob] of blobs.entries()) {
      bytes += await copyVerifiedBlob(system, blob, partial);
      onProgress?.('文件', index + 1, blobs.length);
    }
    const sealed = sealWithPassphrase(Buffer.from(JSON.stringify(keyMaterialFor(system, blobs))), passphrase);
    const extras: Array<[string, Buffer | string]> = [
      ['keys.sealed', sealed],
      ['checkpoint.txt', checkpoint.note],
      ['verifier-key.txt', `${formatVerifierKey(await logVerifier(db, system.signingKey))}\n`],
    ];
    for (const [name, content] of extras) {
      fs.writeFileSync(path.join(partial, name), content, { mode: 0o600 });
      fsyncFile(path.join(partial, name));
      files[name] = await hashFile(path.join(partial, name));
    }
    const manifest: BackupManifest = {
      format: FORMAT,
      createdAt: new Date().toISOString(),
      createdBy: actor,
      schemaVersion: listMigrations().at(-1) as string,
      databaseKind: system.database.kind,
      tables,
      blobs: { count: blobs.length, bytes },
      checkpoint: { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash },
      files,
    };
    fs.writeFileSync(path.join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    fsyncFile(path.join(partial, MANIFEST));
    if (fs.existsSync(target)) fs.rmdirSync(target);
    fs.renameSync(partial, target);
    await inTransaction(db, async (trx) =>
      recordEvent(trx, {
        actor,
        action: 'backup.created',
        subject: 'backup',
        payload: { dir: target, treeSize: manifest.checkpoint.treeSize, blobs: blobs.length, bytes },
      }),
    );
    return manifest;
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The keys the snapshot needs. A rotation run by another process during the backup may have made a
 * new current key (re-read here); a key the snapshot uses but that is gone means the backup would
 * not be readable, so it stops instead.
 */
function keyMaterialFor(system: System, blobs: readonly BlobRef[]) {
  system.store.currentMasterKey();
  const fieldKey = loadFieldKey(system.config.home, system.config.env);
  const material = { ...exportKeyMaterial(system.store.keyring), fieldKey: fieldKey?.toString('base64') };
  const present = new Set(material.masterKeys.map((key) => key.id));
  const missing = [...new Set(blobs.map((blob) => blob.key_id))].filter((id) => !present.has(id));
  if (missing.length > 0)
    throw new YidangError(
      'BACKUP_KEYS_CHANGED',
      'busy',
      `备份期间主密钥发生了轮换（${missing.join('、')}），请重新备份`,
    );
  return material;
}

/** Copies a blob's stored bytes from the first replica whose copy hashes right. */
async function copyVerifiedBlob(system: System, blob: BlobRef, backupDir: string): Promise<number> {
  const algorithm = digestAlgorithmOf(blob.digest);
  const relative = blobRelativePath(blob.digest);
  const file = path.join(backupDir, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  for (const replica of system.store.replicas) {
    const source = await replica.openRead(blob.digest).catch(() => undefined);
    if (!source) continue;
    const hash = crypto.createHash(algorithm);
    const out = fs.createWriteStream(file, { mode: 0o600 });
    let size = 0;
    for await (const chunk of source) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    if (hash.digest('hex') === blob.stored_digest && size === Number(blob.stored_size)) return size;
  }
  throw new YidangError(
    'BACKUP_BLOB_UNAVAILABLE',
    'invalid',
    `文件 ${blob.digest} 在所有副本上都缺失或损坏，备份中止；请先运行 yidang fixity`,
  );
}
