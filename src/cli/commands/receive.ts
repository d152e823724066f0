import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { type ReceiveResult, receiveBag, receiveTar } from '../../modules/transfer/receive.service.js';
import {
  listReceived,
  type ReceivedBagSummary,
  showReceivedBatch,
} from '../../modules/transfer/receive.view.js';
import { beijingDateTime } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import {
  parsePositiveInt,
  printJson,
  printTable,
  USER_OPTION,
  withDatabase,
  withSystem,
} from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang receive <移交包>: 接收 from the command line, through the same service, right (transfer.receive)
// and scope as the API. The bag is a directory or a tar; the signed 回执 is written beside it (or to
// --out) for the sender's `yidang transfer accept`. Exit status 1 when nothing was accepted.
// `yidang receive list` and `yidang receive show <批次>` read back what was received (a bag directory
// named list or show is given as ./list).

const STATES = { accepted: '全部接收', partial: '部分接收', rejected: '全部拒收' } as const;

function senderKey(file: string): crypto.KeyObject {
  const text = fs.readFileSync(file, 'utf8').trim();
  try {
    return text.startsWith('-----BEGIN')
      ? crypto.createPublicKey(text)
      : crypto.createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw invalid('RECEIVE_INPUT_INVALID', `“${file}”不是有效的公钥（PEM，或 Base64 的 SPKI）`);
  }
}

function show(result: ReceiveResult, receiptPath: string): void {
  const accepted = result.items.filter((item) => item.accepted).length;
  process.stdout.write(
    `移交批次 ${result.batch}（${result.sender}）：${STATES[result.state]}，接收 ${accepted} 件，拒收 ${result.items.length - accepted} 件\n`,
  );
  if (result.bagDigest)
    process.stdout.write(`移交包摘要（${result.bagDigest.algorithm}）：${result.bagDigest.value}\n`);
  for (const problem of result.problems)
    process.stdout.write(
      `  移交包问题 ${problem.code}${problem.path ? `（${problem.path}）` : ''}：${problem.message}\n`,
    );
  if (result.items.length > 0)
    printTable(
      ['移交方档号', '结果', '本馆档号', '原因'],
      result.items.map((item) => [
        item.sourceArchiveCode,
        item.accepted ? '接收' : '拒收',
        item.archiveCode ?? '',
        item.reason ?? '',
      ]),
    );
  process.stdout.write(`回执已写入 ${receiptPath}\n`);
}

function showDetail(
  shown: ReceivedBagSummary & {
    items: Array<{ sourceArchiveCode: string; accepted: boolean; reason?: string; archiveCode?: string }>;
    receiptName: string;
  },
  earlier: ReceivedBagSummary[],
): void {
  process.stdout.write(
    `接收编号 ${shown.id}：移交批次 ${shown.batch}（${shown.sender}），接收进全宗 ${shown.fonds}，${STATES[shown.state]}；` +
      `接收 ${shown.counts.accepted} 件，拒收 ${shown.counts.rejected} 件\n` +
      `  接收时间 ${beijingDateTime(shown.receivedAt)}，接收人 ${shown.receivedBy}\n` +
      (shown.bagDigest ? `  移交包摘要（${shown.digestAlgorithm}）：${shown.bagDigest}\n` : '') +
      `  回执 ${shown.receiptName}，SHA-256：${shown.receiptDigest}\n`,
  );
  for (const problem of shown.problems)
    process.stdout.write(
      `  移交包问题 ${problem.code}${problem.path ? `（${problem.path}）` : ''}：${problem.message}\n`,
    );
  if (shown.items.length > 0)
    printTable(
      ['移交方档号', '结果', '本馆档号', '原因'],
      shown.items.map((item) => [
        item.sourceArchiveCode,
        item.accepted ? '接收' : '拒收',
        item.archiveCode ?? '',
        item.reason ?? '',
      ]),
    );
  for (const bag of earlier)
    process.stdout.write(
      `  此前的接收：接收编号 ${bag.id}，${STATES[bag.state]}（${beijingDateTime(bag.receivedAt)}）\n`,
    );
}

