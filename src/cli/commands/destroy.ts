import type { Command } from 'commander';
import { carryOut } from '../../modules/disposition/destruction.carry.js';
import { drawRegister } from '../../modules/disposition/destruction.draw.js';
import { PAPER_METHODS, REGISTER_STATES } from '../../modules/disposition/destruction.names.js';
import { confirmPaper } from '../../modules/disposition/destruction.paper.js';
import {
  approveRegister,
  carryOutRegister,
  type SignRoleInput,
  signRegister,
  withdrawRegister,
} from '../../modules/disposition/destruction.service.js';
import {
  listRegistersFor,
  type RegisterView,
  showRegister,
} from '../../modules/disposition/destruction.view.js';
import { invalid } from '../../shared/errors.js';
import {
  parsePositiveInt,
  printJson,
  printTable,
  USER_OPTION,
  withDatabase,
  withSystem,
} from '../context.js';
import { asCliUser } from '../sign-in.js';

// yidang destroy …: 销毁清册 from the command line, through the same services, rights and scope as the
// API. Each signature is the signed-in account's own act. `carry` starts the carry-out and runs it in
// this process at once (the job a server would run; either may finish it, each item once).

const ROLES: Record<string, SignRoleInput> = {
  lead: 'lead',
  组长: 'lead',
  witness: 'witness',
  监销人: 'witness',
};

function show(view: RegisterView): void {
  process.stdout.write(
    `销毁清册 ${view.code}：${view.stateLabel}；全宗 ${view.fonds}，鉴定批次 ${view.round}，共 ${view.count} 件\n`,
  );
  for (const signature of view.signatures)
    process.stdout.write(`  ${signature.roleLabel}：${signature.user}（${signature.at}）\n`);
  if (view.filed) process.stdout.write(`  已归档为 ${view.filed.archiveCode}\n`);
  // Older backups still hold what was destroyed (and its keys): they go too, or expire.
  for (const backup of view.olderBackups)
    process.stdout.write(`  须同时销毁或到期的备份：${backup.dir}（${backup.at}）\n`);
  printTable(
    ['序号', '档号', '题名', '年度', '保管期限', '应/已保管', '页/文件', '销毁原因', '状态'],
    view.rows.map((row) => [
      row.seq,
      row.archiveCode,
      row.title,
      row.year,
      row.retentionLabel,
      `${row.keepYears ?? '永久'}/${row.keptYears}`,
      `${row.pages}/${row.files}`,
      row.reason,
      row.stateLabel,
    ]),
  );
}

