import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { OcrSettings } from '../../config/config.js';
import type { ScanFormat } from './scan.analyse.js';

// The native Tesseract engine, one process per page. Its TSV output gives each word's confidence;
// the text is rebuilt from the words line by line, without the spaces Tesseract puts between
// Chinese characters (门诊 费用 → 门诊费用), which would break phrase search.

const run = promisify(execFile);

export interface Recognised {
  text: string;
  /** Mean word confidence weighted by characters (0–100); null when no word was found. */
  confidence: number | null;
  characters: number;
}

/** Han characters, CJK punctuation and full-width forms: no space belongs between two of them. */
const CJK = '\\u3000-\\u303f\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uff00-\\uffef';
const CJK_GAP = new RegExp(`(?<=[${CJK}])\\s+(?=[${CJK}])`, 'g');

export function removeCjkSpaces(text: string): string {
  return text.replace(CJK_GAP, '');
}

/** Rebuilds text and confidence from `tesseract … tsv` output. */
export function parseTesseractTsv(tsv: string): Recognised {
  const lines = new Map<string, string[]>();
  let weighted = 0;
  let characters = 0;
  let lastBlock = '';
  const blocks: string[][] = [];
  for (const row of tsv.split('\n').slice(1)) {
    const cells = row.split('\t');
    if (cells[0] !== '5' || cells.length < 12) continue;
    const word = cells.slice(11).join('\t').trim();
    const confidence = Number(cells[10]);
    if (word === '' || !(confidence >= 0)) continue;
    const block = cells[2] ?? '';
    const lineKey = `${block}.${cells[3]}.${cells[4]}`;
    if (block !== lastBlock) {
      blocks.push([]);
      lastBlock = block;
    }
    if (!lines.has(lineKey)) {
      lines.set(lineKey, []);
      blocks[blocks.length - 1]?.push(lineKey);
    }
    lines.get(lineKey)?.push(word);
    const length = [...word].length;
    weighted += confidence * length;
    characters += length;
  }
  const text = blocks
    .map((keys) => keys.map((key) => removeCjkSpaces((lines.get(key) ?? []).join(' '))).join('\n'))
    .join('\n\n');
  return {
    text,
    confidence: characters > 0 ? Math.round((weighted / characters) * 10) / 10 : null,
    characters: [...text.replace(/\s/g, '')].length,
  };
}

/** Why OCR cannot run here (the engine or a language is missing), or null when it can. */
export async function ocrUnavailable(settings: OcrSettings): Promise<string | null> {
  let listing: string;
  try {
    const result = await run(settings.command, ['--list-langs'], { timeout: 30_000 });
    listing = `${result.stdout}\n${result.stderr}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `未找到 OCR 引擎“${settings.command}”（请安装 tesseract-ocr 与 tesseract-ocr-chi-sim）`
      : `OCR 引擎无法运行：${(error as Error).message.split('\n')[0]}`;
  }
  const installed = new Set(listing.split('\n').map((line) => line.trim()));
  const missing = settings.languages.split('+').filter((language) => !installed.has(language));
  return missing.length > 0 ? `OCR 引擎缺少语言包：${missing.join('、')}（如 tesseract-ocr-chi-sim）` : null;
}

/**
 * Writes one page of a scanned file as a greyscale PNG Tesseract can read: TIFF pages are cut out
 * with sharp, PDF pages rendered by poppler at the page's own resolution.
 */
export async function pageImage(
  source: string,
  format: ScanFormat,
  pageInFile: number,
  dpi: number,
  outDir: string,
): Promise<string> {
  const target = path.join(outDir, `page-${pageInFile}`);
  if (format === 'pdf') {
    await run(
      'pdftoppm',
      [
        '-f',
        String(pageInFile),
        '-l',
        String(pageInFile),
        '-r',
        String(dpi),
        '-gray',
        '-png',
        '-singlefile',
        source,
        target,
      ],
      { timeout: 300_000 },
    );
    return `${target}.png`;
  }
  await sharp(source, { page: pageInFile - 1, limitInputPixels: 400_000_000 })
    .greyscale()
    .withMetadata({ density: dpi })
    .png({ compressionLevel: 1 })
    .toFile(`${target}.png`);
  return `${target}.png`;
}

/** Recognises one page image. One thread per process: pages run side by side instead. */
export async function recognise(image: string, dpi: number, settings: OcrSettings): Promise<Recognised> {
  const { stdout } = await run(
    settings.command,
    [image, 'stdout', '-l', settings.languages, '--dpi', String(dpi), 'tsv'],
    { timeout: 600_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, OMP_THREAD_LIMIT: '1' } },
  );
  return parseTesseractTsv(stdout);
}