export function registerReceiveCommands(program: Command): void {
  const receive = program
    .command('receive')
    .description(
      '接收移交包：yidang receive <移交包> --fonds <全宗号>；已接收的移交包：yidang receive list、yidang receive show <批次>',
    );
  // The default subcommand: `yidang receive <移交包> …` reads as `yidang receive bag <移交包> …`.
  receive
    .command('bag <移交包>', { isDefault: true })
    .description(
      '接收移交包（目录或 tar）：逐项校验 BagIt、封装包签名、历史证明与四性检测，接收进指定全宗并写出签名回执（bag 可省略）',
    )
    .requiredOption('--fonds <全宗号>', '接收进的全宗号')
    .option('--out <目录>', '回执写入的目录（默认：移交包所在目录）')
    .option('--sender-key <公钥文件>', '移交方的签名公钥（PEM 或 Base64 SPKI）；给出时移交包须由它签署')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (
        bag: string,
        options: { fonds: string; out?: string; senderKey?: string; json?: boolean; user?: string },
      ) => {
        const stat = await fsp.stat(bag).catch(() => undefined);
        if (!stat) throw invalid('RECEIVE_INPUT_INVALID', `移交包“${bag}”不存在`);
        const receiveOptions = {
          fonds: options.fonds,
          ...(options.senderKey ? { senderKey: senderKey(options.senderKey) } : {}),
        };
        const result = await withSystem((system) =>
          asCliUser(system.database.db, options.user, 'transfer.receive', (user) => {
            const context = {
              db: system.database.db,
              store: system.store,
              signer: system.signingKey,
              virus: { database: system.config.clamavDatabase },
            };
            return stat.isDirectory()
              ? receiveBag(context, user.access, bag, receiveOptions)
              : receiveTar(context, user.access, fs.createReadStream(bag), receiveOptions);
          }),
        );
        const dir = options.out ?? path.dirname(path.resolve(bag));
        await fsp.mkdir(dir, { recursive: true });
        const receiptPath = path.join(dir, result.receiptName);
        await fsp.writeFile(receiptPath, result.receipt);
        if (options.json) {
          const { receipt: _bytes, ...rest } = result;
          printJson({ ...rest, receiptPath });
        } else show(result, receiptPath);
        if (result.state === 'rejected') process.exitCode = 1;
      },
    );

  receive
    .command('list')
    .description('已接收的移交包（本人范围内的接收全宗，新的在前）：批次、移交单位、结果、接收与拒收件数')
    .option('--limit <条数>', '最多列出几个', '50')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (options: { limit: string; json?: boolean; user?: string }) => {
      const bags = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'transfer.receive', (user) =>
          listReceived(database.db, user.access, parsePositiveInt(options.limit, '--limit', 1000)),
        ),
      );
      if (options.json) return printJson({ bags });
      if (bags.length === 0) return void process.stdout.write('还没有接收过移交包\n');
      printTable(
        ['接收编号', '移交批次', '移交单位', '接收全宗', '结果', '接收', '拒收', '接收时间', '接收人'],
        bags.map((bag) => [
          bag.id,
          bag.batch,
          bag.sender,
          bag.fonds,
          STATES[bag.state],
          bag.counts.accepted,
          bag.counts.rejected,
          beijingDateTime(bag.receivedAt),
          bag.receivedBy,
        ]),
      );
    });

  receive
    .command('show <批次>')
    .description(
      '一次接收的详情：逐件接收或拒收（原因、本馆档号）、移交包问题、移交包与回执的摘要；<批次> 为移交批次编号或接收编号',
    )
    .option('--receipt <文件>', '另将签名回执写到该文件')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (ref: string, options: { receipt?: string; json?: boolean; user?: string }) => {
      const { shown, earlier } = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'transfer.receive', (user) =>
          showReceivedBatch(database.db, user.access, ref),
        ),
      );
      if (options.receipt) {
        await fsp.mkdir(path.dirname(path.resolve(options.receipt)), { recursive: true });
        await fsp.writeFile(options.receipt, shown.receipt, { flag: 'wx' });
      }
      if (options.json) {
        const { receipt: _text, ...rest } = shown;
        return printJson({ ...rest, earlier });
      }
      showDetail(shown, earlier);
      if (options.receipt) process.stdout.write(`回执已写入 ${options.receipt}\n`);
    });
}
