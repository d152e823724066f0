// What other modules read of lending: the items a disposition (destruction, transfer) must refuse —
// on loan, or named in a loan request still open — as SQL to compose (`item_id in (…)`); and the
// loans' states for verify (a loan decides who reads what under it, and until when).
export { itemsOnLoanSql, loanStates } from './lending.repo.js';
