import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { catchUpIndex } from '../../modules/search/indexer.js';
import { exportBatch } from '../../modules/transfer/package.js';
import { registerForm } from '../../modules/transfer/register-form.js';
import { acceptReceipt } from '../../modules/transfer/transfer.accept.js';
import { BATCH_STATES } from '../../modules/transfer/transfer.names.js';
import { drawBatch, withdrawBatch } from '../../modules/transfer/transfer.service.js';
import { batchSource } from '../../modules/transfer/transfer.source.js';
import { type BatchView, listBatchesFor, showBatch } from '../../modules/transfer/transfer.view.js';
import { invalid } from '../../shared/errors.js';
import {
  config,
  parsePositiveInt,
  printJson,
  printTable,
  USER_OPTION,
  withDatabase,
  withSystem,
} from '../context.js';
import { asCliUser, promptHidden } from '../sign-in.js';

// yidang transfer …: 移交批次 from the command line, through the same services, rights and scope as the
// API: draw (by fonds, category, year, 档号, a search query or — 参保关系转移 — a person), export the bag (the job a
// server would run, here run at once and waited for), record the receiver's 回执, withdraw, and the
// 登记表. A person's ID number is read from --id-number - (standard input or a hidden prompt) so it
// stays out of the shell history.

const PERMISSION = 'transfer.manage';
const MB = 1e6;

function show(view: BatchView): void {
  process.stdout.write(
    `移交批次 ${view.code}：${view.stateLabel}；全宗 ${view.fonds}，${view.kindLabel}，接收单位 ${view.receiver}\n` +
      `  移交 ${view.totals.items} 件，${view.totals.files} 个文件，${(view.totals.bytes / 1e9).toFixed(3)} GB；不能移交 ${view.counts.refused} 件\n`,
  );
  if (view.selector.query !== undefined) process.stdout.write(`  检索式：${view.selector.query}\n`);
  if (view.exported)
    process.stdout.write(`  移交包摘要（${view.exported.algorithm}）：${view.exported.digest}\n`);
  if (view.receipt)
    process.stdout.write(
      `  接收回执：${view.receipt.receiver ?? ''}（${view.receipt.at ?? ''}），本单位只读保存至 ${view.receipt.keepUntil ?? ''}\n`,
    );
  if (view.withdrawn)
    process.stdout.write(`  已撤销：${view.withdrawn.reason ?? ''}（${view.withdrawn.by}）\n`);
  printTable(
    ['序号', '档号', '题名', '年度', '文件', '大小(MB)', '状态', '原因'],
    view.items.map((item) => [
      item.seq,
      item.archiveCode,
      item.title,
      item.year,
      item.files,
      (item.bytes / MB).toFixed(3),
      item.stateLabel,
      item.reasonLabel ?? '',
    ]),
  );
}

/** A public key given as a file (PEM, or base64 SPKI DER) or as base64 text: base64 SPKI DER. */
async function readKey(value: string | undefined): Promise<string | undefined> {
  if (value === undefined) return undefined;
  const text = await fs.readFile(path.resolve(value), 'utf8').catch(() => value);
  if (!text.includes('-----BEGIN')) return text.trim();
  try {
    return crypto.createPublicKey(text).export({ type: 'spki', format: 'der' }).toString('base64');
  } catch {
    throw invalid('TRANSFER_INPUT_INVALID', '--receiver-key 的公钥无法读取（应为 PEM 或 base64 SPKI DER）');
  }
}

async function readIdNumber(value: string | undefined): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (value !== '-')
    throw invalid(
      'TRANSFER_INPUT_INVALID',
      '身份证号不能写在命令行上：请用 --id-number -，再从标准输入或提示中输入',
    );
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8').trim();
  }
  return (await promptHidden('参保人身份证号')).trim();
}

