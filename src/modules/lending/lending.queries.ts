// What other modules read of lending: the items a disposition (destruction, transfer) must refuse —
// on loan, or named in a loan request still open — as SQL to compose (`item_id in (…)`).
export { itemsOnLoanSql } from './lending.repo.js';
