import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../test/helpers/fixture-access.js';
import { reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { db, EVERYTHING, useGrantDatabase, user } from '../../../test/helpers/grant-service.js';
import { accessContextOf } from '../access/principal.js';
import { fileItems } from '../catalog/item.service.js';
import { handOver } from '../lending/lending.desk.js';
import { requestLoan } from '../lending/lending.request.js';
import { approveLoan } from '../lending/lending.service.js';
import { catchUpUses } from './use.follower.js';
import { listUses, recordEffect } from './use.service.js';
import { useStats } from './use.stats.js';

// The register fed by the lending module itself, not by hand-made events: a paper loan requested,
// approved and handed over becomes a row per item with the borrower, purpose and 借阅单号 the loan
// holds; the borrower then records what it achieved.

useGrantDatabase();

describe('a real paper loan in the register', () => {
  it('is a row per item handed over, with borrower, purpose and loan number; the borrower records its effect', async () => {
    const items: string[] = [];
    for (const box of ['41', '42']) {
      const [filed] = await fileItems(
        db(),
        [
          reimbursement({
            idNumber: validId(`3201151991010${box}01`),
            carrier: 'paper',
            paperLocation: { warehouse: '一号库', cabinet: '3', shelf: '2', box },
            title: `纸质报销审核表 ${box}`,
          }),
        ],
        'test',
        { access: SYSTEM },
      );
      items.push(filed?.archiveCode as string);
    }
    const clerk = await user(['clerk']);
    const archivist = await user(['archivist'], EVERYTHING);
    const manager = await user(['manager'], EVERYTHING);
    const loan = await requestLoan(db(), clerk, {
      kind: 'paper',
      items,
      purpose: '审计核对报销凭证',
      days: 10,
    });
    await approveLoan(db(), archivist, loan.loanNo);
    expect((await catchUpUses(db())).rows).toBe(0);
    await handOver(db(), archivist, loan.loanNo);
    expect((await catchUpUses(db())).rows).toBe(2);

    const seen = await listUses(db(), await accessContextOf(db(), manager), { loan: loan.loanNo });
    expect(seen.uses.map((use) => use.archiveCode).sort()).toEqual([...items].sort());
    for (const use of seen.uses)
      expect(use).toMatchObject({
        kind: 'paper',
        kindName: '实体借出',
        user: clerk.username,
        purpose: '审计核对报销凭证',
        loanNumber: loan.loanNo,
        department: '南京市江宁区医疗保障局',
        mayRecordEffect: false,
      });
    const stats = await useStats(db(), await accessContextOf(db(), manager), { by: 'kind', period: 'year' });
    expect(stats.rows.find((row) => row.key === 'paper')?.uses).toBe(2);

    const own = await accessContextOf(db(), clerk);
    const [first] = (await listUses(db(), own, {})).uses;
    const recorded = await recordEffect(db(), own, {
      seq: first?.seq as number,
      item: first?.archiveCode,
      effect: 'audit',
      note: '审计发现重复报销一笔',
    });
    expect(recorded).toMatchObject({ effectName: '审计', effectBy: clerk.username });
  });
});
