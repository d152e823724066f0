import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { runningServer } from '../src/system/server-file.js';
import { median } from './stats.js';

// The web console on a large embedded database, as a user meets it: the built server over a PGlite
// home filled by `yidang demo` (and indexed), Debian's chromium signing in, then the time from
// navigation until the dashboard's charts are drawn and until a search's hits are shown. Each is
// compared with the API calls behind it, timed alone in the same run, so the ratio is what the
// browser adds (loading the bundle, React, drawing).

const ITEMS = Number(process.env.BENCH_CONSOLE_ITEMS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_CONSOLE_ROUNDS ?? 5);
const keptHome = process.env.BENCH_CONSOLE_HOME;
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) => fs.existsSync(file));
const PASSWORD = 'Bench-Console-Passw0rd!';

if (!CHROMIUM) {
  console.log('console: skipped (no chromium; apt-get install chromium)');
} else {
  const home = keptHome ?? fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-console-bench-'));
  const env = { ...process.env, YIDANG_HOME: home, DATABASE_URL: '', YIDANG_OCR_CONCURRENCY: '0' };
  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, ['bin/yidang.js', ...args], {
      env: { ...env, YIDANG_NEW_PASSWORD: PASSWORD },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`yidang ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  if (!fs.existsSync(path.join(home, 'bench-console-ready'))) {
    const started = performance.now();
    cli('demo', '--items', String(ITEMS));
    cli('reindex');
    cli('user', 'add', 'bench-archivist', '--role', 'archivist', '--scope', 'D001/*/*', '--name', '基准测试');
    fs.writeFileSync(path.join(home, 'bench-console-ready'), String(ITEMS));
    console.log(
      `  loaded ${ITEMS} demo items and indexed them in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  const items = Number(fs.readFileSync(path.join(home, 'bench-console-ready'), 'utf8'));

  const server: ChildProcess = spawn(process.execPath, ['bin/yidang.js', 'serve', '--port', '0'], {
    env,
    stdio: 'ignore',
  });
  try {
    let url: string | undefined;
    for (let tries = 0; tries < 600 && !url; tries += 1) {
      url = runningServer(home)?.url;
      if (!url) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!url) throw new Error('server did not start');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox'],
    });
    const timings = {
      dashboard: [] as number[],
      search: [] as number[],
      overviewApi: [] as number[],
      searchApi: [] as number[],
    };
    const query = encodeURIComponent('门诊');
    for (let round = 0; round <= ROUNDS; round += 1) {
      // A fresh context each round: no cached bundle, as on a clerk's first visit of the day.
      const context = await browser.newContext({ baseURL: url, locale: 'zh-CN' });
      const page = await context.newPage();
      const login = await page.request.post('/api/v1/auth/login', {
        data: { username: 'bench-archivist', password: PASSWORD },
      });
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      // The page keeps the token where the console's client does (the bench has no DOM types).
      await page.addInitScript(`localStorage.setItem('yidang.csrf', ${JSON.stringify(csrfToken)})`);
      const dashboard = await timeUntil(page, '/', '[aria-label="按年度统计的档案件数"] svg path');
      const search = await timeUntil(page, `/search?q=${query}`, '[data-testid="search-hit"]');
      let started = performance.now();
      await page.request.get('/api/v1/stats/overview');
      const overviewApi = performance.now() - started;
      started = performance.now();
      await page.request.get(`/api/v1/search?q=${query}`);
      const searchApi = performance.now() - started;
      if (round > 0) {
        // Round 0 warms the server's caches and is not counted.
        timings.dashboard.push(dashboard);
        timings.search.push(search);
        timings.overviewApi.push(overviewApi);
        timings.searchApi.push(searchApi);
      }
      await context.close();
    }
    await browser.close();
    const line = (name: string, page: number[], api: number[]) =>
      console.log(
        `  ${name}: interactive in ${median(page).toFixed(0)} ms (median of ${page.length}; aim < 2000) | ` +
          `its API call alone ${median(api).toFixed(0)} ms | ratio ${(median(page) / median(api)).toFixed(1)}`,
      );
    console.log(`  ${items} items on PGlite, fresh browser context each round (bundle not cached)`);
    line('dashboard', timings.dashboard, timings.overviewApi);
    line('search 门诊', timings.search, timings.searchApi);
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    if (!keptHome) fs.rmSync(home, { recursive: true, force: true });
  }
}

/** Milliseconds from the start of navigation until `selector` is in the page. */
async function timeUntil(page: Page, target: string, selector: string): Promise<number> {
  await page.goto(target, { waitUntil: 'commit' });
  await page.waitForSelector(selector, { state: 'attached', timeout: 60_000 });
  return page.evaluate(() => performance.now());
}
