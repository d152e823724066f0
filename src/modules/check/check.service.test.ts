import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EICAR,
  eicarDatabase,
  handMadePdf,
  handMadeTiff,
  jpeg,
  pdf,
  recordPages,
  tiff,
  xlsx,
} from '../../../test/helpers/check-files.js';
import { blobFile, eventsOf, flipByte } from '../../../test/helpers/file-service.js';
import { SYSTEM, scopedAccess } from '../../../test/helpers/fixture-access.js';
import { failure } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, streamOf, type TestSystem } from '../../../test/helpers/system.js';
import { updateItem } from '../catalog/item.edit.service.js';
import { addFile } from '../storage/file.service.js';
import type { CheckReport } from './check.report.js';
import { checkBatch, checkItem, checkItemAfterIngest, getCheckReport } from './check.service.js';
import { clamscanAvailable } from './check.virus.js';

// 四性检测 on a real database and a real blob store with two replicas: a clean item passes every
// check, and each way of breaking an item — behind Yidang's back or with a bad file — fails the
// check that should catch it.

let system: TestSystem;
let clamav: { dir: string; database: string } | undefined;
const hasClamscan = clamscanAvailable();
// CI installs ClamAV; elsewhere the virus tests run only where clamscan is installed.
const virusTests = hasClamscan || process.env.CI === 'true';
const context = () => ({
  db: system.database.db,
  store: system.store,
  virus: { database: clamav?.database },
});
const ACTOR = '档案员张';

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
  if (hasClamscan) clamav = eicarDatabase();
});
afterAll(async () => {
  await system?.dispose();
  if (clamav) fs.rmSync(clamav.dir, { recursive: true, force: true });
});

async function itemWith(files: Array<[string, Buffer]>, overrides: Record<string, unknown> = {}) {
  const code = await fileOneItem(system, overrides);
  for (const [fileName, content] of files)
    await addFile(
      { access: SYSTEM, db: system.database.db, store: system.store },
      code,
      { stream: streamOf(content), fileName },
      ACTOR,
    );
  return code;
}

const idOf = async (code: string) =>
  Number(
    (
      await system.database.db
        .selectFrom('archive_item')
        .select('id')
        .where('archive_code', '=', code)
        .executeTakeFirstOrThrow()
    ).id,
  );

const result = (report: CheckReport, check: string, code = report.items[0]?.archiveCode) =>
  report.items.find((item) => item.archiveCode === code)?.checks.find((entry) => entry.id === check);

const statuses = (report: CheckReport) =>
  Object.fromEntries((report.items[0]?.checks ?? []).map((check) => [check.id, check.status]));

