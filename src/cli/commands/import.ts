import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { ImportMapping } from '../../modules/import/import.mapping.js';
import { fieldLabel, importReport, statusLabel } from '../../modules/import/import.report.js';
import { importTable, loadMapping, saveImportMapping } from '../../modules/import/import.service.js';
import { invalid } from '../../shared/errors.js';
import { printJson, progress, readBoundedFile, readJsonFile, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang import: a CSV or XLSX ledger into the catalog, every row checked first, with an XLSX report
// of what was filed and why each refused row was refused. Running it again after a crash files only
// what is missing.

const MAX_IMPORT_FILE = 200 * 1024 * 1024;

const defaultReportPath = (file: string) =>
  path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.导入报告.xlsx`);

export function registerImportCommands(program: Command): void {
  program
    .command('import <文件>')
    .description('批量导入 CSV 或 XLSX：先逐行校验，再分批归档，并生成导入报告（XLSX）')
    .option(
      '--mapping <名称或文件>',
      '列映射：已保存的名称，或 JSON 文件 { "columns": {…}, "defaults": {…} }',
    )
    .option('--save-mapping <名称>', '把 --mapping 给出的 JSON 文件保存为该名称（如来源部门名），供以后使用')
    .option('--all-or-nothing', '有任何一行不通过则一行也不归档')
    .option('--batch <行数>', '每批归档的行数（每批一个事务）', '1000')
    .option('--report <文件>', '导入报告的保存位置（默认与文件同目录的 *.导入报告.xlsx）')
    .option('--json', '输出 JSON（逐行结果）')
    .option(...USER_OPTION)
    .action(
      async (
        file: string,
        options: {
          mapping?: string;
          saveMapping?: string;
          allOrNothing?: boolean;
          batch: string;
          report?: string;
          json?: boolean;
          user?: string;
        },
      ) => {
        const content = readBoundedFile(file, MAX_IMPORT_FILE, '超过 200 MB，请拆分后导入');
        const batchSize = Number(options.batch);
        if (!Number.isInteger(batchSize) || batchSize < 1)
          throw invalid('BATCH_INVALID', '--batch 应为正整数');
        const mappingFile =
          options.mapping && fs.existsSync(options.mapping) ? readJsonFile(options.mapping) : undefined;
        if (options.saveMapping && mappingFile === undefined)
          throw invalid('MAPPING_INVALID', '--save-mapping 需要 --mapping 指向一个 JSON 文件');
        const result = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'item.create', async (user) => {
            let mapping: ImportMapping | undefined;
            if (options.saveMapping)
              mapping = await saveImportMapping(database.db, options.saveMapping, mappingFile, user.actor);
            else if (mappingFile !== undefined) mapping = mappingFile as ImportMapping;
            else if (options.mapping) mapping = await loadMapping(database.db, options.mapping);
            return importTable(database.db, { name: path.basename(file), content }, user.actor, {
              mapping,
              allOrNothing: options.allOrNothing,
              batchSize,
              access: user.access,
              onProgress: (done, total) => progress('正在归档', done, total),
            });
          }),
        );
        const reportPath = options.report ?? defaultReportPath(file);
        fs.writeFileSync(reportPath, await importReport(result));
        if (options.json) printJson(result);
        else
          for (const line of result.lines.filter((entry) => entry.status === 'rejected').slice(0, 20))
            process.stdout.write(
              `第 ${line.line} 行 ${statusLabel(line.status)}：${line.issues.map((issue) => `${fieldLabel(issue.field)} ${issue.message}`).join('；')}\n`,
            );
        process.stderr.write(
          `共 ${result.total} 行：已归档 ${result.filed}，未通过 ${result.rejected}，已跳过（此前已导入）${result.skipped}${result.allOrNothing && result.rejected > 0 ? '；因选择全部成功才归档，本次未归档任何一行' : ''}。导入报告：${reportPath}\n`,
        );
        if (result.rejected > 0) process.exitCode = 1;
      },
    );
}
