import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { DUMP_TABLES } from '../src/db/dump.js';
import { createBackup } from '../src/modules/backup/backup.service.js';
import { restoreBackup } from '../src/modules/backup/restore.service.js';
import { fileItems, getItem } from '../src/modules/catalog/item.service.js';
import { currentTreeHead } from '../src/modules/integrity/event-log.js';
import { search } from '../src/modules/search/search.service.js';
import { blobRelativePath as blobPath } from '../src/modules/storage/directory-replica.js';
import { addFile, openFile } from '../src/modules/storage/file.service.js';
import { openSystem } from '../src/system/system.js';
import {
  apiToken,
  CLI_PASSWORD,
  type CliEnv,
  type CliResult,
  cliEnv,
  run,
  signInAs,
  writeJson,
} from './helpers/cli.js';
import { adminQuery, dropEmptyDatabases, freshDatabaseUrl, onPostgres } from './helpers/database.js';
import { SYSTEM } from './helpers/fixture-access.js';
import { failure, reimbursement } from './helpers/fixtures.js';
import { opaqueBytes } from './helpers/opaque-content.js';
import { fileOneItem, openTestSystem, storage, streamOf } from './helpers/system.js';

// Backup and restore end to end: the built CLI against a real data directory (PGlite on disk) or a
// PostgreSQL server, where every scenario gets its own freshly created, empty database.

const PASSPHRASE = '档案备份-Correct-Horse-42';
const FIRST_CODE = 'J013-JSLX·2024-D30-JSK-0001';

const createdDirs: string[] = [];

/** A CLI environment with an empty YIDANG_HOME (and on PostgreSQL an empty database of its own). */
async function newCli(): Promise<CliEnv> {
  const cli = cliEnv(await freshDatabaseUrl());
  cli.env.YIDANG_BACKUP_PASSPHRASE = PASSPHRASE;
  createdDirs.push(cli.home);
  return cli;
}

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  createdDirs.push(dir);
  return dir;
}

/** Nothing was restored: the home is untouched and, on PostgreSQL, the database still has no tables. */
async function expectNothingRestored(target: CliEnv): Promise<void> {
  expect(fs.readdirSync(target.home)).toEqual([]);
  if (target.env.DATABASE_URL) {
    const [row] = await adminQuery<{ count: number }>(
      target.env.DATABASE_URL,
      `select count(*)::int as count from information_schema.tables where table_schema = 'public'`,
    );
    expect(row?.count).toBe(0);
  }
}

function expectOk(result: CliResult, what: string): void {
  expect(result.code, `${what}: ${result.stderr}`).toBe(0);
}

/** Size and root (hex) of a signed checkpoint note's body. */
function parseNote(note: string): { size: number; rootHex: string } {
  const lines = note.split('\n');
  return {
    size: Number(lines[1]),
    rootHex: Buffer.from(lines[2] as string, 'base64').toString('hex'),
  };
}

function parseRestoreOutput(stdout: string): { size: number; rootHex: string } {
  const match = /日志树大小 (\d+)，根哈希 ([0-9a-f]{64})/.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return { size: Number(match?.[1]), rootHex: match?.[2] as string };
}

const partialSiblings = (dir: string) =>
  fs.readdirSync(path.dirname(dir)).filter((name) => name.startsWith(`${path.basename(dir)}.partial-`));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

afterAll(async () => {
  for (const dir of createdDirs) fs.rmSync(dir, { recursive: true, force: true });
  await dropEmptyDatabases();
});

