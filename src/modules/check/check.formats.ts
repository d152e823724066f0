import fs from 'node:fs/promises';
import { TextDecoder } from 'node:util';
import { PDFArray, PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import sharp from 'sharp';
import yauzl from 'yauzl';
import { classifyCompoundFile } from '../storage/legacy-office.js';
import type { CheckStatus } from './check.tables.js';

// Whether an archived file opens as its format (可用性) and holds no encrypted or proprietary
// compressed content: PDFs load, images decode to the last byte, Office and OFD packages inflate,
// text is valid in its encoding, and TIFF pages use only the common compression schemes.

export interface Finding {
  status: CheckStatus;
  detail: string;
}

export interface FormatReport {
  opens: Finding;
  compression: Finding;
  /** Pages the content has (PDFs and images); images also give each page's pixel size. */
  pages?: { count: number; sizes?: Array<{ width: number; height: number }> };
}

const pass = (detail: string): Finding => ({ status: 'pass', detail });
const fail = (detail: string): Finding => ({ status: 'fail', detail });
const skipped = (detail: string): Finding => ({ status: 'skipped', detail });

const LABELS: Record<string, string> = {
  'application/pdf': 'PDF',
  'image/jpeg': 'JPEG 图像',
  'image/png': 'PNG 图像',
  'image/tiff': 'TIFF 图像',
  'image/gif': 'GIF 图像',
  'image/webp': 'WebP 图像',
  'application/ofd': 'OFD 版式文件',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word 文档（DOCX）',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel 工作簿（XLSX）',
  'application/msword': 'Word 97–2003 文档（DOC）',
  'application/vnd.ms-excel': 'Excel 97–2003 工作簿（XLS）',
  'application/zip': 'ZIP 压缩包',
  'text/plain': '文本',
  'text/csv': 'CSV 文本',
  'application/xml': 'XML',
  'application/json': 'JSON',
  'audio/mpeg': 'MP3 音频',
  'video/mp4': 'MP4 视频',
  'application/octet-stream': '无法识别的格式',
};
export const formatLabel = (mediaType: string) => LABELS[mediaType] ?? mediaType;

/** What a file name's extension promises; names without a known extension promise nothing. */
const EXTENSION_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  gif: 'image/gif',
  webp: 'image/webp',
  ofd: 'application/ofd',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The entry a package of each kind cannot be without. */
const PACKAGE_ENTRIES: Record<string, string | undefined> = {
  'application/ofd': 'OFD.xml',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'word/document.xml',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xl/workbook.xml',
  'application/zip': undefined,
};
const TEXT_TYPES = new Set(['text/plain', 'text/csv', 'application/xml', 'application/json']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/tiff', 'image/gif', 'image/webp']);

/** PDFs are parsed in memory; larger ones are left to a person with a viewer. */
const MAX_PDF_BYTES = 512 * 1024 ** 2;
const MAX_INFLATED_BYTES = 2 * 1024 ** 3;
const MAX_INFLATE_RATIO = 1000;

/** Inspects a file whose content sniffs as `mediaType`; `fileName` says what it claims to be. */
export async function inspectFormat(
  file: string,
  size: number,
  mediaType: string,
  fileName: string,
): Promise<FormatReport> {
  const extension = /\.([A-Za-z0-9]{1,8})$/.exec(fileName)?.[1]?.toLowerCase();
  const promised = extension ? EXTENSION_TYPES[extension] : undefined;
  if (promised && promised !== mediaType) {
    const mismatch = fail(
      `文件名为 .${extension}（${formatLabel(promised)}），内容却是${formatLabel(mediaType)}`,
    );
    return { opens: mismatch, compression: skipped('文件格式与文件名不符，未检查压缩方式') };
  }
  if (mediaType === 'application/pdf') return inspectPdf(file, size);
  if (IMAGE_TYPES.has(mediaType)) return inspectImage(file, mediaType);
  if (Object.hasOwn(PACKAGE_ENTRIES, mediaType)) return inspectPackage(file, mediaType);
  if (TEXT_TYPES.has(mediaType))
    return { opens: await checkText(file, mediaType), compression: pass('文本，未压缩') };
  if (mediaType === 'application/msword' || mediaType === 'application/vnd.ms-excel')
    return inspectLegacyOffice(file, mediaType);
  if (mediaType.startsWith('audio/') || mediaType.startsWith('video/'))
    return {
      opens: skipped(`暂不支持检查${formatLabel(mediaType)}能否播放`),
      compression: skipped(`暂不支持检查${formatLabel(mediaType)}的编码`),
    };
  return {
    opens: fail('无法识别的文件格式，不能确认可以打开'),
    compression: skipped('文件格式无法识别，未检查压缩方式'),
  };
}

const STANDARD_PDF_FILTERS = new Set([
  'ASCIIHexDecode',
  'ASCII85Decode',
  'LZWDecode',
  'FlateDecode',
  'RunLengthDecode',
  'CCITTFaxDecode',
  'JBIG2Decode',
  'DCTDecode',
  'JPXDecode',
]);

async function inspectPdf(file: string, size: number): Promise<FormatReport> {
  if (size > MAX_PDF_BYTES)
    return {
      opens: skipped(`PDF 超过 ${MAX_PDF_BYTES / 1024 ** 2} MB，未做打开检查`),
      compression: skipped('PDF 过大，未检查压缩方式'),
    };
  let document: PDFDocument;
  let count: number;
  try {
    document = await PDFDocument.load(await fs.readFile(file), {
      throwOnInvalidObject: true,
      updateMetadata: false,
    });
    count = document.getPageCount();
  } catch (error) {
    if ((error as Error).message.includes('is encrypted')) {
      const encrypted = fail('PDF 已加密，离开密码无法长期读取');
      return { opens: encrypted, compression: encrypted };
    }
    // pdf-lib meets a PDF without a document catalog as a TypeError deep inside; say what it means.
    const reason =
      error instanceof TypeError ? '缺少文档目录或页面树' : (error as Error).message.slice(0, 120);
    const broken = fail(`PDF 无法打开（结构损坏）：${reason}`);
    return { opens: broken, compression: skipped('PDF 无法打开，未检查压缩方式') };
  }
  if (count === 0) return { opens: fail('PDF 没有任何页面'), compression: skipped('PDF 没有页面') };
  const unusual = new Set<string>();
  for (const [, object] of document.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFRawStream)) continue;
    const filter = object.dict.get(PDFName.of('Filter'));
    const names = filter instanceof PDFArray ? filter.asArray() : filter ? [filter] : [];
    for (const name of names) {
      const text = name instanceof PDFName ? name.decodeText() : String(name);
      if (!STANDARD_PDF_FILTERS.has(text)) unusual.add(text);
    }
  }
  return {
    opens: pass(`PDF 可以打开，共 ${count} 页`),
    compression:
      unusual.size > 0
        ? fail(`PDF 含有非标准的压缩或加密滤镜：${[...unusual].join('、')}`)
        : pass('PDF 仅使用标准压缩'),
    pages: { count },
  };
}

