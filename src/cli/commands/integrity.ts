import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { checkpoints, logVerifier, writeCheckpoint } from '../../modules/integrity/checkpoint.service.js';
import {
  formatVerifierKey,
  type NoteVerifier,
  parseVerifierKey,
} from '../../modules/integrity/checkpoint-note.js';
import { eventTrail } from '../../modules/integrity/events.service.js';
import {
  type ConsistencyProofDocument,
  type InclusionProofDocument,
  proveConsistency,
  proveInclusion,
  verifyConsistencyDocument,
  verifyInclusionDocument,
} from '../../modules/integrity/proof.service.js';
import { recordedVerify } from '../../modules/verify/verify-run.service.js';
import { systemContext } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import {
  actor,
  parsePositiveInt,
  printJson,
  printRawJson,
  printTable,
  progress,
  readJsonFile,
  withSystem,
} from '../context.js';

// Run by the operator on the server itself, without an account: the whole log, as before.
const OPERATOR = systemContext('setup');

// checkpoint, proof, verify and log: the commands that prove nothing was altered.

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw invalid('FILE_NOT_FOUND', `无法读取${what}“${file}”`);
  }
}

/** A verifier key given inline (name+id+key) or as a file holding one. */
function verifierFrom(text: string): NoteVerifier {
  const value = text.includes('+') && !fs.existsSync(text) ? text : readText(text, '公钥文件').trim();
  return parseVerifierKey(value);
}

function writeOutput(value: unknown, out?: string): void {
  if (!out) {
    printRawJson(value);
    return;
  }
  fs.writeFileSync(out, `${JSON.stringify(value, null, 2)}\n`, { flag: 'wx' });
  process.stderr.write(`已写入 ${out}\n`);
}

