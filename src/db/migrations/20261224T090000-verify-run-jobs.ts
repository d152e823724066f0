import { type Kysely, sql } from 'kysely';

// Verify runs started from the console become jobs of the job runtime (kind verify.run). A run the
// old in-process runner left "running" (its server stopped or died) can never end now: it is closed
// as failed. From here one run at a time is the database's rule, not one server's memory.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update verify_run set status = 'failed', finished_at = now(),
    error = '服务中断，校验未完成' where status = 'running'`.execute(db);
  await sql`create unique index verify_run_one_running on verify_run ((true)) where status = 'running'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists verify_run_one_running`.execute(db);
}
