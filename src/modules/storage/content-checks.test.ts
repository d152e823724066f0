import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { failure } from '../../../test/helpers/fixtures.js';
import { fakeExe, handTiff, pngHeader, tinyPdf } from '../../../test/helpers/hostile-files.js';
import { opaqueBytes } from '../../../test/helpers/opaque-content.js';
import { BoundsProblem, checkPdfBounds, imagePages, MAX_PAGE_POINTS } from './content-bounds.js';
import { ContentSample, inspectSample } from './file-inspect.js';
import { identifyContent } from './media-type.js';
import { bufferSource, readTiffPages, TiffStructureError } from './tiff-structure.js';

// What an attached file is, from its content, and whether its pages may be rasterised: the checks
// every attach path runs before anything is stored (no database: pure functions over bytes).

const inspect = (content: Buffer, name: string) => {
  const sample = new ContentSample();
  for (let at = 0; at < content.length; at += 4096) sample.add(content.subarray(at, at + 4096));
  return inspectSample(sample, name);
};

async function zipOf(entries: Record<string, string>): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, text] of Object.entries(entries)) zip.file(name, text);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

describe('identifying attached files by content', () => {
  it('refuses programs and installers whatever they are called', async () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
    const macho = Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), Buffer.alloc(120)]);
    const cab = Buffer.concat([Buffer.from('MSCF\0\0\0\0', 'latin1'), Buffer.alloc(120)]);
    for (const [content, name] of [
      [fakeExe(), 'fake.pdf'],
      [elf, '病历.tif'],
      [macho, 'report.docx'],
      [cab, 'scan.jpg'],
    ] as const) {
      const error = await failure(identifyContent(content, name));
      expect(error.code, name).toBe('FILE_EXECUTABLE');
      expect(error.message).toContain('未保存');
    }
    const script = await failure(identifyContent(Buffer.from('#!/bin/sh\nrm -rf /\n'), 'notes.txt'));
    expect(script.code).toBe('FILE_EXECUTABLE');
    const batch = await failure(identifyContent(Buffer.from('@echo off\r\ndel *.*\r\n'), 'run.bat'));
    expect(batch.code).toBe('FILE_EXECUTABLE');
    const jar = await zipOf({ 'META-INF/MANIFEST.MF': 'Main-Class: X\n' });
    expect((await failure(identifyContent(jar, 'a.zip'))).code).toBe('FILE_EXECUTABLE');
  });

  it('refuses types an archive does not take, and content it cannot identify', async () => {
    const cfb = Buffer.concat([
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      Buffer.alloc(504),
    ]);
    expect((await failure(identifyContent(cfb, 'setup.msi'))).code).toBe('FILE_TYPE_NOT_ACCEPTED');
    const zip = await zipOf({ 'a.txt': 'hello' });
    expect((await failure(identifyContent(zip, 'a.zip'))).code).toBe('FILE_TYPE_NOT_ACCEPTED');
    const unknown = await failure(identifyContent(Buffer.from([0, 1, 2, 3, 250, 251, 0, 9, 8, 7]), 'x.dat'));
    expect(unknown.code).toBe('FILE_TYPE_UNKNOWN');
  });

  it('takes the archive formats and records the type the content is', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('台账').addRow(['姓名', '金额']);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const docx = await zipOf({
      '[Content_Types].xml':
        '<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
      'word/document.xml': '<w:document/>',
    });
    const ofd = await zipOf({ 'OFD.xml': '<ofd:OFD/>', 'Doc_0/Document.xml': '<ofd:Document/>' });
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const cases: Array<[Buffer, string, string]> = [
      [tinyPdf(['0 0 595 842']), '发票.pdf', 'application/pdf'],
      [png, 'a.png', 'image/png'],
      [handTiff(), 'a.tif', 'image/tiff'],
      [xlsx, '台账.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      [docx, '说明.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      [ofd, '发票.ofd', 'application/ofd'],
      [Buffer.from('姓名,金额\n张三,12.50\n'), '明细.csv', 'text/csv'],
      [Buffer.from('门诊病历摘要', 'utf8'), '摘要.txt', 'text/plain'],
      [Buffer.from([0xc3, 0xc5, 0xd5, 0xef, 0xb2, 0xa1, 0xc0, 0xfa]), '门诊.txt', 'text/plain'], // GB 18030
      [Buffer.from('<?xml version="1.0"?><档案/>'), 'meta.xml', 'application/xml'],
      [opaqueBytes(200), '录音.wav', 'audio/wav'],
    ];
    for (const [content, name, type] of cases) {
      const identified = await identifyContent(content, name);
      expect(identified, name).toEqual({ mediaType: type, warnings: [] });
    }
  });

  it('warns, without refusing, when the name promises another format than the content is', async () => {
    const identified = await identifyContent(tinyPdf(['0 0 595 842']), '照片.jpg');
    expect(identified.mediaType).toBe('application/pdf');
    expect(identified.warnings).toHaveLength(1);
    expect(identified.warnings[0]).toMatch(/扩展名 \.jpg 与内容不符：内容是 PDF/);
    // Text is text whichever text extension it has.
    expect((await identifyContent(Buffer.from('a,b\n'), 'list.txt')).warnings).toEqual([]);
  });
});

