import type { QueryOf, ResponseOf } from '../../api/types';
import { FILTER_LABELS as LABELS_OF_FILTERS } from '../../app/labels';

// A search lives in the URL's query string with the API's own parameter names (q, category,
// yearFrom …), so a search can be bookmarked, shared and walked back with the browser's back button.

export type SearchQuery = QueryOf<'/api/v1/search', 'get'>;
export type SearchAnswer = ResponseOf<'/api/v1/search', 'get'>;
export type SearchHit = SearchAnswer['hits'][number];
export type FacetName = keyof SearchAnswer['facets'];
export type SavedSearch = ResponseOf<'/api/v1/saved-searches', 'get'>['searches'][number];
export type SavedFilters = SavedSearch['filters'];

/** The filter parameters (everything but the words, the sort and the page). */
export const FILTER_KEYS = [
  'category',
  'fonds',
  'yearFrom',
  'yearTo',
  'retention',
  'region',
  'carrier',
  'sensitivity',
  'amountMin',
  'amountMax',
  'dateFrom',
  'dateTo',
  'handler',
  'agency',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string>>;

/** The filters' Chinese names (the server's vocabulary). */
export const FILTER_LABELS: Record<FilterKey, string> = LABELS_OF_FILTERS;

export const PAGE_SIZE = 20;

export interface SearchState {
  q: string;
  filters: Filters;
  sort: 'relevance' | 'date';
  cursor?: string;
}

export function readState(params: URLSearchParams): SearchState {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return {
    q: params.get('q') ?? '',
    filters,
    sort: params.get('sort') === 'date' ? 'date' : 'relevance',
    cursor: params.get('cursor') ?? undefined,
  };
}

export function writeState(state: SearchState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.q.trim()) params.set('q', state.q.trim());
  for (const key of FILTER_KEYS) {
    const value = state.filters[key]?.trim();
    if (value) params.set(key, value);
  }
  if (state.sort === 'date') params.set('sort', 'date');
  if (state.cursor) params.set('cursor', state.cursor);
  return params;
}

const integer = (value: string | undefined) => {
  if (value === undefined) return undefined;
  const number = Number(value);
  return Number.isInteger(number) ? number : undefined;
};

/** The API query of a state; a year that is not a number is left to the server to refuse. */
export function apiQuery(state: SearchState): SearchQuery {
  const { yearFrom, yearTo, ...rest } = state.filters;
  const query: SearchQuery = { ...rest, limit: PAGE_SIZE, sort: state.sort };
  if (state.q.trim()) query.q = state.q.trim();
  if (yearFrom) query.yearFrom = integer(yearFrom) ?? (yearFrom as unknown as number);
  if (yearTo) query.yearTo = integer(yearTo) ?? (yearTo as unknown as number);
  if (state.cursor) query.cursor = state.cursor;
  return query;
}

/** A saved search's filters in the API's shape (years as numbers, the sort included). */
export function savedFilters(state: SearchState): SavedFilters {
  const { yearFrom, yearTo, ...rest } = state.filters;
  const filters: SavedFilters = { ...rest };
  const from = integer(yearFrom);
  const to = integer(yearTo);
  if (from !== undefined) filters.yearFrom = from;
  if (to !== undefined) filters.yearTo = to;
  if (state.sort === 'date') filters.sort = 'date';
  return filters;
}

export function stateOfSaved(saved: SavedSearch): SearchState {
  const { sort, ...rest } = saved.filters;
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = rest[key];
    if (value !== undefined && value !== null && String(value) !== '') filters[key] = String(value);
  }
  return { q: saved.query, filters, sort: sort === 'date' ? 'date' : 'relevance' };
}

/** What a facet value sets when clicked, and whether it is the filter in force. */
export function facetFilter(facet: FacetName, value: string): Filters {
  if (facet === 'year') return { yearFrom: value, yearTo: value };
  return { [facet]: value };
}

export function facetActive(filters: Filters, facet: FacetName, value: string): boolean {
  if (facet === 'year') return filters.yearFrom === value && filters.yearTo === value;
  return filters[facet] === value;
}
