import type { Command } from 'commander';
import {
  decideBatch,
  drawSample,
  type QcReport,
  qcReport,
  reviewPage,
} from '../../modules/scan/qc.service.js';
import { invalid } from '../../shared/errors.js';
import { parsePositiveInt, printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';
import { BATCH_STATUS } from './scan.js';

// yidang qc: quality control of a digitization batch — draw a sample, mark each sampled page, decide.

const VERDICTS = { right: '合格', wrong: '不合格' } as const;
const DECISIONS = { accepted: '验收合格', returned: '退回返工' } as const;

const percent = (value: number) => `${Math.round(value * 100_000) / 1000}%`;

function printReport(report: QcReport): void {
  const { batch } = report;
  process.stdout.write(
    `批次 ${batch.id}“${batch.name}”（全宗 ${batch.fondsCode}）：${BATCH_STATUS[batch.status]}，${batch.pages} 页，抽检 ${percent(batch.sampleRate)}，合格差错率上限 ${percent(batch.maxErrorRate)}\n`,
  );
  for (const round of report.rounds) {
    const outcome = round.decision
      ? `${DECISIONS[round.decision]}（不合格 ${round.wrong}/${round.sampled}，差错率 ${percent((round.wrong ?? 0) / round.sampled)}）`
      : `已质检 ${round.reviewed}/${round.sampled}`;
    process.stdout.write(
      `\n第 ${round.round} 轮：从 ${round.pages} 页中抽 ${round.sampled} 页，${outcome}\n`,
    );
    printTable(
      ['图像名', '档号', '页', '结论', '原因', '质检员'],
      round.samples.map((sample) => [
        sample.imageName,
        sample.archiveCode,
        sample.page,
        sample.verdict ? VERDICTS[sample.verdict] : '待质检',
        sample.reason,
        sample.reviewer,
      ]),
    );
  }
}

export function registerQcCommands(program: Command): void {
  const qc = program.command('qc').description('数字化质检：抽样、逐页判定、批次验收或退回');
  const batchOf = (value: string) => parsePositiveInt(value, '批次编号');

  qc.command('show <批次>')
    .description('批次的质检记录')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(async (batch: string, options: { json?: boolean; user?: string }) => {
      const report = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'scan.qc', (user) =>
          qcReport(database.db, batchOf(batch), user.access),
        ),
      );
      if (options.json) return printJson(report);
      printReport(report);
    });

  qc.command('sample <批次>')
    .description('随机抽样，开始一轮质检')
    .option('--rate <比例>', '本轮抽检比例（默认按批次设置，如 0.05）')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(async (batch: string, options: { rate?: string; json?: boolean; user?: string }) => {
      if (options.rate !== undefined && !/^\d+(\.\d+)?$/.test(options.rate.trim()))
        throw invalid('QC_RATE_INVALID', '--rate 应为 0–1 之间的小数，如 0.05');
      const report = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'scan.qc', (user) =>
          drawSample(database.db, batchOf(batch), user.actor, {
            sampleRate: options.rate === undefined ? undefined : Number(options.rate),
            access: user.access,
          }),
        ),
      );
      if (options.json) return printJson(report);
      printReport(report);
    });

  qc.command('mark <批次> <档号> <页>')
    .description('对抽中的一页给出结论：--right 合格，或 --wrong --reason 原因')
    .option('--right', '合格')
    .option('--wrong', '不合格')
    .option('--reason <原因>', '不合格的原因（如 字迹模糊、缺页、倾斜）')
    .option(...USER_OPTION)
    .action(
      async (
        batch: string,
        archiveCode: string,
        page: string,
        options: { right?: boolean; wrong?: boolean; reason?: string; user?: string },
      ) => {
        if (Boolean(options.right) === Boolean(options.wrong))
          throw invalid('QC_VERDICT_INVALID', '请用 --right 或 --wrong 二者之一给出结论');
        const verdict = options.right ? 'right' : 'wrong';
        await withDatabase((database) =>
          asCliUser(database.db, options.user, 'scan.qc', (user) =>
            reviewPage(
              database.db,
              batchOf(batch),
              { archiveCode, page: parsePositiveInt(page, '页号') },
              { verdict, reason: options.reason },
              user.actor,
              user.access,
            ),
          ),
        );
        process.stdout.write(`${archiveCode} 第${page}页：${VERDICTS[verdict]}\n`);
      },
    );

  qc.command('decide <批次>')
    .description('判定本轮：差错率不超过上限则验收合格，否则退回返工（退回时命令返回 1）')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(async (batch: string, options: { json?: boolean; user?: string }) => {
      const report = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'scan.qc', (user) =>
          decideBatch(database.db, batchOf(batch), user.actor, user.access),
        ),
      );
      if (report.batch.status === 'returned') process.exitCode = 1;
      if (options.json) return printJson(report);
      printReport(report);
    });
}
