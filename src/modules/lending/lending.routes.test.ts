// test-engine: either
import { describe, expect, it } from 'vitest';
import {
  archiveCode,
  archivist,
  base,
  call,
  clerk,
  eventsByTrace,
  expectDelivered,
  samplePdf,
  system,
  upload,
  useWatermarkApi,
} from '../../../test/helpers/watermark-api.js';
import { verifyAll } from '../verify/verify.service.js';

// /api/v1/loans over a real server: an electronic loan from request to reading under it — every read
// checked against the loan, watermarked with the loan number and logged — until its due date passes,
// after which the same read is refused. Bad input gets its Chinese error code.

useWatermarkApi();

const loansUrl = () => `${base}/api/v1/loans`;
const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('an electronic loan over HTTP', () => {
  it('is read under its number until its due date, then refused', async () => {
    const asked = await call(
      `${base}/api/v1/loans`,
      clerk,
      json({ kind: 'electronic', items: [archiveCode], purpose: '核对报销材料', days: 3 }),
    );
    expect(asked.status, await asked.clone().text()).toBe(201);
    const { loanNo } = (await asked.json()) as { loanNo: string };
    const original = await upload(archiveCode, await samplePdf(), 'reimbursement.pdf');

    // Before approval nothing can be read under it.
    const early = await call(
      `${loansUrl()}/${loanNo}/items/${encodeURIComponent(archiveCode)}/files/${original.fileNumber}`,
      clerk,
    );
    expect(early.status).toBe(403);
    expect(((await early.json()) as { error: { code: string } }).error.code).toBe('LOAN_STATE');

    const approved = await call(`${loansUrl()}/${loanNo}/approve`, archivist, json({}));
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ state: 'on_loan', stateName: '在借' });

    const listed = await call(
      `${loansUrl()}/${loanNo}/items/${encodeURIComponent(archiveCode)}/files`,
      clerk,
    );
    expect(
      ((await listed.json()) as { files: Array<{ fileNumber: number }> }).files.map(
        (file) => file.fileNumber,
      ),
    ).toEqual([original.fileNumber]);
    const url = `${loansUrl()}/${loanNo}/items/${encodeURIComponent(archiveCode)}/files/${original.fileNumber}`;
    const response = await call(url, clerk);
    const got = {
      status: response.status,
      headers: response.headers,
      body: Buffer.from(await response.arrayBuffer()),
    };
    const trace = expectDelivered(got, original, 'visible');
    expect(got.headers.get('x-yidang-loan')).toBe(loanNo);
    // The purpose on the watermark and in the log names the loan.
    const [read] = (await eventsByTrace(trace)).filter((entry) => entry.action === 'file.read');
    expect(read?.purpose).toContain(loanNo);
    const loanEvents = await system.database.db
      .selectFrom('integrity_event')
      .select(['action', 'payload'])
      .where('subject', '=', `loan:${loanNo}`)
      .orderBy('seq')
      .execute();
    expect(loanEvents.map((event) => event.action)).toEqual([
      'loan.requested',
      'loan.approved',
      'loan.opened',
      'loan.read',
    ]);
    expect(JSON.parse(loanEvents[3]?.payload as string)).toMatchObject({
      item: archiveCode,
      file: original.fileNumber,
    });

    // Only the borrower reads under the loan.
    const other = await call(url, archivist);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('LOAN_NOT_BORROWER');

    // Three days later (the due date moved into the past): refused, and nothing more is logged.
    await system.database.db
      .updateTable('loan')
      .set({ due_on: '2020-01-01' })
      .where('loan_no', '=', loanNo)
      .execute();
    const late = await call(url, clerk);
    expect(late.status).toBe(403);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('LOAN_EXPIRED');
    const shown = (await (await call(`${loansUrl()}/${loanNo}`, clerk)).json()) as { stateName: string };
    expect(shown.stateName).toBe('已到期');
    const after = await system.database.db
      .selectFrom('integrity_event')
      .select('action')
      .where('subject', '=', `loan:${loanNo}`)
      .execute();
    expect(after.filter((event) => event.action === 'loan.read')).toHaveLength(1);
  });

  it('a copy (复制) taken under a loan is logged with its trace id as the copy code', async () => {
    const asked = await call(
      loansUrl(),
      clerk,
      json({ kind: 'copy', items: [archiveCode], purpose: '出具复制件核对', days: 2 }),
    );
    const { loanNo } = (await asked.json()) as { loanNo: string };
    expect((await call(`${loansUrl()}/${loanNo}/approve`, archivist, json({}))).status).toBe(200);
    const response = await call(
      `${loansUrl()}/${loanNo}/items/${encodeURIComponent(archiveCode)}/files/1`,
      clerk,
    );
    expect(response.status).toBe(200);
    const trace = response.headers.get('x-yidang-trace');
    const copied = await system.database.db
      .selectFrom('integrity_event')
      .select('payload')
      .where('subject', '=', `loan:${loanNo}`)
      .where('action', '=', 'loan.copied')
      .execute();
    expect(copied.map((event) => JSON.parse(event.payload))).toEqual([
      { item: archiveCode, file: 1, copyCode: trace },
    ]);
    // Ended by the borrower: no more copies.
    expect((await call(`${loansUrl()}/${loanNo}/end`, clerk, json({}))).status).toBe(200);
    const after = await call(
      `${loansUrl()}/${loanNo}/items/${encodeURIComponent(archiveCode)}/files/1`,
      clerk,
    );
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('LOAN_EXPIRED');
  });

  it("verify names a loan changed behind the system's back, and passes the loans changed through it", async () => {
    const report = await verifyAll({
      db: system.database.db,
      store: system.store,
      signingKey: system.signingKey,
    });
    const loanProblems = report.problems.filter((problem) => problem.kind.startsWith('loan.'));
    // The first test moved its loan's due date in SQL (time passing, for the test): verify sees it.
    expect(loanProblems.map((problem) => problem.kind)).toEqual(['loan.altered']);
    expect(loanProblems[0]?.record).toMatch(/^借阅单 JY\d{4}-\d{6}$/);
    const tampered = loanProblems[0]?.record.slice(4) as string;
    const loans = await system.database.db.selectFrom('loan').select('loan_no').execute();
    expect(loans.length).toBeGreaterThan(1);
    expect(loans.filter((loan) => loan.loan_no !== tampered)).toHaveLength(loans.length - 1);
  });

  it('verify names a loan handed to another reader behind its back (the ids reads are decided by)', async () => {
    const db = system.database.db;
    const before = await verifyAll({ db, store: system.store, signingKey: system.signingKey });
    const altered = (report: typeof before) =>
      report.problems.filter((problem) => problem.kind === 'loan.altered').map((problem) => problem.record);
    const loan = await db
      .selectFrom('loan')
      .select(['id', 'loan_no', 'borrower_id', 'requester_id'])
      .where('borrower_id', 'is not', null)
      .where(
        'loan_no',
        'not in',
        altered(before).map((record) => record.slice(4)),
      )
      .executeTakeFirstOrThrow();
    const other = await db
      .selectFrom('app_user')
      .select('id')
      .where('id', 'not in', [loan.borrower_id as number, loan.requester_id])
      .executeTakeFirstOrThrow();
    await db.updateTable('loan').set({ borrower_id: other.id }).where('id', '=', loan.id).execute();
    const after = await verifyAll({ db, store: system.store, signingKey: system.signingKey });
    expect(altered(after)).toEqual([...altered(before), `借阅单 ${loan.loan_no}`].sort());
  });

  it('answers bad input with Chinese error codes', async () => {
    const ask = (body: Record<string, unknown>) =>
      call(
        loansUrl(),
        clerk,
        json({ kind: 'paper', items: [archiveCode], purpose: '核对报销材料', days: 5, ...body }),
      );
    const tooLong = await ask({ kind: 'electronic', days: 60 });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { code: string } }).error.code).toBe('LOAN_DAYS_EXCEEDED');
    const noPaper = await ask({});
    expect(((await noPaper.json()) as { error: { code: string } }).error.code).toBe('LOAN_NOT_PAPER');
    const missing = await call(`${loansUrl()}/JY2026-999999`, clerk);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('LOAN_NOT_FOUND');
    const garbage = await call(
      `${loansUrl()}/JY2026-000001/return`,
      archivist,
      json({ condition: 'intact' }),
    );
    expect([404, 400]).toContain(garbage.status);
    const rules = await call(`${base}/api/v1/loan-rules`, clerk);
    const { rules: list } = (await rules.json()) as {
      rules: Array<{ maxDays: number; retention: string | null }>;
    };
    expect(list.find((rule) => rule.retention === 'Y')?.maxDays).toBe(10);
  });
});
