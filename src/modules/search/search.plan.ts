import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { collectPage } from './collect.repo.js';
import { provenTerms } from './query.js';
import { noCounts, type SearchSort, scaled } from './search.paging.js';
import {
  type FacetCounts,
  type PageRow,
  type Ranking,
  type SearchSpec,
  type SortKey,
  sampleMatches,
} from './search.repo.js';
import { matchShareBound, splitRarest, type TermStats } from './selectivity.js';
import { indexedRowsEstimate, termStats } from './stats.repo.js';

// How a search is counted: few matches are collected and counted exactly in one pass (and their page
// comes with them); many are estimated from a sample of the index and their page is found by walking
// the date index. Which is which is told from the planner's statistics when they prove the query
// rare, and from the sample otherwise.

/** Matches are always collected (and counted exactly) up to this many, past the walk's crossover. */
const EXACT_LIMIT = 2000;
const SAMPLE_ROWS = 5_000;
/**
 * A row walked down the date index costs about this share of a row collected through the word index
 * and ranked (measured at 10,000,000 items on PostgreSQL: 1.5 µs against 5.8 µs).
 */
const WALKED_ROW_COST = 0.3;
/** Fewer sample hits than this say too little to skip collecting on the estimate alone. */
const MIN_COMMON_HITS = 5;
/** With many matches, relevance ranks the newest this many. */
export const RANK_WINDOW = 100;
/** The lexeme statistics are read again after this long (ANALYZE refreshes them now and then). */
const STATS_TTL_MS = 5 * 60_000;

export interface CountedMatches {
  counts: FacetCounts;
  exact: boolean;
  /** The page, when the matches were collected (exact); otherwise it is walked. */
  rows?: PageRow[];
}

interface Sampled {
  counts: FacetCounts;
  factor: number;
  /** Rows a walk down the date index reads through: all, or those within the year and date bounds. */
  walkedRows: number;
}

const statsCache = new WeakMap<Db, { at: number; stats: Promise<TermStats | null> }>();

/** Statistics just refreshed (the indexer's ANALYZE) are read at the next search. */
export function forgetTermStats(db: Db): void {
  statsCache.delete(db);
}

/** Another process's indexing is seen within this long (this process's at once). */
const SIZE_TTL_MS = 30_000;
const sizeCache = new WeakMap<Db, { at: number; rows: Promise<number> }>();

/** Documents just written change the index's size, which decides whether a search samples. */
export function forgetIndexSize(db: Db): void {
  sizeCache.delete(db);
}

/**
 * New documents (not replaced ones) just written grow the size read last by as many, as they grow
 * the largest item id it is read from: the next search need not read it again.
 */
export function growIndexSize(db: Db, added: number): void {
  const cached = sizeCache.get(db);
  if (cached) sizeCache.set(db, { at: cached.at, rows: cached.rows.then((rows) => rows + added) });
}

/** The index's size, read at most once per TTL: a search's plan needs its order of magnitude only. */
function cachedIndexSize(db: Db): Promise<number> {
  const cached = sizeCache.get(db);
  if (cached && Date.now() - cached.at < SIZE_TTL_MS) return cached.rows;
  const rows = indexedRowsEstimate(db);
  sizeCache.set(db, { at: Date.now(), rows });
  rows.catch(() => sizeCache.delete(db));
  return rows;
}

function cachedTermStats(db: Db): Promise<TermStats | null> {
  const cached = statsCache.get(db);
  if (cached && Date.now() - cached.at < STATS_TTL_MS) return cached.stats;
  const stats = termStats(db).catch(() => null);
  statsCache.set(db, { at: Date.now(), stats });
  return stats;
}

async function sampleIndex(db: Db, spec: SearchSpec, indexed: number): Promise<Sampled> {
  const percent = Math.max(0.01, Math.min(100, (SAMPLE_ROWS / indexed) * 100));
  // A fixed sample per search, so its pages agree with each other.
  const seed = crypto.createHash('sha256').update(JSON.stringify(spec)).digest().readUInt32BE(0) % 1_000_000;
  const sampled = await sampleMatches(db, spec, percent, seed);
  const factor = 100 / percent;
  return {
    counts: sampled.counts,
    factor,
    walkedRows: sampled.inRange === null ? indexed : sampled.inRange * factor,
  };
}

/**
 * Walking the date index finds what is wanted after about wanted/density rows, at a fraction of the
 * cost of a collected row (no bitmap, no ranking); collecting costs one row per match. Past this many
 * matches the walk is the cheaper, so collecting stops there.
 */
