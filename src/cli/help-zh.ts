import {
  type Argument,
  type Command,
  CommanderError,
  Help,
  type HelpConfiguration,
  type Option,
} from 'commander';

// commander writes its own English around our Chinese descriptions: the help's titles, "(default: …)",
// "[options]", the help option and command, and every parsing error with "Did you mean …?". This file
// puts all of it in Chinese through commander's supported hooks — configureHelp (any Help method may be
// overridden), the help option and command descriptions, and exitOverride, whose CommanderError carries
// a stable code per kind of error — applied to every command of the tree by localizeProgram.

const TITLES: Record<string, string> = {
  'Usage:': '用法：',
  'Options:': '选项：',
  'Commands:': '命令：',
  'Arguments:': '参数：',
  'Global Options:': '全局选项：',
};

/** commander's generated placeholders in usage lines and the command list. */
const localUsage = (text: string) => text.replaceAll('[options]', '[选项]').replaceAll('[command]', '[命令]');

/** A value as help shows it: text bare, anything else as JSON. */
const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

function withExtras(description: string, extras: string[]): string {
  return extras.length === 0 ? description : `${description}（${extras.join('；')}）`;
}

// East Asian wide and full-width characters take two terminal columns.
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;
// A line may break before any wide character, except before closing punctuation or after opening.
const CHUNK =
  /\s*(?:[（“‘《「『【]*[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6][）”’》」』】，。、；：！？]*|[（“‘《「『【]*[^\s\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]+[）”’》」』】，。、；：！？]*)/gu;

export function displayWidth(text: string): number {
  let width = 0;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour sequences take no columns
  for (const char of text.replace(/\x1b\[\d*(;\d*)*m/g, '')) width += WIDE.test(char) ? 2 : 1;
  return width;
}

/** The overrides of commander's Help that put its words in Chinese and measure CJK text right. */
export const ZH_HELP: HelpConfiguration = {
  // Chinese wraps between any two characters, so a narrow column still reads well (commander: 40).
  minWidthToWrap: 24,
  styleTitle(title: string): string {
    return TITLES[title] ?? title;
  },
  formatHelp(this: Help, command: Command, helper: Help): string {
    // "用法：" ends in a full-width colon, which needs no space after it.
    return Help.prototype.formatHelp.call(this, command, helper).replace(/^用法： /, '用法：');
  },
  commandUsage(this: Help, command: Command): string {
    return localUsage(Help.prototype.commandUsage.call(this, command));
  },
  subcommandTerm(this: Help, command: Command): string {
    return localUsage(Help.prototype.subcommandTerm.call(this, command));
  },
  optionDescription(option: Option): string {
    const extras: string[] = [];
    if (option.argChoices) extras.push(`可选值：${option.argChoices.join('、')}`);
    // As commander decides: a default is worth showing for options that take a value.
    const showDefault =
      option.defaultValue !== undefined &&
      (option.required ||
        option.optional ||
        (option.isBoolean() && typeof option.defaultValue === 'boolean'));
    if (showDefault) extras.push(`默认：${option.defaultValueDescription ?? shown(option.defaultValue)}`);
    if (option.presetArg !== undefined && option.optional)
      extras.push(`不带取值时为 ${shown(option.presetArg)}`);
    if (option.envVar !== undefined) extras.push(`环境变量 ${option.envVar}`);
    return withExtras(option.description, extras);
  },
  argumentDescription(argument: Argument): string {
    const extras: string[] = [];
    if (argument.argChoices) extras.push(`可选值：${argument.argChoices.join('、')}`);
    if (argument.defaultValue !== undefined)
      extras.push(`默认：${argument.defaultValueDescription ?? shown(argument.defaultValue)}`);
    return withExtras(argument.description, extras);
  },
  displayWidth,
  boxWrap(this: Help, text: string, width: number): string {
    if (width < this.minWidthToWrap) return text;
    const lines: string[] = [];
    for (const raw of text.split(/\r\n|\n/)) {
      const chunks = raw.match(CHUNK);
      if (!chunks) {
        lines.push('');
        continue;
      }
      let line = '';
      for (const chunk of chunks) {
        if (line !== '' && displayWidth(line) + displayWidth(chunk) > width) {
          lines.push(line);
          line = chunk.trimStart();
        } else line += chunk;
      }
      lines.push(line);
    }
    return lines.join('\n');
  },
};

/** What follows every refused command line. */
export const USAGE_HINT = '（用 yidang --help 或 yidang <命令> --help 查看用法）';

/** commander's "(Did you mean x?)" / "(Did you mean one of x, y?)", asked in Chinese. */
function suggestion(message: string): string {
  const match = /\(Did you mean (?:one of )?(.+)\?\)/.exec(message);
  if (!match?.[1]) return '';
  const candidates = match[1].split(', ');
  return `\n您是否要输入 ${candidates.join(' 或 ')}？`;
}

const quoted = (pattern: RegExp, message: string): string[] => pattern.exec(message)?.slice(1) ?? [];

/** A reason our own parsers gave (Chinese) is kept; commander's English one is replaced. */
const ownReason = (reason: string | undefined) => (reason && /[\u4e00-\u9fff]/u.test(reason) ? reason : '');

/** commander's error, by its code, in Chinese (the English text only supplies the names it quotes). */
export function commanderErrorText(error: CommanderError): string {
  const message = error.message;
  switch (error.code) {
    case 'commander.unknownCommand': {
      const [name] = quoted(/unknown command '(.*)'/, message);
      return `错误：没有命令“${name}”${suggestion(message)}`;
    }
    case 'commander.unknownOption': {
      const [flag] = quoted(/unknown option '(.*)'/, message);
      return `错误：不认识的选项“${flag}”${suggestion(message)}`;
    }
    case 'commander.missingArgument': {
      const [name] = quoted(/missing required argument '(.*)'/, message);
      return `错误：缺少参数 <${name}>`;
    }
    case 'commander.optionMissingArgument': {
      const [flags] = quoted(/option '(.*)' argument missing/, message);
      return `错误：选项 ${flags} 缺少取值`;
    }
    case 'commander.missingMandatoryOptionValue': {
      const [flags] = quoted(/required option '(.*)' not specified/, message);
      return `错误：缺少必填选项 ${flags}`;
    }
    case 'commander.excessArguments': {
      const [command, expected, received] = quoted(
        /too many arguments(?: for '(.*)')?\. Expected (\d+) arguments? but got (\d+)/,
        message,
      );
      const of = command ? `命令“${command}”` : '';
      return `错误：参数过多：${of}需要 ${expected} 个参数，实际给了 ${received} 个`;
    }
    case 'commander.invalidArgument': {
      const choices = /Allowed choices are (.*)\.$/.exec(message)?.[1]?.split(', ');
      const option = /option '(.*)' argument '(.*)' is invalid\.\s*(.*)$/s.exec(message);
      const fromEnv = /option '(.*)' value '(.*)' from env '(.*)' is invalid\.\s*(.*)$/s.exec(message);
      const argument = /command-argument value '(.*)' is invalid for argument '(.*)'\.\s*(.*)$/s.exec(
        message,
      );
      const why = choices
        ? `：可选值为 ${choices.join('、')}`
        : ((reason) => (reason ? `：${reason}` : ''))(ownReason((option ?? fromEnv ?? argument)?.at(-1)));
      if (option) return `错误：选项 ${option[1]} 的取值“${option[2]}”无效${why}`;
      if (fromEnv) return `错误：环境变量 ${fromEnv[3]} 给选项 ${fromEnv[1]} 的取值“${fromEnv[2]}”无效${why}`;
      if (argument) return `错误：参数 <${argument[2]}> 的取值“${argument[1]}”无效${why}`;
      return `错误：取值无效${why}`;
    }
    case 'commander.conflictingOption': {
      const names = [...message.matchAll(/(option|environment variable) '([^']*)'/g)].map(([, kind, name]) =>
        kind === 'option' ? `选项 ${name}` : `环境变量 ${name}`,
      );
      return `错误：${names[0] ?? '一个选项'} 不能与${names[1] ?? '另一个选项'} 同时使用`;
    }
    default: {
      // program.error() with our own words, or a kind added by a later commander.
      const own = ownReason(message.replace(/^error: /, ''));
      return own ? (own.startsWith('错误：') ? own : `错误：${own}`) : '错误：命令行有误';
    }
  }
}

