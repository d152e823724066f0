// test-engine: either (the CLI layer over services tested on both engines; see scripts/test.mjs)
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACE_ID_PATTERN } from '../src/modules/watermark/stamp.js';
import { addUser, type CliEnv, type CliResult, cliEnv, run, signInAs, writeJson } from './helpers/cli.js';
import { onPostgres, openTestDatabase, type TestDatabase } from './helpers/database.js';
import { reimbursement } from './helpers/fixtures.js';
import { opaqueBytes } from './helpers/opaque-content.js';
import { UTC_TIME } from './helpers/workbook-times.js';

// Electronic files, fixity, keys, proofs and the event log through the built CLI: a real data
// directory (PGlite on disk), or a PostgreSQL database of this file's own when DATABASE_URL is set.

const CODE = 'J013-JSLX·2024-D30-JSK-0001';
function expectOk(result: CliResult, what: string): void {
  expect(result.code, `${what}: ${result.stderr}`).toBe(0);
}

let database: TestDatabase | undefined;
let cli: CliEnv;
/** The account the item and file commands sign in as. */
let archivist: string;
let work: string;
const content = opaqueBytes(300 * 1024);
let scanFile: string;

beforeAll(async () => {
  if (onPostgres) database = await openTestDatabase();
  // Two replica directories inside the home for every command of this file; init creates them.
  cli = cliEnv(database?.url);
  cli.env.YIDANG_REPLICAS = 'r1=rep1,r2=rep2';
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-files-'));
  scanFile = path.join(work, '报销审核表扫描件.bin');
  fs.writeFileSync(scanFile, content);
  expectOk(await run(cli, ['init']), 'init');
  expectOk(
    await run(cli, ['fonds', 'add', '--code', 'J013', '--name', '江宁区医疗保障局', '--region', '320115']),
    'fonds add',
  );
  archivist = await signInAs(cli);
  const added = await run(cli, ['item', 'add', '--file', writeJson(cli, 'item.json', reimbursement())]);
  expectOk(added, 'item add');
  expect(added.stdout.trim()).toBe(CODE);
}, 120_000);

afterAll(async () => {
  await database?.close();
  for (const dir of [cli.home, work]) fs.rmSync(dir, { recursive: true, force: true });
});

const sha256 = (content: Buffer) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

