import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { invalid } from '../../shared/errors.js';
import { safeBagPath } from './bag.write.js';

// A written bag as one tar stream (the API's download): entries under `<bag name>/`, regular files and
// directories only, in a fixed order, each file read as the archive is consumed — nothing is held
// whole, so a 20 GB bag streams with the memory of one chunk.

/** Bag-relative paths of every regular file under `dir`, sorted (tag files first, then data/). */
export async function bagFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string) => {
    const entries = await fsp.readdir(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile()) found.push(child);
      else throw invalid('BAG_PATH_UNSAFE', `移交包中含有链接或特殊文件：${child}`);
    }
  };
  await walk('');
  const tagFirst = (name: string) => (name.startsWith('data/') ? 1 : 0);
  return found.sort((a, b) => tagFirst(a) - tagFirst(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The bag at `dir` as a tar stream; entry names are `<root>/<bag path>` (root: the bag's folder name). */
export function bagTarStream(dir: string, root = path.basename(dir)): Readable {
  const pack = tar.pack();
  const mtime = new Date();
  const run = async () => {
    const files = await bagFiles(dir);
    const dirs = new Set<string>();
    for (const relative of files) {
      safeBagPath(relative);
      // Parent directories first, so extractors that do not create them still work.
      const parts = relative.split('/');
      for (let depth = 1; depth < parts.length; depth++) {
        const parent = parts.slice(0, depth).join('/');
        if (dirs.has(parent)) continue;
        dirs.add(parent);
        pack.entry({ name: `${root}/${parent}/`, type: 'directory', mode: 0o755, mtime });
      }
      const file = path.join(dir, ...parts);
      const { size } = await fsp.stat(file);
      const entry = pack.entry({ name: `${root}/${relative}`, size, mode: 0o644, mtime });
      await pipeline(fs.createReadStream(file), entry);
    }
    pack.finalize();
  };
  run().catch((error: unknown) => pack.destroy(error as Error));
  return pack as unknown as Readable;
}
