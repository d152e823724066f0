import fs from 'node:fs';
import type { Command } from 'commander';
import {
  type CheckReport,
  checkReportWorkbook,
  STATUS_LABELS,
  verdict,
} from '../../modules/check/check.report.js';
import { checkBatch, checkFondsYear, checkItem, getCheckReport } from '../../modules/check/check.service.js';
import { invalid } from '../../shared/errors.js';
import { clip, parsePositiveInt, printJson, printTable, USER_OPTION, withSystem } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang check: the four-property check (四性检测) of one item, a digitization batch or a fonds'
// year, or a kept report by its number; a table per item, the XLSX report on request, and exit
// status 1 when any check failed.

interface CheckOptions {
  item?: string;
  batch?: string;
  fonds?: string;
  year?: string;
  run?: string;
  report?: string;
  json?: boolean;
  user?: string;
}

function printReport(report: CheckReport): void {
  for (const item of report.items) {
    process.stdout.write(`\n档号 ${item.archiveCode}：${item.outcome === 'pass' ? '通过' : '不通过'}\n`);
    printTable(
      ['性质', '检测项', '结果', '说明'],
      item.checks.map((check) => [
        check.propertyName,
        check.name,
        STATUS_LABELS[check.status],
        clip(check.detail, 60),
      ]),
    );
    for (const check of item.checks.filter((entry) => entry.status === 'fail' && entry.detail.length > 60))
      process.stdout.write(`  ${check.name}：${check.detail}\n`);
  }
}

export function registerCheckCommands(program: Command): void {
  program
    .command('check')
    .description(
      '四性检测（真实性、完整性、可用性、安全性，DA/T 70-2018）：一件、一个数字化批次或一个全宗年度',
    )
    .option('--item <档号>', '检测一件档案')
    .option('--batch <批次编号>', '检测一个数字化批次的全部档案')
    .option('--fonds <全宗号>', '检测一个全宗某年度的全部档案（与 --year 同用）')
    .option('--year <年度>', '年度（与 --fonds 同用）')
    .option('--run <检测编号>', '不重新检测，取出以前某次检测的报告')
    .option('--report <文件>', '把检测报告另存为 XLSX')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(async (options: CheckOptions) => {
      const chosen = [options.item, options.batch, options.fonds ?? options.year, options.run].filter(
        (value) => value !== undefined,
      );
      if (chosen.length !== 1)
        throw invalid(
          'CHECK_TARGET_INVALID',
          '请只指定一个检测范围：--item、--batch、--fonds 与 --year，或 --run',
        );
      if ((options.fonds === undefined) !== (options.year === undefined))
        throw invalid('CHECK_TARGET_INVALID', '按全宗检测须同时给出 --fonds 与 --year');
      const report = await withSystem((system) =>
        asCliUser(system.database.db, options.user, 'integrity.read', (user) => {
          const context = {
            db: system.database.db,
            store: system.store,
            virus: { database: system.config.clamavDatabase },
          };
          if (options.item) return checkItem(context, options.item, user.actor, user.access);
          if (options.batch)
            return checkBatch(context, parsePositiveInt(options.batch, '--batch'), user.actor, user.access);
          if (options.run)
            return getCheckReport(system.database.db, parsePositiveInt(options.run, '--run'), user.access);
          const year = parsePositiveInt(options.year as string, '--year', 9999);
          return checkFondsYear(context, { fonds: options.fonds as string, year }, user.actor, user.access);
        }),
      );
      if (options.report) fs.writeFileSync(options.report, await checkReportWorkbook(report));
      if (options.json) printJson(report);
      else printReport(report);
      process.stderr.write(
        `检测编号 ${report.id}：${verdict(report)}${options.report ? `。报告：${options.report}` : ''}\n`,
      );
      if (report.summary.failedItems > 0) process.exitCode = 1;
    });
}
