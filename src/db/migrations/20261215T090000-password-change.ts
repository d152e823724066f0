import { type Kysely, sql } from 'kysely';

// 三员分立 that holds: a password set by someone else (the account's creator, or an administrator
// resetting it) must be changed by its owner at the first sign-in before anything else is allowed,
// and a second factor whose secret someone else saw is replaced by one its owner enrols.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table app_user add column password_must_change boolean not null default false`.execute(db);
  // A second factor whose secret was shown to whoever ran `yidang user`: its owner replaces it.
  await sql`alter table app_user add column totp_must_renew boolean not null default false`.execute(db);
  // Accounts whose password was never changed since creation still hold the creator's choice (and
  // the administrative ones the secret shown at creation).
  await sql`
    update app_user set password_must_change = true, totp_must_renew = (totp_secret is not null)
    where password_changed_at = created_at`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table app_user drop column if exists totp_must_renew`.execute(db);
  await sql`alter table app_user drop column if exists password_must_change`.execute(db);
}
