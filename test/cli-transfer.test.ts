// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beijingDate, beijingIso } from '../src/shared/beijing-time.js';
import { yearsAfter } from '../src/modules/transfer/transfer.accept.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createUser } from '../src/modules/access/user.service.js';
import { createFonds } from '../src/modules/catalog/fonds.service.js';
import { fileItems } from '../src/modules/catalog/item.service.js';
import { checkItem } from '../src/modules/check/check.service.js';
import { addFile } from '../src/modules/storage/file.service.js';
import { signReceipt } from '../src/modules/transfer/receipt.js';
import { openSystem } from '../src/system/system.js';
import { CLI_PASSWORD, type CliEnv, cliEnv, run } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { SYSTEM } from './helpers/fixture-access.js';
import { FONDS, reimbursement, validId } from './helpers/fixtures.js';
import { streamOf } from './helpers/system.js';

// yidang transfer …: a batch drawn, shown, exported as a bag, settled by a 回执 signed with the
// receiver's pinned key, listed and its 登记表 written; a person-level batch with the ID number read
// from standard input (never from the command line); bad input answered in Chinese with exit code 1.
// Needs dist/ (npx tsc -p tsconfig.build.json).

/** Acceptance today: the copy is kept five years from today (Beijing). */
const KEEP_UNTIL = yearsAfter(beijingDate(new Date()), 5);
let database: TestDatabase | undefined;
let cli: CliEnv;
const items: string[] = [];
const PERSON = validId('32011519770707123');
const ALL = [{ fondsCode: null, regionCode: null, categoryCode: null }];
const keys = crypto.generateKeyPairSync('ed25519');
const as = (args: string[], input?: string) =>
  run(cli, args, {
    env: { YIDANG_USER: 'transfer.keeper', YIDANG_PASSWORD: CLI_PASSWORD, YIDANG_TOTP: undefined },
    ...(input !== undefined ? { input } : {}),
  });
let work: string;

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  cli = cliEnv(database?.url);
  work = fs.mkdtempSync(path.join(cli.home, 'work-'));
  const system = await openSystem(loadConfig({ ...cli.env }, cli.home), { initialize: true });
  try {
    const db = system.database.db;
    await createFonds(db, FONDS, 'test');
    const filed = await fileItems(
      db,
      [
        reimbursement({
          idNumber: PERSON,
          year: 2018,
          date: '2018-03-15',
          handledAt: '2018-03-15T10:00:00+08:00',
        }),
        reimbursement({
          title: '另一份报销审核表',
          year: 2018,
          date: '2018-04-15',
          handledAt: '2018-04-15T10:00:00+08:00',
        }),
      ],
      'test',
      { access: SYSTEM },
    );
    items.push(...filed.map((item) => item.archiveCode));
    for (const [index, code] of items.entries()) {
      await addFile(
        { db, store: system.store, access: SYSTEM },
        code,
        { fileName: `审核表${index + 1}.txt`, stream: streamOf(`报销审核表 ${index + 1}\n`) },
        'test',
      );
      await checkItem({ db, store: system.store }, code, 'test', SYSTEM);
    }
    await createUser(
      db,
      { username: 'transfer.keeper', password: CLI_PASSWORD, roles: ['archivist'], scope: ALL },
      'test',
    );
  } finally {
    await system.close();
  }
  fs.writeFileSync(
    path.join(work, 'receiver.pem'),
    keys.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  );
}, 180_000);
afterAll(async () => {
  fs.rmSync(cli.home, { recursive: true, force: true });
  await database?.close();
});

