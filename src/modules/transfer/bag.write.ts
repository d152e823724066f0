import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalid, YidangError } from '../../shared/errors.js';
import { hasBadText } from '../../shared/well-formed.js';
import { encodeManifestPath } from './bag.parse.js';

// A BagIt 1.0 bag (RFC 8493) written as a stream: each payload file is hashed while it is written,
// its manifest line appended at once, so memory stays flat whatever the bag's size. The bag is built
// in `<dir>.partial` and renamed into place only when its tag manifest is written: a directory named
// like the bag is always a whole bag, and a half-written one is simply removed and written again.

export type BagDigest = 'sha256' | 'sm3';

export interface BagInfo {
  sourceOrganization: string;
  organizationAddress?: string;
  contactName?: string;
  /** YYYY-MM-DD (Beijing time). */
  baggingDate: string;
  /** The transfer batch's code (YJ-…). */
  externalIdentifier: string;
  transferKind: 'fonds' | 'person';
  /** The signing key's SubjectPublicKeyInfo, base64 DER. */
  signingKey: string;
  /** Further labels, in order (never Payload-Oxum or Bag-Size, which the writer computes). */
  extra?: ReadonlyArray<readonly [string, string]>;
}

export interface BagSummary {
  dir: string;
  digest: BagDigest;
  payloadOxum: { octets: number; count: number };
  /** Digest of tagmanifest-<alg>.txt: the one value naming the whole bag (receipts quote it). */
  tagmanifestDigest: string;
}

export interface WrittenFile {
  /** Bag-relative, e.g. data/0001-…/files/申请表.pdf. */
  path: string;
  size: number;
  digest: string;
}

const MAX_PATH_CHARS = 1024;
const MAX_SEGMENT_BYTES = 255;

const unsafe = (name: string, why: string) =>
  invalid('BAG_PATH_UNSAFE', `包内路径“${[...name].slice(0, 120).join('')}”不安全：${why}`);

/**
 * A bag-relative path made safe, or refused: NFC, '/'-separated, no empty, '.' or '..' segment, not
 * absolute, no backslash or drive letter, no control character, each segment at most 255 bytes. The
 * receiving side checks incoming names with the same function, so both ends agree on what is safe.
 */
export function safeBagPath(relative: string): string {
  if (typeof relative !== 'string' || relative === '') throw unsafe(String(relative), '为空');
  const name = relative.normalize('NFC');
  if (name.length > MAX_PATH_CHARS) throw unsafe(name, `超过 ${MAX_PATH_CHARS} 个字符`);
  // C0, DEL and C1 controls; lone surrogates cannot be written as UTF-8 either.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(name)) throw unsafe(name, '含有控制字符');
  if (hasBadText(name)) throw unsafe(name, '含有无效的 Unicode 字符');
  if (name.includes('\\')) throw unsafe(name, '含有反斜杠');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw unsafe(name, '是绝对路径');
  for (const segment of name.split('/')) {
    if (segment === '') throw unsafe(name, '含有空的路径段');
    if (segment === '.' || segment === '..') throw unsafe(name, '含有“.”或“..”');
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
      throw unsafe(name, `某一段超过 ${MAX_SEGMENT_BYTES} 字节`);
  }
  return name;
}

