import type { Command } from 'commander';
import { systemContext } from '../../shared/access-context.js';
import { ROLES, roleNames } from '../../modules/access/roles.js';
import { createApiToken, revokeToken, tokensOf } from '../../modules/access/session.service.js';
import {
  changePassword,
  createUser,
  listUserViews,
  parseScope,
  setAccess,
  setDisabled,
} from '../../modules/access/user.service.js';
import { isErrorCode } from '../../shared/error-codes.js';
import { type FieldIssue, invalid, YidangError } from '../../shared/errors.js';
import { runningServer, type ServerFile } from '../../system/server-file.js';
import { actor, config, parsePositiveInt, printJson, printTable, withDatabase } from '../context.js';
import { promptHidden } from '../sign-in.js';
import { beijingDateTime } from '../../shared/beijing-time.js';

// Account administration on the server itself: how the first administrator comes to exist (there is
// no default password) and where the three administrative roles are assigned. Passwords come from
// YIDANG_NEW_PASSWORD or a hidden prompt, never from the command line.

const collect = (value: string, previous: string[] = []) => [...previous, value];

type Created = Awaited<ReturnType<typeof createUser>>;

/** `user add` handed to the running server over its local control channel (see user-control.routes.ts). */
async function addThroughServer(server: ServerFile, body: Record<string, unknown>): Promise<Created> {
  let response: Response;
  try {
    response = await fetch(new URL('/api/v1/admin/users', server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new YidangError(
      'SERVER_UNREACHABLE',
      'busy',
      `服务（进程号 ${server.pid}）占用着数据库但无法连接：${server.url}`,
    );
  }
  const answer = (await response.json().catch(() => ({}))) as Partial<Created> & {
    error?: { code?: string; message?: string; issues?: FieldIssue[] };
  };
  if (!response.ok) {
    const { code, message, issues } = answer.error ?? {};
    throw new YidangError(
      isErrorCode(code) ? code : 'BAD_REQUEST',
      'invalid',
      message ?? `服务拒绝了创建账户的请求（HTTP ${response.status}）`,
      issues ?? [],
    );
  }
  return answer as Created;
}

async function newPassword(): Promise<string> {
  const fromEnv = process.env.YIDANG_NEW_PASSWORD;
  if (fromEnv) return fromEnv;
  const first = await promptHidden('新口令');
  const second = await promptHidden('再输入一次');
  if (first !== second) throw invalid('PASSWORD_MISMATCH', '两次输入的口令不一致');
  return first;
}

const describeScope = (
  scope: Array<{ fondsCode: string | null; regionCode: string | null; categoryCode: string | null }>,
) =>
  scope.length === 0
    ? '（无）'
    : scope
        .map((row) => [row.fondsCode ?? '*', row.regionCode ?? '*', row.categoryCode ?? '*'].join('/'))
        .join('，');

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('账户管理（在服务器上执行；首个系统管理员由此创建）');

  user
    .command('add <用户名>')
    .description('创建账户（口令取自环境变量 YIDANG_NEW_PASSWORD 或在终端输入两次）')
    .requiredOption(
      '--role <角色>',
      `角色，可重复：${Object.entries(ROLES)
        .map(([code, name]) => `${code}=${name}`)
        .join('，')}`,
      collect,
    )
    .option('--name <姓名>', '姓名或显示名')
    .option(
      '--scope <全宗/统筹区/类别>',
      '授权范围，可重复，任意部分写 *，如 J013/320115/*（安全保密员只能在自己的范围内授权）',
      collect,
    )
    .option('--id-number <身份证号>', '参保人账户本人的身份证号')
    .action(
      async (
        username: string,
        options: { role: string[]; name?: string; scope?: string[]; idNumber?: string },
      ) => {
        const scope = options.scope ?? [];
        const rows = scope.map(parseScope);
        const password = await newPassword();
        const account = {
          username,
          displayName: options.name,
          password,
          roles: options.role,
          idNumber: options.idNumber,
        };
        // The embedded database belongs to the server while it runs: the server creates the account.
        const server = config().databaseUrl ? undefined : runningServer(config().home);
        if (server)
          process.stderr.write(`嵌入式数据库由运行中的服务（进程号 ${server.pid}）持有，由服务创建账户……\n`);
        const created = server
          ? await addThroughServer(server, { ...account, scope, actor: actor() })
          : await withDatabase((database) => createUser(database.db, { ...account, scope: rows }, actor()));
        process.stdout.write(
          `已创建账户 ${created.user.username}（${roleNames(created.user.roles as never)}），范围：${describeScope(created.user.scope)}\n` +
            '本人首次在控制台登录时须修改此口令，之后才能使用其他功能。\n',
        );
        if (created.totpUri)
          process.stdout.write(
            `该账户登录须使用动态口令。首次登录用以下密钥（只显示这一次），修改口令后须由本人重新开通：\n  密钥 ${created.totpSecret}\n  ${created.totpUri}\n`,
          );
      },
    );

  user
    .command('list')
    .description('列出账户、角色与范围')
    .option('--json', '输出 JSON')
    .action(async (options: { json?: boolean }) => {
      const users = await withDatabase((database) => listUserViews(database.db));
      if (options.json) return printJson(users);
      printTable(
        ['用户名', '姓名', '角色', '范围', '动态口令', '状态'],
        users.map((entry) => [
          entry.username,
          entry.displayName,
          roleNames(entry.roles as never),
          describeScope(entry.scope),
          entry.totpEnabled ? '已开通' : '未开通',
          entry.disabled ? '已停用' : entry.locked ? '已锁定' : '正常',
        ]),
      );
    });

  user
    .command('access <用户名>')
    .description('重新设定账户的角色与范围（含三员角色）')
    .requiredOption('--role <角色>', '角色，可重复', collect)
    .option('--scope <全宗/统筹区/类别>', '授权范围，可重复', collect)
    .action(async (username: string, options: { role: string[]; scope?: string[] }) => {
      const changed = await withDatabase((database) =>
        setAccess(
          database.db,
          username,
          { roles: options.role, scope: (options.scope ?? []).map(parseScope) },
          actor(),
          {
            allowAdminRoles: true,
            // The operator on the server itself: no account, no scope bound (as before).
            granter: systemContext('setup'),
            onNewTotpSecret: (secret, uri) =>
              process.stdout.write(
                `该账户登录须使用动态口令。下次登录用以下密钥（只显示这一次），登录后须由本人重新开通：\n  密钥 ${secret}\n  ${uri}\n`,
              ),
          },
        ),
      );
      process.stdout.write(
        `${changed.username}：${roleNames(changed.roles as never)}，范围：${describeScope(changed.scope)}\n`,
      );
    });

  for (const [command, disabled, label] of [
    ['disable', true, '停用'],
    ['enable', false, '启用'],
  ] as const)
    user
      .command(`${command} <用户名>`)
      .description(`${label}账户（三员账户只能在此${label}；每种三员角色至少保留一个启用的账户）`)
      .action(async (username: string) => {
        await withDatabase((database) =>
          setDisabled(database.db, username, disabled, actor(), { fromServer: true }),
        );
        process.stdout.write(`已${label}账户 ${username}\n`);
      });

  user
    .command('passwd <用户名>')
    .description('重设口令（取自 YIDANG_NEW_PASSWORD 或在终端输入；本人下次登录时须修改）')
    .action(async (username: string) => {
      const password = await newPassword();
      await withDatabase((database) => changePassword(database.db, username, password, actor()));
      process.stdout.write(`已重设 ${username} 的口令，本人下次在控制台登录时须修改\n`);
    });

  const token = program.command('token').description('接口令牌（供业务系统推送档案）');
  token
    .command('create <用户名>')
    .description('为账户创建接口令牌，只显示这一次')
    .requiredOption('--name <名称>', '令牌名称，例如调用它的业务系统')
    .requiredOption('--permission <权限>', '权限，可重复，如 item.create', collect)
    .option('--days <天数>', '有效天数', '90')
    .action(async (username: string, options: { name: string; permission: string[]; days: string }) => {
      const created = await withDatabase((database) =>
        createApiToken(
          database.db,
          {
            username,
            name: options.name,
            permissions: options.permission,
            days: parsePositiveInt(options.days, '--days', 366),
          },
          actor(),
        ),
      );
      process.stdout.write(`${created.token}\n`);
      process.stderr.write(
        `令牌 ${created.id} 有效至 ${beijingDateTime(created.expiresAt)}，权限：${created.permissions.join('、')}\n`,
      );
    });
  token
    .command('list <用户名>')
    .description('列出账户的接口令牌（不含令牌本身）')
    .action(async (username: string) => {
      const tokens = await withDatabase((database) => tokensOf(database.db, username));
      printTable(
        ['编号', '名称', '权限', '有效至', '最近使用', '状态'],
        tokens.map((entry) => [
          entry.id,
          entry.name,
          entry.permissions.join(','),
          beijingDateTime(entry.expiresAt),
          beijingDateTime(entry.lastUsedAt) ?? '',
          entry.revokedAt ? '已撤销' : '有效',
        ]),
      );
    });
  token
    .command('revoke <编号>')
    .description('撤销接口令牌')
    .action(async (id: string) => {
      await withDatabase((database) => revokeToken(database.db, id, actor()));
      process.stdout.write(`已撤销令牌 ${id}\n`);
    });
}
