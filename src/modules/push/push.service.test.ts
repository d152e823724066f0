import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, snapshot } from '../../../test/helpers/file-service.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { failure, reimbursement } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { ValidationError } from '../../shared/errors.js';
import { type IngestRequest, ingestArchive, lagReport } from './push.service.js';

// 经办即归档 end to end on a real database and real replica directories: a push files the archive
// with its files; a retry returns it; a changed payload under the same key is refused; a bad push
// leaves no item, no receipt, no blob and no used item number.

let system: TestSystem;
const context = () => ({ db: system.database.db, store: system.store, access: SYSTEM });
const NOW = new Date('2024-03-15T04:20:00Z');

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
});
afterAll(() => system?.dispose());

const count = async (table: 'archive_item' | 'ingest_receipt' | 'integrity_event') =>
  Number(
    (
      await system.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Everything a push may change: items, receipts, events, files and blobs on every replica. */
const state = async () => ({
  ...(await snapshot(system)),
  items: await count('archive_item'),
  receipts: await count('ingest_receipt'),
  events: await count('integrity_event'),
});

const eventsOfItem = async (archiveCode: string) =>
  (
    await system.database.db
      .selectFrom('integrity_event')
      .select(['action', 'payload'])
      .where('subject', '=', `item:${archiveCode}`)
      .orderBy('seq')
      .execute()
  ).map((row) => ({ action: row.action, payload: JSON.parse(row.payload) as Record<string, unknown> }));

const invoice = Buffer.from('%PDF-1.4\n% 门诊发票\n');
const push = (serial: string, overrides: Partial<IngestRequest> = {}): IngestRequest => ({
  source: '结算系统',
  serial,
  item: reimbursement({ title: `王建国 门诊费用报销审核表 ${serial}` }),
  files: [{ name: '门诊发票.pdf', content: invoice }],
  ...overrides,
});

describe('pushing an archive', () => {
  it('files the item and its files at once, with the receipt, the lag and an event', async () => {
    const result = await ingestArchive(context(), push('JS2024031500001'), 'settlement', { now: NOW });
    expect(result).toMatchObject({
      replayed: false,
      handledAt: '2024-03-15T02:20:00.000Z',
      receivedAt: NOW.toISOString(),
      lagSeconds: 2 * 3600,
    });
    expect(result.archiveCode).toMatch(/^J013-JSLX·2024-D30-JSK-\d{4}$/);
    expect(result.files).toEqual([
      {
        fileNumber: 1,
        fileName: '门诊发票.pdf',
        digest: `sha256:${crypto.createHash('sha256').update(invoice).digest('hex')}`,
        size: invoice.length,
      },
    ]);
    const events = await eventsOfItem(result.archiveCode);
    expect(events.map((event) => event.action)).toEqual(['item.created', 'file.added', 'item.ingested']);
    expect(events[2]?.payload).toMatchObject({
      source: '结算系统',
      serial: 'JS2024031500001',
      lagSeconds: 7200,
    });
  });

  it('returns the same archive to a retry, filing nothing twice', async () => {
    const first = await ingestArchive(context(), push('JS2024031500002'), 'settlement', { now: NOW });
    const before = await state();
    // Key order and a later clock do not make it a different push.
    const item = Object.fromEntries(Object.entries(push('JS2024031500002').item as object).reverse());
    const again = await ingestArchive(context(), push('JS2024031500002', { item }), 'settlement', {
      now: new Date(NOW.getTime() + 60_000),
    });
    expect(again).toEqual({ ...first, replayed: true });
    expect(await state()).toEqual(before);
  });

  it('refuses the same key with different content, naming the archive it filed', async () => {
    const first = await ingestArchive(context(), push('JS2024031500003'), 'settlement', { now: NOW });
    const before = await state();
    const changed = push('JS2024031500003', { item: reimbursement({ amount: '999.99' }) });
    const error = await failure(ingestArchive(context(), changed, 'settlement', { now: NOW }));
    expect(error.code).toBe('INGEST_KEY_CONFLICT');
    expect(error.message).toContain(first.archiveCode);
    const otherFile = push('JS2024031500003', {
      files: [{ name: '门诊发票.pdf', content: Buffer.from('x') }],
    });
    expect((await failure(ingestArchive(context(), otherFile, 'settlement'))).code).toBe(
      'INGEST_KEY_CONFLICT',
    );
    expect(await state()).toEqual(before);
  });

  it('keeps serials apart per source system', async () => {
    const a = await ingestArchive(context(), push('SAME-001'), 'settlement');
    const b = await ingestArchive(context(), push('SAME-001', { source: '参保登记系统' }), 'enrollment');
    expect(b.archiveCode).not.toBe(a.archiveCode);
    expect(b.replayed).toBe(false);
  });

  it('files concurrent retries of one key once', async () => {
    const before = await count('archive_item');
    const results = await Promise.all(
      Array.from({ length: 4 }, () => ingestArchive(context(), push('JS-RACE-1'), 'settlement')),
    );
    expect(new Set(results.map((result) => result.archiveCode)).size).toBe(1);
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    expect(await count('archive_item')).toBe(before + 1);
  });
});

describe('a bad push', () => {
  it('requires the key and 办理时间, and says which field is wrong', async () => {
    const error = await failure(
      ingestArchive(
        context(),
        push(' ', { source: '', item: reimbursement({ handledAt: undefined }) }),
        'settlement',
      ),
      ValidationError,
    );
    expect(error.issues.map((issue) => issue.field).sort()).toEqual(['item.handledAt', 'serial', 'source']);
    const badTime = await failure(
      ingestArchive(
        context(),
        push('JS-T-1', { item: reimbursement({ handledAt: '15/03/2024' }) }),
        'settlement',
      ),
    );
    expect(badTime.issues[0]).toMatchObject({ field: 'item.handledAt' });
  });

  it('leaves nothing behind when the item is refused, and the key free for a corrected push', async () => {
    const before = await state();
    const blobs = filesUnder(system.home).length;
    const wrong = push('JS-BAD-1', { item: reimbursement({ idNumber: '320115198503121230' }) });
    const error = await failure(ingestArchive(context(), wrong, 'settlement'), ValidationError);
    expect(error.issues.some((issue) => issue.field === 'idNumber')).toBe(true);
    expect(await state()).toEqual(before);
    expect(filesUnder(system.home)).toHaveLength(blobs);
    const corrected = await ingestArchive(context(), push('JS-BAD-1'), 'settlement');
    expect(corrected.replayed).toBe(false);
  });

  it('refuses path tricks in file names, empty files and too many files before storing any', async () => {
    const before = await state();
    const tricks = push('JS-BAD-2', {
      files: [
        { name: '../../etc/passwd', content: invoice },
        { name: '空.pdf', content: Buffer.alloc(0) },
      ],
    });
    const error = await failure(ingestArchive(context(), tricks, 'settlement'), ValidationError);
    expect(error.issues.map((issue) => issue.field)).toEqual(['files[0].name', 'files[1].content']);
    const many = push('JS-BAD-3', {
      files: Array.from({ length: 21 }, (_, index) => ({ name: `${index}.pdf`, content: invoice })),
    });
    expect((await failure(ingestArchive(context(), many, 'settlement'))).issues[0]?.field).toBe('files');
    expect(await state()).toEqual(before);
  });
});

describe('the lag report', () => {
  it('gives count, median, 95th percentile, maximum and the number over a day, by source', async () => {
    const from = new Date('2030-01-01T00:00:00Z');
    const at = (hours: number) => new Date(from.getTime() + hours * 3600_000);
    const lags = [1, 2, 3, 30]; // hours from 办理 to filing
    for (const [index, hours] of lags.entries())
      await ingestArchive(
        context(),
        push(`LAG-${index}`, {
          source: '医保结算',
          item: reimbursement({ date: '2030-01-01', handledAt: from.toISOString() }),
        }),
        'settlement',
        { now: at(hours) },
      );
    await ingestArchive(
      context(),
      push('LAG-X', {
        source: '参保登记',
        item: reimbursement({ date: '2030-01-01', handledAt: from.toISOString() }),
      }),
      'enrollment',
      { now: at(5) },
    );
    const report = await lagReport(system.database.db, { from, to: at(48) });
    expect(report.overall).toMatchObject({
      count: 5,
      maxSeconds: 30 * 3600,
      overDay: 1,
      medianSeconds: 3 * 3600,
    });
    const settlement = report.bySource.find((row) => row.source === '医保结算');
    expect(settlement).toMatchObject({ count: 4, medianSeconds: 2.5 * 3600, overDay: 1 });
    expect(settlement?.p95Seconds).toBeCloseTo((3 + 0.85 * 27) * 3600, 0);
    expect(report.bySource.map((row) => row.source).sort()).toEqual(['医保结算', '参保登记'].sort());
    const one = await lagReport(system.database.db, { from, to: at(48), source: '参保登记' });
    expect(one.overall).toMatchObject({ count: 1, medianSeconds: 5 * 3600 });
    expect((await failure(lagReport(system.database.db, { from: at(2), to: at(1) }))).code).toBe(
      'RANGE_INVALID',
    );
  });
});
