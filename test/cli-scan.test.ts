// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formPageLines,
  renderScanPage,
  renderScanPdf,
  renderScanTiff,
} from '../src/modules/demo/scan-pages.js';
import {
  addUser,
  CLI_PASSWORD,
  type CliEnv,
  type CliResult,
  cliEnv,
  run,
  start,
  writeJson,
} from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { reimbursement } from './helpers/fixtures.js';
import { until } from './helpers/wait.js';

// `yidang scan`, `yidang ocr` and `yidang qc` end to end with the built binary: a scan in, a low one
// refused, OCR killed mid-page and run again without losing or repeating a page, and a batch
// sampled, judged and returned.

let database: TestDatabase | undefined;
let cli: CliEnv;
let code: string;
const CLERK = 'scan.clerk';
const REVIEWER = 'qc.reviewer';

function ok(result: CliResult): string {
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}
const save = (name: string, content: Buffer) => {
  const file = path.join(cli.home, name);
  fs.writeFileSync(file, content);
  return file;
};
const json = async <T>(args: string[]) => JSON.parse(ok(await run(cli, [...args, '--json']))) as T;
/** Command lines of a process's children (ps exits 1 when there are none). */
const childrenOf = (pid: number) => {
  try {
    return execFileSync('ps', ['-o', 'args=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return '';
  }
};
type Page = { imageName: string; ocrStatus: string; ocrAttempts: number; ocrCharacters: number | null };

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  cli.env.YIDANG_PASSWORD = CLI_PASSWORD;
  ok(await run(cli, ['init']));
  ok(await run(cli, ['fonds', 'add', '--code', 'J013', '--name', '江宁区医疗保障局', '--region', '320115']));
  await addUser(cli, ['clerk'], { username: CLERK });
  await addUser(cli, ['reviewer'], { username: REVIEWER });
  code = ok(
    await run(cli, ['item', 'add', '--file', writeJson(cli, 'item.json', reimbursement()), '--user', CLERK]),
  ).trim();
}, 180_000);
afterAll(() => database?.close());

