import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { type App, buildApp } from '../../src/http/app.js';
import { CONSOLE_DIR, consoleBuilt } from '../../src/http/console.js';
import { totpCode } from '../../src/modules/access/totp.js';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { TEST_PASSWORD } from './access.js';
import { FONDS } from './fixtures.js';
import { openTestSystem, type TestSystem } from './system.js';

// The web console in a real browser: Debian's chromium driven by playwright-core, headless, against
// a real server on loopback over a test system (PGlite or PostgreSQL, like every other test).

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
export const CHROMIUM = process.env.YIDANG_CHROMIUM ?? CHROMIUM_PATHS.find((file) => fs.existsSync(file));
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

export interface ConsoleServer {
  url: string;
  system: TestSystem;
  app: App;
  close(): Promise<void>;
}

/** A test system with the demo-free fonds J013 and the console served on a free loopback port. */
export async function startConsoleServer(): Promise<ConsoleServer> {
  if (!consoleBuilt()) throw new Error(`管理台尚未构建（${CONSOLE_DIR} 不存在）：请先运行 npm run build`);
  const system = await openTestSystem();
  const app = await buildApp({
    database: system.database,
    store: system.store,
    signingKey: system.signingKey,
    control: { system, token: 'browser-test' },
  });
  await createFonds(system.database.db, FONDS, 'test');
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    system,
    app,
    close: async () => {
      await app.close();
      await system.dispose();
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM)
    throw new Error('未找到 chromium：Debian 上运行 apt-get install chromium（或设置 YIDANG_CHROMIUM）');
  // Root in a container has no user namespaces for chromium's sandbox.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page; a test ends by expecting none. */
  errors: string[];
}

/** A fresh browser context (its own cookies) at the console's address. */
export async function openConsole(browser: Browser, server: ConsoleServer): Promise<ConsolePage> {
  const context = await browser.newContext({
    baseURL: server.url,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // A failed request is logged by the browser as well as shown in the page; React errors are not.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      errors.push(message.text());
  });
  return { context, page, errors };
}

/** Signs in through the login form, with the dynamic code when the account has a second factor. */
export async function signIn(
  page: Page,
  username: string,
  options: { password?: string; totpSecret?: string | null } = {},
): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('口令').fill(options.password ?? TEST_PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  if (options.totpSecret) {
    const code = page.getByLabel('动态口令');
    await code.waitFor();
    await code.fill(totpCode(options.totpSecret));
    await page.getByRole('button', { name: '登录' }).click();
  }
  await page.getByRole('button', { name: '退出' }).waitFor();
}

/**
 * Clicks `target` until `done` holds. A click landing while a dropdown or popover still opens or closes
 * can be lost on a loaded machine; `ready` keeps a click from landing while the last one still takes
 * effect (the control is disabled or already switched).
 */
export async function clickUntil(
  target: Locator,
  done: () => Promise<boolean>,
  ready: () => Promise<boolean> = () => target.isEnabled(),
): Promise<void> {
  await expect
    .poll(
      async () => {
        if (!(await done()) && (await ready())) await target.click();
        return done();
      },
      { interval: 1000, timeout: 15_000 },
    )
    .toBe(true);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Fails when Chinese renders as empty boxes: with no CJK font, every missing glyph is drawn as the
 * same box, so two different characters in the page's own font come out pixel for pixel the same.
 */
export async function expectChineseGlyphs(page: Page): Promise<void> {
  // Evaluated in the page, written as a string: the test's own TypeScript has no DOM types.
  const result = (await page.evaluate(`(() => {
    const font = getComputedStyle(document.body).fontFamily;
    const draw = (text) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 64;
      const context = canvas.getContext('2d');
      context.font = '40px ' + font;
      context.fillText(text, 8, 48);
      return canvas.toDataURL();
    };
    const blank = draw('');
    const first = draw('档');
    return { font, distinct: first !== draw('医') && first !== blank, tofuLike: first === draw('\\u{10FFFD}') };
  })()`)) as { font: string; distinct: boolean; tofuLike: boolean };
  expect(result, `页面字体 ${result.font} 画不出汉字（缺少 fonts-noto-cjk？）`).toEqual({
    font: result.font,
    distinct: true,
    tofuLike: false,
  });
}
