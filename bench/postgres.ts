import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Database, openPostgres } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrator.js';

/**
 * Runs `work` on a fresh, migrated database of its own: on DATABASE_URL's server, or on a throwaway
 * server started with the CI script when PostgreSQL is installed. Returns false when neither exists.
 */
export async function onBenchPostgres(
  name: string,
  work: (database: Database) => Promise<void>,
): Promise<boolean> {
  let adminUrl = process.env.DATABASE_URL;
  let stop = () => {};
  if (!adminUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-pg-'));
    fs.chmodSync(dir, 0o755);
    try {
      const env = execFileSync('bash', ['.ci/start-postgres.sh', dir], { encoding: 'utf8' });
      adminUrl = /DATABASE_URL=(\S+)/.exec(env)?.[1];
      const pgCtl = /YIDANG_PG_CTL='([^']+)'/.exec(env)?.[1];
      stop = () => {
        const command = `'${pgCtl}' -D '${dir}/data' -m fast stop`;
        const asRoot = process.getuid?.() === 0;
        execFileSync(
          asRoot ? 'su' : 'bash',
          asRoot ? ['postgres', '-s', '/bin/bash', '-c', command] : ['-c', command],
        );
        fs.rmSync(dir, { recursive: true, force: true });
      };
    } catch {
      return false;
    }
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl as string);
  url.pathname = `/${name}`;
  const database = openPostgres(url.toString());
  try {
    await migrateToLatest(database.db);
    await work(database);
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    stop();
  }
  return true;
}
