import type { FieldIssue } from '../../shared/errors.js';
import { type ArchiveCodePattern, parseArchiveCode } from '../catalog/archive-code.js';
import type { CatalogContext } from '../catalog/catalog.context.js';
import { itemAsInput } from '../catalog/item.edit.service.js';
import { prepareItem } from '../catalog/item.prepare.js';
import { FIELD_LABELS, type Item, type ItemVersion } from '../catalog/item.schema.js';
import { itemState } from '../catalog/item.state.js';
import { stateDigest } from '../integrity/event-log.js';
import type { LogHashAlgorithm } from '../integrity/merkle.js';
import type { AttachedFileRow, BlobRow } from '../storage/storage.queries.js';
import type { ExaminedFile } from './check.content.js';
import type { Finding } from './check.formats.js';
import type { ScannedPageFacts } from '../scan/scan.queries.js';

// The rules of the four-property check (四性检测, DA/T 70-2018), one function per check, each over
// what was loaded for one item and what reading its files found. Each answers pass, fail or skipped
// with a Chinese detail naming what disagrees.

export const PROPERTIES = {
  authenticity: '真实性',
  integrity: '完整性',
  usability: '可用性',
  security: '安全性',
} as const;
export type Property = keyof typeof PROPERTIES;

export const CHECKS = [
  { id: 'digest', property: 'authenticity', name: '摘要值校验' },
  { id: 'metadata_rules', property: 'authenticity', name: '元数据值域' },
  { id: 'archive_code', property: 'authenticity', name: '档号规则' },
  { id: 'file_attributes', property: 'authenticity', name: '文件属性与元数据一致' },
  { id: 'required_metadata', property: 'integrity', name: '必填元数据' },
  { id: 'counts', property: 'integrity', name: '数量相符' },
  { id: 'item_numbers_gapless', property: 'integrity', name: '件号连续' },
  { id: 'opens', property: 'usability', name: '文件可正常打开' },
  { id: 'no_proprietary_compression', property: 'usability', name: '无加密或专有压缩' },
  { id: 'virus_scan', property: 'security', name: '病毒检测' },
  { id: 'log_unaltered', property: 'security', name: '无未经记录的改动' },
] as const satisfies ReadonlyArray<{ id: string; property: Property; name: string }>;
export type CheckId = (typeof CHECKS)[number]['id'];

/** What the event log says about one item and its files. */
export interface ItemLog {
  algorithm: LogHashAlgorithm;
  /** The latest item.created / item.changed: the state and version the item must have now. */
  latest?: { state: string; version: number };
  /** item.changed events by the version they made: the digest of the version each replaced. */
  replaced: Map<number, string>;
  /** file.added payloads by file number. */
  filesAdded: Map<number, Record<string, unknown>>;
  /** blob.stored payloads by digest. */
  blobsStored: Map<string, Record<string, unknown>>;
}

export interface ItemFacts {
  item: Item;
  pattern: ArchiveCodePattern;
  files: AttachedFileRow[];
  blobs: Map<string, BlobRow>;
  pages: ScannedPageFacts[];
  versions: ItemVersion[];
  log: ItemLog;
}

const pass = (detail: string): Finding => ({ status: 'pass', detail });
const fail = (problems: readonly string[]): Finding => ({ status: 'fail', detail: problems.join('；') });
const noFiles: Finding = { status: 'skipped', detail: '没有电子文件' };
export const fileLabel = (file: { fileNumber: number; fileName: string }) =>
  `第 ${file.fileNumber} 个文件（${file.fileName}）`;

/** One finding from each file's: any failure fails, all skipped skips. */
function combine(files: readonly ExaminedFile[], pick: (file: ExaminedFile) => Finding): Finding {
  if (files.length === 0) return noFiles;
  const findings = files.map((file) => ({ file, finding: pick(file) }));
  const failed = findings.filter((entry) => entry.finding.status === 'fail');
  if (failed.length > 0)
    return fail(failed.map((entry) => `${fileLabel(entry.file)}：${entry.finding.detail}`));
  const status = findings.every((entry) => entry.finding.status === 'skipped') ? 'skipped' : 'pass';
  const notes = findings.map((entry) => `${fileLabel(entry.file)}：${entry.finding.detail}`);
  return { status, detail: notes.join('；') };
}

