import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBagTar } from './bag.extract.js';

// A received tar is unpacked entry by entry and never lets its names decide where bytes land: each
// trick (a link, a path out of the target, an absolute path, a repeated name, too many bytes) is
// refused with nothing written outside the target.

let root: string;
let n = 0;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'yidang-tar-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

type Entry = { name: string; body?: string; type?: tar.Header['type']; linkname?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    const header: Parameters<tar.Pack['entry']>[0] = {
      name: e.name,
      type: e.type ?? 'file',
      ...(e.linkname ? { linkname: e.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) =>
      e.type && e.type !== 'file'
        ? pack.entry(header, (err) => (err ? reject(err) : resolve()))
        : pack.entry(header, e.body ?? '', (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

const target = () => path.join(root, `out-${++n}`);

describe('extractBagTar', () => {
  it('unpacks a bag under one top directory and returns that directory', async () => {
    const bytes = await tarOf([
      { name: 'YJ-1/', type: 'directory' },
      { name: 'YJ-1/bagit.txt', body: 'BagIt-Version: 1.0\n' },
      { name: 'YJ-1/data/档案/病历.pdf', body: '%PDF' },
    ]);
    const dest = target();
    const bag = await extractBagTar(Readable.from(bytes), dest);
    expect(bag).toBe(path.join(dest, 'YJ-1'));
    expect(await fs.readFile(path.join(bag, 'data/档案/病历.pdf'), 'utf8')).toBe('%PDF');
    const flat = await extractBagTar(
      Readable.from(await tarOf([{ name: 'bagit.txt', body: 'x' }])),
      target(),
    );
    expect(path.basename(flat)).toBe(`out-${n}`);
  });

  it('refuses links, escaping and absolute names, repeats, and too many bytes', async () => {
    const cases: [Entry[], RegExp][] = [
      [[{ name: 'b/data/link', type: 'symlink', linkname: '/etc/passwd' }], /链接/],
      [[{ name: 'b/data/hard', type: 'link', linkname: 'b/bagit.txt' }], /链接/],
      [[{ name: 'b/fifo', type: 'fifo' }], /特殊文件/],
      [[{ name: '../escape.txt', body: 'x' }], /“\.\.”/],
      [[{ name: 'b/data/../../escape.txt', body: 'x' }], /“\.\.”/],
      [[{ name: '/tmp/absolute.txt', body: 'x' }], /绝对路径/],
      [[{ name: 'b\\..\\x', body: 'x' }], /反斜杠/],
      [
        [
          { name: 'b/bagit.txt', body: 'one' },
          { name: 'b/bagit.txt', body: 'two' },
        ],
        /重复/,
      ],
    ];
    for (const [entries, message] of cases) {
      const err = await extractBagTar(Readable.from(await tarOf(entries)), target()).catch((e) => e);
      expect(err, entries[0]?.name).toMatchObject({ code: 'RECEIVE_TAR_UNSAFE' });
      expect(err.message).toMatch(message);
    }
    await expect(fs.stat(path.join(root, 'escape.txt'))).rejects.toThrow();
    const big = await tarOf([{ name: 'b/data/big', body: 'x'.repeat(2000) }]);
    await expect(extractBagTar(Readable.from(big), target(), { maxBytes: 1000 })).rejects.toMatchObject({
      code: 'RECEIVE_TOO_LARGE',
    });
    await expect(
      extractBagTar(Readable.from(Buffer.from('not a tar at all'.repeat(64))), target()),
    ).rejects.toMatchObject({
      code: 'RECEIVE_TAR_UNSAFE',
    });
  });
});
