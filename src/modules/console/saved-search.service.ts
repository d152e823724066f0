import { Value } from '@sinclair/typebox/value';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, notFound } from '../../shared/errors.js';
import type { Principal } from '../access/principal.js';
import { maskIdNumber, refuseIdNumberInText } from '../catalog/id-number.js';
import { recordEvent } from '../integrity/event-log.js';
import { MAX_QUERY_LENGTH } from '../search/query.js';
import {
  countSavedSearches,
  deleteSavedSearch,
  findSavedSearch,
  listSavedSearches,
  lockUserSearches,
  type SavedSearchRow,
  upsertSavedSearch,
} from './saved-search.repo.js';
import {
  MAX_NAME_LENGTH,
  MAX_SAVED_SEARCHES,
  type SavedSearch,
  type SearchFilters,
  SearchFiltersSchema,
} from './saved-search.schema.js';

// Each user's saved searches (检索方案): their own, never another's. A change commits with its
// event; the event keeps the name (ID numbers masked) and a digest of the search, not its words.

const CONTROL = /\p{Cc}/u;
const SEARCH_ADVICE = '按身份证号的检索不能保存为检索方案（方案按原文保存），请直接检索';
const ID_NUMBER_IN_TEXT = /\d{17}[\dXx]/g;

/** The name as stored: trimmed, 1–40 characters, no control characters. */
export function savedSearchName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  const length = [...name].length;
  if (length === 0) throw invalid('SAVED_SEARCH_NAME_INVALID', '检索方案名称不能为空');
  if (length > MAX_NAME_LENGTH)
    throw invalid('SAVED_SEARCH_NAME_INVALID', `检索方案名称过长：最多 ${MAX_NAME_LENGTH} 个字符`);
  if (CONTROL.test(name)) throw invalid('SAVED_SEARCH_NAME_INVALID', '检索方案名称不能含有控制字符');
  return name;
}

function checkSearch(query: string, filters: unknown): SearchFilters {
  if (typeof query !== 'string') throw invalid('SAVED_SEARCH_INVALID', '检索式应为文字');
  if ([...query].length > MAX_QUERY_LENGTH)
    throw invalid('QUERY_TOO_LONG', `检索式过长（最多 ${MAX_QUERY_LENGTH} 个字符）`);
  if (!Value.Check(SearchFiltersSchema, filters)) {
    const [first] = Value.Errors(SearchFiltersSchema, filters);
    const field = first?.path.replace(/^\//, '') || 'filters';
    throw invalid('SAVED_SEARCH_INVALID', `筛选条件“${field.slice(0, 40)}”无效：应为检索接口的同名参数`);
  }
  return filters;
}

const toView = (row: SavedSearchRow): SavedSearch => ({
  name: row.name,
  query: row.query,
  filters: row.filters as SearchFilters,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const subjectOf = (principal: Principal) => `user:${principal.username}`;
const nameForLog = (name: string) => name.replace(ID_NUMBER_IN_TEXT, (id) => maskIdNumber(id) ?? '');

export async function mySavedSearches(db: Db, principal: Principal): Promise<SavedSearch[]> {
  return (await listSavedSearches(db, principal.userId)).map(toView);
}

/** Saves under the name, replacing a search of the same name; a new one must fit in the limit. */
export async function saveSearch(
  db: Db,
  principal: Principal,
  rawName: string,
  search: { query: string; filters?: unknown },
  now = new Date(),
): Promise<SavedSearch> {
  const name = savedSearchName(rawName);
  const filters = checkSearch(search.query, search.filters ?? {});
  // A saved search is kept as typed: a search by ID number is run, never stored.
  refuseIdNumberInText('检索方案', { name, query: search.query, filters }, SEARCH_ADVICE);
  return inTransaction(db, async (trx) => {
    await lockUserSearches(trx, principal.userId);
    const replacing = (await findSavedSearch(trx, principal.userId, name)) !== undefined;
    if (!replacing && (await countSavedSearches(trx, principal.userId)) >= MAX_SAVED_SEARCHES)
      throw invalid(
        'SAVED_SEARCH_LIMIT',
        `检索方案已达上限（每人最多 ${MAX_SAVED_SEARCHES} 个），请先删除不再使用的方案`,
      );
    const row = await upsertSavedSearch(trx, principal.userId, { name, query: search.query, filters }, now);
    recordEvent(trx, {
      actor: principal.username,
      action: 'search.saved',
      subject: subjectOf(principal),
      // The digest is of the saved search, not of the account the event is filed under (whose state
      // `verify` checks): stateOf says whose it is.
      payload: { name: nameForLog(name), replaced: replacing, stateOf: `saved-search:${principal.userId}` },
      state: { name, query: search.query, filters },
    });
    return toView(row);
  });
}

export async function unsaveSearch(db: Db, principal: Principal, rawName: string): Promise<void> {
  const name = savedSearchName(rawName);
  await inTransaction(db, async (trx) => {
    await lockUserSearches(trx, principal.userId);
    if (!(await deleteSavedSearch(trx, principal.userId, name)))
      throw notFound('SAVED_SEARCH_NOT_FOUND', `没有名为“${nameForLog(name)}”的检索方案`);
    recordEvent(trx, {
      actor: principal.username,
      action: 'search.unsaved',
      subject: subjectOf(principal),
      payload: { name: nameForLog(name) },
    });
  });
}