it('draws, exports, accepts a signed 回执 and writes the 登记表', async () => {
  const created = await as([
    'transfer',
    'create',
    '--fonds',
    'J013',
    '--year',
    '2018',
    '--receiver',
    '南京市档案馆',
    '--receiver-key',
    path.join(work, 'receiver.pem'),
  ]);
  expect(created.code, created.stderr).toBe(0);
  const code = /已编制移交批次 (YJ-J013-\d{4}-\d+)，列入 2 件/.exec(created.stdout)?.[1] as string;
  expect(code).toBeTruthy();
  const shown = await as(['transfer', 'show', code]);
  expect(shown.stdout).toContain(`移交批次 ${code}：已编制，待导出`);
  expect(shown.stdout).toContain(items[0] as string);
  expect(shown.stdout).not.toContain(PERSON);

  const bag = path.join(work, 'bag');
  const exported = await as(['transfer', 'export', code, '--out', bag, '--json']);
  expect(exported.code, exported.stderr).toBe(0);
  const result = JSON.parse(exported.stdout) as { items: number; tagmanifestDigest: string };
  expect(result.items).toBe(2);
  expect(fs.existsSync(path.join(bag, 'bagit.txt'))).toBe(true);

  const receiptFile = path.join(work, `回执-${code}.json`);
  const sign = (receiver: string) =>
    signReceipt(
      {
        batch: code,
        bagDigest: { algorithm: 'sha256', value: result.tagmanifestDigest },
        sender: '南京市江宁区医疗保障局',
        receiver,
        receivedAt: beijingIso(new Date()),
        items: items.map((archiveCode) => ({ archiveCode, accepted: true })),
        bagProblems: [],
      },
      { algorithm: 'ed25519', privateKey: keys.privateKey, publicKey: keys.publicKey },
    );
  fs.writeFileSync(receiptFile, sign('别的单位'));
  const wrongReceiver = await as(['transfer', 'accept', code, '--receipt', receiptFile]);
  expect(wrongReceiver.code).toBe(1);
  expect(wrongReceiver.stderr).toContain('接收单位');
  fs.writeFileSync(receiptFile, sign('南京市档案馆'));
  const accepted = await as(['transfer', 'accept', code, '--receipt', receiptFile]);
  expect(accepted.code, accepted.stderr).toBe(0);
  expect(accepted.stdout).toContain(
    `已登记移交批次 ${code} 的接收回执（南京市档案馆）：已移交 2 件，本单位只读保存至 ${KEEP_UNTIL}`,
  );

  const listed = await as(['transfer', 'list', '--json']);
  expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ code, state: 'accepted' }));
  const form = path.join(work, '登记表.pdf');
  expect((await as(['transfer', 'form', code, '--out', form])).code).toBe(0);
  expect(fs.readFileSync(form).subarray(0, 5).toString()).toBe('%PDF-');
  // Read-only now: the item may not be edited.
  const patch = path.join(work, 'patch.json');
  fs.writeFileSync(patch, JSON.stringify({ title: '改题名' }));
  const edit = await as(['item', 'update', items[0] as string, '--file', patch, '--reason', '试改']);
  expect(edit.code).toBe(1);
  expect(edit.stderr).toContain('已按移交批次');
}, 240_000);

it('takes a person’s ID number from standard input only, and answers bad input in Chinese', async () => {
  const onLine = await as([
    'transfer',
    'create',
    '--fonds',
    'J013',
    '--receiver',
    '苏州市医疗保障局',
    '--id-number',
    PERSON,
  ]);
  expect(onLine.code).toBe(1);
  expect(onLine.stderr).toContain('身份证号不能写在命令行上');
  expect(onLine.stderr).not.toContain(PERSON);
  // Both of the person's items are transferred already: nothing left to draw, each named.
  const person = await as(
    [
      'transfer',
      'create',
      '--fonds',
      'J013',
      '--receiver',
      '苏州市医疗保障局',
      '--person',
      '--id-number',
      '-',
    ],
    `${PERSON}\n`,
  );
  expect(person.code).toBe(1);
  expect(person.stderr).toContain('已移交');
  expect(person.stderr).not.toContain(PERSON);
  const missing = await as(['transfer', 'show', 'YJ-J013-2026-999']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('移交批次 YJ-J013-2026-999 不存在');
}, 120_000);
