import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  BAG_PROBLEMS,
  type BagProblem,
  type BagProblemCode,
  decodeManifestPath,
  parseTagFile,
  splitLines,
  type TagField,
} from './bag.parse.js';

// Validating a received bag against every MUST of RFC 8493 (BagIt 1.0): the declaration, the payload
// directory, the payload and tag manifests, their digests and Payload-Oxum. Nothing in the bag is
// trusted: every name is checked before it is opened, links and special files are refused, and each
// problem names the file and what is wrong, so a tampered bag is rejected saying exactly where.

/** Digest algorithms read in manifests; anything else is refused rather than skipped. */
export const BAG_ALGORITHMS = { sha256: 'sha256', sha512: 'sha512', sm3: 'sm3' } as const;
export type BagAlgorithm = keyof typeof BAG_ALGORITHMS;

export interface PayloadFile {
  /** Bag-relative path, decoded, with `/` separators (`data/…`). */
  path: string;
  size: number;
  /** Hex digests computed while validating, per algorithm of the bag's manifests. */
  digests: Partial<Record<BagAlgorithm, string>>;
}

export interface BagReport {
  ok: boolean;
  problems: BagProblem[];
  /** Things RFC 8493 says SHOULD (not MUST): reported, never a reason to reject. */
  warnings: BagProblem[];
  algorithms: BagAlgorithm[];
  info: TagField[];
  payload: PayloadFile[];
  /** Digest of each tag manifest's bytes in its own algorithm (the receipt names the bag by it). */
  tagManifestDigests: Partial<Record<BagAlgorithm, string>>;
  octets: number;
}

export interface ValidateOptions {
  /** Files hashed at once; small files are many in a bag of 件. */
  concurrency?: number;
}

const MANIFEST = /^manifest-([^.]+)\.txt$/;
const TAGMANIFEST = /^tagmanifest-([^.]+)\.txt$/;

function problem(code: BagProblemCode, detail: string, where?: string): BagProblem {
  return where === undefined ? { code, message: detail } : { code, path: where, message: detail };
}

interface Walked {
  /** Files by bag-relative path. */
  files: Map<string, number>;
  problems: BagProblem[];
}

/** Lists every regular file under dir (relative, `/`-separated), refusing links and special files. */
async function walk(root: string): Promise<Walked> {
  const files = new Map<string, number>();
  const problems: BagProblem[] = [];
  const visit = async (rel: string): Promise<void> => {
    const entries = await fsp.readdir(path.join(root, rel), { withFileTypes: true });
    for (const entry of entries) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isSymbolicLink()) {
        problems.push(problem('BAG_LINK', `包内含有链接“${child}”，不予接收`, child));
      } else if (entry.isDirectory()) {
        await visit(child);
      } else if (entry.isFile()) {
        const stat = await fsp.lstat(path.join(root, child));
        files.set(child, stat.size);
      } else {
        problems.push(problem('BAG_LINK', `包内含有特殊文件“${child}”（设备、管道或套接字）`, child));
      }
    }
  };
  await visit('');
  return { files, problems };
}

async function readText(root: string, rel: string, problems: BagProblem[]): Promise<string | undefined> {
  const bytes = await fsp.readFile(path.join(root, rel));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    problems.push(problem('BAG_TAG_FILE_ENCODING', `标签文件“${rel}”不是有效的 UTF-8 文本`, rel));
    return undefined;
  }
}

function checkDeclaration(text: string | undefined, raw: Buffer, problems: BagProblem[]): void {
  if (raw.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))) {
    problems.push(problem('BAG_DECLARATION_INVALID', 'bagit.txt 不得带字节顺序标记（BOM）', 'bagit.txt'));
    return;
  }
  if (text === undefined) return;
  const lines = splitLines(text);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const version = /^BagIt-Version: (\d+)\.(\d+)$/.exec(lines[0] ?? '');
  const encoding = /^Tag-File-Character-Encoding: (.+)$/.exec(lines[1] ?? '');
  if (lines.length !== 2 || !version || !encoding) {
    problems.push(
      problem(
        'BAG_DECLARATION_INVALID',
        'bagit.txt 应恰好两行：“BagIt-Version: 1.0”和“Tag-File-Character-Encoding: UTF-8”',
        'bagit.txt',
      ),
    );
    return;
  }
  if (`${version[1]}.${version[2]}` !== '1.0') {
    problems.push(
      problem(
        'BAG_VERSION_UNSUPPORTED',
        `不支持的 BagIt 版本 ${version[1]}.${version[2]}（应为 1.0）`,
        'bagit.txt',
      ),
    );
  }
  if (encoding[1]?.trim().toUpperCase() !== 'UTF-8') {
    problems.push(
      problem('BAG_ENCODING_UNSUPPORTED', `不支持的标签文件编码“${encoding[1]}”（应为 UTF-8）`, 'bagit.txt'),
    );
  }
}

