import type { LightMyRequestResponse } from 'fastify';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../test/helpers/access.js';
import { FONDS, reimbursement, validId } from '../../test/helpers/fixtures.js';
import {
  clearIdNumbersInTables,
  idNumbersInDataFiles,
  textualColumnCount,
} from '../../test/helpers/id-scan.js';
import { openTestSystem, type TestSystem } from '../../test/helpers/system.js';
import { openIdNumber } from '../shared/field-cipher.js';
import { createFonds } from '../modules/catalog/fonds.service.js';
import { findIdNumbers } from '../shared/id-in-text.js';
import { inTransaction } from '../db/transaction.js';
import type { Db } from '../db/db.js';
import { encodeEntry, splitHashes } from '../modules/integrity/event-log.js';
import { insertEvents, type LogHead, lockLogHead, updateLogHead } from '../modules/integrity/event.repo.js';
import { appendLeaf, type LogHashAlgorithm, treeHasher } from '../modules/integrity/merkle.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { type App, buildApp } from './app.js';

// Issue 21, "what people type is masked too": an ID number typed into a title, 文件编号, an extra
// field, a change reason, a request purpose, a push, an import row or a saved search is refused with
// the field named and the number masked; a file named with one is kept under a masked name (the
// name as given sealed); a search by one goes through the blind index. Afterwards no table, no data
// file (PGlite, WAL included) and no output holds one in the clear.

let system: TestSystem;
let app: App;
let clerk: TestUser;
let archivist: TestUser;
let reviewer: TestUser;
let secadmin: TestUser;
let auditor: TestUser;

/** The person of the archives (their ID goes in the ID field), and a second person typed into text. */
const PERSON = validId('32010619800101123');
const TYPED = validId('32011519900202004');
const masked = (id: string) => `${id.slice(0, 6)}********${id.slice(-4)}`;
const fullWidth = (text: string) =>
  text.replace(/[0-9X]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));
const spaced = (id: string) => `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`;

let itemCode: string;
let sensitiveCode: string;
const outputs: Array<{ what: string; body: string }> = [];

beforeAll(async () => {
  system = await openTestSystem();
  app = await buildApp({ database: system.database, store: system.store, signingKey: system.signingKey });
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  const business = [{ fondsCode: 'J013', regionCode: null, categoryCode: null }];
  clerk = await testUser(db, { roles: ['clerk'], scope: business });
  archivist = await testUser(db, { roles: ['archivist'], scope: business });
  reviewer = await testUser(db, { roles: ['reviewer'], scope: business });
  secadmin = await testUser(db, { roles: ['secadmin'], scope: business });
  auditor = await testUser(db, { roles: ['auditor'] });
});
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