const unreadable = (file: ExaminedFile): Finding => ({
  status: 'fail',
  detail: `内容无法读出：${file.readError}`,
});

const COPY_PROBLEMS = {
  corrupt: '存储内容与登记的摘要不符（已损坏或被改动）',
  missing: '缺失',
  unreachable: '无法访问',
};

export function checkDigest(facts: ItemFacts, examined: readonly ExaminedFile[]): Finding {
  if (examined.length === 0) return noFiles;
  const problems: string[] = [];
  for (const file of examined) {
    const row = facts.files.find((entry) => entry.fileNumber === file.fileNumber) as AttachedFileRow;
    const label = fileLabel(file);
    for (const copy of file.copies)
      problems.push(`${label}在副本“${copy.replica}”上${COPY_PROBLEMS[copy.problem]}`);
    if (file.readError) problems.push(`${label}内容无法读出：${file.readError}`);
    else if (file.content && file.content.digest !== row.digest)
      problems.push(`${label}内容摘要为 ${file.content.digest}，目录登记为 ${row.digest}`);
    const logged = facts.log.filesAdded.get(file.fileNumber);
    if (!logged) problems.push(`${label}没有挂接事件，摘要无从核对`);
    else if (logged.digest !== row.digest)
      problems.push(`${label}目录登记的摘要与挂接事件记录的 ${String(logged.digest)} 不符`);
  }
  if (problems.length > 0) return fail(problems);
  const algorithm = facts.files[0]?.digest.split(':')[0]?.toUpperCase();
  return pass(`${examined.length} 个文件的内容摘要（${algorithm}）与目录、事件日志一致，各副本完好`);
}

/** The stored metadata re-checked with filing's own rules: values wrong, and values missing. */
export function metadataIssues(
  item: Item,
  catalog: CatalogContext,
  today: Date,
): { invalid: FieldIssue[]; missing: FieldIssue[] } {
  const input = itemAsInput(item);
  const result = prepareItem(input, catalog, 'check', { today, editing: true });
  const givenValue = (field: string) =>
    field.startsWith('extra.') ? item.extra[field.slice('extra.'.length)] : input[field];
  const isBlank = (value: unknown) => value === undefined || value === null || value === '';
  const invalid: FieldIssue[] = [];
  const missing: FieldIssue[] = [];
  for (const issue of result.issues) {
    if (isBlank(givenValue(issue.field))) missing.push(issue);
    // The reason for a wrong ID number may quote its digits; the report names the field only.
    else
      invalid.push(
        issue.field === 'idNumber' ? { field: 'idNumber', message: '身份证号未通过 GB 11643 校验' } : issue,
      );
  }
  const prepared = result.item;
  if (prepared && prepared.retention_expires_on !== item.retentionExpiresOn)
    invalid.push({
      field: 'retention',
      message: `保管期满日期应为 ${prepared.retention_expires_on ?? '永久'}，登记为 ${item.retentionExpiresOn ?? '永久'}`,
    });
  if (prepared && prepared.sensitivity !== item.sensitivity)
    invalid.push({
      field: 'sensitivity',
      message: `敏感级别按诊断应为 ${prepared.sensitivity}，登记为 ${item.sensitivity}`,
    });
  return { invalid, missing };
}

const issueText = (issues: readonly FieldIssue[]) => issues.map((issue) => issue.message);

export function checkMetadataRules(issues: { invalid: FieldIssue[] }): Finding {
  return issues.invalid.length > 0 ? fail(issueText(issues.invalid)) : pass('元数据取值均符合归档规则');
}

export function checkRequiredMetadata(facts: ItemFacts, issues: { missing: FieldIssue[] }): Finding {
  const problems = issueText(issues.missing);
  for (const file of facts.files) {
    const absent = [
      file.fileName.trim() === '' && '文件名',
      !file.mediaType && '格式',
      !(file.size > 0) && '大小',
      !file.digest && '摘要',
    ].filter(Boolean);
    if (absent.length > 0) problems.push(`${fileLabel(file)}缺少${absent.join('、')}`);
  }
  return problems.length > 0
    ? fail(problems)
    : pass('类别要求的元数据齐全，文件名、格式、大小、摘要均已登记');
}

