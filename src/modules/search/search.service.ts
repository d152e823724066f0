import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn, type GrantInForce } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { type CategoryRow, listCategories } from '../catalog/catalog.queries.js';
import { discloseItems } from '../catalog/item.disclose.js';
import { gateItems } from '../catalog/item.gate.js';
import { findItemsByIds } from '../catalog/item.queries.js';
import { CARRIERS, type Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { itemSubject } from '../catalog/item.state.js';
import { type EventInput, recordEvents } from '../integrity/event-log.js';
import { regionName } from '../regions/regions.js';
import { type Highlight, highlightItem } from './highlight.js';
import { indexBacklog, loadPageTexts } from './index.repo.js';
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
  categoryRows: readonly CategoryRow[],
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
  const categories = await listCategories(db);
  const filters = filterTerms(request, categories);
  const typed = (request.q ?? '').trim() !== '';
  if (typed && !hasText(compiled) && !filters.any)
    throw invalid('QUERY_EMPTY', '检索式中没有可检索的词，请输入文字、号码或筛选条件');
  const sort: SearchSort = request.sort ?? (hasText(compiled) ? 'relevance' : 'date');
  const limit = Math.min(Math.max(request.limit ?? 20, 1), MAX_PAGE);
  const cursor = request.cursor ? decodeCursor(request.cursor, sort) : undefined;
  const after = cursor?.key;
  const caughtUp = options.catchUp ? await catchUp(db, options.catchUp) : undefined;

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
    gate:
      access.kind === 'principal' && access.scope.grantsFor !== undefined
        ? { grantedIds: await access.grants.itemIds(db, now) }
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
  const pages = await loadPageTexts(
    db,
    items.map((item) => item.id),
  );
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
    indexPending: caughtUp ? caughtUp.backlog : await indexBacklog(db),
  };
}

/**
 * Takes in recent filings before searching, unless the backlog is larger than `bound` (then the
 * background indexer is at it). An indexing failure never fails the search: it answers from the index
 * as it stands, and indexPending tells the user it is behind.
 */
async function catchUp(db: Db, bound: number): Promise<{ backlog: number }> {
  const pending = await indexBacklog(db, bound + 1);
  if (pending === 0 || pending > bound) return { backlog: pending };
  try {
    return await catchUpIndex(db, { maxEvents: bound });
  } catch {
    return { backlog: pending };
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
      payload: { lookups: idLookups, results: total },
    });
  if (events.length > 0) await inTransaction(db, async (trx) => recordEvents(trx, events));
}
