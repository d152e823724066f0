import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import type { Db } from '../../src/db/database.js';

// Files for the four-property check tests, good and broken for real: PDFs (one encrypted), JPEG and
// TIFF scans (one truncated, one TIFF written by hand with a chosen compression tag), an XLSX, text,
// and the EICAR test string with a real ClamAV hash database built by sigtool.

export async function pdf(pages = 2): Promise<Buffer> {
  const document = await PDFDocument.create();
  for (let page = 0; page < pages; page++)
    document.addPage([595, 842]).drawText(`page ${page + 1}`, { x: 50, y: 800 });
  return Buffer.from(await document.save());
}

/** A minimal PDF written object by object; with `encrypt` its trailer names a standard security handler. */
export function handMadePdf(encrypt: boolean): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
    '<< /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(out.length);
    out += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  const encryption = encrypt ? '/Encrypt 4 0 R /ID [<0123> <0123>] ' : '';
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${encryption}>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const page = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#d8e0e8' } });

export const jpeg = (width = 240, height = 320) => page(width, height).jpeg().toBuffer();

/** A multi-page LZW TIFF, as a scanner writes one file per item. */
export async function tiff(pages: number, width = 120, height = 160): Promise<Buffer> {
  const frames = await Promise.all(Array.from({ length: pages }, () => page(width, height).png().toBuffer()));
  return sharp(frames, { join: { animated: true } })
    .tiff({ compression: 'lzw' })
    .toBuffer();
}

/**
 * A 2×2 grey TIFF written tag by tag: one IFD per page with Compression (259) as given, in either
 * byte order; `loop` points the last IFD back at the first.
 */
export function handMadeTiff(options: {
  compression: number;
  bigEndian?: boolean;
  pages?: number;
  loop?: boolean;
}): Buffer {
  const pages = options.pages ?? 1;
  const ifdSize = 2 + 9 * 12 + 4;
  const pageSize = ifdSize + 4;
  const bytes = Buffer.alloc(8 + pages * pageSize);
  const u16 = (value: number, at: number) =>
    options.bigEndian ? bytes.writeUInt16BE(value, at) : bytes.writeUInt16LE(value, at);
  const u32 = (value: number, at: number) =>
    options.bigEndian ? bytes.writeUInt32BE(value, at) : bytes.writeUInt32LE(value, at);
  bytes.write(options.bigEndian ? 'MM' : 'II', 0, 'latin1');
  u16(42, 2);
  u32(8, 4);
  for (let index = 0; index < pages; index++) {
    const ifd = 8 + index * pageSize;
    const data = ifd + ifdSize;
    const SHORT = 3;
    const LONG = 4;
    const entries: Array<[number, number, number]> = [
      [256, SHORT, 2],
      [257, SHORT, 2],
      [258, SHORT, 8],
      [259, SHORT, options.compression],
      [262, SHORT, 1],
      [273, LONG, data],
      [277, SHORT, 1],
      [278, SHORT, 2],
      [279, LONG, 4],
    ];
    u16(entries.length, ifd);
    entries.forEach(([tag, type, value], entry) => {
      const at = ifd + 2 + entry * 12;
      u16(tag, at);
      u16(type, at + 2);
      u32(1, at + 4);
      if (type === SHORT) u16(value, at + 8);
      else u32(value, at + 8);
    });
    const last = index === pages - 1;
    u32(last ? (options.loop ? 8 : 0) : ifd + pageSize, ifd + 2 + entries.length * 12);
    bytes.set([0x20, 0x60, 0xa0, 0xe0], data);
  }
  return bytes;
}

export async function xlsx(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet('台账').addRows([
    ['姓名', '金额'],
    ['王建国', 1234.5],
  ]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** The EICAR anti-virus test file, assembled so this source file is not itself flagged. */
export const EICAR = Buffer.from(
  ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR', '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join(''),
);

/** A ClamAV hash database (.hdb) that knows EICAR, made by ClamAV's own sigtool. */
export function eicarDatabase(): { dir: string; database: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-clamav-'));
  fs.writeFileSync(path.join(dir, 'eicar.txt'), EICAR);
  const signature = execFileSync('sigtool', ['--md5', 'eicar.txt'], { cwd: dir });
  const database = path.join(dir, 'test.hdb');
  fs.writeFileSync(database, signature);
  return { dir, database };
}

/** Scan page rows as the scan service writes them: numbered through the item and within the file. */
export async function recordPages(
  db: Db,
  itemId: number,
  fileNumber: number,
  pages: Array<{ page: number; pageInFile: number; width: number; height: number }>,
  batchId: number | null = null,
): Promise<void> {
  await db
    .insertInto('scan_page')
    .values(
      pages.map((entry) => ({
        item_id: itemId,
        page: entry.page,
        file_number: fileNumber,
        page_in_file: entry.pageInFile,
        image_name: `page-${entry.page}`,
        batch_id: batchId,
        width: entry.width,
        height: entry.height,
        dpi_x: 300,
        dpi_y: 300,
        colour_mode: 'color' as const,
      })),
    )
    .execute();
}
