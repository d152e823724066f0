import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { PrincipalContext } from '../../shared/access-context.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { accessContextOf, accountOf, authorize, can, type Principal } from '../access/principal.js';
import { ROLES } from '../access/roles.js';
import { listCategories } from '../catalog/catalog.queries.js';
import { countInScope, findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { recordEvent } from '../integrity/event-log.js';
import {
  addDays,
  borrowerMustBeEnabled,
  loanOrFail,
  loanSubject,
  ownLoan,
  readerId,
  readText,
  stateMustBe,
  stepTime,
  today,
  visibleLoan,
} from './lending.common.js';
import { isLoanKind, LOAN_KINDS } from './lending.names.js';
import {
  closeItems,
  insertLoan,
  itemsOut,
  type LoanRow,
  loanItems,
  loanState,
  moveLoan,
  nextLoanNumber,
} from './lending.repo.js';
import type { LoanKind } from './lending.tables.js';
import { type LoanView, loanView } from './lending.view.js';
import { type RuleSubject, termsForAll } from './rules.js';
import { listRules } from './rules.repo.js';

// 借阅申请与审批: a request names the items, the kind of use, the purpose, the borrower and the days;
// the rules of its items fix how long it may be, who approves at each of one or two levels and
// whether paper may leave. Nobody approves their own request. An approved electronic loan or copy
// opens at once when nothing stands in the way (a sensitive item needs the 安全保密员's grant first).

export const MAX_LOAN_ITEMS = 50;

export interface LoanRequestInput {
  kind: string;
  items: readonly string[];
  purpose: string;
  days: number;
  /** Absent: the one asking. Another account or an outside party: an archivist registers it. */
  borrower?: { user?: string; organisation?: string; person?: string; letterNo?: string };
}

interface Borrower {
  id: number | null;
  username: string | null;
  principal?: Principal;
  organisation: string | null;
  person: string | null;
  letterNo: string | null;
}

async function borrowerOf(
  db: Db,
  principal: Principal,
  input: LoanRequestInput,
  kind: LoanKind,
): Promise<Borrower> {
  const given = input.borrower ?? {};
  const organisation = readText(given.organisation, '借阅单位', 100, 'LOAN_BORROWER_INVALID');
  const user = given.user?.trim() || null;
  if (organisation && user) throw invalid('LOAN_BORROWER_INVALID', '借阅人只能是本单位账户或外单位之一');
  if (!organisation && (!user || user === principal.username))
    return {
      id: principal.userId,
      username: principal.username,
      principal,
      organisation: null,
      person: null,
      letterNo: null,
    };
  if (!can(principal, 'loan.handle'))
    throw new YidangError('FORBIDDEN', 'forbidden', '只有档案员可以为他人或外单位登记借阅');
  if (organisation) {
    const letterNo = readText(given.letterNo, '介绍信编号', 50, 'LOAN_BORROWER_INVALID');
    if (!letterNo) throw invalid('LOAN_LETTER_REQUIRED', `外单位（${organisation}）借阅须填写介绍信编号`);
    if (kind === 'electronic')
      throw invalid('LOAN_BORROWER_INVALID', '外单位没有本系统账户，不能电子阅览；请选择实体借出或复制');
    return {
      id: null,
      username: null,
      organisation,
      person: readText(given.person, '经办人', 50, 'LOAN_BORROWER_INVALID'),
      letterNo,
    };
  }
  const account = await accountOf(db, { username: user as string });
  if (!account) throw invalid('LOAN_BORROWER_INVALID', `借阅人账户 ${String(user).slice(0, 64)} 不存在`);
  if (account.disabled || !account.principal)
    throw new YidangError('LOAN_BORROWER_DISABLED', 'conflict', `借阅人 ${account.username} 的账户已停用`);
  return {
    id: account.id,
    username: account.username,
    principal: account.principal,
    organisation: null,
    person: null,
    letterNo: null,
  };
}

/** The rule subjects of items: each category with those above it. */
async function ruleSubjects(
  db: Db,
  items: ReadonlyArray<{ category: string; sensitivity: string; retention: string }>,
): Promise<RuleSubject[]> {
  const categories = await listCategories(db);
  const byCode = new Map(categories.map((category) => [category.code, category]));
  const byId = new Map(categories.map((category) => [category.id, category]));
  return items.map((item) => {
    const ids: number[] = [];
    for (
      let at = byCode.get(item.category);
      at && !ids.includes(at.id);
      at = at.parentId ? byId.get(at.parentId) : undefined
    )
      ids.push(at.id);
    return { categoryIds: ids, sensitivity: item.sensitivity, retention: item.retention };
  });
}

export async function requestLoan(
  db: Db,
  principal: Principal,
  input: LoanRequestInput,
  now = new Date(),
): Promise<LoanView> {
  authorize(principal, 'loan.request');
  const kind = input.kind;
  if (!isLoanKind(kind))
    throw invalid('LOAN_KIND_INVALID', `借阅方式应为 ${Object.values(LOAN_KINDS).join('、')}`);
  const codes = [...new Set(input.items.map((code) => code.trim()).filter(Boolean))];
  if (codes.length === 0) throw invalid('LOAN_ITEMS_INVALID', '请列出要借阅的档号');
  if (codes.length > MAX_LOAN_ITEMS)
    throw invalid('LOAN_ITEMS_INVALID', `一张借阅单最多 ${MAX_LOAN_ITEMS} 件档案，实际 ${codes.length} 件`);
  const purpose = readText(input.purpose, '借阅目的', 200);
  if (!purpose || [...purpose].length < 4)
    throw invalid('LOAN_PURPOSE_INVALID', '借阅目的至少写4个字，说明为何需要借阅');
  if (!Number.isInteger(input.days) || input.days < 1 || input.days > 365)
    throw invalid('LOAN_DAYS_INVALID', '借阅天数应为 1 至 365 的整数');
  const borrower = await borrowerOf(db, principal, input, kind);

  const found = await findItemsByCodes(db, codes, scopedQuery(await accessContextOf(db, principal)));
  const missing = codes.filter((code) => !found.some((item) => item.archiveCode === code));
  if (missing.length > 0)
    throw notFound('ITEM_NOT_FOUND', `档号不存在：${missing.slice(0, 5).join('、').slice(0, 300)}`);
  // Another staff borrower must be able to see the items themselves.
  if (borrower.principal && borrower.id !== principal.userId) {
    const seen = await countInScope(
      db,
      found.map((item) => item.id),
      scopedQuery(await accessContextOf(db, borrower.principal)),
    );
    if (seen < found.length)
      throw invalid('LOAN_BORROWER_INVALID', `借阅人 ${borrower.username} 的档案范围不包括所借档案`);
  }
  if (kind === 'paper') {
    const noPaper = found.filter((item) => item.carrier !== 'paper' && item.carrier !== 'hybrid');
    if (noPaper.length > 0)
      throw invalid(
        'LOAN_NOT_PAPER',
        `以下档案没有纸质原件，不能实体借出：${noPaper.map((item) => item.archiveCode).join('、')}`,
      );
    const out = await itemsOut(
      db,
      found.map((item) => item.id),
    );
    if (out.length > 0)
      throw new YidangError(
        'LOAN_ITEM_OUT',
        'conflict',
        `以下档案的纸质原件已借出，尚未归还：${out.join('、')}`,
      );
  }
  const terms = termsForAll(await listRules(db), await ruleSubjects(db, found));
  if (input.days > terms.maxDays)
    throw invalid(
      'LOAN_DAYS_EXCEEDED',
      `按借阅规则，这些档案最长借阅 ${terms.maxDays} 天，申请了 ${input.days} 天`,
    );
  if (kind === 'paper' && !terms.paperMayLeave)
    throw invalid('LOAN_PAPER_NOT_ALLOWED', '按借阅规则，这些档案的纸质原件不得出库，请改为电子阅览或复制');

  const loanNo = await inTransaction(db, async (trx) => {
    const number = await nextLoanNumber(trx, Number(today(now).slice(0, 4)));
    const id = await insertLoan(
      trx,
      {
        loan_no: number,
        kind,
        requester_id: principal.userId,
        requested_by: principal.username,
        borrower_id: borrower.id,
        borrower_username: borrower.username,
        borrower_org: borrower.organisation,
        borrower_person: borrower.person,
        letter_no: borrower.letterNo,
        purpose,
        days_requested: input.days,
        approval_levels: terms.approvalLevels,
        level1_roles: terms.level1Roles,
        level2_roles: terms.level2Roles,
        renewals_allowed: terms.renewalsAllowed,
        renewal_days: terms.renewalDays,
        created_at: now,
      },
      found.map((item) => ({ itemId: item.id, archiveCode: item.archiveCode })),
    );
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.requested',
      subject: loanSubject(number),
      payload: {
        kind,
        items: found.map((item) => item.archiveCode).sort(),
        purpose,
        days: input.days,
        borrower: borrower.organisation
          ? {
              organisation: borrower.organisation,
              ...(borrower.person ? { person: borrower.person } : {}),
              letterNo: borrower.letterNo as string,
            }
          : { user: borrower.username as string },
      },
      state: await loanState(trx, id),
    });
    return number;
  });
  return loanView(db, principal, loanNo, now);
}

