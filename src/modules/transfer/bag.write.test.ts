import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBagTar } from './bag.extract.js';
import { bagTarStream } from './bag.tar.js';
import { validateBag } from './bag.validate.js';
import { BagWriter, bagSize, safeBagPath, safeSegment } from './bag.write.js';

// The streaming BagIt writer: what it writes is a valid RFC 8493 bag by the receiving side's own
// validator, manifests list exactly the payload, names are made safe, nothing is overwritten, and an
// interrupted bag leaves no directory named like a bag.

let root: string;
let n = 0;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'yidang-bagw-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const info = {
  sourceOrganization: '某市医疗保障局',
  baggingDate: '2026-12-28',
  externalIdentifier: 'YJ-J013-2026-1',
  transferKind: 'fonds' as const,
  signingKey: 'AAAA',
};
const hex = (alg: string, data: Buffer | string) => crypto.createHash(alg).update(data).digest('hex');

describe('safeBagPath', () => {
  it('keeps plain relative paths, NFC-normalised', () => {
    expect(safeBagPath('data/A-001/files/病历.pdf')).toBe('data/A-001/files/病历.pdf');
    const decomposed = 'data/cafe\u0301.txt';
    expect(safeBagPath(decomposed)).toBe('data/caf\u00e9.txt');
    expect(safeBagPath('data/100%.txt')).toBe('data/100%.txt');
  });

  it.each([
    ['', '为空'],
    ['data/../bagit.txt', '“.”或“..”'],
    ['data/./x', '“.”或“..”'],
    ['/etc/passwd', '绝对路径'],
    ['C:/x', '绝对路径'],
    ['data\\x', '反斜杠'],
    ['data//x', '空的路径段'],
    ['data/a\nb', '控制字符'],
    ['data/a\u0000b', '控制字符'],
    ['data/a\ud800b', '无效的 Unicode'],
    [`data/${'长'.repeat(90)}`, '255 字节'],
  ])('refuses %j', (name, why) => {
    expect(() => safeBagPath(name)).toThrowError(expect.objectContaining({ code: 'BAG_PATH_UNSAFE' }));
    expect(() => safeBagPath(name)).toThrow(why);
  });

  it('makes free names into one safe segment', () => {
    expect(safeSegment('J013-JSLX·2024/0001')).toBe('J013-JSLX·2024_0001');
    expect(safeSegment('..')).toBe('_');
    expect(safeSegment(' a:b*c?.pdf ')).toBe('a_b_c_.pdf');
    expect(Buffer.byteLength(safeSegment('长'.repeat(300)))).toBeLessThanOrEqual(200);
    expect(bagSize(1536)).toBe('1.500 KB');
    expect(bagSize(12)).toBe('12 B');
  });
});

describe('BagWriter', () => {
  it('writes a bag the receiver validates: manifests, tag manifest, Payload-Oxum, percent-encoded names', async () => {
    const dir = path.join(root, `bag-${++n}`);
    const bag = await BagWriter.open(dir);
    const big = crypto.randomBytes(3 * 1024 * 1024 + 7);
    const a = await bag.addFile(
      'A-001/files/病历.pdf',
      Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
    );
    expect(a).toEqual({ path: 'data/A-001/files/病历.pdf', size: big.length, digest: hex('sha256', big) });
    await bag.addFile('A-001/files/100%.txt', Buffer.from('percent'));
    await bag.addFile('checkpoint.txt', 'note\n');
    expect(bag.isFree('a-001/FILES/病历.pdf')).toBe(false);
    await expect(bag.addFile('A-001/files/病历.PDF', 'x')).rejects.toMatchObject({ code: 'BAG_PATH_UNSAFE' });
    await expect(bag.addFile('../escape', 'x')).rejects.toMatchObject({ code: 'BAG_PATH_UNSAFE' });
    const summary = await bag.finish(info);

    expect(fs.existsSync(`${dir}.partial`)).toBe(false);
    expect(summary.payloadOxum).toEqual({ octets: big.length + 7 + 5, count: 3 });
    const bagit = await fsp.readFile(path.join(dir, 'bagit.txt'), 'utf8');
    expect(bagit).toBe('BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n');
    const manifest = await fsp.readFile(path.join(dir, 'manifest-sha256.txt'), 'utf8');
    expect(manifest.split('\n').filter(Boolean).sort()).toEqual(
      [
        `${hex('sha256', big)}  data/A-001/files/病历.pdf`,
        `${hex('sha256', 'percent')}  data/A-001/files/100%25.txt`,
        `${hex('sha256', 'note\n')}  data/checkpoint.txt`,
      ].sort(),
    );
    const bagInfo = await fsp.readFile(path.join(dir, 'bag-info.txt'), 'utf8');
    expect(bagInfo).toContain(`Payload-Oxum: ${big.length + 12}.3\n`);
    expect(bagInfo).toContain('External-Identifier: YJ-J013-2026-1\n');
    expect(bagInfo).toContain('Yidang-Digest: sha256\n');
    const tagmanifest = await fsp.readFile(path.join(dir, 'tagmanifest-sha256.txt'));
    expect(summary.tagmanifestDigest).toBe(hex('sha256', tagmanifest));

    const report = await validateBag(dir);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.tagManifestDigests.sha256).toBe(summary.tagmanifestDigest);
    expect(report.payload.map((file) => file.path).sort()).toEqual([
      'data/A-001/files/100%.txt',
      'data/A-001/files/病历.pdf',
      'data/checkpoint.txt',
    ]);
  });

  it('writes manifest-sm3 when SM3 is chosen, and the validator agrees', async () => {
    const dir = path.join(root, `bag-${++n}`);
    const bag = await BagWriter.open(dir, { digest: 'sm3' });
    const file = await bag.addFile('x/eep.xml', '<电子文件封装包/>');
    expect(file.digest).toBe(hex('sm3', '<电子文件封装包/>'));
    await bag.finish(info);
    expect(fs.existsSync(path.join(dir, 'manifest-sm3.txt'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'tagmanifest-sm3.txt'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'manifest-sha256.txt'))).toBe(false);
    const report = await validateBag(dir);
    expect(report.problems).toEqual([]);
    expect(report.algorithms).toEqual(['sm3']);
  });

  it('never overwrites, removes a half-written bag, and leaves nothing named like a bag when abandoned', async () => {
    const dir = path.join(root, `bag-${++n}`);
    const first = await BagWriter.open(dir);
    await first.addFile('a.txt', 'a');
    // A crash here leaves <dir>.partial; the next attempt starts clean.
    const second = await BagWriter.open(dir);
    await second.addFile('b.txt', 'b');
    await second.finish(info);
    expect(await fsp.readdir(path.join(dir, 'data'))).toEqual(['b.txt']);
    await expect(BagWriter.open(dir)).rejects.toMatchObject({ code: 'BAG_EXISTS' });

    const other = path.join(root, `bag-${++n}`);
    const abandoned = await BagWriter.open(other);
    await abandoned.addFile('c.txt', 'c');
    await abandoned.abandon();
    expect(fs.existsSync(other)).toBe(false);
    expect(fs.existsSync(`${other}.partial`)).toBe(false);
    await expect(BagWriter.open(other, { digest: 'md5' as never })).rejects.toMatchObject({
      code: 'BAG_DIGEST_UNSUPPORTED',
    });
  });

  it('refuses a tag value with a line break (it would forge another label)', async () => {
    const dir = path.join(root, `bag-${++n}`);
    const bag = await BagWriter.open(dir);
    await bag.addFile('a.txt', 'a');
    await expect(
      bag.finish({ ...info, sourceOrganization: '某局\nPayload-Oxum: 1.1' }),
    ).rejects.toMatchObject({ code: 'BAG_PATH_UNSAFE' });
  });
});