async function inspectImage(file: string, mediaType: string): Promise<FormatReport> {
  const label = formatLabel(mediaType);
  let count = 1;
  const sizes: Array<{ width: number; height: number }> = [];
  try {
    const options = { failOn: 'truncated', limitInputPixels: 2 ** 30 } as const;
    const metadata = await sharp(file, options).metadata();
    // Only TIFF pages are scanned pages; GIF and WebP frames are decoded together.
    count = mediaType === 'image/tiff' ? (metadata.pages ?? 1) : 1;
    for (let page = 0; page < count; page++) {
      const image = sharp(file, { ...options, page, ...(mediaType === 'image/tiff' ? {} : { pages: -1 }) });
      const { width, height } = await image.metadata();
      await image.stats();
      sizes.push({ width: width ?? 0, height: height ?? 0 });
    }
  } catch (error) {
    const broken = fail(
      `${label}无法完整解码（第 ${sizes.length + 1} 页）：${(error as Error).message.slice(0, 120)}`,
    );
    return {
      opens: broken,
      compression: mediaType === 'image/tiff' ? await checkTiff(file) : skipped('图像无法解码'),
    };
  }
  const opens = pass(count > 1 ? `${label}可以完整解码，共 ${count} 页` : `${label}可以完整解码`);
  const compression = mediaType === 'image/tiff' ? await checkTiff(file) : pass(`${label}使用其标准压缩`);
  return { opens, compression, pages: { count, sizes } };
}

