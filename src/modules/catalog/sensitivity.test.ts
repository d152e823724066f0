import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { FONDS, reimbursement } from '../../../test/helpers/fixtures.js';
import { createFonds } from './fonds.service.js';
import { updateItem } from './item.edit.service.js';
import { fileItems, getItem } from './item.service.js';
import { isSensitiveDiagnosis, sensitivityWithDiagnosis } from './sensitivity.js';

describe('isSensitiveDiagnosis', () => {
  it('knows ICD-10 F20–F29 and B20–B24 by code, with or without a subcode', () => {
    for (const code of ['F20', 'F20.0', 'f25.1', 'F29', 'B20', 'B24', '诊断：F22.0 持久的妄想性障碍'])
      expect(isSensitiveDiagnosis(code), code).toBe(true);
    for (const code of ['F19', 'F30', 'F200', 'B19', 'B25', 'I10', 'E11.9', 'XF20', 'A2024'])
      expect(isSensitiveDiagnosis(code), code).toBe(false);
  });

  it('knows them by their Chinese names too', () => {
    for (const name of ['精神分裂症', '分裂情感性障碍', '艾滋病', 'HIV感染', '获得性免疫缺陷综合征'])
      expect(isSensitiveDiagnosis(name), name).toBe(true);
    for (const name of ['高血压', '2型糖尿病', '慢性阻塞性肺疾病'])
      expect(isSensitiveDiagnosis(name), name).toBe(false);
  });

  it('raises only normal items, and only from diagnosis fields', () => {
    expect(sensitivityWithDiagnosis('normal', { disease: '精神分裂症' })).toBe('sensitive');
    expect(sensitivityWithDiagnosis('normal', { icd10: 'B20.1' })).toBe('sensitive');
    expect(sensitivityWithDiagnosis('restricted', { disease: '精神分裂症' })).toBe('restricted');
    expect(sensitivityWithDiagnosis('normal', { hospital: 'HIV 防治中心' })).toBe('normal');
    expect(sensitivityWithDiagnosis('normal', { disease: '高血压' })).toBe('normal');
  });
});

describe('filing with a diagnosis', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
    await createFonds(database.db, FONDS, 'test');
  });
  afterAll(() => database?.close());

  const chronic = (disease: string) =>
    reimbursement({
      category: 'DYMT',
      title: `王建国 门诊慢特病待遇认定表（${disease}）`,
      sensitivity: 'normal',
      extra: { disease },
    });

  it('files an item whose diagnosis is sensitive as sensitive even when the filer said normal', async () => {
    const [psychosis, hypertension] = await fileItems(
      database.db,
      [chronic('精神分裂症'), chronic('高血压')],
      'test',
      { access: SYSTEM },
    );
    expect((await getItem(database.db, psychosis?.archiveCode as string, SYSTEM)).sensitivity).toBe(
      'sensitive',
    );
    expect((await getItem(database.db, hypertension?.archiveCode as string, SYSTEM)).sensitivity).toBe(
      'normal',
    );
  });

  it('cannot be edited back to normal while the diagnosis stays', async () => {
    const [filed] = await fileItems(database.db, [chronic('F20.0')], 'test', { access: SYSTEM });
    const code = filed?.archiveCode as string;
    const edited = await updateItem(
      database.db,
      code,
      { sensitivity: 'normal', title: '更正题名', reason: '笔误' },
      'test',
      { access: SYSTEM },
    );
    expect(edited.sensitivity).toBe('sensitive');
  });
});
