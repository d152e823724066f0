import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/helpers/database.js';
import {
  ACTOR,
  blobFile,
  chunked,
  countRows,
  eventsOf,
  filesUnder,
  MiB,
  PDF,
  readAll,
  sha256,
  snapshot,
} from '../../../test/helpers/file-service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure } from '../../../test/helpers/fixtures.js';
import { opaqueBytes } from '../../../test/helpers/opaque-content.js';
import {
  asDirectory,
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import type { DirectoryReplica } from './directory-replica.js';
import { addFile, listFiles, openFile } from './file.service.js';

// Files attached to items, end to end (a real database, real keys, real replica directories), part 1:
// adding and opening files while every replica is healthy, and what a refused file leaves behind.
// The shared helpers are in test/helpers/file-service.ts; part 2 (replicas that fail, corrupt copies,
// the wrong master key, optional replicas, SM3/SM4) is file.service.replicas.test.ts.

describe('addFile and openFile', () => {
  let system: TestSystem;
  let code: string;

  beforeAll(async () => {
    system = await openTestSystem();
    code = await fileOneItem(system);
  });
  afterAll(async () => {
    await system?.dispose();
  });

  it('stores content under its sha256 digest with size, media type and both replicas', async () => {
    const added = await addFile(
      storage(system),
      code,
      { stream: streamOf(PDF), fileName: 'scan.bin' },
      ACTOR,
    );
    expect(added.digest).toBe(`sha256:${sha256(PDF)}`);
    expect(added.size).toBe(PDF.length);
    expect(added.mediaType).toBe('application/pdf');
    expect(added.replicas).toEqual(['r1', 'r2']);
    expect(added.fileName).toBe('scan.bin');
    expect(added.addedBy).toBe(ACTOR);
    expect(Number.isNaN(Date.parse(added.addedAt))).toBe(false);

    const text = Buffer.from('门诊病历摘要：患者王建国，2024年3月15日就诊。\n');
    const note = await addFile(
      storage(system),
      code,
      { stream: streamOf(text), fileName: 'note.txt' },
      ACTOR,
    );
    expect(note.mediaType).toBe('text/plain');
    expect(note.digest).toBe(`sha256:${sha256(text)}`);
    expect(note.size).toBe(text.length);

    const [added1] = await eventsOf(system, 'file.added');
    expect(added1?.payload).toMatchObject({ digest: added.digest, fileName: 'scan.bin', size: PDF.length });
    expect(await eventsOf(system, 'blob.stored', `blob:${added.digest}`)).toHaveLength(1);
  });

  it('keeps only ciphertext on the replicas, the same bytes on each', async () => {
    const marker = 'YIDANG-PLAINTEXT-MARKER-王建国-3201151985';
    const content = Buffer.from(`${marker}\n`.repeat(200));
    const added = await addFile(
      storage(system),
      code,
      { stream: streamOf(content), fileName: 'marker.txt' },
      ACTOR,
    );
    const onR1 = fs.readFileSync(blobFile(system, 'r1', added.digest));
    const onR2 = fs.readFileSync(blobFile(system, 'r2', added.digest));
    expect(onR1.equals(onR2)).toBe(true);
    expect(onR1.includes(Buffer.from(marker))).toBe(false);
    expect(onR1.includes(Buffer.from('YIDANG-PLAINTEXT'))).toBe(false);
    expect(onR1.subarray(0, 4).toString('ascii')).toBe('YDB1');
    expect(onR1.length).toBeGreaterThan(content.length);
    const row = await system.database.db
      .selectFrom('storage_blob')
      .selectAll()
      .where('digest', '=', added.digest)
      .executeTakeFirstOrThrow();
    expect(Number(row.stored_size)).toBe(onR1.length);
    expect(row.stored_digest).toBe(sha256(onR1));
    expect(row.suite).toBe('aes-256-gcm');
    expect(row.key_id).toBe(system.keyring.current.id);
  });

  it('stores identical content once but attaches it every time', async () => {
    const other = await fileOneItem(system, { name: '李秀英', title: '李秀英 门诊慢特病待遇认定表' });
    const content = opaqueBytes(40_000);
    const digest = `sha256:${sha256(content)}`;
    const before = await snapshot(system);

    const first = await addFile(
      storage(system),
      code,
      { stream: streamOf(content), fileName: 'a.bin' },
      ACTOR,
    );
    const again = await addFile(
      storage(system),
      code,
      { stream: streamOf(content), fileName: 'b.bin' },
      ACTOR,
    );
    const elsewhere = await addFile(
      storage(system),
      other,
      { stream: streamOf(content), fileName: 'c.bin' },
      ACTOR,
    );
    expect([first.digest, again.digest, elsewhere.digest]).toEqual([digest, digest, digest]);
    expect(again.fileNumber).toBe(first.fileNumber + 1);
    expect(elsewhere.fileNumber).toBe(1);

    const after = await snapshot(system);
    expect(after.blobs).toBe(before.blobs + 1);
    expect(after.itemFiles).toBe(before.itemFiles + 3);
    for (const name of ['r1', 'r2']) {
      expect(after.files[name]?.length).toBe((before.files[name]?.length ?? 0) + 1);
      expect(fs.existsSync(blobFile(system, name, digest))).toBe(true);
    }
    const attached = await system.database.db
      .selectFrom('item_file')
      .select(['file_name'])
      .where('digest', '=', digest)
      .orderBy('file_name')
      .execute();
    expect(attached.map((row) => row.file_name)).toEqual(['a.bin', 'b.bin', 'c.bin']);
    expect(await eventsOf(system, 'blob.stored', `blob:${digest}`)).toHaveLength(1);

    const { stream } = await openFile(storage(system), other, 1, ACTOR);
    expect((await readAll(stream)).equals(content)).toBe(true);
  });

  it('numbers files 1, 2, 3 within each item and lists them in order', async () => {
    const item = await fileOneItem(system, { name: '赵敏', title: '赵敏 异地就医备案表' });
    const names = ['一.txt', '二.txt', '三.txt'];
    const added = [];
    for (const [i, fileName] of names.entries()) {
      added.push(
        await addFile(
          storage(system),
          item,
          { stream: streamOf(`第${i + 1}份 ${fileName}`), fileName },
          ACTOR,
        ),
      );
    }
    expect(added.map((file) => file.fileNumber)).toEqual([1, 2, 3]);
    const listed = await listFiles(system.database.db, item, SYSTEM);
    expect(listed.map((file) => file.fileNumber)).toEqual([1, 2, 3]);
    expect(listed.map((file) => file.fileName)).toEqual(names);
    expect(listed.map((file) => file.digest)).toEqual(added.map((file) => file.digest));
    expect(listed.every((file) => file.replicas.join() === 'r1,r2')).toBe(true);
    expect(listed[1]).toEqual(added[1]);
  });

  it('streams back exactly the bytes stored: 0.5 MiB and 3 MiB of random content', async () => {
    for (const [size, piece] of [
      [MiB / 2, 7_000],
      [3 * MiB, 65_536 + 3],
    ] as const) {
      const content = opaqueBytes(size);
      const added = await addFile(
        storage(system),
        code,
        { stream: chunked(content, piece), fileName: `random-${size}.bin` },
        ACTOR,
      );
      expect(added.size).toBe(size);
      expect(added.digest).toBe(`sha256:${sha256(content)}`);
      const { file, stream } = await openFile(storage(system), code, added.fileNumber, ACTOR);
      expect(file.digest).toBe(added.digest);
      const back = await readAll(stream);
      expect(back.length).toBe(size);
      expect(back.equals(content)).toBe(true);
    }
    const reads = await eventsOf(system, 'file.read');
    expect(reads.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses empty content and records nothing', async () => {
    const before = await snapshot(system);
    const error = await failure(
      addFile(storage(system), code, { stream: streamOf(Buffer.alloc(0)), fileName: 'empty.pdf' }, ACTOR),
    );
    expect(error.code).toBe('FILE_EMPTY');
    expect(error.message).toContain('empty.pdf');
    const after = await snapshot(system);
    expect(after).toEqual(before);
    for (const replica of system.store.replicas.map(asDirectory))
      expect(filesUnder(path.join(replica.root, 'tmp'))).toEqual([]);
  });

  it('refuses path-like, empty and control-character names before reading', async () => {
    for (const fileName of [
      '../x',
      'a/b',
      '..',
      '.',
      'a\\b',
      '..\\x',
      '/etc/passwd',
      'a\u0000b.txt',
      'line\nbreak.txt',
      'tab\t.txt',
      'bell\u0007.txt',
      'del\u007f.txt',
      '',
      '   ',
    ]) {
      let pulled = false;
      const stream = new Readable({
        read() {
          pulled = true;
          this.push(null);
        },
      });
      const error = await failure(addFile(storage(system), code, { stream, fileName }, ACTOR));
      expect(error.code, JSON.stringify(fileName)).toBe('FILE_NAME_INVALID');
      expect(pulled).toBe(false);
    }
    const long = await failure(
      addFile(storage(system), code, { stream: streamOf('x'), fileName: `${'档'.repeat(201)}.txt` }, ACTOR),
    );
    expect(long.code).toBe('FILE_NAME_INVALID');
  });

  it('refuses C1 control characters in names like C0 ones', async () => {
    // Regression (fixed): checkFileName (file.service.ts:50) only refuses U+0000–U+001F and U+007F; the C1 controls
    // U+0080–U+009F (e.g. U+0085 NEL, a line break to many tools, and U+009B CSI, a terminal escape)
    // are control characters too and are accepted as part of a stored file name.
    for (const fileName of ['next\u0085line.txt', 'csi\u009b31m.txt']) {
      const error = await failure(addFile(storage(system), code, { stream: streamOf('x'), fileName }, ACTOR));
      expect(error.code, JSON.stringify(fileName)).toBe('FILE_NAME_INVALID');
    }
  });

  it('accepts ordinary Chinese names and trims surrounding spaces', async () => {
    const added = await addFile(
      storage(system),
      code,
      { stream: streamOf('发票'), fileName: '  门诊发票（2024-03-15）扫描件.txt  ' },
      ACTOR,
    );
    expect(added.fileName).toBe('门诊发票（2024-03-15）扫描件.txt');
  });

  it('refuses an unknown 档号 before reading the content', async () => {
    let pulled = false;
    const stream = new Readable({
      read() {
        pulled = true;
        this.push(Buffer.from('never read'));
        this.push(null);
      },
    });
    const before = await snapshot(system);
    const error = await failure(
      addFile(storage(system), 'J013-JSLX-2024-JSK-D30-9999', { stream, fileName: 'a.txt' }, ACTOR),
    );
    expect(error.code).toBe('ITEM_NOT_FOUND');
    expect(pulled).toBe(false);
    expect(await snapshot(system)).toEqual(before);
  });

  it('reports an unknown file number as FILE_NOT_FOUND', async () => {
    const error = await failure(openFile(storage(system), code, 999, ACTOR));
    expect(error.code).toBe('FILE_NOT_FOUND');
  });

  it('leaves only a temporary file when a writer dies, and the sweep removes it', async () => {
    const replica = system.store.replicas[0] as DirectoryReplica;
    const tmp = path.join(replica.root, 'tmp');
    const blobsBefore = filesUnder(path.join(replica.root, 'blobs'));
    const partial = Buffer.from('half of a scan that was never finished');
    const write = await replica.beginWrite();
    await write.write(partial);
    // The writer is killed here: no commit, no abort.
    const leftovers = filesUnder(tmp);
    expect(leftovers).toHaveLength(1);
    expect(leftovers[0]).toMatch(/^[0-9a-f]{8}\.\d+\.[0-9a-f]{8}\.[0-9a-f]{24}\.part$/);
    expect(filesUnder(path.join(replica.root, 'blobs'))).toEqual(blobsBefore);
    expect(await replica.openRead(`sha256:${sha256(partial)}`)).toBeUndefined();

    // A sweep for old leftovers keeps a file that is still being written …
    expect(await replica.sweepTemporary(60 * 60 * 1000)).toBe(0);
    expect(filesUnder(tmp)).toHaveLength(1);
    // … and with no age limit removes it (once the clock has moved past its modification time).
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await replica.sweepTemporary(0)).toBe(1);
    expect(filesUnder(tmp)).toEqual([]);
    await write.abort();
  });

  it.runIf(onPostgres)('stores the same new content added twice at once exactly once', async () => {
    const content = opaqueBytes(2 * MiB + 333);
    const digest = `sha256:${sha256(content)}`;
    const other = await fileOneItem(system, { name: '孙立', title: '孙立 住院费用报销审核表' });
    const blobsBefore = await countRows(system, 'storage_blob');
    const results = await Promise.all([
      addFile(storage(system), other, { stream: chunked(content, 100_000), fileName: 'one.bin' }, ACTOR),
      addFile(storage(system), other, { stream: chunked(content, 170_000), fileName: 'two.bin' }, ACTOR),
    ]);
    expect(results.map((file) => file.digest)).toEqual([digest, digest]);
    expect(results.map((file) => file.fileNumber).sort()).toEqual([1, 2]);
    expect(await countRows(system, 'storage_blob')).toBe(blobsBefore + 1);
    expect(await eventsOf(system, 'blob.stored', `blob:${digest}`)).toHaveLength(1);
    for (const fileNumber of [1, 2]) {
      const { stream } = await openFile(storage(system), other, fileNumber, ACTOR);
      expect((await readAll(stream)).equals(content)).toBe(true);
    }
    for (const replica of system.store.replicas.map(asDirectory)) {
      expect(filesUnder(path.join(replica.root, 'tmp'))).toEqual([]);
      const stored = fs.readFileSync(replica.blobPath(digest));
      const row = await system.database.db
        .selectFrom('storage_blob')
        .select('stored_digest')
        .where('digest', '=', digest)
        .executeTakeFirstOrThrow();
      expect(sha256(stored)).toBe(row.stored_digest);
    }
  });
});
