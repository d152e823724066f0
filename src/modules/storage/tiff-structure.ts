// A TIFF's page table (the chain of IFDs) read by hand before any decoder sees it: libtiff follows a
// chain that loops back on itself with only a warning, and decodes a compression it does not know
// into grey pages, so both are refused here, with every page's pixel size, before anything is stored.

export interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export const bufferSource = (buffer: Buffer): ByteSource => ({
  size: buffer.length,
  read: async (offset, length) => buffer.subarray(offset, offset + length),
});

export interface TiffPage {
  width: number;
  height: number;
  compression: number;
}

/** A structural defect, described in Chinese for the message that refuses the file. */
export class TiffStructureError extends Error {}

/** Compression schemes the bundled libtiff decodes (none, CCITT, LZW, JPEG, Deflate, PackBits, LZMA, ZSTD, WebP). */
export const DECODABLE_COMPRESSIONS: ReadonlySet<number> = new Set([
  1, 2, 3, 4, 5, 6, 7, 8, 32773, 32946, 34925, 50000, 50001,
]);
/**
 * Registered schemes this server cannot decode (JBIG, JPEG 2000, LERC, JPEG XL, …): an attached file
 * using one is kept for the 四性检测 to report; a scan must decode, so it is refused. Any other number
 * is no scheme at all and refused everywhere.
 */
export const KNOWN_COMPRESSIONS: ReadonlySet<number> = new Set([
  ...DECODABLE_COMPRESSIONS,
  32771,
  32809,
  32895,
  32896,
  32897,
  32898,
  32908,
  32909,
  34661,
  34676,
  34677,
  34712,
  34887,
  34892,
  34933,
  34934,
  52546,
]);

/** More pages than a thick case file has; also what stops a chain that only pretends to end. */
export const MAX_TIFF_PAGES = 10_000;
const MAX_ENTRIES = 4096;

const TAG_WIDTH = 256;
const TAG_HEIGHT = 257;
const TAG_COMPRESSION = 259;

export function isTiff(head: Buffer): boolean {
  const order = head.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return false;
  const magic = order === 'II' ? head.readUInt16LE(2) : head.readUInt16BE(2);
  return head.length >= 4 && (magic === 42 || magic === 43);
}

export async function readTiffPages(
  source: ByteSource,
  compressions: ReadonlySet<number> = KNOWN_COMPRESSIONS,
): Promise<TiffPage[]> {
  const header = await source.read(0, 16);
  if (header.length < 8 || !isTiff(header)) throw new TiffStructureError('不是有效的 TIFF 文件头');
  const little = header.toString('latin1', 0, 2) === 'II';
  const big = (little ? header.readUInt16LE(2) : header.readUInt16BE(2)) === 43;
  const u16 = (buffer: Buffer, at: number) => (little ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at));
  const u32 = (buffer: Buffer, at: number) => (little ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at));
  const u64 = (buffer: Buffer, at: number) =>
    Number(little ? buffer.readBigUInt64LE(at) : buffer.readBigUInt64BE(at));
  const entrySize = big ? 20 : 12;
  const countSize = big ? 8 : 2;
  const offsetSize = big ? 8 : 4;
  if (big && header.length < 16) throw new TiffStructureError('BigTIFF 文件头不完整');
  let offset = big ? u64(header, 8) : u32(header, 4);
  const seen = new Set<number>();
  const pages: TiffPage[] = [];
  while (offset !== 0) {
    if (seen.has(offset))
      throw new TiffStructureError(`页面目录（IFD）循环：第 ${pages.length + 1} 页指回了已读过的目录`);
    if (pages.length >= MAX_TIFF_PAGES) throw new TiffStructureError(`页数超过 ${MAX_TIFF_PAGES} 页`);
    if (offset < 8 || offset + countSize > source.size)
      throw new TiffStructureError(`第 ${pages.length + 1} 页的目录位置超出文件`);
    seen.add(offset);
    const countBytes = await source.read(offset, countSize);
    const count = big ? u64(countBytes, 0) : u16(countBytes, 0);
    if (count === 0 || count > MAX_ENTRIES)
      throw new TiffStructureError(`第 ${pages.length + 1} 页的目录项数异常（${count}）`);
    const tableSize = count * entrySize + offsetSize;
    const table = await source.read(offset + countSize, tableSize);
    if (table.length < tableSize) throw new TiffStructureError(`第 ${pages.length + 1} 页的目录不完整`);
    const values = new Map<number, number>();
    for (let index = 0; index < count; index++) {
      const at = index * entrySize;
      const tag = u16(table, at);
      if (tag !== TAG_WIDTH && tag !== TAG_HEIGHT && tag !== TAG_COMPRESSION) continue;
      const type = u16(table, at + 2);
      const valueAt = at + 4 + (big ? 8 : 4);
      // SHORT, LONG or LONG8 held in the entry itself (one value always fits).
      const value =
        type === 3
          ? u16(table, valueAt)
          : type === 4
            ? u32(table, valueAt)
            : type === 16
              ? u64(table, valueAt)
              : -1;
      values.set(tag, value);
    }
    const width = values.get(TAG_WIDTH) ?? -1;
    const height = values.get(TAG_HEIGHT) ?? -1;
    const compression = values.get(TAG_COMPRESSION) ?? 1;
    if (width <= 0 || height <= 0)
      throw new TiffStructureError(`第 ${pages.length + 1} 页没有有效的宽度或高度`);
    if (!compressions.has(compression))
      throw new TiffStructureError(`第 ${pages.length + 1} 页使用了无法解码的压缩方式（${compression}）`);
    pages.push({ width, height, compression });
    offset = big ? u64(table, count * entrySize) : u32(table, count * entrySize);
  }
  if (pages.length === 0) throw new TiffStructureError('没有页面');
  return pages;
}
