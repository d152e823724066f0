import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { type Db, openDatabase } from '../src/db/database.js';
import { updateItem } from '../src/modules/catalog/item.edit.service.js';
import { getItem } from '../src/modules/catalog/item.service.js';
import { itemState } from '../src/modules/catalog/item.state.js';
import { type Checkpoint, writeCheckpoint } from '../src/modules/integrity/checkpoint.service.js';
import { formatCheckpointBody, signNote } from '../src/modules/integrity/checkpoint-note.js';
import { eventsAfter, readLogHead, type StoredEvent } from '../src/modules/integrity/event.repo.js';
import { encodeEntry, stateDigest } from '../src/modules/integrity/event-log.js';
import { appendLeaf, type LogHashAlgorithm, treeHasher } from '../src/modules/integrity/merkle.js';
import { addFile } from '../src/modules/storage/file.service.js';
import { initKeyring } from '../src/modules/storage/keyring.js';
import { type VerifyOptions, type VerifyReport, verifyAll } from '../src/modules/verify/verify.service.js';
import { canonicalJson } from '../src/shared/canonical-json.js';
import { type CliEnv, cliEnv, run, signInAs, writeJson } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { SYSTEM } from './helpers/fixture-access.js';
import { reimbursement, validId } from './helpers/fixtures.js';
import {
  directoryReplica,
  fileOneItem,
  openTestSystem,
  storage,
  streamOf,
  type TestSystem,
} from './helpers/system.js';

// Tampering behind Yidang's back: every alteration made with raw SQL or on the replica directories
// must make `verify` fail, naming the kind of problem and the record concerned.
//
// One system is built once. Each database tamper runs in a transaction that also runs verify and is
// then rolled back (DDL such as disabling the trigger is transactional in PostgreSQL), so the next
// test starts from the same untouched data; afterEach proves that it did. Replica tampering is undone
// by writing the original bytes back.

let system: TestSystem;
let db: Db;
/** 档号 of the three items: A (changed once, one file), B (one file), C (no file). */
let itemA: string;
let itemB: string;
let itemC: string;
let digestA: string;
let checkpoint: Checkpoint;
let eventCount: number;

beforeAll(async () => {
  system = await openTestSystem();
  db = system.database.db;
  itemA = await fileOneItem(system);
  itemB = await fileOneItem(system, {
    name: '李秀英',
    title: '李秀英 个人零星医疗费用报销审核表',
    idNumber: validId('32011519900707456'),
    amount: '560',
  });
  itemC = await fileOneItem(system, {
    name: '张伟',
    title: '张伟 个人零星医疗费用报销审核表',
    idNumber: validId('32011519751224789'),
    amount: '78.9',
  });
  await updateItem(db, itemA, { amount: '88.8', reason: '复核更正' }, '科长乙', { access: SYSTEM });
  digestA = (
    await addFile(storage(system), itemA, { stream: streamOf('%PDF-1.4 扫描件甲'), fileName: 'a.pdf' }, 't')
  ).digest;
  await addFile(storage(system), itemB, { stream: streamOf('李秀英 发票扫描件'), fileName: 'b.txt' }, 't');
  checkpoint = await writeCheckpoint(db, system.signingKey, 'auditor');
  eventCount = (await readLogHead(db))?.size ?? 0;
});
afterAll(() => system?.dispose());

const verify = (handle: Db = db, options: VerifyOptions = {}) =>
  verifyAll({ db: handle, store: system.store, signingKey: system.signingKey }, options);

class RolledBack extends Error {}

