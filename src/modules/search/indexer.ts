import type { Db } from '../../db/database.js';
import { systemContext } from '../../shared/access-context.js';
import { inTransaction } from '../../db/transaction.js';
import { type LogFollower, type LogFollowerOptions, startLogFollower } from '../jobs/log-follower.js';
import {
  analyzeDatabase,
  clearIndex,
  INDEXED_ACTIONS,
  type IndexedItemRow,
  indexBacklog,
  loadItemsToIndex,
  loadPageTexts,
  lockIndexState,
  mergePendingTerms,
  readEventsAfter,
  statisticsMissing,
  tidyIndex,
  upsertDocs,
} from './index.repo.js';
import { compactName, nameTerms } from './names.js';
import { forgetIndexSize, forgetTermStats, growIndexSize } from './search.plan.js';
import type { SearchDocTable } from './search.tables.js';
import { indexedRowsEstimate } from './stats.repo.js';
import { archiveCodeTerm, hanTerms, idWordIndex, normalizeText, quoteLexeme, textRuns } from './text.js';

// The index follows the log over every item, as the system.
const INDEXER = systemContext('indexer');

// The indexer follows the event log: every filing, edit, attached file or recorded page text names
// its item, and the item's document is rebuilt from what is stored now. Reading the log instead of
// being called by filing keeps the GIN index off the filing path (its inserts are the slow part),
// and a crash between batches loses nothing: the position in the log commits with the documents.

const INDEXED = new Set<string>(INDEXED_ACTIONS);
/** A tsvector holds at most 1 MB; page text beyond this much is left out of an item's terms. */
const MAX_TERMS_TEXT = 900_000;
/** The background indexer analyzes or vacuums the index after at least this many new or replaced documents. */
const UPKEEP_AFTER = 10_000;

/**
 * The terms of one item. Only 题名 terms carry a position (weight A), so ts_rank counts a title match
 * ten times one elsewhere; positions cost bytes in every row, and row width is what counting many
 * matches pays for.
 */
class Terms {
  private readonly title = new Set<string>();
  private readonly other = new Set<string>();
  private size = 0;

  add(lexeme: string, inTitle = false): void {
    if (this.title.has(lexeme) || (!inTitle && this.other.has(lexeme))) return;
    if (!this.other.has(lexeme)) {
      if (this.size + lexeme.length * 3 + 8 > MAX_TERMS_TEXT) return;
      this.size += lexeme.length * 3 + 8;
    }
    if (inTitle) {
      this.other.delete(lexeme);
      this.title.add(lexeme);
    } else this.other.add(lexeme);
  }

  addText(text: string | null | undefined, inTitle = false): void {
    if (text) this.addNormalized(normalizeText(text), inTitle);
  }

  addNormalized(normalized: string, inTitle = false): void {
    for (const run of textRuns(normalized)) {
      if (run.kind === 'han') for (const term of hanTerms(run.value)) this.add(term, inTitle);
      else {
        // An ID number in text is findable by its blind index and never stored in the clear.
        const idIndex = idWordIndex(run.value);
        this.add(idIndex === null ? run.value : `id:${idIndex}`, inTitle && idIndex === null);
      }
    }
  }

  toTsvector(): string {
    const parts: string[] = [];
    for (const lexeme of this.title) parts.push(`${quoteLexeme(lexeme)}:1A`);
    for (const lexeme of this.other) parts.push(quoteLexeme(lexeme));
    return parts.join(' ');
  }
}

function extraTexts(extra: Record<string, unknown>): string[] {
  return Object.values(extra).flatMap((value) =>
    typeof value === 'string' || typeof value === 'number' ? [String(value)] : [],
  );
}

