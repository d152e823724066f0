import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { maskIdNumbersInText } from '../../shared/id-in-text.js';
import { checkItems } from '../catalog/item.service.js';
import { checkFileName } from '../storage/file.service.js';
import { inspectFormat } from '../check/check.formats.js';
import { scanForViruses, type VirusScanSettings } from '../check/check.virus.js';
import { detectMediaType } from '../storage/media-type.js';
import { type BagProblem, infoValue } from './bag.parse.js';
import type { BagReport } from './bag.validate.js';
import { type ParsedEep, parseEep, verifyEep } from './eep.js';
import { verifyHistory } from './history.js';
import type { ReceivedChecks } from './receive.tables.js';

// Judging each 件 of a received bag before anything is filed: its EEP (structure and signature by
// the bag's declared key), its files against the EEP and the bag, its history against the sender's
// signed checkpoint, and the four properties (真实性, 完整性, 可用性, 安全性) with the receiving
// system's own filing rules. An item failing any of them is rejected with every reason.

export interface BagHeader {
  batch: string;
  sender: string;
  kind: 'fonds' | 'person';
  key?: KeyObject;
  keyBase64?: string;
}

export interface EvaluatedItem {
  folder: string;
  /** The sender's 档号 (from the EEP; the folder name when the EEP cannot be read). */
  sourceArchiveCode: string;
  sourceOrganisation: string;
  accepted: boolean;
  reason?: string;
  checks: ReceivedChecks;
  /** What filing needs, for an accepted item. */
  input?: Record<string, unknown>;
  files?: Array<{ name: string; path: string }>;
  history?: unknown;
  historyEvents: number;
}

const FILED_FIELDS = [
  'category',
  'year',
  'org',
  'retention',
  'title',
  'docNumber',
  'responsible',
  'date',
  'securityLevel',
  'insuredNumber',
  'idNumber',
  'name',
  'businessType',
  'handledAt',
  'handler',
  'agency',
  'poolingRegion',
  'amount',
  'carrier',
  'sensitivity',
  'extra',
] as const;

/** The received metadata as a filing input for the receiving fonds (the paper location stays the sender's). */
export function filingInput(item: Record<string, unknown>, fonds: string): Record<string, unknown> {
  const input: Record<string, unknown> = { fonds };
  for (const field of FILED_FIELDS) {
    const value = item[field];
    if (value !== null && value !== undefined) input[field] = value;
  }
  return input;
}

/** Reads the bag's own declarations (bag-info.txt), adding a problem for each one missing or bad. */
export function bagHeader(report: BagReport, problems: BagProblem[]): BagHeader {
  const need = (label: string) => {
    const value = infoValue(report.info, label);
    if (!value)
      problems.push({
        code: 'BAG_INFO_INVALID',
        path: 'bag-info.txt',
        message: `bag-info.txt 缺少 ${label}`,
      });
    return value ?? '';
  };
  const batch = need('External-Identifier');
  const sender = need('Source-Organization');
  const kindText = infoValue(report.info, 'Yidang-Transfer-Kind') ?? 'fonds';
  const kind = kindText === 'person' ? 'person' : 'fonds';
  if (kindText !== 'fonds' && kindText !== 'person')
    problems.push({
      code: 'BAG_INFO_INVALID',
      path: 'bag-info.txt',
      message: `Yidang-Transfer-Kind 应为 fonds 或 person`,
    });
  const keyBase64 = need('Yidang-Signing-Key');
  let key: KeyObject | undefined;
  if (keyBase64) {
    try {
      key = crypto.createPublicKey({ key: Buffer.from(keyBase64, 'base64'), format: 'der', type: 'spki' });
    } catch {
      problems.push({
        code: 'BAG_INFO_INVALID',
        path: 'bag-info.txt',
        message: 'Yidang-Signing-Key 不是有效的公钥',
      });
    }
  }
  return { batch, sender, kind, key, ...(keyBase64 ? { keyBase64 } : {}) };
}

const pass = (detail: string) => ({ status: 'pass' as const, detail });
const fail = (problems: string[]) => ({ status: 'fail' as const, detail: problems.join('；') });
const skipped = (detail: string) => ({ status: 'skipped' as const, detail });

export function rejectedChecks(detail: string): ReceivedChecks {
  return {
    authenticity: skipped(detail),
    integrity: skipped(detail),
    usability: skipped(detail),
    security: skipped(detail),
  };
}