describe('a clean item', () => {
  it('passes every check, keeps the report and logs item.checked', async () => {
    const code = await itemWith([
      ['报销审核表.pdf', await pdf(2)],
      ['扫描件.tif', await tiff(2, 120, 160)],
      ['费用明细.xlsx', await xlsx()],
      ['说明.txt', Buffer.from('已审核，材料齐全。\n')],
    ]);
    await recordPages(system.database.db, await idOf(code), 2, [
      { page: 1, pageInFile: 1, width: 120, height: 160 },
      { page: 2, pageInFile: 2, width: 120, height: 160 },
    ]);
    const report = await checkItem(context(), code, ACTOR, SYSTEM);
    const expected = Object.fromEntries(report.items[0]?.checks.map((check) => [check.id, 'pass']) ?? []);
    if (!hasClamscan) expected.virus_scan = 'skipped';
    expect(statuses(report), JSON.stringify(report.items[0]?.checks, null, 1)).toEqual(expected);
    expect(Object.keys(expected)).toHaveLength(11);
    expect(report.items[0]?.outcome).toBe('pass');
    expect(report.summary).toMatchObject({ items: 1, passedItems: 1, failedItems: 0, failed: 0 });
    expect(result(report, 'file_attributes')?.detail).toContain('2 页与扫描登记一致');
    expect(result(report, 'opens')?.detail).toContain('PDF 可以打开，共 2 页');
    if (hasClamscan)
      expect(result(report, 'virus_scan')?.detail).toContain('ClamAV 扫描 4 个文件，未发现病毒');
    expect(await getCheckReport(system.database.db, report.id, SYSTEM)).toEqual(report);
    const [event] = (await eventsOf(system, 'item.checked', `item:${code}`)).slice(-1);
    expect(event?.payload).toMatchObject({ run: report.id, trigger: 'on_demand', failed: [] });
  });

  it('leaves no decrypted content behind in the temporary directory', async () => {
    const code = await itemWith([['报销单.pdf', await pdf(1)]]);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-check-tmp-'));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      await checkItem(context(), code, ACTOR, SYSTEM);
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('records the check made at ingest as such', async () => {
    const code = await itemWith([['回执.pdf', await pdf(1)]]);
    const report = await checkItemAfterIngest(context(), code, 'ingest-system');
    expect(report).toMatchObject({
      trigger: 'ingest',
      runBy: 'ingest-system',
      target: { kind: 'item', value: code },
    });
    expect((await getCheckReport(system.database.db, report.id, SYSTEM)).trigger).toBe('ingest');
  });

  it('fails an electronic archive without any file, skipping the file checks', async () => {
    const report = await checkItem(context(), await fileOneItem(system), ACTOR, SYSTEM);
    expect(result(report, 'counts')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('没有挂接任何电子文件'),
    });
    expect(result(report, 'digest')?.status).toBe('skipped');
    expect(result(report, 'opens')?.status).toBe('skipped');
  });
});

describe('authenticity and integrity, broken behind Yidang’s back', () => {
  it('fails the digest when a replica’s stored bytes are altered, and logs the bad copy', async () => {
    const content = await pdf(1);
    const code = await itemWith([['报销单.pdf', content]]);
    const [file] = await system.database.db
      .selectFrom('item_file')
      .select('digest')
      .where('item_id', '=', await idOf(code))
      .execute();
    flipByte(blobFile(system, 'r1', file?.digest as string));
    const report = await checkItem(context(), code, ACTOR, SYSTEM);
    expect(result(report, 'digest')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('副本“r1”'),
    });
    // The content still came whole from r2, so the format checks could run.
    expect(result(report, 'opens')?.status).toBe('pass');
    expect(result(report, 'log_unaltered')?.status).toBe('pass');
    const logged = await eventsOf(system, 'blob.corruption_detected', `blob:${file?.digest}`);
    expect(logged.at(-1)?.payload).toMatchObject({ replica: 'r1', during: 'check' });
  });

  it('fails log_unaltered when a row is changed in SQL without an event', async () => {
    const code = await itemWith([['报销单.pdf', await pdf(1)]]);
    await sql`update archive_item set title = '被改动的题名' where archive_code = ${code}`.execute(
      system.database.db,
    );
    const report = await checkItem(context(), code, ACTOR, SYSTEM);
    expect(result(report, 'log_unaltered')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('绕过系统改动'),
    });
    expect(result(report, 'metadata_rules')?.status).toBe('pass');
  });

  it('fails the metadata checks on a wrong value and a missing required field', async () => {
    const code = await itemWith([['报销单.pdf', await pdf(1)]]);
    await sql`update archive_item set pooling_region = '999999', extra = '{}'::jsonb where archive_code = ${code}`.execute(
      system.database.db,
    );
    const report = await checkItem(context(), code, ACTOR, SYSTEM);
    expect(result(report, 'metadata_rules')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('统筹区'),
    });
    expect(result(report, 'required_metadata')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('就诊医疗机构为该类别的必填项'),
    });
  });

  it('fails the 档号 check when the row no longer agrees with its 档号', async () => {
    const code = await itemWith([['报销单.pdf', await pdf(1)]], { org: 'YR' });
    await sql`update archive_item set year = 2023 where archive_code = ${code}`.execute(system.database.db);
    const report = await checkItem(context(), code, ACTOR, SYSTEM);
    expect(result(report, 'archive_code')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('年度“2024”'),
    });
  });

  it('accepts a retention period changed with a reason: the 档号 keeps the filed one', async () => {
    const code = await itemWith([['报销单.pdf', await pdf(1)]]);
    await updateItem(system.database.db, code, { retention: 'D50', reason: '按新规定延长保管期限' }, ACTOR, {
      access: SYSTEM,
    });
    const report = await checkItem(context(), code, ACTOR, SYSTEM);
    expect(result(report, 'archive_code')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('档号按规定保持不变'),
    });
    expect(result(report, 'log_unaltered')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('1 个历史版本'),
    });
  });

  it('reports the missing number when an item of a sequence is deleted', async () => {
    // The middle one has no file, so its row can be deleted outright.
    const codes = [
      await itemWith([['报销单.pdf', await pdf(1)]], { org: 'GAP' }),
      await fileOneItem(system, { org: 'GAP' }),
      await itemWith([['报销单.pdf', await pdf(1)]], { org: 'GAP' }),
    ];
    const before = await checkItem(context(), codes[0] as string, ACTOR, SYSTEM);
    expect(result(before, 'item_numbers_gapless')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('1–3 连续'),
    });
    await sql`delete from archive_item where archive_code = ${codes[1]}`.execute(system.database.db);
    const after = await checkItem(context(), codes[2] as string, ACTOR, SYSTEM);
    expect(result(after, 'item_numbers_gapless')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`缺 ${codes[1]}`),
    });
  });

  it('fails when the scanned pages recorded do not match the file or skip a number', async () => {
    const code = await itemWith([['扫描件.tif', await tiff(2, 100, 140)]]);
    await recordPages(system.database.db, await idOf(code), 1, [
      { page: 1, pageInFile: 1, width: 100, height: 140 },
      { page: 2, pageInFile: 2, width: 100, height: 140 },
      { page: 4, pageInFile: 4, width: 100, height: 140 },
    ]);
    const report = await checkItem(context(), code, ACTOR, SYSTEM);
    expect(result(report, 'file_attributes')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('文件实有 2 页'),
    });
    expect(result(report, 'counts')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('页码不连续'),
    });
  });
});

