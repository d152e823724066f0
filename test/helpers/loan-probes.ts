import { type Call, code, type ScopeWorld, send } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of the lending routes (/loans, /loan-rules). The other user (all
// fonds) asks for a loan of a J014 item: every J013 caller must find it exactly as a number never
// issued, whatever the step (view, approve, hand over, return, read), and lists never show it.
// Each caller also asks for a loan of its own J013 item, whose answer is searched for leaks.

const api = (path: string) => `/api/v1${path}`;
const get = (path: string): Call => ({ method: 'GET', url: api(path) });
const post = (path: string, body?: unknown): Call => ({ method: 'POST', url: api(path), body: body ?? {} });
const MISSING_LOAN = 'JY2026-999999';
const foreignLoans = new WeakMap<ScopeWorld, Promise<string>>();

/** The other user's loan of the J014 item (made once per world). */
function foreignLoan(world: ScopeWorld): Promise<string> {
  let made = foreignLoans.get(world);
  if (!made) {
    made = send(
      world.app,
      world.other,
      post('/loans', { kind: 'electronic', items: [world.outside.item], purpose: '走查外部借阅', days: 3 }),
    ).then((response) => {
      if (response.statusCode !== 201)
        throw new Error(`foreign loan: ${response.statusCode} ${response.body}`);
      return (response.json() as { loanNo: string }).loanNo;
    });
    foreignLoans.set(world, made);
  }
  return made;
}

/** A step on one loan: the foreign loan and a missing number must answer alike. */
const onLoan =
  (method: Call['method'], tail: string, body?: unknown): Probe =>
  async ({ world, sameAsMissing }) => {
    const foreign = await foreignLoan(world);
    const at = (loanNo: string): Call => ({
      method,
      url: api(`/loans/${loanNo}${tail.replace('{code}', code(world.outside.item))}`),
      ...(body === undefined ? {} : { body }),
    });
    await sameAsMissing({ ...at(foreign), id: foreign }, { ...at(MISSING_LOAN), id: MISSING_LOAN });
  };

export const LOAN_ROUTES: Record<string, Probe | string> = {
  'POST /api/v1/loans': async ({ world, call, sameAsMissing }) => {
    const ask = (items: string[]) =>
      post('/loans', { kind: 'electronic', items, purpose: '核查待遇申报材料', days: 3 });
    await call(ask([world.inside.item]));
    const missing = world.outside.item.replace(/\d+$/, '9999');
    await sameAsMissing(
      { ...ask([world.outside.item]), id: world.outside.item },
      { ...ask([missing]), id: missing },
    );
  },
  'GET /api/v1/loans': async ({ world, call }) => {
    await foreignLoan(world);
    for (const view of ['mine', 'approvals', 'desk', 'all']) await call(get(`/loans?view=${view}&limit=200`));
  },
  'GET /api/v1/loans/held': async ({ world, call, sameAsMissing }) => {
    await call(get(`/loans/held?item=${code(world.inside.item)}`));
    const missing = world.outside.item.replace(/\d+$/, '9999');
    await sameAsMissing(
      { ...get(`/loans/held?item=${code(world.outside.item)}`), id: world.outside.item },
      { ...get(`/loans/held?item=${code(missing)}`), id: missing },
    );
  },
  'GET /api/v1/loans/{loanNo}': async (context) => {
    const mine = await context.call(
      post('/loans', {
        kind: 'electronic',
        items: [context.world.inside.item],
        purpose: '核查待遇申报材料',
        days: 3,
      }),
    );
    if (mine.statusCode === 201)
      await context.call(get(`/loans/${(mine.json() as { loanNo: string }).loanNo}`));
    await onLoan('GET', '')(context);
  },
  'POST /api/v1/loans/{loanNo}/approve': onLoan('POST', '/approve', {}),
  'POST /api/v1/loans/{loanNo}/reject': onLoan('POST', '/reject', { reason: '走查驳回' }),
  'POST /api/v1/loans/{loanNo}/withdraw': onLoan('POST', '/withdraw', {}),
  'POST /api/v1/loans/{loanNo}/open': onLoan('POST', '/open', {}),
  'POST /api/v1/loans/{loanNo}/end': onLoan('POST', '/end', {}),
  'POST /api/v1/loans/{loanNo}/hand-over': onLoan('POST', '/hand-over', {}),
  'POST /api/v1/loans/{loanNo}/renew': onLoan('POST', '/renew', {}),
  'POST /api/v1/loans/{loanNo}/return': onLoan('POST', '/return', { condition: 'intact' }),
  'GET /api/v1/loans/{loanNo}/items/{archiveCode}/files': onLoan('GET', '/items/{code}/files'),
  'GET /api/v1/loans/{loanNo}/items/{archiveCode}/files/{fileNumber}': onLoan('GET', '/items/{code}/files/1'),
  'GET /api/v1/loan-rules': '借阅规则：类别代码、天数与角色，不含档案内容',
  'PUT /api/v1/loan-rules': '设置借阅规则：回答是规则本身',
  'DELETE /api/v1/loan-rules/{id}': '删除借阅规则：无内容',
};
