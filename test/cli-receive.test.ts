// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createUser } from '../src/modules/access/user.service.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { addFile } from '../src/modules/storage/file.service.js';
import { bagTarStream } from '../src/modules/transfer/bag.tar.js';
import { verifyReceipt } from '../src/modules/transfer/receipt.js';
import { openSystem } from '../src/system/system.js';
import { pdf as makePdf } from './helpers/check-files.js';
import { CLI_PASSWORD, type CliEnv, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { SYSTEM } from './helpers/fixture-access.js';
import { FONDS, reimbursement } from './helpers/fixtures.js';
import { openTestSystem, streamOf, type TestSystem } from './helpers/system.js';
import { exportFiledAsBag } from './helpers/transfer-bag.js';

// yidang receive <移交包> with the built CLI: a sender's exported bag (another home) received into
// the CLI home's fonds, the signed 回执 written for the sender; the same bag again refused; a tampered
// copy as a tar rejected naming the file, exit 1; a clerk without transfer.receive refused. Needs dist/.

let database: TestDatabase | undefined;
let cli: CliEnv;
let sender: TestSystem;
let bag: string;
const RECEIVING = { code: 'J020', name: '南京市医疗保障局', regionCode: '320100' };
const J020 = [{ fondsCode: 'J020', regionCode: null, categoryCode: null }];
const as = (user: string, args: string[]) =>
  run(cli, args, { env: { YIDANG_USER: user, YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined } });

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  const system = await openSystem(loadConfig({ ...cli.env }, cli.home), { initialize: true });
  try {
    const db = system.database.db;
    await createFonds(db, RECEIVING, 'test');
    await createUser(
      db,
      { username: 'recv.archivist', password: CLI_PASSWORD, roles: ['archivist'], scope: J020 },
      'test',
    );
    await createUser(
      db,
      { username: 'recv.clerk', password: CLI_PASSWORD, roles: ['clerk'], scope: J020 },
      'test',
    );
  } finally {
    await system.close();
  }
  sender = await openTestSystem();
  const sdb = sender.database.db;
  await createFonds(sdb, FONDS, 'test');
  const filed = await fileItems(sdb, [reimbursement({ title: '王建国 门诊费用报销审核表' })], 'test', {
    access: SYSTEM,
  });
  const pdf = await makePdf(1);
  for (const item of filed)
    await addFile(
      { db: sdb, store: sender.store, access: SYSTEM },
      item.archiveCode,
      { stream: streamOf(pdf), fileName: '审核表.pdf' },
      'test',
    );
  bag = path.join(cli.home, 'incoming', 'YJ-J013-2026-5');
  await exportFiledAsBag(sender, 'YJ-J013-2026-5', filed, bag);
}, 180_000);
afterAll(async () => {
  await sender?.dispose();
  fs.rmSync(cli.home, { recursive: true, force: true });
  await database?.close();
});