describe('yidang scan and ocr', { timeout: 240_000 }, () => {
  it('adds a scan, refuses a low-resolution one in Chinese, and lists the pages', async () => {
    const tiff = save(
      'scan.tif',
      await renderScanTiff([1, 2, 3].map((seed) => ({ lines: formPageLines(seed).slice(0, 6) }))),
    );
    const added = await run(cli, ['scan', 'add', code, tiff, '--user', CLERK]);
    expect(ok(added)).toContain(`${code}-0001-0003.tif\t3 页\t分辨率合格`);
    expect(added.stderr, added.stderr).toMatch(/四性检测：通过（.*yidang check --run \d+）/);
    const low = save('low.png', await renderScanPage({ lines: ['低分辨率'], dpi: 200 }));
    const refused = await run(cli, ['scan', 'add', code, low, '--user', CLERK]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('第1页 200×200 dpi');
    const pages = await json<Page[]>(['scan', 'pages', code, '--user', CLERK]);
    expect(pages.map((page) => [page.imageName, page.ocrStatus])).toEqual(
      [1, 2, 3].map((n) => [`${code}-000${n}`, 'queued']),
    );
    // A good file then a refused one: the first stays attached, is reported, and the command fails.
    const good = save('p4.png', await renderScanPage({ lines: formPageLines(7).slice(0, 6) }));
    const mixed = await run(cli, ['scan', 'add', code, good, low, '--user', CLERK]);
    expect(mixed.code).toBe(1);
    expect(mixed.stdout).toContain(`${code}-0004.png\t1 页`);
    expect(mixed.stderr).toContain(`“${low}”未挂接`);
    expect(mixed.stderr).toMatch(/四性检测：通过/);
    expect(ok(await run(cli, ['scan', 'pages', code, '--user', CLERK]))).toMatch(
      /图像名.*分辨率\(dpi\)[\s\S]*300.*灰度.*排队/,
    );
  });

  it('survives `ocr run` killed in the middle of a page: the next run reads every page once', async () => {
    const pdf = save(
      'case.pdf',
      await renderScanPdf([4, 5, 6].map((seed) => ({ lines: formPageLines(seed).slice(0, 6) }))),
    );
    ok(await run(cli, ['scan', 'add', code, pdf, '--user', CLERK]));
    expect(await json<{ byStatus: { queued: number } }>(['ocr', 'status'])).toMatchObject({
      byStatus: { queued: 7 },
    });
    const worker = start(cli, ['ocr', 'run']);
    const exited = new Promise((resolve) => worker.on('close', resolve));
    // Killed while Tesseract reads a page for it (not while it asks Tesseract for its languages):
    // that page is leased to a process that is gone.
    await until(
      async () => /tesseract .* stdout /.test(childrenOf(worker.pid as number)),
      'a tesseract child of ocr run',
      120_000,
    );
    worker.kill('SIGKILL');
    await exited;
    const after = await json<{ byStatus: { running: number; done: number } }>(['ocr', 'status']);
    expect(after.byStatus.running).toBe(1);
    const rerun = ok(await run(cli, ['ocr', 'run']));
    expect(rerun).toMatch(/完成 \d 页，待重试 0 页，失败 0 页/);
    const status = await json<{ byStatus: Record<string, number> }>(['ocr', 'status']);
    expect(status.byStatus).toEqual({ queued: 0, running: 0, done: 7, failed: 0 });
    const pages = await json<Page[]>(['scan', 'pages', code, '--user', CLERK]);
    expect(pages.filter((page) => page.ocrAttempts === 2)).toHaveLength(1);
    expect(pages.every((page) => (page.ocrCharacters ?? 0) > 20)).toBe(true);
    // The form's title is on the scanned page only, not in the item's metadata.
    const title = formPageLines(5)[1] as string;
    const found = await json<{ total: number }>(['search', `"${title}"`, '--user', CLERK]);
    expect(found.total).toBe(1);
  });
});

describe('yidang qc', { timeout: 240_000 }, () => {
  it('creates a batch, samples it, takes verdicts, and returns it (exit 1) when too many are wrong', async () => {
    const id = ok(
      await run(cli, ['scan', 'batch', 'create', 'J013', '第一批', '--sample-rate', '0.5', '--user', CLERK]),
    ).trim();
    const pages = save(
      'batch.tif',
      await renderScanTiff([1, 2, 3, 4].map((n) => ({ lines: [`第${n}页`], widthMm: 40, heightMm: 30 }))),
    );
    ok(await run(cli, ['scan', 'add', code, pages, '--batch', id, '--user', CLERK]));
    expect((await run(cli, ['qc', 'sample', id, '--user', CLERK])).code).toBe(1);
    const report = await json<{ rounds: Array<{ samples: Array<{ archiveCode: string; page: number }> }> }>([
      'qc',
      'sample',
      id,
      '--user',
      REVIEWER,
    ]);
    const [first, second] = report.rounds[0]?.samples ?? [];
    const noReason = await run(cli, [
      'qc',
      'mark',
      id,
      code,
      String(first?.page),
      '--wrong',
      '--user',
      REVIEWER,
    ]);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain('须写明原因');
    ok(
      await run(cli, [
        'qc',
        'mark',
        id,
        code,
        String(first?.page),
        '--wrong',
        '--reason',
        '页面倾斜',
        '--user',
        REVIEWER,
      ]),
    );
    ok(await run(cli, ['qc', 'mark', id, code, String(second?.page), '--right', '--user', REVIEWER]));
    const decided = await run(cli, ['qc', 'decide', id, '--user', REVIEWER]);
    expect(decided.code).toBe(1);
    expect(decided.stdout).toContain('退回返工（不合格 1/2，差错率 50%）');
    expect(decided.stdout).toContain('页面倾斜');
    expect(ok(await run(cli, ['scan', 'batch', 'list', '--user', CLERK]))).toMatch(/第一批\s+退回返工\s+4/);
  });
});
