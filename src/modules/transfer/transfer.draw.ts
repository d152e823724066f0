import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { findItemsByCodes, findItemsByIds, listItems } from '../catalog/item.queries.js';
import type { Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { compileQuery, hasText } from '../search/query.js';
import { MAX_PAGE, search } from '../search/search.service.js';

// The candidate items of a draw: by category, year, a list of 档号 or a person (the catalog's list),
// or by a search query (the search service, as the drawer would search) — always within the drawer's
// scope, never more than a batch holds.

/** A batch's items at most (the bench packs 10,000; a fonds-year is usually far fewer). */
export const MAX_BATCH_ITEMS = 20_000;
const PAGE = 1000;
/** New log events a query draw takes into the index first, so what was just filed is found. */
const CATCH_UP = 5000;

export interface CandidateFilter {
  category?: string;
  year?: number;
  items?: readonly string[];
  idNumber?: string;
  /** A query in the search language (检索式). */
  query?: string;
}

const tooMany = (bound: number) =>
  invalid('TRANSFER_INPUT_INVALID', `符合条件的档案超过 ${bound} 件，请按类别、年度或更具体的检索式分批移交`);

/** The candidate items of a draw, within the caller's scope, in id order. */
export async function candidates(
  db: Db,
  access: AccessContext,
  input: CandidateFilter,
  fonds: string,
  bound = MAX_BATCH_ITEMS,
): Promise<Item[]> {
  if (input.query !== undefined) return candidatesByQuery(db, access, input.query, input, fonds, bound);
  const scope = scopedQuery(access);
  if (input.items && input.items.length > 0) {
    const codes = [...new Set(input.items.map((code) => String(code).trim()))];
    if (codes.length > bound) throw invalid('TRANSFER_INPUT_INVALID', `一个移交批次最多 ${bound} 件`);
    const found = await findItemsByCodes(db, codes, scope);
    const known = new Set(found.map((item) => item.archiveCode));
    const unknown = codes.filter((code) => !known.has(code));
    if (unknown.length > 0)
      throw notFound(
        'ITEM_NOT_FOUND',
        `以下档号不存在或不在您的档案范围内：${unknown.slice(0, 5).join('、').slice(0, 300)}`,
      );
    const outside = found.filter((item) => item.fonds !== fonds);
    if (outside.length > 0)
      throw invalid(
        'TRANSFER_INPUT_INVALID',
        `以下档案不属于全宗 ${fonds}：${outside
          .slice(0, 5)
          .map((item) => item.archiveCode)
          .join('、')}`,
      );
    return found
      .filter(
        (item) =>
          (input.category === undefined || item.category === input.category) &&
          (input.year === undefined || item.year === input.year) &&
          (input.idNumber === undefined || item.idNumber === input.idNumber),
      )
      .sort((a, b) => a.id - b.id);
  }
  const out: Item[] = [];
  let afterId: number | undefined;
  for (;;) {
    const page = await listItems(db, {
      fonds,
      ...(input.category !== undefined ? { category: input.category } : {}),
      ...(input.year !== undefined ? { year: input.year } : {}),
      ...(input.idNumber !== undefined ? { idNumber: input.idNumber } : {}),
      ...(afterId !== undefined ? { afterId } : {}),
      limit: PAGE,
      scope,
    });
    out.push(...page);
    if (out.length > bound) throw tooMany(bound);
    if (page.length < PAGE) return out;
    afterId = page.at(-1)?.id;
  }
}

/**
 * The items a search for `query` finds in the fonds (category and year as the search's filters), page
 * by page in date order, as the drawer would see them: their scope, and sensitive items only under a
 * grant in force (one they may not read is not found, so it is neither listed nor refused). The
 * index must have taken in every filing first, or the batch could silently miss one.
 */
async function candidatesByQuery(
  db: Db,
  access: AccessContext,
  query: string,
  input: CandidateFilter,
  fonds: string,
  bound: number,
): Promise<Item[]> {
  // The fonds is a filter: a query of operators alone would otherwise draw the whole fonds.
  if (!hasText(compileQuery(query)))
    throw invalid('QUERY_EMPTY', '检索式中没有可检索的词，请输入文字、号码或档号');
  const ids: number[] = [];
  let cursor: string | undefined;
  for (let first = true; ; first = false) {
    const result = await search(
      db,
      {
        q: query,
        fonds,
        ...(input.category !== undefined ? { category: input.category } : {}),
        ...(input.year !== undefined ? { yearFrom: input.year, yearTo: input.year } : {}),
        sort: 'date',
        limit: MAX_PAGE,
        ...(cursor ? { cursor } : {}),
      },
      { access, ...(first ? { catchUp: CATCH_UP } : {}) },
    );
    if (result.indexPending > 0)
      throw new YidangError(
        'TRANSFER_INDEX_BEHIND',
        'conflict',
        `检索索引还有 ${result.indexPending} 条新记录未处理，按检索式编制可能漏掉刚归档的档案，请稍后再试`,
      );
    // Counted exactly past the limit: refused before reading two hundred pages.
    if (first && result.exact && result.total > bound) throw tooMany(bound);
    ids.push(...result.hits.map((hit) => hit.item.id));
    if (ids.length > bound) throw tooMany(bound);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  // The records as stored (the hits are disclosed for display), read again within the scope.
  const found = await findItemsByIds(db, [...new Set(ids)], scopedQuery(access));
  return found.filter((item) => item.fonds === fonds).sort((a, b) => a.id - b.id);
}
