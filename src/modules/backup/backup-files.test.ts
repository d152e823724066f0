import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLines, writeLines } from './backup-files.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-lines-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function collect(file: string, batchSize: number): Promise<string[][]> {
  const batches: string[][] = [];
  for await (const batch of readLines(file, batchSize)) batches.push(batch);
  return batches;
}

async function* batchesOf(lines: string[], size: number) {
  for (let index = 0; index < lines.length; index += size) yield lines.slice(index, index + size);
}

describe('writeLines and readLines', () => {
  it('round-trips Chinese text that straddles the decompressor’s chunk boundaries', async () => {
    // Enough three-byte characters that gunzip hands them over in several 16 KiB chunks, at every
    // possible offset of a character against a boundary.
    const lines = Array.from({ length: 3000 }, (_, index) =>
      JSON.stringify({
        n: index,
        title: `${'胡卫东'.repeat((index % 7) + 1)} 门诊慢特病待遇认定表（双相情感障碍）`,
      }),
    );
    const file = path.join(dir, 'rows.jsonl.gz');
    expect(await writeLines(file, batchesOf(lines, 250))).toBe(3000);
    const batches = await collect(file, 1000);
    expect(batches.map((batch) => batch.length)).toEqual([1000, 1000, 1000]);
    const read = batches.flat();
    expect(read).toEqual(lines);
    expect(read.join('')).not.toContain('\uFFFD');
  });

  it('reads a last line without a newline and skips empty lines', async () => {
    const file = path.join(dir, 'hand.jsonl.gz');
    fs.writeFileSync(file, zlib.gzipSync('{"a":1}\n\n{"b":"医保"}'));
    expect(await collect(file, 10)).toEqual([['{"a":1}', '{"b":"医保"}']]);
  });

  it('refuses to overwrite an existing file', async () => {
    const file = path.join(dir, 'exists.jsonl.gz');
    fs.writeFileSync(file, 'x');
    await expect(writeLines(file, batchesOf(['{}'], 1))).rejects.toThrow(/EEXIST/);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });
});