/** TIFF compression (tag 259) values an archive may hold: none, CCITT, LZW, JPEG, Deflate, PackBits. */
const TIFF_COMPRESSIONS: Record<number, string> = {
  1: '不压缩',
  2: 'CCITT RLE',
  3: 'CCITT G3',
  4: 'CCITT G4',
  5: 'LZW',
  7: 'JPEG',
  8: 'Deflate',
  32946: 'Deflate',
  32773: 'PackBits',
};
const OTHER_TIFF_COMPRESSIONS: Record<number, string> = {
  6: '旧式 JPEG',
  34712: 'JPEG 2000',
  34887: 'LERC',
  34925: 'LZMA',
  50000: 'Zstandard',
  50001: 'WebP',
};
const MAX_TIFF_PAGES = 10_000;

async function checkTiff(file: string): Promise<Finding> {
  let compressions: number[];
  try {
    compressions = await tiffCompressions(file);
  } catch (error) {
    return fail(`TIFF 目录（IFD）无法读取：${(error as Error).message}`);
  }
  const unusual = compressions.flatMap((scheme, index) =>
    scheme in TIFF_COMPRESSIONS
      ? []
      : [`第 ${index + 1} 页 ${OTHER_TIFF_COMPRESSIONS[scheme] ?? '未知压缩'}（${scheme}）`],
  );
  if (unusual.length > 0) return fail(`TIFF 使用了非通用的压缩方式：${unusual.slice(0, 5).join('，')}`);
  const used = [...new Set(compressions.map((scheme) => TIFF_COMPRESSIONS[scheme]))].join('、');
  return pass(`TIFF ${compressions.length} 页，压缩方式：${used}`);
}

/** Tag 259 of every page, walking the IFD chain in either byte order; a loop or a stray offset is an error. */
export async function tiffCompressions(file: string): Promise<number[]> {
  const handle = await fs.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const read = async (offset: number, length: number) => {
      if (offset < 0 || offset + length > size) throw new Error(`偏移 ${offset} 超出文件范围`);
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(length), 0, length, offset);
      if (bytesRead < length) throw new Error(`偏移 ${offset} 处数据不完整`);
      return buffer;
    };
    const header = await read(0, 8);
    const order = header.toString('latin1', 0, 2);
    if (order !== 'II' && order !== 'MM') throw new Error('不是 TIFF 文件头');
    const little = order === 'II';
    const u16 = (bytes: Buffer, at: number) => (little ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
    const u32 = (bytes: Buffer, at: number) => (little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
    if (u16(header, 2) === 43) throw new Error('BigTIFF 暂不支持');
    if (u16(header, 2) !== 42) throw new Error('TIFF 标识不是 42');
    const compressions: number[] = [];
    const seen = new Set<number>();
    for (let offset = u32(header, 4); offset !== 0; ) {
      if (seen.has(offset)) throw new Error(`IFD 链在偏移 ${offset} 处成环`);
      if (compressions.length >= MAX_TIFF_PAGES) throw new Error(`超过 ${MAX_TIFF_PAGES} 页`);
      seen.add(offset);
      const count = u16(await read(offset, 2), 0);
      const entries = await read(offset + 2, count * 12 + 4);
      let compression = 1;
      for (let entry = 0; entry < count; entry++) {
        const at = entry * 12;
        if (u16(entries, at) !== 259) continue;
        // A SHORT value sits in the first two bytes of the value field in both byte orders.
        compression = u16(entries, at + 2) === 3 ? u16(entries, at + 8) : u32(entries, at + 8);
      }
      compressions.push(compression);
      offset = u32(entries, count * 12);
    }
    if (compressions.length === 0) throw new Error('没有任何页面');
    return compressions;
  } finally {
    await handle.close();
  }
}