export function registerIntegrityCommands(program: Command): void {
  const checkpoint = program.command('checkpoint').description('签名检查点：日志在某一时刻的大小与根哈希');
  checkpoint
    .command('create')
    .description('立即签发一个检查点')
    .action(async () => {
      const created = await withSystem((system) =>
        writeCheckpoint(system.database.db, system.signingKey, actor()),
      );
      process.stdout.write(created.note);
    });
  checkpoint
    .command('list')
    .description('列出检查点')
    .option('--json', '输出 JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = await withSystem((system) => checkpoints(system.database.db));
      if (options.json) return printJson(rows);
      printTable(
        ['编号', '树大小', '根哈希', '时间', '签发人'],
        rows.map((row) => [row.id, row.treeSize, row.rootHash, row.createdAt, row.createdBy]),
      );
    });
  checkpoint
    .command('export <目录>')
    .description('把最新检查点和验证公钥写到目录（请存放在本机以外）')
    .action(async (dir: string) => {
      const { latest, key } = await withSystem(async (system) => {
        let [row] = await checkpoints(system.database.db, 1);
        row ??= await writeCheckpoint(system.database.db, system.signingKey, actor());
        return {
          latest: row,
          key: formatVerifierKey(await logVerifier(system.database.db, system.signingKey)),
        };
      });
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `checkpoint-${latest.treeSize}.txt`);
      fs.writeFileSync(file, latest.note);
      fs.writeFileSync(path.join(dir, 'verifier-key.txt'), `${key}\n`);
      process.stdout.write(`${file}\n`);
    });

  const proof = program.command('proof').description('包含证明与一致性证明');
  proof
    .command('inclusion <序号>')
    .description('事件 #seq 在检查点日志中的包含证明')
    .option('--size <树大小>', '树大小（默认取包含该事件的最新检查点）')
    .option('--out <文件>', '写到文件')
    .action(async (seq: string, options: { size?: string; out?: string }) => {
      const index = /^\d+$/.test(seq) ? Number(seq) : Number.NaN;
      if (!Number.isSafeInteger(index))
        throw invalid('INVALID_ARGUMENT', `事件序号应为非负整数，实际为“${seq}”`);
      const size = options.size === undefined ? undefined : parsePositiveInt(options.size, '--size');
      writeOutput(
        await withSystem((system) => proveInclusion(system.database.db, index, size, OPERATOR)),
        options.out,
      );
    });
  proof
    .command('consistency <旧树大小> <新树大小>')
    .description('树大小 oldSize 的日志是 newSize 的前缀的证明')
    .option('--out <文件>', '写到文件')
    .action(async (oldSize: string, newSize: string, options: { out?: string }) => {
      const from = parsePositiveInt(oldSize, '旧树大小');
      const to = parsePositiveInt(newSize, '新树大小');
      writeOutput(await withSystem((system) => proveConsistency(system.database.db, from, to)), options.out);
    });
  proof
    .command('verify <证明文件>')
    .description('只凭证明、签名检查点和公钥验证（不需要数据库）')
    .requiredOption('--checkpoint <文件>', '签名检查点文件（一致性证明时为旧检查点）')
    .option('--new-checkpoint <文件>', '一致性证明的新检查点文件')
    .requiredOption('--key <公钥>', '验证公钥（字符串或 verifier-key.txt）')
    .action(
      async (proofFile: string, options: { checkpoint: string; newCheckpoint?: string; key: string }) => {
        const document = readJsonFile(proofFile) as { type?: string };
        const verifier = verifierFrom(options.key);
        const note = readText(options.checkpoint, '检查点文件');
        if (document.type === 'yidang-inclusion-proof/1') {
          const result = verifyInclusionDocument(document as InclusionProofDocument, note, verifier);
          process.stdout.write(
            `验证通过：事件 #${result.seq} 包含在树大小 ${result.treeSize} 的签名日志中\n`,
          );
        } else if (document.type === 'yidang-consistency-proof/1') {
          if (!options.newCheckpoint) throw invalid('INVALID_ARGUMENT', '一致性证明需要 --new-checkpoint');
          const result = verifyConsistencyDocument(
            document as ConsistencyProofDocument,
            note,
            readText(options.newCheckpoint, '检查点文件'),
            verifier,
          );
          process.stdout.write(
            `验证通过：树大小 ${result.oldSize} 的日志是 ${result.newSize} 的前缀，历史未被改写\n`,
          );
        } else throw invalid('PROOF_MALFORMED', `“${proofFile}”不是医档证明文件`);
      },
    );

  program
    .command('verify')
    .description('从数据库和文件存储重算一切：事件、默克尔树、检查点签名、档案、文件摘要（结果记入校验记录）')
    .option('--deep', '同时解密每个文件并校验内容摘要')
    .option('--checkpoint <文件...>', '另外核对保存在别处的检查点文件')
    .option('--json', '输出 JSON 报告')
    .action(async (options: { deep?: boolean; checkpoint?: string[]; json?: boolean }) => {
      const external = (options.checkpoint ?? []).map((file) => ({
        label: `检查点文件 ${file}`,
        note: readText(file, '检查点文件'),
      }));
      const { report, recordError } = await withSystem((system) =>
        recordedVerify(
          { db: system.database.db, store: system.store, signingKey: system.signingKey },
          { deep: options.deep, external, onProgress: progress },
          actor(),
        ),
      );
      if (recordError) process.stderr.write(`警告：${recordError}\n`);
      if (options.json) printJson(report);
      else {
        process.stdout.write(
          `事件 ${report.events} 条，检查点 ${report.checkpoints} 个，档案 ${report.items} 件（历史版本 ${report.versions}），` +
            `挂接文件 ${report.files} 个，存储文件 ${report.blobs} 个（副本 ${report.copies} 份），` +
            `账户、接口令牌、查阅申请与档号计数器 ${report.states} 项\n`,
        );
        // Which items were destroyed under which register (销毁中 while a replica has not confirmed).
        for (const entry of report.destroyed)
          process.stdout.write(
            `按销毁清册 ${entry.register} 已销毁 ${entry.items.length} 件：${entry.items.join('、')}\n`,
          );
        for (const entry of report.destroying)
          process.stdout.write(
            `按销毁清册 ${entry.register} 销毁中（待副本确认）${entry.items.length} 件：${entry.items.join('、')}\n`,
          );
        if (report.ok) process.stdout.write('校验通过：全部数据完整，未发现改动\n');
      }
      if (!report.ok) {
        const [first] = report.problems;
        process.stderr.write(`校验失败：发现 ${report.problemCount} 处问题，第一处：${first?.message}\n`);
        if (!options.json)
          for (const problem of report.problems.slice(1, 20))
            process.stderr.write(`  - ${problem.message}\n`);
        process.exit(3);
      }
    });

  program
    .command('log')
    .description('列出事件日志（最新的在前）')
    .option('--subject <对象>', '只看某对象，如 item:<档号>')
    .option('--limit <条数>', '条数', '50')
    .option('--json', '输出 JSON')
    .action(async (options: { subject?: string; limit: string; json?: boolean }) => {
      const limit = parsePositiveInt(options.limit, '--limit', 10_000);
      const rows = await withSystem((system) =>
        eventTrail(system.database.db, { subject: options.subject, limit }, OPERATOR),
      );
      if (options.json) return printJson(rows);
      printTable(
        ['序号', '时间', '操作人', '事件', '事件代码', '对象'],
        rows.map((row) => [row.seq, row.recordedAt, row.actor, row.actionLabel, row.action, row.subject]),
      );
    });
}
