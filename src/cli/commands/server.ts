import path from 'node:path';
import type { Command } from 'commander';
import type { Database } from '../../db/database.js';
import { listMigrations } from '../../db/migrator.js';
import { buildApp } from '../../http/app.js';
import { consoleBuilt } from '../../http/console.js';
import { countUsers } from '../../modules/access/user.service.js';
import { findFonds } from '../../modules/catalog/fonds.service.js';
import { catalogIsEmpty, DEMO_FONDS, loadDemo } from '../../modules/demo/demo.service.js';
import { startViewsFollower } from '../../modules/insured/views.follow.js';
import { checkpointIfGrown } from '../../modules/integrity/checkpoint.service.js';
import { namedLease } from '../../modules/jobs/job.runtime.js';
import { ocrUnavailable } from '../../modules/scan/ocr.engine.js';
import { startIndexer } from '../../modules/search/indexer.js';
import { startUseFollower } from '../../modules/use/use.follower.js';
import { cjkFontMissing } from '../../modules/watermark/watermark.js';
import { systemJobRuntime } from '../../system/jobs.js';
import { newControlToken, removeServerFile, writeServerFile } from '../../system/server-file.js';
import { openSystem, type System } from '../../system/system.js';
import { config, parsePositiveInt } from '../context.js';

// init, serve and start: the commands that prepare the data directory and run the API.

const FIRST_START_DEMO_ITEMS = 500;

function describeDatabase(database: Database): string {
  return database.kind === 'pglite'
    ? `嵌入式 PGlite（${config().embeddedDbDir}）`
    : 'PostgreSQL（DATABASE_URL）';
}

/** OCR workers on this server: none when turned off or the engine is missing (said once, not per page). */
async function serverOcrConcurrency(system: System, warn: (message: string) => void): Promise<number> {
  const settings = system.config.ocr;
  if (settings.concurrency === 0) return 0;
  const problem = await ocrUnavailable(settings);
  if (problem) {
    warn(`扫描页不会自动识别：${problem}`);
    return 0;
  }
  return settings.concurrency;
}

/** How often idle job workers look for work (tests shorten it). */
const JOB_POLL_MS = Number(process.env.YIDANG_JOB_POLL_MS) || 1000;