export function checkArchiveCode(facts: ItemFacts): Finding {
  const { item, pattern } = facts;
  const parsed = parseArchiveCode(pattern, item.archiveCode);
  if (!parsed)
    return fail([`档号“${item.archiveCode}”不符合全宗 ${item.fonds} 的档号规则 ${pattern.source}`]);
  const { values } = parsed;
  const problems: string[] = [];
  const expect = (token: 'fonds' | 'category' | 'year' | 'org', actual: string | number, label: string) => {
    if (pattern.tokens.has(token) && values[token] !== actual)
      problems.push(`档号中的${label}“${values[token]}”与登记的“${actual}”不符`);
  };
  expect('fonds', item.fonds, FIELD_LABELS.fonds);
  expect('category', item.category, FIELD_LABELS.category);
  expect('year', item.year, FIELD_LABELS.year);
  expect('org', item.org, FIELD_LABELS.org);
  if (parsed.itemNumber !== item.itemNumber)
    problems.push(`档号中的件号 ${parsed.itemNumber} 与登记的件号 ${item.itemNumber} 不符`);
  let note = '';
  if (pattern.tokens.has('retention') && values.retention !== item.retention) {
    // A 档号 never changes; a period changed later with a reason leaves the filed one in it.
    const filed = facts.versions[0]?.item.retention;
    if (filed === values.retention)
      note = `；保管期限已由 ${filed} 改为 ${item.retention}，档号按规定保持不变`;
    else problems.push(`档号中的保管期限“${values.retention}”与登记的“${item.retention}”不符`);
  }
  return problems.length > 0 ? fail(problems) : pass(`档号符合规则 ${pattern.source}，与各项登记一致${note}`);
}

export function checkFileAttributes(facts: ItemFacts, examined: readonly ExaminedFile[]): Finding {
  return combine(examined, (file) => {
    const row = facts.files.find((entry) => entry.fileNumber === file.fileNumber) as AttachedFileRow;
    const blob = facts.blobs.get(row.digest);
    if (!file.content || file.readError) return unreadable(file);
    const problems: string[] = [];
    if (blob && blob.size !== row.size)
      problems.push(`存储记录的大小 ${blob.size} 与目录的 ${row.size} 字节不符`);
    if (file.content.size !== row.size)
      problems.push(`实际大小 ${file.content.size} 与登记的 ${row.size} 字节不符`);
    if (file.content.mediaType !== row.mediaType)
      problems.push(`登记格式 ${row.mediaType} 与内容识别出的 ${file.content.mediaType} 不符`);
    const pages = facts.pages.filter((page) => page.fileNumber === file.fileNumber);
    const actual = file.format?.pages;
    if (pages.length > 0 && !actual) problems.push(`登记了 ${pages.length} 个扫描页，但文件内容无法计页`);
    else if (pages.length > 0 && actual && actual.count !== pages.length)
      problems.push(`登记了 ${pages.length} 个扫描页，文件实有 ${actual.count} 页`);
    else if (actual?.sizes)
      for (const page of pages) {
        const size = actual.sizes[page.pageInFile - 1];
        if (size && (size.width !== page.width || size.height !== page.height))
          problems.push(
            `第 ${page.pageInFile} 页登记为 ${page.width}×${page.height}，实为 ${size.width}×${size.height} 像素`,
          );
      }
    if (problems.length > 0) return { status: 'fail', detail: problems.join('，') };
    return pass(
      `${row.size} 字节，${row.mediaType}${pages.length > 0 ? `，${pages.length} 页与扫描登记一致` : ''}`,
    );
  });
}

/** Numbers 1..n in order, or the first place they are not. */
function gapless(numbers: readonly number[]): string | undefined {
  const sorted = [...numbers].sort((a, b) => a - b);
  const wrong = sorted.findIndex((value, index) => value !== index + 1);
  return wrong === -1 ? undefined : `应为 1–${sorted.length}，实为 ${sorted.slice(0, 20).join('、')}`;
}

