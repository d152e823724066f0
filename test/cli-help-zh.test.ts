// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command, CommanderError } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliEnv, type CliResult, cliEnv, run } from './helpers/cli.js';

// Issue 23: the `yidang` command speaks Chinese throughout — commander's help (titles, usage,
// defaults, the help option and command) and its errors (unknown commands and options with their
// suggestions, missing or extra arguments, invalid values). The help of every command of the tree is
// read, the tree taken from the program object itself, so a command added later is checked too.

type RunModule = typeof import('../src/cli/run.js');
type HelpModule = typeof import('../src/cli/help-zh.js');
const built = <T>(file: string) => import(pathToFileURL(path.resolve(file)).href) as Promise<T>;

// What commander writes in English when nobody localises it.
const HELP_ENGLISH =
  /\b(Usage|Options|Commands|Arguments)\b|default:|choices:|preset:|env:|display help|output the version|\[options\]|\[command\]/;
const ERROR_ENGLISH =
  /error:|unknown|Did you mean|missing|required|not specified|too many|Expected|is invalid|cannot be used|Allowed choices/i;
const CJK = /[\u4e00-\u9fff]/;

let cli: CliEnv;
let program: Command;
let commands: string[][];

function tree(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const here = [...prefix, sub.name()];
    return [here, ...tree(sub, here)];
  });
}

beforeAll(async () => {
  cli = cliEnv();
  program = (await built<RunModule>('dist/cli/run.js')).buildProgram();
  commands = tree(program);
});

