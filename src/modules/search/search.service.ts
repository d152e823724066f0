import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid } from '../../shared/errors.js';
import { idNumberIndex } from '../access/field-cipher.js';
import { activeGrants, grantedItemIds } from '../access/grant.repo.js';
import type { ItemScope } from '../access/principal.js';
import { type CategoryRow, listCategories } from '../catalog/catalog.repo.js';
import { findItemsByIds } from '../catalog/item.repo.js';
import { CARRIERS, type Item } from '../catalog/item.schema.js';
import { itemSubject } from '../catalog/item.state.js';
import { appendEvents, type EventInput } from '../integrity/event-log.js';
import { regionName } from '../regions/regions.js';
import { type Highlight, highlightItem } from './highlight.js';
import { indexBacklog, loadPageTexts } from './index.repo.js';
import { catchUpIndex } from './indexer.js';
import { compileQuery, hasText } from './query.js';
import { filterTerms, type SearchFilters } from './search.filters.js';
import {
  countMatches,
  type FacetCounts,
  type FacetDimension,
  indexedRowsEstimate,
  type PageRow,
  pageByDate,
  pageByRelevance,
  type SearchSpec,
  type SortKey,
  sampleMatches,
} from './search.repo.js';
import { quoteLexeme } from './text.js';

// Search: the query and filters become one SQL condition with the user's scope and the gate on
// sensitive items; counts are exact up to EXACT_LIMIT matches and estimated from a sample of the
// index beyond (marked so), which keeps a common word as fast as a rare one.

const EXACT_LIMIT = 1000;
const SAMPLE_ROWS = 5_000;
/** With many matches, relevance ranks the newest this many. */
const RANK_WINDOW = 100;
export const MAX_PAGE = 100;

export type SearchSort = 'relevance' | 'date';

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
  scope?: ItemScope;
  actor?: string;
  now?: Date;
  /** How items are shown to this user (masking); applied before snippets are cut. */
  present?: (items: Item[]) => Promise<Item[]>;
  /** Take in up to this many new log events first, so what was just filed is found. */
  catchUp?: number;
}

function decodeCursor(cursor: string, sort: SearchSort): SortKey {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key[0] === sort) {
      const [, score, year, date, itemId] = key as [string, number | null, number, string, number];
      if (
        Number.isInteger(year) &&
        Number.isSafeInteger(itemId) &&
        /^\d{4}-\d{2}-\d{2}$/.test(date) &&
        (score === null || Number.isSafeInteger(score))
      )
        return { score: score ?? undefined, year, date, itemId };
    }
  } catch {
    // Fall through to the error below.
  }
  throw invalid('CURSOR_INVALID', '翻页标记无效或与排序方式不符，请重新检索');
}

const encodeCursor = (sort: SearchSort, row: PageRow) =>
  Buffer.from(JSON.stringify([sort, row.score, row.year, row.date, row.itemId])).toString('base64url');