/** Refuses an approver who may not decide this level of this loan. */
async function checkApprover(db: Db, principal: Principal, loan: LoanRow): Promise<1 | 2> {
  authorize(principal, 'loan.approve');
  if (ownLoan(loan, principal))
    throw new YidangError('LOAN_OWN_APPROVAL', 'forbidden', '不能审批本人申请或本人借阅的借阅单');
  const items = await loanItems(db, [loan.id]);
  const seen = await countInScope(
    db,
    items.map((item) => item.item_id),
    scopedQuery(await accessContextOf(db, principal)),
  );
  if (seen < items.length) throw notFound('LOAN_NOT_FOUND', `借阅单 ${loan.loan_no} 不存在`);
  const level = loan.approved_level === 0 ? 1 : 2;
  if (level === 2 && loan.level1_by === principal.username)
    throw new YidangError('LOAN_OWN_APPROVAL', 'forbidden', '一级审批人不能再作二级审批');
  const roles = level === 1 ? loan.level1_roles : loan.level2_roles;
  if (!principal.roles.some((role) => roles.includes(role)))
    throw new YidangError(
      'LOAN_APPROVER_ROLE',
      'forbidden',
      `第${level === 1 ? '一' : '二'}级审批须由${roles.map((role) => ROLES[role as keyof typeof ROLES] ?? role).join('或')}办理`,
    );
  return level;
}