export function registerDestroyCommands(program: Command): void {
  const destroy = program
    .command('destroy')
    .description('销毁清册：从鉴定批次编制、签字、审批、执行销毁与确认纸质销毁');

  destroy
    .command('draw <鉴定批次>')
    .description('从鉴定批次决定销毁的档案编制销毁清册；不能销毁的逐件列出原因')
    .option('--item <档号...>', '只列这些档号')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (round: string, options: { item?: string[]; json?: boolean; user?: string }) => {
      const drawn = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'appraisal.work', (user) =>
          drawRegister(database.db, user.principal, {
            round,
            ...(options.item ? { items: options.item } : {}),
          }),
        ),
      );
      if (options.json) return printJson(drawn);
      process.stdout.write(`已编制销毁清册 ${drawn.code}，列入 ${drawn.items} 件\n`);
      for (const refusal of drawn.refused) process.stdout.write(`  未列入 ${refusal.message}\n`);
    });

  destroy
    .command('list')
    .description('销毁清册列表（本人范围内，新的在前）')
    .option('--state <状态>', `清册状态：${Object.keys(REGISTER_STATES).join('、')}`)
    .option('--limit <条数>', '最多列出几份', '50')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (options: { state?: string; limit: string; json?: boolean; user?: string }) => {
      const list = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'appraisal.work', (user) =>
          listRegistersFor(database.db, user.principal, {
            ...(options.state ? { state: options.state } : {}),
            limit: parsePositiveInt(options.limit, '--limit', 200),
          }),
        ),
      );
      if (options.json) return printJson(list);
      printTable(
        ['清册编号', '全宗', '鉴定批次', '件数', '状态', '编制人', '审批人'],
        list.map((entry) => [
          entry.code,
          entry.fonds,
          entry.round,
          entry.count,
          entry.stateLabel,
          entry.drawnBy,
          entry.approvedBy,
        ]),
      );
    });

  destroy
    .command('show <清册编号>')
    .description('一份销毁清册：封面、签字、各行与执行进度')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: { json?: boolean; user?: string }) => {
      const view = await withDatabase((database) =>
        asCliUser(database.db, options.user, 'appraisal.work', (user) =>
          showRegister(database.db, user.principal, code),
        ),
      );
      if (options.json) return printJson(view);
      show(view);
    });

  destroy
    .command('sign <清册编号>')
    .description('本人签字：--as lead（鉴定组组长）或 --as witness（监销人）')
    .requiredOption('--as <身份>', '签字身份：lead（组长）或 witness（监销人）')
    .option(...USER_OPTION)
    .action(async (code: string, options: { as: string; user?: string }) => {
      const role = ROLES[options.as.trim()];
      if (!role) throw invalid('DESTRUCTION_INPUT_INVALID', '--as 应为 lead（组长）或 witness（监销人）');
      await withDatabase((database) =>
        asCliUser(
          database.db,
          options.user,
          role === 'lead' ? 'appraisal.work' : 'destruction.witness',
          (user) => signRegister(database.db, user.principal, code, role),
        ),
      );
      process.stdout.write(`已作为${role === 'lead' ? '鉴定组组长' : '监销人'}在销毁清册 ${code} 上签字\n`);
    });

  destroy
    .command('approve <清册编号>')
    .description('审批销毁清册（审批人不能是鉴定组成员；只能批准一次）')
    .option(...USER_OPTION)
    .action(async (code: string, options: { user?: string }) => {
      await withDatabase((database) =>
        asCliUser(database.db, options.user, 'destruction.approve', (user) =>
          approveRegister(database.db, user.principal, code),
        ),
      );
      process.stdout.write(`已批准销毁清册 ${code}\n`);
    });

  destroy
    .command('withdraw <清册编号>')
    .description('撤销尚未执行的销毁清册（须说明原因），所列档案可重新编制')
    .requiredOption('--reason <原因>', '撤销原因（至少4个字）')
    .option(...USER_OPTION)
    .action(async (code: string, options: { reason: string; user?: string }) => {
      await withDatabase((database) =>
        asCliUser(database.db, options.user, 'appraisal.work', (user) =>
          withdrawRegister(database.db, user.principal, code, options.reason),
        ),
      );
      process.stdout.write(`已撤销销毁清册 ${code}\n`);
    });

  destroy
    .command('carry <清册编号>')
    .description('执行销毁（须已批准并有两名监销人签字）：逐件销毁，中断后再次执行即从中断处继续')
    .option('--json', '以 JSON 输出')
    .option(...USER_OPTION)
    .action(async (code: string, options: { json?: boolean; user?: string }) => {
      const outcome = await withSystem((system) =>
        asCliUser(system.database.db, options.user, 'destruction.carry', async (user) => {
          const view = await showRegister(system.database.db, user.principal, code);
          // Started once; a carry-out already under way (or waiting for paper) is continued.
          if (view.state !== 'carrying' && view.state !== 'carried')
            await carryOutRegister(system.database.db, user.principal, code);
          return carryOut(
            { db: system.database.db, store: system.store, signingKey: system.signingKey },
            view.code,
            user.actor,
          );
        }),
      );
      if (options.json) return printJson(outcome);
      process.stdout.write(
        `销毁清册 ${code}：已销毁 ${outcome.destroyed}/${outcome.total} 件${
          outcome.paperPending > 0
            ? `，${outcome.paperPending} 件纸质档案待确认销毁（destroy confirm-paper）`
            : ''
        }${outcome.completed ? '，执行完毕并已归档' : ''}\n`,
      );
    });

  destroy
    .command('confirm-paper <清册编号> <档号>')
    .description('确认纸质档案已销毁：方式、地点、时间与两名在场监销人')
    .requiredOption('--method <方式>', `销毁方式：${PAPER_METHODS.join('、')}`)
    .requiredOption('--place <地点>', '销毁地点')
    .requiredOption('--at <时间>', '销毁时间（ISO 8601，如 2026-12-07T10:00:00+08:00）')
    .requiredOption('--witness <监销人...>', '在场监销人（清册已签字的监销人，至少两名）')
    .option(...USER_OPTION)
    .action(
      async (
        code: string,
        archiveCode: string,
        options: { method: string; place: string; at: string; witness: string[]; user?: string },
      ) => {
        await withDatabase((database) =>
          asCliUser(database.db, options.user, 'destruction.carry', (user) =>
            confirmPaper(database.db, user.principal, code, {
              archiveCode,
              method: options.method,
              place: options.place,
              at: options.at,
              witnesses: options.witness,
            }),
          ),
        );
        process.stdout.write(`已确认 ${archiveCode} 的纸质原件已${options.method.trim()}销毁\n`);
      },
    );
}
