import type { Command } from 'commander';
import { decide, propose } from '../../modules/disposition/appraisal.decide.js';
import { APPRAISAL_CHOICES, ROUND_STATES } from '../../modules/disposition/appraisal.names.js';
import { addItems, openRound, setMembers } from '../../modules/disposition/appraisal.service.js';
import { expiryList, listRounds, showRound } from '../../modules/disposition/appraisal.view.js';
import { refreshAllExpiry } from '../../modules/disposition/expiry.job.js';
import { beijingDateTime } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import { clip, parsePositiveInt, printJson, printTable, USER_OPTION, withDatabase } from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang appraisal list-due | open | members | add | propose | decide | show | list | refresh: 到期档案
// and 鉴定批次 through the same services as /api/v1/appraisal/…

const CHOICE_BY_NAME = new Map<string, string>(
  Object.entries(APPRAISAL_CHOICES).flatMap(([code, name]) => [
    [code, code],
    [name, code],
  ]),
);
const choiceOf = (value: string) => {
  const choice = CHOICE_BY_NAME.get(value.trim());
  if (!choice) throw invalid('APPRAISAL_INPUT_INVALID', '鉴定意见应为 keep（继续保存）或 destroy（销毁）');
  return choice;
};
const choiceName = (code: string | null) =>
  code === null ? '待定' : (APPRAISAL_CHOICES[code as keyof typeof APPRAISAL_CHOICES] ?? code);

/** `--except 档号=keep:D50:理由` or `档号=destroy:理由`, repeatable. */
function readException(value: string, previous: Array<Record<string, string>> = []) {
  const at = value.indexOf('=');
  if (at <= 0)
    throw invalid('APPRAISAL_INPUT_INVALID', '例外应写为 档号=keep:期限:理由 或 档号=destroy:理由');
  const item = value.slice(0, at);
  const [choice = '', ...rest] = value.slice(at + 1).split(':');
  const decision = choiceOf(choice);
  const retention = decision === 'keep' ? rest.shift() : undefined;
  return [...previous, { item, decision, ...(retention ? { retention } : {}), reason: rest.join(':') }];
}

