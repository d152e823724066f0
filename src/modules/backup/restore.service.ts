import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../../config/config.js';
import { type Database, type Db, openDatabase } from '../../db/database.js';
import { DUMP_TABLES, existingTables, loadRows, resetSerials } from '../../db/dump.js';
import { listMigrations, migrateTo, migrateToLatest } from '../../db/migrator.js';
import { invalid } from '../../shared/errors.js';
import { openSystem, type System } from '../../system/system.js';
import { openNote, parseCheckpointBody, parseVerifierKey } from '../integrity/checkpoint-note.js';
import { currentTreeHead } from '../integrity/event-log.js';
import { type VerifyReport, verifyAll } from '../verify/verify.service.js';
import { reapplyShreds } from '../disposition/reapply.js';
import type { Replica } from '../storage/replica.js';
import { S3Replica } from '../storage/s3-replica.js';
import { type RefusedShredRecord, readShredRecords } from '../storage/shred.js';
import { blobRelativePath, DirectoryReplica, digestAlgorithmOf } from '../storage/directory-replica.js';
import { importFieldKey } from '../storage/field-key.js';
import { resetCopies } from '../storage/storage.queries.js';
import { importKeyMaterial, type KeyMaterial } from '../storage/keyring.js';
import { openWithPassphrase } from '../storage/passphrase.js';
import { backupCorrupt, checkManifestFiles, hashFile, readLines, readManifest } from './backup-files.js';

// `yidang restore <dir>`: rebuilds a fresh YIDANG_HOME (and, with DATABASE_URL, an empty database)
// from a backup. Everything in the backup is checked before anything is written; afterwards the
// whole system is verified and the log's root must equal the backup's signed checkpoint.

export interface RestoreReport {
  treeSize: number;
  rootHash: string;
  rows: number;
  blobs: number;
  /** Destructions re-applied from the replicas' shred records; records refused are listed, not applied. */
  shreds: { blobs: number; items: string[]; refused: RefusedShredRecord[]; registersOnlyInRecords: string[] };
  verify: VerifyReport;
}

/**
 * The configured replicas that may hold records, as the blob store opens them (nothing created, nothing
 * written). A directory inside the new home is made by this restore: it holds none.
 */
function replicasOf(config: Config): Replica[] {
  return config.replicas
    .map((spec) => (spec.kind === 's3' ? new S3Replica(spec, config.s3) : new DirectoryReplica(spec)))
    .filter(
      (replica) =>
        !(replica instanceof DirectoryReplica) || path.relative(config.home, replica.root).startsWith('..'),
    );
}

function checkFreshHome(config: Config): void {
  const keys = path.join(config.home, 'keys');
  if (fs.existsSync(keys) && fs.readdirSync(keys).length > 0)
    throw invalid('RESTORE_TARGET_NOT_EMPTY', `“${config.home}”已有密钥，恢复只能在新的空数据目录进行`);
  if (
    !config.databaseUrl &&
    fs.existsSync(config.embeddedDbDir) &&
    fs.readdirSync(config.embeddedDbDir).length > 0
  )
    throw invalid(
      'RESTORE_TARGET_NOT_EMPTY',
      `“${config.embeddedDbDir}”已有数据库，恢复只能在新的空数据目录进行`,
    );
}

async function checkBlobs(
  dir: string,
  rowsFile: string,
): Promise<Array<{ digest: string; storedDigest: string }>> {
  const blobs: Array<{ digest: string; storedDigest: string }> = [];
  for await (const lines of readLines(rowsFile, 1000)) {
    for (const line of lines) {
      const row = JSON.parse(line) as {
        digest: string;
        stored_digest: string;
        stored_size: number;
        shredded_at?: string | null;
      };
      // Shredded before the backup: the row is evidence, there are no bytes to restore.
      if (row.shredded_at) continue;
      const file = path.join(dir, blobRelativePath(row.digest));
      if (!fs.existsSync(file)) throw backupCorrupt(`缺少文件 ${row.digest}`);
      if ((await hashFile(file, digestAlgorithmOf(row.digest))) !== row.stored_digest)
        throw backupCorrupt(`文件 ${row.digest} 的内容与记录不符`);
      blobs.push({ digest: row.digest, storedDigest: row.stored_digest });
    }
  }
  return blobs;
}

/** Anything a previous life of this database left — items, events, files, fonds — refuses the restore. */
async function checkEmptyDatabase(db: Db): Promise<void> {
  for (const table of ['archive_item', 'integrity_event', 'storage_blob', 'fonds']) {
    const result = await sql<{
      found: number;
    }>`select count(*)::int as found from ${sql.table(table)}`.execute(db);
    if ((result.rows[0]?.found ?? 0) > 0)
      throw invalid('RESTORE_TARGET_NOT_EMPTY', '目标数据库已有数据，恢复只能在空数据库进行');
  }
}

