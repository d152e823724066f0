// test-engine: either
import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { storage, streamOf } from '../../test/helpers/system.js';
import {
  type Added,
  auditor,
  base,
  call,
  clerk,
  download,
  eventsByTrace,
  expectDelivered,
  samplePdf,
  secadmin,
  sensitiveCode,
  system,
  useWatermarkApi,
} from '../../test/helpers/watermark-api.js';
import { addFile } from '../modules/storage/file.service.js';

// Every copy that leaves over HTTP, part 2: a sensitive item's file is delivered only under an
// approved request, watermarked, and logged with the grant and its purpose. The shared set-up is in
// test/helpers/watermark-api.ts; part 1 (the formats, the trace ids, refusals) is
// watermark-api.copies.test.ts.

useWatermarkApi();

describe('downloading a file of a sensitive item', () => {
  let pdf: Buffer;
  let added: Added;
  const GRANT_PURPOSE = '复核慢特病认定材料';

  beforeAll(async () => {
    pdf = await samplePdf();
    // Attached by an internal caller (no user scope): the archivist would need a grant of their own.
    added = await addFile(
      storage(system),
      sensitiveCode,
      { stream: streamOf(pdf), fileName: '认定表.pdf' },
      'test',
    );
    expect(added.mediaType).toBe('application/pdf');
  });

  it('is refused without an approved request, and the refusal delivers no copy', async () => {
    const got = await download(sensitiveCode, added.fileNumber, { purpose: '看看' }, clerk);
    expect(got.status).toBe(403);
    expect(JSON.parse(got.body.toString('utf8')).error.code).toBe('GRANT_REQUIRED');
    expect(got.headers.get('x-yidang-trace')).toBeNull();
    const reads = await call(`${base}/api/v1/audit/events?actor=${clerk.username}&action=file.read`, auditor);
    expect(((await reads.json()) as { entries: unknown[] }).entries).toEqual([]);
  });

  it('is delivered marked under an approved request, logged with the grant and its purpose', async () => {
    const asked = await call(`${base}/api/v1/access-requests`, clerk, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [sensitiveCode], purpose: GRANT_PURPOSE }),
    });
    expect(asked.status, await asked.clone().text()).toBe(201);
    const grantId = ((await asked.json()) as { id: number }).id;
    const approved = await call(`${base}/api/v1/access-requests/${grantId}/approve`, secadmin, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(approved.status, await approved.clone().text()).toBe(200);

    // No purpose given: the stamp and the log take the grant's.
    const got = await download(sensitiveCode, added.fileNumber, {}, clerk);
    const trace = expectDelivered(got, added, 'visible');
    const copy = await PDFDocument.load(got.body);
    expect(copy.getPageCount()).toBe(2);
    expect(copy.getKeywords()).toContain(trace);
    const found = await eventsByTrace(trace);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      actor: clerk.username,
      action: 'file.read',
      subject: `item:${sensitiveCode}`,
      purpose: GRANT_PURPOSE,
      grantId,
      payload: { grantId, purpose: GRANT_PURPOSE, traceId: trace, digest: added.digest },
    });

    // A purpose given with the read is kept; the grant is still named.
    const stated = await download(sensitiveCode, added.fileNumber, { purpose: '打印存档' }, clerk);
    const statedTrace = expectDelivered(stated, added, 'visible');
    expect((await eventsByTrace(statedTrace))[0]).toMatchObject({
      actor: clerk.username,
      purpose: '打印存档',
      grantId,
    });
  });
});