interface Manifest {
  file: string;
  algorithm: BagAlgorithm;
  entries: Map<string, string>;
}

/** Why a decoded manifest path may not be used, or undefined when it is a plain relative path. */
function unsafePath(p: string): string | undefined {
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return '是绝对路径';
  if (p.includes('\\')) return '含有反斜杠（路径分隔符只能是“/”）';
  if (p.includes('\0')) return '含有空字符';
  const parts = p.split('/');
  if (parts.some((s) => s === '..' || s === '.' || s === '')) return '含有“..”“.”或空的路径段';
  return undefined;
}

async function readManifest(
  root: string,
  file: string,
  algorithm: BagAlgorithm,
  payload: boolean,
  problems: BagProblem[],
): Promise<Manifest> {
  const entries = new Map<string, string>();
  const text = await readText(root, file, problems);
  const hexLength = crypto.createHash(BAG_ALGORITHMS[algorithm]).digest().length * 2;
  for (const [n, line] of splitLines(text ?? '').entries()) {
    if (line === '') continue;
    const where = `${file} 第 ${n + 1} 行`;
    const m = /^([0-9A-Fa-f]+)[ \t]+(.+)$/.exec(line);
    if (!m?.[1] || !m[2] || m[1].length !== hexLength) {
      problems.push(problem('BAG_MANIFEST_LINE_INVALID', `${where}格式不对（应为“摘要值 路径”）`, file));
      continue;
    }
    const decoded = decodeManifestPath(m[2]);
    if (decoded === undefined) {
      problems.push(
        problem('BAG_PATH_ENCODING', `${where}的路径含有未编码的“%”（只允许 %0A、%0D、%25）`, m[2]),
      );
      continue;
    }
    const unsafe = unsafePath(decoded);
    if (unsafe !== undefined || (payload && !decoded.startsWith('data/'))) {
      problems.push(
        problem(
          'BAG_PATH_OUTSIDE_PAYLOAD',
          `${where}的路径“${decoded}”${unsafe ?? '不在 data/ 目录下'}`,
          decoded,
        ),
      );
      continue;
    }
    if (!payload && decoded.startsWith('data/')) {
      problems.push(
        problem('BAG_TAGMANIFEST_INVALID', `${where}：标签清单不得列出载荷文件“${decoded}”`, decoded),
      );
      continue;
    }
    if (entries.has(decoded)) {
      problems.push(problem('BAG_MANIFEST_DUPLICATE', `${where}：“${decoded}”重复列出`, decoded));
      continue;
    }
    entries.set(decoded, m[1].toLowerCase());
  }
  return { file, algorithm, entries };
}

/** Hashes one file with every algorithm at once, in one read. */
async function hashFile(file: string, algorithms: BagAlgorithm[]): Promise<Record<string, string>> {
  const hashes = algorithms.map((a) => [a, crypto.createHash(BAG_ALGORITHMS[a])] as const);
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) for (const [, h] of hashes) h.update(chunk as Buffer);
  return Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')]));
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, run));
}

function findManifests(
  files: Map<string, number>,
  pattern: RegExp,
  problems: BagProblem[],
): { file: string; algorithm: BagAlgorithm }[] {
  const found: { file: string; algorithm: BagAlgorithm }[] = [];
  for (const file of [...files.keys()].sort()) {
    const m = pattern.exec(file);
    if (!m?.[1]) continue;
    if (!Object.hasOwn(BAG_ALGORITHMS, m[1])) {
      problems.push(
        problem(
          'BAG_ALGORITHM_UNSUPPORTED',
          `不支持的摘要算法“${m[1]}”（${file}）；可用 sha256、sha512 或 sm3`,
          file,
        ),
      );
      continue;
    }
    found.push({ file, algorithm: m[1] as BagAlgorithm });
  }
  return found;
}

