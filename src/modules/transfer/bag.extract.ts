import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { YidangError } from '../../shared/errors.js';

// Reading a received tar into a fresh directory, entry by entry: only regular files and directories;
// every name checked (no absolute path, no `..`, no backslash or NUL) and resolved inside the target;
// a file written once (a second entry of the same name is refused, never overwrites); total size and
// entry count bounded. The tar's own names are never trusted to decide where a byte lands.

export interface ExtractLimits {
  /** Total bytes of all files (default 64 GiB). */
  maxBytes?: number;
  /** Entries (default 2,000,000). */
  maxEntries?: number;
}

const unsafeTar = (message: string) => new YidangError('RECEIVE_TAR_UNSAFE', 'invalid', message);

/** The entry's name split into safe segments, or an error naming why it is refused. */
function segmentsOf(name: string): string[] {
  const trimmed = name.replace(/\/+$/, '');
  if (trimmed === '' || trimmed.startsWith('/') || /^[A-Za-z]:/.test(trimmed)) {
    throw unsafeTar(`tar 中的条目“${name}”是空名或绝对路径`);
  }
  if (trimmed.includes('\\') || trimmed.includes('\0'))
    throw unsafeTar(`tar 中的条目“${name}”含有反斜杠或空字符`);
  const segments = trimmed.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw unsafeTar(`tar 中的条目“${name}”含有“..”“.”或空的路径段`);
  }
  return segments;
}

/**
 * Extracts a tar stream into `dest` (which must not exist). Returns the bag's directory: `dest`
 * itself when bagit.txt is at the top, or the single top-level directory the tar holds.
 */
export async function extractBagTar(
  source: Readable,
  dest: string,
  limits: ExtractLimits = {},
): Promise<string> {
  const maxBytes = limits.maxBytes ?? 64 * 1024 ** 3;
  const maxEntries = limits.maxEntries ?? 2_000_000;
  await fsp.mkdir(dest, { recursive: false, mode: 0o700 });
  const root = path.resolve(dest);
  let bytes = 0;
  let entries = 0;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const done = (error?: unknown) => {
      if (error) {
        stream.resume();
        next(error as Error);
      } else next();
    };
    (async () => {
      if (++entries > maxEntries) throw unsafeTar(`tar 的条目超过 ${maxEntries} 个`);
      const segments = segmentsOf(header.name);
      const target = path.resolve(root, ...segments);
      if (!target.startsWith(`${root}${path.sep}`))
        throw unsafeTar(`tar 中的条目“${header.name}”越出目标目录`);
      if (header.type === 'directory') {
        await fsp.mkdir(target, { recursive: true, mode: 0o700 });
        stream.resume();
        return;
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        throw unsafeTar(
          `tar 中的条目“${header.name}”是${header.type === 'symlink' || header.type === 'link' ? '链接' : '特殊文件'}，不予接收`,
        );
      }
      bytes += header.size ?? 0;
      if (bytes > maxBytes)
        throw new YidangError('RECEIVE_TOO_LARGE', 'too_large', `tar 的内容超过 ${maxBytes} 字节的上限`);
      await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      // 'wx': an existing name (a repeated entry) is an error, never an overwrite.
      await pipeline(stream, fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
    })().then(
      () => done(),
      (error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        done(code === 'EEXIST' ? unsafeTar(`tar 中的条目“${header.name}”重复出现`) : error);
      },
    );
  });
  try {
    await pipeline(source, extract);
  } catch (error) {
    if (error instanceof YidangError) throw error;
    throw unsafeTar(`无法读取 tar：${(error as Error).message}`);
  }
  if (fs.existsSync(path.join(root, 'bagit.txt'))) return root;
  const top = await fsp.readdir(root, { withFileTypes: true });
  const only = top.length === 1 ? top[0] : undefined;
  return only?.isDirectory() ? path.join(root, only.name) : root;
}
