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
 * With `keep` (and DATABASE_URL) the database is reused if present and left in place afterwards.
 */
export async function onBenchPostgres(
  name: string,
  work: (database: Database) => Promise<void>,
  options: { keep?: boolean } = {},
): Promise<boolean> {
  let adminUrl = process.env.DATABASE_URL;
  // Keeping a loaded database only makes sense on a server that outlives the run.
  const keep = options.keep === true && adminUrl !== undefined;
  let stop = () => {};
  if (!adminUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-pg-'));
    fs.chmodSync(dir, 0o755);
    try {
      // Memory as a production server would be given it (a quarter of RAM for buffers, half as the
      // cache the planner may count on); the defaults (128 MB) suit a laptop, not 10,000,000 items.
      const gigabytes = Math.floor(os.totalmem() / 2 ** 30);
      const options = `-c shared_buffers=${Math.min(8, Math.max(1, Math.floor(gigabytes / 4)))}GB -c effective_cache_size=${Math.max(1, Math.floor(gigabytes / 2))}GB`;
      const env = execFileSync('bash', ['.ci/start-postgres.sh', dir], {
        encoding: 'utf8',
        env: { ...process.env, YIDANG_PG_OPTIONS: options },
      });
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
  const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
  if (!keep) await admin.query(`drop database if exists ${name} with (force)`);
  if (!keep || exists.rowCount === 0) await admin.query(`create database ${name}`);
  const url = new URL(adminUrl as string);
  url.pathname = `/${name}`;
  const database = openPostgres(url.toString());
  try {
    await migrateToLatest(database.db);
    await work(database);
  } finally {
    await database.close();
    if (!keep) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    stop();
  }
  return true;
}