describe('page sizes before anything is rasterised', () => {
  it('refuses the 228-byte kind of PDF whose page is 200,000 points wide, and takes A0', async () => {
    const hostile = tinyPdf();
    expect(hostile.length).toBeLessThan(400);
    const error = await failure(inspect(hostile, 'tiny.pdf'));
    expect(error.code).toBe('FILE_BOUNDS_EXCEEDED');
    expect(error.message).toMatch(/200,000×200,000 pt/);
    const a0 = await PDFDocument.load(tinyPdf(['0 0 2384 3370', `0 0 ${MAX_PAGE_POINTS} 10`]));
    expect(() => checkPdfBounds(a0)).not.toThrow();
    expect((await inspect(tinyPdf(['0 0 2384 3370']), 'A0.pdf')).mediaType).toBe('application/pdf');
  });

  it('refuses a crop box, a rotation or a number no page can have', async () => {
    for (const pdf of [
      tinyPdf(['0 0 595 842'], ' /CropBox [0 0 595 99999999]'),
      tinyPdf(['0 0 595 842'], ' /Rotate 45'),
      tinyPdf(['0 0 595 842'], ' /UserUnit 0'),
      tinyPdf(['0 0 595 842', '0 0 0 0']),
      tinyPdf(['-20000 0 595 842']),
    ]) {
      const loaded = await PDFDocument.load(pdf);
      expect(() => checkPdfBounds(loaded)).toThrow(BoundsProblem);
    }
  });

  it('refuses an image whose header declares too many pixels, reading the header only', async () => {
    await expect(imagePages(pngHeader(70_000, 10))).rejects.toThrow(BoundsProblem);
    await expect(imagePages(pngHeader(30_000, 30_000))).rejects.toThrow(/百万像素/);
    // An A0 sheet at 600 dpi is within bounds.
    expect(await imagePages(pngHeader(19_866, 28_087))).toEqual([{ width: 19_866, height: 28_087 }]);
    expect((await failure(inspect(pngHeader(65_000, 65_000), 'big.png'))).code).toBe('FILE_BOUNDS_EXCEEDED');
  });

  it('walks a TIFF page table, refusing a loop and a compression no decoder knows', async () => {
    expect(await readTiffPages(bufferSource(handTiff({ pages: 3 })))).toHaveLength(3);
    await expect(readTiffPages(bufferSource(handTiff({ loop: true })))).rejects.toThrow(/循环/);
    await expect(readTiffPages(bufferSource(handTiff({ loop: true, pages: 4 })))).rejects.toThrow(
      TiffStructureError,
    );
    await expect(readTiffPages(bufferSource(handTiff({ compression: 65000 })))).rejects.toThrow(/65000/);
    const truncated = handTiff().subarray(0, 20);
    await expect(readTiffPages(bufferSource(truncated))).rejects.toThrow(TiffStructureError);
    // A registered scheme this server cannot decode (JPEG 2000) is kept for the 四性检测 to report.
    expect((await inspect(handTiff({ compression: 34712 }), 'j2k.tif')).mediaType).toBe('image/tiff');
    for (const tiff of [handTiff({ loop: true }), handTiff({ compression: 65000 })])
      expect((await failure(inspect(tiff, 'scan.tif'))).code).toBe('FILE_UNDECODABLE');
    const huge = handTiff({ width: 60_000, height: 60_000, headerOnly: true });
    await expect(imagePages(huge)).rejects.toThrow(/百万像素/);
  });
});
