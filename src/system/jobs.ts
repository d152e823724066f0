import { checkAfterFilingJob } from '../modules/check/check.background.js';
import { destructionCarryJob } from '../modules/disposition/destruction.carry.js';
import { checkpointIfGrown } from '../modules/integrity/checkpoint.service.js';
import { EXPIRY_REFRESH_JOB, expiryRefreshJob } from '../modules/disposition/expiry.job.js';
import { JobRuntime, type RuntimeOptions } from '../modules/jobs/job.runtime.js';
import { LOAN_REMINDERS_JOB, loanRemindersJob } from '../modules/lending/reminder.job.js';
import { deliveryOn, noticeDeliveryJob } from '../modules/notices/notice.delivery.js';
import { ocrPageJob } from '../modules/scan/ocr.service.js';
import { FIXITY_AUDIT_JOB, fixityAuditJob } from '../modules/storage/fixity.background.js';
import { transferExportJob } from '../modules/transfer/package.js';
import { fundRunJob } from '../modules/fund/run.service.js';
import { registerForm } from '../modules/transfer/register-form.js';
import { batchForExport, markExported } from '../modules/transfer/transfer.service.js';
import { verifyRunJob } from '../modules/verify/verify-run.service.js';
import type { System } from './system.js';

// The composition root of background work: every job kind the server runs, with its handler, and
// the recurring schedules. Modules only enqueue (in their own transactions); this registers.

export const CHECKPOINT_JOB = 'integrity.checkpoint';
const CHECKPOINT_ACTOR = 'system:checkpoint';

export interface SystemJobOptions extends RuntimeOptions {
  /** OCR workers on this server: 0 when OCR is off or its engine is missing (pages wait queued). */
  ocrConcurrency?: number;
}

export function systemJobRuntime(system: System, options: SystemJobOptions = {}): JobRuntime {
  const { db } = system.database;
  const { store, config, signingKey } = system;
  const runtime = new JobRuntime(db, options)
    .register(checkAfterFilingJob({ db, store, virus: { database: config.clamavDatabase } }))
    .register(
      ocrPageJob({ db, store, settings: config.ocr }, options.ocrConcurrency ?? config.ocr.concurrency),
    )
    // The console's verify runs: one at a time, its row and job created together by the route.
    .register(verifyRunJob({ db, store, signingKey }))
    .register(fixityAuditJob({ db, store }, config.fixity.batch))
    // Carrying out approved destruction registers: resumable, one item per transaction.
    .register(destructionCarryJob({ db, store, signingKey }))
    // Exporting transfer bags (移交包): resumable, a half-written bag is removed and written again.
    .register(
      transferExportJob({
        db,
        store,
        signingKey,
        digest: config.digest,
        home: config.home,
        batches: { batchForExport, markExported, registerForm },
      }),
    )
    // Notices to a mail/SMS gateway (config.notices); registered even when off, so notices queued
    // while a hook was configured are settled rather than left waiting.
    // 智能审核 runs started from the console or the API: one rule per transaction, progress per rule.
    .register(fundRunJob(db))
    .register(noticeDeliveryJob(db, config.notices, options.clock))
    // Loan reminders (T−3, T, T+7 by default): each run sends what is due and not yet sent.
    .register(
      loanRemindersJob(db, { ...config.reminders, deliver: deliveryOn(config.notices) }, options.clock),
    )
    // The expiry list (到期档案), refreshed every few hours and after an appraisal kept items.
    .register(expiryRefreshJob(db, options.clock))
    .schedule({ name: EXPIRY_REFRESH_JOB, kind: EXPIRY_REFRESH_JOB, everySeconds: 6 * 3600 })
    // Signed checkpoints pin the log's head even when nobody asks for one; one server signs each.
    .register({
      kind: CHECKPOINT_JOB,
      run: async () => {
        await checkpointIfGrown(db, signingKey, CHECKPOINT_ACTOR);
      },
    })
    .schedule({
      name: CHECKPOINT_JOB,
      kind: CHECKPOINT_JOB,
      everySeconds: config.checkpointIntervalSeconds,
    });
  if (config.reminders.intervalSeconds > 0)
    runtime.schedule({
      name: LOAN_REMINDERS_JOB,
      kind: LOAN_REMINDERS_JOB,
      everySeconds: config.reminders.intervalSeconds,
    });
  // Every file's copies re-read in turn, a batch per period; 0 hours turns the audit off on this server.
  if (config.fixity.intervalHours > 0)
    runtime.schedule({
      name: FIXITY_AUDIT_JOB,
      kind: FIXITY_AUDIT_JOB,
      everySeconds: config.fixity.intervalHours * 3600,
    });
  return runtime;
}