async function serve(system: System, port: number): Promise<void> {
  const { database } = system;
  const token = newControlToken();
  const app = await buildApp({
    database,
    logger: true,
    store: system.store,
    signingKey: system.signingKey,
    control: { system, token },
  });
  // Background work is jobs in the database (checks after filing, OCR, scheduled checkpoints); the
  // indexer follows the log under a lease, so on a shared database one server indexes at a time.
  const jobs = await systemJobRuntime(system, {
    ocrConcurrency: await serverOcrConcurrency(system, (message) => app.log.warn(message)),
    pollMs: JOB_POLL_MS,
    onError: (error, kind) =>
      app.log.error({ code: (error as { code?: string }).code, kind }, '后台任务出错'),
  }).start();
  const indexer = startIndexer(database.db, {
    lease: namedLease(database.db, 'search.indexer'),
    onError: (error) => app.log.error({ code: (error as { code?: string }).code }, '更新检索索引失败'),
  });
  // The 利用登记簿 follows the log the same way, under its own lease.
  const useFollower = startUseFollower(database.db, {
    lease: namedLease(database.db, 'use.register'),
    onError: (error) => app.log.error({ code: (error as { code?: string }).code }, '更新利用登记簿失败'),
  });
  // 谁查看了我的档案 follows the log the same way, under its own lease.
  const views = startViewsFollower(database.db, {
    lease: namedLease(database.db, 'insured.views'),
    onError: (error) => app.log.error({ code: (error as { code?: string }).code }, '整理档案查看记录失败'),
  });
  const stop = async (signal: string) => {
    process.stderr.write(`收到 ${signal}，正在停止服务……\n`);
    await jobs.stop();
    await indexer.stop();
    await views.stop();
    await useFollower.stop();
    removeServerFile(system.config.home);
    await app.close();
    await checkpointIfGrown(database.db, system.signingKey, 'system:checkpoint').catch(() => {});
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  const address = await app.listen({ port, host: config().host });
  writeServerFile(system.config.home, {
    pid: process.pid,
    url: address,
    token,
    startedAt: new Date().toISOString(),
  });
  const consoleUrl = consoleBuilt() ? `${address}/` : undefined;
  const hint =
    (await countUsers(database.db)) === 0
      ? firstAccountHint({
          consoleUrl,
          demo: (await findFonds(database.db, DEMO_FONDS.code)) !== undefined,
          onPostgres: database.kind !== 'pglite',
        })
      : '';
  // One write: whoever reads the banner has the addresses and the hint together.
  process.stderr.write(
    `医档服务已启动：${address}/api/v1  接口文档：${address}/api/docs\n` +
      (consoleUrl
        ? `管理台：${consoleUrl}\n`
        : '管理台：尚未构建，本服务只提供接口（运行 npm run build 后重启服务即可使用管理台）\n') +
      hint,
  );
  if (await cjkFontMissing())
    process.stderr.write(
      '警告：未检测到中文字体，水印中的汉字将显示为方框。请安装 fonts-noto-cjk（Debian：apt-get install fonts-noto-cjk）后重启服务。\n',
    );
}

/** A word for the shell as typed: quoted only when it needs to be. */
const shellWord = (word: string) =>
  /^[\w./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * This program as another terminal on this machine reaches it: `node bin/yidang.js` from the
 * directory the server was started in (where the default ./yidang-data is), with the data directory
 * named when it was given by YIDANG_HOME, so the command finds this server's data as printed.
 */
function sameProgram(): string {
  const bin = path.resolve(import.meta.dirname, '..', '..', '..', 'bin', 'yidang.js');
  const relative = path.relative(process.cwd(), bin);
  const program = relative.startsWith('..') || path.isAbsolute(relative) ? bin : relative;
  const home = process.env.YIDANG_HOME ? `YIDANG_HOME=${shellWord(config().home)} ` : '';
  return `${home}node ${shellWord(program)}`;
}

/**
 * What a fresh server says when nobody can sign in yet. `yidang user add` works while the server
 * runs (on the embedded database it hands the account to this server), so the hint needs no "stop
 * the server first"; every command line in it runs as printed (the # remarks are shell comments).
 */
function firstAccountHint(options: { consoleUrl?: string; demo: boolean; onPostgres: boolean }): string {
  const program = sameProgram();
  const where = `在本机另开一个终端，于 ${process.cwd()} 目录中${options.onPostgres ? '（DATABASE_URL 等环境变量与服务相同）' : ''}运行：`;
  const lines = [
    `尚无任何账户（没有默认口令）。服务运行时即可创建首个账户：${where}`,
    `  ${program} user add admin --role sysadmin   # 系统管理员：管理账户与系统设置，登录须用动态口令（密钥由命令显示）`,
  ];
  if (options.demo)
    lines.push(
      `  ${program} user add wangli --role archivist --role clerk --scope '${DEMO_FONDS.code}/*/*' --name 王丽   # 档案员：查阅和归档演示档案`,
    );
  const signIn = options.consoleUrl
    ? `然后在管理台 ${options.consoleUrl} 用该账户登录，首次登录须修改口令。`
    : '然后用该账户登录（管理台尚未构建，见上），首次登录须修改口令。';
  lines.push(`口令在终端输入两次（或由环境变量 YIDANG_NEW_PASSWORD 提供）；${signIn}`);
  return `${lines.join('\n')}\n`;
}

function portOption(value: string | undefined): number {
  if (value === '0') return 0;
  return value === undefined ? config().port : parsePositiveInt(value, '--port', 65535);
}

export function registerServerCommands(program: Command): void {
  program
    .command('init')
    .description('初始化数据目录并把数据库升级到最新结构')
    .action(async () => {
      const system = await openSystem(config(), { initialize: true });
      await system.close();
      process.stdout.write(
        `已初始化：数据目录 ${config().home}，数据库 ${describeDatabase(system.database)}，结构版本 ${listMigrations().at(-1)}，` +
          `文件副本 ${system.store.replicas.map((replica) => replica.describe()).join('、')}\n`,
      );
    });

  program
    .command('serve')
    .description('启动 HTTP API 服务')
    .option('--port <端口>', '监听端口（默认取 PORT 环境变量或 8080）')
    .action(async (options: { port?: string }) => {
      const port = portOption(options.port);
      await serve(await openSystem(config(), { thread: 'worker' }), port);
    });

  program
    .command('start')
    .description('初始化（首次启动时载入少量演示数据）并启动服务')
    .option('--port <端口>', '监听端口')
    .action(async (options: { port?: string }) => {
      const port = portOption(options.port);
      const system = await openSystem(config(), { initialize: true, thread: 'worker' });
      const { database } = system;
      if (await catalogIsEmpty(database.db)) {
        process.stderr.write(`首次启动：正在载入 ${FIRST_START_DEMO_ITEMS} 件演示档案……\n`);
        await loadDemo(database.db, { items: FIRST_START_DEMO_ITEMS, seed: 1 });
      }
      process.stderr.write(`数据库：${describeDatabase(database)}\n`);
      await serve(system, port);
    });
}