function call(method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, user: TestUser, payload?: unknown) {
  return app.inject({
    method,
    url: `/api/v1${url}`,
    headers: user.headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}
const itemUrl = (code: string) => `/items/${encodeURIComponent(code)}`;
const errorOf = (response: LightMyRequestResponse) =>
  response.json() as {
    error: { code: string; message: string; issues?: Array<{ field: string; message: string }> };
  };

/** A refusal: 400, naming the field, quoting the number masked and never in full. */
function expectRefused(response: LightMyRequestResponse, label: string, id: string) {
  expect(response.statusCode, response.body).toBe(400);
  expect(response.body).toContain(`${label}中含有身份证号（${masked(id)}）`);
  expect(findIdNumbers(response.body)).toEqual([]);
}

function multipart(fileName: string, content: Buffer) {
  const boundary = '----yidang-id-in-text';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  return {
    payload: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

async function pdf(): Promise<Buffer> {
  const document = await PDFDocument.create();
  document.addPage([200, 200]);
  return Buffer.from(await document.save());
}

describe('an ID number typed into free text', () => {
  it('is refused in every item field at filing, with the field named and the number masked', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ title: `王建国 ${TYPED} 报销审核表` }, '题名', TYPED],
      [{ docNumber: `医保发${fullWidth(TYPED)}号` }, '文件编号', TYPED],
      [{ responsible: `经办 ${spaced(TYPED)}` }, '责任者', TYPED],
      [
        { extra: { hospital: '江宁医院', note: `复印件 ${TYPED.toLowerCase()}` } },
        '类别专属字段“note”',
        TYPED,
      ],
      [{ insuredNumber: TYPED }, '参保号', TYPED],
    ];
    for (const [overrides, label, id] of cases) {
      const response = await call('POST', '/items', clerk, reimbursement({ idNumber: PERSON, ...overrides }));
      expectRefused(response, label, id);
      expect(errorOf(response).error.code).toBe('VALIDATION_FAILED');
    }
    // The same number in its own field is what the ID field is for.
    const filed = await call('POST', '/items', clerk, reimbursement({ idNumber: PERSON }));
    expect(filed.statusCode, filed.body).toBe(201);
    itemCode = filed.json().archiveCode;
    const sensitive = await call(
      'POST',
      '/items',
      archivist,
      reimbursement({
        idNumber: PERSON,
        sensitivity: 'sensitive',
        title: '王建国 精神疾病门诊费用报销审核表',
      }),
    );
    expect(sensitive.statusCode, sensitive.body).toBe(201);
    sensitiveCode = sensitive.json().archiveCode;
  });

  it('is refused in an edit and in its reason, and a clean edit with a reason goes through', async () => {
    expectRefused(
      await call('PATCH', itemUrl(itemCode), archivist, { title: `更正 ${TYPED}`, reason: '更正题名' }),
      '题名',
      TYPED,
    );
    expectRefused(
      await call('PATCH', itemUrl(itemCode), archivist, {
        amount: '99.00',
        reason: `按${TYPED}本人申请更正`,
      }),
      '变更原因',
      TYPED,
    );
    const edited = await call('PATCH', itemUrl(itemCode), archivist, {
      amount: '99.00',
      reason: '按本人申请更正金额',
    });
    expect(edited.statusCode, edited.body).toBe(200);
  });

  it('is refused in a request purpose, an approval note, an unmask purpose and a download purpose', async () => {
    expectRefused(
      await call('POST', '/access-requests', reviewer, {
        items: [sensitiveCode],
        purpose: `核实${TYPED}的病历`,
      }),
      '查阅目的',
      TYPED,
    );
    const asked = await call('POST', '/access-requests', reviewer, {
      items: [sensitiveCode],
      purpose: '复核报销金额与病历',
    });
    expect(asked.statusCode, asked.body).toBe(201);
    expectRefused(
      await call('POST', `/access-requests/${asked.json().id}/approve`, secadmin, { note: `同意 ${TYPED}` }),
      '审批意见',
      TYPED,
    );
    const approved = await call('POST', `/access-requests/${asked.json().id}/approve`, secadmin, {});
    expect(approved.statusCode, approved.body).toBe(200);
    expectRefused(
      await call(
        'GET',
        `${itemUrl(itemCode)}?unmask=true&purpose=${encodeURIComponent(`核实${TYPED}`)}`,
        reviewer,
      ),
      '查阅目的',
      TYPED,
    );
  });

  it('is refused in a push (its item or its key) and in a saved search; an import row is refused alone', async () => {
    const push = (overrides: Record<string, unknown>) => ({
      source: '结算系统',
      serial: 'ID-TEXT-1',
      item: reimbursement({ idNumber: PERSON, title: '王建国 住院结算单' }),
      ...overrides,
    });
    expectRefused(
      await call('POST', '/ingest', clerk, push({ item: reimbursement({ title: `住院结算单 ${TYPED}` }) })),
      '题名',
      TYPED,
    );
    expectRefused(await call('POST', '/ingest', clerk, push({ serial: TYPED })), '业务流水号', TYPED);
    expectRefused(
      await call('PUT', `/saved-searches/${encodeURIComponent('按人查')}`, clerk, { query: TYPED }),
      '检索方案',
      TYPED,
    );

    const csv = Buffer.from(
      [
        '全宗号,类别,机构,题名,日期,责任者,姓名,身份证号,金额,extra.hospital',
        `J013,JSLX,JSK,甲一 门诊费用报销审核表,2024-04-01,江宁区医保局,甲一,${PERSON},50,江宁医院`,
        `J013,JSLX,JSK,乙二 ${TYPED} 门诊费用报销审核表,2024-04-01,江宁区医保局,乙二,${PERSON},50,江宁医院`,
      ].join('\n'),
    );
    const upload = multipart('报销台账.csv', csv);
    const imported = await app.inject({
      method: 'POST',
      url: '/api/v1/imports',
      headers: { ...clerk.headers, 'content-type': upload.contentType },
      payload: upload.payload,
    });
    expect(imported.statusCode, imported.body).toBe(200);
    const result = imported.json() as {
      filed: number;
      rejected: number;
      lines: Array<{ status: string; issues: Array<{ field: string; message: string }> }>;
    };
    expect(result).toMatchObject({ filed: 1, rejected: 1 });
    expect(result.lines[1]?.issues[0]?.field).toBe('title');
    expect(result.lines[1]?.issues[0]?.message).toContain(`题名中含有身份证号（${masked(TYPED)}）`);
    expect(findIdNumbers(imported.body)).toEqual([]);
  });

  it('in a file name is kept sealed and shown, logged and served masked (upload and push)', async () => {
    const name = `${TYPED}_身份证复印件.pdf`;
    const upload = multipart(name, await pdf());
    const added = await app.inject({
      method: 'POST',
      url: `/api/v1${itemUrl(itemCode)}/files`,
      headers: { ...clerk.headers, 'content-type': upload.contentType },
      payload: upload.payload,
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json().fileName).toBe(`${masked(TYPED)}_身份证复印件.pdf`);

    const pushed = await call('POST', '/ingest', clerk, {
      source: '结算系统',
      serial: 'ID-TEXT-2',
      item: reimbursement({ idNumber: PERSON, title: '王建国 住院结算单' }),
      files: [{ name: `${fullWidth(TYPED)}.pdf`, contentBase64: (await pdf()).toString('base64') }],
    });
    expect(pushed.statusCode, pushed.body).toBe(201);
    expect(pushed.json().files[0].fileName).toBe(`${masked(TYPED)}.pdf`);

    const stored = await system.database.db
      .selectFrom('item_file')
      .select(['file_name', 'original_name'])
      .orderBy('item_id')
      .execute();
    expect(stored.map((row) => row.file_name)).toEqual([
      `${masked(TYPED)}_身份证复印件.pdf`,
      `${masked(TYPED)}.pdf`,
    ]);
    expect(stored.map((row) => openIdNumber(row.original_name))).toEqual([name, `${fullWidth(TYPED)}.pdf`]);

    const files = await call('GET', `${itemUrl(itemCode)}/files`, clerk);
    outputs.push({ what: 'file list', body: files.body });
    expect(files.json().files[0].fileName).toBe(`${masked(TYPED)}_身份证复印件.pdf`);
    const download = await call(
      'GET',
      `${itemUrl(itemCode)}/files/1?purpose=${encodeURIComponent('核对')}`,
      clerk,
    );
    expect(download.statusCode).toBe(200);
    const disposition = decodeURIComponent(String(download.headers['content-disposition']));
    expect(disposition).toContain(`${masked(TYPED)}_身份证复印件`);
    outputs.push({ what: 'Content-Disposition', body: disposition });
    expectRefused(
      await call('GET', `${itemUrl(itemCode)}/files/1?purpose=${encodeURIComponent(`核对${TYPED}`)}`, clerk),
      '用途',
      TYPED,
    );
  });

  it('searched for, is found through the blind index, and the answer shows it masked', async () => {
    for (const q of [PERSON, fullWidth(PERSON), `身份证号:${PERSON}`, `身份证号:${fullWidth(PERSON)} 报销`]) {
      const found = await call('GET', `/search?q=${encodeURIComponent(q)}&limit=50`, clerk);
      expect(found.statusCode, found.body).toBe(200);
      const codes = (found.json().hits as Array<{ item: { archiveCode: string } }>).map(
        (hit) => hit.item.archiveCode,
      );
      expect(codes, q.slice(0, 4)).toContain(itemCode);
      outputs.push({ what: `search ${q.length}`, body: found.body });
    }
  });
});

describe('afterwards, nothing holds an ID number in the clear', () => {
  it('no column of any table, nor (PGlite) any byte of the data files, WAL included', async () => {
    expect(await textualColumnCount(system.database)).toBeGreaterThan(100);
    expect(await clearIdNumbersInTables(system.database)).toEqual([]);
    const inFiles = await idNumbersInDataFiles(system.database, [PERSON, TYPED]);
    if (inFiles !== undefined) expect(inFiles.map(masked)).toEqual([]);
  });

  it('no output a clerk without the right to unmask receives, and none an auditor reads', async () => {
    const item = await call('GET', itemUrl(itemCode), clerk);
    expect(item.json().idNumber).toBe(masked(PERSON));
    const versions = await call('GET', `${itemUrl(itemCode)}/versions`, clerk);
    expect(versions.json().versions).toHaveLength(2);
    const list = await call('GET', `/items?idNumber=${PERSON}&limit=50`, clerk);
    expect(list.json().items.length).toBeGreaterThanOrEqual(3);
    const events = await call('GET', '/integrity/events?limit=1000', archivist);
    expect(events.statusCode, events.body).toBe(200);
    const fileAdded = (
      events.json().events as Array<{ action: string; payload: { fileName?: string } }>
    ).filter((event) => event.action === 'file.added');
    expect(fileAdded.map((event) => event.payload.fileName).sort()).toEqual([
      `${masked(TYPED)}.pdf`,
      `${masked(TYPED)}_身份证复印件.pdf`,
    ]);
    const audit = await call('GET', '/audit/events?limit=1000', auditor);
    expect(audit.statusCode, audit.body).toBe(200);
    const exported = await call('GET', '/audit/export', auditor);
    for (const [what, response] of Object.entries({ item, versions, list, events, audit, exported }))
      outputs.push({ what, body: response.body });
    for (const { what, body } of outputs) expect(findIdNumbers(body), what).toEqual([]);
  });
});

/**
 * A log entry as an older release appended it (chained, the head in step) with its payload as that
 * release kept it — the number in the clear, which appending masks today.
 */
async function appendLegacyEvent(trx: Db, subject: string, payload: Record<string, unknown>): Promise<void> {
  const head = (await lockLogHead(trx)) as LogHead;
  const hasher = treeHasher(head.algorithm as LogHashAlgorithm);
  const entry = {
    seq: head.size,
    recordedAt: new Date(),
    actor: 'legacy',
    action: 'file.read',
    subject,
    payload: canonicalJson(payload),
    prevHash: head.lastHash,
  };
  const hash = hasher.leaf(encodeEntry(entry));
  const appended = appendLeaf(hasher, splitHashes(head.frontier), head.size, hash);
  await insertEvents(trx, [
    {
      seq: entry.seq,
      recorded_at: entry.recordedAt,
      actor: entry.actor,
      action: entry.action,
      subject,
      payload: entry.payload,
      hash,
      subtrees: appended.completed.length > 0 ? Buffer.concat(appended.completed) : null,
    },
  ]);
  await updateLogHead(trx, head.size + 1, hash, Buffer.concat(appended.frontier));
}

describe('what was stored before the door refused it', () => {
  it('is masked on the way out: item fields, reasons, file names and logged payloads', async () => {
    const db = system.database.db;
    const { sql } = await import('kysely');
    // As an older release would have stored them, straight into the tables (and the log).
    await sql`update archive_item set title = ${`王建国 ${TYPED} 报销审核表`}, doc_number = ${fullWidth(TYPED)},
      change_reason = ${`按${TYPED}申请`}, extra = ${JSON.stringify({ note: TYPED })}::jsonb
      where archive_code = ${itemCode}`.execute(db);
    await sql`update item_file set file_name = ${`${TYPED}.pdf`} where file_number = 1`.execute(db);
    await inTransaction(db, (trx) =>
      appendLegacyEvent(trx, `item:${itemCode}`, { purpose: `核实${TYPED}`, fileNumber: 1 }),
    );
    // The scans find what is there: these rows hold the number in the clear.
    expect(await clearIdNumbersInTables(system.database)).not.toEqual([]);
    const inFiles = await idNumbersInDataFiles(system.database, [PERSON, TYPED]);
    if (inFiles !== undefined) expect(inFiles.map(masked)).toEqual([masked(TYPED)]);

    const item = (await call('GET', itemUrl(itemCode), clerk)).json();
    expect(item).toMatchObject({
      title: `王*国 ${masked(TYPED)} 报销审核表`,
      docNumber: masked(TYPED),
      changeReason: `按${masked(TYPED)}申请`,
      extra: { note: masked(TYPED) },
    });
    const versions = await call('GET', `${itemUrl(itemCode)}/versions`, clerk);
    expect(versions.json().versions.at(-1).reason).toBe(`按${masked(TYPED)}申请`);
    const found = await call('GET', `/search?q=${encodeURIComponent('报销审核表')}`, clerk);
    const files = await call('GET', `${itemUrl(itemCode)}/files`, clerk);
    expect(files.json().files[0].fileName).toBe(`${masked(TYPED)}.pdf`);
    const events = await call('GET', '/integrity/events?limit=5', archivist);
    expect(events.body).toContain(`核实${masked(TYPED)}`);
    // The read above is logged after the legacy entry (item.viewed): ask for the legacy actor's.
    const audit = await call('GET', '/audit/events?limit=5&actor=legacy', auditor);
    expect(audit.json().entries[0].purpose).toBe(`核实${masked(TYPED)}`);
    for (const [what, response] of Object.entries({ versions, found, files, events, audit })) {
      expect(response.statusCode, `${what}: ${response.body.slice(0, 300)}`).toBe(200);
      expect(findIdNumbers(response.body), what).toEqual([]);
    }
  });
});

describe('a read whose look cannot be logged', () => {
  it('still answers the ordinary record, masked, and sensitive reads still refuse', async () => {
    const db = system.database.db;
    const { sql } = await import('kysely');
    // A row planted at the seq the next append takes (the log out of step with its head): every
    // append now fails, as it would under a head lock that times out.
    await sql`insert into integrity_event (seq, recorded_at, actor, action, subject, payload, hash)
      select max(seq) + 1, now(), 'stray', 'file.read', ${`item:${itemCode}`}, '{}', '\\x00'::bytea
      from integrity_event`.execute(db);
    // The file's last test: the stray row stays (the log is append-only) and nothing appends after it.
    {
      const item = await call('GET', itemUrl(itemCode), clerk);
      expect(item.statusCode, item.body).toBe(200);
      expect(findIdNumbers(item.body)).toEqual([]);
      expect(item.json().idNumber).toBe(masked(PERSON));
      // A sensitive read (the reviewer holds a grant) is answered only with its record: not here.
      const sensitive = await call('GET', itemUrl(sensitiveCode), reviewer);
      expect(sensitive.statusCode, sensitive.body).toBe(500);
    }
  });
});
