import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { legacyDoc, legacyXls, macroDoc, msiLike } from '../../../test/helpers/compound-files.js';
import { handMadePdf, handMadeTiff, jpeg, pdf, tiff, xlsx } from '../../../test/helpers/check-files.js';
import { detectMediaType } from '../storage/media-type.js';
import { privateTempDir } from './check.content.js';
import { inspectFormat, tiffCompressions } from './check.formats.js';

// The usability probes on real files: what opens, what does not, and which compression a TIFF uses.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-formats-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes the content and inspects it as the check does: sniffed type, claimed name. */
async function inspect(content: Buffer, fileName: string) {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}-${fileName}`);
  fs.writeFileSync(file, content);
  return inspectFormat(file, content.length, detectMediaType(content.subarray(0, 64), fileName), fileName);
}

describe('opening files as their format', () => {
  it('opens a PDF and counts its pages; an encrypted one fails as 已加密', async () => {
    const good = await inspect(await pdf(3), '报销单.pdf');
    expect(good.opens.status).toBe('pass');
    expect(good.compression.status).toBe('pass');
    expect(good.pages?.count).toBe(3);
    expect((await inspect(handMadePdf(false), 'plain.pdf')).opens.status).toBe('pass');
    const encrypted = await inspect(handMadePdf(true), 'secret.pdf');
    expect(encrypted.opens).toMatchObject({ status: 'fail', detail: expect.stringContaining('PDF 已加密') });
    expect(encrypted.compression.status).toBe('fail');
  });

  it('fails a PDF cut short and a file that only starts like a PDF', async () => {
    const whole = await pdf(2);
    expect((await inspect(whole.subarray(0, Math.floor(whole.length / 2)), 'cut.pdf')).opens.status).toBe(
      'fail',
    );
    const fake = await inspect(Buffer.from('%PDF-1.4\n% 结算单\n'), 'fake.pdf');
    expect(fake.opens).toMatchObject({ status: 'fail', detail: expect.stringContaining('PDF 无法打开') });
  });

  it('decodes a JPEG to the end; a truncated one fails', async () => {
    const whole = await jpeg();
    const good = await inspect(whole, 'scan.jpg');
    expect(good.opens.status).toBe('pass');
    expect(good.pages).toEqual({ count: 1, sizes: [{ width: 240, height: 320 }] });
    const truncated = await inspect(whole.subarray(0, Math.floor(whole.length * 0.6)), 'scan.jpg');
    expect(truncated.opens).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('无法完整解码'),
    });
  });

  it('fails a file whose name promises another format than its content', async () => {
    const report = await inspect(await jpeg(), '报销单.pdf');
    expect(report.opens).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('内容却是JPEG 图像'),
    });
    expect((await inspect(Buffer.from('plain words'), 'scan.tif')).opens.status).toBe('fail');
  });

  it('opens an XLSX by inflating every part; a damaged or wrong package fails', async () => {
    const workbook = await xlsx();
    expect((await inspect(workbook, '台账.xlsx')).opens.status).toBe('pass');
    const damaged = Buffer.from(workbook);
    damaged.fill(0x41, 200, 400);
    expect((await inspect(damaged, '台账.xlsx')).opens.status).toBe('fail');
    const docx = await inspect(workbook, '说明.docx');
    expect(docx.opens).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('word/document.xml'),
    });
  });

  it('reads a DOC or XLS by its compound-file directory; an installer or a broken one fails', async () => {
    const doc = await inspect(legacyDoc(), '会议纪要.doc');
    expect(doc.opens).toMatchObject({ status: 'pass', detail: expect.stringContaining('主数据流可以读取') });
    expect((await inspect(legacyXls(), '明细.xls')).opens.status).toBe('pass');
    expect((await inspect(msiLike(), '明细.xls')).opens).toMatchObject({
      status: 'fail',
      detail: '内容不是登记的 XLS 文件',
    });
    expect((await inspect(macroDoc(), '通知.doc')).opens.detail).toMatch(/含宏代码/);
    expect((await inspect(legacyDoc(200_000).subarray(0, 4096), '残缺.doc')).opens).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('复合文档目录无法读取'),
    });
  });

  it('reads text only when it is valid UTF-8', async () => {
    expect((await inspect(Buffer.from('经办说明：已审核\n'), '说明.txt')).opens.status).toBe('pass');
    const gbk = Buffer.from([0xbe, 0xad, 0xb0, 0xec, 0xcb, 0xb5, 0xc3, 0xf7]);
    expect((await inspect(gbk, '说明.txt')).opens).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('UTF-8'),
    });
  });

  it('fails an unrecognisable binary file', async () => {
    expect((await inspect(Buffer.from([0, 1, 2, 3, 4, 5]), 'data.bin')).opens.status).toBe('fail');
  });
});

describe('TIFF compression (tag 259)', () => {
  it('reads every page of a scanner TIFF and accepts LZW', async () => {
    const scan = await tiff(3);
    const file = path.join(dir, 'three.tif');
    fs.writeFileSync(file, scan);
    expect(await tiffCompressions(file)).toEqual([5, 5, 5]);
    const report = await inspect(scan, 'three.tif');
    expect(report.opens.status).toBe('pass');
    expect(report.compression).toMatchObject({ status: 'pass', detail: expect.stringContaining('LZW') });
    expect(report.pages?.count).toBe(3);
  });

  it('parses hand-written IFDs in both byte orders', async () => {
    for (const bigEndian of [false, true]) {
      const file = path.join(dir, `hand-${bigEndian}.tif`);
      fs.writeFileSync(file, handMadeTiff({ compression: 1, bigEndian, pages: 2 }));
      expect(await tiffCompressions(file)).toEqual([1, 1]);
      fs.writeFileSync(file, handMadeTiff({ compression: 34712, bigEndian }));
      expect(await tiffCompressions(file)).toEqual([34712]);
    }
    const plain = await inspect(handMadeTiff({ compression: 1 }), 'hand.tif');
    expect(plain.opens.status).toBe('pass');
    expect(plain.compression.status).toBe('pass');
  });

  it('fails JPEG 2000 inside a TIFF', async () => {
    const report = await inspect(handMadeTiff({ compression: 34712, bigEndian: true }), 'jp2.tif');
    expect(report.compression).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('JPEG 2000（34712）'),
    });
  });

  it('refuses an IFD chain that loops or points outside the file', async () => {
    const looped = path.join(dir, 'loop.tif');
    fs.writeFileSync(looped, handMadeTiff({ compression: 1, pages: 2, loop: true }));
    await expect(tiffCompressions(looped)).rejects.toThrow('成环');
    const stray = handMadeTiff({ compression: 1 });
    stray.writeUInt32LE(1_000_000, 4);
    const strayFile = path.join(dir, 'stray.tif');
    fs.writeFileSync(strayFile, stray);
    await expect(tiffCompressions(strayFile)).rejects.toThrow('超出文件范围');
  });
});

it('makes the temporary directory for decrypted content private (0700)', async () => {
  const made = await privateTempDir();
  try {
    expect(fs.statSync(made).mode & 0o777).toBe(0o700);
  } finally {
    fs.rmSync(made, { recursive: true });
  }
});