function crossoverOf(sort: SearchSort, limit: number, walkedRows: number): number {
  const wanted = sort === 'relevance' ? RANK_WINDOW : limit + 1;
  return Math.max(EXACT_LIMIT, Math.sqrt(wanted * walkedRows * WALKED_ROW_COST));
}

/**
 * Common: even the low end of the sample's estimate (a Poisson count less about two standard
 * deviations) is past the crossover, or the estimate itself is, from enough sample hits. (Matches
 * cluster, as items of one batch share pages, so the sample varies more than a Poisson count: the
 * second test catches what the first misses. Walking a few too many rows costs less than collecting
 * up to the bound only to throw it away.)
 */
function isCommon(sample: Sampled, crossover: number): boolean {
  const hits = sample.counts.total;
  return (
    (hits - 1.96 * Math.sqrt(hits)) * sample.factor > crossover ||
    (hits >= MIN_COMMON_HITS && hits * sample.factor > crossover)
  );
}

/**
 * A query of rare words only (none among the most common lexemes) is collected without a sample while
 * the statistics' bound is within this many times the crossover: the bound adds up every word of an OR
 * at the least listed share, far above what names and their variants match, and a collect that
 * overruns reads short posting lists and at most its bound of rows.
 */
const RARE_WORDS_SLACK = 8;

/** Whether the statistics show the query has few matches, so collecting them is the plan. */
async function surelyFew(db: Db, spec: SearchSpec, indexed: number, crossover: number): Promise<boolean> {
  if (spec.indexQuery === null) return false;
  const stats = await cachedTermStats(db);
  if (!stats) return false;
  const bound = matchShareBound(spec.indexQuery, stats);
  return bound.share * indexed <= crossover * (bound.unlisted ? RARE_WORDS_SLACK : 1);
}

/**
 * The spec with its common words checked row by row, when statistics tell which are common, or not at
 * all when its phrase check proves them.
 */
export async function narrowWordIndex(db: Db, spec: SearchSpec): Promise<SearchSpec> {
  if (spec.indexQuery === null) return spec;
  const stats = await cachedTermStats(db);
  if (!stats) return spec;
  const split = splitRarest(spec.indexQuery, stats, provenTerms(spec.exact));
  return split.indexed === spec.indexQuery && split.checked === null
    ? spec
    : { ...spec, indexQuery: split.indexed, wordCheck: split.checked };
}

export async function countMatches(
  db: Db,
  spec: SearchSpec,
  sort: SearchSort,
  ranking: Omit<Ranking, 'window'>,
  limit: number,
  after: SortKey | undefined,
): Promise<CountedMatches> {
  const indexed = await cachedIndexSize(db);
  const collect = (bound: number | null) => collectPage(db, spec, bound, sort, ranking, limit + 1, after);
  // A small index: every search collects all its matches.
  if (indexed <= SAMPLE_ROWS * 2) {
    const collected = await collect(null);
    return { counts: collected.counts, exact: true, rows: collected.rows };
  }
  const ranged = [spec.dateFrom, spec.dateTo, spec.yearFrom, spec.yearTo].some(
    (bound) => bound !== undefined,
  );
  const unrangedCrossover = crossoverOf(sort, limit, indexed);
  let sample: Sampled | undefined;
  let bound: number;
  // A date range lowers the crossover by an amount only the sample tells: then only the floor of
  // exact counting is trusted.
  if (await surelyFew(db, spec, indexed, ranged ? EXACT_LIMIT : unrangedCrossover)) {
    // Surely rare: no sample is needed to know that collecting is the better plan.
    bound = Math.ceil(unrangedCrossover);
  } else {
    // Otherwise a sample of the index first: when it already holds many matches the query is common,
    // and collecting its matches would read whole posting lists (millions of entries at 10,000,000
    // items) only to stop at the bound.
    sample = await sampleIndex(db, spec, indexed);
    const crossover = crossoverOf(sort, limit, sample.walkedRows);
    if (isCommon(sample, crossover))
      return { counts: scaled(sample.counts, sample.factor, noCounts()), exact: false };
    bound = Math.ceil(crossover);
  }
  const collected = await collect(bound);
  if (collected.counts.total <= bound) return { counts: collected.counts, exact: true, rows: collected.rows };
  // Past the bound, what was counted is a floor under the sample's estimates.
  sample ??= await sampleIndex(db, spec, indexed);
  return { counts: scaled(sample.counts, sample.factor, collected.counts), exact: false };
}
