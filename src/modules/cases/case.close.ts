import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { invalid, isYidangError, YidangError } from '../../shared/errors.js';
import { liftHold } from '../catalog/hold.service.js';
import { recordEvent } from '../integrity/event-log.js';
import { renderLedgerFiles } from '../ledgers/ledger.files.js';
import { ingestArchive } from '../push/push.service.js';
import type { BlobStore } from '../storage/blob-store.js';
import { releaseClues } from './case.clues.js';
import { caseDocument } from './case.document.js';
import { amountCents, caseText, centsOf, reasonText, yuan } from './case.input.js';
import { CASE_FILE_CATEGORY } from './case.names.js';
import {
  caseCluesOf,
  caseHoldsOf,
  caseStateRows,
  evidenceOf,
  markCaseHoldLifted,
  updateCase,
} from './case.repo.js';
import { authorizeCases, caseSubject, refuseState, visibleCase } from './case.service.js';
import { caseDetail } from './case.view.js';

// 结论 and 结案. A conclusion is 违规 with the amount to recover (≥ 0.01 元; above the clues' amounts
// only with a reason) or 不违规 with a reason; two people concluding at once: the second finds the
// case concluded (the row is locked) and is refused. Closing files the case file (核查档案: a PDF of
// the case, category JGJH, sensitive, in the case's fonds and region) through the push service, lifts
// exactly the holds the case placed, and — for 不违规 — releases its clues (back to open, so the
// clue's own dismissal records why they came to nothing); 违规 keeps them in the case, their outcome.
// All in one transaction: a failure leaves the case concluded, nothing filed, nothing lifted.

const SOURCE = '医档核查案件';

export interface ConcludeInput {
  conclusion?: unknown;
  amount?: unknown;
  reason?: unknown;
}

export async function concludeCase(db: Db, access: AccessContext, code: unknown, input: ConcludeInput) {
  authorizeCases(access, 'case.work');
  const conclusion = input?.conclusion;
  if (conclusion !== 'violation' && conclusion !== 'no_violation')
    throw invalid('CASE_INPUT_INVALID', '结论应为 violation（违规）或 no_violation（不违规）');
  const found = await visibleCase(db, access, code);
  let cents: number | null = null;
  let reason: string | null;
  if (conclusion === 'violation') {
    cents = amountCents(input.amount);
    reason = caseText(input.reason, '结论说明', 500, false);
  } else {
    if (input.amount !== undefined && input.amount !== null && input.amount !== '')
      throw invalid('CASE_AMOUNT_INVALID', '不违规的结论不填追回金额');
    reason = reasonText(input.reason, '不违规的理由');
  }
  await inTransaction(db, async (trx) => {
    const row = await visibleCase(trx, access, found.code, true);
    refuseState(row, ['examining'], '作出结论');
    if (row.assignee === null)
      throw new YidangError('CASE_STATE', 'conflict', `核查案件 ${row.code} 尚未指派承办人，不能作出结论`);
    const clueCents = cents !== null && row.clue_count > 0 ? centsOf(row.clue_amount) : null;
    if (
      cents !== null &&
      clueCents !== null &&
      cents > clueCents &&
      (reason === null || [...reason].length < 4)
    )
      throw invalid(
        'CASE_AMOUNT_INVALID',
        `追回金额 ${yuan(cents)} 元超过线索所涉金额 ${yuan(clueCents)} 元：须在结论说明中写明理由（至少4个字）`,
      );
    await updateCase(trx, row.id, {
      state: 'concluded',
      conclusion,
      recover_amount: cents === null ? null : yuan(cents),
      conclusion_reason: reason,
      concluded_by: actorIn(access),
      concluded_at: new Date(),
    });
    recordEvent(trx, {
      actor: actorIn(access),
      action: 'case.concluded',
      subject: caseSubject(row.code),
      payload: { conclusion, amount: cents === null ? null : yuan(cents), reason },
      state: (await caseStateRows(trx, row.id)).get(caseSubject(row.code)),
    });
  });
  return found.code;
}

export async function closeCase(
  context: { db: Db; store: BlobStore; access: AccessContext },
  code: unknown,
  now = new Date(),
): Promise<{ code: string; filedCode: string; holdsLifted: string[]; cluesReleased: number[] }> {
  const { db, access } = context;
  authorizeCases(access, 'case.work');
  const found = await visibleCase(db, access, code);
  refuseState(found, ['concluded'], '结案');
  const actor = actorIn(access);
  // Rendered before the transaction (on the CPU pool), from the case as concluded; the state is
  // checked again under the row lock, and a conclusion cannot change once made.
  const detail = await caseDetail(db, access, found.code);
  // Every piece of evidence by its 档号, even one outside the closer's own archive scope.
  const evidence = (await evidenceOf(db, found.id)).map((row) => ({
    archiveCode: row.archive_code,
    via: row.via,
    addedBy: row.added_by,
    addedAt: row.added_at.toISOString(),
  }));
  const document = caseDocument(detail, evidence, actor, now);
  const { pdf } = await renderLedgerFiles(document, ['pdf']);
  return inTransaction(db, async (trx) => {
    const row = await visibleCase(trx, access, found.code, true);
    refuseState(row, ['concluded'], '结案');
    const filed = await ingestArchive(
      { db: trx, store: context.store, access },
      {
        source: SOURCE,
        serial: row.code,
        item: {
          fonds: row.fonds_code,
          category: CASE_FILE_CATEGORY,
          org: 'JH',
          title: `核查档案 ${row.code} ${row.title}`.slice(0, 200),
          responsible: detail.fondsName,
          date: beijingDate(now),
          handledAt: now.toISOString(),
          handler: actor.slice(0, 50),
          carrier: 'electronic',
          sensitivity: 'sensitive',
          poolingRegion: row.region,
          extra: { case: row.code },
        },
        files: [{ name: `核查档案-${row.code}.pdf`, content: pdf }],
      },
      actor,
      { now },
    );
    const holdsLifted: string[] = [];
    for (const hold of await caseHoldsOf(trx, row.id)) {
      if (hold.lifted_at !== null) continue;
      try {
        await liftHold(trx, access, hold.hold_code, `核查案件 ${row.code} 结案，解除本案冻结`, {
          byCase: row.code,
        });
        holdsLifted.push(hold.hold_code);
      } catch (error) {
        // Lifted by hand meanwhile: nothing of ours is left to lift (the update changed no row).
        if (!isYidangError(error) || error.code !== 'HOLD_ALREADY_LIFTED') throw error;
      }
      await markCaseHoldLifted(trx, row.id, hold.hold_code);
    }
    const clueIds = (await caseCluesOf(trx, row.id)).map((clue) => Number(clue.clue_id));
    const cluesReleased = row.conclusion === 'no_violation' ? clueIds : [];
    await releaseClues(trx, access, cluesReleased, row.code);
    await updateCase(trx, row.id, {
      state: 'closed',
      closed_by: actor,
      closed_at: now,
      filed_code: filed.archiveCode,
    });
    recordEvent(trx, {
      actor,
      action: 'case.closed',
      subject: caseSubject(row.code),
      payload: { filedCode: filed.archiveCode, holdsLifted, cluesReleased },
      state: (await caseStateRows(trx, row.id)).get(caseSubject(row.code)),
    });
    return { code: row.code, filedCode: filed.archiveCode, holdsLifted, cluesReleased };
  });
}