function scaled(counts: FacetCounts, factor: number, floor: FacetCounts): FacetCounts {
  const round = (value: number) => {
    if (value < 100) return Math.round(value);
    const magnitude = 10 ** (Math.floor(Math.log10(value)) - 1);
    return Math.round(value / magnitude) * magnitude;
  };
  const facets = {} as FacetCounts['facets'];
  for (const dimension of Object.keys(counts.facets) as FacetDimension[]) {
    const merged = new Map(floor.facets[dimension]);
    for (const [value, count] of counts.facets[dimension])
      merged.set(value, Math.max(round(count * factor), merged.get(value) ?? 0));
    facets[dimension] = merged;
  }
  return { total: Math.max(round(counts.total * factor), floor.total), facets };
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

export async function search(
  db: Db,
  request: SearchRequest,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const now = options.now ?? new Date();
  const compiled = compileQuery(request.q ?? '');
  const categories = await listCategories(db);
  const filters = filterTerms(request, categories);
  const typed = (request.q ?? '').trim() !== '';
  if (typed && !hasText(compiled) && !filters.any)
    throw invalid('QUERY_EMPTY', '检索式中没有可检索的词，请输入文字、号码或筛选条件');
  const sort: SearchSort = request.sort ?? (hasText(compiled) ? 'relevance' : 'date');
  const limit = Math.min(Math.max(request.limit ?? 20, 1), MAX_PAGE);
  const after = request.cursor ? decodeCursor(request.cursor, sort) : undefined;
  const caughtUp = options.catchUp ? await catchUpIndex(db, { maxEvents: options.catchUp }) : undefined;

  const scope = options.scope;
  const ownTerm = scope?.idNumber ? quoteLexeme(`pid:${idNumberIndex(scope.idNumber)}`) : null;
  const parts = [compiled.indexQuery, ...filters.terms].filter((part): part is string => part !== null);
  const spec: SearchSpec = {
    ...filters,
    indexQuery: parts.length > 0 ? parts.join(' & ') : null,
    exact: compiled.exact,
    scope,
    ownTerm,
    gate:
      scope?.grantsFor !== undefined
        ? { grantedIds: await grantedItemIds(db, scope.grantsFor, now) }
        : undefined,
  };

  const exactCount = await countMatches(db, spec, EXACT_LIMIT);
  let counts = exactCount.counts;
  let exact = !exactCount.capped;
  const indexed = exact ? 0 : await indexedRowsEstimate(db);
  if (!exact) {
    if (indexed <= SAMPLE_ROWS * 2) {
      counts = (await countMatches(db, spec, Number.MAX_SAFE_INTEGER)).counts;
      exact = true;
    } else {
      const percent = Math.max(0.01, Math.min(100, (SAMPLE_ROWS / indexed) * 100));
      const seed =
        crypto.createHash('sha256').update(JSON.stringify(spec)).digest().readUInt32BE(0) % 1_000_000;
      counts = scaled(await sampleMatches(db, spec, percent, seed), 100 / percent, counts);
    }
  }

  // Many matches: walking the date index finds what is wanted after about wanted/density rows, while
  // collecting and sorting costs one row per match; take the cheaper (the counts are estimates).
  const wanted = sort === 'relevance' ? RANK_WINDOW : limit + 1;
  const walk = !exact && (wanted * indexed) / Math.max(counts.total, 1) < counts.total;
  const rows =
    sort === 'date'
      ? await pageByDate(db, spec, limit + 1, walk, after)
      : await pageByRelevance(
          db,
          spec,
          {
            rankQuery: compiled.rankQuery,
            exactNames: compiled.exactNames,
            window: walk ? RANK_WINDOW : null,
          },
          limit + 1,
          after,
        );
  const shownRows = rows.slice(0, limit);
  const items = await findItemsByIds(
    db,
    shownRows.map((row) => row.itemId),
  );
  await logSearch(db, items, compiled.idLookups, counts.total, options, now);
  const shown = options.present ? await options.present(items) : items;
  const pages = await loadPageTexts(
    db,
    items.map((item) => item.id),
  );
  const notices = [...compiled.notices];
  if (sort === 'relevance' && walk)
    notices.push(`结果较多，相关度排序只在最新的 ${RANK_WINDOW} 条中进行；可增加条件或改按日期排序`);
  return {
    total: counts.total,
    exact,
    facets: facetValues(counts, categories),
    hits: shown.map((item, index) => ({
      item,
      score: shownRows[index]?.score ?? null,
      highlights: highlightItem(
        item,
        items[index]?.name ?? null,
        pages.get(item.id) ?? [],
        compiled.highlights,
      ),
    })),
    nextCursor: rows.length > limit ? encodeCursor(sort, shownRows.at(-1) as PageRow) : null,
    sort,
    notices,
    indexPending: caughtUp ? caughtUp.backlog : await indexBacklog(db),
  };
}

/** Sensitive items shown under a grant are reads, and a look-up by ID number is noted (masked). */
async function logSearch(
  db: Db,
  items: readonly Item[],
  idLookups: number,
  total: number,
  options: SearchOptions,
  now: Date,
): Promise<void> {
  const actor = options.actor ?? options.scope?.actor ?? 'system';
  const sensitive = items.filter((item) => item.sensitivity !== 'normal');
  const userId = options.scope?.grantsFor;
  const grants =
    userId !== undefined && sensitive.length > 0
      ? await activeGrants(
          db,
          userId,
          sensitive.map((item) => item.id),
          now,
        )
      : new Map();
  const events: EventInput[] = sensitive.map((item) => ({
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
  if (events.length > 0) await inTransaction(db, (trx) => appendEvents(trx, events));
}
