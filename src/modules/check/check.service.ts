import fs from 'node:fs/promises';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, systemContext } from '../../shared/access-context.js';
import { invalid, notFound } from '../../shared/errors.js';
import { type ArchiveCodePattern, parseArchiveCode, sequenceKey } from '../catalog/archive-code.js';
import { type CatalogContext, loadCatalogContext } from '../catalog/catalog.context.js';
import { findItem, findItemsByIds, listItems, sequenceNumbers } from '../catalog/item.queries.js';
import type { Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { itemSubject } from '../catalog/item.state.js';
import { listItemVersions } from '../catalog/item.queries.js';
import { listEvents } from '../integrity/event.queries.js';
import { logHasher, recordEvents } from '../integrity/event-log.js';
import type { BlobStore } from '../storage/blob-store.js';
import { type BlobRow, copiesOf, findBlob, listItemFiles } from '../storage/storage.queries.js';
import { type ExaminedFile, examineFile, privateTempDir } from './check.content.js';
import type { Finding } from './check.formats.js';
import { batchItemIds, scannedPagesOf } from '../scan/scan.queries.js';
import {
  type CheckResultRow,
  checkResultsOf,
  findCheckRun,
  insertCheckResults,
  insertCheckRun,
} from './check.repo.js';
import { type CheckReport, type ItemResults, toReport } from './check.report.js';
import {
  CHECKS,
  type CheckId,
  checkArchiveCode,
  checkCompression,
  checkCounts,
  checkDigest,
  checkFileAttributes,
  checkLogUnaltered,
  checkMetadataRules,
  checkOpens,
  checkRequiredMetadata,
  fileLabel,
  type ItemFacts,
  type ItemLog,
  metadataIssues,
} from './check.rules.js';
import type { CheckTargetKind, CheckTrigger } from './check.tables.js';
import { scanForViruses, type VirusScanSettings } from './check.virus.js';

// 四性检测 (DA/T 70-2018) at ingest, at transfer and on demand: every check of every item is kept
// with its run, and the run and one item.checked event per item commit together, since a check reads
// the files and the log should show when their content was last confirmed.

export interface CheckContext {
  db: Db;
  store: BlobStore;
  virus?: VirusScanSettings;
  today?: Date;
}

/** A fonds/year run reads every file of every item: past this many items it must be narrowed. */
export const MAX_ITEMS_PER_RUN = 5000;
const LOG_LIMIT = 100_000;

interface RunState {
  catalog: CatalogContext;
  algorithm: ItemLog['algorithm'];
  /** Gaplessness of each 档号 sequence, computed once per run. */
  sequences: Map<string, Finding>;
}

const itemNotFound = (archiveCode: string) =>
  notFound('ITEM_NOT_FOUND', `档号“${archiveCode.slice(0, 200)}”不存在`);

export async function checkItem(
  context: CheckContext,
  archiveCode: string,
  actor: string,
  access: AccessContext,
  trigger: CheckTrigger = 'on_demand',
): Promise<CheckReport> {
  const item = await findItem(context.db, archiveCode, false, scopedQuery(access));
  if (!item) throw itemNotFound(archiveCode);
  return runChecks(context, { kind: 'item', value: archiveCode }, [item], actor, trigger);
}

/**
 * The check a filing path runs once the archive is committed (a push, a scan): the report is kept
 * like any other run. Call it after the filing transaction, not inside it. Background work on the
 * item just filed: a system context (jobs).
 */
export function checkItemAfterIngest(
  context: CheckContext,
  archiveCode: string,
  actor: string,
): Promise<CheckReport> {
  return checkItem(context, archiveCode, actor, systemContext('jobs', actor), 'ingest');
}

/** Every item with pages scanned in a digitization batch (数字化批次). */
export async function checkBatch(
  context: CheckContext,
  batchId: number,
  actor: string,
  access: AccessContext,
  trigger: CheckTrigger = 'on_demand',
): Promise<CheckReport> {
  const batch = await batchItemIds(context.db, batchId);
  const items = batch ? await findItemsByIds(context.db, batch.itemIds, scopedQuery(access)) : [];
  if (!batch || (batch.itemIds.length > 0 && items.length === 0))
    throw notFound('SCAN_BATCH_NOT_FOUND', `数字化批次 ${batchId} 不存在`);
  if (items.length === 0) throw invalid('CHECK_NOTHING', `数字化批次“${batch.name}”还没有扫描页，无可检测`);
  if (items.length > MAX_ITEMS_PER_RUN)
    throw invalid('CHECK_TOO_MANY', `一次最多检测 ${MAX_ITEMS_PER_RUN} 件，该批次有 ${items.length} 件`);
  return runChecks(context, { kind: 'batch', value: `${batchId}（${batch.name}）` }, items, actor, trigger);
}

/** Every item of a fonds and year (the usual unit of a transfer, 移交). */
export async function checkFondsYear(
  context: CheckContext,
  target: { fonds: string; year: number },
  actor: string,
  access: AccessContext,
  trigger: CheckTrigger = 'on_demand',
): Promise<CheckReport> {
  const items = await listItems(context.db, {
    fonds: target.fonds,
    year: target.year,
    limit: MAX_ITEMS_PER_RUN + 1,
    scope: scopedQuery(access),
  });
  if (items.length === 0)
    throw notFound('ITEMS_NOT_FOUND', `全宗“${target.fonds.slice(0, 20)}”${target.year} 年度没有档案`);
  if (items.length > MAX_ITEMS_PER_RUN)
    throw invalid('CHECK_TOO_MANY', `一次最多检测 ${MAX_ITEMS_PER_RUN} 件，请按批次或逐件检测`);
  return runChecks(
    context,
    { kind: 'fonds_year', value: `${target.fonds}/${target.year}` },
    items,
    actor,
    trigger,
  );
}

/** A kept run as the caller may see it: items outside the scope are left out, none visible is not found. */
export async function getCheckReport(db: Db, runId: number, access: AccessContext): Promise<CheckReport> {
  const run = await findCheckRun(db, runId);
  const results = run ? await checkResultsOf(db, runId) : [];
  const items = await findItemsByIds(db, [...new Set(results.map((row) => row.itemId))], scopedQuery(access));
  if (!run || items.length === 0) throw notFound('CHECK_NOT_FOUND', `检测记录 ${runId} 不存在`);
  return toReport(run, groupResults(items, results));
}

function groupResults(items: readonly Item[], rows: readonly CheckResultRow[]): ItemResults[] {
  return items.map((item) => ({
    archiveCode: item.archiveCode,
    results: rows.filter((row) => row.itemId === item.id),
  }));
}

async function runChecks(
  context: CheckContext,
  target: { kind: CheckTargetKind; value: string },
  items: readonly Item[],
  actor: string,
  trigger: CheckTrigger,
): Promise<CheckReport> {
  const startedAt = new Date();
  const state: RunState = {
    catalog: await loadCatalogContext(context.db),
    algorithm: (await logHasher(context.db)).algorithm,
    sequences: new Map(),
  };
  const rows: CheckResultRow[] = [];
  for (const item of items) {
    const findings = await checkOneItem(context, state, item, actor);
    for (const check of CHECKS) {
      const finding = findings[check.id];
      rows.push({
        itemId: item.id,
        checkId: check.id,
        status: finding.status,
        detail: finding.detail.slice(0, 4000),
      });
    }
  }
  const failedItems = new Set(rows.filter((row) => row.status === 'fail').map((row) => row.itemId));
  const count = (status: CheckResultRow['status']) => rows.filter((row) => row.status === status).length;
  const runId = await inTransaction(context.db, async (trx) => {
    const id = await insertCheckRun(trx, {
      trigger,
      targetKind: target.kind,
      target: target.value,
      runBy: actor,
      startedAt,
      items: items.length,
      failedItems: failedItems.size,
      passed: count('pass'),
      failed: count('fail'),
      skipped: count('skipped'),
    });
    await insertCheckResults(trx, id, rows);
    recordEvents(
      trx,
      items.map((item) => {
        const own = rows.filter((row) => row.itemId === item.id);
        return {
          actor,
          action: 'item.checked',
          subject: itemSubject(item.archiveCode),
          payload: {
            run: id,
            trigger,
            failed: own.filter((row) => row.status === 'fail').map((row) => row.checkId),
            skipped: own.filter((row) => row.status === 'skipped').map((row) => row.checkId),
          },
        };
      }),
    );
    return id;
  });
  const run = await findCheckRun(context.db, runId);
  return toReport(run as NonNullable<typeof run>, groupResults(items, rows));
}

async function checkOneItem(
  context: CheckContext,
  state: RunState,
  item: Item,
  actor: string,
): Promise<Record<CheckId, Finding>> {
  const facts = await loadFacts(context.db, state, item);
  const dir = await privateTempDir();
  try {
    const copies = await copiesOf(context.db, [...facts.blobs.keys()]);
    const examined: ExaminedFile[] = [];
    for (const file of facts.files) {
      const good = [...(copies.get(file.digest) ?? new Map()).entries()].filter(
        ([, status]) => status === 'ok',
      );
      const replicas = good.map(([name]) => name);
      examined.push(await examineFile(context, file, facts.blobs.get(file.digest), replicas, dir, actor));
    }
    const readable = examined.flatMap((file) =>
      file.content && !file.readError
        ? [{ path: file.content.path, label: fileLabel(file), size: file.content.size }]
        : [],
    );
    const virus = withUnread(
      readable.length > 0 ? await scanForViruses(readable, context.virus) : undefined,
      examined.filter((file) => !file.content || file.readError),
    );
    const issues = metadataIssues(item, state.catalog, context.today ?? new Date());
    return {
      digest: checkDigest(facts, examined),
      metadata_rules: checkMetadataRules(issues),
      archive_code: checkArchiveCode(facts),
      file_attributes: checkFileAttributes(facts, examined),
      required_metadata: checkRequiredMetadata(facts, issues),
      counts: checkCounts(facts),
      item_numbers_gapless: await sequenceFinding(context.db, state, item, facts.pattern),
      opens: checkOpens(examined),
      no_proprietary_compression: checkCompression(examined),
      virus_scan: virus,
      log_unaltered: checkLogUnaltered(facts),
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Files that could not be read were not scanned: that is said, and the check cannot pass. */
function withUnread(scan: Finding | undefined, unread: readonly ExaminedFile[]): Finding {
  if (unread.length === 0) return scan ?? { status: 'skipped', detail: '没有电子文件，无需病毒扫描' };
  const note = `${unread.map(fileLabel).join('、')}内容无法读出，未扫描`;
  if (!scan) return { status: 'skipped', detail: note };
  return { status: scan.status === 'fail' ? 'fail' : 'skipped', detail: `${scan.detail}；${note}` };
}

async function loadFacts(db: Db, state: RunState, item: Item): Promise<ItemFacts> {
  const fonds = state.catalog.fonds.get(item.fonds);
  if (!fonds) throw notFound('FONDS_NOT_FOUND', `全宗“${item.fonds}”不存在`);
  const files = await listItemFiles(db, item.id);
  const blobs = new Map<string, BlobRow>();
  for (const digest of new Set(files.map((file) => file.digest))) {
    const blob = await findBlob(db, digest);
    if (blob) blobs.set(digest, blob);
  }
  return {
    item,
    pattern: fonds.pattern,
    files,
    blobs,
    pages: await scannedPagesOf(db, item.id),
    versions: await listItemVersions(db, item.id),
    log: await itemLog(db, state.algorithm, item.archiveCode, [...blobs.keys()]),
  };
}

async function itemLog(
  db: Db,
  algorithm: ItemLog['algorithm'],
  archiveCode: string,
  digests: string[],
): Promise<ItemLog> {
  const subject = itemSubject(archiveCode);
  const payloads = async (action: string, about = subject, limit = LOG_LIMIT) =>
    (await listEvents(db, { subject: about, action, limit })).map((event) => ({
      seq: event.seq,
      payload: JSON.parse(event.payload) as Record<string, unknown>,
    }));
  const [created] = await payloads('item.created', subject, 1);
  const changes = await payloads('item.changed');
  const latest = changes[0] ?? created;
  const log: ItemLog = {
    algorithm,
    latest: latest && { state: String(latest.payload.state), version: Number(latest.payload.version) },
    replaced: new Map(
      changes.map((change) => [Number(change.payload.version), String(change.payload.previousState)]),
    ),
    filesAdded: new Map(),
    blobsStored: new Map(),
  };
  // Oldest first, so a later event for the same number wins, as in verify.
  for (const added of (await payloads('file.added')).reverse())
    log.filesAdded.set(Number(added.payload.fileNumber), added.payload);
  for (const digest of digests) {
    const [stored] = await payloads('blob.stored', `blob:${digest}`, 1);
    if (stored) log.blobsStored.set(digest, stored.payload);
  }
  return log;
}

async function sequenceFinding(
  db: Db,
  state: RunState,
  item: Item,
  pattern: ArchiveCodePattern,
): Promise<Finding> {
  const parsed = parseArchiveCode(pattern, item.archiveCode);
  if (!parsed) return { status: 'skipped', detail: '档号不符合规则，无法确定所在序列' };
  const key = sequenceKey(pattern, { ...item, ...parsed.values });
  const cacheKey = `${item.fonds}\u0000${key}`;
  const cached = state.sequences.get(cacheKey);
  if (cached) return cached;
  const [prefix = '', suffix = ''] = key.split('{item}');
  const numbers = await sequenceNumbers(db, {
    fondsCode: item.fonds,
    sequenceKey: key,
    prefix,
    suffix,
    categoryId: pattern.tokens.has('category') ? state.catalog.categories.get(item.category)?.id : undefined,
    year: pattern.tokens.has('year') ? item.year : undefined,
    org: pattern.tokens.has('org') ? item.org : undefined,
  });
  const width = pattern.parts.find((part) => 'token' in part && part.token === 'item') as { width: number };
  const code = (number: number) => `${prefix}${String(number).padStart(width.width, '0')}${suffix}`;
  const problems: string[] = [];
  if (numbers.missingCount > 0)
    problems.push(
      `序列 ${key} 件号不连续，缺 ${numbers.missing.map(code).join('、')}${numbers.missingCount > numbers.missing.length ? ` 等 ${numbers.missingCount} 个` : ''}`,
    );
  if (numbers.lastNumber < numbers.maxNumber)
    problems.push(
      `序列计数为 ${numbers.lastNumber}，小于已用的最大件号 ${numbers.maxNumber}，之后归档会重号`,
    );
  const finding: Finding =
    problems.length > 0
      ? { status: 'fail', detail: problems.join('；') }
      : { status: 'pass', detail: `序列 ${key} 共 ${numbers.count} 件，件号 1–${numbers.maxNumber} 连续` };
  state.sequences.set(cacheKey, finding);
  return finding;
}
