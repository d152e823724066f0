import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob, JobRuntime } from '../../src/modules/jobs/job.runtime.js';
import { type TestUser, testUser } from '../helpers/access.js';
import {
  type ConsoleServer,
  launchBrowser,
  openConsole,
  signIn,
  startConsoleServer,
} from '../helpers/browser.js';

// 副本与密钥 → 后台任务 in a real browser: the 系统管理员 sees a dead job with its error and retries it.

let server: ConsoleServer;
let browser: Browser;
let sysadmin: TestUser;
let dead = 0;
const db = () => server.system.database.db;

beforeAll(async () => {
  server = await startConsoleServer();
  browser = await launchBrowser();
  sysadmin = await testUser(db(), { roles: ['sysadmin'] });
  dead = (await enqueueJob(db(), {
    kind: 'check.after-filing',
    payload: { archiveCode: 'J013-WS·2024-D30-0009', actor: 'clerk' },
    maxAttempts: 1,
  })) as number;
  await new JobRuntime(db())
    .register({
      kind: 'check.after-filing',
      run: async () => {
        throw new Error('病毒库无法读取');
      },
    })
    .drain();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('后台任务', () => {
  it('lists the dead job with its error, and 重试 queues it again', async () => {
    const { page, errors, context } = await openConsole(browser, server);
    await signIn(page, sysadmin.username, { totpSecret: sysadmin.totpSecret });
    await page.goto('/admin/system');
    const card = page.locator('.ant-card').filter({ hasText: '后台任务' });
    await card.getByText('失败（死信） 1').waitFor();
    const row = card.locator('tr').filter({ hasText: '归档后四性检测' });
    await row.getByText('病毒库无法读取').waitFor();
    await expect(row.getByText('J013-WS·2024-D30-0009').count()).resolves.toBe(1);
    await row.getByRole('button', { name: '重试' }).click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: '重试' }).click();
    await page.getByText(`任务 ${dead} 已重新排队`).waitFor();
    const job = await db()
      .selectFrom('job')
      .select(['state', 'attempts'])
      .where('id', '=', dead)
      .executeTakeFirst();
    expect(job).toEqual({ state: 'queued', attempts: 0 });
    const events = await db()
      .selectFrom('integrity_event')
      .select('actor')
      .where('action', '=', 'job.retried')
      .execute();
    expect(events).toEqual([{ actor: sysadmin.username }]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
