import type { ReminderSettings } from '../../config/notices.js';
import type { Db } from '../../db/database.js';
import { systemContext } from '../../shared/access-context.js';
import type { JobDefinition } from '../jobs/job.runtime.js';
import { runLoanReminders } from './reminder.service.js';

// The scheduled reminder job: src/system/jobs.ts registers it and runs it every interval (one server
// takes each run); its clock is the runtime's, so a test moves time without waiting.

export const LOAN_REMINDERS_JOB = 'loan.reminders';

export function loanRemindersJob(
  db: Db,
  settings: ReminderSettings & { deliver: boolean },
  clock: () => Date = () => new Date(),
): JobDefinition {
  return {
    kind: LOAN_REMINDERS_JOB,
    async run(_payload, context) {
      const run = await runLoanReminders(db, systemContext('jobs'), {
        offsets: settings.offsets,
        deliver: settings.deliver,
        now: clock(),
      });
      await context.progress(
        run.notices,
        null,
        `提醒 ${Object.values(run.sent).reduce((a, b) => a + b, 0)} 笔借阅${
          run.failed.length > 0 ? `，${run.failed.length} 笔未能发送（下次运行重试）` : ''
        }`,
      );
    },
  };
}
