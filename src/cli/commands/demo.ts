import type { Command } from 'commander';
import { DEMO_FONDS, loadDemo } from '../../modules/demo/demo.service.js';
import { parsePositiveInt, withDatabase } from '../context.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('生成合成的示例参保人和档案（同一种子结果相同），归入演示全宗 D001')
    .requiredOption('--items <件数>', '件数')
    .option('--seed <种子>', '随机种子', '1')
    .action(async (options: { items: string; seed: string }) => {
      const items = parsePositiveInt(options.items, '--items', 100_000_000);
      const started = Date.now();
      const tty = process.stderr.isTTY;
      let lastShown = 0;
      const result = await withDatabase((database) =>
        loadDemo(database.db, {
          items,
          seed: options.seed,
          onProgress: ({ done, total }) => {
            const now = Date.now();
            if (done < total && now - lastShown < 1000) return;
            lastShown = now;
            const rate = Math.round(done / Math.max((now - started) / 1000, 0.001));
            const line = `已归档 ${done}/${total}（${((done / total) * 100).toFixed(1)}%，${rate} 件/秒）`;
            process.stderr.write(tty ? `\r${line}` : `${line}\n`);
          },
        }),
      );
      if (tty) process.stderr.write('\n');
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(
        `已在全宗 ${DEMO_FONDS.code} 生成 ${result.filed} 件示例档案（从第 ${result.startIndex + 1} 件起），` +
          `用时 ${seconds.toFixed(1)} 秒，平均 ${Math.round(result.filed / seconds)} 件/秒\n`,
      );
    });
}