/** Every file below a directory, as paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((name) =>
    fs.statSync(path.join(dir, name)).isFile(),
  );
}

describe('yidang file', () => {
  it('refuses a missing path, a directory, an empty file and an unknown 档号, storing nothing', async () => {
    const missing = await run(cli, ['file', 'add', CODE, path.join(work, 'nope.pdf')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('找不到文件');

    const directory = await run(cli, ['file', 'add', CODE, work]);
    expect(directory.code).toBe(1);
    expect(directory.stderr).toContain('是目录，不是文件');

    const emptyFile = path.join(work, 'empty.txt');
    fs.writeFileSync(emptyFile, '');
    const empty = await run(cli, ['file', 'add', CODE, emptyFile]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('是空文件（0 字节），未保存');

    const unknown = await run(cli, ['file', 'add', 'J013-JSLX·2024-D30-JSK-9999', scanFile]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('档号“J013-JSLX·2024-D30-JSK-9999”不存在');

    for (const result of [missing, directory, empty, unknown]) {
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^错误：/);
    }
    const list = await run(cli, ['file', 'list', CODE, '--json']);
    expectOk(list, 'file list');
    expect(JSON.parse(list.stdout)).toEqual([]);
    // Neither a blob nor a leftover temporary file in either replica.
    for (const replica of ['rep1', 'rep2']) {
      expect(fs.existsSync(path.join(cli.home, replica, 'blobs'))).toBe(true);
      expect(filesUnder(path.join(cli.home, replica))).toEqual([]);
    }
  });

  it('adds a file printing its digest, lists it, and gets it back without overwriting by accident', async () => {
    const added = await run(cli, ['file', 'add', CODE, scanFile]);
    expectOk(added, 'file add');
    expect(added.stdout).toBe(`${sha256(content)}\n`);
    expect(added.stderr).toContain(`已挂接到 ${CODE} 第 1 个文件`);

    const table = await run(cli, ['file', 'list', CODE]);
    expectOk(table, 'file list');
    expect(table.stdout).toContain('报销审核表扫描件.bin');
    expect(table.stdout).toContain(sha256(content));
    expect(table.stdout).toContain('300.0 KB');
    // 添加时间 in Beijing wall-clock time, never UTC with a Z.
    expect(table.stdout).toMatch(/ \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\n$/);
    expect(table.stdout).not.toMatch(UTC_TIME);

    const json = await run(cli, ['file', 'list', CODE, '--json']);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        fileNumber: 1,
        fileName: '报销审核表扫描件.bin',
        mediaType: expect.any(String),
        size: content.length,
        digest: sha256(content),
        addedBy: archivist,
        addedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
        replicas: ['r1', 'r2'],
      },
    ]);
    // The same instant in both, and it is now (a time eight hours off would be read as UTC).
    const addedAt = (JSON.parse(json.stdout) as Array<{ addedAt: string }>)[0]?.addedAt ?? '';
    expect(table.stdout).toContain(addedAt.slice(0, 19).replace('T', ' '));
    expect(Math.abs(Date.parse(addedAt) - Date.now())).toBeLessThan(600_000);

    const outDir = path.join(work, 'out');
    fs.mkdirSync(outDir);
    const out = path.join(outDir, 'copy.bin');
    const got = await run(cli, ['file', 'get', CODE, '1', '--out', out]);
    expectOk(got, 'file get');
    expect(fs.readFileSync(out).equals(content)).toBe(true);
    // Unknown bytes cannot carry a mark: delivered as stored, the read still traced.
    expect(got.stdout).toBe('');
    expect(got.stderr).toContain('已取出 报销审核表扫描件.bin');
    expect(got.stderr).toContain('未加盖水印（格式不支持）');
    expect(got.stderr).not.toContain('已加盖水印');
    expect(got.stderr).toMatch(
      /追踪号 YD-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}）/,
    );

    fs.writeFileSync(out, 'local edits');
    const refused = await run(cli, ['file', 'get', CODE, '1', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('已存在；要覆盖请加 --force');
    expect(fs.readFileSync(out, 'utf8')).toBe('local edits');

    const forced = await run(cli, ['file', 'get', CODE, '1', '--out', out, '--force']);
    expectOk(forced, 'file get --force');
    expect(fs.readFileSync(out).equals(content)).toBe(true);
    // The content went through a temporary file that was renamed; none is left behind.
    expect(fs.readdirSync(outDir)).toEqual(['copy.bin']);
  });
});

describe('yidang file get with a watermark', () => {
  it('writes a marked PDF with the trace id in its keywords, printed and logged with the purpose', async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    pdf.addPage([595, 842]).drawText('Reimbursement 2024-0001', { x: 50, y: 780, size: 14, font });
    pdf.addPage([595, 842]).drawText('Page 2', { x: 50, y: 780, size: 14, font });
    const original = Buffer.from(await pdf.save());
    const source = path.join(work, '结算单.pdf');
    fs.writeFileSync(source, original);
    const added = await run(cli, ['file', 'add', CODE, source]);
    expectOk(added, 'file add pdf');
    expect(added.stderr).toContain(`已挂接到 ${CODE} 第 2 个文件`);

    const out = path.join(work, 'marked.pdf');
    const got = await run(cli, ['file', 'get', CODE, '2', '--out', out, '--purpose', '复核报销材料']);
    expectOk(got, 'file get pdf');
    expect(got.stdout).toBe('');
    const trace = /追踪号 (YD-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2})）/.exec(got.stderr)?.[1] as string;
    expect(trace, got.stderr).toMatch(TRACE_ID_PATTERN);
    expect(got.stderr).toContain('已取出 结算单.pdf');
    expect(got.stderr).toContain('已加盖水印，');
    expect(got.stderr).not.toContain('未加盖水印');
    // Same type delivered: no "以 … 交付" note.
    expect(got.stderr).not.toContain('交付');
    expect(got.stderr).toContain(`→ ${out}`);

    const written = fs.readFileSync(out);
    expect(written.equals(original)).toBe(false);
    expect(written.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const copy = await PDFDocument.load(written);
    expect(copy.getPageCount()).toBe(2);
    expect(copy.getKeywords()).toContain(trace);
    // Only the marked copy was written: no temporary file beside it.
    expect(fs.readdirSync(work).filter((name) => name.includes('marked.pdf'))).toEqual(['marked.pdf']);

    // A second copy gets a trace id of its own.
    const again = path.join(work, 'marked-again.pdf');
    const second = await run(cli, ['file', 'get', CODE, '2', '--out', again]);
    expectOk(second, 'file get pdf again');
    expect(second.stderr).toContain('已加盖水印');
    expect(second.stderr).not.toContain(trace);
    expect((await PDFDocument.load(fs.readFileSync(again))).getKeywords()).not.toContain(trace);

    // The read is in the log under that trace id, with the purpose given.
    const log = await run(cli, ['log', '--json', '--subject', `item:${CODE}`, '--limit', '1000']);
    expectOk(log, 'log');
    const reads = (
      JSON.parse(log.stdout) as Array<{ actor: string; action: string; payload: Record<string, unknown> }>
    ).filter((event) => event.payload.traceId === trace);
    expect(reads).toEqual([
      expect.objectContaining({
        actor: archivist,
        action: 'file.read',
        payload: expect.objectContaining({
          fileNumber: 2,
          digest: sha256(original),
          purpose: '复核报销材料',
          traceId: trace,
        }),
      }),
    ]);
  });

  it('refuses a PDF it cannot mark, writing nothing', async () => {
    const fake = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(2048)]);
    const source = path.join(work, '损坏.pdf');
    fs.writeFileSync(source, fake);
    expectOk(await run(cli, ['file', 'add', CODE, source]), 'file add fake pdf');
    const out = path.join(work, 'broken-out.pdf');
    const got = await run(cli, ['file', 'get', CODE, '3', '--out', out]);
    expect(got.code).toBe(1);
    expect(got.stderr).toMatch(/^错误：/);
    expect(got.stderr).toContain('无法为该文件加盖水印');
    expect(got.stderr).toContain('不予导出');
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(work).filter((name) => name.includes('broken-out'))).toEqual([]);
  });
});

describe('yidang keys', () => {
  it('shows the key status without key bytes, rotates, and still serves and verifies everything', async () => {
    const keysDir = path.join(cli.home, 'keys');
    const masterKeys = () =>
      fs
        .readdirSync(keysDir)
        .filter((name) => /^master-[0-9a-f]{16}\.key$/.test(name))
        .map(
          (name) =>
            JSON.parse(fs.readFileSync(path.join(keysDir, name), 'utf8')) as { id: string; key: string },
        );
    const [before] = masterKeys();

    const shown = await run(cli, ['keys', 'show']);
    expectOk(shown, 'keys show');
    const status = JSON.parse(shown.stdout);
    expect(status).toMatchObject({
      source: 'file',
      current: before?.id,
      masterKeys: [before?.id],
      signing: 'ed25519',
      pendingRotation: 0,
      verifierKey: expect.stringMatching(/^yidang\.local\/log-[0-9a-f]+\+[0-9a-f]{8}\+/),
    });
    expect(shown.stdout).not.toContain(before?.key);
    expect(shown.stdout).not.toContain('PRIVATE KEY');

    const rotated = await run(cli, ['keys', 'rotate']);
    expectOk(rotated, 'keys rotate');
    expect(rotated.stdout).toContain('已轮换');
    const after = masterKeys();
    expect(after).toHaveLength(1);
    expect(after[0]?.id).not.toBe(before?.id);
    expect(fs.readFileSync(path.join(keysDir, 'current'), 'utf8').trim()).toBe(after[0]?.id);
    expect(rotated.stdout + rotated.stderr).not.toContain(after[0]?.key);

    const out = path.join(work, 'after-rotation.bin');
    expectOk(await run(cli, ['file', 'get', CODE, '1', '--out', out]), 'file get after rotation');
    expect(fs.readFileSync(out).equals(content)).toBe(true);
    const verify = await run(cli, ['verify', '--deep']);
    expectOk(verify, 'verify');
    expect(verify.stdout).toContain('校验通过');
  });
});

describe('yidang proof', () => {
  it('proves inclusion and consistency against exported checkpoints, and catches an edited proof', async () => {
    const first = await run(cli, ['checkpoint', 'create']);
    expectOk(first, 'checkpoint create');
    const oldSize = Number(first.stdout.split('\n')[1]);
    expect(oldSize).toBeGreaterThan(1);

    const proofFile = path.join(work, 'p.json');
    expectOk(await run(cli, ['proof', 'inclusion', '0', '--out', proofFile]), 'proof inclusion');
    const exportDir = path.join(work, 'export');
    const exported = await run(cli, ['checkpoint', 'export', exportDir]);
    expectOk(exported, 'checkpoint export');
    const checkpointFile = path.join(exportDir, `checkpoint-${oldSize}.txt`);
    expect(exported.stdout.trim()).toBe(checkpointFile);
    const keyFile = path.join(exportDir, 'verifier-key.txt');

    const verified = await run(cli, [
      'proof',
      'verify',
      proofFile,
      '--checkpoint',
      checkpointFile,
      '--key',
      keyFile,
    ]);
    expectOk(verified, 'proof verify');
    expect(verified.stdout).toContain(`验证通过：事件 #0 包含在树大小 ${oldSize} 的签名日志中`);

    const document = JSON.parse(fs.readFileSync(proofFile, 'utf8'));
    document.entry.actor = '冒名顶替者';
    const edited = path.join(work, 'p-edited.json');
    fs.writeFileSync(edited, JSON.stringify(document));
    const rejected = await run(cli, [
      'proof',
      'verify',
      edited,
      '--checkpoint',
      checkpointFile,
      '--key',
      keyFile,
    ]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('事件内容被改动');
    expect(rejected.stdout).not.toContain('验证通过');

    // The log grows by a filing; a second checkpoint must extend the first.
    const second = await run(cli, [
      'item',
      'add',
      '--file',
      writeJson(cli, 'second.json', reimbursement({ title: '第二件报销审核表' })),
    ]);
    expect(second.stdout.trim()).toBe('J013-JSLX·2024-D30-JSK-0002');
    const latest = await run(cli, ['checkpoint', 'create']);
    expectOk(latest, 'checkpoint create');
    const newSize = Number(latest.stdout.split('\n')[1]);
    expect(newSize).toBeGreaterThan(oldSize);
    const oldNote = path.join(work, 'old.txt');
    const newNote = path.join(work, 'new.txt');
    fs.writeFileSync(oldNote, first.stdout);
    fs.writeFileSync(newNote, latest.stdout);

    const consistency = path.join(work, 'c.json');
    expectOk(
      await run(cli, ['proof', 'consistency', String(oldSize), String(newSize), '--out', consistency]),
      'proof consistency',
    );
    const args = ['proof', 'verify', consistency, '--checkpoint', oldNote, '--key', keyFile];
    const consistent = await run(cli, [...args, '--new-checkpoint', newNote]);
    expectOk(consistent, 'proof verify consistency');
    expect(consistent.stdout).toContain(`验证通过：树大小 ${oldSize} 的日志是 ${newSize} 的前缀`);
  });
});

describe('yidang log', () => {
  it('lists filings, attachments and reads with who did them', async () => {
    // A second account reads the file; the log names each account by its username (YIDANG_ACTOR,
    // which operator commands record, plays no part in content reads).
    const { username: auditor } = await addUser(cli, ['reviewer'], {
      username: 'wangwu',
      name: '稽核员 王五',
    });
    const out = path.join(work, 'audited.bin');
    const read = await run(cli, ['file', 'get', CODE, '1', '--out', out], {
      env: { YIDANG_USER: auditor, YIDANG_ACTOR: '稽核员 王五' },
    });
    expectOk(read, 'file get');
    const log = await run(cli, ['log', '--json', '--subject', `item:${CODE}`, '--limit', '1000']);
    expectOk(log, 'log');
    const events = JSON.parse(log.stdout) as Array<{
      seq: number;
      actor: string;
      action: string;
      subject: string;
      payload: Record<string, unknown>;
    }>;
    expect(events.every((event) => event.subject === `item:${CODE}`)).toBe(true);
    // Newest first.
    expect(events.map((event) => event.seq)).toEqual(
      [...events.map((event) => event.seq)].sort((a, b) => b - a),
    );
    expect(events[0]).toMatchObject({
      action: 'file.read',
      actor: 'wangwu',
      payload: { fileNumber: 1, digest: sha256(content) },
    });
    // The scan's own attachment (the watermark tests attached files 2 and 3 after it).
    expect(
      events.find((event) => event.action === 'file.added' && event.payload.fileNumber === 1),
    ).toMatchObject({
      actor: archivist,
      payload: {
        fileNumber: 1,
        digest: sha256(content),
        fileName: '报销审核表扫描件.bin',
        size: content.length,
      },
    });
    expect(events.find((event) => event.action === 'item.created')).toMatchObject({ actor: archivist });
    expect(events.map((event) => event.actor)).not.toContain('测试档案员');
    expect(events.filter((event) => event.action === 'file.read').map((event) => event.actor)).toContain(
      archivist,
    );
    expect(events.filter((event) => event.action === 'file.read').length).toBeGreaterThanOrEqual(3);
  });
});

describe('yidang fixity', () => {
  // Last in this file: it leaves the one stored file without a good copy.
  it('repairs a lost replica copy from the other and exits 3 naming a file with no good copy', async () => {
    const digest = sha256(content);
    const hex = digest.slice('sha256:'.length);
    const copy = (replica: string) =>
      path.join(cli.home, replica, 'blobs', 'sha256', hex.slice(0, 2), hex.slice(2, 4), hex);
    const stored = fs.readFileSync(copy('rep2'));
    expect(fs.readFileSync(copy('rep1')).equals(stored)).toBe(true);

    const healthy = await run(cli, ['fixity']);
    expectOk(healthy, 'fixity');
    // The scan, the PDF and the unreadable PDF of 'yidang file get with a watermark', two copies each.
    expect(healthy.stdout).toContain('检查 3 个文件、6 份副本');
    expect(healthy.stdout).toContain('完好 6，已修复 0，修复失败 0，全部副本丢失 0');

    fs.rmSync(copy('rep1'));
    const repaired = await run(cli, ['fixity']);
    expectOk(repaired, 'fixity repair');
    expect(repaired.stdout).toContain('已修复 1');
    expect(repaired.stdout).toContain('缺失');
    expect(fs.readFileSync(copy('rep1')).equals(stored)).toBe(true);

    for (const replica of ['rep1', 'rep2']) {
      const damaged = Buffer.from(stored);
      const middle = Math.floor(damaged.length / 2);
      damaged.writeUInt8((damaged.readUInt8(middle) + 1) % 256, middle);
      fs.writeFileSync(copy(replica), damaged);
    }
    const lost = await run(cli, ['fixity']);
    expect(lost.code).toBe(3);
    expect(lost.stderr).toContain('在所有副本上都已缺失或损坏');
    expect(lost.stderr).toContain(digest);
  });
});
