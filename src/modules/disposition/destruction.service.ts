import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../../shared/id-in-text.js';
import { accessContextOf, authorize, can, type Principal } from '../access/principal.js';
import { countInScope, findItemsByIds } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { destroyedOf } from '../catalog/tombstone.js';
import { recordEvent } from '../integrity/event-log.js';
import { enqueueJob } from '../jobs/job.runtime.js';
import { everMembers } from './appraisal.queries.js';
import { expectedOf, refusalsOf, refusalText } from './destruction.checks.js';
import { DESTRUCTION_CARRY_JOB, REGISTER_STATES } from './destruction.names.js';
import {
  findRegister,
  insertSignature,
  moveRegister,
  type RegisterRow,
  registerRows,
  registerState,
  roundById,
  signaturesOf,
} from './destruction.repo.js';
import type { RegisterState } from './destruction.tables.js';

// 销毁清册: drawn from the items an appraisal round decided 销毁 (each item refused with its reason
// where it may not go), signed by the group's lead, approved by a manager outside the group, signed
// by two 监销人 who neither drew nor approved it, then carried out by a job (destruction.carry.ts).
// Each signature is its signer's own signed-in action, recorded as an event with its time.

export const registerSubject = (code: string) => `register:${code}`;
const CODE = /^XH-[0-9A-Za-z]{1,4}-\d{4}-\d{1,6}$/;

export async function registerOrFail(db: Db, code: string, forUpdate = false): Promise<RegisterRow> {
  const register = CODE.test(code) ? await findRegister(db, code, forUpdate) : undefined;
  if (!register) throw notFound('DESTRUCTION_NOT_FOUND', `销毁清册 ${code.slice(0, 40)} 不存在`);
  return register;
}

/**
 * The register as the principal may act on it: every item on it within their scope. Anything else
 * is not found, exactly as a number never issued.
 */
export async function visibleRegister(db: Db, principal: Principal, code: string, forUpdate = false) {
  const register = await registerOrFail(db, code, forUpdate);
  const rows = await registerRows(db, register.id);
  const seen = await countInScope(
    db,
    rows.map((row) => row.item_id),
    scopedQuery(await accessContextOf(db, principal)),
  );
  if (seen < rows.length) throw notFound('DESTRUCTION_NOT_FOUND', `销毁清册 ${code.slice(0, 40)} 不存在`);
  return { register, rows };
}

function stateMustBe(register: RegisterRow, states: readonly RegisterState[], verb: string): void {
  if (!states.includes(register.state))
    throw new YidangError(
      'DESTRUCTION_STATE',
      'conflict',
      `销毁清册 ${register.code} ${REGISTER_STATES[register.state]}，不能${verb}`,
    );
}

