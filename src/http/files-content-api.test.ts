// test-engine: either
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { legacyDoc, legacyXls, msiLike } from '../../test/helpers/compound-files.js';
import { countRows, eventsOf, filesUnder, replicaRoot } from '../../test/helpers/file-service.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { failure } from '../../test/helpers/fixtures.js';
import { fakeExe, handTiff, tinyPdf } from '../../test/helpers/hostile-files.js';
import { opaqueBytes } from '../../test/helpers/opaque-content.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { inTransaction } from '../db/transaction.js';
import { getItem } from '../modules/catalog/item.service.js';
import { addScan } from '../modules/scan/scan.service.js';
import { attachStaged } from '../modules/storage/file.service.js';
import { type App, buildApp } from './app.js';

// No stored file can crash the server, and every attached file is what its content is (issue 21):
// hostile uploads are refused before anything is stored; a hostile file that got into the store
// anyway (inserted past the checks, as one kept from before them would be) answers 422 on download
// and the server goes on answering; hostile TIFF scans are refused before they are accepted.

let system: TestSystem;
let app: App;
let base: string;
let archiveCode: string;
let archivist: TestUser;

beforeAll(async () => {
  system = await openTestSystem();
  archiveCode = await fileOneItem(system);
  archivist = await testUser(system.database.db, { roles: ['archivist'], username: 'archivist-h2' });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const filesUrl = (code: string) => `${base}/api/v1/items/${encodeURIComponent(code)}/files`;
const call = (url: string, init: RequestInit = {}) =>
  fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...archivist.headers } });

function upload(content: Buffer, name: string) {
  const form = new FormData();
  form.append('file', new Blob([content]), name);
  return call(filesUrl(archiveCode), { method: 'POST', body: form });
}

/** Nothing of a refused upload is left: no blob, no file row, no temporary file on any replica. */
async function nothingStored(before: { blobs: number; files: number }) {
  expect(await countRows(system, 'storage_blob')).toBe(before.blobs);
  expect(await countRows(system, 'item_file')).toBe(before.files);
  for (const name of ['r1', 'r2']) expect(filesUnder(`${replicaRoot(system, name)}/tmp`)).toEqual([]);
}
const payloadOf = (payload: unknown) =>
  (typeof payload === 'string' ? JSON.parse(payload) : payload) as Record<string, unknown>;
const counts = async () => ({
  blobs: await countRows(system, 'storage_blob'),
  files: await countRows(system, 'item_file'),
});

describe('uploads refused by content', () => {
  it('refuses the tiny PDF with a 200,000-pt page, a renamed program and hostile TIFFs, storing nothing', async () => {
    const before = await counts();
    const cases: Array<[Buffer, string, string]> = [
      [tinyPdf(), 'tiny.pdf', 'FILE_BOUNDS_EXCEEDED'],
      [fakeExe(), 'fake.pdf', 'FILE_EXECUTABLE'],
      [handTiff({ loop: true }), 'loop.tif', 'FILE_UNDECODABLE'],
      [handTiff({ compression: 65000 }), 'odd.tif', 'FILE_UNDECODABLE'],
    ];
    for (const [content, name, code] of cases) {
      const response = await upload(content, name);
      expect(response.status, name).toBe(400);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code, name).toBe(code);
      expect(error.message).toMatch(/未保存/);
    }
    await nothingStored(before);
  });
});

describe('what is attached, and what is said about it', () => {
  it('records the type the content is and warns when the name says otherwise', async () => {
    const response = await upload(tinyPdf(['0 0 595 842']), '照片.jpg');
    expect(response.status).toBe(201);
    const added = (await response.json()) as { mediaType: string; warnings?: string[]; fileNumber: number };
    expect(added.mediaType).toBe('application/pdf');
    expect(added.warnings?.[0]).toMatch(/扩展名 \.jpg 与内容不符/);
    const [event] = (await eventsOf(system, 'file.added')).slice(-1);
    expect(payloadOf(event?.payload)).toMatchObject({
      fileNumber: added.fileNumber,
      mediaType: 'application/pdf',
      warnings: added.warnings,
    });
  });

  it('takes Word and Excel 97–2003 files and refuses an installer in the same container', async () => {
    for (const [content, name, type] of [
      [legacyDoc(), '2018年稽核通知.doc', 'application/msword'],
      [legacyXls(), '2018年结算汇总.xls', 'application/vnd.ms-excel'],
    ] as const) {
      const response = await upload(content, name);
      expect(response.status).toBe(201);
      expect(((await response.json()) as { mediaType: string }).mediaType).toBe(type);
    }
    const before = await counts();
    const refused = await upload(msiLike(), '补丁.doc');
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('FILE_TYPE_NOT_ACCEPTED');
    expect(error.message).toMatch(/不是 Word 或 Excel/);
    await nothingStored(before);
  });

  it('warns when the same content is attached to the item twice, and attaches it', async () => {
    const content = opaqueBytes(5000);
    const first = (await (await upload(content, '录音.wav')).json()) as {
      fileNumber: number;
      warnings?: string[];
    };
    expect(first.warnings).toBeUndefined();
    const response = await upload(content, '录音-副本.wav');
    expect(response.status).toBe(201);
    const second = (await response.json()) as { fileNumber: number; warnings?: string[] };
    expect(second.fileNumber).toBe(first.fileNumber + 1);
    expect(second.warnings).toEqual([expect.stringMatching(new RegExp(`第 ${first.fileNumber} 个文件`))]);
  });
});

describe('a hostile file already in the store', () => {
  it('answers 422 on download, and the server goes on answering', async () => {
    // Inserted past the upload checks, as a file kept from before them would be.
    const hostile = tinyPdf();
    const staged = await system.store.stage(Readable.from([hostile]));
    const item = await getItem(system.database.db, archiveCode, SYSTEM);
    const attached = await inTransaction(system.database.db, (trx) =>
      attachStaged(
        trx,
        system.store,
        item,
        {
          staged: { ...staged, inspection: { mediaType: 'application/pdf', warnings: [] } },
          fileName: 'old.pdf',
        },
        '档案员张',
        { done: false },
      ),
    );
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await call(`${filesUrl(archiveCode)}/${attached.fileNumber}`);
      expect(response.status).toBe(422);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('FILE_BOUNDS_EXCEEDED');
      expect(error.message).toMatch(/^文件页面尺寸异常，无法加水印，请联系档案员/);
      expect(error.message).toMatch(/200,000×200,000 pt/);
    }
    // A copy that was refused never left: it is not logged as a read.
    const reads = (await eventsOf(system, 'file.read')).filter(
      (event) => payloadOf(event.payload).fileNumber === attached.fileNumber,
    );
    expect(reads).toEqual([]);
    const health = await call(filesUrl(archiveCode));
    expect(health.status).toBe(200);
  });
});

describe('hostile scans', () => {
  it('refuses a TIFF whose page table loops, or with an unknown compression, before accepting it', async () => {
    const before = await counts();
    for (const tiff of [
      handTiff({ loop: true }),
      handTiff({ loop: true, pages: 3 }),
      handTiff({ compression: 65000 }),
      // Registered, but no decoder here: an attachment may keep it, a scan must decode.
      handTiff({ compression: 34712 }),
    ]) {
      const error = await failure(
        addScan(
          { access: SYSTEM, db: system.database.db, store: system.store },
          archiveCode,
          { stream: Readable.from([tiff]), fileName: 'scan.tif' },
          '扫描员李',
        ),
      );
      expect(error.code).toBe('SCAN_UNDECODABLE');
      expect(error.message).toMatch(/^扫描件无法解码/);
    }
    await nothingStored(before);
  });
});
