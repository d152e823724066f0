import { Command, CommanderError } from 'commander';
import { isYidangError } from '../shared/errors.js';
import { VERSION } from '../version.js';
import { registerAccessCommands } from './commands/access.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerCatalogCommands } from './commands/catalog.js';
import { registerCheckCommands } from './commands/check.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDuplicateCommands } from './commands/duplicates.js';
import { registerFileCommands } from './commands/file.js';
import { registerImportCommands } from './commands/import.js';
import { registerIngestCommands } from './commands/ingest.js';
import { registerIntegrityCommands } from './commands/integrity.js';
import { registerItemCommands } from './commands/item.js';
import { registerLedgerCommands } from './commands/ledger.js';
import { registerOcrCommands } from './commands/ocr.js';
import { registerQcCommands } from './commands/qc.js';
import { registerScanCommands } from './commands/scan.js';
import { registerSearchCommands } from './commands/search.js';
import { registerServerCommands } from './commands/server.js';
import { registerStorageCommands } from './commands/storage.js';
import { registerUserCommands } from './commands/user.js';

// Exit status: 0 success, 1 a user error (told in Chinese on stderr), 2 an internal error,
// 3 an integrity failure (verify found an alteration, fixity a file it could not repair).

const COMMANDER_MESSAGES: Array<[RegExp, string]> = [
  [/^error: unknown command '(.*)'/, '错误：没有命令“$1”'],
  [/^error: unknown option '(.*)'/, '错误：不认识的选项“$1”'],
  [/^error: required option '(.*)' not specified/, '错误：缺少必填选项 $1'],
  [/^error: missing required argument '(.*)'/, '错误：缺少参数 <$1>'],
  [/^error: option '(.*)' argument missing/, '错误：选项 $1 缺少取值'],
  [/^error: too many arguments.*/, '错误：参数过多'],
];

function translateCommanderError(text: string): string {
  for (const [pattern, replacement] of COMMANDER_MESSAGES) {
    if (pattern.test(text)) return text.replace(pattern, replacement);
  }
  return text;
}

const program = new Command('yidang')
  .description('医档 Yidang：医保业务档案管理')
  .version(VERSION, '-v, --version', '显示版本')
  .helpOption('-h, --help', '显示帮助')
  .addHelpCommand('help [command]', '显示某个命令的帮助')
  .exitOverride()
  .showHelpAfterError('（用 yidang --help 或 yidang <命令> --help 查看用法）')
  .configureOutput({ outputError: (text, write) => write(translateCommanderError(text)) });

registerServerCommands(program);
registerDemoCommand(program);
registerItemCommands(program);
registerSearchCommands(program);
registerCatalogCommands(program);
registerFileCommands(program);
registerIngestCommands(program);
registerImportCommands(program);
registerLedgerCommands(program);
registerDuplicateCommands(program);
registerScanCommands(program);
registerOcrCommands(program);
registerQcCommands(program);
registerCheckCommands(program);
registerStorageCommands(program);
registerIntegrityCommands(program);
registerBackupCommands(program);
registerUserCommands(program);
registerAccessCommands(program);

function fail(error: unknown): never {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : 1);
  }
  if (isYidangError(error)) {
    process.stderr.write(`错误：${error.message}\n`);
    if (error.issues.length > 1) {
      for (const issue of error.issues) process.stderr.write(`  - ${issue.field}：${issue.message}\n`);
    }
    process.exit(1);
  }
  process.stderr.write(
    `内部错误：${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(2);
}

try {
  const commandsThatKeepRunning = new Set(['serve', 'start']);
  await program.parseAsync(process.argv);
  // PGlite and pg keep timers alive; a finished one-shot command exits explicitly.
  // A command that finished but reports refused input (import) has set exitCode 1.
  if (!commandsThatKeepRunning.has(program.args[0] ?? '')) process.exit(process.exitCode ?? 0);
} catch (error) {
  fail(error);
}