/** Exits that are not errors, or whose output (the help) commander has already written. */
const QUIET = new Set([
  'commander.help',
  'commander.helpDisplayed',
  'commander.version',
  'commander.executeSubCommandAsync',
]);

/** Writes the Chinese message and throws (exitOverride expects a throw); runCli and main catch it. */
function exitInChinese(error: CommanderError): never {
  if (QUIET.has(error.code)) throw error;
  const text = commanderErrorText(error);
  process.stderr.write(`${text}\n${USAGE_HINT}\n`);
  throw new CommanderError(error.exitCode, error.code, text);
}

function localize(command: Command): void {
  command
    .configureHelp(ZH_HELP)
    .helpOption('-h, --help', '显示帮助')
    // The English message commander would print is replaced by exitInChinese's.
    .configureOutput({ outputError: () => {} })
    .showHelpAfterError(false)
    .exitOverride(exitInChinese);
  if (command.commands.length > 0) command.helpCommand('help [命令]', '显示某个命令的帮助');
  // commander takes `<name...>` as "several values" only after an ASCII letter (\w...); a Chinese
  // name (--file <文件...>) means the same.
  for (const option of command.options) if (/[^\s<[]\.\.\.[>\]]$/u.test(option.flags)) option.variadic = true;
  for (const sub of command.commands) localize(sub);
}

/**
 * Puts the whole tree in Chinese. Call after every command is registered: it walks the tree, so a
 * command added later by `.command()` or `.addCommand()` is covered alike.
 */
export function localizeProgram(program: Command): Command {
  localize(program);
  return program;
}