async function inspectPackage(file: string, mediaType: string): Promise<FormatReport> {
  const label = formatLabel(mediaType);
  const required = PACKAGE_ENTRIES[mediaType];
  const encrypted: string[] = [];
  const proprietary: string[] = [];
  let found = required === undefined;
  let inflated = 0;
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await yauzl.openPromise(file, {
      lazyEntries: true,
      validateEntrySizes: true,
      strictFileNames: false,
    });
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName === required) found = true;
      if (entry.isEncrypted()) encrypted.push(entry.fileName);
      else if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
        proprietary.push(`${entry.fileName}（方法 ${entry.compressionMethod}）`);
      if (encrypted.length > 0 || proprietary.length > 0 || entry.fileName.endsWith('/')) continue;
      inflated += entry.uncompressedSize;
      const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
      if (inflated > MAX_INFLATED_BYTES || (entry.uncompressedSize > 1024 ** 2 && ratio > MAX_INFLATE_RATIO))
        throw new Error('解压后异常巨大（疑似压缩炸弹）');
      // Inflating every entry checks its data and CRC, which the directory alone cannot show.
      for await (const _chunk of await zip.openReadStreamPromise(entry)) {
        // Reading to the end is the check.
      }
    }
  } catch (error) {
    const broken = fail(`${label}无法打开（压缩包损坏）：${(error as Error).message.slice(0, 120)}`);
    return { opens: broken, compression: skipped('压缩包损坏，未检查压缩方式') };
  } finally {
    zip?.close();
  }
  if (encrypted.length > 0) {
    const finding = fail(`${label}含有加密内容：${encrypted.slice(0, 3).join('、')}`);
    return { opens: finding, compression: finding };
  }
  const compression =
    proprietary.length > 0
      ? fail(`${label}使用了非通用的压缩方法：${proprietary.slice(0, 3).join('、')}`)
      : pass(`${label}仅使用存储或 Deflate 压缩`);
  if (proprietary.length > 0) return { opens: fail(`${label}有无法解压的内容`), compression };
  if (!found) return { opens: fail(`${label}缺少必备的 ${required}，不是有效的${label}`), compression };
  return { opens: pass(`${label}可以打开，各部分完整`), compression };
}

/** Text must decode in its encoding: UTF-8, or the encoding an XML declaration names. */
async function checkText(file: string, mediaType: string): Promise<Finding> {
  const handle = await fs.open(file, 'r');
  try {
    const head = (await handle.read(Buffer.alloc(200), 0, 200, 0)).buffer.toString('latin1');
    const declared =
      mediaType === 'application/xml' ? /encoding=["']([A-Za-z0-9_-]+)["']/.exec(head)?.[1] : undefined;
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(declared ?? 'utf-8', { fatal: true });
    } catch {
      return fail(`XML 声明的编码“${declared}”无法识别`);
    }
    try {
      for await (const chunk of handle.createReadStream({ autoClose: false, start: 0 }))
        decoder.decode(chunk as Buffer, { stream: true });
      decoder.decode();
    } catch {
      return fail(`内容不是有效的 ${declared ?? 'UTF-8'} 文本（含有无法解码的字节）`);
    }
    return pass(`${formatLabel(mediaType)}可以正常读取（${declared ?? 'UTF-8'}）`);
  } finally {
    await handle.close();
  }
}

/** Old binary Office files: their compound-file directory is read and must name the main stream. */
async function inspectLegacyOffice(file: string, mediaType: string): Promise<FormatReport> {
  const found = classifyCompoundFile(await fs.readFile(file));
  const wanted = mediaType === 'application/msword' ? 'DOC' : 'XLS';
  if (found.kind === 'unreadable')
    return {
      opens: fail(`复合文档目录无法读取（${found.reason}）`),
      compression: skipped('文件损坏，未检查'),
    };
  if (found.kind === 'other' || found.label !== wanted)
    return { opens: fail(`内容不是登记的 ${wanted} 文件`), compression: skipped('格式不符，未检查') };
  if (found.kind === 'macros')
    return { opens: fail(`${wanted} 文件含宏代码（VBA）`), compression: skipped('含宏代码，未检查') };
  return {
    opens: pass(`${formatLabel(mediaType)}的复合文档目录完整，主数据流可以读取`),
    compression: skipped('旧版 Office 格式的压缩方式不作检查，建议转为 PDF 或 OFD 长期保存'),
  };
}
