import zlib from 'node:zlib';

// Hostile files written byte by byte, as an outside probe would: a tiny PDF declaring a page the size
// of a city, TIFFs whose page table loops or uses a compression no decoder knows, programs in disguise.

/** A PDF with one page per MediaBox given ("0 0 200000 200000"), with a correct xref table. */
export function tinyPdf(mediaBoxes: string[] = ['0 0 200000 200000'], pageExtra = ''): Buffer {
  const kids = mediaBoxes.map((_, index) => `${index + 3} 0 R`).join(' ');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${mediaBoxes.length} >>`,
    ...mediaBoxes.map((box) => `<< /Type /Page /Parent 2 0 R /MediaBox [${box}]${pageExtra} >>`),
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(out.length);
    out += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/**
 * A little-endian 8-bit grey TIFF of one strip per page. `loop` points the last page's next-IFD
 * offset back at the first; `compression` is written as given (65000 is no scheme at all).
 */
export function handTiff(
  options: {
    width?: number;
    height?: number;
    compression?: number;
    loop?: boolean;
    pages?: number;
    /** Leave the pixel data out (a header declaring a huge page, without gigabytes behind it). */
    headerOnly?: boolean;
  } = {},
): Buffer {
  const { width = 8, height = 8, compression = 1, loop = false, pages = 1, headerOnly = false } = options;
  const entries: Array<[number, number, number]> = [
    [256, 3, width],
    [257, 3, height],
    [258, 3, 8],
    [259, 3, compression],
    [262, 3, 1],
    [273, 4, 0],
    [277, 3, 1],
    [278, 3, height],
    [279, 4, width * height],
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const pageSize = ifdSize + (headerOnly ? 0 : width * height);
  const buffer = Buffer.alloc(8 + pages * pageSize, 0x80);
  buffer.write('II', 0, 'latin1');
  buffer.writeUInt16LE(42, 2);
  buffer.writeUInt32LE(8, 4);
  for (let page = 0; page < pages; page++) {
    const at = 8 + page * pageSize;
    buffer.writeUInt16LE(entries.length, at);
    entries.forEach(([tag, type, value], index) => {
      const entry = at + 2 + index * 12;
      buffer.writeUInt16LE(tag, entry);
      buffer.writeUInt16LE(type, entry + 2);
      buffer.writeUInt32LE(1, entry + 4);
      const actual = tag === 273 ? at + ifdSize : value;
      if (type === 3) buffer.writeUInt16LE(actual, entry + 8);
      else buffer.writeUInt32LE(actual, entry + 8);
    });
    const last = page === pages - 1;
    buffer.writeUInt32LE(last ? (loop ? 8 : 0) : at + pageSize, at + 2 + entries.length * 12);
  }
  return buffer;
}

/** A PNG header declaring width × height (the pixel data is never reached: only the size is read). */
export function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.writeUInt8(8, 16);
  ihdr.writeUInt8(0, 17);
  ihdr.writeUInt32BE(zlib.crc32(ihdr.subarray(4, 21)), 21);
  const chunk = (type: string, data: Buffer) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(zlib.crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    ihdr,
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(16))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The start of a Windows program (MZ, then a PE header), the way a renamed .exe begins. */
export function fakeExe(): Buffer {
  const buffer = Buffer.alloc(512);
  buffer.write('MZ', 0, 'latin1');
  buffer.writeUInt32LE(0x80, 0x3c);
  buffer.write('PE\0\0', 0x80, 'latin1');
  return buffer;
}