/** The search document of an item and its page texts. */
export function buildDoc(
  row: IndexedItemRow,
  pages: ReadonlyArray<{ page: number; text: string }> = [],
): SearchDocTable {
  const terms = new Terms();
  const title = normalizeText(row.title);
  terms.addNormalized(title, true);
  const normalized = (text: string | null | undefined) =>
    typeof text === 'string' && text !== '' ? normalizeText(text) : null;
  const extras = extraTexts(row.extra).map(normalized);
  const [name, businessType, docNumber, insuredNumber] = [
    row.person_name,
    row.business_type,
    row.doc_number,
    row.insured_number,
  ].map(normalized);
  for (const text of [name, businessType, docNumber, insuredNumber, ...extras])
    if (text) terms.addNormalized(text);
  // Every text a phrase may be found in besides the title and the pages, as the search's recheck reads it.
  const body = [
    name,
    businessType,
    normalized(row.archive_code),
    normalized(row.received_code),
    docNumber,
    normalized(row.responsible),
    normalized(row.handler),
    normalized(row.handling_agency),
    insuredNumber,
    ...extras,
  ]
    .filter((text): text is string => text !== null)
    .map((text) => text.replaceAll('\n', ' '))
    .join('\n');
  // Values shared by whole runs of items (the agency, the staff member) are filters, not words: as
  // words they would add the same twenty terms to every row for matches nobody needs.
  terms.add(archiveCodeTerm(row.archive_code));
  // A received item is found by its sender's 档号 (原档号) as by its own.
  if (row.received_code) terms.add(archiveCodeTerm(row.received_code));
  for (const term of nameTerms(row.person_name)) terms.add(term);
  // The record's own person (pid:) is kept apart from numbers merely mentioned in its text (id:):
  // only the former makes it a 参保人's own record.
  if (row.id_number_index) terms.add(`pid:${row.id_number_index}`);
  if (row.handler) terms.add(`h:${compactName(row.handler)}`);
  if (row.handling_agency) terms.add(`a:${compactName(row.handling_agency)}`);
  if (row.responsible) terms.add(`a:${compactName(row.responsible)}`);
  // Facet values as terms too: a filter joins the index look-up instead of sifting its matches.
  terms.add(`c:${row.category_id}`);
  terms.add(`y:${row.year}`);
  terms.add(`k:${row.carrier}`);
  if (row.pooling_region) terms.add(`r:${row.pooling_region}`);
  for (const page of pages) terms.addText(page.text);
  return {
    item_id: Number(row.id),
    fonds_code: row.fonds_code,
    category_id: row.category_id,
    year: row.year,
    retention: row.retention,
    pooling_region: row.pooling_region,
    carrier: row.carrier,
    sensitivity: row.sensitivity,
    doc_date: row.doc_date,
    amount: row.amount,
    version: row.version,
    title,
    body,
    terms: terms.toTsvector(),
  };
}

export interface IndexRun {
  /** Events read from the log. */
  events: number;
  /** Item documents written. */
  documents: number;
  /** Of those, documents that replaced an earlier one (a dead row each until VACUUM). */
  replaced: number;
  /** Events still to read when the run stopped. */
  backlog: number;
}

export interface CatchUpOptions {
  /** Events per transaction. */
  batch?: number;
  /** Stop after this many events (the rest waits for the next run). */
  maxEvents?: number;
  onProgress?: (done: number, backlog: number) => void;
  /**
   * Merge the word index's pending entries only once this many documents are waiting there (0, the
   * default: after every run that wrote one). A search taking in a filing or two leaves them for later.
   */
  mergeAfter?: number;
}

/** Documents written since the pending entries were last merged, per database. */
const unmerged = new WeakMap<Db, number>();

