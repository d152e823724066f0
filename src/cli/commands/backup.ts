import type { Command } from 'commander';
import { createBackup } from '../../modules/backup/backup.service.js';
import { restoreBackup } from '../../modules/backup/restore.service.js';
import { invalid } from '../../shared/errors.js';
import { actor, config, progress, withSystem } from '../context.js';

// backup and restore. The passphrase comes from the environment, never the command line, where
// other users of the machine could read it in the process list.

function passphrase(): string {
  const value = process.env.YIDANG_BACKUP_PASSPHRASE;
  if (!value)
    throw invalid('BACKUP_PASSPHRASE_MISSING', '请用环境变量 YIDANG_BACKUP_PASSPHRASE 提供备份口令');
  return value;
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup <dir>')
    .description('把数据库、全部文件、加密的密钥和最新检查点备份到一个新目录（服务可继续运行）')
    .action(async (dir: string) => {
      const secret = passphrase();
      const manifest = await withSystem((system) => createBackup(system, dir, secret, actor(), progress));
      const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
      process.stdout.write(
        `备份完成：${dir}（${rows} 行数据、${manifest.blobs.count} 个文件 ${(manifest.blobs.bytes / 1024 ** 2).toFixed(1)} MB，` +
          `检查点树大小 ${manifest.checkpoint.treeSize}）\n`,
      );
    });
  program
    .command('restore <dir>')
    .description('从备份重建一个新的数据目录（YIDANG_HOME 须为空），恢复后自动校验')
    .action(async (dir: string) => {
      const report = await restoreBackup(config(), dir, passphrase());
      process.stdout.write(
        `恢复完成：${report.rows} 行数据、${report.blobs} 个文件；日志树大小 ${report.treeSize}，根哈希 ${report.rootHash}\n`,
      );
      if (!report.verify.ok) {
        process.stderr.write(`恢复后校验发现问题：${report.verify.problems[0]?.message}\n`);
        process.exit(3);
      }
      process.stdout.write('恢复后校验通过，根哈希与备份检查点一致\n');
    });
}
