// test-engine: either
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { opaqueBytes } from '../../test/helpers/opaque-content.js';
import { directoryReplica, fileOneItem, openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { parseVerifierKey } from '../modules/integrity/checkpoint-note.js';
import {
  type ConsistencyProofDocument,
  type InclusionProofDocument,
  verifyConsistencyDocument,
  verifyInclusionDocument,
} from '../modules/integrity/proof.service.js';
import { TRACE_ID_PATTERN } from '../modules/watermark/stamp.js';
import { type App, buildApp } from './app.js';

// The file and integrity routes over a real socket: multipart upload, streamed download, proofs.

let system: TestSystem;
let app: App;
let base: string;
let archiveCode: string;
/** Attaches and reads files, reads the log (档案员). */
let archivist: TestUser;
/** Signs checkpoints (系统管理员). */
let sysadmin: TestUser;

beforeAll(async () => {
  system = await openTestSystem();
  archiveCode = await fileOneItem(system);
  archivist = await testUser(system.database.db, { roles: ['archivist'], username: 'archivist-zhang' });
  sysadmin = await testUser(system.database.db, { roles: ['sysadmin'] });
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const filesUrl = (code: string) => `${base}/api/v1/items/${encodeURIComponent(code)}/files`;

/** fetch as a user: the archivist unless another is given. */
function call(url: string, init: RequestInit = {}, user: TestUser = archivist) {
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...user.headers } });
}

function upload(code: string, content: Buffer, name: string, user: TestUser = archivist) {
  const form = new FormData();
  form.append('file', new Blob([content]), name);
  return call(filesUrl(code), { method: 'POST', body: form }, user);
}

describe('files over HTTP', () => {
  const content = opaqueBytes(3 * 1024 * 1024 + 17);

  it('uploads multipart, lists, and streams the exact bytes back with the digest', async () => {
    const response = await upload(archiveCode, content, '门诊发票扫描件.pdf');
    expect(response.status).toBe(201);
    const added = (await response.json()) as {
      digest: string;
      fileNumber: number;
      replicas: string[];
      fileName: string;
      addedBy: string;
    };
    expect(added.addedBy).toBe(archivist.username);
    expect(added.digest).toBe(`sha256:${crypto.createHash('sha256').update(content).digest('hex')}`);
    expect(added.fileName).toBe('门诊发票扫描件.pdf');
    expect(added.replicas).toEqual(['r1', 'r2']);

    const list = (await (await call(filesUrl(archiveCode))).json()) as { files: unknown[] };
    expect(list.files).toHaveLength(1);

    const download = await call(`${filesUrl(archiveCode)}/${added.fileNumber}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('x-yidang-digest')).toBe(added.digest);
    // Random bytes are no PDF whatever the name says (application/octet-stream): streamed unmarked.
    expect(download.headers.get('x-yidang-watermark')).toBe('none');
    expect(download.headers.get('x-yidang-trace')).toMatch(TRACE_ID_PATTERN);
    expect(download.headers.get('content-disposition')).toContain(encodeURIComponent('门诊发票扫描件.pdf'));
    expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true);
  });

  it('refuses empty files, path-like names, non-multipart bodies and unknown items in Chinese', async () => {
    const empty = await upload(archiveCode, Buffer.alloc(0), 'empty.pdf');
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe('FILE_EMPTY');

    const sneaky = await upload(archiveCode, Buffer.from('x'), '../../etc/passwd');
    expect(sneaky.status).toBe(400);
    const sneakyBody = (await sneaky.json()) as { error: { code: string; message: string } };
    expect(sneakyBody.error.code).toBe('FILE_NAME_INVALID');
    expect(sneakyBody.error.message).toMatch(/路径/);

    const plain = await call(filesUrl(archiveCode), {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBeGreaterThanOrEqual(400);
    expect(plain.status).toBeLessThan(500);

    const unknown = await upload('J013-NOPE-2024-0001', Buffer.from('x'), 'a.txt');
    expect(unknown.status).toBe(404);

    const form = new FormData();
    form.append('file', new Blob([Buffer.from('x')]), 'anonymous.pdf');
    const anonymous = await fetch(filesUrl(archiveCode), { method: 'POST', body: form });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('AUTH_REQUIRED');

    const list = (await (await call(filesUrl(archiveCode))).json()) as { files: unknown[] };
    expect(list.files).toHaveLength(1);
    const blobs = await system.database.db.selectFrom('storage_blob').select('digest').execute();
    expect(blobs).toHaveLength(1);
  });

  it('serves a good replica when one copy is corrupt, and records the corruption', async () => {
    const [blob] = await system.database.db.selectFrom('storage_blob').select('digest').execute();
    const file = directoryReplica(system, 'r1').blobPath(blob?.digest as string) as string;
    const bytes = fs.readFileSync(file);
    bytes[1000] = (bytes[1000] ?? 0) ^ 0xff;
    fs.writeFileSync(file, bytes);
    const download = await call(`${filesUrl(archiveCode)}/1`);
    expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true);
    const events = await (
      await call(`${base}/api/v1/integrity/events?action=blob.corruption_detected`)
    ).json();
    expect((events as { events: Array<{ payload: { replica: string } }> }).events[0]?.payload.replica).toBe(
      'r1',
    );
  });

  it('answers 404 for a file number the item does not have', async () => {
    const response = await call(`${filesUrl(archiveCode)}/9`);
    expect(response.status).toBe(404);
  });
});

describe('integrity over HTTP', () => {
  it('signs checkpoints and serves proofs that verify offline', async () => {
    const first = (await (
      await call(`${base}/api/v1/integrity/checkpoints`, { method: 'POST' }, sysadmin)
    ).json()) as {
      treeSize: number;
      note: string;
    };
    await fileOneItem(system, { name: '李秀英', title: '李秀英 门诊慢特病待遇认定表' });
    const second = (await (
      await call(`${base}/api/v1/integrity/checkpoints`, { method: 'POST' }, sysadmin)
    ).json()) as {
      treeSize: number;
      note: string;
    };
    expect(second.treeSize).toBeGreaterThan(first.treeSize);
    const tree = (await (await call(`${base}/api/v1/integrity/tree`)).json()) as {
      size: number;
      verifierKey: string;
    };
    expect(tree.size).toBe(second.treeSize);
    const verifier = parseVerifierKey(tree.verifierKey);

    const inclusion = (await (
      await call(`${base}/api/v1/integrity/events/0/proof`)
    ).json()) as InclusionProofDocument;
    expect(verifyInclusionDocument(inclusion, second.note, verifier)).toEqual({
      seq: 0,
      treeSize: second.treeSize,
    });

    const consistency = (await (
      await call(`${base}/api/v1/integrity/consistency?from=${first.treeSize}&to=${second.treeSize}`)
    ).json()) as ConsistencyProofDocument;
    expect(verifyConsistencyDocument(consistency, first.note, second.note, verifier).newSize).toBe(
      second.treeSize,
    );

    const missing = await call(`${base}/api/v1/integrity/events/99999/proof`);
    expect(missing.status).toBe(404);
    const spec = (await (await fetch(`${base}/api/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/v1/items/{archiveCode}/files', '/api/v1/integrity/events/{seq}/proof']),
    );
  });
});
