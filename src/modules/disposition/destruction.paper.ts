import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, YidangError } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { authorize, type Principal } from '../access/principal.js';
import { recordEvent } from '../integrity/event-log.js';
import { enqueueJob } from '../jobs/job.runtime.js';
import { DESTRUCTION_CARRY_JOB, isPaper, PAPER_METHODS } from './destruction.names.js';
import { lockRow, registerState, signaturesOf, updateRow } from './destruction.repo.js';
import { registerOrFail, registerSubject, visibleRegister } from './destruction.service.js';

// 纸质档案销毁确认: for a paper (or hybrid) item the register row records the physical destruction —
// method, place, time and the 监销人 present (two of the register's signed 监销人) — confirmed by an
// archivist; only then does the carry-out job reduce the catalog entry to its tombstone (and shred a
// hybrid item's files), so the entry and where the box lies stay until the paper is really gone.

export interface PaperInput {
  archiveCode: string;
  method: string;
  place: string;
  /** When it was destroyed (ISO 8601); not in the future. */
  at: string;
  witnesses: readonly string[];
}

export async function confirmPaper(
  db: Db,
  principal: Principal,
  code: string,
  input: PaperInput,
): Promise<void> {
  authorize(principal, 'destruction.carry');
  const { register, rows } = await visibleRegister(db, principal, code);
  const method = input.method?.trim() ?? '';
  if (!(PAPER_METHODS as readonly string[]).includes(method))
    throw invalid('DESTRUCTION_INPUT_INVALID', `销毁方式应为 ${PAPER_METHODS.join('、')}`);
  const place = input.place?.trim() ?? '';
  if (place.length < 2 || [...place].length > 100)
    throw invalid('DESTRUCTION_INPUT_INVALID', '销毁地点应为 2 至 100 个字符');
  refuseIdNumberInText('销毁地点', place);
  const at = new Date(input.at);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(String(input.at)) || Number.isNaN(at.getTime()))
    throw invalid('DESTRUCTION_INPUT_INVALID', '销毁时间应为 ISO 8601 时间，如 2026-12-07T10:00:00+08:00');
  if (at.getTime() > Date.now() + 5 * 60_000)
    throw invalid('DESTRUCTION_INPUT_INVALID', '销毁时间不能晚于现在');
  const row = rows.find((candidate) => candidate.archive_code === input.archiveCode?.trim());
  if (!row)
    throw invalid(
      'DESTRUCTION_INPUT_INVALID',
      `档号 ${String(input.archiveCode).slice(0, 60)} 不在清册 ${register.code} 中`,
    );
  if (!isPaper(row))
    throw invalid('DESTRUCTION_INPUT_INVALID', `${row.archive_code} 没有纸质原件，无须确认纸质销毁`);
  const signed = new Set(
    (await signaturesOf(db, register.id)).filter((s) => s.role === 'witness').map((s) => s.username),
  );
  const witnesses = [...new Set((input.witnesses ?? []).map((name) => name.trim()))];
  const strangers = witnesses.filter((name) => !signed.has(name));
  if (strangers.length > 0)
    throw new YidangError(
      'DESTRUCTION_SIGNER',
      'invalid',
      `${strangers.join('、').slice(0, 100)} 不是本清册签字的监销人`,
    );
  if (witnesses.length < 2)
    throw new YidangError('DESTRUCTION_WITNESSES', 'invalid', '纸质销毁须由两名签字的监销人在场');
  if (at.getTime() < (register.started_at?.getTime() ?? Number.POSITIVE_INFINITY) - 86_400_000)
    throw invalid('DESTRUCTION_INPUT_INVALID', '销毁时间早于清册开始执行');
  await inTransaction(db, async (trx) => {
    const current = await registerOrFail(trx, register.code, true);
    if (current.state !== 'carrying')
      throw new YidangError(
        'DESTRUCTION_STATE',
        'conflict',
        `销毁清册 ${register.code} 不在执行中，不能确认纸质销毁`,
      );
    const locked = await lockRow(trx, register.id, row.seq);
    if (!locked || locked.state === 'refused')
      throw new YidangError(
        'DESTRUCTION_STATE',
        'conflict',
        `${row.archive_code} 执行时被拒绝销毁，不能确认纸质销毁`,
      );
    if (locked.paper_confirmed_by !== null)
      throw new YidangError(
        'DESTRUCTION_STATE',
        'conflict',
        `${row.archive_code} 的纸质销毁已由 ${locked.paper_confirmed_by} 确认`,
      );
    await updateRow(trx, register.id, row.seq, {
      paper_method: method,
      paper_place: place,
      paper_at: at,
      paper_witnesses: witnesses,
      paper_confirmed_by: principal.username,
    });
    recordEvent(trx, {
      actor: principal.username,
      action: 'destruction.paper_confirmed',
      subject: registerSubject(register.code),
      payload: { item: row.archive_code, method, place, at: at.toISOString(), witnesses },
      state: await registerState(trx, register.id),
    });
    // The catalog entry (and a hybrid item's files) go now, in the job, one item per transaction.
    await enqueueJob(trx, {
      kind: DESTRUCTION_CARRY_JOB,
      payload: { register: register.code, actor: principal.username },
      key: register.code,
      maxAttempts: 1000,
    });
  });
}
