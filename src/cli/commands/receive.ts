import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { type ReceiveResult, receiveBag, receiveTar } from '../../modules/transfer/receive.service.js';
import { invalid } from '../../shared/errors.js';
import { printJson, printTable, USER_OPTION, withSystem } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang receive <移交包>: 接收 from the command line, through the same service, right (transfer.receive)
// and scope as the API. The bag is a directory or a tar; the signed 回执 is written beside it (or to
// --out) for the sender's `yidang transfer accept`. Exit status 1 when nothing was accepted.

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

export function registerReceiveCommands(program: Command): void {
  program
    .command('receive <移交包>')
    .description(
      '接收移交包（目录或 tar）：逐项校验 BagIt、封装包签名、历史证明与四性检测，接收进指定全宗并写出签名回执',
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
}