/** The sensitive items of the loan its reader (in their own access context) holds no grant in force for. */
export async function grantsMissing(
  db: Db,
  reader: PrincipalContext,
  loan: LoanRow,
  now: Date,
): Promise<string[]> {
  const items = await loanItems(db, [loan.id]);
  const all = await findItemsByCodes(
    db,
    items.map((item) => item.archive_code),
    scopedQuery(reader),
  );
  const sensitive = all.filter((item) => item.sensitivity !== 'normal');
  if (sensitive.length === 0) return [];
  const granted = new Set(await reader.grants.itemIds(db, now));
  return sensitive.filter((item) => !granted.has(item.id)).map((item) => item.archiveCode);
}

/** grantsMissing for the loan's own reader (none when the account is gone or disabled: refused elsewhere). */
async function stillMissing(db: Db, loan: LoanRow, now: Date): Promise<string[]> {
  const reader = await readerOf(db, loan);
  return reader ? grantsMissing(db, await accessContextOf(db, reader), loan, now) : [];
}

/** The account that reads under the loan, while it is enabled. */
export async function readerOf(db: Db, loan: LoanRow): Promise<Principal | undefined> {
  return (await accountOf(db, { id: readerId(loan) }))?.principal;
}

/** Opens an approved electronic loan or copy for its days (inside the caller's transaction). */
export async function openLoan(trx: Db, loan: LoanRow, actor: string, at: Date): Promise<void> {
  const days = loan.days_approved ?? loan.days_requested;
  const due = addDays(today(at), days);
  if (
    !(await moveLoan(
      trx,
      loan.id,
      { state: 'approved' },
      { state: 'on_loan', handed_over_by: actor, handed_over_at: at, due_on: due, updated_at: at },
    ))
  )
    throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loan.loan_no} 已开通`);
  const items = await loanItems(trx, [loan.id]);
  recordEvent(trx, {
    actor,
    action: 'loan.opened',
    subject: loanSubject(loan.loan_no),
    payload: { items: items.map((item) => item.archive_code), due },
    state: await loanState(trx, loan.id),
  });
}

export async function approveLoan(
  db: Db,
  principal: Principal,
  loanNo: string,
  input: { days?: number } = {},
  now = new Date(),
): Promise<LoanView> {
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    stateMustBe(loan, ['requested'], '审批');
    const level = await checkApprover(trx, principal, loan);
    const asked = loan.days_approved ?? loan.days_requested;
    const days = input.days ?? asked;
    if (!Number.isInteger(days) || days < 1) throw invalid('LOAN_DAYS_INVALID', '批准天数应为正整数');
    if (days > asked)
      throw invalid('LOAN_DAYS_EXCEEDED', `批准天数不能超过申请（或上一级批准）的 ${asked} 天`);
    const at = stepTime(loan, now);
    const final = level === loan.approval_levels;
    const moved = await moveLoan(
      trx,
      loan.id,
      { state: 'requested', approvedLevel: loan.approved_level },
      {
        approved_level: level,
        days_approved: days,
        ...(level === 1
          ? { level1_by: principal.username, level1_at: at }
          : { level2_by: principal.username, level2_at: at }),
        ...(final ? { state: 'approved' as const } : {}),
        updated_at: at,
      },
    );
    if (!moved) throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 已由他人审批`);
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.approved',
      subject: loanSubject(loanNo),
      payload: { level, days },
      state: await loanState(trx, loan.id),
    });
    if (final && loan.kind !== 'paper') {
      const approved = await loanOrFail(trx, loanNo);
      const enabled = await borrowerMustBeEnabled(trx, approved).then(
        () => true,
        () => false,
      );
      if (enabled && (await stillMissing(trx, approved, at)).length === 0)
        await openLoan(trx, approved, principal.username, at);
    }
  });
  return loanView(db, principal, loanNo, now);
}

