import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { conflict, invalid, notFound, YidangError } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../catalog/id-number.js';
import { countInScope, findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import type { EventPayloads } from '../integrity/event-catalog.js';
import { recordEvent } from '../integrity/event-log.js';
import {
  decideRequest,
  findRequest,
  insertRequest,
  listRequests,
  type RequestRow,
  type RequestStatus,
  requestItems,
} from './grant.repo.js';
import { accessContextOf, authorize, can, type Principal } from './principal.js';
import { REQUEST_STATUS_NAMES } from './request-status.js';
import { requestState } from './state.repo.js';

// 敏感档案查阅审批: a user asks to read named sensitive items for a stated purpose and time; a
// 安全保密员 (never the requester) approves or rejects; an approved request is a grant that ends on
// its own. Every step is an event, and each read under a grant names it (see grant.check.ts).

export const MAX_REQUEST_ITEMS = 200;
/** The longest grant: a week for 敏感 items, a day when any item is 限制. */
export const MAX_HOURS = { sensitive: 168, restricted: 24 } as const;
export const DEFAULT_HOURS = 24;

export interface AccessRequestView {
  id: number;
  requester: string;
  requesterName: string;
  purpose: string;
  hours: number;
  /** `expired` is an approved request past its end. */
  status: RequestStatus | 'expired';
  createdAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  note: string | null;
  expiresAt: string | null;
  /** Who ended the grant early, when and why (the approval above stays as it was). */
  revokedBy: string | null;
  revokedAt: string | null;
  revokeNote: string | null;
  items: Array<{ archiveCode: string; category: string; categoryName: string; sensitivity: string }>;
}

const subject = (id: number) => `access-request:${id}`;

function readNote(value: string | undefined, required: boolean, what: string): string | null {
  const note = value?.trim() ?? '';
  if (required && note === '') throw invalid('NOTE_REQUIRED', `请填写${what}`);
  if ([...note].length > 200) throw invalid('NOTE_TOO_LONG', `${what}最多200个字符`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(note)) throw invalid('NOTE_INVALID', `${what}含有控制字符`);
  refuseIdNumberInText(what, note);
  return note === '' ? null : note;
}

function readHours(value: number | undefined, limit: number): number {
  const hours = value ?? Math.min(DEFAULT_HOURS, limit);
  if (!Number.isInteger(hours) || hours < 1 || hours > limit)
    throw invalid('HOURS_INVALID', `查阅期限应为 1 至 ${limit} 小时的整数`);
  return hours;
}

async function views(db: Db, rows: RequestRow[], now: Date): Promise<AccessRequestView[]> {
  const items = await requestItems(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => ({
    id: row.id,
    requester: row.requester,
    requesterName: row.requesterName,
    purpose: row.purpose,
    hours: row.durationHours,
    status: row.status === 'approved' && row.expiresAt && row.expiresAt <= now ? 'expired' : row.status,
    createdAt: row.createdAt.toISOString(),
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    note: row.decisionNote,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedBy: row.revokedBy,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokeNote: row.revokeNote,
    items: items
      .filter((item) => item.requestId === row.id)
      .map(({ archiveCode, category, categoryName, sensitivity }) => ({
        archiveCode,
        category,
        categoryName,
        sensitivity,
      })),
  }));
}

async function viewOf(db: Db, id: number, now: Date): Promise<AccessRequestView> {
  const row = await findRequest(db, id);
  if (!row) throw notFound('REQUEST_NOT_FOUND', `查阅申请 ${id} 不存在`);
  return (await views(db, [row], now))[0] as AccessRequestView;
}

/** Asks to read sensitive items. Items outside the requester's scope are not found, as anywhere else. */
export async function requestAccess(
  db: Db,
  principal: Principal,
  input: { items: readonly string[]; purpose: string; hours?: number },
  now = new Date(),
): Promise<AccessRequestView> {
  authorize(principal, 'item.read');
  const codes = [...new Set(input.items.map((code) => code.trim()).filter(Boolean))];
  if (codes.length === 0) throw invalid('ITEMS_REQUIRED', '请列出要查阅的档号');
  if (codes.length > MAX_REQUEST_ITEMS)
    throw invalid('TOO_MANY_ITEMS', `一次申请最多 ${MAX_REQUEST_ITEMS} 件档案，实际 ${codes.length} 件`);
  const purpose = readNote(input.purpose, true, '查阅目的') as string;
  if ([...purpose].length < 4) throw invalid('PURPOSE_TOO_SHORT', '查阅目的至少写4个字，说明为何需要查阅');
  const found = await findItemsByCodes(db, codes, scopedQuery(await accessContextOf(db, principal)));
  const missing = codes.filter((code) => !found.some((item) => item.archiveCode === code));
  if (missing.length > 0)
    throw notFound('ITEM_NOT_FOUND', `档号不存在：${missing.slice(0, 5).join('、').slice(0, 300)}`);
  const normal = found.filter((item) => item.sensitivity === 'normal');
  if (normal.length > 0)
    throw invalid(
      'NOT_SENSITIVE',
      `以下档案为普通档案，可直接查阅，无需申请：${normal
        .slice(0, 5)
        .map((item) => item.archiveCode)
        .join('、')}`,
    );
  const limit = found.some((item) => item.sensitivity === 'restricted')
    ? MAX_HOURS.restricted
    : MAX_HOURS.sensitive;
  const hours = readHours(input.hours, limit);
  const id = await inTransaction(db, async (trx) => {
    const requestId = await insertRequest(trx, {
      requesterId: principal.userId,
      purpose,
      durationHours: hours,
      createdAt: now,
      itemIds: found.map((item) => item.id),
    });
    recordEvent(trx, {
      actor: principal.username,
      action: 'access.requested',
      subject: subject(requestId),
      payload: { items: found.map((item) => item.archiveCode).sort(), purpose, hours },
      state: await requestState(trx, requestId),
    });
    return requestId;
  });
  return viewOf(db, id, now);
}

/** One move of a request from one state to the next, by a 保密员 or by the requester. */
interface Step<Action extends DecisionEvent> {
  from: RequestStatus;
  to: RequestStatus;
  /** The verb in the refusal when the request is not in `from` (批准, 驳回, …). */
  verb: string;
  action: Action;
  /** A 保密员's decision (access.grant, not the requester, items in scope), else the requester's own. */
  byApprover: boolean;
  /** Checks beyond the state, made once the state is right. */
  check?: (request: RequestRow) => void;
  change: (request: RequestRow) => { note: string | null; hours?: number; payload: EventPayloads[Action] };
}

type DecisionEvent = 'access.approved' | 'access.rejected' | 'access.withdrawn' | 'access.revoked';

async function decide<Action extends DecisionEvent>(
  db: Db,
  principal: Principal,
  id: number,
  now: Date,
  step: Step<Action>,
): Promise<AccessRequestView> {
  await inTransaction(db, async (trx) => {
    const request = await findRequest(trx, id, true);
    if (!request) throw notFound('REQUEST_NOT_FOUND', `查阅申请 ${id} 不存在`);
    if (step.byApprover) await checkApprover(trx, principal, request);
    // Someone else's request is not found, as with items outside one's scope.
    else if (request.requesterId !== principal.userId)
      throw notFound('REQUEST_NOT_FOUND', `查阅申请 ${id} 不存在`);
    mustBe(request, step.from, step.verb);
    step.check?.(request);
    const next = step.change(request);
    const moved = await decideRequest(trx, id, step.from, {
      status: step.to,
      note: next.note,
      decidedAt: now,
      ...(step.byApprover ? { decidedBy: principal.userId } : {}),
      ...(next.hours !== undefined
        ? { durationHours: next.hours, expiresAt: new Date(now.getTime() + next.hours * 3_600_000) }
        : {}),
      ...(step.to === 'revoked' ? { expiresAt: now } : {}),
    });
    if (!moved) throw conflict('REQUEST_CHANGED', `查阅申请 ${id} 刚被他人处理，请刷新后查看`);
    recordEvent(trx, {
      actor: principal.username,
      action: step.action,
      subject: subject(id),
      payload: next.payload,
      state: await requestState(trx, id),
    });
  });
  return viewOf(db, id, now);
}

const statusNames: Record<RequestStatus, string> = REQUEST_STATUS_NAMES;

function mustBe(request: RequestRow, status: RequestStatus, action: string): void {
  if (request.status !== status)
    throw conflict(
      'REQUEST_STATE',
      `查阅申请 ${request.id} 当前为“${statusNames[request.status]}”，不能${action}`,
    );
}

/** The approver's own scope must cover every item: a 保密员 for one district approves only there. */
async function checkApprover(trx: Db, principal: Principal, request: RequestRow): Promise<void> {
  authorize(principal, 'access.grant');
  if (request.requesterId === principal.userId)
    throw new YidangError('SELF_APPROVAL', 'forbidden', '不能审批自己提出的查阅申请');
  const items = await requestItems(trx, [request.id]);
  const inScope = await countInScope(
    trx,
    items.map((item) => item.itemId),
    scopedQuery(await accessContextOf(trx, principal)),
  );
  if (inScope < items.length)
    throw new YidangError(
      'OUT_OF_SCOPE',
      'forbidden',
      '申请中的部分档案超出您的管辖范围（全宗、统筹区或类别），不能审批',
    );
}

/** Approves a pending request, for the hours asked or fewer; the grant starts now. */
export async function approveRequest(
  db: Db,
  principal: Principal,
  id: number,
  input: { hours?: number; note?: string } = {},
  now = new Date(),
): Promise<AccessRequestView> {
  return decide(db, principal, id, now, {
    from: 'pending',
    to: 'approved',
    verb: '批准',
    action: 'access.approved',
    byApprover: true,
    change: (request) => {
      const hours = readHours(input.hours ?? request.durationHours, request.durationHours);
      return {
        note: readNote(input.note, false, '审批意见'),
        hours,
        payload: {
          requester: request.requester,
          hours,
          expiresAt: new Date(now.getTime() + hours * 3_600_000).toISOString(),
        },
      };
    },
  });
}

export async function rejectRequest(
  db: Db,
  principal: Principal,
  id: number,
  input: { note?: string },
  now = new Date(),
): Promise<AccessRequestView> {
  const note = readNote(input.note, true, '驳回理由');
  return decide(db, principal, id, now, {
    from: 'pending',
    to: 'rejected',
    verb: '驳回',
    action: 'access.rejected',
    byApprover: true,
    change: (request) => ({ note, payload: { requester: request.requester, note } }),
  });
}

/** The requester takes back a request nobody has decided yet. */
export async function withdrawRequest(
  db: Db,
  principal: Principal,
  id: number,
  now = new Date(),
): Promise<AccessRequestView> {
  return decide(db, principal, id, now, {
    from: 'pending',
    to: 'withdrawn',
    verb: '撤回',
    action: 'access.withdrawn',
    byApprover: false,
    change: () => ({ note: null, payload: {} }),
  });
}

/** Ends a grant before its time, for example when the case it served is closed. */
export async function revokeGrant(
  db: Db,
  principal: Principal,
  id: number,
  input: { note?: string },
  now = new Date(),
): Promise<AccessRequestView> {
  const note = readNote(input.note, true, '收回理由');
  return decide(db, principal, id, now, {
    from: 'approved',
    to: 'revoked',
    verb: '收回',
    action: 'access.revoked',
    byApprover: true,
    check: (request) => {
      if (request.expiresAt && request.expiresAt <= now)
        throw conflict('REQUEST_STATE', `查阅申请 ${id} 的授权已到期，无需收回`);
    },
    change: (request) => ({ note, payload: { requester: request.requester, note } }),
  });
}

/** A 保密员 sees every request (the approvals inbox); anyone else sees only their own. */
export async function listAccessRequests(
  db: Db,
  principal: Principal,
  query: { mine?: boolean; status?: RequestStatus; before?: number; limit?: number },
  now = new Date(),
): Promise<{ requests: AccessRequestView[]; nextBefore: number | null }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  const everyone = can(principal, 'access.grant') && !query.mine;
  const rows = await listRequests(db, {
    requesterId: everyone ? undefined : principal.userId,
    status: query.status,
    beforeId: query.before,
    limit,
  });
  return {
    requests: await views(db, rows, now),
    nextBefore: rows.length === limit ? (rows.at(-1)?.id ?? null) : null,
  };
}

export async function getAccessRequest(
  db: Db,
  principal: Principal,
  id: number,
  now = new Date(),
): Promise<AccessRequestView> {
  const view = await viewOf(db, id, now);
  if (!can(principal, 'access.grant') && view.requester !== principal.username)
    throw notFound('REQUEST_NOT_FOUND', `查阅申请 ${id} 不存在`);
  return view;
}
