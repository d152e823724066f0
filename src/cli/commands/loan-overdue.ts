import type { Command } from 'commander';
import { overdueList } from '../../modules/lending/overdue.service.js';
import { parsePositiveInt, printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang loan overdue: the archivist's overdue list (逾期) through the same service as
// GET /api/v1/loans/overdue, as a signed-in account within its scope.

/**
 * The `loan` command group with `overdue` in it: lending's group when it registered one first (it may
 * also call addOverdueCommand on its own group), else a group of its own.
 */
export function registerLoanOverdueCommand(program: Command): void {
  const loan =
    program.commands.find((command) => command.name() === 'loan') ??
    program.command('loan').description('借阅：申请、审批、出库、归还与逾期');
  if (!loan.commands.some((command) => command.name() === 'overdue')) addOverdueCommand(loan);
}

/** Adds `overdue` to the `loan` group. */
export function addOverdueCommand(loan: Command): void {
  loan
    .command('overdue')
    .description('逾期清单：实体借出已过应还日仍未归还的借阅（逾期最久的在前）')
    .option('--min-days <天数>', '至少逾期的天数（默认 1）')
    .option('--limit <条数>', '每页条数（默认 50，最多 200）')
    .option('--cursor <标记>', '从上次输出的“下一页”标记继续')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (options: {
        minDays?: string;
        limit?: string;
        cursor?: string;
        json?: boolean;
        user?: string;
      }) => {
        const page = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'loan.handle', (user) =>
            overdueList(database.db, user.access, {
              minDays:
                options.minDays === undefined
                  ? undefined
                  : parsePositiveInt(options.minDays, '--min-days', 3650),
              limit:
                options.limit === undefined ? undefined : parsePositiveInt(options.limit, '--limit', 200),
              cursor: options.cursor,
            }),
          ),
        );
        if (options.json) return printJson(page);
        if (page.total !== null)
          process.stdout.write(
            `截至 ${page.today}，逾期借阅单 ${page.total}${page.totalAtLeast ? '+' : ''} 笔\n`,
          );
        if (page.loans.length === 0) return;
        printTable(
          ['借阅单号', '借阅人', '应还日', '逾期天数', '未还档号', '最近提醒'],
          page.loans.map((loan) => [
            loan.loanNo,
            loan.borrower.organisation
              ? `${loan.borrower.organisation}（介绍信 ${loan.borrower.letterNo ?? ''}）`
              : (loan.borrower.user ?? ''),
            loan.dueOn,
            loan.daysOverdue,
            loan.items.join('、'),
            loan.lastReminder
              ? `${loan.lastReminder.offset > 0 ? `T+${loan.lastReminder.offset}` : loan.lastReminder.offset === 0 ? 'T' : `T${loan.lastReminder.offset}`} ${loan.lastReminder.sentAt.slice(0, 16).replace('T', ' ')}`
              : '',
          ]),
        );
        if (page.next) process.stdout.write(`下一页：--cursor ${page.next}\n`);
      },
    );
}
