import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadDemoSettlements } from '../../modules/demo/demo.service.js';
import { fieldLabel } from '../../modules/fund/settlement.fields.js';
import { importSettlementFile, MAX_EXTRACT_BYTES } from '../../modules/fund/settlement.import.js';
import { settlementImportReport } from '../../modules/fund/settlement.report.js';
import { listSettlements, readSettlement } from '../../modules/fund/settlement.service.js';
import { invalid } from '../../shared/errors.js';
import {
  parsePositiveInt,
  printJson,
  printTable,
  progress,
  readBoundedFile,
  USER_OPTION,
  withDatabase,
} from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang settle: 结算数据 through the same services as /api/v1/fund/settlements and /fund/imports —
// import an extract (CSV in GBK or UTF-8, or XLSX) with its report, list and show settlements within
// the signed-in account's regions (the person masked), and generate synthetic settlements with
// injected violations and their ground truth.

const defaultReportPath = (file: string) =>
  path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.结算导入报告.xlsx`);

export function registerSettleCommands(program: Command): void {
  const settle = program.command('settle').description('结算数据：导入、查询、查看与生成模拟数据');

  settle
    .command('import <文件>')
    .description('导入结算数据（CSV 或 XLSX，每行一条明细，表头列在每行重复），逐行报告未通过的原因')
    .option('--encoding <编码>', '文本文件的编码：gbk 或 utf8（默认自动识别）')
    .option('--batch <笔数>', '每批写入的结算笔数（每批一个事务）', '2000')
    .option('--report <文件>', '导入报告的保存位置（默认与文件同目录的 *.结算导入报告.xlsx）')
    .option('--json', '以 JSON 输出导入结果')
    .option(...USER_OPTION)
    .action(
      async (
        file: string,
        options: { encoding?: string; batch: string; report?: string; json?: boolean; user?: string },
      ) => {
        if (options.encoding !== undefined && options.encoding !== 'gbk' && options.encoding !== 'utf8')
          throw invalid('FUND_IMPORT_INVALID', '--encoding 只能是 gbk 或 utf8');
        const content = readBoundedFile(
          file,
          MAX_EXTRACT_BYTES,
          `超过结算数据导入上限 ${MAX_EXTRACT_BYTES / 1024 / 1024} MB，请按月份或机构拆分后导入`,
        );
        const batchSize = parsePositiveInt(options.batch, '--batch', 10_000);
        const report = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'fund.import', (user) =>
            importSettlementFile(
              database.db,
              user.access,
              { name: path.basename(file), content },
              {
                encoding: options.encoding as 'gbk' | 'utf8' | undefined,
                batchSize,
                onBatch: (done, total) => progress('写入', done, total),
              },
            ),
          ),
        );
        const reportPath = options.report ?? defaultReportPath(file);
        fs.writeFileSync(reportPath, await settlementImportReport(report));
        if (options.json) return printJson(report);
        process.stdout.write(
          `导入批次 ${report.importId}${report.resumed ? '（续传）' : ''}：${report.rows} 行、${report.settlements} 笔结算；` +
            `导入 ${report.imported} 笔，跳过 ${report.skipped} 笔（此前已导入），未导入 ${report.refused} 笔\n`,
        );
        if (report.refusedRows.length > 0)
          printTable(
            ['行号', '结算流水号', '列', '原因'],
            report.refusedRows
              .slice(0, 50)
              .map((row) => [row.row, row.serial, row.field ? fieldLabel(row.field) : '', row.message]),
          );
        if (report.refusedRows.length > 50)
          process.stdout.write(`……共 ${report.refusedRows.length} 行未通过，见导入报告\n`);
        process.stdout.write(`导入报告：${reportPath}\n`);
        if (report.refused > 0) process.exitCode = 1;
      },
    );

  settle
    .command('list')
    .description('列出结算记录（限您范围内的统筹区，参保人身份证号脱敏）')
    .option('--region <统筹区>', '统筹区代码或其前缀（如 320115、3201）')
    .option('--institution <机构编码>', '定点医药机构编码')
    .option('--id-number <身份证号>', '参保人身份证号（按盲索引查找，不记录号码）')
    .option('--from <日期>', '结算日期起（YYYY-MM-DD）')
    .option('--to <日期>', '结算日期止（YYYY-MM-DD）')
    .option('--type <类别>', '医疗类别：门诊 或 住院')
    .option('--limit <条数>', '最多列出几条，1～500', '50')
    .option('--cursor <游标>', '上一页末尾给出的游标')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (options: {
        region?: string;
        institution?: string;
        idNumber?: string;
        from?: string;
        to?: string;
        type?: string;
        limit: string;
        cursor?: string;
        json?: boolean;
        user?: string;
      }) => {
        const page = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'fund.read', (user) =>
            listSettlements(database.db, user.access, {
              region: options.region,
              institution: options.institution,
              idNumber: options.idNumber,
              from: options.from,
              to: options.to,
              visitType: options.type,
              limit: parsePositiveInt(options.limit, '--limit', 500),
              cursor: options.cursor,
            }),
          ),
        );
        if (options.json) return printJson(page);
        if (page.settlements.length === 0) {
          process.stdout.write('没有符合条件的结算记录\n');
          return;
        }
        printTable(
          [
            '结算流水号',
            '参保人',
            '统筹区',
            '机构',
            '类别',
            '入院',
            '出院',
            '主要诊断',
            '总费用',
            '基金支付',
          ],
          page.settlements.map((row) => [
            row.serial,
            row.person.idNumber,
            row.region,
            row.institution.name,
            row.visitType,
            row.admitDate,
            row.dischargeDate,
            row.primaryDx,
            row.totalCost,
            row.fundPaid,
          ]),
        );
        if (page.nextCursor) process.stdout.write(`下一页：--cursor ${page.nextCursor}\n`);
      },
    );

  settle
    .command('show <流水号>')
    .description('查看一笔结算：表头、明细与对应的档案（档号）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (serial: string, options: { json?: boolean; user?: string }) => {
      const detail = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'fund.read', (user) =>
          readSettlement(database.db, user.access, serial),
        ),
      );
      if (options.json) return printJson(detail);
      const lines = [
        `结算流水号：${detail.serial}`,
        `参保人：${detail.person.idNumber}（${detail.person.sex}，入院时 ${detail.person.ageAtAdmission} 岁）`,
        `统筹区：${detail.region}`,
        `定点医药机构：${detail.institution.name}（${detail.institution.code}，${detail.institution.level}）`,
        `医疗类别：${detail.visitType}　入院 ${detail.admitDate}　出院 ${detail.dischargeDate}（${detail.stayDays} 天）`,
        `诊断：${[detail.primaryDx, ...detail.otherDx].join('、')}`,
        `医疗费总额 ${detail.totalCost}　基金支付 ${detail.fundPaid}　个人负担 ${detail.selfPaid}　结算日期 ${detail.settledOn}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      printTable(
        ['序号', '类别', '项目编码', '项目名称', '数量', '单价', '金额', '用药天数', '日期'],
        detail.lines.map((line) => [
          line.lineNo,
          line.itemCategory,
          line.itemCode,
          line.itemName,
          line.quantity,
          line.unitPrice,
          line.amount,
          line.daysSupply ?? '',
          line.lineDate,
        ]),
      );
      if (detail.archives.length === 0) process.stdout.write('对应档案：无（或不在您的范围内）\n');
      else
        printTable(
          ['档号', '类别', '题名'],
          detail.archives.map((row) => [
            row.archiveCode,
            row.categoryName,
            row.withheld ? '（敏感档案，未获批准）' : row.title,
          ]),
        );
    });

  settle
    .command('generate')
    .description(
      '生成模拟结算数据（由随机种子决定），注入十二条审核规则的违规并输出真值；仅用于演示库与测试库，库中已有导入或推送的结算数据时拒绝',
    )
    .requiredOption('--count <笔数>', '生成的结算笔数（100～5000000）')
    .option('--seed <种子>', '随机种子（同一种子生成相同数据）', '1')
    .option('--from <日期>', '结算期间起（YYYY-MM-DD）', '2025-01-01')
    .option('--to <日期>', '结算期间止（YYYY-MM-DD）', '2025-12-31')
    .option('--violations <个数>', '每条规则注入的违规个数（默认 笔数/2000，至少 3）')
    .option('--truth <文件>', '真值（每个违规的规则与结算流水号）写入该 JSON 文件')
    .action(
      async (options: {
        count: string;
        seed: string;
        from: string;
        to: string;
        violations?: string;
        truth?: string;
      }) => {
        const count = parsePositiveInt(options.count, '--count', 5_000_000);
        const seed = Number(options.seed);
        const result = await withDatabase((database) =>
          // Like yidang demo: the operator of the data directory, not a signed-in account (review G23).
          loadDemoSettlements(database.db, {
            count,
            seed,
            from: options.from,
            to: options.to,
            violationsPerRule:
              options.violations === undefined
                ? undefined
                : parsePositiveInt(options.violations, '--violations', 100_000),
            onProgress: (done, total) => progress('生成', done, total),
          }),
        );
        if (options.truth) fs.writeFileSync(options.truth, `${JSON.stringify(result.truth, null, 2)}\n`);
        const rate =
          result.seconds > 0 ? Math.round(result.settlements / result.seconds) : result.settlements;
        process.stdout.write(
          `已生成 ${result.settlements} 笔结算、${result.lines} 行明细、${result.persons} 名参保人（${result.from} 至 ${result.to}，种子 ${result.seed}），` +
            `注入违规 ${result.truth.length} 个；用时 ${result.seconds} 秒（约 ${rate} 笔/秒）\n`,
        );
        if (options.truth) process.stdout.write(`真值：${options.truth}\n`);
      },
    );
}