export function readNote(value: string | undefined, what: string, max: number): string | null {
  const text = value?.trim() ?? '';
  if ([...text].length > max) throw invalid('DESTRUCTION_INPUT_INVALID', `${what}最多${max}个字符`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalid('DESTRUCTION_INPUT_INVALID', `${what}含有控制字符`);
  refuseIdNumberInText(what, text);
  return text === '' ? null : text;
}

/** The items of the register checked again now (approval, carrying out): any refusal stops it whole. */
async function recheck(db: Db, principal: Principal, register: RegisterRow, verb: string): Promise<void> {
  const rows = (await registerRows(db, register.id)).filter((row) => row.state === 'pending');
  const access = await accessContextOf(db, principal);
  const found = await findItemsByIds(
    db,
    rows.map((row) => row.item_id),
    scopedQuery(access),
  );
  const expected = rows.map(expectedOf);
  const destroyed = new Set(
    (
      await destroyedOf(
        db,
        rows.map((row) => row.item_id),
      )
    ).keys(),
  );
  const notBefore = register.approved_at ?? register.drawn_at;
  const refusals = [
    ...(
      await refusalsOf(db, access, expected, found, { exceptRegister: register.id, destroyed, notBefore })
    ).values(),
  ];
  if (refusals.length === 0) return;
  if (refusals.some((refusal) => refusal.reason === 'changed' || refusal.reason === 'files_changed'))
    throw new YidangError(
      'DESTRUCTION_REDRAW',
      'conflict',
      `销毁清册 ${register.code} 不能${verb}：${refusalText(refusals)}。请撤销本清册并重新编制`,
    );
  throw new YidangError(
    'DESTRUCTION_REFUSED',
    'conflict',
    `销毁清册 ${register.code} 不能${verb}：${refusalText(refusals)}`,
  );
}

export type SignRoleInput = 'lead' | 'witness';

/** The appraisal lead's or a 监销人's signature: the signer's own action, dated. */
export async function signRegister(
  db: Db,
  principal: Principal,
  code: string,
  role: SignRoleInput,
): Promise<void> {
  if (role !== 'lead' && role !== 'witness')
    throw invalid('DESTRUCTION_INPUT_INVALID', '签字身份应为 lead（鉴定组组长）或 witness（监销人）');
  authorize(principal, role === 'lead' ? 'appraisal.work' : 'destruction.witness');
  const { register } = await visibleRegister(db, principal, code);
  await inTransaction(db, async (trx) => {
    const current = await registerOrFail(trx, register.code, true);
    const signatures = await signaturesOf(trx, current.id);
    if (role === 'lead') {
      stateMustBe(current, ['drawn'], '由鉴定组组长签字');
      const round = await roundById(trx, current.round_id);
      if (round?.lead !== principal.username)
        throw new YidangError(
          'DESTRUCTION_SIGNER',
          'forbidden',
          `只有鉴定批次 ${current.round_code} 的组长 ${round?.lead ?? ''} 可以作为组长签字`,
        );
    } else {
      stateMustBe(current, ['drawn', 'approved'], '由监销人签字');
      if (principal.username === current.drawn_by)
        throw new YidangError('DESTRUCTION_SIGNER', 'forbidden', '编制清册的人不能担任监销人');
      if (signatures.some((s) => s.role === 'approver' && s.username === principal.username))
        throw new YidangError('DESTRUCTION_SIGNER', 'forbidden', '审批清册的人不能担任监销人');
    }
    const at = new Date();
    if (
      !(await insertSignature(trx, {
        register_id: current.id,
        role,
        username: principal.username,
        signed_at: at,
      }))
    )
      throw new YidangError(
        'DESTRUCTION_SIGNER',
        'conflict',
        `您已作为${role === 'lead' ? '组长' : '监销人'}在清册 ${current.code} 上签字`,
      );
    recordEvent(trx, {
      actor: principal.username,
      action: 'destruction.signed',
      subject: registerSubject(current.code),
      payload: { role, signedAt: at.toISOString() },
      state: await registerState(trx, current.id),
    });
  });
}

/** Approval by a manager outside the appraisal group, who is not a 监销人 of it; once only. */
export async function approveRegister(db: Db, principal: Principal, code: string): Promise<void> {
  authorize(principal, 'destruction.approve');
  const { register } = await visibleRegister(db, principal, code);
  if (register.state !== 'drawn' && register.approved_by)
    throw new YidangError(
      'DESTRUCTION_APPROVED_TWICE',
      'conflict',
      `销毁清册 ${register.code} 已由 ${register.approved_by} 批准，不能再次批准`,
    );
  stateMustBe(register, ['drawn'], '批准');
  const round = await roundById(db, register.round_id);
  // Anyone ever in the group (or who proposed or decided in the round), not only today's members.
  const ever = await everMembers(db, register.round_id);
  if (
    ever.has(principal.username) ||
    (round && (round.lead === principal.username || round.members.includes(principal.username)))
  )
    throw new YidangError(
      'DESTRUCTION_SIGNER',
      'forbidden',
      `审批人不能是鉴定批次 ${register.round_code} 的鉴定组成员`,
    );
  if (register.drawn_by === principal.username)
    throw new YidangError('DESTRUCTION_SIGNER', 'forbidden', '编制清册的人不能审批本清册');
  const signatures = await signaturesOf(db, register.id);
  if (!signatures.some((s) => s.role === 'lead'))
    throw new YidangError(
      'DESTRUCTION_STATE',
      'conflict',
      `销毁清册 ${register.code} 尚无鉴定组组长签字，不能批准`,
    );
  if (signatures.some((s) => s.role === 'witness' && s.username === principal.username))
    throw new YidangError('DESTRUCTION_SIGNER', 'forbidden', '已作为监销人签字的人不能审批本清册');
  await recheck(db, principal, register, '批准');
  await inTransaction(db, async (trx) => {
    const at = new Date();
    // The register locked, as signing locks it: a signature given meanwhile is read here, so one
    // person cannot become 监销人 and approver of it at the same moment.
    const current = await registerOrFail(trx, register.code, true);
    // Two approvers at once: the second finds the register moved and is told so.
    if (current.state !== 'drawn')
      throw new YidangError(
        'DESTRUCTION_APPROVED_TWICE',
        'conflict',
        `销毁清册 ${register.code} 已由 ${current.approved_by ?? '他人'} 批准，不能再次批准`,
      );
    const now = await signaturesOf(trx, register.id);
    if (now.some((s) => s.role === 'witness' && s.username === principal.username))
      throw new YidangError('DESTRUCTION_SIGNER', 'forbidden', '已作为监销人签字的人不能审批本清册');
    await moveRegister(trx, register.id, 'drawn', {
      state: 'approved',
      approved_by: principal.username,
      approved_at: at,
    });
    await insertSignature(trx, {
      register_id: register.id,
      role: 'approver',
      username: principal.username,
      signed_at: at,
    });
    recordEvent(trx, {
      actor: principal.username,
      action: 'destruction.approved',
      subject: registerSubject(register.code),
      payload: { items: (await registerRows(trx, register.id)).length },
      state: await registerState(trx, register.id),
    });
  });
}

/** Starts carrying out an approved register with two 监销人: the job does the rest. */
export async function carryOutRegister(db: Db, principal: Principal, code: string): Promise<void> {
  authorize(principal, 'destruction.carry');
  const { register } = await visibleRegister(db, principal, code);
  if (register.state === 'drawn')
    throw new YidangError(
      'DESTRUCTION_STATE',
      'conflict',
      `销毁清册 ${register.code} 尚未批准，不能执行销毁`,
    );
  stateMustBe(register, ['approved'], '执行销毁');
  const witnesses = (await signaturesOf(db, register.id)).filter((s) => s.role === 'witness');
  const valid = witnesses.filter(
    (s) => s.username !== register.drawn_by && s.username !== register.approved_by,
  );
  if (new Set(valid.map((s) => s.username)).size < 2)
    throw new YidangError(
      'DESTRUCTION_WITNESSES',
      'conflict',
      `销毁清册 ${register.code} 须有两名不同的监销人签字（编制人、审批人不能担任），现有 ${valid.length} 名`,
    );
  await recheck(db, principal, register, '执行销毁');
  await inTransaction(db, async (trx) => {
    if (
      !(await moveRegister(trx, register.id, 'approved', {
        state: 'carrying',
        started_by: principal.username,
        started_at: new Date(),
      }))
    )
      throw new YidangError('DESTRUCTION_STATE', 'conflict', `销毁清册 ${register.code} 已开始执行`);
    await enqueueJob(trx, {
      kind: DESTRUCTION_CARRY_JOB,
      payload: { register: register.code, actor: principal.username },
      key: register.code,
      maxAttempts: 1000,
    });
    recordEvent(trx, {
      actor: principal.username,
      action: 'destruction.started',
      subject: registerSubject(register.code),
      payload: { items: (await registerRows(trx, register.id)).length },
      state: await registerState(trx, register.id),
    });
  });
}

/**
 * Withdraws a register not yet carried out (撤销), with a reason: its items are free to be drawn
 * again (a register whose items changed must be redrawn; one held item need not block the rest).
 */
export async function withdrawRegister(
  db: Db,
  principal: Principal,
  code: string,
  reason: string,
): Promise<void> {
  if (!can(principal, 'appraisal.work') && !can(principal, 'destruction.approve'))
    authorize(principal, 'appraisal.work');
  const text = readNote(reason, '撤销原因', 500);
  if (!text || [...text].length < 4) throw invalid('DESTRUCTION_INPUT_INVALID', '撤销原因至少写4个字');
  const { register } = await visibleRegister(db, principal, code);
  stateMustBe(register, ['drawn', 'approved'], '撤销');
  await inTransaction(db, async (trx) => {
    const moved = await moveRegister(trx, register.id, register.state, {
      state: 'withdrawn',
      withdrawn_by: principal.username,
      withdrawn_at: new Date(),
      withdraw_reason: text,
    });
    if (!moved)
      throw new YidangError(
        'DESTRUCTION_STATE',
        'conflict',
        `销毁清册 ${register.code} 刚被他人办理，请刷新后重试`,
      );
    recordEvent(trx, {
      actor: principal.username,
      action: 'destruction.withdrawn',
      subject: registerSubject(register.code),
      payload: { reason: text },
      state: await registerState(trx, register.id),
    });
  });
}