async function digestOf(file: string, algorithm: string): Promise<string> {
  const hash = crypto.createHash(algorithm);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface EvaluateContext {
  db: Db;
  access: AccessContext;
  actor: string;
  fonds: string;
  virus?: VirusScanSettings;
  today: Date;
  /** Whether the bag's key was checked against the sender's key pinned by the receiving archivist. */
  senderKeyPinned?: boolean;
}

/** Judges one item folder (data/<folder>/) of a bag already valid as a bag. */
export async function evaluateItem(
  context: EvaluateContext,
  dir: string,
  report: BagReport,
  header: BagHeader,
  checkpoint: string | undefined,
  folder: string,
): Promise<EvaluatedItem> {
  const base = `data/${folder}/`;
  const result: EvaluatedItem = {
    folder,
    sourceArchiveCode: folder,
    sourceOrganisation: header.sender,
    accepted: false,
    checks: rejectedChecks('未检测'),
    historyEvents: 0,
  };
  let eep: ParsedEep;
  try {
    eep = parseEep(await fsp.readFile(path.join(dir, base, 'eep.xml')));
    result.sourceArchiveCode = eep.archiveCode;
    result.sourceOrganisation = eep.organisation.name || header.sender;
    verifyEep(eep, header.key);
  } catch (error) {
    const reason = `封装包（${base}eep.xml）：${(error as Error).message}`;
    return { ...result, reason, checks: { ...rejectedChecks('封装包未通过'), authenticity: fail([reason]) } };
  }

  const authenticity: string[] = [];
  const integrity: string[] = [];
  const payload = new Map(report.payload.map((f) => [f.path, f]));
  const referenced = new Set([`${base}eep.xml`, `${base}history.json`]);
  const files: Array<{ name: string; path: string }> = [];
  for (const file of eep.files) {
    const rel = `${base}${file.ref}`;
    referenced.add(rel);
    const present = payload.get(rel);
    if (!present) {
      integrity.push(`文件“${file.name}”（${file.ref}）不在包中`);
      continue;
    }
    if (present.size !== file.size)
      integrity.push(`文件“${file.name}”为 ${present.size} 字节，封装包登记为 ${file.size} 字节`);
    const actual =
      present.digests[file.digestAlgorithm] ?? (await digestOf(path.join(dir, rel), file.digestAlgorithm));
    if (actual !== file.digest.toLowerCase()) authenticity.push(`文件“${file.name}”的摘要与封装包登记的不符`);
    // The storage rules on file names, here: a hostile name rejects this 件 only, not the whole bag.
    let name: string;
    try {
      name = checkFileName(file.name);
    } catch (error) {
      integrity.push((error as Error).message);
      continue;
    }
    files.push({ name, path: path.join(dir, rel) });
  }
  for (const rel of payload.keys()) {
    if (rel.startsWith(base) && !referenced.has(rel)) integrity.push(`“${rel}”不在封装包的文件实体块中`);
  }

  // History: every event of the item proven in the sender's signed checkpoint.
  const historyPath = path.join(dir, base, 'history.json');
  if (!payload.has(`${base}history.json`)) authenticity.push('缺少 history.json（事件及其包含证明）');
  else if (!checkpoint || !header.key) authenticity.push('缺少 data/checkpoint.txt 或签名公钥，历史无从核对');
  else {
    try {
      const history = JSON.parse(await fsp.readFile(historyPath, 'utf8')) as unknown;
      result.historyEvents = verifyHistory(history, checkpoint, header.key, eep.archiveCode).events;
      result.history = history;
    } catch (error) {
      authenticity.push(`历史记录未通过核对：${(error as Error).message}`);
    }
  }

  // The receiver's own filing rules on the metadata (values and required fields, and the scope).
  const input = filingInput(eep.item, context.fonds);
  const [issues = []] = await checkItems(context.db, [input], context.actor, {
    access: context.access,
    today: context.today,
  });
  for (const issue of issues) integrity.push(`${issue.field}：${issue.message}`);

  // Usability: each file opens as what it claims to be, without encryption or proprietary compression.
  const usability: string[] = [];
  const notes: string[] = [];
  for (const file of files) {
    const handle = await fsp.open(file.path, 'r');
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const size = (await handle.stat()).size;
    await handle.close();
    const mediaType = detectMediaType(head.subarray(0, bytesRead), file.name);
    const format = await inspectFormat(file.path, size, mediaType, file.name);
    for (const finding of [format.opens, format.compression]) {
      if (finding.status === 'fail') usability.push(`文件“${file.name}”：${finding.detail}`);
      else notes.push(`文件“${file.name}”：${finding.detail}`);
    }
  }
  const virus = await scanForViruses(
    files.map((f, i) => ({
      path: f.path,
      label: `第 ${i + 1} 个文件（${f.name}）`,
      size: fs.statSync(f.path).size,
    })),
    context.virus,
  );

  const mask = (texts: string[]) => texts.map((t) => maskIdNumbersInText(t));
  const checks: ReceivedChecks = {
    authenticity: authenticity.length
      ? fail(mask(authenticity))
      : pass(
          `封装包签名有效；${files.length} 个文件摘要相符；${result.historyEvents} 个事件在移交方检查点中得到证明；${
            context.senderKeyPinned
              ? '签名公钥与指定的移交方公钥一致'
              : '未核对移交方公钥（未指定移交方公钥，签名只与包内自带的公钥相符，不能证明包来自所称的移交方）'
          }`,
        ),
    integrity: integrity.length
      ? fail(mask(integrity))
      : pass('元数据齐全、取值符合归档规则，文件与封装包一致'),
    usability: usability.length
      ? fail(mask(usability))
      : files.length === 0
        ? skipped('没有电子文件')
        : pass(mask(notes).join('；')),
    security:
      virus.status === 'fail'
        ? fail([virus.detail])
        : virus.status === 'pass'
          ? pass(virus.detail)
          : skipped(virus.detail),
  };
  const failed = Object.values(checks).filter((c) => c.status === 'fail');
  if (failed.length > 0) return { ...result, checks, reason: failed.map((c) => c.detail).join('；') };
  return { ...result, accepted: true, checks, input, files };
}
