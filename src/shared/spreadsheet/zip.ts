import yauzl from 'yauzl';
import { isYidangError } from '../errors.js';
import { type ReadStats, type SpreadsheetLimits, sizeText, tooLarge, unreadable, unsafe } from './limits.js';

// An XLSX's zip, opened so that nothing in it is trusted: entries are counted and their names checked
// before anything is inflated, and every entry's bytes are counted as they are inflated, so a file that
// lies about its sizes is stopped at the bound, not after it has filled the memory.

const MIB = 1024 * 1024;

/** A name that could point outside the package, or be read as another part by another reader. */
function unsafeName(name: string): boolean {
  return (
    name === '' ||
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    /[\\\u0000-\u001f\u007f]/.test(name) ||
    name.split('/').some((segment) => segment === '..' || segment === '.')
  );
}

function openBuffer(content: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(
      content,
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true },
      (error, zip) => (error || !zip ? reject(error) : resolve(zip)),
    );
  });
}

/** A lie about sizes (yauzl checks the real size against the declared one) or damaged data. */
function streamError(error: unknown): Error {
  if (isYidangError(error)) return error;
  const message = (error as Error)?.message ?? '';
  if (/too many bytes|not enough bytes|expected/i.test(message))
    return unsafe('XLSX 中部件解压后的实际大小与其声明不符（文件被篡改或已损坏），已拒绝');
  return unreadable('XLSX 文件已损坏（压缩数据无法解开）');
}

export class SafeZip {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: ReadonlyMap<string, yauzl.Entry>,
    private readonly limits: SpreadsheetLimits,
    private readonly stats: ReadStats,
    private readonly fileBytes: number,
  ) {}

  static async open(content: Buffer, limits: SpreadsheetLimits, stats: ReadStats): Promise<SafeZip> {
    let zip: yauzl.ZipFile;
    try {
      zip = await openBuffer(content);
    } catch {
      throw unreadable('XLSX 文件已损坏（不是有效的 ZIP）');
    }
    try {
      if (zip.entryCount > limits.maxEntries)
        throw tooLarge(`XLSX 中的部件超过 ${limits.maxEntries} 个（上限），已拒绝`);
      const entries = await new Promise<Map<string, yauzl.Entry>>((resolve, reject) => {
        const found = new Map<string, yauzl.Entry>();
        let declared = 0;
        zip.on('entry', (entry: yauzl.Entry) => {
          // decodeStrings is off: the name is the raw bytes, checked here rather than trusted to a decoder.
          const name = (entry.fileName as unknown as Buffer).toString('utf8');
          if (unsafeName(name))
            return reject(unsafe('XLSX 中有文件名异常的部件（含 ../、绝对路径、反斜杠或控制字符），已拒绝'));
          // Part names are case-insensitive: two spellings of one name are two parts a reader may confuse.
          const key = name.toLowerCase();
          if (found.has(key)) return reject(unsafe('XLSX 中有重名的部件，已拒绝'));
          if (found.size >= limits.maxEntries)
            return reject(tooLarge(`XLSX 中的部件超过 ${limits.maxEntries} 个（上限），已拒绝`));
          // What the file declares is only a first sieve: an honest file past the bound needs no inflating.
          declared += entry.uncompressedSize;
          if (declared > limits.maxInflatedBytes)
            return reject(
              tooLarge(`XLSX 解压后超过 ${sizeText(limits.maxInflatedBytes)}（上限），请拆分后导入`),
            );
          found.set(key, entry);
          zip.readEntry();
        });
        zip.on('end', () => resolve(found));
        zip.on('error', () => reject(unreadable('XLSX 文件已损坏（ZIP 目录有误）')));
        zip.readEntry();
      });
      return new SafeZip(zip, entries, limits, stats, content.length);
    } catch (error) {
      zip.close();
      throw error;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name.toLowerCase());
  }

  /** Inflates an entry chunk by chunk, counting every byte; stops at the first bound passed. */
  async *chunks(name: string): AsyncGenerator<Buffer> {
    const entry = this.entries.get(name.toLowerCase());
    if (!entry) throw unreadable(`XLSX 中缺少部件 ${name}`);
    if ((entry.generalPurposeBitFlag & 0x1) !== 0) throw unreadable('XLSX 中有加密的部件，无法读取');
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
      throw unreadable('XLSX 使用了不支持的压缩方式');
    const { limits, stats } = this;
    // The compressed size is declared too: it can be no larger than the file.
    const compressed = Math.max(1, Math.min(entry.compressedSize, this.fileBytes));
    let stream: NodeJS.ReadableStream;
    try {
      stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
        this.zip.openReadStream(entry, (error, readable) =>
          error || !readable ? reject(error) : resolve(readable),
        ),
      );
    } catch (error) {
      throw streamError(error);
    }
    let inflated = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        inflated += chunk.length;
        stats.bytesRead += chunk.length;
        if (stats.bytesRead > limits.maxInflatedBytes)
          throw tooLarge(`XLSX 解压后超过 ${sizeText(limits.maxInflatedBytes)}（上限），请拆分后导入`);
        if (inflated > limits.maxEntryBytes)
          throw tooLarge(`XLSX 中单个部件解压后超过 ${sizeText(limits.maxEntryBytes)}（上限），请拆分后导入`);
        if (inflated > MIB && inflated / compressed > limits.maxInflateRatio)
          throw unsafe('XLSX 文件解压后异常巨大（疑似压缩炸弹），已拒绝');
        yield chunk;
      }
    } catch (error) {
      throw streamError(error);
    } finally {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
  }

  close(): void {
    this.zip.close();
  }
}
