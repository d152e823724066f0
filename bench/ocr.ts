import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { generateItemBatch } from '../src/modules/demo/items.js';
import { formPageLines, renderScanPage } from '../src/modules/demo/scan-pages.js';
import { drainOcrQueue } from '../src/modules/scan/ocr.service.js';
import { addScan } from '../src/modules/scan/scan.service.js';
import { openSystem } from '../src/system/system.js';
import { SYSTEM } from '../test/helpers/fixture-access.js';
import { median } from './stats.js';

// OCR of scanned pages (A4, 300 dpi, greyscale, synthetic forms) through Yidang's queue — decrypting
// the stored scan, cutting out the page, Tesseract, storing text and confidence with its event —
// against the plain `tesseract page.png stdout -l chi_sim+eng` command over the same pages, one after
// another, in the same run. Also the character error rate of what was read, against the printed text.

const run = promisify(execFile);
const PAGES = Number(process.env.BENCH_OCR_PAGES ?? 12);
const LANGUAGES = 'chi_sim+eng';

function levenshtein(a: string[], b: string[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length] as number;
}
const bare = (text: string) => [...text.replace(/[\s:：]/g, '')];
const errorRate = (expected: string, actual: string) =>
  levenshtein(bare(expected), bare(actual)) / Math.max(1, bare(expected).length);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-ocr-'));
const texts: string[] = [];
const files: string[] = [];
for (let page = 1; page <= PAGES; page++) {
  const lines = formPageLines(1000 + page);
  texts.push(lines.join('\n'));
  const file = path.join(work, `page-${page}.png`);
  fs.writeFileSync(file, await renderScanPage({ lines }));
  files.push(file);
}

// The plain command, page after page, as an operator would run it over a folder of scans: once as
// installed (Tesseract's OpenMP threads on every core), once with one thread, as the queue runs it.
async function plainRun(env: NodeJS.ProcessEnv) {
  const seconds: number[] = [];
  const errors: number[] = [];
  const started = performance.now();
  for (const [index, file] of files.entries()) {
    const pageStarted = performance.now();
    const { stdout } = await run('tesseract', [file, 'stdout', '-l', LANGUAGES], {
      maxBuffer: 16 * 1024 * 1024,
      env,
    });
    seconds.push((performance.now() - pageStarted) / 1000);
    errors.push(errorRate(texts[index] as string, stdout));
  }
  return { perMinute: PAGES / ((performance.now() - started) / 60_000), seconds, errors };
}
const plain = await plainRun(process.env);
const plainSingle = await plainRun({ ...process.env, OMP_THREAD_LIMIT: '1' });
const plainPerMinute = plain.perMinute;

const home = path.join(work, 'home');
const system = await openSystem(
  loadConfig({ YIDANG_HOME: home, YIDANG_REPLICAS: 'r1=replica-1,r2=replica-2' }),
  {
    initialize: true,
  },
);
const settings = { command: 'tesseract', languages: LANGUAGES, concurrency: 1, minConfidence: 70 };
const context = { db: system.database.db, store: system.store, settings, access: SYSTEM };
try {
  const db = system.database.db;
  await createFonds(db, { code: 'B001', name: '基准测试局', regionCode: '320115' });
  const items = await fileItems(db, generateItemBatch('ocr', 'B001', '320115', 0, 2), 'bench', {
    access: SYSTEM,
  });
  const rounds: Array<{ concurrency: number; perMinute: number }> = [];
  for (const [round, concurrency] of [1, 2].entries()) {
    const code = items[round]?.archiveCode as string;
    for (const file of files)
      await addScan(
        context,
        code,
        { stream: fs.createReadStream(file), fileName: path.basename(file) },
        'bench',
      );
    const started = performance.now();
    const totals = await drainOcrQueue(context, { concurrency });
    if (totals.done !== PAGES) throw new Error(`OCR finished ${totals.done} of ${PAGES} pages`);
    rounds.push({ concurrency, perMinute: PAGES / ((performance.now() - started) / 60_000) });
  }
  const stored = await db
    .selectFrom('item_page_text')
    .innerJoin('scan_page', (join) =>
      join
        .onRef('scan_page.item_id', '=', 'item_page_text.item_id')
        .onRef('scan_page.page', '=', 'item_page_text.page'),
    )
    .select(['item_page_text.page', 'item_page_text.text', 'item_page_text.confidence'])
    .where('item_page_text.item_id', '=', items[0]?.id as number)
    .orderBy('item_page_text.page')
    .execute();
  const ourErrors = stored.map((row) => errorRate(texts[row.page - 1] as string, row.text));
  const confidence = median(stored.map((row) => Number(row.confidence)));
  const [single, double] = rounds as [(typeof rounds)[0], (typeof rounds)[0]];
  console.log(`  ${PAGES} A4 pages, 300 dpi greyscale, ${os.availableParallelism()} cores`);
  console.log(
    `  plain tesseract, page after page: ${plain.perMinute.toFixed(1)} pages/min (median ${median(plain.seconds).toFixed(2)} s/page), CER median ${(median(plain.errors) * 100).toFixed(2)}%`,
  );
  console.log(
    `  plain tesseract, OMP_THREAD_LIMIT=1: ${plainSingle.perMinute.toFixed(1)} pages/min (median ${median(plainSingle.seconds).toFixed(2)} s/page)`,
  );
  console.log(
    `  Yidang queue, 1 worker:  ${single.perMinute.toFixed(1)} pages/min — ${(single.perMinute / plainPerMinute).toFixed(2)}× plain, ${(single.perMinute / plainSingle.perMinute).toFixed(2)}× plain with one thread; CER median ${(median(ourErrors) * 100).toFixed(2)}%, confidence median ${confidence.toFixed(1)}`,
  );
  console.log(
    `  Yidang queue, 2 workers: ${double.perMinute.toFixed(1)} pages/min — ${(double.perMinute / plainPerMinute).toFixed(2)}× plain, ${(double.perMinute / plainSingle.perMinute).toFixed(2)}× plain with one thread`,
  );
} finally {
  await system.close();
  fs.rmSync(work, { recursive: true, force: true });
}
