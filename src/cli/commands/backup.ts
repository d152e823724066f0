import path from 'node:path';
import type { Command } from 'commander';
import type { BackupLine } from '../../modules/backup/backup.line.js';
import { createBackup } from '../../modules/backup/backup.service.js';
import type { BackupManifest } from '../../modules/backup/backup-files.js';
import { restoreBackup } from '../../modules/backup/restore.service.js';
import { isErrorCode } from '../../shared/error-codes.js';
import { invalid, YidangError } from '../../shared/errors.js';
import { runningServer, type ServerFile } from '../../system/server-file.js';
import { actor, config, progress, withSystem } from '../context.js';

// backup and restore. The passphrase comes from the environment, never the command line, where
// other users of the machine could read it in the process list.

function passphrase(): string {
  const value = process.env.YIDANG_BACKUP_PASSPHRASE;
  if (!value)
    throw invalid('BACKUP_PASSPHRASE_MISSING', '请用环境变量 YIDANG_BACKUP_PASSPHRASE 提供备份口令');
  return value;
}

/**
 * The embedded database can be open in one process only: while `yidang serve` holds it, the
 * server itself takes the backup and this command reports its progress.
 */
async function backupThroughServer(server: ServerFile, dir: string, secret: string): Promise<BackupManifest> {
  let response: Response;
  try {
    response = await fetch(new URL('/api/v1/admin/backup', server.url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ dir: path.resolve(dir), passphrase: secret, actor: actor() }),
    });
  } catch {
    throw new YidangError(
      'SERVER_UNREACHABLE',
      'busy',
      `服务（进程号 ${server.pid}）占用着数据库但无法连接：${server.url}`,
    );
  }
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    throw new YidangError(
      isErrorCode(body.error?.code) ? body.error.code : 'BACKUP_FAILED',
      'invalid',
      body.error?.message ?? `服务拒绝了备份请求（${response.status}）`,
    );
  }
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as BackupLine;
      buffered = buffered.slice(newline + 1);
      if (line.type === 'progress') progress(line.stage, line.done, line.total);
      else if (line.type === 'done') return line.manifest;
      else if (line.type === 'error')
        throw new YidangError(isErrorCode(line.code) ? line.code : 'BACKUP_FAILED', 'invalid', line.message);
      newline = buffered.indexOf('\n');
    }
  }
  throw new YidangError(
    'BACKUP_INTERRUPTED',
    'busy',
    '与服务的连接在备份完成前中断；备份目录不会以完整名称出现，请重试',
  );
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup <目录>')
    .description('把数据库、全部文件、加密的密钥和最新检查点备份到一个新目录（服务可继续运行）')
    .action(async (dir: string) => {
      const secret = passphrase();
      const server = config().databaseUrl ? undefined : runningServer(config().home);
      if (server)
        process.stderr.write(
          `嵌入式数据库由运行中的服务（进程号 ${server.pid}）持有，由服务执行在线备份……\n`,
        );
      const manifest = server
        ? await backupThroughServer(server, dir, secret)
        : await withSystem((system) => createBackup(system, dir, secret, actor(), progress));
      const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
      process.stdout.write(
        `备份完成：${dir}（${rows} 行数据、${manifest.blobs.count} 个文件 ${(manifest.blobs.bytes / 1024 ** 2).toFixed(1)} MB，` +
          `检查点树大小 ${manifest.checkpoint.treeSize}）\n`,
      );
    });
  program
    .command('restore <目录>')
    .description('从备份重建一个新的数据目录（YIDANG_HOME 须为空），恢复后自动校验')
    .action(async (dir: string) => {
      const report = await restoreBackup(config(), dir, passphrase());
      process.stdout.write(
        `恢复完成：${report.rows} 行数据、${report.blobs} 个文件；日志树大小 ${report.treeSize}，根哈希 ${report.rootHash}\n`,
      );
      // Destructions carried out after the backup, re-applied from the replicas' signed records.
      if (report.shreds.items.length > 0 || report.shreds.blobs > 0)
        process.stdout.write(
          `按副本上的销毁记录重新执行销毁：${report.shreds.items.length} 件档案恢复为销毁后的状态，${report.shreds.blobs} 个文件的密钥已销毁\n`,
        );
      // Registers carried out after the backup: their numbers stay issued; the register is in the log only.
      if (report.shreds.registersOnlyInRecords.length > 0)
        process.stdout.write(
          `以下销毁清册仅存于副本上的签名记录（数据库中已随备份前状态丢失），编号不再重复使用：${report.shreds.registersOnlyInRecords.join('、')}\n`,
        );
      for (const refused of report.shreds.refused.slice(0, 20))
        process.stderr.write(
          `副本“${refused.replica}”上文件 ${refused.digest} 的销毁记录未采用（签名或内容不符，可能被伪造）：${refused.reason}\n`,
        );
      if (!report.verify.ok) {
        process.stderr.write(`恢复后校验发现问题：${report.verify.problems[0]?.message}\n`);
        process.exit(3);
      }
      process.stdout.write('恢复后校验通过，根哈希与备份检查点一致\n');
    });
}