export function registerTransferCommands(program: Command): void {
  const transfer = program
    .command('transfer')
    .description('移交批次：编制、导出移交包（BagIt/EEP）、登记接收回执、撤销与登记表');

  transfer
    .command('create')
    .description(
      '编制移交批次（按全宗、类别、年度、档号或检索式；--person 为参保关系转移）；不能移交的逐件列出原因',
    )
    .requiredOption('--fonds <全宗号>', '全宗号')
    .requiredOption('--receiver <接收单位>', '接收单位（档案馆或转入地经办机构）')
    .option('--category <类别>', '类别代码（含其下级类别）')
    .option('--year <年度>', '年度')
    .option('--item <档号...>', '只移交这些档号')
    .option('--query <检索式>', '只移交按此检索式（与 yidang search 相同的检索语言）在该全宗中检索到的档案')
    .option('--receiver-key <公钥>', '接收方公钥（PEM 或 base64 文件，或 base64 文本）：只接受由它签署的回执')
    .option('--person', '参保关系转移：只移交一位参保人的档案（与 --id-number - 同用）')
    .option('--id-number <身份证号>', '参保人身份证号：只能写 -，再从标准输入或提示中输入')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (options: {
        fonds: string;
        receiver: string;
        category?: string;
        year?: string;
        item?: string[];
        query?: string;
        person?: boolean;
        idNumber?: string;
        receiverKey?: string;
        json?: boolean;
        user?: string;
      }) => {
        const idNumber = await readIdNumber(options.idNumber);
        const receiverKey = await readKey(options.receiverKey);
        if (options.person && idNumber === undefined)
          throw invalid('TRANSFER_INPUT_INVALID', '参保关系转移须用 --id-number - 输入参保人身份证号');
        const drawn = await withDatabase(async (database) => {
          // A one-shot command has no background indexer: the index takes in every filing first.
          if (options.query !== undefined) await catchUpIndex(database.db);
          return asCliUser(database.db, options.user, PERMISSION, (user) =>
            drawBatch(database.db, user.access, {
              fonds: options.fonds,
              receiver: options.receiver,
              ...(options.person || idNumber !== undefined ? { kind: 'person' as const } : {}),
              ...(options.category ? { category: options.category } : {}),
              ...(options.year ? { year: parsePositiveInt(options.year, '--year', 2200) } : {}),
              ...(options.item ? { items: options.item } : {}),
              ...(options.query !== undefined ? { query: options.query } : {}),
              ...(idNumber !== undefined ? { idNumber } : {}),
              ...(receiverKey !== undefined ? { receiverKey } : {}),
            }),
          );
        });
        if (options.json) return printJson(drawn);
        process.stdout.write(`已编制移交批次 ${drawn.code}，列入 ${drawn.items} 件\n`);
        for (const refusal of drawn.refused) process.stdout.write(`  未列入 ${refusal.message}\n`);
      },
    );

  transfer
    .command('list')
    .description('移交批次列表（本人范围内的全宗，新的在前）')
    .option('--state <状态>', `批次状态：${Object.keys(BATCH_STATES).join('、')}`)
    .option('--limit <条数>', '最多列出几个', '50')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (options: { state?: string; limit: string; json?: boolean; user?: string }) => {
      const list = await withDatabase((database) =>
        asCliUser(database.db, options.user, PERMISSION, (user) =>
          listBatchesFor(database.db, user.access, {
            ...(options.state ? { state: options.state } : {}),
            limit: parsePositiveInt(options.limit, '--limit', 200),
          }),
        ),
      );
      if (options.json) return printJson(list);
      printTable(
        ['批次编号', '全宗', '方式', '接收单位', '移交/不能移交', '状态', '编制人'],
        list.map((entry) => [
          entry.code,
          entry.fonds,
          entry.kind === 'person' ? '参保关系转移' : '进馆移交',
          entry.receiver,
          `${entry.counts.included + entry.counts.accepted + entry.counts.rejected}/${entry.counts.refused}`,
          entry.stateLabel,
          entry.drawnBy,
        ]),
      );
    });

  transfer
    .command('show <批次编号>')
    .description('一个移交批次：所列档案（含不能移交的及原因）、移交包摘要与接收回执')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: { json?: boolean; user?: string }) => {
      const view = await withDatabase((database) =>
        asCliUser(database.db, options.user, PERMISSION, (user) => showBatch(database.db, user.access, code)),
      );
      if (options.json) return printJson(view);
      show(view);
    });

  transfer
    .command('export <批次编号>')
    .description('导出移交包（BagIt，每件一个 EEP，文件已解密）并等待完成；--out 指定目录（须不存在）')
    .option('--out <目录>', '移交包写到该目录（默认 数据目录/transfer/<批次编号>）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: { out?: string; json?: boolean; user?: string }) => {
      const result = await withSystem((system) =>
        asCliUser(system.database.db, options.user, PERMISSION, (user) =>
          exportBatch(
            {
              db: system.database.db,
              store: system.store,
              signingKey: system.signingKey,
              digest: system.config.digest,
              home: system.config.home,
              batches: batchSource,
            },
            user.access,
            code,
            options.out ? { out: options.out } : {},
          ),
        ),
      );
      if (options.json) return printJson(result);
      process.stdout.write(
        `已导出移交包 ${result.dir}：${result.items} 件，${result.files} 个文件，${(result.octets / 1e9).toFixed(3)} GB；tagmanifest 摘要（${result.digest}）${result.tagmanifestDigest}\n`,
      );
    });

  transfer
    .command('accept <批次编号>')
    .description('登记接收方的回执：核对签名、批次与移交包摘要；接收的档案标记为已移交并只读保存')
    .requiredOption('--receipt <文件>', '接收方出具的回执文件（回执-<批次编号>.json）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: { receipt: string; json?: boolean; user?: string }) => {
      const bytes = await fs.readFile(path.resolve(options.receipt)).catch(() => {
        throw invalid(
          'TRANSFER_RECEIPT_INVALID',
          `无法读取回执文件 ${path.basename(options.receipt).slice(0, 100)}`,
        );
      });
      const result = await withDatabase((database) =>
        asCliUser(database.db, options.user, PERMISSION, (user) =>
          acceptReceipt(database.db, user.access, code, bytes, { home: config().home }),
        ),
      );
      if (options.json) return printJson(result);
      process.stdout.write(
        `已登记移交批次 ${result.code} 的接收回执（${result.receiver}）：已移交 ${result.accepted} 件，本单位只读保存至 ${result.keepUntil}\n`,
      );
      for (const entry of result.rejected)
        process.stdout.write(`  拒收 ${entry.archiveCode}：${entry.reason}\n`);
    });

  transfer
    .command('withdraw <批次编号>')
    .description('撤销尚未登记回执的移交批次（须说明原因），所列档案可重新编制')
    .requiredOption('--reason <原因>', '撤销原因')
    .option(...USER_OPTION)
    .action(async (code: string, options: { reason: string; user?: string }) => {
      await withDatabase((database) =>
        asCliUser(database.db, options.user, PERMISSION, (user) =>
          withdrawBatch(database.db, user.access, code, options.reason, { home: config().home }),
        ),
      );
      process.stdout.write(`已撤销移交批次 ${code}\n`);
    });

  transfer
    .command('form <批次编号>')
    .description('电子档案移交与接收登记表（XLSX 或 PDF）')
    .requiredOption('--out <文件>', '写到该文件（.xlsx 或 .pdf）')
    .option(...USER_OPTION)
    .action(async (code: string, options: { out: string; user?: string }) => {
      const format = path.extname(options.out).toLowerCase() === '.pdf' ? 'pdf' : 'xlsx';
      if (!/\.(xlsx|pdf)$/i.test(options.out))
        throw invalid('TRANSFER_INPUT_INVALID', '--out 应以 .xlsx 或 .pdf 结尾');
      const bytes = await withDatabase((database) =>
        asCliUser(database.db, options.user, PERMISSION, (user) =>
          registerForm(database.db, user.access, code, format),
        ),
      );
      await fs.writeFile(path.resolve(options.out), bytes, { flag: 'wx' });
      process.stdout.write(`已写出登记表 ${options.out}\n`);
    });
}