/** Takes in the events filed since the last run, one transaction per batch. */
export async function catchUpIndex(db: Db, options: CatchUpOptions = {}): Promise<IndexRun> {
  const batch = options.batch ?? 5000;
  const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
  let events = 0;
  let documents = 0;
  let replaced = 0;
  let exhausted = false;
  for (;;) {
    const wanted = Math.min(batch, maxEvents - events);
    const step = await inTransaction(db, async (trx) => {
      const lastSeq = await lockIndexState(trx);
      const read = await readEventsAfter(trx, lastSeq, wanted);
      if (read.length === 0) return { read: 0, written: 0, replaced: 0 };
      const codes = new Set<string>();
      for (const event of read)
        if (INDEXED.has(event.action) && event.subject.startsWith('item:'))
          codes.add(event.subject.slice('item:'.length));
      const rows = await loadItemsToIndex(trx, [...codes], INDEXER);
      const pages = await loadPageTexts(
        trx,
        rows.map((row) => Number(row.id)),
      );
      const docs = rows.map((row) => buildDoc(row, pages.get(Number(row.id))));
      // The documents and the new position in one statement.
      const replacedDocs = await upsertDocs(trx, docs, (read.at(-1) as { seq: number }).seq);
      return { read: read.length, written: docs.length, replaced: replacedDocs };
    });
    events += step.read;
    documents += step.written;
    replaced += step.replaced;
    // Fewer events than asked for: the log held no more when this batch read it.
    exhausted = step.read < wanted;
    if (exhausted || events >= maxEvents) break;
    options.onProgress?.(events, await indexBacklog(db));
  }
  if (documents > 0) growIndexSize(db, documents - replaced);
  const waiting = (unmerged.get(db) ?? 0) + documents;
  unmerged.set(db, waiting);
  // Only an optimisation (it needs to own the index): a failure leaves the entries where they are.
  if (waiting > 0 && waiting >= (options.mergeAfter ?? 0))
    await mergePendingTerms(db).then(
      () => unmerged.set(db, 0),
      () => {},
    );
  return { events, documents, replaced, backlog: exhausted ? 0 : await indexBacklog(db) };
}

/**
 * Forgets the index and builds it again from the first event (`yidang reindex`), then reclaims the
 * space of the old rows and refreshes the planner's statistics: the embedded engine has no
 * autovacuum, and a table half dead rows makes every sample and walk read twice the pages.
 */
export async function rebuildIndex(db: Db, options: CatchUpOptions = {}): Promise<IndexRun> {
  await inTransaction(db, (trx) => clearIndex(trx));
  forgetIndexSize(db);
  const run = await catchUpIndex(db, options);
  await tidyIndex(db);
  await analyzeDatabase(db);
  forgetTermStats(db);
  return run;
}

/**
 * What autovacuum does on PostgreSQL, for PGlite, which has none: statistics refreshed once a tenth
 * of the index is new (searches plan by them), and dead rows reclaimed once replaced documents reach
 * a fifth of it (a bloated table makes every sample and collect read more pages). On PGlite a VACUUM
 * holds the database for its length: about 13 s at 1,000,000 items.
 */
function indexUpkeep(db: Db, threshold: number): (run: IndexRun) => Promise<void> {
  let sinceAnalyze = 0;
  let sinceVacuum = 0;
  return async (run) => {
    sinceAnalyze += run.documents;
    sinceVacuum += run.replaced;
    if (sinceAnalyze < threshold && sinceVacuum < threshold) return;
    const rows = await indexedRowsEstimate(db);
    if (sinceVacuum >= threshold && sinceVacuum >= 0.2 * rows) {
      await tidyIndex(db);
      await analyzeDatabase(db);
      forgetTermStats(db);
      sinceAnalyze = 0;
      sinceVacuum = 0;
    } else if (sinceAnalyze >= threshold && sinceAnalyze >= 0.1 * rows) {
      // The items and the log grow with the index: every table's statistics, not only the index's.
      await analyzeDatabase(db);
      forgetTermStats(db);
      sinceAnalyze = 0;
    }
  };
}

export type BackgroundIndexer = LogFollower;

/**
 * The server's indexer: small batches while there is a backlog (so requests get the database in
 * between), then a look every `idleMs`. A failed pass is reported and retried at the next look.
 * With a lease, only the server holding it indexes (several servers on one database follow the log
 * once); the others look again each idleMs and take over when the holder's lease lapses.
 */
export function startIndexer(
  db: Db,
  options: LogFollowerOptions & { upkeepAfter?: number } = {},
): BackgroundIndexer {
  const upkeep = indexUpkeep(db, options.upkeepAfter ?? UPKEEP_AFTER);
  let checkedStatistics = false;
  return startLogFollower(async () => {
    // A home filled before the upkeep analyzed every table gets its statistics once.
    if (!checkedStatistics && (await statisticsMissing(db))) await analyzeDatabase(db);
    checkedStatistics = true;
    const run = await catchUpIndex(db, { batch: 2000, maxEvents: 2000 });
    try {
      await upkeep(run);
    } catch (error) {
      // Reported like a failed pass, but a backlog is still followed soon.
      options.onError?.(error as Error);
    }
    return run.backlog > 0;
  }, options);
}
