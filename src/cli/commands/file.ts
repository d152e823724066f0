import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { addFile, listFiles } from '../../modules/storage/file.service.js';
import { deliverFile } from '../../modules/watermark/delivery.service.js';
import { invalid } from '../../shared/errors.js';
import { parsePositiveInt, printJson, printTable, USER_OPTION, withSystem } from '../context.js';
import { asCliUser } from '../sign-in.js';

// file add / list / get: attaching electronic files to archive items and taking them out again.

function openSource(file: string): fs.ReadStream {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalid('FILE_NOT_FOUND', `找不到文件“${file}”`);
    if (code === 'EACCES') throw invalid('FILE_UNREADABLE', `没有权限读取文件“${file}”`);
    throw invalid('FILE_UNREADABLE', `无法读取文件“${file}”：${(error as Error).message}`);
  }
  if (stat.isDirectory()) throw invalid('FILE_NOT_FOUND', `“${file}”是目录，不是文件`);
  if (!stat.isFile()) throw invalid('FILE_UNREADABLE', `“${file}”不是普通文件`);
  if (stat.size === 0) throw invalid('FILE_EMPTY', `文件“${file}”是空文件（0 字节），未保存`);
  return fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
}

const formatSize = (bytes: number) =>
  bytes >= 1024 ** 2
    ? `${(bytes / 1024 ** 2).toFixed(1)} MB`
    : bytes >= 1024
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${bytes} B`;

export function registerFileCommands(program: Command): void {
  const file = program.command('file').description('档案的电子文件：添加、列出、取出');

  file
    .command('add <档号> <路径>')
    .description('把文件加密存入各副本并挂接到档案，打印其摘要')
    .option('--name <文件名>', '登记的文件名（默认取路径中的文件名）')
    .option(...USER_OPTION)
    .action(async (archiveCode: string, source: string, options: { name?: string; user?: string }) => {
      const stream = openSource(source);
      const added = await withSystem((system) =>
        asCliUser(system.database.db, options.user, 'file.add', (user) =>
          addFile(
            { db: system.database.db, store: system.store, access: user.access },
            archiveCode,
            { stream, fileName: options.name ?? path.basename(source) },
            user.actor,
          ),
        ),
      );
      process.stdout.write(`${added.digest}\n`);
      process.stderr.write(
        `已挂接到 ${archiveCode} 第 ${added.fileNumber} 个文件：${added.fileName}（${formatSize(added.size)}，副本 ${added.replicas.join('、')}）\n`,
      );
    });

  file
    .command('list <档号>')
    .description('列出档案的电子文件')
    .option('--json', '输出 JSON')
    .option(...USER_OPTION)
    .action(async (archiveCode: string, options: { json?: boolean; user?: string }) => {
      const files = await withSystem((system) =>
        asCliUser(system.database.db, options.user, 'file.read', (user) =>
          listFiles(system.database.db, archiveCode, user.access),
        ),
      );
      if (options.json) return printJson(files);
      if (files.length === 0) return void process.stdout.write(`档案 ${archiveCode} 还没有电子文件\n`);
      printTable(
        ['序号', '文件名', '类型', '大小', '摘要', '副本', '添加人', '添加时间'],
        files.map((entry) => [
          entry.fileNumber,
          entry.fileName,
          entry.mediaType,
          formatSize(entry.size),
          entry.digest,
          entry.replicas.join(','),
          entry.addedBy,
          entry.addedAt,
        ]),
      );
    });

  file
    .command('get <档号> <序号>')
    .description('取出档案的第 n 个文件（校验摘要后才写出；PDF 与图像加盖水印，追踪号记入日志）')
    .requiredOption('--out <文件>', '写到哪个文件')
    .option('--force', '覆盖已存在的文件')
    .option('--purpose <用途>', '用途（印在水印上并记入日志）')
    .option(...USER_OPTION)
    .action(
      async (
        archiveCode: string,
        number: string,
        options: { out: string; force?: boolean; user?: string; purpose?: string },
      ) => {
        const fileNumber = parsePositiveInt(number, '文件序号', 1_000_000);
        const target = path.resolve(options.out);
        if (fs.existsSync(target) && !options.force)
          throw invalid('OUTPUT_EXISTS', `“${options.out}”已存在；要覆盖请加 --force`);
        if (!fs.existsSync(path.dirname(target)))
          throw invalid('OUTPUT_DIR_MISSING', `目录“${path.dirname(options.out)}”不存在`);
        // The content lands under a temporary name and is renamed only once its digest checked out.
        const temporary = path.join(
          path.dirname(target),
          `.${path.basename(target)}.${crypto.randomBytes(6).toString('hex')}.part`,
        );
        try {
          const file = await withSystem((system) =>
            asCliUser(system.database.db, options.user, 'file.read', async (user) => {
              const copy = await deliverFile(
                { db: system.database.db, store: system.store, access: user.access },
                archiveCode,
                fileNumber,
                { username: user.principal.username, displayName: user.principal.displayName },
                { purpose: options.purpose },
              );
              const body = Buffer.isBuffer(copy.body) ? Readable.from([copy.body]) : copy.body;
              await pipeline(body, fs.createWriteStream(temporary, { flags: 'wx', mode: 0o600 }));
              return copy;
            }),
          );
          fs.renameSync(temporary, target);
          const marked = file.watermarked
            ? `已加盖水印${file.mediaType !== file.file.mediaType ? `，以 ${file.mediaType} 交付` : ''}`
            : '未加盖水印（格式不支持）';
          process.stderr.write(
            `已取出 ${file.file.fileName}（${formatSize(file.file.size)}，摘要已校验，${marked}，追踪号 ${file.traceId}）→ ${options.out}\n`,
          );
        } finally {
          fs.rmSync(temporary, { force: true });
        }
      },
    );
}