describe('yidang backup and restore (CLI)', () => {
  const big = opaqueBytes(2 * 1024 * 1024);
  const text = '医保零星报销审核意见：同意报销。\n经办人：李娜\n';
  let source: CliEnv;
  let work: string;
  let backupDir: string;
  let backup: CliResult;
  let shownItem: Record<string, unknown>;
  let digests: string[];
  /** The source's account for the item and file commands. */
  let archivist: string;

  beforeAll(async () => {
    source = await newCli();
    work = tempDir('yidang-backups-');
    expectOk(await run(source, ['init']), 'init');
    expectOk(
      await run(source, [
        'fonds',
        'add',
        '--code',
        'J013',
        '--name',
        '江宁区医疗保障局',
        '--region',
        '320115',
      ]),
      'fonds add',
    );
    archivist = await signInAs(source);
    // A business system's API token, which must survive a restore too.
    await apiToken(source, archivist, ['item.read']);
    const added = await run(source, [
      'item',
      'add',
      '--file',
      writeJson(source, 'item.json', reimbursement()),
    ]);
    expectOk(added, 'item add');
    expect(added.stdout.trim()).toBe(FIRST_CODE);
    const bigFile = path.join(work, 'scan.bin');
    const textFile = path.join(work, 'opinion.txt');
    fs.writeFileSync(bigFile, big);
    fs.writeFileSync(textFile, text);
    digests = [];
    for (const file of [bigFile, textFile]) {
      const attached = await run(source, ['file', 'add', FIRST_CODE, file]);
      expectOk(attached, 'file add');
      digests.push(attached.stdout.trim());
    }
    const shown = await run(source, ['item', 'show', FIRST_CODE]);
    expectOk(shown, 'item show');
    shownItem = JSON.parse(shown.stdout);
    expectOk(await run(source, ['checkpoint', 'create']), 'checkpoint create');
    backupDir = path.join(work, 'backup-1');
    backup = await run(source, ['backup', backupDir]);
  }, 180_000);

  it('writes a complete backup directory with the keys sealed under the passphrase', () => {
    expectOk(backup, 'backup');
    expect(backup.stdout).toContain('备份完成');
    expect(backup.stdout).toContain('2 个文件');
    expect(partialSiblings(backupDir)).toEqual([]);

    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'yidang-backup/1',
      createdBy: '测试档案员',
      databaseKind: onPostgres ? 'postgres' : 'pglite',
      blobs: { count: 2, bytes: expect.any(Number) },
    });
    expect(manifest.blobs.bytes).toBeGreaterThan(big.length);
    for (const table of DUMP_TABLES) {
      const file = path.join(backupDir, 'db', `${table.name}.jsonl.gz`);
      expect(fs.existsSync(file), file).toBe(true);
      expect(manifest.files[`db/${table.name}.jsonl.gz`]).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(manifest.tables.find((table: { name: string }) => table.name === 'archive_item').rows).toBe(1);
    for (const digest of digests) expect(fs.existsSync(path.join(backupDir, blobPath(digest)))).toBe(true);
    for (const name of ['keys.sealed', 'checkpoint.txt', 'verifier-key.txt'])
      expect(manifest.files[name]).toMatch(/^[0-9a-f]{64}$/);

    // The checkpoint file is the manifest's: size on the second line, base64 root on the third.
    const note = fs.readFileSync(path.join(backupDir, 'checkpoint.txt'), 'utf8');
    expect(parseNote(note)).toEqual({
      size: manifest.checkpoint.treeSize,
      rootHex: manifest.checkpoint.rootHash,
    });
    expect(fs.readFileSync(path.join(backupDir, 'verifier-key.txt'), 'utf8')).toMatch(
      /^yidang\.local\/log-[0-9a-f]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+\n$/,
    );

    // keys.sealed holds no key in the clear: neither the master key (bytes or base64) nor the signing key.
    const sealed = fs.readFileSync(path.join(backupDir, 'keys.sealed'));
    expect(sealed.subarray(0, 4).toString('ascii')).toBe('YDPS');
    const keysDir = path.join(source.home, 'keys');
    const masterFiles = fs.readdirSync(keysDir).filter((name) => /^master-[0-9a-f]{16}\.key$/.test(name));
    expect(masterFiles).toHaveLength(1);
    for (const name of masterFiles) {
      const { key } = JSON.parse(fs.readFileSync(path.join(keysDir, name), 'utf8')) as { key: string };
      expect(sealed.includes(Buffer.from(key, 'base64'))).toBe(false);
      expect(sealed.includes(Buffer.from(key, 'ascii'))).toBe(false);
    }
    expect(sealed.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
  });

  it('restores into a new home that verifies, serves the same files and items, and keeps numbering', async () => {
    const target = await newCli();
    const restored = await run(target, ['restore', backupDir]);
    expectOk(restored, 'restore');
    expect(restored.stdout).toContain('恢复后校验通过');

    const signed = parseNote(fs.readFileSync(path.join(backupDir, 'checkpoint.txt'), 'utf8'));
    expect(parseRestoreOutput(restored.stdout)).toEqual(signed);

    // Before anything appends to the log: it has exactly the checkpoint's events, and its root at that
    // size is the signed one (verify --checkpoint recomputes it).
    const verify = await run(target, [
      'verify',
      '--json',
      '--checkpoint',
      path.join(backupDir, 'checkpoint.txt'),
    ]);
    expectOk(verify, 'verify');
    const report = JSON.parse(verify.stdout);
    expect(report).toMatchObject({ ok: true, events: signed.size, items: 1, files: 2, blobs: 2 });

    // An account made in the restored home, after the verify above (which needs the log exactly as
    // signed); the source's own account is the next test's.
    await signInAs(target, ['archivist', 'clerk'], { username: 'restorer' });
    const out = path.join(target.home, 'scan-restored.bin');
    expectOk(await run(target, ['file', 'get', FIRST_CODE, '1', '--out', out]), 'file get 1');
    expect(fs.readFileSync(out).equals(big)).toBe(true);

    const shown = await run(target, ['item', 'show', FIRST_CODE]);
    expectOk(shown, 'item show');
    expect(JSON.parse(shown.stdout)).toEqual(shownItem);
    expect(shownItem).toMatchObject({ createdBy: archivist });

    const next = await run(target, [
      'item',
      'add',
      '--file',
      writeJson(target, 'next.json', reimbursement({ title: '恢复后新归档的报销审核表' })),
    ]);
    expectOk(next, 'item add after restore');
    expect(next.stdout.trim()).toBe('J013-JSLX·2024-D30-JSK-0002');
  }, 180_000);

  // The accounts (with roles, scope and API tokens) travel with the archives, so after a restore the
  // same people sign in as before; sessions do not (a restored system starts signed out).
  it('restores the accounts with their roles and scope, so the same account signs in', async () => {
    const target = await newCli();
    expectOk(await run(target, ['restore', backupDir]), 'restore');
    const listed = await run(target, ['user', 'list', '--json']);
    expectOk(listed, 'user list');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        username: archivist,
        roles: expect.arrayContaining(['archivist', 'clerk']),
        scope: [{ fondsCode: null, regionCode: null, categoryCode: null }],
      }),
    ]);
    const shown = await run(target, ['item', 'show', FIRST_CODE], {
      env: { YIDANG_USER: archivist, YIDANG_PASSWORD: CLI_PASSWORD },
    });
    expectOk(shown, 'item show as the restored account');
    expect(JSON.parse(shown.stdout)).toEqual(shownItem);
    const tokens = await run(target, ['token', 'list', archivist]);
    expectOk(tokens, 'token list');
    expect(tokens.stdout).toMatch(/\btest\s+item\.read\s.*有效/);
  }, 180_000);

  it('backs up exactly the checkpoint it signs while other commands keep appending', async () => {
    const dir = path.join(work, 'backup-busy');
    // Separate processes of the built binary, so the filings really run during the backup. They take
    // turns at the embedded database's lock; on a loaded machine a turn outlasts the default 15 s wait,
    // and the wait is not what this test is about.
    const waitLong = { YIDANG_LOCK_TIMEOUT_MS: '120000' };
    const [busy, ...filings] = await Promise.all([
      run(source, ['backup', dir], { spawn: true, env: waitLong }),
      ...['2023-01-05', '2023-02-06', '2023-03-07'].map((date, index) =>
        run(
          source,
          [
            'item',
            'add',
            '--file',
            writeJson(
              source,
              `busy-${index}.json`,
              reimbursement({ date, handledAt: `${date}T09:00:00+08:00` }),
            ),
          ],
          { spawn: true, env: waitLong },
        ),
      ),
    ]);
    expectOk(busy as CliResult, 'backup');
    for (const filed of filings) expectOk(filed, 'item add during backup');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const signed = parseNote(fs.readFileSync(path.join(dir, 'checkpoint.txt'), 'utf8'));
    expect(signed).toEqual({ size: manifest.checkpoint.treeSize, rootHex: manifest.checkpoint.rootHash });

    const target = await newCli();
    const restored = await run(target, ['restore', dir], { spawn: true });
    expectOk(restored, 'restore');
    expect(parseRestoreOutput(restored.stdout)).toEqual(signed);
    const verify = await run(target, ['verify', '--json', '--checkpoint', path.join(dir, 'checkpoint.txt')]);
    expectOk(verify, 'verify');
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, events: manifest.checkpoint.treeSize });
  }, 180_000);

  it('refuses bad passphrases, damaged backups and non-empty targets without writing anything', async () => {
    // Backup side: a non-empty directory, a weak and a missing passphrase.
    const occupied = path.join(work, 'occupied');
    fs.mkdirSync(occupied);
    fs.writeFileSync(path.join(occupied, 'keep.txt'), 'do not touch');
    const intoOccupied = await run(source, ['backup', occupied]);
    expect(intoOccupied.code).toBe(1);
    expect(intoOccupied.stderr).toContain('已存在且不为空');
    expect(fs.readdirSync(occupied)).toEqual(['keep.txt']);
    expect(partialSiblings(occupied)).toEqual([]);

    const weakDir = path.join(work, 'weak');
    const weak = await run(source, ['backup', weakDir], { env: { YIDANG_BACKUP_PASSPHRASE: 'password' } });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('备份口令太弱');
    expect(fs.existsSync(weakDir)).toBe(false);
    expect(partialSiblings(weakDir)).toEqual([]);

    const unsetDir = path.join(work, 'unset');
    const unset = await run(source, ['backup', unsetDir], { env: { YIDANG_BACKUP_PASSPHRASE: '' } });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('YIDANG_BACKUP_PASSPHRASE');
    expect(fs.existsSync(unsetDir)).toBe(false);

    // Restore side: missing and wrong passphrase.
    const noPassphrase = await newCli();
    const missing = await run(noPassphrase, ['restore', backupDir], {
      env: { YIDANG_BACKUP_PASSPHRASE: '' },
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('YIDANG_BACKUP_PASSPHRASE');
    await expectNothingRestored(noPassphrase);

    const wrongTarget = await newCli();
    const wrong = await run(wrongTarget, ['restore', backupDir], {
      env: { YIDANG_BACKUP_PASSPHRASE: '档案备份-Correct-Horse-43' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('备份口令不正确');
    await expectNothingRestored(wrongTarget);

    // Damaged copies of the backup: a cut table, a lost blob, a lost manifest.
    const damages: Array<[string, (dir: string) => void]> = [
      [
        'truncated table',
        (dir) => {
          const file = path.join(dir, 'db', 'integrity_event.jsonl.gz');
          fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
        },
      ],
      ['deleted blob', (dir) => fs.rmSync(path.join(dir, blobPath(digests[0] as string)))],
      ['deleted manifest', (dir) => fs.rmSync(path.join(dir, 'manifest.json'))],
    ];
    for (const [what, damage] of damages) {
      const copy = path.join(work, `damaged-${what.replaceAll(' ', '-')}`);
      fs.cpSync(backupDir, copy, { recursive: true });
      damage(copy);
      const target = await newCli();
      const result = await run(target, ['restore', copy]);
      expect(result.code, `${what}: ${result.stderr}`).toBe(1);
      expect(result.stderr, what).toContain('备份不完整或已损坏');
      await expectNothingRestored(target);
    }

    // A home that already has keys and data.
    const occupiedHome = await run(source, ['restore', backupDir]);
    expect(occupiedHome.code).toBe(1);
    expect(occupiedHome.stderr).toContain('恢复只能在新的空数据目录进行');
  }, 180_000);

  // PostgreSQL only: there the target database is named separately from the home.
  it.runIf(onPostgres)(
    'refuses a target database that already holds archives without leaving keys behind',
    async () => {
      const target = cliEnv(source.env.DATABASE_URL);
      target.env.YIDANG_BACKUP_PASSPHRASE = PASSPHRASE;
      createdDirs.push(target.home);
      const refused = await run(target, ['restore', backupDir]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('恢复只能在空数据库进行');
      // Refused before anything stays behind: no keys in the new home, so a retry can use it.
      expect(fs.readdirSync(target.home)).toEqual([]);
    },
  );

  it.runIf(onPostgres)(
    'refuses a target database that has a log but no archives with a user error',
    async () => {
      const other = await newCli();
      expectOk(
        await run(other, [
          'fonds',
          'add',
          '--code',
          'J099',
          '--name',
          '其他医疗保障局',
          '--region',
          '320115',
        ]),
        'fonds add',
      );
      const target = cliEnv(other.env.DATABASE_URL);
      target.env.YIDANG_BACKUP_PASSPHRASE = PASSPHRASE;
      createdDirs.push(target.home);
      const refused = await run(target, ['restore', backupDir]);
      // Fonds and events but no items: still not empty, and a user error rather than the
      // append-only trigger's internal error.
      expect(refused.stderr).not.toContain('内部错误');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('恢复只能在空数据库进行');
      expect(fs.readdirSync(target.home)).toEqual([]);
      const fonds = await run(other, ['fonds', 'list']);
      expect(fonds.stdout).toContain('J099');
    },
  );
});

describe('createBackup and restoreBackup (service)', () => {
  it('backs up a running system while it grows and restores exactly the snapshot into a new home', async () => {
    const system = await openTestSystem();
    const work = tempDir('yidang-service-backup-');
    try {
      const code = await fileOneItem(system);
      const scan = opaqueBytes(300_000);
      await addFile(storage(system), code, { stream: streamOf(scan), fileName: 'scan.pdf' }, '档案员');
      await addFile(
        storage(system),
        code,
        { stream: streamOf('审核意见：同意'), fileName: 'a.txt' },
        '档案员',
      );
      const original = await getItem(system.database.db, code, SYSTEM);

      // Refusals that must leave nothing behind.
      const occupied = path.join(work, 'occupied');
      fs.mkdirSync(occupied);
      fs.writeFileSync(path.join(occupied, 'x'), 'x');
      expect((await failure(createBackup(system, occupied, PASSPHRASE, '备份员'))).code).toBe(
        'BACKUP_DIR_NOT_EMPTY',
      );
      const dir = path.join(work, 'backup');
      expect((await failure(createBackup(system, dir, 'short', '备份员'))).code).toBe(
        'BACKUP_PASSPHRASE_WEAK',
      );
      expect(fs.readdirSync(work)).toEqual(['occupied']);

      // Items filed while the blobs are being copied land after the snapshot.
      const during: Array<Promise<unknown>> = [];
      // One filing per copied blob, each after the previous one finished, so their numbers are in order.
      let previous: Promise<unknown> = Promise.resolve();
      const manifest = await createBackup(system, dir, PASSPHRASE, '备份员', (stage) => {
        if (stage !== '文件' || during.length >= 2) return;
        const title = `备份期间归档 ${during.length}`;
        previous = previous.then(() =>
          fileItems(system.database.db, [reimbursement({ title })], 'x', { access: SYSTEM }),
        );
        during.push(previous);
      });
      const filedDuring = (await Promise.all(during)) as Array<Array<{ archiveCode: string }>>;
      expect(filedDuring.map(([filed]) => filed?.archiveCode)).toEqual([
        'J013-JSLX·2024-D30-JSK-0002',
        'J013-JSLX·2024-D30-JSK-0003',
      ]);
      expect(manifest.blobs.count).toBe(2);
      expect(manifest.databaseKind).toBe(system.database.kind);
      expect(fs.readdirSync(work).sort()).toEqual(['backup', 'occupied']);
      const sourceHead = await currentTreeHead(system.database.db);
      // Two filings (each an item.created and its 档号 counter's sequence.advanced) and the
      // backup.created event came after the signed snapshot.
      expect(sourceHead.size).toBe(manifest.checkpoint.treeSize + 5);

      const home = path.join(work, 'restored-home');
      const url = await freshDatabaseUrl();
      const config = loadConfig({ YIDANG_HOME: home, ...(url ? { DATABASE_URL: url } : {}) }, home);
      const wrong = await failure(restoreBackup(config, dir, `${PASSPHRASE}!`));
      expect(wrong.code).toBe('BACKUP_PASSPHRASE_WRONG');
      expect(fs.existsSync(home)).toBe(false);

      const report = await restoreBackup(config, dir, PASSPHRASE);
      expect(report.verify.ok).toBe(true);
      expect(report.verify.problems).toEqual([]);
      expect(report).toMatchObject({
        treeSize: manifest.checkpoint.treeSize,
        rootHash: manifest.checkpoint.rootHash,
        blobs: 2,
      });
      expect((await failure(restoreBackup(config, dir, PASSPHRASE))).code).toBe('RESTORE_TARGET_NOT_EMPTY');

      const restored = await openSystem(config);
      try {
        expect(await getItem(restored.database.db, code, SYSTEM)).toEqual(original);
        const opened = await openFile(storage(restored), code, 1, '调阅人');
        expect((await readAll(opened.stream)).equals(scan)).toBe(true);
        // The snapshot predates the two filings, so the restored sequence hands out 0002 again.
        const [next] = await fileItems(restored.database.db, [reimbursement({ title: '恢复后归档' })], 'x', {
          access: SYSTEM,
        });
        expect(next?.archiveCode).toBe('J013-JSLX·2024-D30-JSK-0002');
        expect((await currentTreeHead(restored.database.db)).size).toBe(manifest.checkpoint.treeSize + 3);
        // The search index is not in the backup: the restored database rebuilds it from its log.
        const found = await search(
          restored.database.db,
          { q: '恢复后归档' },
          { access: SYSTEM, catchUp: 100_000 },
        );
        expect(found.hits.map((hit) => hit.item.archiveCode)).toEqual(['J013-JSLX·2024-D30-JSK-0002']);
        const original1 = await search(restored.database.db, { q: original.archiveCode }, { access: SYSTEM });
        expect(original1.hits.map((hit) => hit.item.archiveCode)).toEqual([code]);
      } finally {
        await restored.close();
      }
    } finally {
      await system.dispose();
    }
  }, 120_000);
});
