import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { assessmentReport } from '../../modules/kpi/kpi.report.js';
import { assessmentIndicators, type UnitIndicators } from '../../modules/kpi/kpi.service.js';
import { catchUpUses } from '../../modules/use/use.follower.js';
import { printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang kpi: 考核指标 of the signed-in user's units for a year, through the same service, right
// (kpi.read) and scope as GET /api/v1/kpi; --xlsx/--pdf write the 考核报告. The CLI has no background
// follower, so the use register first takes in the uses logged since it last read the log.

interface KpiOptions {
  year?: string;
  fonds?: string;
  region?: string;
  xlsx?: string;
  pdf?: string;
  json?: boolean;
  user?: string;
}

function writeOut(file: string, content: Buffer): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  // Written beside and renamed, so a killed command never leaves half a file under the real name.
  const partial = `${file}.part`;
  fs.writeFileSync(partial, content, { mode: 0o600 });
  fs.renameSync(partial, file);
}

const LEVELS: Record<UnitIndicators['level'], string> = {
  fonds: '立档单位',
  region: '统筹区',
  total: '合计',
};

export function registerKpiCommands(program: Command): void {
  program
    .command('kpi')
    .description(
      '考核指标：各立档单位、统筹区某年度的档案完整率、电子归档率、数字化率、归档及时率、利用次数、安全事故率',
    )
    .option('--year <年度>', '考核年度（默认本年，北京时间）')
    .option('--fonds <全宗号>', '只看一个立档单位')
    .option('--region <统筹区>', '只看一个统筹区（2、4 或 6 位行政区划代码）')
    .option('--xlsx <文件>', '另存考核报告为 XLSX')
    .option('--pdf <文件>', '另存考核报告为 PDF')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (options: KpiOptions) => {
      const query = { year: options.year, fonds: options.fonds, region: options.region };
      const result = await withDatabase(async (database) => {
        await catchUpUses(database.db);
        return asCliUser(database.db, options.user, 'kpi.read', async (user) => {
          const answer = await assessmentIndicators(database.db, user.access, query);
          const files: Array<[string, Buffer]> = [];
          for (const format of ['xlsx', 'pdf'] as const) {
            const file = options[format];
            if (file === undefined) continue;
            files.push([file, (await assessmentReport(database.db, user.access, { ...query, format })).file]);
          }
          return { answer, files };
        });
      });
      for (const [file, content] of result.files) {
        writeOut(file, content);
        process.stderr.write(`考核报告已保存：${file}\n`);
      }
      const { answer } = result;
      if (options.json) return printJson(answer);
      process.stdout.write(`${answer.year}年度考核指标（统计时间 ${answer.asOf}）\n`);
      printTable(
        [
          '层级',
          '代码',
          '名称',
          '件数',
          '档案完整率',
          '电子归档率',
          '数字化率',
          '归档及时率',
          '利用次数',
          '安全事故率（每万次查阅）',
        ],
        [...answer.units, ...answer.regions, answer.total].map((unit) => [
          LEVELS[unit.level],
          unit.level === 'total' ? '—' : unit.code,
          unit.name,
          unit.items,
          `${unit.completeness.percent}（${unit.completeness.numerator}/${unit.completeness.denominator}）`,
          `${unit.electronic.percent}（${unit.electronic.numerator}/${unit.electronic.denominator}）`,
          `${unit.digitised.percent}（${unit.digitised.numerator}/${unit.digitised.denominator}）`,
          `${unit.timely.percent}（${unit.timely.numerator}/${unit.timely.denominator}）`,
          unit.uses.uses,
          unit.incidents.per10k === null
            ? `—（${unit.incidents.total} 起，无查阅）`
            : `${unit.incidents.per10k.toFixed(2)}（${unit.incidents.total} 起/${unit.incidents.reads} 次）`,
        ]),
      );
      process.stdout.write('\n计算方法：\n');
      for (const definition of answer.definitions)
        process.stdout.write(
          `  ${definition.name}：分子 ${definition.numerator}；分母 ${definition.denominator}。${definition.method}\n`,
        );
    });
}