/** Applies the tamper, verifies what it left and rolls everything back. */
async function verifyAfter(
  tamper: (trx: Db) => Promise<void>,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  let report: VerifyReport | undefined;
  try {
    await db.transaction().execute(async (trx) => {
      await tamper(trx);
      report = await verify(trx, options);
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  if (!report) throw new Error('verify did not run');
  return report;
}

const kinds = (report: VerifyReport) => report.problems.map((problem) => problem.kind);

const disableLogTrigger = (trx: Db) => sql`alter table integrity_event disable trigger user`.execute(trx);

/** What a database refusal looks like: SQLSTATE 42501 raised by the append-only trigger. */
async function databaseRefusal(statement: Promise<unknown>): Promise<{ code?: string; message: string }> {
  const error = await statement.then(
    () => undefined,
    (caught: unknown) => caught as { code?: string; message: string },
  );
  expect(error, 'the statement should have been refused').toBeDefined();
  return error as { code?: string; message: string };
}

/**
 * What an attacker with the database (but not the signing key) does to rewrite history consistently:
 * recompute every hash, chain link and stored subtree from the first changed event, drop events at
 * `keep` and beyond, and store a matching head.
 */
async function rewriteLog(
  trx: Db,
  options: { payloadOf?: (event: StoredEvent) => string | undefined; keep?: number } = {},
): Promise<void> {
  await disableLogTrigger(trx);
  const head = await readLogHead(trx);
  const hasher = treeHasher((head?.algorithm ?? 'sha256') as LogHashAlgorithm);
  const events = await eventsAfter(trx, -1, 1_000_000);
  const keep = options.keep ?? events.length;
  let frontier: Buffer[] = [];
  let prevHash: Buffer | null = null;
  for (const event of events.slice(0, keep)) {
    const payload = options.payloadOf?.(event) ?? event.payload;
    const hash = hasher.leaf(encodeEntry({ ...event, payload, prevHash }));
    const appended = appendLeaf(hasher, frontier, event.seq, hash);
    const subtrees = appended.completed.length > 0 ? Buffer.concat(appended.completed) : null;
    const storedSubtrees = event.subtrees ?? Buffer.alloc(0);
    if (
      payload !== event.payload ||
      !hash.equals(event.hash) ||
      !storedSubtrees.equals(subtrees ?? Buffer.alloc(0))
    )
      await sql`update integrity_event set payload = ${payload}, hash = ${hash}, subtrees = ${subtrees}
        where seq = ${event.seq}`.execute(trx);
    frontier = appended.frontier;
    prevHash = hash;
  }
  await sql`delete from integrity_event where seq >= ${keep}`.execute(trx);
  await sql`update integrity_log set size = ${keep}, last_hash = ${prevHash}, frontier = ${Buffer.concat(frontier)}
    where id = 1`.execute(trx);
}

afterEach(async () => {
  // Every tamper was undone: the data verifies again and the append-only triggers are back on.
  const report = await verify();
  expect(report.problems).toEqual([]);
  const triggers = await sql<{ tgname: string; tgenabled: string }>`
    select tgname, tgenabled from pg_trigger
    where tgrelid = 'integrity_event'::regclass and not tgisinternal order by tgname`.execute(db);
  expect(triggers.rows).toEqual([
    { tgname: 'integrity_event_no_change', tgenabled: 'O' },
    { tgname: 'integrity_event_no_truncate', tgenabled: 'O' },
  ]);
});

describe('the untouched archive', () => {
  it('verifies with every record counted', async () => {
    const report = await verify();
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      events: eventCount,
      checkpoints: 1,
      items: 3,
      versions: 1,
      files: 2,
      blobs: 2,
      copies: 4,
      problemCount: 0,
    });
    expect(checkpoint.treeSize).toBe(eventCount);
  });

  it('is unchanged by a rewrite of the log that changes nothing (the attack helper itself is exact)', async () => {
    const report = await verifyAfter((trx) => rewriteLog(trx));
    expect(report.problems).toEqual([]);
  });
});

describe('altered catalog records', () => {
  it('catches a changed amount and names the 档号', async () => {
    const report = await verifyAfter(async (trx) => {
      const changed =
        await sql`update archive_item set amount = 99999.99 where archive_code = ${itemB}`.execute(trx);
      expect(Number(changed.numAffectedRows)).toBe(1);
    });
    expect(report.ok).toBe(false);
    expect(kinds(report)).toEqual(['item.altered']);
    expect(report.problems[0]?.record).toBe(`档案 ${itemB}`);
    expect(report.problems[0]?.message).toContain(itemB);
  });

  it('catches a changed person name on an item that has a kept version', async () => {
    const report = await verifyAfter(async (trx) => {
      await sql`update archive_item set person_name = '王建民' where archive_code = ${itemA}`.execute(trx);
    });
    expect(kinds(report)).toEqual(['item.altered']);
    expect(report.problems[0]?.message).toContain(itemA);
    expect(report.problems[0]?.message).toContain('第 2 版');
  });

  it('catches an altered kept version snapshot', async () => {
    const report = await verifyAfter(async (trx) => {
      const changed = await sql`
        update archive_item_version set snapshot = jsonb_set(snapshot, '{amount}', '"0.01"')
        where item_id = (select id from archive_item where archive_code = ${itemA}) and version = 1`.execute(
        trx,
      );
      expect(Number(changed.numAffectedRows)).toBe(1);
    });
    expect(kinds(report)).toEqual(['version.altered']);
    expect(report.problems[0]?.record).toBe(`档案 ${itemA} 第 1 版`);
  });

  it('catches a deleted kept version', async () => {
    const report = await verifyAfter(async (trx) => {
      await sql`delete from archive_item_version
        where item_id = (select id from archive_item where archive_code = ${itemA})`.execute(trx);
    });
    expect(kinds(report)).toEqual(['version.missing']);
    expect(report.problems[0]?.message).toContain(itemA);
  });

  it('catches an item inserted bypassing the service', async () => {
    const forged = itemC.replace(/\d{4}$/, '0099');
    expect(forged).not.toBe(itemC);
    const report = await verifyAfter(async (trx) => {
      await sql`
        insert into archive_item (archive_code, fonds_code, category_id, year, retention, retention_expires_on,
          org_code, item_number, title, responsible, doc_date, security_level, id_number, person_name, amount,
          carrier, sensitivity, extra, version, created_by, updated_by)
        select ${forged}, fonds_code, category_id, year, retention, retention_expires_on, org_code, 99,
          '伪造的报销审核表', responsible, doc_date, security_level, id_number, '伪造人', 50000, carrier,
          sensitivity, extra, 1, 'intruder', 'intruder'
        from archive_item where archive_code = ${itemC}`.execute(trx);
    });
    expect(kinds(report)).toEqual(['item.unlogged']);
    expect(report.problems[0]?.record).toBe(`档案 ${forged}`);
    expect(report.problems[0]?.message).toContain(forged);
  });

  it('catches a deleted item (and its deleted attachment)', async () => {
    const report = await verifyAfter(async (trx) => {
      await sql`delete from item_file where item_id = (select id from archive_item where archive_code = ${itemB})`.execute(
        trx,
      );
      const deleted = await sql`delete from archive_item where archive_code = ${itemB}`.execute(trx);
      expect(Number(deleted.numAffectedRows)).toBe(1);
    });
    expect(kinds(report)).toEqual(['item.missing', 'file.missing']);
    expect(report.problems[0]?.message).toContain(itemB);
    expect(report.problems[1]?.record).toBe(`档案 ${itemB} 的第 1 个文件`);
  });

  it('catches a changed attachment file name', async () => {
    const report = await verifyAfter(async (trx) => {
      await sql`update item_file set file_name = 'innocent.txt'
        where item_id = (select id from archive_item where archive_code = ${itemB})`.execute(trx);
    });
    expect(kinds(report)).toEqual(['file.altered']);
    expect(report.problems[0]?.record).toBe(`档案 ${itemB} 的第 1 个文件`);
  });

  it('catches a changed stored digest of a blob', async () => {
    const report = await verifyAfter(async (trx) => {
      await sql`update storage_blob set stored_digest = repeat('0', 64) where digest = ${digestA}`.execute(
        trx,
      );
    });
    expect(report.problems[0]).toMatchObject({ kind: 'blob.altered', record: `文件 ${digestA}` });
    // The copies no longer match the altered catalog row either.
    expect(kinds(report).slice(1)).toEqual(['blob.copy_corrupt', 'blob.copy_corrupt']);
  });
});

describe('altered replicas', () => {
  it('catches one flipped byte in a blob on replica r1', async () => {
    const file = directoryReplica(system, 'r1').blobPath(digestA) as string;
    const original = fs.readFileSync(file);
    const flipped = Buffer.from(original);
    const middle = Math.floor(flipped.length / 2);
    flipped[middle] = (original[middle] as number) ^ 0x01;
    fs.writeFileSync(file, flipped);
    try {
      const report = await verify();
      expect(kinds(report)).toEqual(['blob.copy_corrupt']);
      expect(report.problems[0]?.record).toBe(`文件 ${digestA}`);
      expect(report.problems[0]?.message).toContain('“r1”');
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('catches a blob deleted from replica r2', async () => {
    const file = directoryReplica(system, 'r2').blobPath(digestA) as string;
    const original = fs.readFileSync(file);
    fs.rmSync(file);
    try {
      const report = await verify();
      expect(kinds(report)).toEqual(['blob.copy_missing']);
      expect(report.problems[0]?.record).toBe(`文件 ${digestA}`);
      expect(report.problems[0]?.message).toContain('“r2”');
    } finally {
      fs.writeFileSync(file, original);
    }
  });
});

describe('altered event log', () => {
  it('is refused by the database while the append-only trigger is on', async () => {
    const deleting = await databaseRefusal(sql`delete from integrity_event where seq = 4`.execute(db));
    expect(deleting.code).toBe('42501');
    expect(deleting.message).toContain('integrity_event is append-only (DELETE refused)');
    const updating = await databaseRefusal(
      sql`update integrity_event set actor = 'x' where seq = 4`.execute(db),
    );
    expect(updating.code).toBe('42501');
    expect(updating.message).toContain('integrity_event is append-only (UPDATE refused)');
    expect((await readLogHead(db))?.size).toBe(eventCount);
  });

  it('catches an event deleted in the middle', async () => {
    const report = await verifyAfter(async (trx) => {
      await disableLogTrigger(trx);
      const deleted = await sql`delete from integrity_event where seq = 4`.execute(trx);
      expect(Number(deleted.numAffectedRows)).toBe(1);
    });
    expect(report.problems[0]).toMatchObject({ kind: 'event.missing', record: '事件 #4' });
    expect(report.problems[0]?.message).toContain('事件 #4');
  });

  // Regression (fixed): src/modules/integrity/verify-log.ts:99-105 compares each event's seq with the running count
  // `size` and never resynchronises after a gap, so every event after a deleted one is reported as
  // missing as well ("事件 #5 缺失（被删除）", "#6", "#7" … although those rows exist), and the tree
  // nodes and checkpoint roots are then recomputed at shifted positions. One deleted event in a long
  // log yields one false "missing" problem per later event. Expected: the gap reported once.
  it('reports a gap in the log once and no event that is present as missing', async () => {
    const cases: Array<[number[], string[]]> = [
      [[4], ['事件 #4 缺失（被删除）']],
      [[4, 5], ['事件 #4–#5 缺失（被删除）']],
    ];
    for (const [deleted, expected] of cases) {
      const report = await verifyAfter(async (trx) => {
        await disableLogTrigger(trx);
        for (const seq of deleted) await sql`delete from integrity_event where seq = ${seq}`.execute(trx);
      });
      const missing = report.problems.filter((problem) => problem.kind === 'event.missing');
      expect(
        missing.map((problem) => problem.message),
        `deleting ${deleted.join(', ')} of ${eventCount}`,
      ).toEqual(expected);
    }
  });

  it('catches two events swapped in place (seq kept)', async () => {
    const report = await verifyAfter(async (trx) => {
      await disableLogTrigger(trx);
      const swapped = await sql`
        update integrity_event e set recorded_at = o.recorded_at, actor = o.actor, action = o.action,
          subject = o.subject, payload = o.payload, hash = o.hash
        from integrity_event o
        where (e.seq = 2 and o.seq = 3) or (e.seq = 3 and o.seq = 2)`.execute(trx);
      expect(Number(swapped.numAffectedRows)).toBe(2);
    });
    expect(report.problems[0]).toMatchObject({ kind: 'event.altered', record: '事件 #2' });
    // Each filing logs its item and then its 档号 counter: #3 was item B's filing.
    expect(report.problems[0]?.message).toContain(`item:${itemB}`);
  });

  it('catches the last events deleted with a consistently rebuilt head, through the stored checkpoint', async () => {
    const report = await verifyAfter(async (trx) => {
      await rewriteLog(trx, { keep: eventCount - 2 });
      expect((await readLogHead(trx))?.size).toBe(eventCount - 2);
    });
    // The log itself is self-consistent; only the signed checkpoint remembers it was longer.
    expect(report.problems[0]).toMatchObject({ kind: 'log.truncated', record: `检查点 #${checkpoint.id}` });
    expect(report.problems[0]?.message).toContain(`${eventCount} 条事件，现在只有 ${eventCount - 2} 条`);
    // The dropped blob.stored and file.added events leave B's attachment unlogged.
    expect(kinds(report)).toEqual(['log.truncated', 'file.unlogged', 'blob.unlogged']);
    expect(report.events).toBe(eventCount - 2);
  });

  /** Changes item C's amount and rewrites its item.created event (and everything after) to match. */
  const rewriteHistory = async (trx: Db) => {
    await sql`update archive_item set amount = 7890 where archive_code = ${itemC}`.execute(trx);
    const state = stateDigest('sha256', itemState(await getItem(trx, itemC, SYSTEM)));
    let rewritten = 0;
    await rewriteLog(trx, {
      payloadOf: (event) => {
        if (event.action !== 'item.created' || event.subject !== `item:${itemC}`) return undefined;
        rewritten += 1;
        return canonicalJson({ ...(JSON.parse(event.payload) as object), state });
      },
    });
    expect(rewritten).toBe(1);
  };

  it('catches history rewritten consistently through the stored checkpoint', async () => {
    const report = await verifyAfter(rewriteHistory);
    // Item, chain, tree nodes and head all agree with each other now: only the signature remembers.
    expect(kinds(report)).toEqual(['checkpoint.mismatch']);
    expect(report.problems[0]?.record).toBe(`检查点 #${checkpoint.id}`);
    expect(report.problems[0]?.message).toContain(`树大小 ${eventCount}`);
  });

  it('catches history rewritten consistently through an external checkpoint when the stored ones are gone', async () => {
    const external = [{ label: '检查点文件 checkpoint-offsite.txt', note: checkpoint.note }];
    const erase = async (trx: Db) => {
      await rewriteHistory(trx);
      await sql`delete from integrity_checkpoint`.execute(trx);
    };
    // Without a copy kept elsewhere the rewrite is undetectable: that is what exporting is for.
    expect((await verifyAfter(erase)).ok).toBe(true);
    const report = await verifyAfter(erase, { external });
    expect(kinds(report)).toEqual(['checkpoint.mismatch']);
    expect(report.problems[0]?.record).toBe('检查点文件 checkpoint-offsite.txt');
    expect(report.checkpoints).toBe(0);
  });
});

describe('altered checkpoints', () => {
  it('catches a checkpoint note replaced by one signed with another key', async () => {
    const otherHome = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-other-key-'));
    try {
      const other = initKeyring(otherHome);
      const origin = (await readLogHead(db))?.origin as string;
      const body = formatCheckpointBody({
        origin,
        size: checkpoint.treeSize,
        rootHash: Buffer.from(checkpoint.rootHash, 'hex'),
        time: new Date(),
      });
      const forged = signNote(body, { ...other.signing, name: origin });
      const report = await verifyAfter(async (trx) => {
        await sql`update integrity_checkpoint set note = ${forged} where id = ${checkpoint.id}`.execute(trx);
      });
      expect(kinds(report)).toEqual(['checkpoint.invalid']);
      expect(report.problems[0]?.record).toBe(`检查点 #${checkpoint.id}`);
    } finally {
      fs.rmSync(otherHome, { recursive: true, force: true });
    }
  });

  it('catches a checkpoint note whose body was edited after signing', async () => {
    const edited = checkpoint.note.replace(`\n${checkpoint.treeSize}\n`, `\n${checkpoint.treeSize - 1}\n`);
    expect(edited).not.toBe(checkpoint.note);
    const report = await verifyAfter(async (trx) => {
      await sql`update integrity_checkpoint set note = ${edited} where id = ${checkpoint.id}`.execute(trx);
    });
    expect(kinds(report)).toEqual(['checkpoint.invalid']);
  });

  it('catches a changed tree size or root hash in the checkpoint row', async () => {
    const size = await verifyAfter(async (trx) => {
      await sql`update integrity_checkpoint set tree_size = tree_size - 1 where id = ${checkpoint.id}`.execute(
        trx,
      );
    });
    expect(kinds(size)).toEqual(['checkpoint.altered']);
    expect(size.problems[0]?.record).toBe(`检查点 #${checkpoint.id}`);
    const root = await verifyAfter(async (trx) => {
      await sql`update integrity_checkpoint set root_hash = ${Buffer.alloc(32, 7)} where id = ${checkpoint.id}`.execute(
        trx,
      );
    });
    expect(kinds(root)).toEqual(['checkpoint.altered']);
  });
});

describe('yidang verify (the CLI)', () => {
  let database: TestDatabase | undefined;
  let cli: CliEnv;
  afterAll(async () => {
    await database?.close();
    if (cli) fs.rmSync(cli.home, { recursive: true, force: true });
  });

  it('exits 0 on untouched data and 3 with the first problem on stderr after a tamper', async () => {
    if (onPostgres) database = await openTestDatabase();
    cli = cliEnv(database?.url);
    const ok = async (args: string[]) => {
      const result = await run(cli, args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      return result;
    };
    await ok(['init']);
    await ok(['fonds', 'add', '--code', 'J013', '--name', '江宁区医疗保障局', '--region', '320115']);
    await signInAs(cli);
    const filed = await ok([
      'item',
      'add',
      '--file',
      writeJson(cli, 'item.json', reimbursement({ idNumber: validId('32011519880808123') })),
    ]);
    const code = filed.stdout.trim();
    expect(code).toMatch(/^J013-JSLX·2024-D30-JSK-\d{4}$/);
    const scan = path.join(cli.home, 'scan.txt');
    fs.writeFileSync(scan, '报销凭证扫描件');
    await ok(['file', 'add', code, scan]);
    const note = await ok(['checkpoint', 'create']);
    // fonds.created, user.created, then item.created + sequence.advanced (the 档号 counter) and
    // blob.stored + file.added, each pair between its auth.login and auth.logout: 1 + 1 + 4 + 4 = 10.
    expect(note.stdout).toContain('\n10\n');
    const log = JSON.parse((await ok(['log', '--json', '--limit', '100'])).stdout) as Array<{
      action: string;
    }>;
    expect(log.map((event) => event.action).reverse()).toEqual([
      'fonds.created',
      'user.created',
      'auth.login',
      'item.created',
      'sequence.advanced',
      'auth.logout',
      'auth.login',
      'blob.stored',
      'file.added',
      'auth.logout',
    ]);

    const before = await ok(['verify']);
    expect(before.stdout).toContain('校验通过');
    expect(before.stderr).toBe('');

    // Behind Yidang's back, after the CLI exited: straight into the database it uses.
    const handle = await openDatabase(loadConfig(cli.env));
    try {
      const changed = await sql`update archive_item set amount = 1 where archive_code = ${code}`.execute(
        handle.db,
      );
      expect(Number(changed.numAffectedRows)).toBe(1);
    } finally {
      await handle.close();
    }

    const after = await run(cli, ['verify']);
    expect(after.code).toBe(3);
    expect(after.stdout).not.toContain('校验通过');
    expect(after.stderr).toContain('校验失败：发现 1 处问题');
    expect(after.stderr).toContain(`档案 ${code} 的当前内容与事件日志记录的第 1 版不符`);
  }, 180_000);
});
