import type { Command } from 'commander';
import { type RuleView, listRules, setRule, showRule } from '../../modules/fund/rule.service.js';
import { executeRun, startRun, type RunView } from '../../modules/fund/run.service.js';
import { invalid } from '../../shared/errors.js';
import { printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang audit-rules list | show | set | run: 智能审核规则 through the same services as
// /api/v1/fund/rules and /api/v1/fund/runs. A run from the command line is evaluated in place (the
// console's runs are jobs), each rule's progress on stderr.

const valueText = (value: number | string[]) =>
  Array.isArray(value) ? value.join(',') || '（空）' : String(value);

const paramsText = (rule: RuleView) =>
  rule.params.map((param) => `${param.label}=${valueText(param.value)}`).join('；') || '（无参数）';

function printRule(rule: RuleView): void {
  process.stdout.write(
    `${rule.name}（${rule.code}）  ${rule.active ? '已启用' : '已停用'}  第 ${rule.version} 版（逻辑修订 ${rule.revision}）\n` +
      `说明：${rule.description}\n` +
      `最近修改：${rule.changedBy}，${rule.reason}\n`,
  );
  if (rule.params.length === 0) {
    process.stdout.write('参数：无\n');
    return;
  }
  printTable(
    ['参数', '名称', '当前值', '默认值', '允许范围'],
    rule.params.map((param) => [
      param.name,
      param.label,
      valueText(param.value),
      valueText(param.default),
      param.kind === 'icdList'
        ? `ICD-10 前缀 ${param.minItems}～${param.maxItems} 项（逗号分隔）`
        : `${param.kind === 'integer' ? '整数' : '数值'} ${param.min}～${param.max}`,
    ]),
  );
}

function printRun(run: RunView): void {
  process.stdout.write(
    `审核运行 ${run.id}：地区 ${run.region || '全部'}，结算日期 ${run.from} 至 ${run.to}，${run.state === 'finished' ? '已完成' : run.state}，线索 ${run.clues} 条\n`,
  );
  printTable(
    ['规则', '名称', '版本', '线索', '用时（毫秒）'],
    run.rules.map((rule) => [rule.code, rule.name, rule.version, rule.hits, rule.ms]),
  );
}

/** --param 名=值 (repeatable): a list parameter as comma-separated values, a number as written. */
function parseParams(pairs: string[], rule: RuleView): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0)
      throw invalid('FUND_RULE_PARAM_INVALID', `参数应写作 名=值，如 days=20，收到“${pair.slice(0, 40)}”`);
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    const spec = rule.params.find((param) => param.name === name);
    params[name] =
      spec?.kind === 'icdList'
        ? value === ''
          ? []
          : value.split(/[,，、]/).map((entry) => entry.trim())
        : value;
  }
  return params;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerAuditRuleCommands(program: Command): void {
  const rules = program
    .command('audit-rules')
    .description('智能审核规则：查看、设置参数与启用状态、运行审核');

  rules
    .command('list')
    .description('列出十二条审核规则及其启用状态、版本与参数')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (options: { json?: boolean; user?: string }) => {
      const list = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'fund.read', (user) => listRules(database.db, user.access)),
      );
      if (options.json) return printJson(list);
      printTable(
        ['代码', '名称', '启用', '版本', '参数'],
        list.map((rule) => [rule.code, rule.name, rule.active ? '是' : '否', rule.version, paramsText(rule)]),
      );
    });

  rules
    .command('show <代码>')
    .description('查看一条审核规则：逻辑说明、参数及其允许范围')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: { json?: boolean; user?: string }) => {
      const rule = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'fund.read', (user) => showRule(database.db, user.access, code)),
      );
      if (options.json) return printJson(rule);
      printRule(rule);
    });

  rules
    .command('set <代码>')
    .description('修改审核规则的参数或启用状态（须写理由，版本加一）')
    .option('--param <名=值>', '参数，可重复；列表参数用逗号分隔，如 plannedPrefixes=Z51,Z49', collect, [])
    .option('--enable', '启用该规则')
    .option('--disable', '停用该规则')
    .requiredOption('--reason <理由>', '修改理由（至少 4 个字）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (
        code: string,
        options: {
          param: string[];
          enable?: boolean;
          disable?: boolean;
          reason: string;
          json?: boolean;
          user?: string;
        },
      ) => {
        if (options.enable && options.disable)
          throw invalid('FUND_RULE_PARAM_INVALID', '--enable 与 --disable 只能选一个');
        const rule = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'fund.rules', async (user) => {
            const current = await showRule(database.db, user.access, code);
            return setRule(database.db, user.access, code, {
              ...(options.enable ? { active: true } : options.disable ? { active: false } : {}),
              ...(options.param.length > 0 ? { params: parseParams(options.param, current) } : {}),
              reason: options.reason,
            });
          }),
        );
        if (options.json) return printJson(rule);
        process.stdout.write(`已修改，现为第 ${rule.version} 版\n`);
        printRule(rule);
      },
    );

  rules
    .command('run')
    .description('运行智能审核：某地区、某结算期间，启用的规则（或 --rule 指定的），每条命中生成一条线索')
    .requiredOption('--from <日期>', '结算日期起（含），YYYY-MM-DD')
    .requiredOption('--to <日期>', '结算日期止（含），YYYY-MM-DD')
    .option('--region <地区>', '行政区划代码或前缀（如 320115、3201）；默认您唯一的地区')
    .option('--rule <代码>', '只运行这些规则（逗号分隔）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (options: {
        from: string;
        to: string;
        region?: string;
        rule?: string;
        json?: boolean;
        user?: string;
      }) => {
        const run = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'fund.rules', async (user) => {
            const started = await startRun(
              database.db,
              user.access,
              {
                from: options.from,
                to: options.to,
                ...(options.region !== undefined ? { region: options.region } : {}),
                ...(options.rule !== undefined
                  ? {
                      rules: options.rule
                        .split(/[,，]/)
                        .map((code) => code.trim())
                        .filter(Boolean),
                    }
                  : {}),
              },
              { background: false },
            );
            return executeRun(
              database.db,
              started.id,
              user.access.kind === 'principal' ? user.access.username : 'cli',
              {
                progress: async (done, total, note) => {
                  process.stderr.write(`[${done}/${total}] ${note}\n`);
                },
              },
            );
          }),
        );
        if (options.json) return printJson(run);
        printRun(run);
      },
    );
}