describe('usability of the files themselves', () => {
  it('fails an encrypted PDF', async () => {
    const report = await checkItem(
      context(),
      await itemWith([['加密.pdf', handMadePdf(true)]]),
      ACTOR,
      SYSTEM,
    );
    expect(result(report, 'opens')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('PDF 已加密'),
    });
    expect(result(report, 'no_proprietary_compression')?.status).toBe('fail');
  });

  it('fails a truncated JPEG', async () => {
    const whole = await jpeg();
    const report = await checkItem(
      context(),
      await itemWith([['扫描.jpg', whole.subarray(0, whole.length - 400)]]),
      ACTOR,
      SYSTEM,
    );
    expect(result(report, 'opens')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('无法完整解码'),
    });
    expect(result(report, 'digest')?.status).toBe('pass');
  });

  it('fails a TIFF compressed with JPEG 2000 (34712)', async () => {
    const report = await checkItem(
      context(),
      await itemWith([['扫描.tif', handMadeTiff({ compression: 34712 })]]),
      ACTOR,
      SYSTEM,
    );
    expect(result(report, 'no_proprietary_compression')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('JPEG 2000（34712）'),
    });
  });
});

describe('security: the virus scan', () => {
  it.runIf(virusTests)(
    'reports an attached EICAR file as infected with ClamAV and passes a clean one',
    async () => {
      expect(hasClamscan, 'clamscan must be installed in CI').toBe(true);
      const code = await itemWith([
        ['说明.txt', Buffer.from('材料齐全\n')],
        ['附件.txt', EICAR],
      ]);
      const report = await checkItem(context(), code, ACTOR, SYSTEM);
      expect(result(report, 'virus_scan')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^第 2 个文件（附件\.txt）感染病毒 eicar\.txt\.UNOFFICIAL$/),
      });
      const clean = await checkItem(
        context(),
        await itemWith([['说明.txt', Buffer.from('材料齐全\n')]]),
        ACTOR,
        SYSTEM,
      );
      expect(result(clean, 'virus_scan')?.status).toBe('pass');
    },
  );

  it.runIf(virusTests)('skips, never passes, when ClamAV has no signature database', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-clamav-empty-'));
    try {
      const code = await itemWith([['附件.txt', EICAR]]);
      const report = await checkItem({ ...context(), virus: { database: empty } }, code, ACTOR, SYSTEM);
      expect(result(report, 'virus_scan')).toMatchObject({
        status: 'skipped',
        detail: expect.stringContaining('ClamAV 没有病毒库'),
      });
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('skips when clamscan is not installed', async () => {
    const code = await itemWith([['附件.txt', EICAR]]);
    const report = await checkItem(
      { ...context(), virus: { command: 'clamscan-not-installed' } },
      code,
      ACTOR,
      SYSTEM,
    );
    expect(result(report, 'virus_scan')).toEqual(
      expect.objectContaining({ status: 'skipped', detail: '未安装 ClamAV，未做病毒扫描' }),
    );
    expect(report.items[0]?.outcome).toBe('pass');
  });
});

describe('targets and scope', () => {
  const otherFonds = scopedAccess({
    rows: [{ fondsCode: 'J014', regionPrefix: null, categoryIds: null }],
    idNumber: null,
  });

  it('does not find an item, or its report, outside the scope', async () => {
    const code = await itemWith([['报销单.pdf', await pdf(1)]]);
    const error = await failure(checkItem(context(), code, ACTOR, otherFonds));
    expect(error.code).toBe('ITEM_NOT_FOUND');
    const report = await checkItem(context(), code, ACTOR, SYSTEM);
    expect((await failure(getCheckReport(system.database.db, report.id, otherFonds))).code).toBe(
      'CHECK_NOT_FOUND',
    );
    expect((await failure(getCheckReport(system.database.db, 999_999, SYSTEM))).code).toBe('CHECK_NOT_FOUND');
  });

  it('checks every item of a digitization batch', async () => {
    const batch = await system.database.db
      .insertInto('scan_batch')
      .values({
        fonds_code: 'J013',
        name: '2024年第1批',
        sample_rate: 0.1,
        max_error_rate: 0.005,
        created_by: ACTOR,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const batchId = Number(batch.id);
    const codes = [];
    for (let index = 0; index < 2; index++) {
      const code = await itemWith([['扫描.jpg', await jpeg(80, 100)]], { org: 'BAT' });
      await recordPages(
        system.database.db,
        await idOf(code),
        1,
        [{ page: 1, pageInFile: 1, width: 80, height: 100 }],
        batchId,
      );
      codes.push(code);
    }
    const report = await checkBatch(context(), batchId, ACTOR, SYSTEM);
    expect(report.items.map((item) => item.archiveCode)).toEqual(codes);
    expect(report.target).toEqual({ kind: 'batch', value: `${batchId}（2024年第1批）` });
    expect(result(report, 'file_attributes', codes[1])?.status).toBe('pass');
    expect((await failure(checkBatch(context(), 999_999, ACTOR, SYSTEM))).code).toBe('SCAN_BATCH_NOT_FOUND');
    expect((await failure(checkBatch(context(), batchId, ACTOR, otherFonds))).code).toBe(
      'SCAN_BATCH_NOT_FOUND',
    );
  });
});
