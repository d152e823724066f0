import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACTOR,
  blobFile,
  copyStatus,
  eventsOf,
  flipByte,
  readAll,
} from '../../../test/helpers/file-service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { opaqueBytes } from '../../../test/helpers/opaque-content.js';
import {
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from '../../../test/helpers/system.js';
import { findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { addFile } from './file.service.js';
import { type FileToProcess, filesForProcessing } from './file.processing.js';

// Many items' files opened for processing in one go (the transfer export): each item's files in
// order, each copy read once and still checked — a corrupt copy fails the stream (never passes bad
// bytes), is reported, and the next open reads the good replica; a missing copy falls to the next.

let system: TestSystem;
const codes: string[] = [];
const ids: number[] = [];
const contents = [opaqueBytes(200_000), opaqueBytes(70_000), opaqueBytes(1_000)];
const digests: string[] = [];

beforeAll(async () => {
  system = await openTestSystem();
  for (let n = 0; n < 2; n++) codes.push(await fileOneItem(system, { title: `处理文件 ${n}` }));
  for (const [index, content] of contents.entries()) {
    const added = await addFile(
      storage(system),
      codes[index === 2 ? 1 : 0] as string,
      { stream: streamOf(content), fileName: `f${index}.bin` },
      ACTOR,
    );
    digests.push(added.digest);
  }
  const items = await findItemsByCodes(system.database.db, codes, scopedQuery(SYSTEM));
  for (const code of codes) ids.push(items.find((item) => item.archiveCode === code)?.id as number);
});
afterAll(() => system?.dispose());

const open = async (file: FileToProcess | undefined, skip?: ReadonlySet<string>) =>
  (await (file as FileToProcess).open(skip)).stream;
const processing = () =>
  filesForProcessing({ db: system.database.db, store: system.store, access: SYSTEM }, ids, ACTOR);

describe('files opened for processing', () => {
  it('gives each item its files in order, and their content', async () => {
    const files = await processing();
    expect(files.get(ids[0] as number)?.map((f) => f.file.fileName)).toEqual(['f0.bin', 'f1.bin']);
    expect(files.get(ids[1] as number)?.map((f) => f.file.fileName)).toEqual(['f2.bin']);
    const first = files.get(ids[0] as number)?.[0];
    expect((await readAll(await open(first))).equals(contents[0] as Buffer)).toBe(true);
  });

  it('fails on a corrupt copy instead of passing it, reports it, and reads the other replica next', async () => {
    const digest = digests[0] as string;
    flipByte(blobFile(system, 'r1', digest), 100_000);
    const [first] = (await processing()).get(ids[0] as number) ?? [];
    await expect(readAll(await open(first))).rejects.toThrow();
    // The copy is checked whole after the failure and its corruption recorded.
    for (let wait = 0; wait < 50 && (await copyStatus(system, digest)).r1 !== 'corrupt'; wait++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await copyStatus(system, digest)).toEqual({ r1: 'corrupt', r2: 'ok' });
    expect(await eventsOf(system, 'blob.corruption_detected', `blob:${digest}`)).toHaveLength(1);
    // Started over without the bad replica at once, or opened again later: the good copy is read.
    expect((await readAll(await open(first, new Set(['r1'])))).equals(contents[0] as Buffer)).toBe(true);
    const [again] = (await processing()).get(ids[0] as number) ?? [];
    expect((await readAll(await open(again))).equals(contents[0] as Buffer)).toBe(true);
  });

  it('falls to the next replica when a copy is missing', async () => {
    const digest = digests[2] as string;
    fs.rmSync(blobFile(system, 'r1', digest));
    const [only] = (await processing()).get(ids[1] as number) ?? [];
    expect((await readAll(await open(only))).equals(contents[2] as Buffer)).toBe(true);
    expect(await copyStatus(system, digest)).toEqual({ r1: 'missing', r2: 'ok' });
  });
});
