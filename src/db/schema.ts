import type { AccessTables } from '../modules/access/access.tables.js';
import type { CaseTables } from '../modules/cases/case.tables.js';
import type { CatalogTables } from '../modules/catalog/catalog.tables.js';
import type { HoldTables } from '../modules/catalog/hold.tables.js';
import type { ExpiryTables } from '../modules/catalog/expiry.tables.js';
import type { AppraisalTables } from '../modules/disposition/appraisal.tables.js';
import type { DestructionTables } from '../modules/disposition/destruction.tables.js';
import type { ConsoleTables } from '../modules/console/console.tables.js';
import type { CheckTables } from '../modules/check/check.tables.js';
import type { DuplicateTables } from '../modules/duplicates/duplicates.tables.js';
import type { InsuredTables } from '../modules/insured/insured.tables.js';
import type { ImportTables } from '../modules/import/import.tables.js';
import type { IngestTables } from '../modules/push/push.tables.js';
import type { FundRuleTables } from '../modules/fund/rule.tables.js';
import type { SettlementTables } from '../modules/fund/settlement.tables.js';
import type { ScanTables } from '../modules/scan/scan.tables.js';
import type { IntegrityTables } from '../modules/integrity/integrity.tables.js';
import type { JobTables } from '../modules/jobs/jobs.tables.js';
import type { KpiTables } from '../modules/kpi/kpi.tables.js';
import type { LedgerTables } from '../modules/ledgers/ledgers.tables.js';
import type { NoticeTables } from '../modules/notices/notices.tables.js';
import type { ReceiveTables } from '../modules/transfer/receive.tables.js';
import type { LoanReminderTables } from '../modules/lending/reminder.tables.js';
import type { LendingTables } from '../modules/lending/lending.tables.js';
import type { SearchTables } from '../modules/search/search.tables.js';
import type { StorageTables } from '../modules/storage/storage.tables.js';
import type { TransferTables } from '../modules/transfer/transfer.tables.js';
import type { UseTables } from '../modules/use/use.tables.js';
import type { VerifyTables } from '../modules/verify/verify.tables.js';

/** The whole database as Kysely sees it: each module contributes the tables it owns. */
export interface DatabaseSchema
  extends AccessTables,
    AppraisalTables,
    ExpiryTables,
    CaseTables,
    CatalogTables,
    HoldTables,
    ConsoleTables,
    DestructionTables,
    CheckTables,
    DuplicateTables,
    ImportTables,
    IngestTables,
    InsuredTables,
    IntegrityTables,
    FundRuleTables,
    JobTables,
    KpiTables,
    LedgerTables,
    NoticeTables,
    ReceiveTables,
    LoanReminderTables,
    LendingTables,
    ScanTables,
    SettlementTables,
    SearchTables,
    StorageTables,
    TransferTables,
    UseTables,
    VerifyTables {}
