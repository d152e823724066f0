import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEMO_ACTOR } from '../../modules/demo/demo.service.js';
import { rosterRegions } from '../../modules/ledgers/ledger.reach.js';
import { type LedgerOrder, makeLedger, previewLedger } from '../../modules/ledgers/ledger.service.js';
import { isLedgerKind, LEDGER_KINDS } from '../../modules/ledgers/ledger-category.js';
import { OUTCOME_NAMES, type Outcome } from '../../modules/ledgers/reconcile.findings.js';
import { REPORT_NAMES, type ReportKind } from '../../modules/ledgers/reconcile.report.js';
import { reconciliationReport } from '../../modules/ledgers/reconcile.reports.service.js';
import { RECONCILE_SOURCES, reconcileList } from '../../modules/ledgers/reconcile.service.js';
import { loadRosterDemo, ROSTER_REFERENCE_DATE } from '../../modules/demo/roster.js';
import { importRoster } from '../../modules/ledgers/roster.import.service.js';
import { countPeople } from '../../modules/ledgers/roster.queries.js';
import { invalid } from '../../shared/errors.js';
import {
  parsePositiveInt,
  printJson,
  readBoundedFile,
  USER_OPTION,
  withDatabase,
  withSystem,
} from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang roster demo | roster import | reconcile | ledger: the 医保扶贫 work from the command line, through the same
// services as the API. Files written here carry names and ID numbers: they go where the user says.

const MAX_LIST_BYTES = 100 * 1024 * 1024;
// Files written here are masked unless the user may unmask and asks to, with a purpose (logged).
const UNMASK_OPTION = ['--unmask', '写出未脱敏的文件（需相应权限与 --purpose，记入事件日志）'] as const;
const PURPOSE_OPTION = ['--purpose <用途>', '取得未脱敏文件的用途'] as const;

function writeOut(file: string, content: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written beside and renamed, so a killed command never leaves half a workbook under the real name.
  const partial = `${file}.part`;
  fs.writeFileSync(partial, content, { mode: 0o600 });
  fs.renameSync(partial, file);
}

/** The command that files what was just previewed: the same order, with the preview's digest. */
function refileCommand(kind: string, options: Record<string, unknown>, digest: string): string {
  const given = (
    [
      ['--as-of', options.asOf],
      ['--month', options.month],
      ['--from', options.from],
      ['--to', options.to],
      ['--fonds', options.fonds],
      ['--region', options.region],
      ['--org', options.org === 'FP' ? undefined : options.org],
    ] as const
  ).flatMap(([flag, value]) => (typeof value === 'string' ? [`${flag} ${value}`] : []));
  return ['yidang ledger', kind, ...given, `--preview-digest ${digest}`].join(' ');
}

