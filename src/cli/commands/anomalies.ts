import type { Command } from 'commander';
import { MEASURE_NAMES, MEASURES } from '../../modules/fund/anomaly.names.js';
import { findAnomalies } from '../../modules/fund/anomaly.service.js';
import { findGroups } from '../../modules/fund/group.service.js';
import { printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang anomalies | groups: 异常机构与人员 and 高风险群体 through the same services as
// /api/v1/fund/anomalies and /api/v1/fund/groups, for a signed-in holder of fund.read.

interface PeriodOptions {
  from?: string;
  to?: string;
  region?: string;
  json?: boolean;
  user?: string;
}

function periodOptions(command: Command): Command {
  return command
    .option('--from <日期>', '起始日期（结算日期，含），如 2026-01-01 或 2026-01；默认截止日期前 365 天')
    .option('--to <日期>', '截止日期（含），如 2026-12-31 或 2026-12；默认今天（北京时间）')
    .option('--region <统筹区>', '统筹区代码（6 位，如 320115；320100 含其下各区县）；默认您范围内的全部')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION);
}

export function registerAnomalyCommands(program: Command): void {
  periodOptions(
    program
      .command('anomalies')
      .description('异常机构与人员：与同级同统筹区同类比较（中位数与 MAD 的稳健分数），列出偏离者及原因')
      .option('--kind <对象>', '对象：institution（医疗机构）或 person（参保人）', 'institution')
      .option(
        '--measure <指标>',
        `指标（逗号分隔；默认全部）：${MEASURES.map((code) => `${code}（${MEASURE_NAMES[code]}）`).join('、')}`,
      )
      .option('--threshold <阈值>', '稳健分数阈值，1～20，默认 3.5')
      .option('--min-peers <个数>', '同组至少几个才评分，3～1000，默认 5')
      .option('--min-volume <次数>', '至少几次结算才计入，默认机构 10、参保人 3')
      .option('--high-price <元>', '高价项目的单价下限（元），默认 1000')
      .option('--limit <条数>', '最多列出几条，1～5000，默认 200'),
  ).action(
    async (
      options: PeriodOptions & {
        kind: string;
        measure?: string;
        threshold?: string;
        minPeers?: string;
        minVolume?: string;
        highPrice?: string;
        limit?: string;
      },
    ) => {
      const report = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'fund.read', (user) =>
          findAnomalies(database.db, user.access, {
            kind: options.kind,
            from: options.from,
            to: options.to,
            region: options.region,
            measure: options.measure,
            threshold: options.threshold,
            minPeers: options.minPeers,
            minVolume: options.minVolume,
            highPrice: options.highPrice,
            limit: options.limit,
          }),
        ),
      );
      if (options.json) return printJson(report);
      process.stdout.write(
        `${report.kindName}异常（${report.from} 至 ${report.to}${report.region ? `，统筹区 ${report.region}` : ''}）：${report.subjects} 个对象，标记 ${report.flagged} 项\n`,
      );
      if (report.flags.length > 0)
        printTable(
          [
            report.kind === 'institution' ? '机构' : '参保人',
            '名称',
            '等级',
            '统筹区',
            '指标',
            '值',
            '稳健分数',
            '说明',
          ],
          report.flags.map((flag) => [
            flag.subject,
            flag.name,
            flag.level ?? '—',
            flag.region,
            flag.measureName,
            flag.valueText,
            flag.score.toFixed(1),
            flag.explanation,
          ]),
        );
      for (const group of report.unscored)
        process.stdout.write(`未评分：${group.measureName}，统筹区 ${group.region}，${group.reason}\n`);
      process.stderr.write(`${report.note}\n`);
    },
  );

  periodOptions(
    program
      .command('groups')
      .description('高风险群体：按就诊频次、费用、机构数等特征聚类（固定种子），每群以文字与人数描述')
      .option('--members <人数>', '每群列出的成员数（脱敏身份证号），0～500，默认 10'),
  ).action(async (options: PeriodOptions & { members?: string }) => {
    const report = await withDatabase((database) =>
      asCliUser(database.db, options.user, 'fund.read', (user) =>
        findGroups(database.db, user.access, {
          from: options.from,
          to: options.to,
          region: options.region,
          members: options.members,
        }),
      ),
    );
    if (options.json) return printJson(report);
    process.stdout.write(
      `高风险群体（${report.from} 至 ${report.to}${report.region ? `，统筹区 ${report.region}` : ''}）：${report.persons} 名参保人\n`,
    );
    for (const cluster of report.clusters) {
      process.stdout.write(`\n${cluster.id}. 【${cluster.risk}】${cluster.description}\n`);
      if (cluster.members.length > 0) process.stdout.write(`   成员：${cluster.members.join('、')}\n`);
    }
    if (report.clustered)
      process.stdout.write(
        `\n特征：${report.features.map((feature) => feature.name).join('、')}\n群体个数：${report.k}（${report.kRule}）\n`,
      );
    process.stderr.write(`${report.note}\n`);
  });
}
