import readline from 'node:readline';
import type { Db } from '../db/database.js';
import {
  authorize,
  type ItemScope,
  itemScopeOf,
  type Principal,
  principalContext,
} from '../modules/access/principal.js';
import type { Permission } from '../modules/access/roles.js';
import { signIn, signOut } from '../modules/access/session.service.js';
import type { PrincipalContext } from '../shared/access-context.js';
import { invalid, isYidangError } from '../shared/errors.js';

// Archive content read or written from the command line goes through the same sign-in, roles and
// scope as the API: --user (or YIDANG_USER) names the account, the password comes from
// YIDANG_PASSWORD or is typed at a hidden prompt, and the second factor from YIDANG_TOTP or a prompt.

export interface CliUser {
  principal: Principal;
  scope: ItemScope;
  /** What the services take: the principal with their scope, masked (see withDisclosure for --unmask). */
  access: PrincipalContext;
  /** Recorded as the author of changes and reads. */
  actor: string;
}

/** Reads a line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY)
    return Promise.reject(invalid('NOT_A_TERMINAL', `${question}：不在终端上运行，请用环境变量提供`));
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput: (text: string) => void };
    process.stderr.write(`${question}：`);
    output._writeToOutput = () => {};
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

export async function asCliUser<T>(
  db: Db,
  username: string | undefined,
  permission: Permission,
  work: (user: CliUser) => Promise<T>,
): Promise<T> {
  const name = username ?? process.env.YIDANG_USER?.trim();
  if (!name)
    throw invalid(
      'USER_REQUIRED',
      '查阅或归档档案须用 --user 指定账户（口令由环境变量 YIDANG_PASSWORD 提供，或在终端输入）',
    );
  const password = process.env.YIDANG_PASSWORD ?? (await promptHidden(`账户 ${name} 的口令`));
  const credentials = { username: name, password, totp: process.env.YIDANG_TOTP, clientAddress: 'cli' };
  let session: Awaited<ReturnType<typeof signIn>>;
  try {
    session = await signIn(db, credentials);
  } catch (error) {
    if (!isYidangError(error) || error.code !== 'TOTP_REQUIRED' || credentials.totp !== undefined)
      throw error;
    session = await signIn(db, { ...credentials, totp: await promptHidden('动态口令（6 位数字）') });
  }
  try {
    authorize(session.principal, permission);
    const scope = await itemScopeOf(db, session.principal);
    return await work({
      principal: session.principal,
      scope,
      access: principalContext(session.principal, scope),
      actor: session.principal.username,
    });
  } finally {
    await signOut(db, session.sessionToken, session.principal);
  }
}