export function registerLedgerCommands(program: Command): void {
  const roster = program.command('roster').description('参保人员名册');
  roster
    .command('demo')
    .description('生成合成的参保名册（含扶贫对象、参保、缴费、医疗救助结算、慢病与两病），同一种子结果相同')
    .requiredOption('--people <人数>', '人数')
    .option('--seed <种子>', '随机种子', '1')
    .option('--region <地区代码>', '县级行政区划代码', '320115')
    .action(async (options: { people: string; seed: string; region: string }) => {
      const people = parsePositiveInt(options.people, '--people', 10_000_000);
      const started = Date.now();
      const result = await withDatabase(async (database) => {
        const existing = await countPeople(database.db);
        if (existing > 0)
          throw invalid('ROSTER_NOT_EMPTY', `名册中已有 ${existing} 人，示例名册只能载入空名册`);
        return loadRosterDemo(
          database.db,
          {
            people,
            seed: options.seed,
            regionCode: options.region,
            referenceDate: ROSTER_REFERENCE_DATE,
            onProgress: (done, total) => {
              if (process.stderr.isTTY) process.stderr.write(`\r已载入 ${done}/${total}`);
            },
          },
          DEMO_ACTOR,
        );
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      process.stdout.write(
        `已载入示例名册 ${result.people} 人（扶贫对象 ${result.assisted} 人，参保记录 ${result.enrollments} 条，` +
          `医疗救助结算 ${result.settlements} 笔，慢病/两病证 ${result.certificates} 张），用时 ${((Date.now() - started) / 1000).toFixed(1)} 秒\n`,
      );
    });

  roster
    .command('import <名册文件>')
    .description(
      '导入业务系统导出的参保人员名册（CSV/XLSX，GBK 或 UTF-8；一行一条参保记录）；再次导入同一名册不会重复',
    )
    .option('--dry-run', '只检查并统计，不写入')
    .option('--json', '输出 JSON 结果')
    .option(...USER_OPTION)
    .action(async (file: string, options: { dryRun?: boolean; json?: boolean; user?: string }) => {
      const content = readBoundedFile(file, MAX_LIST_BYTES, '名册超过 100 MB，请拆分后导入');
      const result = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'poverty.work', (user) =>
          importRoster(database.db, {
            content,
            fileName: path.basename(file),
            actor: user.actor,
            dryRun: options.dryRun,
          }),
        ),
      );
      if (options.json) return printJson(result);
      const tally = (counts: { added: number; updated: number; unchanged: number }) =>
        `新增 ${counts.added}，更新 ${counts.updated}，未变 ${counts.unchanged}`;
      process.stdout.write(
        `${result.dryRun ? '试导入（未写入）' : '已导入'} ${result.fileName}：数据 ${result.rows} 行\n` +
          `  人员：${tally(result.people)}\n  参保记录：${tally(result.enrollments)}\n`,
      );
      if (result.skipped.length > 0)
        process.stdout.write(`  跳过 ${result.skipped.length} 行（空行、表头、合计等）\n`);
      if (result.rejected.length > 0) {
        process.stdout.write(`  未导入 ${result.rejected.length} 行：\n`);
        for (const row of result.rejected)
          process.stdout.write(`    第${row.line}行：${row.reasons.join('；')}\n`);
        process.exitCode = 1;
      }
    });

  program
    .command('reconcile <名单文件>')
    .description(
      '核对名单：扶贫办或民政的名单（CSV/XLSX，GBK 或 UTF-8）与参保名册逐行比对，输出更正清单、待办清单和汇总',
    )
    .option('--source <来文单位>', `来文单位（${RECONCILE_SOURCES.join('、')}）`, '扶贫办')
    .option('--out <目录>', '结果工作簿写入的目录（默认为名单所在目录）')
    .option(...UNMASK_OPTION)
    .option(...PURPOSE_OPTION)
    .option('--json', '输出 JSON 摘要')
    .option(...USER_OPTION)
    .action(
      async (
        list: string,
        options: {
          source: string;
          out?: string;
          unmask?: boolean;
          purpose?: string;
          json?: boolean;
          user?: string;
        },
      ) => {
        const content = readBoundedFile(list, MAX_LIST_BYTES, '名单超过 100 MB，请拆分后核对');
        const outDir = options.out ?? path.dirname(path.resolve(list));
        const { result, written } = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'poverty.work', async (user) => {
            const done = await reconcileList(database.db, {
              content,
              fileName: path.basename(list),
              source: options.source,
              actor: user.actor,
              regions: await rosterRegions(database.db, user.access),
            });
            const files: string[] = [];
            for (const kind of Object.keys(REPORT_NAMES) as ReportKind[]) {
              const report = await reconciliationReport(database.db, done.runId, kind, {
                actor: user.actor,
                displayName: user.principal.displayName,
                mayUnmask: user.principal.permissions.has('item.unmask'),
                unmask: options.unmask,
                purpose: options.purpose,
              });
              const file = path.join(outDir, report.fileName);
              writeOut(file, report.content);
              files.push(file);
            }
            return { result: done, written: files };
          }),
        );
        const { findings: _findings, resolved: _resolved, ...summary } = result;
        if (options.json) return printJson({ ...summary, files: written });
        process.stdout.write(
          `第 ${result.runId} 次核对：名单 ${result.rows} 行，用时 ${(result.durationMs / 1000).toFixed(1)} 秒\n`,
        );
        for (const [outcome, count] of Object.entries(result.counts))
          if (count > 0) process.stdout.write(`  ${OUTCOME_NAMES[outcome as Outcome]}：${count}\n`);
        process.stdout.write(`  需督促参保缴费：${result.followUps} 人\n`);
        for (const file of written) process.stdout.write(`已写出 ${file}\n`);
      },
    );

  program
    .command('ledger <台账类别>')
    .description(
      `编制台账并归档（先加 --preview 预览，核对无误后以 --preview-digest 归档）：${Object.entries(
        LEDGER_KINDS,
      )
        .map(([key, name]) => `${key} ${name}`)
        .join('，')}`,
    )
    .option('--as-of <日期>', '截至日期（enrollment、chronic、two-disease）')
    .option('--month <年-月>', '月份（dynamic）')
    .option('--from <日期>', '起始日期（benefits）')
    .option('--to <日期>', '截止日期（benefits）')
    .option('--format <格式>', '写出的格式：xlsx、pdf 或 both（归档时两种格式都保存）', 'both')
    .option('--out <目录>', '写出的目录', '.')
    .option('--fonds <全宗号>', '归入的全宗（只有一个全宗时可省略）')
    .option('--org <机构代码>', '档号中的机构（问题）代码', 'FP')
    .option('--region <地区代码>', '台账所属地区（6 位行政区划代码，须在本人范围内；默认为范围内全部地区）')
    .option('--preview', '只预览，不归档：写出标有“预览 · 未归档”的文件，并给出归档用的摘要')
    .option('--preview-digest <摘要>', '归档预览过的台账：数据自预览后有变化则不归档')
    .option(...UNMASK_OPTION)
    .option(...PURPOSE_OPTION)
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(
      async (
        kind: string,
        options: {
          asOf?: string;
          month?: string;
          from?: string;
          to?: string;
          format: string;
          out: string;
          fonds?: string;
          org: string;
          region?: string;
          preview?: boolean;
          previewDigest?: string;
          unmask?: boolean;
          purpose?: string;
          json?: boolean;
          user?: string;
        },
      ) => {
        if (!isLedgerKind(kind))
          throw invalid(
            'LEDGER_KIND',
            `台账类别应为：${Object.entries(LEDGER_KINDS)
              .map(([key, name]) => `${key}（${name}）`)
              .join('、')}`,
          );
        if (!['xlsx', 'pdf', 'both'].includes(options.format))
          throw invalid('LEDGER_FORMAT', '--format 应为 xlsx、pdf 或 both');
        if (options.preview && options.previewDigest !== undefined)
          throw invalid(
            'INVALID_ARGUMENT',
            '--preview 与 --preview-digest 不能同时使用：先预览，再以摘要归档',
          );
        const formats: Array<'xlsx' | 'pdf'> =
          options.format === 'both' ? ['xlsx', 'pdf'] : [options.format as 'xlsx' | 'pdf'];
        const order: LedgerOrder = {
          kind,
          asOf: options.asOf,
          month: options.month,
          from: options.from,
          to: options.to,
          fonds: options.fonds,
          org: options.org,
          region: options.region,
          unmask: options.unmask,
          purpose: options.purpose,
          deliver: formats,
          previewDigest: options.previewDigest,
        };
        const writeFiles = (made: { fileBase: string; xlsx: Buffer; pdf: Buffer }) =>
          formats.map((format) => {
            const file = path.join(options.out, `${made.fileBase}.${format}`);
            writeOut(file, format === 'xlsx' ? made.xlsx : made.pdf);
            return file;
          });
        if (options.preview) {
          const shown = await withSystem((system) =>
            asCliUser(system.database.db, options.user, 'poverty.work', (user) =>
              previewLedger({ db: system.database.db, store: system.store, access: user.access }, order, {
                actor: user.actor,
                displayName: user.principal.displayName,
                mayUnmask: user.principal.permissions.has('item.unmask'),
              }),
            ),
          );
          const written = writeFiles(shown);
          const sections = shown.document.sections.map((section) => ({
            title: section.title,
            rows: section.rows.length,
          }));
          if (options.json)
            return printJson({
              preview: true,
              digest: shown.digest,
              cover: shown.document.cover,
              sections,
              files: written,
            });
          process.stdout.write(`${shown.digest}\n`);
          process.stderr.write(`${shown.document.title}（${shown.document.period}）预览，未归档\n`);
          for (const line of shown.document.cover) process.stderr.write(`  ${line.label}：${line.value}\n`);
          for (const section of sections) process.stderr.write(`  ${section.title}：${section.rows} 行\n`);
          for (const file of written) process.stderr.write(`已写出 ${file}（预览，不作为档案）\n`);
          process.stderr.write(`核对无误后归档：${refileCommand(kind, options, shown.digest)}\n`);
          return;
        }
        const made = await withSystem((system) =>
          asCliUser(system.database.db, options.user, 'poverty.work', async (user) => {
            if (!user.principal.permissions.has('item.create'))
              throw invalid(
                'LEDGER_FILING',
                '编制台账需同时具有归档权限（台账生成后即归档）；可先以 --preview 预览',
              );
            return makeLedger({ db: system.database.db, store: system.store, access: user.access }, order, {
              actor: user.actor,
              displayName: user.principal.displayName,
              mayUnmask: user.principal.permissions.has('item.unmask'),
            });
          }),
        );
        const written = writeFiles(made);
        if (options.json)
          return printJson({
            archiveCode: made.filed.archiveCode,
            digest: made.digest,
            cover: made.document.cover,
            files: written,
          });
        process.stdout.write(`${made.filed.archiveCode}\n`);
        process.stderr.write(`${made.document.title}（${made.document.period}）已归档\n`);
        if (options.previewDigest !== undefined) process.stderr.write('  与预览一致（数据未变）\n');
        for (const line of made.document.cover) process.stderr.write(`  ${line.label}：${line.value}\n`);
        for (const file of written) process.stderr.write(`已写出 ${file}\n`);
      },
    );
}