describe('bagTarStream', () => {
  it('streams every file of the bag under its folder name, tag files first', async () => {
    const dir = path.join(root, `bag-${++n}`);
    const bag = await BagWriter.open(dir);
    const content = crypto.randomBytes(200_000);
    await bag.addFile('A-001/files/病历.pdf', content);
    await bag.addFile('checkpoint.txt', 'note\n');
    await bag.finish(info);

    const entries: Array<{ name: string; type: string; body: Buffer }> = [];
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => {
        chunks.push(chunk as Buffer);
      });
      stream.on('end', () => {
        entries.push({ name: header.name, type: header.type ?? 'file', body: Buffer.concat(chunks) });
        next();
      });
    });
    const done = new Promise<void>((resolve, reject) => {
      extract.on('finish', () => resolve());
      extract.on('error', reject);
    });
    bagTarStream(dir).pipe(extract);
    await done;
    const base = path.basename(dir);
    const files = entries.filter((entry) => entry.type === 'file').map((entry) => entry.name);
    expect(files).toEqual([
      `${base}/bag-info.txt`,
      `${base}/bagit.txt`,
      `${base}/manifest-sha256.txt`,
      `${base}/tagmanifest-sha256.txt`,
      `${base}/data/A-001/files/病历.pdf`,
      `${base}/data/checkpoint.txt`,
    ]);
    const pdf = entries.find((entry) => entry.name.endsWith('病历.pdf'));
    expect(pdf?.body.equals(content)).toBe(true);
    expect(entries.filter((entry) => entry.type === 'directory').map((entry) => entry.name)).toContain(
      `${base}/data/A-001/files/`,
    );
  });

  it("comes back whole through the receiver's tar extraction, long Chinese names included", async () => {
    const dir = path.join(root, `bag-${++n}`);
    const bag = await BagWriter.open(dir);
    // Past ustar's 100-byte name field: the tar carries it in a pax header.
    const long = `${'门诊慢特病待遇申请'.repeat(8)}.pdf`;
    await bag.addFile(`J013-JSLX-2024-JSK-0001/files/${long}`, crypto.randomBytes(70_000));
    await bag.addFile('checkpoint.txt', 'note\n');
    const summary = await bag.finish(info);
    const out = await extractBagTar(bagTarStream(dir), path.join(root, `extracted-${n}`));
    const report = await validateBag(out);
    expect(report.problems).toEqual([]);
    expect(report.tagManifestDigests.sha256).toBe(summary.tagmanifestDigest);
    expect(report.payload.map((file) => file.path)).toContain(`data/J013-JSLX-2024-JSK-0001/files/${long}`);
  });

  it('refuses a bag holding a symbolic link', async () => {
    const dir = path.join(root, `bag-${++n}`);
    const bag = await BagWriter.open(dir);
    await bag.addFile('a.txt', 'a');
    await bag.finish(info);
    await fsp.symlink('/etc/passwd', path.join(dir, 'data', 'link'));
    const stream = bagTarStream(dir);
    await expect(
      new Promise((resolve, reject) => {
        stream.on('error', reject);
        stream.on('end', resolve);
        stream.resume();
      }),
    ).rejects.toMatchObject({ code: 'BAG_PATH_UNSAFE' });
  });
});
