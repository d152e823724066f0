import { type Kysely, type Migration, Migrator } from 'kysely';
import { YidangError } from '../shared/errors.js';
import * as catalog from './migrations/20261122T080000-catalog.js';
import * as builtinCategories from './migrations/20261122T080100-builtin-categories.js';
import * as integrity from './migrations/20261122T120000-integrity.js';
import * as storage from './migrations/20261122T120100-storage.js';
import * as access from './migrations/20261122T140000-access.js';
import * as accessRequests from './migrations/20261123T090000-access-requests.js';
import * as idNumberEncryption from './migrations/20261123T100000-id-number-encryption.js';
import * as search from './migrations/20261124T080000-search.js';
import * as searchBody from './migrations/20261124T090000-search-body.js';
import * as ingest from './migrations/20261125T090000-ingest.js';
import * as importTables from './migrations/20261125T100000-import.js';
import * as duplicates from './migrations/20261125T110000-duplicates.js';
import * as scan from './migrations/20261126T090000-scan.js';
import * as checks from './migrations/20261126T100000-checks.js';
import * as consoleTables from './migrations/20261127T090000-console.js';
import * as ledgers from './migrations/20261201T090000-ledgers.js';
import * as passwordChange from './migrations/20261215T090000-password-change.js';
import * as stateBaseline from './migrations/20261220T090000-state-baseline.js';
import * as fileOriginalName from './migrations/20261222T090000-file-original-name.js';
import * as jobs from './migrations/20261223T090000-jobs.js';
import * as verifyRunJobs from './migrations/20261224T090000-verify-run-jobs.js';
import * as searchPlanned from './migrations/20261226T120000-search-planned.js';
import * as useRegister from './migrations/20261227T130000-use-register.js';
import * as notices from './migrations/20261227T120000-notices.js';
import * as loanReminders from './migrations/20261227T120100-loan-reminders.js';
import * as lending from './migrations/20261227T110000-lending.js';
import * as insured from './migrations/20261227T140000-insured.js';
import * as holds from './migrations/20261227T150000-holds.js';
import * as appraisal from './migrations/20261227T150200-appraisal.js';
import * as destruction from './migrations/20261227T150300-destruction.js';
import * as destructionCategory from './migrations/20261227T150310-destruction-category.js';
import * as destructionRows from './migrations/20261227T150320-destruction-rows.js';
import * as shred from './migrations/20261227T150400-shred.js';
import * as tombstonePerson from './migrations/20261227T150500-tombstone-person.js';
import * as transfer from './migrations/20261228T100000-transfer.js';
import * as receive from './migrations/20261228T110000-receive.js';
import * as supervisorRole from './migrations/20261229T090000-supervisor-role.js';
import * as kpi from './migrations/20261229T140000-kpi.js';
import * as fundSettlement from './migrations/20261229T100000-fund-settlement.js';
import * as receivedOrigin from './migrations/20261229T150000-received-origin.js';
import * as fundRules from './migrations/20261229T110000-fund-rules.js';
import * as cases from './migrations/20261229T120000-cases.js';

// Migrations are listed here rather than read from disk so the compiled build and the tests run the
// same set; names are timestamps, and Kysely applies them in name order.
const MIGRATIONS: Record<string, Migration> = {
  '20261122T080000-catalog': catalog,
  '20261122T080100-builtin-categories': builtinCategories,
  '20261122T120000-integrity': integrity,
  '20261122T120100-storage': storage,
  '20261122T140000-access': access,
  '20261123T090000-access-requests': accessRequests,
  '20261123T100000-id-number-encryption': idNumberEncryption,
  '20261124T080000-search': search,
  '20261124T090000-search-body': searchBody,
  '20261125T090000-ingest': ingest,
  '20261125T100000-import': importTables,
  '20261125T110000-duplicates': duplicates,
  '20261126T090000-scan': scan,
  '20261126T100000-checks': checks,
  '20261127T090000-console': consoleTables,
  '20261201T090000-ledgers': ledgers,
  '20261215T090000-password-change': passwordChange,
  '20261220T090000-state-baseline': stateBaseline,
  '20261222T090000-file-original-name': fileOriginalName,
  '20261223T090000-jobs': jobs,
  '20261224T090000-verify-run-jobs': verifyRunJobs,
  '20261226T120000-search-planned': searchPlanned,
  '20261227T130000-use-register': useRegister,
  '20261227T120000-notices': notices,
  '20261227T120100-loan-reminders': loanReminders,
  '20261227T110000-lending': lending,
  '20261227T140000-insured': insured,
  '20261227T150000-holds': holds,
  '20261227T150200-appraisal': appraisal,
  '20261227T150300-destruction': destruction,
  '20261227T150310-destruction-category': destructionCategory,
  '20261227T150320-destruction-rows': destructionRows,
  '20261227T150400-shred': shred,
  '20261227T150500-tombstone-person': tombstonePerson,
  '20261228T100000-transfer': transfer,
  '20261228T110000-receive': receive,
  '20261229T090000-supervisor-role': supervisorRole,
  '20261229T140000-kpi': kpi,
  '20261229T100000-fund-settlement': fundSettlement,
  '20261229T150000-received-origin': receivedOrigin,
  '20261229T110000-fund-rules': fundRules,
  '20261229T120000-cases': cases,
};

export const MIGRATION_TABLE = 'yidang_migration';

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
}

async function run(step: Promise<Awaited<ReturnType<Migrator['migrateToLatest']>>>): Promise<string[]> {
  const { error, results } = await step;
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new YidangError(
      'MIGRATION_FAILED',
      'invalid',
      `数据库迁移失败${failed ? `（${failed}）` : ''}：${reason}`,
    );
  }
  return (results ?? []).map((result) => result.migrationName);
}

export function migrateToLatest<T>(db: Kysely<T>): Promise<string[]> {
  return run(migrator(db as Kysely<unknown>).migrateToLatest());
}

export function migrateTo<T>(db: Kysely<T>, name: string): Promise<string[]> {
  return run(migrator(db as Kysely<unknown>).migrateTo(name));
}

export function migrateDown<T>(db: Kysely<T>): Promise<string[]> {
  return run(migrator(db as Kysely<unknown>).migrateDown());
}

export function listMigrations(): string[] {
  return Object.keys(MIGRATIONS).sort();
}
