import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM, scopedAccess } from '../../../test/helpers/fixture-access.js';
import { failure, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { importTable } from '../import/import.service.js';
import { type IngestRequest, ingestArchive } from '../push/push.service.js';
import { listDuplicates, resolveDuplicate } from './duplicates.service.js';

// The same business filed twice is flagged at ingest with the key fields that differ, listed side by
// side, and resolved by an archivist (keep both, or name the record that stands) with a reason.

let system: TestSystem;
const context = () => ({ db: system.database.db, store: system.store, access: SYSTEM });

beforeAll(async () => {
  system = await openTestSystem();
  await fileOneItem(system);
});
afterAll(() => system?.dispose());

const settlement = (insuredNumber: string, handledAt: string, overrides: Record<string, unknown> = {}) =>
  reimbursement({
    insuredNumber,
    businessType: '零星报销',
    handledAt,
    title: `${insuredNumber} 个人零星医疗费用报销审核表`,
    ...overrides,
  });
const push = (source: string, serial: string, item: unknown): IngestRequest => ({ source, serial, item });

const flagEvents = async () =>
  (
    await system.database.db
      .selectFrom('integrity_event')
      .select(['action', 'subject', 'payload'])
      .where('action', 'in', ['item.duplicate_flagged', 'item.duplicate_resolved'])
      .orderBy('seq')
      .execute()
  ).map((row) => ({ ...row, payload: JSON.parse(row.payload) as Record<string, unknown> }));

describe('flagging at ingest', () => {
  it('flags the same 参保号 and 业务类型 handled within 72 hours, naming the fields that differ', async () => {
    const first = await ingestArchive(
      context(),
      push('结算系统', 'A-1', settlement('3201150000001', '2024-03-15T10:00:00+08:00')),
      'settlement',
    );
    expect(first.duplicates).toBe(0);
    const second = await ingestArchive(
      context(),
      push(
        '稽核科',
        'B-1',
        settlement('3201150000001', '2024-03-16T09:00:00+08:00', { amount: '2234.5', handler: '王芳' }),
      ),
      'audit-office',
    );
    expect(second.duplicates).toBe(1);
    const later = await ingestArchive(
      context(),
      push('结算系统', 'A-2', settlement('3201150000001', '2024-03-25T10:00:00+08:00')),
      'settlement',
    );
    expect(later.duplicates).toBe(0);
    const { pairs } = await listDuplicates(system.database.db, { access: SYSTEM, status: 'open' });
    const pair = pairs.find((entry) => entry.item.archiveCode === second.archiveCode);
    expect(pair?.other.archiveCode).toBe(first.archiveCode);
    expect(pair?.flag).toMatchObject({
      rule: 'same_business',
      fields: ['amount', 'handler'],
      status: 'open',
    });
    const events = await flagEvents();
    expect(events.at(-1)).toMatchObject({
      action: 'item.duplicate_flagged',
      subject: `item:${second.archiveCode}`,
      payload: { rule: 'same_business', other: first.archiveCode, fields: ['amount', 'handler'] },
    });
  });

  it('flags a serial another system pushed before, whatever the content', async () => {
    const first = await ingestArchive(
      context(),
      push('参保登记系统', 'SER-9', settlement('3201150000002', '2024-04-01T10:00:00+08:00')),
      'enrollment',
    );
    const second = await ingestArchive(
      context(),
      push(
        '结算系统',
        'SER-9',
        settlement('3201150000003', '2024-05-01T10:00:00+08:00', { idNumber: validId('32011519700101123') }),
      ),
      'settlement',
    );
    expect(second.duplicates).toBe(1);
    const { pairs } = await listDuplicates(system.database.db, { access: SYSTEM });
    expect(pairs.find((entry) => entry.item.archiveCode === second.archiveCode)).toMatchObject({
      flag: { rule: 'same_serial', fields: expect.arrayContaining(['idNumber', 'title']) },
      other: { archiveCode: first.archiveCode },
    });
  });

  it('flags rows of one imported batch against each other', async () => {
    const header =
      '全宗号,类别,机构,题名,日期,责任者,姓名,身份证号,金额,extra.hospital,参保号,业务类型,办理时间';
    const line = (amount: string, at: string) =>
      `J013,JSLX,JSK,重复 报销审核表,2024-06-01,江宁区医保局,王建国,${validId('32011519850312123')},${amount},江宁医院,3201150000009,零星报销,${at}`;
    const content = Buffer.from(
      [header, line('10', '2024-06-01T09:00:00+08:00'), line('12', '2024-06-02T09:00:00+08:00')].join('\n'),
    );
    const result = await importTable(system.database.db, { name: 'dup.csv', content }, 'importer', {
      access: SYSTEM,
    });
    expect(result.filed).toBe(2);
    const { pairs } = await listDuplicates(system.database.db, { access: SYSTEM });
    expect(pairs.find((entry) => entry.item.archiveCode === result.lines[1]?.archiveCode)).toMatchObject({
      other: { archiveCode: result.lines[0]?.archiveCode },
      flag: { fields: ['amount'] },
    });
  });
});

describe('resolving a flag', () => {
  it('keeps both with a reason, once; merges naming one of the two; logs each decision', async () => {
    const { pairs } = await listDuplicates(system.database.db, { access: SYSTEM, status: 'open' });
    const [one, two] = pairs;
    if (!one || !two) throw new Error('two open flags expected');
    expect(
      (
        await failure(
          resolveDuplicate(
            system.database.db,
            one.flag.id,
            { decision: 'keep_both', reason: '无' },
            'archivist',
            SYSTEM,
          ),
        )
      ).code,
    ).toBe('REASON_REQUIRED');
    const kept = await resolveDuplicate(
      system.database.db,
      one.flag.id,
      { decision: 'keep_both', reason: '两次就诊，非重复' },
      'archivist',
      SYSTEM,
    );
    expect(kept).toMatchObject({ status: 'kept', resolvedBy: 'archivist', reason: '两次就诊，非重复' });
    expect(
      (
        await failure(
          resolveDuplicate(
            system.database.db,
            one.flag.id,
            { decision: 'keep_both', reason: '再次处理' },
            'archivist',
            SYSTEM,
          ),
        )
      ).code,
    ).toBe('DUPLICATE_RESOLVED');
    expect(
      (
        await failure(
          resolveDuplicate(
            system.database.db,
            two.flag.id,
            { decision: 'merge', keep: 'J013-XX-1', reason: '同一笔报销' },
            'archivist',
            SYSTEM,
          ),
        )
      ).code,
    ).toBe('KEEP_INVALID');
    const merged = await resolveDuplicate(
      system.database.db,
      two.flag.id,
      { decision: 'merge', keep: two.other.archiveCode, reason: '同一笔报销重复推送' },
      'archivist',
      SYSTEM,
    );
    expect(merged).toMatchObject({ status: 'merged', keptItemId: two.other.id });
    const decisions = (await flagEvents()).filter((event) => event.action === 'item.duplicate_resolved');
    expect(decisions.map((event) => event.payload.decision)).toEqual(['keep_both', 'merge']);
    expect(
      (
        await failure(
          resolveDuplicate(
            system.database.db,
            999_999,
            { decision: 'keep_both', reason: '不存在的标记' },
            'x',
            SYSTEM,
          ),
        )
      ).code,
    ).toBe('DUPLICATE_NOT_FOUND');
  });

  it('hides a pair from a user whose scope does not cover both items', async () => {
    const scope = scopedAccess({
      rows: [{ fondsCode: 'X999', regionPrefix: null, categoryIds: null }],
      idNumber: null,
    });
    expect((await listDuplicates(system.database.db, { access: scope })).pairs).toEqual([]);
    const { pairs } = await listDuplicates(system.database.db, { access: SYSTEM });
    expect(
      (
        await failure(
          resolveDuplicate(
            system.database.db,
            pairs[0]?.flag.id as number,
            { decision: 'keep_both', reason: '越权处理' },
            'x',
            scope,
          ),
        )
      ).code,
    ).toBe('DUPLICATE_NOT_FOUND');
  });
});