export async function restoreBackup(config: Config, dir: string, passphrase: string): Promise<RestoreReport> {
  const source = path.resolve(dir);
  const manifest = readManifest(source);
  if (!listMigrations().includes(manifest.schemaVersion))
    throw invalid(
      'BACKUP_TOO_NEW',
      `备份的数据库结构版本 ${manifest.schemaVersion} 比本程序新，请先升级医档`,
    );
  await checkManifestFiles(source, manifest);
  const blobTable = manifest.tables.find((table) => table.name === 'storage_blob');
  if (!blobTable) throw backupCorrupt('缺少文件目录表');
  const blobs = await checkBlobs(source, path.join(source, blobTable.file));
  const material = JSON.parse(
    openWithPassphrase(fs.readFileSync(path.join(source, 'keys.sealed')), passphrase).toString('utf8'),
  ) as KeyMaterial;
  checkFreshHome(config);
  // The replicas' destruction records are read before anything is written, with the backup's own log
  // key: a replica that cannot be read (away, an unmounted share, EACCES) stops the restore here, and
  // is not created afresh by opening the system (an empty mount point must not read as "no records").
  const verifier = parseVerifierKey(fs.readFileSync(path.join(source, 'verifier-key.txt'), 'utf8').trim());
  const records = await readShredRecords({ replicas: replicasOf(config) }, verifier);

  const homeExisted = fs.existsSync(config.home);
  fs.mkdirSync(config.home, { recursive: true, mode: 0o700 });
  // What this restore creates is removed again if it fails, so a retry starts from the same place.
  const cleanUp = () => {
    fs.rmSync(path.join(config.home, 'keys'), { recursive: true, force: true });
    if (!config.databaseUrl) fs.rmSync(config.embeddedDbDir, { recursive: true, force: true });
    fs.rmSync(path.join(config.home, 'db.lock'), { recursive: true, force: true });
    if (!homeExisted) fs.rmSync(config.home, { recursive: true, force: true });
  };
  let database: Database | undefined;
  let rows = 0;
  try {
    database = await openDatabase(config, { migrate: false });
    await migrateTo(database.db, manifest.schemaVersion);
    await checkEmptyDatabase(database.db);
    importKeyMaterial(config.home, material, { masterKeysToFiles: !config.env.YIDANG_MASTER_KEY });
    importFieldKey(config.home, material.fieldKey);
    // A backup made before a table existed restores at its own schema version, without that table.
    const present = new Set(await existingTables(database.db));
    const tables = DUMP_TABLES.filter((table) => present.has(table.name));
    await database.db.transaction().execute(async (trx) => {
      // Built-in rows the migrations inserted are replaced by the backup's own.
      for (const table of [...tables].reverse()) await sql`delete from ${sql.table(table.name)}`.execute(trx);
      for (const table of tables) {
        const entry = manifest.tables.find((candidate) => candidate.name === table.name);
        if (!entry) continue;
        for await (const lines of readLines(path.join(source, entry.file), 2000)) {
          await loadRows(trx, table.name, lines);
          rows += lines.length;
        }
      }
      await resetSerials(trx, present);
    });
    await migrateToLatest(database.db);
  } catch (error) {
    await database?.close();
    cleanUp();
    throw error;
  }
  const opened = database;
  let system: System;
  try {
    system = await openSystem(config, { initialize: true, database: opened });
  } catch (error) {
    await opened.close();
    cleanUp();
    throw error;
  }
  try {
    // Destructions carried out after the backup was taken: applied again from the replicas' signed
    // records before any blob is written back, so nothing destroyed is resurrected.
    const shreds = await reapplyShreds(
      database.db,
      { store: system.store, signingKey: system.signingKey },
      'system:restore',
      records,
    );
    const destroyed = new Set(shreds.blobs);
    for (const replica of system.store.replicas) {
      for (const blob of blobs) {
        if (destroyed.has(blob.digest)) continue;
        await replica.writeFrom(
          blob.digest,
          fs.createReadStream(path.join(source, blobRelativePath(blob.digest))),
        );
      }
    }
    await resetCopies(
      database.db,
      system.store.replicas.map((replica) => replica.name),
    );
    const report = await verifyAll(
      { db: database.db, store: system.store, signingKey: system.signingKey },
      {
        external: [
          { label: '备份中的检查点', note: fs.readFileSync(path.join(source, 'checkpoint.txt'), 'utf8') },
        ],
      },
    );
    const head = await currentTreeHead(database.db);
    const signed = parseCheckpointBody(
      openNote(
        fs.readFileSync(path.join(source, 'checkpoint.txt'), 'utf8'),
        parseVerifierKey(fs.readFileSync(path.join(source, 'verifier-key.txt'), 'utf8').trim()),
      ),
    );
    if (signed.size !== manifest.checkpoint.treeSize) throw backupCorrupt('检查点与清单不符');
    await system.close();
    return {
      treeSize: head.size,
      rootHash: head.rootHash.toString('hex'),
      rows,
      blobs: blobs.length - destroyed.size,
      shreds: {
        blobs: shreds.blobs.length,
        items: shreds.items,
        refused: shreds.refused,
        registersOnlyInRecords: shreds.registersOnlyInRecords,
      },
      verify: report,
    };
  } catch (error) {
    // Half restored (destroyed items possibly alive, blobs not all written): the home goes — its keys
    // and embedded database — so no server starts on it and a retry begins afresh.
    await system.close();
    cleanUp();
    throw error;
  }
}