export async function rejectLoan(
  db: Db,
  principal: Principal,
  loanNo: string,
  input: { reason: string },
  now = new Date(),
): Promise<LoanView> {
  const reason = readText(input.reason, '驳回理由', 200, 'LOAN_REASON_INVALID');
  if (!reason) throw invalid('LOAN_REASON_REQUIRED', '驳回借阅须说明理由');
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    stateMustBe(loan, ['requested'], '驳回');
    const level = await checkApprover(trx, principal, loan);
    const at = stepTime(loan, now);
    const moved = await moveLoan(
      trx,
      loan.id,
      { state: 'requested', approvedLevel: loan.approved_level },
      {
        state: 'rejected',
        rejected_by: principal.username,
        rejected_at: at,
        reject_reason: reason,
        closed_at: at,
        updated_at: at,
      },
    );
    if (!moved) throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 已由他人审批`);
    await closeItems(trx, loan.id);
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.rejected',
      subject: loanSubject(loanNo),
      payload: { level, reason },
      state: await loanState(trx, loan.id),
    });
  });
  return loanView(db, principal, loanNo, now);
}

/** The one who asked (or the borrower) takes a request back before anything left the store room. */
export async function withdrawLoan(
  db: Db,
  principal: Principal,
  loanNo: string,
  now = new Date(),
): Promise<LoanView> {
  await inTransaction(db, async (trx) => {
    const loan = await visibleLoan(trx, principal, loanNo, true);
    if (!ownLoan(loan, principal)) throw notFound('LOAN_NOT_FOUND', `借阅单 ${loanNo} 不存在`);
    stateMustBe(loan, ['requested', 'approved'], '撤回');
    const at = stepTime(loan, now);
    if (
      !(await moveLoan(
        trx,
        loan.id,
        { state: loan.state },
        { state: 'withdrawn', closed_at: at, updated_at: at },
      ))
    )
      throw new YidangError('LOAN_STATE', 'conflict', `借阅单 ${loanNo} 的状态已变化，请刷新`);
    await closeItems(trx, loan.id);
    recordEvent(trx, {
      actor: principal.username,
      action: 'loan.withdrawn',
      subject: loanSubject(loanNo),
      payload: {},
      state: await loanState(trx, loan.id),
    });
  });
  return loanView(db, principal, loanNo, now);
}
