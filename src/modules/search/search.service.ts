import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn, type GrantInForce } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { grantedItemIdsSql } from '../access/access.queries.js';
import type { CategoryBrief } from '../catalog/catalog.queries.js';
import { discloseItems } from '../catalog/item.disclose.js';
import { gateItems } from '../catalog/item.gate.js';
import { findItemsByIds } from '../catalog/item.queries.js';
import { CARRIERS, type Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { itemSubject } from '../catalog/item.state.js';
import { type EventInput, recordEvents } from '../integrity/event-log.js';
import { regionName } from '../regions/regions.js';
import { type Highlight, highlightItem } from './highlight.js';
import { searchPrelude } from './index.repo.js';
import { catchUpIndex } from './indexer.js';
import { compileQuery, hasText } from './query.js';
import { filterTerms, type SearchFilters } from './search.filters.js';
import { decodeCursor, encodeCursor, type SearchSort } from './search.paging.js';
import { countMatches, narrowWordIndex, RANK_WINDOW } from './search.plan.js';

import {
  type FacetCounts,
  type FacetDimension,
  type PageRow,
  pageByDate,
  pageByRelevance,
  type SearchSpec,
} from './search.repo.js';
import { quoteLexeme } from './text.js';

export type { SearchSort };

// Search: the query and filters become one SQL condition with the user's scope and the gate on
// sensitive items; counts are exact while the matches are few enough to collect and estimated from a
// sample of the index beyond (marked so), which keeps a common word as fast as a rare one.

export const MAX_PAGE = 100;
/** The backlog is counted up to this many events when the search does not catch up. */
const BACKLOG_BOUND = 100_000;
/**
 * A search that takes in recent filings leaves the word index's new entries pending until this many
 * documents wait there: a few hundred pending entries cost a search little, a merge per search more.
 */
const MERGE_AFTER = 100;

export interface SearchRequest extends SearchFilters {
  q?: string;
  sort?: SearchSort;
  limit?: number;
  cursor?: string;
}

export interface FacetValue {
  value: string;
  label: string;
  count: number;
}

export interface SearchHit {
  item: Item;
  score: number | null;
  highlights: Highlight[];
}

export interface SearchResult {
  total: number;
  /** False when counts are estimated from a sample (many matches): shown as 约. */
  exact: boolean;
  facets: Record<FacetDimension, FacetValue[]>;
  hits: SearchHit[];
  nextCursor: string | null;
  sort: SearchSort;
  notices: string[];
  /** Log events the index has not taken in yet (recent filings may be missing). */
  indexPending: number;
}

export interface SearchOptions {
  /** Who searches: their scope and grants decide the hits, their disclosure how items are shown. */
  access: AccessContext;
  actor?: string;
  now?: Date;
  /** Take in up to this many new log events first, so what was just filed is found. */
  catchUp?: number;
}

function facetValues(
  counts: FacetCounts,
  categoryRows: readonly CategoryBrief[],
): Record<FacetDimension, FacetValue[]> {
  const categories = new Map(categoryRows.map((row) => [String(row.id), row]));
  const sorted = (map: Map<string, number>, label: (value: string) => { value: string; label: string }) =>
    [...map].map(([value, count]) => ({ ...label(value), count })).sort((a, b) => b.count - a.count);
  return {
    category: sorted(counts.facets.category, (id) => ({
      value: categories.get(id)?.code ?? id,
      label: categories.get(id)?.name ?? id,
    })),
    year: sorted(counts.facets.year, (year) => ({ value: year, label: `${year}年` })).sort(
      (a, b) => Number(b.value) - Number(a.value),
    ),
    region: sorted(counts.facets.region, (code) => ({ value: code, label: regionName(code) ?? code })),
    carrier: sorted(counts.facets.carrier, (code) => ({
      value: code,
      label: CARRIERS[code as keyof typeof CARRIERS] ?? code,
    })),
  };
}

export async function search(db: Db, request: SearchRequest, options: SearchOptions): Promise<SearchResult> {
  const now = options.now ?? new Date();
  const compiled = compileQuery(request.q ?? '');
  // The index's backlog and the category scheme in one statement.
  const prelude = await searchPrelude(db, options.catchUp ? options.catchUp + 1 : BACKLOG_BOUND);
  const { categories } = prelude;
  const filters = filterTerms(request, categories);
  const typed = (request.q ?? '').trim() !== '';
  if (typed && !hasText(compiled) && !filters.any)
    throw invalid('QUERY_EMPTY', '检索式中没有可检索的词，请输入文字、号码或筛选条件');
  const sort: SearchSort = request.sort ?? (hasText(compiled) ? 'relevance' : 'date');
  const limit = Math.min(Math.max(request.limit ?? 20, 1), MAX_PAGE);
  const cursor = request.cursor ? decodeCursor(request.cursor, sort) : undefined;
  const after = cursor?.key;
  const indexPending = options.catchUp
    ? await catchUp(db, prelude.pending, options.catchUp)
    : prelude.pending;

  const { access } = options;
  const scope = access.kind === 'principal' ? access.scope : undefined;
  const ownTerm = scope?.idNumber ? quoteLexeme(`pid:${idNumberIndex(scope.idNumber)}`) : null;
  const parts = [compiled.indexQuery, ...filters.terms].filter((part): part is string => part !== null);
  const spec: SearchSpec = await narrowWordIndex(db, {
    ...filters,
    indexQuery: parts.length > 0 ? parts.join(' & ') : null,
    exact: compiled.exact,
    scope: scopedQuery(access),
    ownTerm,
    // The grants in force, as a subquery of the search's own statement.
    gate:
      access.kind === 'principal' && access.scope.grantsFor !== undefined
        ? { granted: grantedItemIdsSql(access.scope.grantsFor, now) }
        : undefined,
  });

  const ranking = { rankQuery: compiled.rankQuery, exactNames: compiled.exactNames };
  const { counts, exact, rows: collectedRows } = await countMatches(db, spec, sort, ranking, limit, after);
  // Later pages keep the first page's plan, so a ranking is never switched halfway.
  const walk = cursor ? cursor.windowed : !exact;
  const rows =
    collectedRows ??
    (sort === 'date'
      ? await pageByDate(db, spec, limit + 1, walk, after)
      : await pageByRelevance(db, spec, { ...ranking, window: walk ? RANK_WINDOW : null }, limit + 1, after));
  const shownRows = rows.slice(0, limit);
  const { items, grants } = await visibleItems(
    db,
    shownRows.map((row) => row.itemId),
    options,
    now,
  );
  await logSearch(db, items, grants, compiled.idLookups, counts.total, options);
  // Disclosed (masked unless unmasked with a purpose) before snippets are cut.
  const shown = await discloseItems(db, access, items);
  // The page texts came with the page's rows.
  const pages = new Map(shownRows.map((row) => [row.itemId, row.pages ?? []]));
  const notices = [...compiled.notices];
  if (sort === 'relevance' && walk && !exact)
    notices.push(`结果较多，相关度排序只在最新的 ${RANK_WINDOW} 条中进行；可增加条件或改按日期排序`);
  return {
    total: counts.total,
    exact,
    facets: facetValues(counts, categories),
    hits: shown.map((item, index) => ({
      item,
      score: shownRows.find((row) => row.itemId === item.id)?.score ?? null,
      highlights: highlightItem(
        item,
        items[index]?.name ?? null,
        pages.get(item.id) ?? [],
        compiled.highlights,
      ),
    })),
    nextCursor: rows.length > limit ? encodeCursor(sort, walk, shownRows.at(-1) as PageRow) : null,
    sort,
    notices,
    indexPending,
  };
}

/**
 * Takes in recent filings before searching, unless the backlog is larger than `bound` (then the
 * background indexer is at it). An indexing failure never fails the search: it answers from the index
 * as it stands, and the backlog it returns tells the user it is behind.
 */
async function catchUp(db: Db, pending: number, bound: number): Promise<number> {
  if (pending === 0 || pending > bound) return pending;
  try {
    return (await catchUpIndex(db, { maxEvents: bound, mergeAfter: MERGE_AFTER })).backlog;
  } catch {
    return pending;
  }
}

/**
 * The hits as stored now: the index may lag an edit, so scope and the sensitive gate are checked
 * again on the live rows, and an item that no longer passes is left out of the page.
 */
async function visibleItems(
  db: Db,
  ids: readonly number[],
  options: SearchOptions,
  now: Date,
): Promise<{ items: Item[]; grants: Map<number, GrantInForce> }> {
  const items = await findItemsByIds(db, ids, scopedQuery(options.access));
  const { grants, ungranted } = await gateItems(db, items, options.access, now);
  return { items: items.filter((item) => !ungranted.has(item.id)), grants };
}

/** Sensitive items shown are reads (naming the grant), and a look-up by ID number is noted (masked). */
async function logSearch(
  db: Db,
  items: readonly Item[],
  grants: ReadonlyMap<number, GrantInForce>,
  idLookups: number,
  total: number,
  options: SearchOptions,
): Promise<void> {
  const actor = options.actor ?? actorIn(options.access);
  const events: EventInput[] = items
    .filter((item) => item.sensitivity !== 'normal')
    .map((item) => ({
      actor,
      action: 'item.read',
      subject: itemSubject(item.archiveCode),
      payload: {
        sensitivity: item.sensitivity,
        purpose: grants.get(item.id)?.purpose ?? null,
        grantId: grants.get(item.id)?.id ?? null,
        via: 'search',
      },
    }));
  if (idLookups > 0)
    events.push({
      actor,
      action: 'search.id_lookup',
      subject: `user:${actor}`,
      // The 档号 shown, so each person found can be told of the hit (never the number looked up).
      payload: { lookups: idLookups, results: total, items: items.map((item) => item.archiveCode) },
    });
  if (events.length > 0) await inTransaction(db, async (trx) => recordEvents(trx, events));
}
