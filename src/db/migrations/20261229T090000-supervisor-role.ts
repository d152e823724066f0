import { type Kysely, sql } from 'kysely';

// 基金监管人员 (supervisor): the fund supervisors of issue 27 — settlement data, audit rules, their
// clues and cases. A business role, so it joins the check of user_role beside the others.

const WITH_SUPERVISOR = `'clerk', 'reviewer', 'archivist', 'manager', 'insured', 'supervisor', 'sysadmin', 'secadmin', 'auditor'`;
const WITHOUT = `'clerk', 'reviewer', 'archivist', 'manager', 'insured', 'sysadmin', 'secadmin', 'auditor'`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table user_role drop constraint user_role_role_check`.execute(db);
  await sql
    .raw(`alter table user_role add constraint user_role_role_check check (role in (${WITH_SUPERVISOR}))`)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from user_role where role = 'supervisor'`.execute(db);
  await sql`alter table user_role drop constraint user_role_role_check`.execute(db);
  await sql
    .raw(`alter table user_role add constraint user_role_role_check check (role in (${WITHOUT}))`)
    .execute(db);
}
