import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../../src/config/config.js';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { DirectoryReplica } from '../../src/modules/storage/directory-replica.js';
import type { Replica } from '../../src/modules/storage/replica.js';
import { openSystem, type System } from '../../src/system/system.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { SYSTEM } from './fixture-access.js';
import { FONDS, reimbursement } from './fixtures.js';

// A whole system for a test: its own database (PGlite in memory or a PostgreSQL clone), a temporary
// YIDANG_HOME with keys, and replica directories under it.

export interface TestSystem extends System {
  home: string;
  database: TestDatabase;
  /** Removes the home directory and closes the database. */
  dispose(): Promise<void>;
}

export interface TestSystemOptions {
  /** YIDANG_REPLICAS (default: two required directories r1 and r2 under home). */
  replicas?: string;
  env?: Record<string, string>;
}

export async function openTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-test-'));
  const config = loadConfig(
    { YIDANG_HOME: home, YIDANG_REPLICAS: options.replicas ?? 'r1=replica-1,r2=replica-2', ...options.env },
    home,
  );
  const database = await openTestDatabase();
  const system = await openSystem(config, { initialize: true, database });
  return {
    ...system,
    home,
    database,
    dispose: async () => {
      await database.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A fonds and one filed item; returns its 档号. */
export async function fileOneItem(system: System, overrides: Record<string, unknown> = {}): Promise<string> {
  const db = system.database.db;
  const existing = await db
    .selectFrom('fonds')
    .select('code')
    .where('code', '=', FONDS.code)
    .executeTakeFirst();
  if (!existing) await createFonds(db, FONDS, 'test');
  const [filed] = await fileItems(db, [reimbursement(overrides)], 'test', { access: SYSTEM });
  return filed?.archiveCode as string;
}

export const streamOf = (content: Buffer | string) =>
  Readable.from([typeof content === 'string' ? Buffer.from(content) : content]);

export const storage = (system: System) => ({ db: system.database.db, store: system.store, access: SYSTEM });

/** A test that reaches behind a replica's back needs its directory; S3 replicas have none. */
export function asDirectory(replica: Replica | undefined): DirectoryReplica {
  if (!(replica instanceof DirectoryReplica)) throw new Error(`not a directory replica: ${replica?.name}`);
  return replica;
}

export const directoryReplica = (system: System, name: string) => asDirectory(system.store.replica(name));