export function checkCounts(facts: ItemFacts): Finding {
  const problems: string[] = [];
  const numbers = facts.files.map((file) => file.fileNumber);
  const logged = [...facts.log.filesAdded.keys()];
  if (numbers.length !== logged.length)
    problems.push(`挂接了 ${numbers.length} 个文件，事件日志记录挂接 ${logged.length} 个`);
  const unlogged = numbers.filter((number) => !facts.log.filesAdded.has(number));
  const vanished = logged.filter((number) => !numbers.includes(number));
  if (unlogged.length > 0) problems.push(`第 ${unlogged.join('、')} 个文件没有挂接事件`);
  if (vanished.length > 0) problems.push(`事件日志中的第 ${vanished.join('、')} 个文件已不在目录中`);
  const fileGap = gapless(numbers);
  if (fileGap) problems.push(`文件序号不连续：${fileGap}`);
  if (numbers.length === 0 && facts.item.carrier !== 'paper')
    problems.push(
      `登记为${facts.item.carrier === 'electronic' ? '电子' : '纸电双套'}档案，却没有挂接任何电子文件`,
    );
  const pageGap = gapless(facts.pages.map((page) => page.page));
  if (pageGap) problems.push(`扫描页序号不连续：${pageGap}`);
  for (const number of new Set(facts.pages.map((page) => page.fileNumber))) {
    const gap = gapless(
      facts.pages.filter((page) => page.fileNumber === number).map((page) => page.pageInFile),
    );
    if (gap) problems.push(`第 ${number} 个文件的页码不连续：${gap}`);
  }
  if (problems.length > 0) return fail(problems);
  const pages = facts.pages.length > 0 ? `，扫描页 ${facts.pages.length} 页连续编号` : '';
  return pass(`${numbers.length} 个文件与 ${logged.length} 条挂接事件相符${pages}`);
}

export function checkOpens(examined: readonly ExaminedFile[]): Finding {
  return combine(examined, (file) => (file.format ? file.format.opens : unreadable(file)));
}

export function checkCompression(examined: readonly ExaminedFile[]): Finding {
  return combine(examined, (file) => (file.format ? file.format.compression : unreadable(file)));
}

export function checkLogUnaltered(facts: ItemFacts): Finding {
  const { item, log } = facts;
  const problems: string[] = [];
  if (!log.latest) problems.push('没有归档事件：档案绕过系统写入数据库');
  else if (
    log.latest.version !== item.version ||
    log.latest.state !== stateDigest(log.algorithm, itemState(item))
  )
    problems.push(`当前内容与事件日志记录的第 ${log.latest.version} 版不符：数据被绕过系统改动`);
  for (const version of facts.versions) {
    const expected = log.replaced.get(version.version + 1);
    if (expected !== stateDigest(log.algorithm, itemState(version.item)))
      problems.push(`第 ${version.version} 版（历史版本）与事件日志不符`);
  }
  for (const file of facts.files) {
    const logged = log.filesAdded.get(file.fileNumber);
    if (
      logged &&
      (logged.digest !== file.digest ||
        logged.fileName !== file.fileName ||
        logged.mediaType !== file.mediaType ||
        Number(logged.size) !== file.size)
    )
      problems.push(`${fileLabel(file)}的登记信息与挂接事件不符`);
    const blob = facts.blobs.get(file.digest);
    const stored = log.blobsStored.get(file.digest);
    if (
      blob &&
      (!stored ||
        Number(stored.size) !== blob.size ||
        stored.storedDigest !== blob.storedDigest ||
        Number(stored.storedSize) !== blob.storedSize)
    )
      problems.push(`${fileLabel(file)}的存储记录与存储事件不符`);
  }
  if (problems.length > 0) return fail(problems);
  return pass(
    `当前第 ${item.version} 版、${facts.versions.length} 个历史版本和 ${facts.files.length} 个文件均与事件日志一致`,
  );
}