function checkOxum(info: TagField[], files: PayloadFile[], problems: BagProblem[]): void {
  const oxums = info.filter((f) => f.label === 'Payload-Oxum');
  if (oxums.length === 0) return;
  const m = oxums.length === 1 ? /^(\d+)\.(\d+)$/.exec(oxums[0]?.value.trim() ?? '') : null;
  if (!m) {
    problems.push(
      problem(
        'BAG_OXUM_INVALID',
        'bag-info.txt 的 Payload-Oxum 应出现一次，形如“字节数.文件数”',
        'bag-info.txt',
      ),
    );
    return;
  }
  const octets = files.reduce((sum, f) => sum + f.size, 0);
  if (Number(m[1]) !== octets || Number(m[2]) !== files.length) {
    problems.push(
      problem(
        'BAG_OXUM_MISMATCH',
        `Payload-Oxum 为 ${m[1]}.${m[2]}，实际载荷为 ${octets} 字节、${files.length} 个文件`,
        'bag-info.txt',
      ),
    );
  }
}

/**
 * Validates the bag in `dir` (RFC 8493 §3: complete and valid). Never throws on a bad bag: every
 * problem found is listed; `ok` only when there are none.
 */
export async function validateBag(dir: string, options: ValidateOptions = {}): Promise<BagReport> {
  const problems: BagProblem[] = [];
  const warnings: BagProblem[] = [];
  const report = (payload: PayloadFile[] = [], info: TagField[] = [], algorithms: BagAlgorithm[] = []) => ({
    ok: problems.length === 0,
    problems,
    warnings,
    algorithms,
    info,
    payload,
    tagManifestDigests: {},
    octets: payload.reduce((s, f) => s + f.size, 0),
  });
  const top = await fsp.lstat(dir).catch(() => undefined);
  if (!top?.isDirectory()) {
    problems.push(problem('BAG_NOT_FOUND', `“${dir}”不是目录`));
    return report();
  }
  const { files, problems: walkProblems } = await walk(dir);
  problems.push(...walkProblems);

  // §2.1.1 the declaration
  if (!files.has('bagit.txt')) {
    problems.push(problem('BAG_DECLARATION_MISSING', '缺少 bagit.txt（包声明）', 'bagit.txt'));
  } else {
    const raw = await fsp.readFile(path.join(dir, 'bagit.txt'));
    checkDeclaration(await readText(dir, 'bagit.txt', problems), raw, problems);
  }
  // §2.1.2 the payload directory
  const dataStat = await fsp.lstat(path.join(dir, 'data')).catch(() => undefined);
  if (!dataStat?.isDirectory()) {
    problems.push(problem('BAG_PAYLOAD_DIR_MISSING', '缺少载荷目录 data/', 'data/'));
  }
  if (files.has('fetch.txt')) {
    problems.push(
      problem('BAG_FETCH_UNSUPPORTED', '包含 fetch.txt：不接收需从网络补取文件的包', 'fetch.txt'),
    );
  }
  // §2.2.2 bag-info.txt
  let info: TagField[] = [];
  if (files.has('bag-info.txt')) {
    const text = await readText(dir, 'bag-info.txt', problems);
    const parsed = parseTagFile(text ?? '');
    info = parsed.fields;
    for (const line of parsed.badLines) {
      problems.push(
        problem('BAG_INFO_INVALID', `bag-info.txt 第 ${line} 行不是“标签: 值”的形式`, 'bag-info.txt'),
      );
    }
  }

  // §2.1.3 payload manifests
  const payloadManifests: Manifest[] = [];
  for (const { file, algorithm } of findManifests(files, MANIFEST, problems)) {
    payloadManifests.push(await readManifest(dir, file, algorithm, true, problems));
  }
  if (payloadManifests.length === 0 && !problems.some((p) => p.code === 'BAG_ALGORITHM_UNSUPPORTED')) {
    problems.push(problem('BAG_MANIFEST_MISSING', '缺少载荷清单 manifest-<算法>.txt'));
  }
  const payloadFiles = [...files.keys()].filter((f) => f.startsWith('data/')).sort();
  const payloadSet = new Set(payloadFiles);
  for (const manifest of payloadManifests) {
    for (const listed of manifest.entries.keys()) {
      if (!payloadSet.has(listed)) {
        problems.push(
          problem('BAG_PAYLOAD_FILE_MISSING', `${manifest.file} 列出的“${listed}”在包中不存在`, listed),
        );
      }
    }
    for (const present of payloadFiles) {
      if (!manifest.entries.has(present)) {
        problems.push(
          problem('BAG_PAYLOAD_FILE_UNLISTED', `“${present}”在包中但未列入 ${manifest.file}`, present),
        );
      }
    }
  }

  // §2.2.1 tag manifests
  const tagManifests: Manifest[] = [];
  for (const { file, algorithm } of findManifests(files, TAGMANIFEST, problems)) {
    tagManifests.push(await readManifest(dir, file, algorithm, false, problems));
  }
  for (const tm of tagManifests) {
    for (const pm of payloadManifests) {
      if (!tm.entries.has(pm.file)) {
        problems.push(problem('BAG_TAGMANIFEST_INVALID', `${tm.file} 未列出载荷清单 ${pm.file}`, pm.file));
      }
    }
    for (const listed of tm.entries.keys()) {
      if (TAGMANIFEST.test(listed)) {
        problems.push(problem('BAG_TAGMANIFEST_INVALID', `${tm.file} 不得列出标签清单 ${listed}`, listed));
      } else if (!files.has(listed)) {
        problems.push(problem('BAG_TAG_FILE_MISSING', `${tm.file} 列出的“${listed}”在包中不存在`, listed));
      }
    }
    for (const tagFile of files.keys()) {
      if (!tagFile.startsWith('data/') && !TAGMANIFEST.test(tagFile) && !tm.entries.has(tagFile)) {
        warnings.push(problem('BAG_TAG_FILE_UNLISTED', `标签文件“${tagFile}”未列入 ${tm.file}`, tagFile));
      }
    }
  }

  // §3 valid: every digest of every manifest
  const algorithms = [...new Set(payloadManifests.map((m) => m.algorithm))];
  const payload: PayloadFile[] = [];
  await inParallel(payloadFiles, options.concurrency ?? 4, async (rel) => {
    const digests = algorithms.length > 0 ? await hashFile(path.join(dir, rel), algorithms) : {};
    payload.push({ path: rel, size: files.get(rel) ?? 0, digests });
    for (const manifest of payloadManifests) {
      const expected = manifest.entries.get(rel);
      if (expected !== undefined && expected !== digests[manifest.algorithm]) {
        problems.push(
          problem(
            'BAG_DIGEST_MISMATCH',
            `“${rel}”的 ${manifest.algorithm} 摘要与 ${manifest.file} 不符`,
            rel,
          ),
        );
      }
    }
  });
  payload.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const tagManifestDigests: Partial<Record<BagAlgorithm, string>> = {};
  for (const tm of tagManifests) {
    const own = await hashFile(path.join(dir, tm.file), [tm.algorithm]);
    tagManifestDigests[tm.algorithm] = own[tm.algorithm];
    for (const [listed, expected] of tm.entries) {
      if (!files.has(listed) || TAGMANIFEST.test(listed)) continue;
      const actual = await hashFile(path.join(dir, listed), [tm.algorithm]);
      if (actual[tm.algorithm] !== expected) {
        problems.push(
          problem(
            'BAG_DIGEST_MISMATCH',
            `标签文件“${listed}”的 ${tm.algorithm} 摘要与 ${tm.file} 不符`,
            listed,
          ),
        );
      }
    }
  }
  checkOxum(info, payload, problems);
  return { ...report(payload, info, algorithms), tagManifestDigests };
}

/** The Chinese description of each problem code (for the console and the receipt). */
export { BAG_PROBLEMS };
export type { BagProblem, BagProblemCode, TagField };
