import type { Command } from 'commander';
import { logVerifier } from '../../modules/integrity/checkpoint.service.js';
import { formatVerifierKey } from '../../modules/integrity/checkpoint-note.js';
import { runFixity } from '../../modules/storage/fixity.service.js';
import { keyStatus, rotateMasterKey } from '../../modules/storage/keys.service.js';
import { actor, parsePositiveInt, printJson, printTable, progress, withSystem } from '../context.js';

// fixity and keys: keeping stored files whole and their keys current.

const PROBLEMS = { missing: '缺失', corrupt: '损坏', lost: '全部副本丢失' } as const;

export function registerStorageCommands(program: Command): void {
  program
    .command('fixity')
    .description('重新读取并校验每个文件在每个副本上的摘要，从完好副本修复缺失或损坏的副本')
    .option('--sample <个数>', '只随机抽查这么多个文件')
    .option('--json', '输出 JSON 报告')
    .action(async (options: { sample?: string; json?: boolean }) => {
      const sample = options.sample === undefined ? undefined : parsePositiveInt(options.sample, '--sample');
      const report = await withSystem((system) =>
        runFixity({ db: system.database.db, store: system.store }, actor(), {
          sample,
          onProgress: (done, total) => progress('固定性检查', done, total),
        }),
      );
      if (options.json) printJson(report);
      else {
        process.stdout.write(
          `检查 ${report.blobs} 个文件、${report.copies} 份副本（${(report.bytes / 1024 ** 2).toFixed(1)} MB）：` +
            `完好 ${report.ok}，已修复 ${report.repaired}，修复失败 ${report.unrepaired}，全部副本丢失 ${report.lost}\n`,
        );
        if (report.temporaryRemoved > 0)
          process.stdout.write(`清理了 ${report.temporaryRemoved} 个中断写入留下的临时文件\n`);
        if (report.findings.length > 0)
          printTable(
            ['文件', '副本', '问题', '处理'],
            report.findings.map((finding) => [
              finding.digest,
              finding.replica,
              PROBLEMS[finding.problem],
              finding.detail,
            ]),
          );
      }
      if (report.lost > 0) {
        process.stderr.write(
          `严重：${report.lost} 个文件在所有副本上都已缺失或损坏，必须从备份恢复：\n${report.lostFiles.map((digest) => `  ${digest}`).join('\n')}\n`,
        );
        process.exit(3);
      }
      if (report.unrepaired > 0) process.exit(3);
    });

  const keys = program.command('keys').description('主密钥与日志签名密钥');
  keys
    .command('show')
    .description('显示密钥状态与验证公钥（不显示密钥本身）')
    .action(async () => {
      const status = await withSystem(async (system) => ({
        ...(await keyStatus(system.database.db, system.keyring)),
        signing: system.signingKey.algorithm,
        verifierKey: formatVerifierKey(await logVerifier(system.database.db, system.signingKey)),
      }));
      printJson(status);
    });
  keys
    .command('rotate')
    .description('生成新主密钥并用它重新包装全部文件密钥（不改写文件内容；中断后再次运行即可续做）')
    .action(async () => {
      const report = await withSystem((system) =>
        rotateMasterKey(system.database.db, system.keyring, actor(), (done, total) =>
          progress('重新包装文件密钥', done, total),
        ),
      );
      process.stdout.write(
        `${report.started ? '已轮换' : '已续做完成上次中断的轮换'}：当前主密钥 ${report.keyId}，重新包装 ${report.rewrapped} 个文件密钥` +
          `${report.retired.length > 0 ? `，已停用旧主密钥 ${report.retired.join('、')}` : ''}\n`,
      );
    });
}
