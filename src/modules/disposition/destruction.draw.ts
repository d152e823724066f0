import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { accessContextOf, authorize, type Principal } from '../access/principal.js';
import { maskItem } from '../catalog/item.mask.js';
import { countInScope, findItemsByIds, lockItems } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { destroyedOf } from '../catalog/tombstone.js';
import { recordEvent } from '../integrity/event-log.js';
import { scannedPageCounts } from '../scan/scan.queries.js';
import { fileDigestsOf } from '../storage/storage.queries.js';
import { itemsDecidedForDestruction } from './appraisal.queries.js';
import {
  dayOf,
  digestOfList,
  type Expected,
  type Refusal,
  refusalsOf,
  refusalText,
} from './destruction.checks.js';
import { insertRegister, nextRegisterNumber, registerState, roundByCode } from './destruction.repo.js';
import { inScopeFonds } from './destruction.scope.js';
import { readNote, registerSubject } from './destruction.service.js';

// Drawing a 销毁清册 from the items an appraisal round decided 销毁: each item refused with its reason
// where it may not go (held, lent, transferred, on another register, changed since the decision …).

export interface DrawInput {
  round: string;
  /** Only these 档号 of the round's 销毁 decisions (default: all of them). */
  items?: readonly string[];
  /** 备注 per 档号. */
  notes?: Readonly<Record<string, string>>;
}

/** A register's rows at most: more is drawn in parts (`items`), each its own register. */
export const MAX_REGISTER_ROWS = 10_000;
/** Refused items named in the destruction.drawn event (the rest are counted; the answer names all). */
const LOGGED_REFUSALS = 100;

/** An item left off the register, by 档号 (no internal id). */
export type DrawRefusal = Omit<Refusal, 'itemId'>;

export interface DrawResult {
  code: string;
  items: number;
  refused: DrawRefusal[];
}

function tooLarge(what: string, count: number) {
  return new YidangError(
    'DESTRUCTION_TOO_LARGE',
    'invalid',
    `${what}共 ${count} 件，一份销毁清册最多 ${MAX_REGISTER_ROWS} 件：请用 items（命令行 --item）每次列出不超过 ${MAX_REGISTER_ROWS} 个档号，分几份清册编制`,
  );
}