it('receives a bag, writes the signed receipt, refuses it twice, rejects a tampered tar and a clerk', async () => {
  const out = path.join(cli.home, 'receipts');
  const received = await as('recv.archivist', ['receive', bag, '--fonds', 'J020', '--out', out]);
  expect(received.stderr).toBe('');
  expect(received.code).toBe(0);
  expect(received.stdout).toContain(
    '移交批次 YJ-J013-2026-5（南京市江宁区医疗保障局）：全部接收，接收 1 件，拒收 0 件',
  );
  expect(received.stdout).toMatch(/J013-\S+\s+接收\s+J020-/);
  const receipt = verifyReceipt(fs.readFileSync(path.join(out, '回执-YJ-J013-2026-5.json')));
  expect(receipt.items).toHaveLength(1);
  expect(receipt.items[0]?.receivedAs).toMatch(/^J020-/);

  const twice = await as('recv.archivist', ['receive', bag, '--fonds', 'J020', '--out', out]);
  expect(twice.code).toBe(1);
  expect(twice.stderr).toContain('已经接收过');

  // A tampered copy, as a tar: rejected, the file named, a receipt still written; exit 1.
  const copy = path.join(cli.home, 'tampered', 'YJ-J013-2026-5');
  fs.cpSync(bag, copy, { recursive: true });
  const eep = fs.readdirSync(path.join(copy, 'data')).find((name) => name.startsWith('J013')) as string;
  const target = path.join(copy, 'data', eep, 'files', '审核表.pdf');
  const bytes = fs.readFileSync(target);
  bytes[10] = (bytes[10] ?? 0) ^ 1;
  fs.writeFileSync(target, bytes);
  const tarFile = path.join(cli.home, 'tampered.tar');
  await pipeline(bagTarStream(copy), fs.createWriteStream(tarFile));
  const rejected = await as('recv.archivist', ['receive', tarFile, '--fonds', 'J020', '--json']);
  expect(rejected.code).toBe(1);
  const json = JSON.parse(rejected.stdout) as {
    state: string;
    problems: Array<{ code: string; path: string }>;
    receiptPath: string;
  };
  expect(json.state).toBe('rejected');
  expect(json.problems).toEqual([
    expect.objectContaining({ code: 'BAG_DIGEST_MISMATCH', path: `data/${eep}/files/审核表.pdf` }),
  ]);
  expect(verifyReceipt(fs.readFileSync(json.receiptPath)).bagProblems).toHaveLength(1);

  const clerk = await as('recv.clerk', ['receive', bag, '--fonds', 'J020']);
  expect(clerk.code).toBe(1);
  expect(clerk.stderr).toMatch(/权限|无权/);
  const missing = await as('recv.archivist', ['receive', path.join(cli.home, 'nothing'), '--fonds', 'J020']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('不存在');
}, 180_000);

it('lists the received bags and shows one by batch or number: each item with its reason, the digests', async () => {
  const listed = await as('recv.archivist', ['receive', 'list']);
  expect(listed.stderr).toBe('');
  expect(listed.code).toBe(0);
  // The accepted bag and the rejected tampered tar, newest first, with their counts.
  expect(listed.stdout).toMatch(/YJ-J013-2026-5\s+南京市江宁区医疗保障局\s+J020\s+全部拒收\s+0\s+1/);
  expect(listed.stdout).toMatch(/YJ-J013-2026-5\s+南京市江宁区医疗保障局\s+J020\s+全部接收\s+1\s+0/);
  const json = JSON.parse((await as('recv.archivist', ['receive', 'list', '--json'])).stdout) as {
    bags: Array<{ id: number; state: string; receiptDigest: string; counts: { accepted: number } }>;
  };
  expect(json.bags.map((one) => one.state)).toEqual(['rejected', 'accepted']);
  const accepted = json.bags[1] as { id: number; receiptDigest: string };
  expect(accepted.receiptDigest).toMatch(/^[0-9a-f]{64}$/);

  // By batch: the newest receipt (the rejected one) with the file named, the earlier one listed.
  const byBatch = await as('recv.archivist', ['receive', 'show', 'YJ-J013-2026-5']);
  expect(byBatch.code).toBe(0);
  expect(byBatch.stdout).toContain('全部拒收；接收 0 件，拒收 1 件');
  expect(byBatch.stdout).toContain('移交包问题 BAG_DIGEST_MISMATCH');
  expect(byBatch.stdout).toMatch(/J013-\S+\s+拒收\s+.*移交包/);
  expect(byBatch.stdout).toContain(`此前的接收：接收编号 ${accepted.id}，全部接收`);
  // By number: the accepted one, its 本馆档号, the bag's and the receipt's digests; the receipt written.
  const receiptFile = path.join(cli.home, 'shown', '回执.json');
  const byId = await as('recv.archivist', ['receive', 'show', String(accepted.id), '--receipt', receiptFile]);
  expect(byId.code).toBe(0);
  expect(byId.stdout).toMatch(/J013-\S+\s+接收\s+J020-/);
  expect(byId.stdout).toContain(`SHA-256：${accepted.receiptDigest}`);
  expect(byId.stdout).toMatch(/移交包摘要（sha256）：[0-9a-f]{64}/);
  expect(verifyReceipt(fs.readFileSync(receiptFile)).items[0]?.accepted).toBe(true);
  const shownJson = JSON.parse(
    (await as('recv.archivist', ['receive', 'show', String(accepted.id), '--json'])).stdout,
  ) as { items: Array<{ archiveCode: string }>; earlier: unknown[] };
  expect(shownJson.items[0]?.archiveCode).toMatch(/^J020-/);

  // The filed item keeps the sender's 档号 as a field (原档号, 来源单位), shown by item show.
  const item = JSON.parse(
    (await as('recv.archivist', ['item', 'show', shownJson.items[0]?.archiveCode as string])).stdout,
  ) as { received?: { originalCode: string; source: string; batch: string } };
  expect(item.received).toMatchObject({ source: '南京市江宁区医疗保障局', batch: 'YJ-J013-2026-5' });
  expect(item.received?.originalCode).toMatch(/^J013-/);

  // Unknown batch, bad reference, and a clerk: refused in Chinese.
  const unknown = await as('recv.archivist', ['receive', 'show', 'YJ-J013-2026-77']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('没有接收记录');
  expect((await as('recv.archivist', ['receive', 'show', '999999'])).stderr).toContain('不存在');
  expect((await as('recv.clerk', ['receive', 'list'])).stderr).toMatch(/权限|无权/);
  const help = await run(cli, ['receive', '--help']);
  expect(help.stdout).toContain('已接收的移交包');
}, 120_000);