/** One path segment from a free name (a file name, a 档号): unsafe characters become '_'. */
export function safeSegment(name: string, fallback = '_'): string {
  let cleaned = name
    .normalize('NFC')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
    .replace(/[\u0000-\u001f\u007f-\u009f/\\:*?"<>|]/gu, '_')
    .trim();
  if (cleaned === '' || /^\.+$/.test(cleaned)) cleaned = fallback;
  // Cut whole characters until the UTF-8 form fits one segment.
  while (Buffer.byteLength(cleaned) > 200) cleaned = [...cleaned].slice(0, -1).join('');
  return cleaned;
}

/** Bag-Size, human-readable (RFC 8493 §2.2.2): bytes in KB/MB/GB with three decimals. */
export function bagSize(octets: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = octets;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${octets} B` : `${value.toFixed(3)} ${units[unit]}`;
}

const tagLine = (label: string, value: string) => {
  if (/[\r\n]/.test(value) || /[\r\n:]/.test(label)) throw unsafe(label, '标签或取值含有换行');
  return `${label}: ${value}\n`;
};

/** Counts and hashes what passes through, without holding it. */
class HashTap extends Transform {
  /** Null: the digest is known (and checked by the source itself); only the size is counted. */
  readonly hash: crypto.Hash | null;
  size = 0;
  constructor(algorithm: BagDigest | null) {
    super();
    this.hash = algorithm === null ? null : crypto.createHash(algorithm);
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: () => void) {
    this.hash?.update(chunk);
    this.size += chunk.length;
    this.push(chunk);
    callback();
  }
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await fsp.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is then as durable as they make it.
  } finally {
    await handle.close();
  }
}

export class BagWriter {
  readonly dir: string;
  readonly digest: BagDigest;
  private readonly work: string;
  private readonly manifest: fs.WriteStream;
  private readonly madeDirs = new Set<string>();
  /** Lower-cased paths taken, so no two files differ only by case (they collide on some systems). */
  private readonly taken = new Set<string>();
  private octets = 0;
  private count = 0;
  private finished = false;

  private constructor(dir: string, digest: BagDigest) {
    this.dir = dir;
    this.digest = digest;
    this.work = `${dir}.partial`;
    this.manifest = fs.createWriteStream(path.join(this.work, `manifest-${digest}.txt`), { flags: 'wx' });
  }

  /**
   * Starts a bag at `dir` (which must not exist: a finished bag is never overwritten); a leftover
   * `<dir>.partial` from an interrupted attempt is removed first.
   */
  static async open(dir: string, options: { digest?: BagDigest } = {}): Promise<BagWriter> {
    const digest = options.digest ?? 'sha256';
    if (digest !== 'sha256' && digest !== 'sm3')
      throw invalid('BAG_DIGEST_UNSUPPORTED', `不支持的摘要算法：${String(digest)}（应为 sha256 或 sm3）`);
    const target = path.resolve(dir);
    if (fs.existsSync(target))
      throw new YidangError('BAG_EXISTS', 'conflict', `目录 ${target} 已存在，移交包不会覆盖已有内容`);
    await fsp.rm(`${target}.partial`, { recursive: true, force: true });
    await fsp.mkdir(path.join(`${target}.partial`, 'data'), { recursive: true });
    return new BagWriter(target, digest);
  }

  /** Whether `relative` (under data/) is still free, ignoring case. */
  isFree(relative: string): boolean {
    return !this.taken.has(`data/${relative}`.normalize('NFC').toLowerCase());
  }

  /**
   * Writes one payload file at data/<relative>, hashing it on the way; returns its manifest facts.
   * `known`: the content's digest in the bag's algorithm, when the source stream itself fails unless
   * its content has that digest (storage's verified open) — it is not hashed a second time.
   */
  async addFile(
    relative: string,
    source: Readable | Buffer | string,
    known?: { digest: string },
  ): Promise<WrittenFile> {
    if (this.finished) throw new Error('bag already finished');
    const bagPath = safeBagPath(`data/${relative}`);
    const key = bagPath.toLowerCase();
    if (this.taken.has(key)) throw unsafe(bagPath, '与包内已有文件重名');
    this.taken.add(key);
    const file = path.join(this.work, ...bagPath.split('/'));
    const parent = path.dirname(file);
    if (!this.madeDirs.has(parent)) {
      await fsp.mkdir(parent, { recursive: true });
      this.madeDirs.add(parent);
    }
    const tap = new HashTap(known ? null : this.digest);
    const input = Buffer.isBuffer(source) || typeof source === 'string' ? Readable.from([source]) : source;
    // 'wx': never through an existing name (a planted link included).
    try {
      await pipeline(input, tap, fs.createWriteStream(file, { flags: 'wx' }));
    } catch (error) {
      // Nothing of a failed file stays: the name is free to be written again (from another copy).
      await fsp.rm(file, { force: true });
      this.taken.delete(key);
      throw error;
    }
    const digest = tap.hash ? tap.hash.digest('hex') : (known?.digest as string);
    this.octets += tap.size;
    this.count += 1;
    await this.appendManifest(`${digest}  ${encodeManifestPath(bagPath)}\n`);
    return { path: bagPath, size: tap.size, digest };
  }

  private appendManifest(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.manifest.write(line, 'utf8')) resolve();
      else {
        this.manifest.once('drain', resolve);
        this.manifest.once('error', reject);
      }
    });
  }

  /** Writes the tag files and the tag manifest, then moves the bag into place. */
  async finish(info: BagInfo): Promise<BagSummary> {
    if (this.finished) throw new Error('bag already finished');
    this.finished = true;
    await new Promise<void>((resolve, reject) => {
      this.manifest.once('error', reject);
      this.manifest.end(resolve);
    });
    const manifestName = `manifest-${this.digest}.txt`;
    const bagit = `${tagLine('BagIt-Version', '1.0')}${tagLine('Tag-File-Character-Encoding', 'UTF-8')}`;
    const labels: Array<readonly [string, string]> = [
      ['Source-Organization', info.sourceOrganization],
      ...(info.organizationAddress ? [['Organization-Address', info.organizationAddress] as const] : []),
      ...(info.contactName ? [['Contact-Name', info.contactName] as const] : []),
      ['Bagging-Date', info.baggingDate],
      ['External-Identifier', info.externalIdentifier],
      ['Payload-Oxum', `${this.octets}.${this.count}`],
      ['Bag-Size', bagSize(this.octets)],
      ['Yidang-Transfer-Kind', info.transferKind],
      ['Yidang-Signing-Key', info.signingKey],
      ['Yidang-Digest', this.digest],
      ...(info.extra ?? []),
    ];
    const bagInfo = labels.map(([label, value]) => tagLine(label, value)).join('');
    await fsp.writeFile(path.join(this.work, 'bagit.txt'), bagit, { flag: 'wx' });
    await fsp.writeFile(path.join(this.work, 'bag-info.txt'), bagInfo, { flag: 'wx' });
    const tagLines: string[] = [];
    for (const name of ['bagit.txt', 'bag-info.txt', manifestName]) {
      const digest = await digestFile(path.join(this.work, name), this.digest);
      tagLines.push(`${digest}  ${name}\n`);
    }
    const tagmanifest = tagLines.join('');
    const tagmanifestName = `tagmanifest-${this.digest}.txt`;
    await fsp.writeFile(path.join(this.work, tagmanifestName), tagmanifest, { flag: 'wx' });
    for (const name of ['bagit.txt', 'bag-info.txt', manifestName, tagmanifestName])
      await fsyncFile(path.join(this.work, name));
    await fsyncDir(this.work);
    await fsp.rename(this.work, this.dir);
    await fsyncDir(path.dirname(this.dir));
    return {
      dir: this.dir,
      digest: this.digest,
      payloadOxum: { octets: this.octets, count: this.count },
      tagmanifestDigest: crypto.createHash(this.digest).update(tagmanifest, 'utf8').digest('hex'),
    };
  }

  /** Gives up: the partial directory is removed. */
  async abandon(): Promise<void> {
    if (!this.finished) {
      this.finished = true;
      // Let pending manifest writes land before the directory goes; an error now changes nothing.
      await new Promise<void>((resolve) => {
        this.manifest.once('error', () => resolve());
        this.manifest.end(() => resolve());
      });
    }
    await fsp.rm(this.work, { recursive: true, force: true });
  }
}

export async function digestFile(file: string, algorithm: BagDigest): Promise<string> {
  const hash = crypto.createHash(algorithm);
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}