export async function drawRegister(db: Db, principal: Principal, input: DrawInput): Promise<DrawResult> {
  authorize(principal, 'appraisal.work');
  const round = typeof input.round === 'string' ? await roundByCode(db, input.round.trim()) : undefined;
  const roundMissing = () =>
    notFound('DESTRUCTION_ROUND_NOT_FOUND', `鉴定批次 ${String(input.round).slice(0, 40)} 不存在`);
  if (!round) throw roundMissing();
  if (input.items && input.items.length > MAX_REGISTER_ROWS) throw tooLarge('所列档号', input.items.length);
  const access = await accessContextOf(db, principal);
  let decided = await itemsDecidedForDestruction(db, round.id);
  // A round the principal cannot see whole is not theirs: it answers as a code never issued, before
  // anything of it (its items, which of them were decided) is told.
  const seen = await countInScope(
    db,
    decided.map((item) => item.itemId),
    scopedQuery(access),
  );
  if (decided.length === 0 ? !inScopeFonds(access, round.fondsCode) : seen < decided.length)
    throw roundMissing();
  if (input.items) {
    const wanted = new Set(input.items.map((code) => code.trim()));
    const decidedCodes = new Set(decided.map((item) => item.archiveCode));
    const unknown = [...wanted].filter((code) => !decidedCodes.has(code));
    if (unknown.length > 0)
      throw invalid(
        'DESTRUCTION_INPUT_INVALID',
        `以下档号不是鉴定批次 ${round.code} 决定销毁的档案：${unknown.slice(0, 5).join('、').slice(0, 300)}`,
      );
    decided = decided.filter((item) => wanted.has(item.archiveCode));
  }
  if (decided.length === 0)
    throw invalid('DESTRUCTION_INPUT_INVALID', `鉴定批次 ${round.code} 没有决定销毁的档案`);
  if (decided.length > MAX_REGISTER_ROWS)
    throw tooLarge(`鉴定批次 ${round.code} 决定销毁的档案`, decided.length);
  const notes = input.notes ?? {};
  // A note for an item not being drawn would be lost without a word.
  const drawn = new Set(decided.map((item) => item.archiveCode));
  const stray = Object.keys(notes).filter((code) => !drawn.has(code));
  if (stray.length > 0)
    throw invalid(
      'DESTRUCTION_INPUT_INVALID',
      `备注所写的档号不在本次编制的档案中：${stray.slice(0, 5).join('、').slice(0, 300)}`,
    );
  for (const [code, note] of Object.entries(notes)) readNote(note, `${code} 的备注`, 200);
  const found = await findItemsByIds(
    db,
    decided.map((item) => item.itemId),
    scopedQuery(access),
  );
  const expected: Expected[] = decided.map((item) => ({
    itemId: item.itemId,
    archiveCode: item.archiveCode,
    version: item.itemVersion,
    retention: item.retention,
    categoryId: item.categoryId,
  }));
  const byId = new Map(found.map((item) => [item.id, item]));
  return inTransaction(db, async (trx) => {
    // Locked in id order, in one statement: two registers drawn at once cannot both take an item.
    await lockItems(trx, [...byId.keys()]);
    const destroyed = new Set((await destroyedOf(trx, [...byId.keys()])).keys());
    // The latest decision is a floor for today (see dayOf).
    const notBefore = new Date(
      decided.reduce((latest, item) => Math.max(latest, new Date(item.decidedAt).getTime()), 0),
    );
    const refusals = await refusalsOf(trx, access, expected, found, { destroyed, notBefore });
    const eligible = decided.filter((item) => !refusals.has(item.itemId));
    if (eligible.length === 0)
      throw new YidangError(
        'DESTRUCTION_REFUSED',
        'conflict',
        `鉴定批次 ${round.code} 决定销毁的档案均不能列入清册：${refusalText([...refusals.values()])}`,
      );
    const year = Number((await dayOf(trx, notBefore)).slice(0, 4));
    const number = await nextRegisterNumber(trx, round.fondsCode, year);
    const code = `XH-${round.fondsCode}-${year}-${number}`;
    // 页数/文件数 and the file list's digest of every row, in two statements.
    const eligibleIds = eligible.map((decision) => decision.itemId);
    const [pages, files] = await Promise.all([
      scannedPageCounts(trx, eligibleIds),
      fileDigestsOf(trx, eligibleIds),
    ]);
    const rows = [];
    let seq = 0;
    for (const decision of eligible) {
      const item = byId.get(decision.itemId) as (typeof found)[number];
      seq += 1;
      rows.push({
        seq,
        item_id: item.id,
        archive_code: item.archiveCode,
        // 题名 as the register shows it: masked, and what the tombstone keeps.
        title: maskItem(item).title,
        year: item.year,
        retention: item.retention,
        category_id: decision.categoryId,
        item_version: item.version,
        expires_on: item.retentionExpiresOn,
        pages: pages.get(item.id) ?? 0,
        files: files.get(item.id)?.length ?? 0,
        carrier: item.carrier,
        reason: decision.reason.slice(0, 500) || '鉴定组决定销毁',
        note: readNote(notes[item.archiveCode], `${item.archiveCode} 的备注`, 200),
        files_digest: digestOfList(files.get(item.id) ?? []),
        // Where the paper lies, for the 监销人 (the catalog keeps it until the paper is destroyed).
        paper_location: item.paperLocation
          ? [
              item.paperLocation.warehouse,
              item.paperLocation.cabinet,
              item.paperLocation.shelf,
              item.paperLocation.box,
            ]
              .join('/')
              .slice(0, 200)
          : null,
      });
    }
    const id = await insertRegister(
      trx,
      {
        code,
        fonds_code: round.fondsCode,
        year,
        number,
        round_id: round.id,
        round_code: round.code,
        drawn_by: principal.username,
        drawn_at: new Date(),
      },
      rows,
    );
    const refused = [...refusals.values()].map(({ itemId: _id, ...refusal }) => refusal);
    // Bounded (an event holds 64 KB): the rows are in the register's state digest; the 档号 list is
    // proved by its digest, the refusals counted and the first named.
    recordEvent(trx, {
      actor: principal.username,
      action: 'destruction.drawn',
      subject: registerSubject(code),
      payload: {
        round: round.code,
        items: rows.length,
        itemsDigest: digestOfList(rows.map((row) => row.archive_code)),
        refusedCount: refused.length,
        refused: refused
          .slice(0, LOGGED_REFUSALS)
          .map((refusal) => ({ item: refusal.archiveCode, reason: refusal.reason })),
      },
      state: await registerState(trx, id),
    });
    return { code, items: rows.length, refused };
  });
}