export function registerAppraisalCommands(program: Command): void {
  const appraisal = program
    .command('appraisal')
    .description('到期档案与鉴定批次（鉴定小组提出意见、组长作出结论）');

  appraisal
    .command('list-due')
    .description('到期档案清单：某全宗按年度、类别的到期情况，及已到期的档案')
    .requiredOption('--fonds <全宗号>', '全宗号')
    .option('--year <年度>', '年度')
    .option('--category <类别代码>', '类别代码（含下级类别）')
    .option('--limit <条数>', '列出的已到期档案条数', '50')
    .option('--offset <条数>', '跳过的条数', '0')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (options: {
        fonds: string;
        year?: string;
        category?: string;
        limit: string;
        offset: string;
        json?: boolean;
        user?: string;
      }) => {
        const list = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'appraisal.work', (user) =>
            expiryList(
              database.db,
              user.access,
              {
                fonds: options.fonds,
                ...(options.year !== undefined
                  ? { year: parsePositiveInt(options.year, '--year', 9999) }
                  : {}),
                ...(options.category !== undefined ? { category: options.category } : {}),
              },
              {
                limit: parsePositiveInt(options.limit, '--limit', 1000),
                offset: Number.parseInt(options.offset, 10) || 0,
              },
            ),
          ),
        );
        if (options.json) return printJson(list);
        process.stdout.write(
          `全宗 ${list.fonds} 到期清单（刷新于 ${list.refreshedAt ? beijingDateTime(list.refreshedAt) : '尚未刷新'}）\n`,
        );
        printTable(
          ['年度', '类别', '保管期限', '应保管', '已保管', '到期日', '件数'],
          list.entries.map((entry) => [
            entry.year,
            entry.categoryName,
            entry.retention,
            entry.yearsToKeep === null ? '永久' : `${entry.yearsToKeep}年`,
            `${entry.yearsKept}年`,
            entry.expiresOn ?? '—',
            entry.items,
          ]),
        );
        process.stdout.write('已到期的档案：\n');
        printTable(
          ['档号', '题名', '年度', '保管期限', '到期日', '鉴定批次', '结论'],
          list.items.map((item) => [
            item.archiveCode,
            clip(item.title, 30),
            item.year,
            item.effectiveRetention,
            item.expiresOn,
            item.round,
            item.round ? choiceName(item.decision) : null,
          ]),
        );
      },
    );

  appraisal
    .command('open')
    .description('建立鉴定批次（鉴定小组至少两名有鉴定权限、范围含该全宗的成员）')
    .requiredOption('--fonds <全宗号>', '全宗号')
    .requiredOption('--lead <用户名>', '鉴定组长')
    .requiredOption('--members <用户名,…>', '其他鉴定小组成员，以逗号分隔')
    .option('--title <名称>', '批次名称')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (options: {
        fonds: string;
        lead: string;
        members: string;
        title?: string;
        json?: boolean;
        user?: string;
      }) => {
        const round = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'appraisal.work', (user) =>
            openRound(database.db, user.access, {
              fonds: options.fonds,
              lead: options.lead,
              members: options.members.split(','),
              ...(options.title !== undefined ? { title: options.title } : {}),
            }),
          ),
        );
        if (options.json) return printJson(round);
        process.stdout.write(`已建立鉴定批次 ${round.code}（组长 ${round.lead}）\n`);
      },
    );

  appraisal
    .command('members <批次号>')
    .description('重新设定鉴定小组')
    .requiredOption('--lead <用户名>', '鉴定组长')
    .requiredOption('--members <用户名,…>', '其他鉴定小组成员，以逗号分隔')
    .option(...USER_OPTION)
    .action(async (code: string, options: { lead: string; members: string; user?: string }) => {
      const round = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'appraisal.work', (user) =>
          setMembers(database.db, user.access, code, {
            lead: options.lead,
            members: options.members.split(','),
          }),
        ),
      );
      process.stdout.write(`鉴定批次 ${round.code} 的鉴定小组已更新（组长 ${round.lead}）\n`);
    });

  appraisal
    .command('add <批次号> [档号...]')
    .description('列入鉴定：列出档号，或 --all（可加 --year、--category）从到期清单选取；只收已到期的档案')
    .option('--all', '到期清单中该全宗已到期的全部档案')
    .option('--year <年度>', '年度')
    .option('--category <类别代码>', '类别代码（含下级类别）')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (
        code: string,
        codes: string[],
        options: { all?: boolean; year?: string; category?: string; json?: boolean; user?: string },
      ) => {
        const result = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'appraisal.work', (user) =>
            addItems(
              database.db,
              user.access,
              code,
              codes.length > 0
                ? { items: codes }
                : {
                    all: options.all === true,
                    ...(options.year !== undefined
                      ? { year: parsePositiveInt(options.year, '--year', 9999) }
                      : {}),
                    ...(options.category !== undefined ? { category: options.category } : {}),
                  },
            ),
          ),
        );
        if (options.json) return printJson(result);
        process.stdout.write(`已列入鉴定 ${result.added.length} 件\n`);
      },
    );

  appraisal
    .command('propose <批次号> <档号...>')
    .description('提出鉴定意见（鉴定小组成员）：keep 继续保存（须 --retention）或 destroy 销毁')
    .requiredOption('--proposal <意见>', 'keep（继续保存）或 destroy（销毁）')
    .option('--retention <期限>', '继续保存的新保管期限：Y/D100/D50/D30/D15/D10')
    .requiredOption('--reason <理由>', '理由')
    .option(...USER_OPTION)
    .action(
      async (
        code: string,
        codes: string[],
        options: { proposal: string; retention?: string; reason: string; user?: string },
      ) => {
        const result = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'appraisal.work', (user) =>
            propose(database.db, user.access, code, {
              items: codes,
              proposal: choiceOf(options.proposal),
              retention: options.retention ?? null,
              reason: options.reason,
            }),
          ),
        );
        process.stdout.write(
          `已对 ${result.proposed.length} 件提出意见：${choiceName(choiceOf(options.proposal))}\n`,
        );
      },
    );

  appraisal
    .command('decide <批次号> [档号...]')
    .description(
      '作出鉴定结论（鉴定组长）：列出档号，或本批次未定的全部（可加 --year、--category），可逐件 --except 例外',
    )
    .requiredOption('--decision <结论>', 'keep（继续保存）或 destroy（销毁）')
    .option('--retention <期限>', '继续保存的新保管期限：Y/D100/D50/D30/D15/D10')
    .requiredOption('--reason <理由>', '理由')
    .option('--year <年度>', '只对该年度的档案')
    .option('--category <类别代码>', '只对该类别（含下级类别）的档案')
    .option(
      '--except <档号=结论:…>',
      '例外（可重复）：档号=keep:期限:理由 或 档号=destroy:理由',
      readException,
    )
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(
      async (
        code: string,
        codes: string[],
        options: {
          decision: string;
          retention?: string;
          reason: string;
          year?: string;
          category?: string;
          except?: Array<{ item: string; decision: string; retention?: string; reason: string }>;
          json?: boolean;
          user?: string;
        },
      ) => {
        const result = await withDatabase((database) =>
          asCliUser(database.db, options.user, 'appraisal.work', (user) =>
            decide(database.db, user.access, code, {
              ...(codes.length > 0 ? { items: codes } : {}),
              ...(options.year !== undefined ? { year: parsePositiveInt(options.year, '--year', 9999) } : {}),
              ...(options.category !== undefined ? { category: options.category } : {}),
              decision: choiceOf(options.decision),
              retention: options.retention ?? null,
              reason: options.reason,
              ...(options.except ? { exceptions: options.except } : {}),
            }),
          ),
        );
        if (options.json) return printJson(result);
        const keep = result.decided.filter((entry) => entry.decision === 'keep').length;
        process.stdout.write(
          `已作出鉴定结论 ${result.decided.length} 件：销毁 ${result.decided.length - keep} 件，继续保存 ${keep} 件\n`,
        );
      },
    );

  appraisal
    .command('show <批次号>')
    .description('鉴定批次：小组成员、档案及其意见与结论')
    .option('--limit <条数>', '条数', '200')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: { limit: string; json?: boolean; user?: string }) => {
      const round = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'appraisal.work', (user) =>
          showRound(database.db, user.access, code, {
            limit: parsePositiveInt(options.limit, '--limit', 10_000),
            offset: 0,
          }),
        ),
      );
      if (options.json) return printJson(round);
      process.stdout.write(
        `${round.code} ${round.title}（${ROUND_STATES[round.status]}）\n组长 ${round.lead}；成员 ${round.members.map((m) => m.username).join('、')}\n` +
          `共 ${round.itemCount} 件：已提意见 ${round.proposed}，继续保存 ${round.keep}，销毁 ${round.destroy}\n`,
      );
      printTable(
        ['档号', '题名', '年度', '保管期限', '意见', '结论', '理由'],
        round.items.map((item) => [
          item.archiveCode,
          clip(item.title, 30),
          item.year,
          item.retention,
          item.proposal ? choiceName(item.proposal) : null,
          choiceName(item.decision),
          clip(item.decisionReason ?? item.proposalReason ?? '', 30),
        ]),
      );
    });

  appraisal
    .command('list')
    .description('鉴定批次（最新的在前）')
    .option('--fonds <全宗号>', '全宗号')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (options: { fonds?: string; json?: boolean; user?: string }) => {
      const rounds = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'appraisal.work', (user) =>
          listRounds(database.db, user.access, options.fonds),
        ),
      );
      if (options.json) return printJson(rounds);
      printTable(
        ['批次号', '名称', '组长', '状态', '件数', '继续保存', '销毁'],
        rounds.map((round) => [
          round.code,
          clip(round.title, 30),
          round.lead,
          ROUND_STATES[round.status],
          round.items,
          round.keep,
          round.destroy,
        ]),
      );
    });

  appraisal
    .command('refresh')
    .description('立即刷新到期档案清单（服务也按计划每6小时刷新）')
    .option('--fonds <全宗号>', '只刷新该全宗')
    .option(...USER_OPTION)
    .action(async (options: { fonds?: string; user?: string }) => {
      const run = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'appraisal.work', () =>
          refreshAllExpiry(database.db, options.fonds),
        ),
      );
      process.stdout.write(
        `已刷新 ${run.fonds} 个全宗的到期清单（${run.items} 件，${run.changed} 个全宗有变化）\n`,
      );
    });
}
