// What other modules read of transfer batches: every batch's logged state (verify, `transfer:`), and
// the items on an open batch (a destruction register refuses them).
export { itemsOnOpenBatchesSql } from './transfer.repo.js';
export { batchStates } from './transfer.state.js';