describe('help', { timeout: 180_000 }, () => {
  it('finds the whole tree on the program object', () => {
    // Every command file registers at least one command; the groups hold the rest.
    expect(commands.length).toBeGreaterThan(90);
    expect(commands).toContainEqual(['user', 'add']);
    expect(commands).toContainEqual(['proof', 'verify']);
  });

  it('describes every command, option and the help itself in Chinese', () => {
    const check = (command: Command, where: string) => {
      expect(command.description(), where).toMatch(CJK);
      for (const option of command.options)
        expect(option.description, `${where} ${option.flags}`).toMatch(CJK);
    };
    check(program, 'yidang');
    for (const names of commands) {
      let command = program;
      for (const name of names) command = command.commands.find((sub) => sub.name() === name) as Command;
      check(command, names.join(' '));
    }
  });

  it('names every argument and option value in Chinese', () => {
    const english: string[] = [];
    for (const names of commands) {
      let command = program;
      for (const name of names) command = command.commands.find((sub) => sub.name() === name) as Command;
      for (const argument of command.registeredArguments)
        if (!CJK.test(argument.name())) english.push(`${names.join(' ')} <${argument.name()}>`);
      for (const option of command.options) {
        const value = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1];
        if (value !== undefined && !CJK.test(value)) english.push(`${names.join(' ')} ${option.flags}`);
        // A Chinese name still takes several values where it says so (--file <文件...>).
        if (value?.endsWith('...')) expect(option.variadic, option.flags).toBe(true);
      }
    }
    expect(english).toEqual([]);
  });

  it('prints every command’s --help without a word of commander’s English', async () => {
    const { displayWidth } = await built<HelpModule>('dist/cli/help-zh.js');
    for (const names of [[], ...commands]) {
      const help = await run(cli, [...names, '--help']);
      const where = ['yidang', ...names].join(' ');
      expect(help.code, where).toBe(0);
      expect(help.stdout.startsWith(`用法：${where} `), `${where}:\n${help.stdout}`).toBe(true);
      expect(help.stdout, where).not.toMatch(HELP_ENGLISH);
      expect(help.stdout, where).toContain('-h, --help');
      expect(help.stdout, where).toContain('显示帮助');
      // CJK takes two columns: lines are measured and wrapped as a terminal shows them.
      for (const line of help.stdout.split('\n'))
        expect(displayWidth(line), `${where}: ${line}`).toBeLessThanOrEqual(80);
    }
  });

  it('says defaults, the version option and the help command in Chinese', async () => {
    const root = await run(cli, ['--help']);
    expect(root.stdout).toMatch(/-v, --version\s+显示版本/);
    expect(root.stdout).toMatch(/help \[命令\]\s+显示某个命令的帮助/);
    expect(root.stdout).toMatch(/^命令：$/m);
    expect(root.stdout).toMatch(/^选项：$/m);
    const token = await run(cli, ['token', 'create', '--help']);
    expect(token.stdout).toMatch(/--days <\S+>\s+有效天数（默认：90）/);
    // `help <command>` prints the same as `<command> --help`.
    const viaHelp = await run(cli, ['help', 'user']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe((await run(cli, ['user', '--help'])).stdout);
    const version = await run(cli, ['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });
});

describe('errors of the command line', { timeout: 120_000 }, () => {
  function expectRefused(result: CliResult, message: string): void {
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(ERROR_ENGLISH);
    expect(result.stderr).toContain('（用 yidang --help 或 yidang <命令> --help 查看用法）');
    expect(result.stdout).toBe('');
  }

  it('names an unknown command and suggests the one meant', async () => {
    expectRefused(await run(cli, ['itme']), '错误：没有命令“itme”\n您是否要输入 item？');
    expectRefused(await run(cli, ['oc']), '您是否要输入 ocr 或 qc？');
    expectRefused(await run(cli, ['user', 'ad']), '错误：没有命令“ad”\n您是否要输入 add？');
    expectRefused(await run(cli, ['zzzzzz']), '错误：没有命令“zzzzzz”\n（用');
  });

  it('names an unknown option and suggests the one meant', async () => {
    expectRefused(
      await run(cli, ['search', '--sortt', 'date']),
      '错误：不认识的选项“--sortt”\n您是否要输入 --sort？',
    );
    expectRefused(await run(cli, ['init', '--bogus']), '错误：不认识的选项“--bogus”');
  });

  it('says which argument, option or value is missing, and when there are too many', async () => {
    expectRefused(await run(cli, ['item', 'show']), '错误：缺少参数 <档号>');
    expectRefused(await run(cli, ['item', 'list', '--limit']), '错误：选项 --limit <条数> 缺少取值');
    expectRefused(await run(cli, ['user', 'add', 'someone']), '错误：缺少必填选项 --role <角色>');
    expectRefused(
      await run(cli, ['user', 'add', 'a', 'b', '--role', 'clerk']),
      '错误：参数过多：命令“add”需要 1 个参数，实际给了 2 个',
    );
  });

  // Kinds the yidang tree has no occasion for yet (choices, parsers, conflicting options) are said
  // in Chinese all the same: a small program localised the same way shows it.
  it('says invalid values and conflicting options in Chinese', async () => {
    const { Command: CommandClass, InvalidArgumentError, Option, Argument } = await import('commander');
    const { localizeProgram } = await built<HelpModule>('dist/cli/help-zh.js');
    const refusal = (args: string[]): string => {
      const scratch = new CommandClass('yidang');
      scratch
        .command('demo')
        .description('演示')
        .addOption(new Option('--kind <kind>', '种类').choices(['参保', '动态']))
        .addOption(new Option('--json', '输出 JSON').conflicts('table'))
        .option('--table', '输出表格')
        .option('--count <n>', '数量', (value: string) => {
          if (!/^\d+$/.test(value)) throw new InvalidArgumentError('应为整数');
          return Number(value);
        })
        .addArgument(new Argument('[format]', '格式').choices(['xlsx', 'pdf']))
        .action(() => {});
      localizeProgram(scratch);
      const write = process.stderr.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        scratch.parse(args, { from: 'user' });
        return '';
      } catch (error) {
        return (error as CommanderError).message;
      } finally {
        process.stderr.write = write;
      }
    };
    expect(refusal(['demo', '--kind', '别的'])).toBe(
      '错误：选项 --kind <kind> 的取值“别的”无效：可选值为 参保、动态',
    );
    expect(refusal(['demo', '--count', 'x'])).toBe('错误：选项 --count <n> 的取值“x”无效：应为整数');
    expect(refusal(['demo', 'docx'])).toBe('错误：参数 <format> 的取值“docx”无效：可选值为 xlsx、pdf');
    expect(refusal(['demo', '--json', '--table'])).toBe('错误：选项 --json 不能与选项 --table 同时使用');
    expect(refusal(['demo', 'pdf', '--kind', '参保'])).toBe('');
    const help = new CommandClass('yidang').addOption(
      new Option('--kind <kind>', '种类').choices(['参保', '动态']).default('参保'),
    );
    localizeProgram(help);
    expect(help.helpInformation()).toContain('种类（可选值：参保、动态；默认：参保）');
  });
});
