import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { invalid, notFound, YidangError } from '../../shared/errors.js';
import { accessContextOf, accountOf, authorize, can, type Principal } from '../access/principal.js';
import { listCategories } from '../catalog/catalog.queries.js';
import { countInScope, findItemsByCodes } from '../catalog/item.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { recordEvent } from '../integrity/event-log.js';
import { loanSubject, readText, today } from './lending.common.js';
import { isLoanKind, LOAN_KINDS } from './lending.names.js';
import { insertLoan, itemsOut, loanState, nextLoanNumber } from './lending.repo.js';
import type { LoanKind } from './lending.tables.js';
import { type LoanView, loanView } from './lending.view.js';
import { type RuleSubject, termsForAll } from './rules.js';
import { listRules } from './rules.repo.js';

// A loan request (借阅申请): the borrower (oneself, or another account or an outside organisation
// registered by an archivist), the items within the borrower's scope, the terms their rules allow.

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
