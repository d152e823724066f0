import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import { type Database, openMemoryDatabase, openPostgres } from '../../src/db/database.js';
import { TEMPLATE_DATABASE, TEMPLATE_DUMP } from './global-setup.js';

// Each test file gets its own database, already migrated: on PGlite a copy of a dumped data
// directory made once per run, on PostgreSQL (DATABASE_URL set) a database cloned from a template.

export const onPostgres = Boolean(process.env.DATABASE_URL);

export interface TestDatabase extends Database {
  /** The connection string of this test's own PostgreSQL database, if on PostgreSQL. */
  url?: string;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dump = fs.readFileSync(TEMPLATE_DUMP);
    return openMemoryDatabase(new Blob([dump]));
  }
  const name = `yidang_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const database = openPostgres(url);
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/** Runs one statement on its own connection (create or drop a database, count tables). */
export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

const emptyDatabases: string[] = [];

/** A new, empty PostgreSQL database (no template: restore needs one without tables), or undefined on PGlite. */
export async function freshDatabaseUrl(): Promise<string | undefined> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) return undefined;
  const name = `yidang_empty_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await adminQuery(adminUrl, `create database ${name}`);
  emptyDatabases.push(name);
  return withDatabase(adminUrl, name);
}

/** Drops the databases freshDatabaseUrl made in this test file. */
export async function dropEmptyDatabases(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) return;
  for (const name of emptyDatabases.splice(0))
    await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
}

export { sql };
