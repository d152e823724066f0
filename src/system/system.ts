import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { type Database, type EngineThread, openDatabase } from '../db/database.js';
import { useFieldKey } from '../shared/field-cipher.js';
import { hasSealedUserIdNumbers, sealPlainUserIdNumbers } from '../modules/access/access.queries.js';
import { hasSealedItemIdNumbers, sealPlainItemIdNumbers } from '../modules/catalog/item.queries.js';
import type { SigningKey } from '../modules/integrity/checkpoint.service.js';
import { ensureLog } from '../modules/integrity/event-log.js';
import { BlobStore } from '../modules/storage/blob-store.js';
import { DirectoryReplica } from '../modules/storage/directory-replica.js';
import { openFieldKey } from '../modules/storage/field-key.js';
import { initKeyring, type Keyring, loadKeyring } from '../modules/storage/keyring.js';
import { configureCpuPool } from '../shared/cpu-pool/cpu-pool.js';
import { isYidangError } from '../shared/errors.js';

// Everything one running Yidang uses, opened together: the database, the keys in YIDANG_HOME/keys,
// the blob store over its replicas, and the event log's head.

export interface System {
  config: Config;
  database: Database;
  keyring: Keyring;
  store: BlobStore;
  signingKey: SigningKey;
  close(): Promise<void>;
}

async function hasProtectedData(database: Database): Promise<boolean> {
  const blob = await database.db.selectFrom('storage_blob').select('digest').limit(1).executeTakeFirst();
  const checkpoint = await database.db
    .selectFrom('integrity_checkpoint')
    .select('id')
    .limit(1)
    .executeTakeFirst();
  return blob !== undefined || checkpoint !== undefined;
}

/**
 * Keys are created with the data directory. They are never re-created over data that needs them:
 * a system that has stored files or signed checkpoints and lost its keys must restore them.
 */
async function openKeyring(config: Config, database: Database): Promise<Keyring> {
  try {
    return loadKeyring(config.home, config.env);
  } catch (error) {
    if (!isYidangError(error) || error.code !== 'KEYS_MISSING') throw error;
    if (await hasProtectedData(database)) throw error;
    return initKeyring(config.home, { env: config.env, signingAlgorithm: config.signature });
  }
}

/**
 * Loads (or, for a database without encrypted ID numbers, creates) the field key for this process;
 * at init and start, ID numbers stored before encryption existed are encrypted.
 */
export async function openFieldEncryption(config: Config, database: Database, seal = false): Promise<void> {
  const db = database.db;
  const anySealed = (await hasSealedItemIdNumbers(db)) || (await hasSealedUserIdNumbers(db));
  useFieldKey(openFieldKey(config.home, anySealed, config.env));
  if (seal) {
    await sealPlainItemIdNumbers(db);
    await sealPlainUserIdNumbers(db);
  }
}

export interface OpenOptions {
  /** Create missing replica directories (init and start do; an unmounted share must not be replaced silently). */
  initialize?: boolean;
  database?: Database;
  /** Where PGlite runs unless configured (the server: on a worker thread). */
  thread?: EngineThread;
}

export async function openSystem(config: Config, options: OpenOptions = {}): Promise<System> {
  fs.mkdirSync(config.home, { recursive: true, mode: 0o700 });
  await configureCpuPool({ workers: config.cpuWorkers });
  const database = options.database ?? (await openDatabase(config, { thread: options.thread }));
  try {
    const keyring = await openKeyring(config, database);
    await openFieldEncryption(config, database, options.initialize ?? false);
    const store = new BlobStore(config, keyring);
    for (const replica of store.replicas) {
      const insideHome =
        replica instanceof DirectoryReplica && !path.relative(config.home, replica.root).startsWith('..');
      if (options.initialize || insideHome) await replica.initialize();
      // Temporary files of a killed writer go when the replica is opened (initialize does it too).
      else if (replica instanceof DirectoryReplica) await replica.sweepOrphans();
    }
    await ensureLog(database.db, { algorithm: config.digest });
    return {
      config,
      database,
      keyring,
      store,
      signingKey: keyring.signing,
      close: () => database.close(),
    };
  } catch (error) {
    if (!options.database) await database.close();
    throw error;
  }
}
